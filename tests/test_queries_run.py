"""Every library query planned and run on a generated data set; the guard, the
timeout, the caps, the audit trail and analysts' own queries, against the real Neo4j."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.auth.users import User
from app.db import readonly
from app.db.graph import Graph
from app.db.migrations import clear_graph
from app.detect.run import run_detection
from app.ingest import load_directory
from app.queries import runner, store
from app.queries.guard import QueryFailed, QueryRefused, QueryTimeout, check_plan, check_text
from app.queries.library import QueryDef, UnknownQuery, load_library
from app.queries.limits import LimitsError, QueryLimits, current_limits, set_limits
from app.queries.params import parse_values
from app.queries.runner import params_for, run_query
from app.synth.generator import generate
from tests.query_attacks import ATTACKS, counts

LIBRARY = load_library(Path(__file__).resolve().parent.parent / "cypher")

@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("queries") / "data"
    generate(out, accounts=800, seed=5)
    return out


@pytest.fixture(scope="module")
def loaded(driver_graph: Graph, data: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Graph]:
    """The module's data set, loaded and detected once (tests here only read it)."""
    clear_graph(driver_graph)
    load_directory(driver_graph, data, tmp_path_factory.mktemp("rejects") / "r.csv",
                   progress=False)
    run_detection(driver_graph)
    yield driver_graph
    clear_graph(driver_graph)


def example_values(graph: Graph, query: QueryDef) -> dict[str, str]:
    """Real values for the required parameters (two accounts of one network)."""
    rows = graph.run_text("MATCH (a:Account)-[:MEMBER_OF]->(n:Network)<-[:MEMBER_OF]-(b) "
                          "WHERE a <> b RETURN a.account_id AS a, b.account_id AS b LIMIT 1")
    accounts = [rows[0]["a"], rows[0]["b"]]
    return {p.name: accounts[i % 2] for i, p in enumerate(query.params) if p.required}


@pytest.mark.parametrize("query", LIBRARY, ids=lambda q: q.name)
def test_every_library_query_plans_and_runs(loaded: Graph, query: QueryDef) -> None:
    values = parse_values(list(query.params), example_values(loaded, query))
    statement = check_text(query.body)
    plan = readonly.explain(loaded, statement, values)
    check_plan(plan.query_type, plan.plan)
    result = run_query(loaded, query.body, values, actor="test", target=query.name,
                       limits=QueryLimits(60, 5000, 20_000_000))
    assert result.columns
    assert not result.truncated
    json.dumps(result.as_dict(), default=str)


def test_the_hunting_queries_find_something_on_planted_networks(loaded: Graph) -> None:
    found = {}
    for name in ("payment_shared_with_banned", "template_reuse", "proxy_providers_ranked",
                 "token_spend_by_network", "shortest_path_between_accounts",
                 "network_members_graph", "account_neighbourhood"):
        query = store.get_query(loaded, name, None)
        values = parse_values(list(query.params), example_values(loaded, query))
        found[name] = run_query(loaded, query.body, values, actor="test", target=name)
    for name, result in found.items():
        assert result.records, f"{name} found nothing"
    assert found["shortest_path_between_accounts"].graph().edges
    assert found["network_members_graph"].graph().nodes


def test_paths_show_their_direction_in_cells(loaded: Graph) -> None:
    from app.queries.results import cell

    result = run_query(loaded, "MATCH p = (:Account)-[:PAID_WITH]->(:Payment)<-[:PAID_WITH]-"
                               "(:Account) RETURN p LIMIT 1", {}, actor="test")
    text = cell(result.records[0][0]).text
    assert "-[:PAID_WITH]-> Payment" in text and "<-[:PAID_WITH]- Account" in text


