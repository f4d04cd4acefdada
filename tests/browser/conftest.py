"""Playwright on Debian's chromium against pytest-django's live server (real HTTP).

Skipped with a reason when chromium is not installed, except where
``SAMBANDH_REQUIRE_SERVICES=1`` (CI), where a missing browser fails the run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = _chromium()
    if executable is None:
        if os.environ.get("SAMBANDH_REQUIRE_SERVICES") == "1":
            pytest.fail("chromium is required here (SAMBANDH_REQUIRE_SERVICES=1) but not installed")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between browser steps are still plain synchronous calls. Only while the browser runs,
    # so the variable never reaches other tests' subprocesses.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            try:
                yield instance
            finally:
                instance.close()
                # Code inside sync_playwright() runs in a greenlet with contextvars of its own,
                # so the ORM opened a database connection of its own there: closed here, or
                # it would keep the test database from being dropped at the end of the run.
                from django.db import connections

                connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def screenshot(page: Any, request: pytest.FixtureRequest) -> Any:
    """``screenshot("name")`` saves test-artifacts/screenshots/<test>-<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def to_docs(shot: Path, name: str) -> None:
    """Copy a screenshot into docs/screenshots (the README's tour) when asked to with
    ``SAMBANDH_DOCS_SCREENSHOTS=1``: a test run never rewrites tracked files on its own."""
    if os.environ.get("SAMBANDH_DOCS_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS / name)
