"""Fixtures for the browser tests: Debian's Chromium driven by Playwright (sync API).

- A browser for each test, with a fresh context (cookies, storage). Playwright's sync API keeps an
  event loop in the test thread while it runs, so it lives only as long as a browser test does:
  pytest-django orders database tests first, and any test after this one must see no loop.
- Never downloads a browser: a missing /usr/bin/chromium fails the run with a clear message.
- Playwright's sync API keeps an event loop running in the test thread, so Django would refuse
  ORM calls there (``SynchronousOnlyOperation``); ``DJANGO_ALLOW_ASYNC_UNSAFE`` lifts that for the
  browser test only and is restored afterwards (left set, it would reach later tests' subprocesses).
- While that loop runs, Django keeps the test thread's database connections in asgiref's
  per-context storage, apart from the ones pytest-django closes; they are closed before the loop
  stops, or the test database could not be dropped at the end of the run.
- Screenshots go to ``test-artifacts/browser/`` (git-ignored); a failing test leaves one too.
- Every page runs under the site's Content-Security-Policy: a violation (Chromium reports each as a
  console error) fails the test that caused it, whatever that test asserts itself.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
TIMEOUT_MS = 10_000


def _file_stem(test_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name).strip("_")


class Screenshots:
    """Numbered full-page screenshots of one test, named after it."""

    def __init__(self, page: Page, test_name: str) -> None:
        self.page = page
        self.prefix = _file_stem(test_name)
        self.count = 0

    def __call__(self, step: str) -> Path:
        self.count += 1
        path = ARTIFACTS / f"{self.prefix}-{self.count:02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    # Keep each phase's report on the item, so the page fixture knows at teardown whether the test failed.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def _allow_async_unsafe() -> Iterator[None]:
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def playwright(_allow_async_unsafe: None) -> Iterator[Playwright]:
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing or not executable: the browser tests need Debian's Chromium "
            "(apt-get install chromium). Playwright's own browser download is not used.",
            pytrace=False,
        )
    with sync_playwright() as pw:
        yield pw
        connections.close_all()  # the connections opened while Playwright's loop ran (see above)


@pytest.fixture
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    """The window size of a test's context: a desktop unless the test sets it, e.g.
    ``@pytest.mark.parametrize("viewport", [PHONE], indirect=True)``."""
    return getattr(request, "param", {"width": 1280, "height": 800})


@pytest.fixture
def context(browser: Browser, live_server: object, viewport: dict[str, int]) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=str(live_server.url),  # type: ignore[attr-defined]
        viewport=viewport,
        locale="en-US",
        extra_http_headers={"Accept-Language": "en"},
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page_problems() -> list[str]:
    """JavaScript errors and failed requests seen by the page; a test asserts the list stays empty."""
    return []


@pytest.fixture
def page(
    context: BrowserContext, page_problems: list[str], artifacts_dir: Path, request: pytest.FixtureRequest
) -> Iterator[Page]:
    page = context.new_page()
    csp_violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            csp_violations.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: page_problems.append(f"JavaScript error: {error}"))
    page.on(
        "response",
        lambda response: (
            page_problems.append(f"HTTP {response.status} for {response.url}")
            if response.status >= 400
            else None
        ),
    )
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and not page.is_closed():
        page.screenshot(
            path=str(artifacts_dir / f"{_file_stem(request.node.name)}-FAILED.png"), full_page=True
        )
    assert csp_violations == [], f"Content-Security-Policy violations: {csp_violations}"


@pytest.fixture
def shot(page: Page, artifacts_dir: Path, request: pytest.FixtureRequest) -> Screenshots:
    return Screenshots(page, request.node.name)
