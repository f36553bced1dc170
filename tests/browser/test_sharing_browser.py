"""Sharing in the browser: an analyst confirms a case from its page with the
keyboard and the timeline says it was published; an admin gives a partner a
token on the partners page, and the partner's read shows there; what was
shared, taken in again as a partner's bundle, shows on the indicators page
and the network's page."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from app import cases
from app.auth.users import create_user
from app.db.graph import Graph
from app.sharing.collections import DEFAULT, key_file, store_key
from app.sharing.intake import import_bundle
from tests.browser.conftest import screenshot
from tests.conftest import largest_networks

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
    network = largest_networks(keyed)[0]
    case_id = cases.create_from_network(keyed, str(network["network_id"]), "Shared farm",
                                        "ada")
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

    # What A shared, taken in as if a partner had sent it: the indicators page
    # and the network's page show it.
    bundle = {"type": "bundle", "id": "bundle--6b3c1b0e-0a51-4c7a-9d3e-6c1a0c7f0abc",
              "objects": fetched.json()["objects"]}
    intake = import_bundle(keyed, json.dumps(bundle).encode(), "partner.json",
                           key=b"browser-suite-sharing-key", actor="ada")
    assert intake.matched
    page.goto(f"{live_url}/indicators")
    page.fill("form[action=\"/indicators\"] input[name=q]", "hydrascope")
    page.locator("input[name=matched]").check()
    page.locator("form[action=\"/indicators\"] button").click()
    page.wait_for_url("**/indicators?q=hydrascope&matched=true")
    expect(page.locator("#indicators tbody tr").first).to_contain_text("Hydrascope")
    screenshot(page, "partner-indicators")
    page.goto(f"{live_url}/networks/{network['network_id']}")
    expect(page.locator("#partner-reports")).to_contain_text("Hydrascope")
    screenshot(page, "network-partner-reports")