def test_grown_networks_are_found_after_a_second_run(loaded: Graph) -> None:
    run_detection(loaded)
    query = store.get_query(loaded, "networks_grown_since_last_run", None)
    result = run_query(loaded, query.body, parse_values(list(query.params),
                                                        {"min_growth": "0"}),
                       actor="test", target=query.name)
    assert result.records, "the second run continues the first run's networks"
    previous = result.columns.index("previous_size")
    assert all(row[previous] is not None for row in result.records)


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_guard_refuses_and_the_graph_is_unchanged(loaded: Graph, attack: str) -> None:
    before = counts(loaded)
    with pytest.raises(QueryRefused) as refusal:
        run_query(loaded, attack, {}, actor="mallory", target="ad-hoc")
    assert str(refusal.value).strip()
    assert counts(loaded) == before
    assert not loaded.run_text("MATCH (n:Pwned) RETURN n LIMIT 1")
    assert not loaded.run_text("MATCH (n) WHERE n.pwned IS NOT NULL RETURN n LIMIT 1")


def test_writes_are_refused_as_refusals_with_a_reason(loaded: Graph) -> None:
    for attack, reason in (("MATCH (n) DETACH DELETE n", "change the graph"),
                           ("LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l", "LOAD CSV"),
                           ("CALL apoc.help('x')", "apoc.help"),
                           ("SHOW USERS", "administration"),
                           ("RETURN 1; CREATE (n)", "one statement")):
        with pytest.raises(QueryRefused, match=reason):
            run_query(loaded, attack, {}, actor="mallory")


def test_a_runaway_query_stops_at_the_timeout(loaded: Graph) -> None:
    limits = QueryLimits(timeout_seconds=1, max_rows=100, max_bytes=1_000_000)
    # Both would run for hours, however fast the machine: 10^12 numbers, and every
    # four sessions of the test graph (CI once finished a smaller product inside 1 s).
    for runaway in ("UNWIND range(1, 1000000000000) AS x WITH x WHERE x = -1 RETURN x",
                    "MATCH (a:Session), (b:Session), (c:Session), (d:Session) "
                    "WHERE a.requests + b.requests + c.requests + d.requests < 0 "
                    "RETURN count(*)"):
        with pytest.raises(QueryTimeout, match="1 s timeout"):
            run_query(loaded, runaway, {}, actor="test", limits=limits)
    rows = loaded.run_text("MATCH (e:AuditEvent {action: 'query.run', outcome: 'timeout'}) "
                           "RETURN count(e) AS c")
    assert rows[0]["c"] >= 2


def test_rows_and_bytes_are_capped(loaded: Graph) -> None:
    result = run_query(loaded, "UNWIND range(1, 5000) AS x RETURN x", {}, actor="test",
                       limits=QueryLimits(10, 100, 1_000_000))
    assert len(result.records) == 100 and result.stopped == "rows"
    assert "100 rows" in result.stop_message()
    big = run_query(loaded, "UNWIND range(1, 500) AS x RETURN x, range(1, 1000) AS pad", {},
                    actor="test", limits=QueryLimits(10, 1000, 20_000))
    assert big.stopped == "bytes" and 0 < len(big.records) < 500


def test_every_run_is_audited(loaded: Graph) -> None:
    run_query(loaded, "MATCH (a:Account) RETURN count(a) AS n", {"unused": 1}, actor="audra",
              source="127.0.0.9")
    with pytest.raises(QueryRefused):
        run_query(loaded, "CREATE (n)", {}, actor="audra", source="127.0.0.9")
    events = loaded.run_text("MATCH (e:AuditEvent {action: 'query.run', actor: 'audra'}) "
                             "RETURN e.outcome AS outcome, e.target AS target, "
                             "e.source AS source, e.details AS details ORDER BY e.at")
    assert [e["outcome"] for e in events] == ["ok", "refused"]
    first = json.loads(events[0]["details"])
    assert first["rows"] == 1 and "duration_ms" in first and first["parameters"] == {
        "unused": 1}
    assert events[0]["target"] == "ad-hoc" and events[0]["source"] == "127.0.0.9"
    assert "refused" in json.loads(events[1]["details"])["message"]


def test_admins_set_limits_within_the_ceilings(loaded: Graph) -> None:
    limits = set_limits(loaded, "root", timeout_seconds=5, max_rows=200, max_bytes=100_000)
    assert current_limits(loaded).max_rows == 200 and limits.updated_by == "root"
    result = run_query(loaded, "UNWIND range(1, 1000) AS x RETURN x", {}, actor="test")
    assert len(result.records) == 200
    with pytest.raises(LimitsError, match="row cap"):
        set_limits(loaded, "root", timeout_seconds=5, max_rows=10**9, max_bytes=100_000)
    loaded.run_text("MATCH (l:QueryLimits) DELETE l")


