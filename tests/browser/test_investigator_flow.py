"""An investigator's first minutes, in real Chromium: sign in, open the top
network, see its graph, click through to an account, search an address."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot


def test_sign_in_network_graph_account_search(signed_in_page: Page, live_url: str) -> None:
    page = signed_in_page
    expect(page.locator("h1")).to_contain_text("Suspected networks")
    screenshot(page, "01-dashboard")

    top = page.locator("#networks tbody tr a[href^='/networks/']").first
    network_id = top.inner_text()
    top.click()
    expect(page.locator("h1")).to_contain_text(network_id)
    graph = page.locator("#network-graph")
    expect(graph).to_have_attribute("data-drawn", re.compile(r"^[1-9]\d*$"), timeout=20_000)
    assert graph.locator("canvas").count() > 0, "cytoscape drew on a canvas"
    box = graph.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 300
    # The lazy panels arrive through htmx.
    expect(page.locator("#infrastructure table").first).to_be_visible(timeout=15_000)
    expect(page.locator("table.heatmap")).to_be_visible(timeout=15_000)
    screenshot(page, "02-network")

    address = page.locator("#infrastructure a[href^='/addresses/']").first.inner_text()
    member = page.locator("#members tbody tr a[href^='/accounts/']").first
    account_id = member.inner_text()
    member.click()
    expect(page.locator("h1")).to_contain_text(account_id)
    expect(page.locator(f"a[href^='/networks/{network_id}']").first).to_be_visible()
    screenshot(page, "03-account")

    # Search from the top bar, then type on the search page: results as you type.
    page.fill(".topsearch input[name=q]", address[:6])
    page.press(".topsearch input[name=q]", "Enter")
    expect(page.locator("#search-q")).to_have_value(address[:6])
    page.fill("#search-q", address)
    hit = page.locator(f"#search-results a[href='/addresses/{address}']")
    expect(hit).to_be_visible(timeout=10_000)
    assert page.url.endswith(f"q={address}") or "q=" in page.url, "the search state has a URL"
    screenshot(page, "04-search")
    hit.click()
    expect(page.locator("h1")).to_contain_text(address)
    expect(page.locator(f"a[href^='/networks/{network_id}']").first).to_be_visible()
    screenshot(page, "05-address")
