"""Every export of a case read back: PDF text, CSVs, JSON, STIX bundle; CLI included."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest
import stix2
from pypdf import PdfReader

from app import cases, explore
from app.audit import audit_file
from app.cases.exports import export_case, indicator_pattern
from app.config import PROJECT_ROOT
from app.db.graph import Graph
from tests.conftest import detected_world, run_cli

NOTE = ("Seen before.\n\n<script>alert(1)</script> **bold** [x](javascript:alert(1))\n\n"
        "- one\n- two")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def loaded(driver_graph: Graph, tmp_path_factory: pytest.TempPathFactory) -> Graph:
    """Generated data loaded and detected once for the module."""
    return detected_world(driver_graph, tmp_path_factory.mktemp("exports"))


@pytest.fixture(scope="module")
def case_id(loaded: Graph) -> str:
    run = explore.latest_run(loaded)
    assert run
    network = explore.list_networks(loaded, run["run_id"], suspected_only=True, min_score=0,
                                    min_size=1, sort="size", descending=True, page=1,
                                    per_page=1).rows[0]
    case_id = cases.create_from_network(loaded, network["network_id"],
                                        "Reasoning distillation farm", "alice")
    cases.update_case(loaded, case_id, "alice", status="confirmed", priority="high",
                      assignee="bob")
    cases.add_note(loaded, case_id, NOTE, "bob")
    cases.pin_evidence(loaded, case_id, "query", "Accounts per proxy",
                       "MATCH (a:Account)-[:USED_IP]->(ip:IP {address: $ip}) RETURN a.account_id",
                       {"ip": "198.51.100.7"}, ["account_id"], [["acc-1"], ["acc-2"]],
                       "2026-01-02T03:04:05+00:00", "bob")
    return case_id


def test_stix_patterns_quote_values() -> None:
    assert indicator_pattern("ip", "10.0.0.1") == "[ipv4-addr:value = '10.0.0.1']"
    assert indicator_pattern("prefix", "2001:db8::/48") == \
        "[ipv6-addr:value ISSUBSET '2001:db8::/48']"
    assert indicator_pattern("user_agent", "it's") .endswith("= 'it\\'s']")
    assert indicator_pattern("payment", "tok") is None


def test_pdf_dossier_reads_back(loaded: Graph, case_id: str) -> None:
    export = export_case(loaded, case_id, "pdf", "carol", source="127.0.0.1")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "dossier.pdf").write_bytes(export.data)
    reader = PdfReader(io.BytesIO(export.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    content = cases.case_content(loaded, case_id)
    members = content["members"]
    assert "Reasoning distillation farm" in flat and case_id in flat
    assert "Executive summary" in flat and "Appendix: provenance" in flat
    for member in members:
        assert member["account_id"] in text, member["account_id"]
    assert "<script>alert(1)</script>" in flat  # shown as text, never run
    assert "**bold**" not in flat and "bold" in flat
    assert "x (javascript:alert(1))" in flat
    assert export.digest in text.replace("\n", "")
    assert "cypher/cases/member_links.cypher" in flat
    assert "Accounts per proxy" in flat and "198.51.100.7" in flat
    # A sensible length: cover, six chapters, members at ~45 a page, appendix.
    assert 8 <= len(reader.pages) <= 12 + len(members) // 30
    events = [json.loads(line) for line in audit_file(loaded).read_text().splitlines()]
    assert any(e["action"] == "case.export" and e["target"] == case_id
               and e["details"]["format"] == "pdf" and e["source"] == "127.0.0.1"
               for e in events)


def test_json_export_is_the_canonical_content_with_its_digest(loaded: Graph,
                                                              case_id: str) -> None:
    first = export_case(loaded, case_id, "json", "carol")
    again = export_case(loaded, case_id, "json", "carol")
    assert first.data == again.data, "exports are not content"
    assert hashlib.sha256(first.data).hexdigest() == first.digest
    content = json.loads(first.data)
    assert content["case"]["case_id"] == case_id
    assert content["notes"][0]["body"] == NOTE
    assert content["evidence"][0]["params"] == {"ip": "198.51.100.7"}


def test_csv_exports_parse(loaded: Graph, case_id: str) -> None:
    members = list(csv.DictReader(io.StringIO(
        export_case(loaded, case_id, "members", "carol").data.decode())))
    content = cases.case_content(loaded, case_id)
    assert sorted(r["account_id"] for r in members) == \
        [m["account_id"] for m in content["members"]]
    entities = list(csv.DictReader(io.StringIO(
        export_case(loaded, case_id, "entities", "carol").data.decode())))
    assert {(r["kind"], r["key"]) for r in entities} == \
        {(e["kind"], str(e["key"])) for e in content["entities"]}
    enforcement = list(csv.DictReader(io.StringIO(
        export_case(loaded, case_id, "enforcement", "carol").data.decode())))
    kinds = {r["kind"] for r in enforcement}
    assert "account" in kinds and kinds <= {"account", "api_key", "payment"}
    assert sum(r["kind"] == "account" for r in enforcement) == len(members)


def test_stix_bundle_validates(loaded: Graph, case_id: str) -> None:
    data = export_case(loaded, case_id, "stix", "carol").data
    bundle = stix2.parse(data.decode(), allow_custom=False)
    kinds = {o.type for o in bundle.objects}
    assert {"identity", "indicator", "report"} <= kinds
    patterns = [o.pattern for o in bundle.objects if o.type == "indicator"]
    assert any(p.startswith("[ipv4-addr:value = ") for p in patterns)
    report = next(o for o in bundle.objects if o.type == "report")
    assert case_id in report.name and len(report.object_refs) == len(patterns)


def test_cli_creates_exports_and_verifies(loaded: Graph, server_env: dict[str, str],
                                          tmp_path: Path) -> None:
    run = explore.latest_run(loaded)
    assert run
    network = explore.list_networks(loaded, run["run_id"], suspected_only=True, min_score=0,
                                    min_size=1, sort="score", descending=True, page=1,
                                    per_page=1).rows[0]
    created = run_cli("case", "create", "--network", network["network_id"], "--title",
                      "From the CLI", env=server_env)
    assert created.returncode == 0, created.stderr
    new_id = created.stdout.strip()
    assert new_id.startswith("CASE-")
    out = tmp_path / "case.pdf"
    exported = run_cli("case", "export", new_id, str(out), env=server_env)
    assert exported.returncode == 0, exported.stderr
    assert out.read_bytes().startswith(b"%PDF")
    as_json = tmp_path / "case.json"
    assert run_cli("case", "export", new_id, str(as_json), "--format", "json",
                   env=server_env).returncode == 0
    digest = hashlib.sha256(as_json.read_bytes()).hexdigest()
    verified = run_cli("case", "verify", new_id, digest, env=server_env)
    assert verified.returncode == 0, verified.stderr
    assert run_cli("case", "verify", new_id, "0" * 64, env=server_env).returncode != 0
    listed = run_cli("case", "list", "--json", env=server_env)
    assert new_id in listed.stdout

    bad = run_cli("case", "create", "--network", "HN-99999", "--title", "x", env=server_env)
    assert bad.returncode != 0 and "no network HN-99999" in bad.stderr
    assert "Traceback" not in bad.stderr
    missing = run_cli("case", "export", "CASE-99999", str(out), env=server_env)
    assert missing.returncode != 0 and "no case CASE-99999" in missing.stderr
