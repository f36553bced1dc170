"""The browser suite: real headless Chromium (Debian's package) driven by
Playwright against the app served by uvicorn on a free port, over the
session's real Neo4j. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from app.auth.users import create_user
from app.config import Settings
from app.db.graph import Graph
from app.db.migrations import clear_graph
from app.detect.run import run_detection
from app.ingest import load_directory
from app.synth.generator import generate
from app.web.app import create_app
from tests.conftest import served

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
ANALYST, PASSWORD = "ada", "browser-suite-pass"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("Chromium is not installed: run 'make install' (it installs Debian's "
                    "chromium package)")
    return found


@pytest.fixture(scope="session")
def live_url(neo4j_settings: Settings) -> Iterator[str]:
    """The app served over HTTP by uvicorn in a thread."""
    with served(create_app(neo4j_settings)) as url:
        yield url


@pytest.fixture(scope="module")
def browser_data(driver_graph: Graph, tmp_path_factory: pytest.TempPathFactory) -> Graph:
    """A generated data set, loaded and detected, with an analyst login (once per module)."""
    out = tmp_path_factory.mktemp("browser") / "data"
    generate(out, accounts=800, seed=5)
    clear_graph(driver_graph)
    load_directory(driver_graph, out, out.parent / "rejects.csv", progress=False)
    run_detection(driver_graph)
    create_user(driver_graph, ANALYST, PASSWORD, "analyst")
    return driver_graph


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(),
                                              args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def signed_in_page(browser: Browser, browser_data: Graph, live_url: str) -> Iterator[Page]:
    """A fresh browser page signed in as an analyst, failing the test on any page error."""
    context = browser.new_context(viewport={"width": 1360, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # The pages must work under the strict Content-Security-Policy.
    page.on("console", lambda msg: errors.append(msg.text)
            if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text
            else None)
    page.goto(f"{live_url}/login")
    page.fill("input[name=username]", ANALYST)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_url}/")
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"script errors or policy violations in the page: {errors}"


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
