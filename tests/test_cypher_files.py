from pathlib import Path

import pytest

from app.config import PROJECT_ROOT
from app.db.cypher import UnknownStatement, load_statement, split_statements
from app.db.migrations import migration_files

CYPHER = PROJECT_ROOT / "cypher"


def test_split_respects_strings_and_comments() -> None:
    text = """
    // a comment; with a semicolon
    CREATE (n {s: 'a;b'});
    /* block; comment */
    MATCH (n) WHERE n.s = "x;y" RETURN n;
    // only a comment;
    """
    parts = split_statements(text)
    assert len(parts) == 2
    assert "'a;b'" in parts[0]
    assert '"x;y"' in parts[1]


def test_statement_names_are_checked(tmp_path: Path) -> None:
    with pytest.raises(UnknownStatement):
        load_statement(tmp_path, "../etc/passwd")
    with pytest.raises(UnknownStatement):
        load_statement(tmp_path, "db/nothing_here")


def test_migrations_are_numbered_uniquely_and_idempotent() -> None:
    files = migration_files(CYPHER)
    assert files, "no schema migrations found"
    numbers = [f.name[:4] for f in files]
    assert len(numbers) == len(set(numbers))
    for f in files:
        for statement in split_statements(f.read_text()):
            assert "IF NOT EXISTS" in statement, f"{f.name}: {statement[:60]}"


def test_every_node_key_of_the_design_has_a_constraint() -> None:
    text = " ".join(f.read_text() for f in migration_files(CYPHER))
    keys = {
        "Account": "account_id", "Session": "session_id", "IP": "address", "ASN": "asn",
        "Device": "fingerprint", "Payment": "fingerprint", "EmailDomain": "name",
        "Org": "org_id", "PromptTemplate": "fingerprint", "ApiKey": "api_key_id",
        "UserAgent": "value", "DetectionRun": "run_id",
    }
    for label, key in keys.items():
        assert f"FOR (n:{label}) REQUIRE n.{key} IS UNIQUE" in text, label
    assert "FOR (n:Network) REQUIRE (n.network_id, n.run_id) IS UNIQUE" in text
