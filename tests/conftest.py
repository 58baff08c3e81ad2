"""Browser fixtures: headless Chromium driven by Playwright, for tests of the HTML pages.

The system Chromium is used (Debian's ``chromium`` package, see ``.ci/install-browser``);
Playwright's own browser download is never needed. Without Playwright or Chromium the browser
tests are skipped with a message saying what to install.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("GRAPHGRAD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium browser for the whole session (skips when there is none)."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.skip(
            "browser tests need Playwright: pip install playwright (no `playwright install`: "
            "the system Chromium is used)"
        )
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"browser tests need Chromium at {CHROMIUM}: run .ci/install-browser "
            "(apt-get install chromium chromium-driver) or set GRAPHGRAD_CHROMIUM"
        )
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as err:
            pytest.skip(f"Chromium at {CHROMIUM} did not start: {err}")
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium):
    """A fresh page (own context) that records requests, dialogs and script errors.

    ``page.requests``, ``page.dialogs`` and ``page.errors`` are lists filled as the page runs;
    every dialog is dismissed.
    """
    context = chromium.new_context(viewport={"width": 1280, "height": 820})
    page = context.new_page()
    page.requests = []
    page.dialogs = []
    page.errors = []
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("pageerror", lambda err: page.errors.append(str(err)))

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield page
    context.close()