def test_own_queries_are_versioned_private_or_shared(loaded: Graph) -> None:
    ana = User("ana", "analyst")
    bob = User("bob", "analyst")
    vic = User("vic", "viewer")
    query = store.build_query("Big accounts", "Accounts with many sessions", "Mine",
                              "min_sessions int(1..) = 50 -- Sessions at least",
                              "MATCH (a:Account) WHERE a.sessions >= $min_sessions "
                              "RETURN a.account_id AS account LIMIT 10", shared=False)
    query_id = store.save_new(loaded, ana, query)
    assert store.get_query(loaded, query_id, ana).owner == "ana"
    with pytest.raises(UnknownQuery):
        store.get_query(loaded, query_id, bob)
    assert query_id not in {q.name for q in store.list_queries(loaded, bob)}
    shared = store.build_query("Big accounts", "now shared", "Mine",
                               "min_sessions int = 20",
                               "MATCH (a:Account) WHERE a.sessions >= $min_sessions "
                               "RETURN a.account_id AS account LIMIT 10", shared=True)
    assert store.update(loaded, ana, query_id, shared) == 2
    seen, versions = store.get_saved(loaded, query_id, bob)
    assert seen.shared and seen.version == 2 and versions[0]["version"] == 1
    assert query_id not in {q.name for q in store.list_queries(loaded, vic)}
    with pytest.raises(store.SavedQueryError, match="only ana"):
        store.update(loaded, bob, query_id, shared)
    writer = store.build_query("Sneaky", "", "", "", "MATCH (a:Account) SET a.x = 1 "
                               "RETURN count(a)", shared=True)
    with pytest.raises(QueryRefused, match="change the graph"):
        store.save_new(loaded, ana, writer)
    with pytest.raises(QueryRefused):
        store.update(loaded, ana, query_id, writer)
    result = run_query(loaded, seen.body, params_for(seen, {}), actor="bob", target=query_id)
    assert result.columns == ["account"]
    exported = seen.text
    again = store.import_file(loaded, bob, exported, shared=False)
    assert store.get_query(loaded, again, bob).body == seen.body
    store.delete(loaded, ana, query_id)
    with pytest.raises(UnknownQuery):
        store.get_query(loaded, query_id, ana)


@pytest.mark.parametrize("fields, problem", [
    (("", "", "", "", "RETURN 1", False), "title"),
    (("T", "", "", "", "CREATE (n) RETURN n", False), None),
    (("T", "", "", "", "RETURN $x", False), "declare"),
    (("T", "", "", "y int = 1", "RETURN 1", False), "not used"),
    (("T", "", "", "y nosuch", "RETURN $y", False), "unknown type"),
    (("T", "", "", "", "LOAD CSV FROM 'x' AS l RETURN l", False), "LOAD CSV"),
])
def test_own_queries_are_checked_before_saving(fields: tuple[Any, ...],
                                               problem: str | None) -> None:
    # A write passes the text check; the plan check refuses it when it runs.
    if problem is None:
        store.build_query(*fields)
        return
    with pytest.raises((store.SavedQueryError, QueryRefused), match=problem):
        store.build_query(*fields)


def test_queries_wait_for_a_free_slot_then_say_busy(loaded: Graph) -> None:
    # Every slot taken (here by the test itself): a query waits up to its timeout,
    # then says the graph is busy instead of piling onto Neo4j's memory.
    limits = QueryLimits(timeout_seconds=0.3, max_rows=10, max_bytes=100_000)
    slots = loaded.settings.query_slots
    held = [runner._slot(loaded, limits) for _ in range(slots)]
    for slot in held:
        slot.__enter__()
    try:
        with pytest.raises(QueryFailed, match="busy"):
            run_query(loaded, "RETURN 1 AS one", {}, actor="test", limits=limits)
    finally:
        for slot in held:
            slot.__exit__(None, None, None)
    assert run_query(loaded, "RETURN 1 AS one", {}, actor="test",
                     limits=limits).records == [[1]]
