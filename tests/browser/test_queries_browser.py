"""In a real browser: pick a library query, fill its form, see the table and the
graph, download the CSV.

Uses the browser fixtures of tests/browser/conftest.py (from the main branch):
`live_url` (a served app over a loaded, detected data set) and `signed_in_page`
(a Playwright page signed in as an investigator).
"""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import screenshot


def test_pick_fill_run_see_table_and_graph_download_csv(live_url: str,
                                                        signed_in_page: Any) -> None:
    page = signed_in_page
    page.goto(f"{live_url}/queries")
    screenshot(page, "05b-query-library")
    page.fill("input[name=q]", "payment graph")
    page.wait_for_selector("#query-list a:has-text('Payment links around banned accounts')")
    page.click("#query-list a:has-text('Payment links around banned accounts')")
    page.fill("form.query-form input[name=limit]", "25")
    page.click("form.query-form button[type=submit]")
    page.wait_for_selector("#results table tbody tr")
    assert "run=1" in page.url and "limit=25" in page.url
    rows = page.locator("#results table tbody tr").count()
    assert 0 < rows <= 25
    assert page.locator("#results a[href^='/accounts/']").count() > 0
    graph = page.locator("div.graph[data-graph-source=graph-data]")
    assert graph.count() == 1
    assert '"edges"' in (page.locator("script#graph-data").text_content() or "")
    # Drawn by static/graph.js (cytoscape) once it is on the page.
    page.wait_for_function("document.querySelector('div.graph canvas') !== null",
                           timeout=10_000)
    screenshot(page, "06-query-results")
    with page.expect_download() as download:
        page.click("#results a:has-text('CSV')")
    path = download.value.path()
    assert path is not None
    with open(path, encoding="utf-8") as fh:
        assert fh.readline().strip() == "path"
