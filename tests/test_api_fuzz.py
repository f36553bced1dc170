"""Schemathesis against the app's own /openapi.json, in process, as an admin with a
Bearer token, against the test session's real Neo4j holding a small detected data
set, a case, a pinned result and a saved query.

Every operation of the schema is fuzzed (nothing excluded: the API has no route
that signs a token out or deletes data). The checks: no 5xx, every status code is
one the schema documents, every JSON answer matches its documented schema, and
the documented content type is the one sent.

Bounded for CI: a few examples per operation, no deadline (the graph answers in
its own time), derandomized so a run is the same run every time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import cases, explore
from app.auth.tokens import create_token
from app.auth.users import User, create_user
from app.config import Settings, load_settings
from app.db.graph import Graph
from app.db.migrations import clear_graph
from app.detect.run import run_detection
from app.ingest import load_directory
from app.kinds import ENTITY_KINDS
from app.queries import store
from app.synth.generator import generate
from app.web.app import create_app
from tests.test_web import PASSWORD

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance,
          content_type_conformance]
MAX_EXAMPLES = 12


class FuzzTargets:
    """The admin's token, and what the fuzzer may aim at besides random text: ids
    that exist (filled in by the fixture, read while cases are generated)."""

    def __init__(self) -> None:
        self.token = ""
        self.known: dict[str, list[str]] = {}


FUZZ = FuzzTargets()


# The schema does not depend on the settings: read it from an app that never starts,
# and send every call to the app of the fixture below (started against the test graph).
# (schemathesis.pytest.from_fixture would load it lazily, but its node-id rewriting
# does not work with pytest 9.)
schema = schemathesis.openapi.from_dict(create_app(load_settings()).openapi())


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    # Random ids almost always miss (404); half the time aim at one that exists.
    if not isinstance(path_parameters, dict):
        return st.just(path_parameters)
    # Entity keys are known per kind: /api/addresses/{key} aims at addresses.
    where = context.operation.path if context.operation is not None else ""
    known = {k: st.sampled_from(FUZZ.known[f"{where}:{k}" if k == "key" else k])
             for k in path_parameters
             if (f"{where}:{k}" if k == "key" else k) in FUZZ.known}
    if not known:
        return st.just(path_parameters)
    return st.one_of(st.just(path_parameters),
                     st.fixed_dictionaries(known).map(lambda v: {**path_parameters, **v}))


# Bodies that succeed, besides random ones: a case on accounts that exist, a bounded
# read-only query.
GOOD_BODIES = {
    "/api/cases": lambda: {"account_ids": FUZZ.known["account_id"]},
    "/api/queries/run": lambda: {"cypher": "MATCH (a:Account)\nRETURN a.account_id AS id\n"
                                           "LIMIT 5", "params": {}},
}


@schema.hook
def flatmap_body(context: Any, body: Any) -> Any:
    good = GOOD_BODIES.get(context.operation.path if context.operation is not None else "")
    if good is None or not isinstance(body, dict):
        return st.just(body)
    return st.one_of(st.just(body), st.just({**body, **good()}))


@pytest.fixture(scope="module")
def fuzz_app(driver_graph: Graph, neo4j_settings: Settings,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    graph = driver_graph
    clear_graph(graph)
    data = tmp_path_factory.mktemp("fuzz") / "data"
    generate(data, accounts=300, seed=11)
    load_directory(graph, data, Path(data.parent / "rejects.csv"), progress=False)
    run_detection(graph)
    create_user(graph, "ada", PASSWORD, "admin")
    FUZZ.token = create_token(graph, "ada", "fuzz")
    run = explore.latest_run(graph)
    assert run is not None
    networks = explore.list_networks(graph, run["run_id"], suspected_only=False, min_score=0,
                                     min_size=1, sort="score", descending=True, page=1,
                                     per_page=5).rows
    assert networks, "the data set has networks to fuzz"
    network_id = networks[0]["network_id"]
    case_id = cases.create_from_network(graph, network_id, "Fuzz case", "ada")
    cases.pin_evidence(graph, case_id, "query", "pinned", "RETURN 1 AS one", {}, ["one"],
                       [[1]], "2026-01-01T00:00:00Z", "ada")
    query = store.build_query("Own query", "counts plans", "Own", "plan string = free",
                              "MATCH (a:Account {plan: $plan}) RETURN count(a) AS n LIMIT 1",
                              True)
    query_id = store.save_new(graph, User("ada", "admin"), query)
    members = explore.network_members(graph, run["run_id"], network_id, sort="score",
                                      descending=True, page=1, per_page=3, total=3).rows
    entity_keys = {
        f"/api{kind.path}{{key}}:key": [str(row["k"]) for row in graph.run_text(
            f"MATCH (n:{kind.label}) RETURN n.{kind.key} AS k ORDER BY k LIMIT 2")]
        for kind in ENTITY_KINDS.values()}
    FUZZ.known = {
        **{where: keys for where, keys in entity_keys.items() if keys},
        "network_id": [network_id],
        "account_id": [m["account_id"] for m in members],
        "case_id": [case_id],
        "name": [query_id, "account_neighbourhood", "graph_schema"],
    }
    app = create_app(neo4j_settings)
    yield app
    # Schemathesis keeps an app's lifespan (and so its driver) open until told to stop.
    asgi.shutdown_lifespans()


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_answers_as_documented(case: Any, fuzz_app: FastAPI) -> None:
    case.call_and_validate(app=fuzz_app, headers={"Authorization": f"Bearer {FUZZ.token}"},
                           checks=CHECKS)
