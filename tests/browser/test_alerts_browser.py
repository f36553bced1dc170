"""The alerts inbox in real Chromium: an alert raised by an arriving batch shows in
the inbox and in the top bar's count, is assigned, acknowledged, and links to its
network, whose page lists it in its alert history."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from app.alerts import raise_banned_infrastructure
from app.db.graph import Graph
from app.ingest import load_directory
from app.ingest.contract import ACCOUNTS, SESSIONS
from app.synth.tables import write_table
from tests.browser.conftest import screenshot


@pytest.fixture(scope="module")
def raised(browser_data: Graph, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A member of a flagged network is banned; a new account of a later batch comes
    through its address (one few others use, all of them in its network): one
    banned_infrastructure alert on that network."""
    graph = browser_data
    [run] = graph.run_text("MATCH (r:DetectionRun {status: 'complete'}) RETURN r.run_id AS id "
                           "ORDER BY r.started_at DESC LIMIT 1")
    [member] = graph.run_text(
        "MATCH (a:Account)-[m:MEMBER_OF {run_id: $run, flagged: true}]->(n:Network), "
        "(a)-[:USED_IP]->(e:IP) "
        "WHERE COUNT { (e)<-[:USED_IP]-() } <= 5 "
        "  AND NOT EXISTS { (e)<-[:USED_IP]-(b:Account) WHERE NOT EXISTS { "
        "    (b)-[:MEMBER_OF {run_id: $run, flagged: true}]->(n) } } "
        "RETURN a.account_id AS account, n.network_id AS network, e.address AS address "
        "ORDER BY n.network_id, a.account_id, e.address LIMIT 1", run=run["id"])
    graph.run_text("MATCH (a:Account {account_id: $id}) SET a.status = 'banned'",
                   id=member["account"])
    folder: Path = tmp_path_factory.mktemp("alert-batch")
    write_table(folder, ACCOUNTS, [{"account_id": "new-head-1",
                                    "created_at": "2026-06-01T00:00:00Z"}])
    write_table(folder, SESSIONS, [{"session_id": "new-head-1-s1", "account_id": "new-head-1",
                                    "started_at": "2026-06-01T10:00:00Z",
                                    "ip": member["address"], "requests": 4,
                                    "model": "m"}])
    report = load_directory(graph, folder, folder / "rejects.csv", progress=False)
    [alert] = raise_banned_infrastructure(graph, report.load_id, "batch-0601", run["id"])
    assert alert.network_id == member["network"]
    return {"alert": alert.alert_id, "network": member["network"]}


def test_an_alert_is_listed_acknowledged_and_links_to_its_network(
        signed_in_page: Page, live_url: str, raised: dict[str, str]) -> None:
    page = signed_in_page
    page.goto(f"{live_url}/")
    expect(page.locator(".topbar .alerts-link .count")).to_have_text("1")
    page.click(".topbar .alerts-link")
    row = page.locator(f"#alert-{raised['alert']}")
    expect(row).to_be_visible()
    expect(row).to_contain_text("banned infrastructure")
    expect(row).to_contain_text("new-head-1")
    expect(row.locator(".badge")).to_have_text("open")
    screenshot(page, "20-alerts-inbox")

    row.get_by_role("button", name="Assign to me").click()
    page.wait_for_url(f"{live_url}/alerts*")
    row = page.locator(f"#alert-{raised['alert']}")
    expect(row).to_contain_text("ada")
    expect(row.get_by_role("button", name="Unassign")).to_be_visible()
    page.select_option("select[name=assigned]", "nobody")
    page.click("form.filters button[type=submit]")
    expect(page.locator(f"#alert-{raised['alert']}")).to_have_count(0)  # assigned to ada
    page.select_option("select[name=assigned]", "me")
    page.click("form.filters button[type=submit]")
    row = page.locator(f"#alert-{raised['alert']}")
    expect(row).to_be_visible()

    row.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url(f"{live_url}/alerts?*")
    expect(page.locator(f"#alert-{raised['alert']}")).to_have_count(0)  # no longer open
    expect(page.locator(".topbar .alerts-link .count")).to_have_count(0)
    page.select_option("select[name=status]", "acknowledged")
    page.click("form.filters button[type=submit]")
    row = page.locator(f"#alert-{raised['alert']}")
    expect(row.locator(".badge")).to_have_text("acknowledged")
    expect(row).to_contain_text("by ada")
    screenshot(page, "21-alert-acknowledged")

    row.locator(f"a[href^='/networks/{raised['network']}']").click()
    expect(page.locator("h1")).to_contain_text(raised["network"])
    history = page.locator("#alert-history")
    expect(history).to_contain_text("banned infrastructure")
    expect(history.locator(".badge")).to_have_text("acknowledged")
    expect(history).to_contain_text("ada")  # assigned to
    screenshot(page, "22-network-alert-history")
