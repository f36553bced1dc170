"""Masked payment tokens in real Chromium: an analyst reveals one with a click
(htmx, under the strict Content-Security-Policy) and the value appears in place."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from app import explore
from app.db.graph import Graph
from tests.browser.conftest import screenshot
from tests.test_privacy import shared_token


def test_reveal_a_masked_payment_token(signed_in_page: Page, live_url: str,
                                       browser_data: Graph) -> None:
    page = signed_in_page
    found = shared_token(browser_data)
    alias = explore.privacy_of(browser_data).alias("payment", found["token"])
    page.goto(f"{live_url}/networks/{found['network']}")
    masked = page.locator(f"#infrastructure .masked-value:has(a.masked:text-is('{alias}'))")
    expect(masked).to_be_visible(timeout=15_000)
    assert found["token"] not in page.content()
    masked.locator("a.reveal").click()
    revealed = page.locator("#infrastructure .masked-value.revealed").first
    expect(revealed).to_have_text(found["token"], timeout=10_000)
    screenshot(page, "06-revealed-payment-token")
