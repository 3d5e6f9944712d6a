"""Fixtures for real-browser tests: Chromium via Playwright, JupyterLab/Notebook 7, Voilà,
exported HTML. Servers are started once per session on free loopback ports and share one
directory of notebooks; every test gets a fresh browser context with its console recorded.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import harness


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = pathlib.Path(__file__).parent
    for item in items:
        if here in pathlib.Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not harness.chromium_available():
        message = (f"Chromium not found at {harness.CHROMIUM}: install Debian's chromium "
                   "(apt-get install chromium) to run the browser tests")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=harness.CHROMIUM,
                                      args=harness.CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    ctx.set_default_timeout(60_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


@pytest.fixture
def console(page: Any) -> harness.ConsoleLog:
    """Errors the page logs; attached before the test navigates anywhere."""
    log = harness.ConsoleLog()
    log.attach(page)
    return log


@pytest.fixture
def offline_page(browser: Any) -> Iterator[tuple[Any, harness.ConsoleLog]]:
    """A page in a context with the network disabled, for exported HTML opened from file://."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, offline=True)
    ctx.set_default_timeout(30_000)
    requests: list[str] = []
    ctx.on("request", lambda req: requests.append(req.url))
    pg = ctx.new_page()
    log = harness.ConsoleLog()
    log.attach(pg)
    try:
        yield pg, log
        outside = [u for u in requests if not u.startswith(("file:", "blob:", "data:"))]
        assert not outside, f"the exported page tried to reach the network: {outside}"
    finally:
        ctx.close()


@pytest.fixture(scope="session")
def notebook_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return tmp_path_factory.mktemp("notebooks")


@pytest.fixture(scope="session")
def jupyter(notebook_dir: pathlib.Path, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[harness.Server]:
    with harness.served(harness.start_jupyter, notebook_dir,
                        tmp_path_factory.mktemp("jupyter-home")) as server:
        yield server


@pytest.fixture(scope="session")
def voila(notebook_dir: pathlib.Path, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[harness.Server]:
    with harness.served(harness.start_voila, notebook_dir,
                        tmp_path_factory.mktemp("voila-home")) as server:
        yield server


def open_export(page: Any, path: pathlib.Path) -> None:
    """Open an exported page from file:// and wait until its widgets are mounted."""
    page.goto(path.resolve().as_uri())
    page.wait_for_selector("body[data-dlw-ready='true']")
