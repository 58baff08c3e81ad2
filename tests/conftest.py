"""Fixtures for the whole suite: where the real MNIST is, strict NumPy, a headless browser.

``mnist_dir`` is the one way a test finds MNIST: ``$MNIST_DIR``, else ../shared/datasets/mnist
beside the checkout (where CI puts it); a test that asks for it is skipped without the files.

The browser is the system Chromium (Debian's ``chromium`` package, see ``.ci/install-browser``)
driven by Playwright; Playwright's own browser download is never needed. Without Playwright or
Chromium the browser tests are skipped with a message saying what to install.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
# Read when the suite starts: some tests clear MNIST_DIR to keep the loader away from it.
MNIST = Path(os.environ.get("MNIST_DIR") or ROOT.parent / "shared" / "datasets" / "mnist")
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
               "t10k-labels-idx1-ubyte")


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder with the real MNIST files (each gzipped or not); skips the test without it."""
    if not all((MNIST / name).exists() or (MNIST / f"{name}.gz").exists()
               for name in MNIST_FILES):
        pytest.skip(f"real MNIST not found at {MNIST}; set MNIST_DIR to the folder with the four "
                    f"IDX files")
    return MNIST


@pytest.fixture
def strict_numpy():
    """NumPy warnings are errors (overflow, divide, invalid); underflow to 0 is fine."""
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"), \
            warnings.catch_warnings():
        warnings.simplefilter("error")
        yield




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
    # an English browser: pages that follow the browser's language open in English
    context = chromium.new_context(viewport={"width": 1280, "height": 820}, locale="en-US")
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
