"""Sharing in the browser: an analyst confirms a case from its page with the
keyboard and the timeline says it was published; an admin gives a partner a
token on the partners page, and the partner's read shows there."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from app import cases, explore
from app.auth.users import create_user
from app.db.graph import Graph
from app.sharing.collections import DEFAULT, key_file, store_key
from tests.browser.conftest import screenshot

ADMIN, PASSWORD = "root", "browser-suite-admin"


@pytest.fixture
def keyed(browser_data: Graph) -> Iterator[Graph]:
    """The default collection has its partners' key for the test (a key file)."""
    store_key(browser_data, DEFAULT, b"browser-suite-sharing-key")
    try:
        yield browser_data
    finally:
        key_file(browser_data, DEFAULT).unlink(missing_ok=True)


def _admin_page(browser: Browser, live_url: str) -> Page:
    page = browser.new_context(viewport={"width": 1360, "height": 900}).new_page()
    page.goto(f"{live_url}/login")
    page.fill("input[name=username]", ADMIN)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_url}/")
    return page


def test_confirming_a_case_publishes_it_and_a_partner_reads_it(
        keyed: Graph, signed_in_page: Page, browser: Browser, live_url: str) -> None:
    run = explore.latest_run(keyed)
    assert run
    network = explore.list_networks(keyed, run["run_id"], suspected_only=True, min_score=0,
                                    min_size=1, sort="size", descending=True, page=1,
                                    per_page=1).rows[0]
    case_id = cases.create_from_network(keyed, network["network_id"], "Shared farm", "ada")
    page = signed_in_page
    page.goto(f"{live_url}/cases/{case_id}")
    status = page.locator("form.case-form select[name=status]")
    status.focus()
    status.select_option("confirmed")
    page.locator("form.case-form input[name=assignee]").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("changed status from “open” to “confirmed”")
    expect(timeline).to_contain_text(f"published to {DEFAULT}")
    screenshot(page, "case-published")

    create_user(keyed, ADMIN, PASSWORD, "admin")
    admin = _admin_page(browser, live_url)
    admin.goto(f"{live_url}/admin/partners")
    expect(admin.locator(".empty").first).to_contain_text("No partners yet")
    admin.fill("input[name=name]", "Provider B")
    admin.fill("input[name=expires_days]", "90")
    admin.keyboard.press("Enter")
    token = admin.locator("#new-token").input_value()
    assert token.startswith("hsp_")
    collection = admin.locator("#collections tbody tr", has_text=DEFAULT)
    collection_id = collection.locator("td.mono").inner_text().strip()
    fetched = httpx.get(f"{live_url}/taxii2/api/collections/{collection_id}/objects/",
                        headers={"Accept": "application/taxii+json;version=2.1",
                                 "Authorization": f"Bearer {token}"})
    assert fetched.status_code == 200
    assert any(o["type"] == "intrusion-set" for o in fetched.json()["objects"])
    admin.goto(f"{live_url}/admin/partners")
    row = admin.locator("#partners tbody tr", has_text="Provider B")
    expect(row).to_contain_text("active")
    expect(admin.locator("#reads")).to_contain_text("Provider B")
    screenshot(admin, "admin-partners")
    admin.context.close()
