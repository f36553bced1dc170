"""Case life-cycle against the real Neo4j: open, freeze, change, notes, evidence, timeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import cases, explore
from app.cases.analysis import activity, shared_infrastructure
from app.db.graph import Graph
from app.detect.run import run_detection
from app.ingest import load_directory
from app.synth.generator import generate


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cases") / "data"
    generate(out, accounts=800, seed=5)
    return out


@pytest.fixture
def loaded(graph: Graph, data: Path, tmp_path: Path) -> Graph:
    load_directory(graph, data, tmp_path / "r.csv", progress=False)
    run_detection(graph)
    return graph


def suspected(graph: Graph) -> dict:
    run = explore.latest_run(graph)
    assert run
    page = explore.list_networks(graph, run["run_id"], suspected_only=True, min_score=0,
                                 min_size=1, sort="size", descending=True, page=1, per_page=5)
    assert page.rows, "the generated data has no suspected network"
    return page.rows[0]


def test_shared_infrastructure_keeps_what_two_accounts_share() -> None:
    links = [
        {"account_id": "a", "kind": "ip", "key": "10.0.0.1", "sessions": 3,
         "network_type": "proxy"},
        {"account_id": "b", "kind": "ip", "key": "10.0.0.1", "sessions": 2},
        {"account_id": "a", "kind": "device", "key": "d1", "sessions": 1},
    ]
    entities = shared_infrastructure(links, members=2)
    assert [(e["kind"], e["key"], e["accounts"], e["sessions"]) for e in entities] == [
        ("ip", "10.0.0.1", 2, 5)]
    assert entities[0]["members"] == ["a", "b"]
    assert entities[0]["network_type"] == "proxy"
    assert len(shared_infrastructure(links[2:], members=1)) == 1


def test_activity_adds_up_days_hours_and_signups() -> None:
    rows = [{"day": "2026-01-02", "hour": 3, "sessions": 2, "tokens": 10, "reasoning": 1},
            {"day": "2026-01-01", "hour": 3, "sessions": 1, "tokens": 5, "reasoning": 0}]
    result = activity(rows, ["2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z", None])
    assert [d["day"] for d in result["days"]] == ["2026-01-01", "2026-01-02"]
    assert result["hours"][3] == 3
    assert result["signups"] == [{"day": "2026-01-01", "accounts": 2}]


def test_a_case_freezes_its_network_and_later_runs_do_not_change_it(loaded: Graph) -> None:
    network = suspected(loaded)
    case_id = cases.create_from_network(loaded, network["network_id"], "Reasoning farm",
                                        "alice")
    assert case_id.startswith("CASE-")
    case = cases.get_case(loaded, case_id)
    assert case["status"] == "open" and case["title"] == "Reasoning farm"
    assert case["members_count"] == network["size"]
    assert case["snapshot"]["network"]["score"] == network["score"]
    assert case["snapshot"]["run"]["params"]
    before = cases.case_content(loaded, case_id)
    assert before["entities"], "no shared infrastructure found"
    assert before["activity"]["days"]

    # A later run: the network's members change in the graph, the case does not.
    loaded.run_text("MATCH (a:Account)-[m:MEMBER_OF]->() WITH a, m LIMIT 5 DELETE m")
    run_detection(loaded)
    after = cases.case_content(loaded, case_id)
    assert after["members"] == before["members"]
    assert after["snapshot"] == before["snapshot"]
    assert cases.content_digest(after) == cases.content_digest(before)

    # One network, one case: a second is refused until the first is finished.
    with pytest.raises(cases.CaseExists) as exists:
        cases.create_from_network(loaded, network["network_id"], "Again", "bob")
    assert exists.value.case_id == case_id
    cases.update_case(loaded, case_id, "alice", status="closed")
    assert cases.create_from_network(loaded, network["network_id"], "Regrown", "bob") != case_id


def test_update_notes_accounts_entities_and_timeline(loaded: Graph) -> None:
    network = suspected(loaded)
    case_id = cases.create_from_network(loaded, network["network_id"], "Wave", "alice")
    changes = cases.update_case(loaded, case_id, "alice", status="investigating",
                                priority="high", assignee="bob")
    assert changes["status"] == ["open", "investigating"]
    assert cases.update_case(loaded, case_id, "alice", status="investigating") == {}
    with pytest.raises(cases.CaseError):
        cases.update_case(loaded, case_id, "alice", status="nonsense")
    cases.add_note(loaded, case_id, "Same proxy pool as last month.", "bob")
    with pytest.raises(cases.CaseError):
        cases.add_note(loaded, case_id, "   ", "bob")

    members = cases.case_members(loaded, case_id)
    outsider = loaded.run_text(
        "MATCH (a:Account) WHERE NOT a.account_id IN $ids RETURN a.account_id AS id LIMIT 1",
        ids=[m["account_id"] for m in members])[0]["id"]
    assert cases.add_accounts(loaded, case_id, [outsider], "bob") == 1
    assert cases.remove_accounts(loaded, case_id, [members[0]["account_id"]], "bob") == 1
    ids = {m["account_id"] for m in cases.case_members(loaded, case_id)}
    assert outsider in ids and members[0]["account_id"] not in ids
    with pytest.raises(cases.CaseError):
        cases.add_accounts(loaded, case_id, ["no-such-account"], "bob")

    entity = cases.case_entities(loaded, case_id)[0]
    assert cases.remove_entity(loaded, case_id, entity["kind"], entity["key"], "bob") == 1
    assert cases.add_entity(loaded, case_id, entity["kind"], entity["key"], "bob")
    with pytest.raises(cases.CaseError):
        cases.add_entity(loaded, case_id, "ip", "203.0.113.254", "bob")

    pinned = cases.pin_evidence(loaded, case_id, "query", "Shared proxies",
                                "MATCH (n) RETURN n LIMIT $n", {"n": 5}, ["n"], [[1], [2]],
                                "2026-01-01T00:00:00+00:00", "bob")
    evidence = cases.case_evidence(loaded, case_id)
    assert evidence[0]["evidence_id"] == pinned and evidence[0]["rows"] == [[1], [2]]
    assert evidence[0]["params"] == {"n": 5}

    actions = [e["action"] for e in cases.timeline(loaded, case_id)]
    assert actions[0] == "case.create"
    for action in ("case.update", "case.note", "case.accounts.add", "case.accounts.remove",
                   "case.entity.add", "case.entity.remove", "case.evidence.pin"):
        assert action in actions

    listed = cases.list_cases(loaded, status="investigating", assignee="bob")
    assert [r["case_id"] for r in listed.rows] == [case_id]
    assert cases.list_cases(loaded, status="closed").total == 0


def test_a_case_from_selected_accounts(loaded: Graph) -> None:
    ids = [r["id"] for r in loaded.run_text(
        "MATCH (a:Account) RETURN a.account_id AS id ORDER BY id LIMIT 3")]
    case_id = cases.create_from_accounts(loaded, [*ids, "ghost"], "Three", "alice")
    content = cases.case_content(loaded, case_id)
    assert sorted(m["account_id"] for m in content["members"]) == ids
    assert content["snapshot"]["source"] == "accounts"
    with pytest.raises(cases.CaseError):
        cases.create_from_accounts(loaded, ["ghost"], "None", "alice")
    with pytest.raises(cases.CaseNotFound):
        cases.get_case(loaded, "CASE-99999")


def test_notes_are_escaped_with_a_safe_subset_of_markdown() -> None:
    from app.cases.markdown import render_note

    html = str(render_note("<script>alert(1)</script> **bold** [x](javascript:alert(1))\n\n"
                           "- *one*\n- [two](https://example.com/a?b=1&c=2)"))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<strong>bold</strong>" in html
    assert "href=\"javascript" not in html and "x (javascript:alert(1)" in html
    assert "<li><em>one</em></li>" in html
    assert 'href="https://example.com/a?b=1&amp;c=2"' in html
    assert "<img" not in str(render_note('<img src=x onerror="alert(1)">'))
