"""The graph shape (`cypher/ingest/graph.toml`) agrees with the transactional statements.

The import-file writer names its files and headers from the shape; the
transactional writer spells labels, keys and types in `cypher/ingest/`. The
graph both build is compared in test_ingest_load (on the real server)."""

from __future__ import annotations

import re

import pytest

from app.config import PROJECT_ROOT
from app.ingest.importfile import ACCOUNT_LINKS, ROLLUPS, SESSION_NODES, _Files, id_header
from app.ingest.shape import graph_shape, user_agent_key

STATEMENTS = PROJECT_ROOT / "cypher" / "ingest"
NODE = re.compile(r"\(\w*:(\w+) \{(\w+):")
REL = re.compile(r"-\[\w*:(\w+)[\]\s{]")


def _statements() -> str:
    """The evidence-writing statements (not record_load: the Load provenance node,
    which both paths write through that same statement)."""
    return "\n".join(p.read_text() for p in sorted(STATEMENTS.glob("*.cypher"))
                     if p.stem != "record_load")


def test_every_label_and_key_the_statements_write_is_in_the_shape() -> None:
    keys = graph_shape().nodes
    found = set(NODE.findall(_statements()))
    assert found, "no node pattern found: the pattern above no longer reads the statements"
    for label, key in found:
        assert label in keys, f"{label} is written by cypher/ingest but not in graph.toml"
        assert keys[label] == key, f"{label} is keyed on {key} in cypher/ingest"
    # ... and every label of the shape is written by some statement.
    assert {label for label, _key in found} == set(keys)


def test_the_relationship_types_of_the_shape_are_those_the_statements_write() -> None:
    assert set(REL.findall(_statements())) == set(graph_shape().relationships)


def test_the_import_writer_takes_its_types_and_labels_from_the_shape() -> None:
    shape = graph_shape()
    for _column, rel_type in (*ACCOUNT_LINKS, *ROLLUPS):
        assert rel_type in shape.relationships
    for _column, label in SESSION_NODES:
        assert label in shape.nodes
    assert id_header("IP") == "address:ID(IP)"
    assert id_header("ASN", "{id-type: long}") == "asn:ID(ASN){id-type: long}"


def test_import_files_refuse_a_type_or_key_outside_the_shape(tmp_path: object) -> None:
    from pathlib import Path

    files = _Files(Path(str(tmp_path)))
    try:
        with pytest.raises(KeyError):
            files.rels_of("KNOWS")
        with pytest.raises(ValueError, match="must start with address:ID"):
            files.nodes_of("IP", ["ip:ID(IP)"])
        files.rels_of("FROM_IP").writerow(("s1", "10.0.0.1"))
    finally:
        files.close()
    header = (Path(str(tmp_path)) / "relationships-FROM_IP.csv").read_text().splitlines()[0]
    assert header == ":START_ID(Session),:END_ID(IP)"


def test_a_huge_user_agent_is_keyed_on_a_prefix_and_its_digest() -> None:
    small = "Mozilla/5.0"
    assert user_agent_key(small) == small
    huge = "x" * 600
    key = user_agent_key(huge)
    assert key.startswith("x" * 512 + "…#") and len(key) == 512 + 2 + 16
    assert user_agent_key(huge + "y") != key
