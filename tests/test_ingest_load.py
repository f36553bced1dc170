"""Loading into the real Neo4j: contract samples, every format, reruns, interruptions."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from app.config import PROJECT_ROOT
from app.db.graph import Graph
from app.detect.evidence import read_evidence
from app.ingest import load_directory
from app.ingest import validate as validate_module
from app.ingest.contract import ACCOUNTS, IP_INTEL, SESSIONS, clean_row
from app.ingest.shape import graph_shape
from app.ingest.transactional import TransactionWriter
from app.synth.tables import write_table
from tests.graphstate import counts, schema, shape, snapshot

SHARED = PROJECT_ROOT.parent / "shared" / "contract"


def rejects_of(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_contract_samples_load_exactly(graph: Graph, tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.csv"
    report = load_directory(graph, SHARED / "samples", rejects, progress=False)
    found = counts(graph)
    assert found["Account"] == 3
    assert found["Session"] == 3
    assert found["IP"] == 3
    assert report.tables["accounts"].rejected == 1
    assert report.tables["sessions"].rejected == 2
    bad = {(r["file"], r["line"], r["column"]) for r in rejects_of(rejects)}
    assert bad == {("accounts.csv", "5", "created_at"), ("sessions.csv", "5", "account_id"),
                   ("sessions.csv", "6", "ended_at")}
    reasons = {r["line"]: r["reason"] for r in rejects_of(rejects) if r["file"] == "sessions.csv"}
    assert "acc-9999" in reasons["5"] and "no account" in reasons["5"]
    assert "before started_at" in reasons["6"]
    assert report.rejects_file == str(rejects)


def test_quirky_but_valid_data_loads_completely(graph: Graph, tmp_path: Path) -> None:
    report = load_directory(graph, SHARED / "samples-quirks", tmp_path / "r.csv", progress=False)
    assert report.rejected == 0
    assert not (tmp_path / "r.csv").exists()
    found = counts(graph)
    assert (found["Account"], found["Session"], found["IP"]) == (4, 4, 3)
    assert report.tables["accounts"].ignored_columns == ["favourite_colour"]
    assert report.tables["sessions"].ignored_columns == ["client_build"]
    rows = graph.run_text("MATCH (a:Account) RETURN a.account_id AS id, "
                          "toString(a.created_at) AS created ORDER BY id")
    created = {r["id"]: r["created"] for r in rows}
    assert set(created) == {"q-001", "q-002", "q-003", "Q-003"}
    assert created["q-003"] == "2026-01-05T09:59:59.999999Z"
    agent = graph.run_text("MATCH (s:Session {session_id: 'qs-2'})<-[:HAS_SESSION]-(a)"
                           "-[:USED_AGENT]->(u) RETURN s.user_agent AS s, u.value AS v")[0]
    assert agent == {"s": "multi\nline agent", "v": "multi\nline agent"}
    template = graph.run_text("MATCH (:Session {session_id: 'qs-1'})-[:USED_TEMPLATE]->(t) "
                              "RETURN t.fingerprint AS f")[0]["f"]
    assert template == "3f09a1c2d4e5b607"
    v6 = graph.run_text("MATCH (ip:IP {address: '2001:db8:85a3::8a2e:370:7334'})"
                        "-[:IN_PREFIX]->(p) RETURN p.cidr AS cidr, ip.as_org AS org")
    assert v6 == [{"cidr": "2001:db8:85a3::/48", "org": "Example Net, Ltd."}]


# A small data set written in every format must give the same graph.
ACCOUNT_ROWS = [
    {"account_id": "a1", "created_at": "2026-01-01T00:00:00Z", "email_domain": "Mail.Example",
     "signup_ip": "10.1.2.3", "payment_fingerprint": "pm_1", "plan": "api", "country": "gb"},
    {"account_id": "a2", "created_at": "2026-01-01T00:05:00+02:00", "signup_ip": "10.1.2.4",
     "payment_fingerprint": "pm_1", "status": "banned",
     "status_changed_at": "2026-02-01T00:00:00Z", "org_id": "org-1"},
    {"account_id": "a3", "created_at": "2026-01-02T00:00:00Z"},
]
SESSION_ROWS = [
    {"session_id": f"s{i}", "account_id": f"a{1 + i % 3}",
     "started_at": f"2026-03-01T0{i % 10}:00:00Z", "ended_at": f"2026-03-01T0{i % 10}:10:00Z",
     "ip": ["10.1.2.3", "10.1.2.4", "2001:db8::1"][i % 3], "user_agent": "python-httpx/0.27",
     "device_fingerprint": f"fp{i % 2}", "api_key_id": "k1" if i % 2 else None,
     "model": "m", "requests": i + 1, "input_tokens": 100 * i, "output_tokens": 200 * i,
     "prompt_fingerprint": "a1b2c3d4e5f6071" + str(i % 2), "prompt_category": "math",
     "reasoning_request": i % 2 == 0, "sensitive_rewrite": False, "refusals": 0}
    for i in range(12)
]
INTEL_ROWS = [
    {"ip": "10.1.2.3", "asn": 64500, "as_org": "Example, Inc.", "network_type": "datacenter"},
    {"ip": "2001:db8::1", "network_type": "proxy", "proxy_provider": "ExampleProxy"},
]


def write_set(directory: Path, fmt: str, sessions: list[dict[str, Any]] | None = None,
              accounts: list[dict[str, Any]] | None = None) -> Path:
    write_table(directory, ACCOUNTS, accounts or ACCOUNT_ROWS, fmt)
    write_table(directory, SESSIONS, SESSION_ROWS if sessions is None else sessions, fmt)
    write_table(directory, IP_INTEL, INTEL_ROWS, fmt)
    return directory


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "csv.gz", "jsonl.gz"])
def test_every_format_gives_the_same_graph(graph: Graph, tmp_path: Path, fmt: str) -> None:
    load_directory(graph, write_set(tmp_path / "csv", "csv"), tmp_path / "r1.csv",
                   progress=False)
    expected = snapshot(graph)
    assert counts(graph)["Session"] == 12
    graph.run_text("MATCH (n) WHERE NOT n:SchemaMigration DETACH DELETE n")
    report = load_directory(graph, write_set(tmp_path / fmt, fmt), tmp_path / "r2.csv",
                            progress=False)
    assert report.rejected == 0
    assert snapshot(graph) == expected


def test_rollups_and_account_totals(graph: Graph, tmp_path: Path) -> None:
    load_directory(graph, write_set(tmp_path / "d", "csv"), tmp_path / "r.csv", progress=False)
    rows = graph.run_text(
        "MATCH (a:Account {account_id: 'a1'})-[u:USED_IP]->(ip:IP) "
        "RETURN ip.address AS ip, u.sessions AS n, toString(u.first_seen) AS first, "
        "toString(u.last_seen) AS last")
    # a1 has sessions 0, 3, 6, 9 - all from 10.1.2.3.
    assert rows == [{"ip": "10.1.2.3", "n": 4, "first": "2026-03-01T00:00:00Z",
                     "last": "2026-03-01T09:00:00Z"}]
    account = graph.run_text("MATCH (a:Account {account_id: 'a1'}) RETURN a {.*} AS a")[0]["a"]
    assert account["sessions"] == 4
    assert account["requests"] == 1 + 4 + 7 + 10
    assert account["input_tokens"] == 100 * (0 + 3 + 6 + 9)
    assert account["reasoning_sessions"] == 2  # sessions 0 and 6
    shared = graph.run_text("MATCH (p:Payment {fingerprint: 'pm_1'})<-[:PAID_WITH]-(a) "
                            "RETURN count(a) AS c")[0]["c"]
    assert shared == 2


def test_rerun_changes_nothing(graph: Graph, tmp_path: Path) -> None:
    directory = write_set(tmp_path / "d", "csv")
    first = load_directory(graph, directory, tmp_path / "r.csv", progress=False)
    before = snapshot(graph)
    second = load_directory(graph, directory, tmp_path / "r.csv", progress=False)
    assert snapshot(graph) == before
    assert first.tables["sessions"].new == 12
    assert second.tables["sessions"].new == 0
    assert second.tables["sessions"].loaded == 12


def test_interrupted_load_completes_on_rerun(graph: Graph, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    sessions = [dict(row, session_id=f"s{n}") for n, row in
                enumerate(SESSION_ROWS * 50)]  # 600 sessions
    directory = write_set(tmp_path / "d", "csv", sessions=sessions)
    load_directory(graph, directory, tmp_path / "r.csv", progress=False)
    expected = snapshot(graph)
    graph.run_text("MATCH (n) WHERE NOT n:SchemaMigration DETACH DELETE n")

    monkeypatch.setattr(validate_module, "SESSION_BATCH", 100)
    calls = {"n": 0}
    real_write = TransactionWriter.write

    def interrupting_write(self: TransactionWriter, batch: Any) -> None:
        if batch.table is SESSIONS:
            calls["n"] += 1
            if calls["n"] == 4:
                raise KeyboardInterrupt  # Ctrl-C after three batches of sessions
        real_write(self, batch)

    monkeypatch.setattr(TransactionWriter, "write", interrupting_write)
    with pytest.raises(KeyboardInterrupt):
        load_directory(graph, directory, tmp_path / "r.csv", progress=False)
    partial = counts(graph)["Session"]
    assert 0 < partial < 600 and partial % 100 == 0, "a batch was half-written"
    monkeypatch.setattr(TransactionWriter, "write", real_write)
    report = load_directory(graph, directory, tmp_path / "r.csv", progress=False)
    assert report.tables["sessions"].new == 600 - partial
    assert snapshot(graph) == expected


def test_later_export_updates_status_and_adds_sessions(graph: Graph, tmp_path: Path) -> None:
    load_directory(graph, write_set(tmp_path / "one", "csv"), tmp_path / "r.csv",
                   progress=False)
    later_accounts = [dict(ACCOUNT_ROWS[0], status="banned",
                           status_changed_at="2026-04-01T00:00:00Z"), ACCOUNT_ROWS[2]]
    more = [dict(SESSION_ROWS[0], session_id="s-new", started_at="2026-04-02T00:00:00Z",
                 ended_at="2026-04-02T00:10:00Z")]
    later = tmp_path / "two"
    write_table(later, ACCOUNTS, later_accounts)
    write_table(later, SESSIONS, more)
    write_table(later, IP_INTEL, [{"ip": "10.1.2.3", "asn": 64999, "network_type": "proxy",
                                   "proxy_provider": "NewProxy"}])
    load_directory(graph, later, tmp_path / "r2.csv", progress=False)
    a1 = graph.run_text("MATCH (a:Account {account_id: 'a1'}) RETURN a.status AS s, "
                        "toString(a.status_changed_at) AS t, a.sessions AS n, "
                        "a.email_domain AS d")[0]
    assert a1 == {"s": "banned", "t": "2026-04-01T00:00:00Z", "n": 5, "d": "mail.example"}
    used = graph.run_text("MATCH (:Account {account_id: 'a1'})-[u:USED_IP]->"
                          "(:IP {address: '10.1.2.3'}) RETURN u.sessions AS n, "
                          "toString(u.last_seen) AS last")[0]
    assert used == {"n": 5, "last": "2026-04-02T00:00:00Z"}
    ip = graph.run_text("MATCH (ip:IP {address: '10.1.2.3'})-[:IN_ASN]->(n) "
                        "RETURN ip.network_type AS t, ip.proxy_provider AS p, "
                        "collect(n.asn) AS asns")[0]
    assert ip == {"t": "proxy", "p": "NewProxy", "asns": [64999]}
    # a2 was not in the later export: untouched.
    a2 = graph.run_text("MATCH (a:Account {account_id: 'a2'}) RETURN a.status AS s")[0]
    assert a2["s"] == "banned"


def test_a_new_account_naming_a_session_id_the_graph_holds(graph: Graph,
                                                           tmp_path: Path) -> None:
    """A session of a new account whose id the graph already holds (under another
    account) is skipped as already loaded; the rest of the batch is written."""
    load_directory(graph, write_set(tmp_path / "one", "csv"), tmp_path / "r.csv",
                   progress=False)
    later = tmp_path / "two"
    write_table(later, ACCOUNTS, [{"account_id": "b1", "created_at": "2026-04-01T00:00:00Z"}])
    write_table(later, SESSIONS, [dict(SESSION_ROWS[0], account_id="b1"),  # s0 is a1's
                                  dict(SESSION_ROWS[1], session_id="s-b1", account_id="b1")])
    report = load_directory(graph, later, tmp_path / "r2.csv", progress=False)
    assert report.tables["sessions"].new == 1
    rows = graph.run_text("MATCH (a:Account)-[:HAS_SESSION]->(s:Session) "
                          "WHERE s.session_id IN ['s0', 's-b1'] "
                          "RETURN s.session_id AS s, a.account_id AS a ORDER BY s")
    assert rows == [{"s": "s-b1", "a": "b1"}, {"s": "s0", "a": "a1"}]
    b1 = graph.run_text("MATCH (a:Account {account_id: 'b1'}) RETURN a.sessions AS n, "
                        "COUNT { (a)-[:USED_IP]->() } AS ips")[0]
    assert b1 == {"n": 1, "ips": 1}
    assert counts(graph)["Session"] == 13


def test_each_broken_row_is_rejected_and_the_rest_loads(graph: Graph, tmp_path: Path) -> None:
    sessions = [dict(r) for r in SESSION_ROWS[:3]]
    sessions += [
        dict(SESSION_ROWS[3], requests=-1),
        dict(SESSION_ROWS[4], ip="not-an-ip"),
        dict(SESSION_ROWS[5], started_at="2026-03-01T05:00:00"),
        dict(SESSION_ROWS[6], session_id="s0"),  # duplicate id inside the file
        dict(SESSION_ROWS[7], account_id="nobody"),
        dict(SESSION_ROWS[8], prompt_fingerprint="123"),
    ]
    directory = write_set(tmp_path / "d", "csv", sessions=sessions)
    with open(directory / "sessions.csv", "a", encoding="utf-8") as fh:
        fh.write("s-short,a1\n")  # too few cells
    report = load_directory(graph, directory, tmp_path / "r.csv", progress=False)
    table = report.tables["sessions"]
    assert (table.read, table.loaded, table.rejected) == (10, 3, 7)
    assert counts(graph)["Session"] == 3
    found = {(r["line"], r["column"]) for r in rejects_of(tmp_path / "r.csv")}
    assert found == {("5", "requests"), ("6", "ip"), ("7", "started_at"), ("8", "session_id"),
                     ("9", "account_id"), ("10", "prompt_fingerprint"), ("11", "")}


def test_bad_file_is_an_error_before_anything_is_written(graph: Graph, tmp_path: Path) -> None:
    directory = write_set(tmp_path / "d", "csv")
    text = (directory / "sessions.csv").read_text()
    (directory / "sessions.csv").write_text(text.replace("session_id,", "sess_id,", 1))
    with pytest.raises(Exception, match="required column"):
        load_directory(graph, directory, tmp_path / "r.csv", progress=False)
    assert counts(graph).get("Account", 0) == 0


def test_report_is_json_ready(graph: Graph, tmp_path: Path) -> None:
    report = load_directory(graph, write_set(tmp_path / "d", "csv"), tmp_path / "r.csv",
                            progress=False)
    data = json.loads(json.dumps(report.as_dict()))
    assert data["tables"]["sessions"]["read"] == 12
    assert set(data["tables"]) == {"accounts", "ip_intel", "sessions"}
    shutil.rmtree(tmp_path / "d")


@pytest.mark.parametrize("source", ["set", "samples", "quirks"])
def test_bulk_import_builds_the_same_graph(graph: Graph, tmp_path: Path, source: str) -> None:
    if not graph.settings.managed:
        pytest.skip("the bulk path runs Neo4j's offline importer on the managed server")
    if source == "set":
        directory = write_set(tmp_path / "d", "csv")
        with open(directory / "sessions.csv", "a", encoding="utf-8") as fh:
            fh.write("bad,a1,not-a-time,,10.1.2.3,,,,,,,,,,,,\n")
    else:  # the contract's samples (bad rows) and its quirks (line breaks, IPv6, offsets)
        directory = SHARED / ("samples" if source == "samples" else "samples-quirks")
    transactional = load_directory(graph, directory, tmp_path / "r1.csv", progress=False)
    expected, expected_schema = snapshot(graph), schema(graph)
    read_before = read_evidence(graph)
    graph.run_text("MATCH (n) WHERE NOT n:SchemaMigration DETACH DELETE n")
    bulk = load_directory(graph, directory, tmp_path / "r2.csv", progress=False, bulk=True)
    assert snapshot(graph) == expected
    # Each account carries the load's mark, as the transactional writer sets it.
    marks = graph.run_text("MATCH (a:Account) RETURN collect(DISTINCT a.last_load) AS loads, "
                           "count(a.loaded_at) = count(a) AS timed")[0]
    assert marks == {"loads": [bulk.load_id], "timed": True} and transactional.load_id
    # Both follow the shape of cypher/ingest/graph.toml: each label has its key,
    # each relationship type joins the labels the shape gives it.
    keys, triples = shape(graph)
    declared = graph_shape()
    assert {label: declared.key(label) in props for label, props in keys.items()} == {
        label: True for label in keys}
    assert triples <= {(start, rel, end) for rel, (start, end)
                       in declared.relationships.items()}
    if source == "set":  # the full set: every label and type of the shape
        assert set(keys) == set(declared.nodes)
        assert {rel for _s, rel, _e in triples} == set(declared.relationships)
    # ... and detection reads it in the same order, whichever path loaded it.
    read_after = read_evidence(graph)
    assert read_after == read_before
    assert read_before.account_ids == sorted(read_before.account_ids)
    for name in ("templates", "hours", "starts", "categories", "output_tokens"):
        assert list(getattr(read_after, name)) == list(getattr(read_before, name))
        assert list(getattr(read_after, name)) == sorted(getattr(read_after, name))
    # Every constraint and index is rebuilt (side by side) and online.
    assert schema(graph) == expected_schema
    assert {row[-1] for row in expected_schema} == {"ONLINE"}
    assert set(bulk.steps) == {"roll-ups, import files, server stop", "neo4j-admin import",
                               "server restart", "schema"}
    assert "steps" in bulk.as_dict() and "steps" not in transactional.as_dict()
    for name, table in transactional.tables.items():
        other = bulk.tables[name]
        assert (table.read, table.loaded, table.rejected) == (other.read, other.loaded,
                                                              other.rejected)
    assert rejects_of(tmp_path / "r1.csv") == rejects_of(tmp_path / "r2.csv")
    # The schema is back after the import, and a rerun adds nothing.
    again = load_directory(graph, directory, tmp_path / "r3.csv", progress=False)
    assert again.tables["sessions"].new == 0
    assert snapshot(graph) == expected


def test_bulk_import_refuses_a_graph_with_data(graph: Graph, tmp_path: Path) -> None:
    if not graph.settings.managed:
        pytest.skip("the bulk path needs the managed server")
    directory = write_set(tmp_path / "d", "csv")
    load_directory(graph, directory, tmp_path / "r.csv", progress=False)
    with pytest.raises(Exception, match="needs an empty graph"):
        load_directory(graph, directory, tmp_path / "r.csv", progress=False, bulk=True)


def test_the_writer_skips_the_existing_sessions_read_only_for_accounts_it_created(
        graph: Graph) -> None:
    writer = TransactionWriter(graph)
    try:
        assert not writer._all_created_here({"a"})  # nothing created yet: read first
        writer._note_created(["a", "b"])
        writer._note_created(["c"])
        assert writer._all_created_here({"a", "c"})
        assert not writer._all_created_here({"a", "z"})  # z may have sessions in the graph
        raw = {k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
               for k, v in SESSION_ROWS[0].items()}
        clean, problem = clean_row(SESSIONS, raw)
        assert clean is not None, problem
        assert isinstance(writer._sessions_work([dict(clean, account_id="a")]), tuple)
        assert callable(writer._sessions_work([dict(clean, account_id="z")]))
    finally:
        writer.close()


def test_each_account_carries_the_load_that_last_created_or_changed_it(
        graph: Graph, tmp_path: Path) -> None:
    first = load_directory(graph, write_set(tmp_path / "one", "csv"), tmp_path / "r.csv",
                           progress=False)

    def marks() -> dict[str, tuple[str, Any]]:
        rows = graph.run_text("MATCH (a:Account) RETURN a.account_id AS a, a.last_load AS l, "
                              "a.loaded_at AS t")
        return {r["a"]: (r["l"], r["t"]) for r in rows}

    before = marks()
    assert {load for load, _at in before.values()} == {first.load_id}
    assert all(at is not None for _load, at in before.values())
    # The same files again change nothing, the mark included.
    load_directory(graph, write_set(tmp_path / "one", "csv"), tmp_path / "r2.csv", progress=False)
    assert marks() == before
    # A later export: a new session for a1, a changed plan for a2; a3 untouched.
    later = tmp_path / "two"
    write_table(later, ACCOUNTS, [dict(ACCOUNT_ROWS[0]), dict(ACCOUNT_ROWS[1], plan="team"),
                                  dict(ACCOUNT_ROWS[2])])
    write_table(later, SESSIONS, [dict(SESSION_ROWS[0], session_id="s-later")])
    second = load_directory(graph, later, tmp_path / "r3.csv", progress=False)
    after = marks()
    assert after["a1"][0] == second.load_id and after["a2"][0] == second.load_id
    assert after["a3"] == before["a3"]
    assert after["a1"][1] > before["a1"][1]
