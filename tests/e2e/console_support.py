"""The web console in headless Chromium (Playwright driving Debian's ``chromium``): one browser per
test worker, a fresh context (no cookies, no storage, no token) per test, and the helpers the console
tests and ``bench/bench_console.py`` share: signing in, running axe-core, reading load timings and
the size of the built bundle.

What the tests need, and where it comes from (``make pytest`` installs all three):
Debian's ``chromium``, the ``playwright`` package (dev extras; it brings its own driver, never a
browser build), the built console in ``console/dist`` (``make console``) and axe-core from npm in
``.tools/``. Without one of them the console tests skip and say which is missing; under ``CI=true``
they fail instead, so a machine that lost its browser cannot pass by skipping.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "console" / "dist"
AXE = ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("B2B_CHROMIUM") or shutil.which("chromium") or ""
# Debian's build, started as it is: no sandbox (containers run it as root), no GPU, and nothing that
# calls home (component updates, sync, background fetches) during a test.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
# Long enough for a worker that shares two cores with the other worker and the stack's functions.
ACTION_TIMEOUT_MS = 20_000
READY_MARK = "contract-page-ready"


def missing_requirements() -> list[str]:
    """What the console tests need and this machine lacks, each with the command that installs it."""
    missing = []
    if not CHROMIUM or not Path(CHROMIUM).exists():
        missing.append("Chromium (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (make setup)")
    if not (DIST / "index.html").exists():
        missing.append("the built console in console/dist (make console)")
    if not AXE.exists():
        missing.append(f"axe-core in {AXE.relative_to(ROOT)} (make pytest installs it)")
    return missing


def require_browser() -> None:
    """Skip (fail under ``CI=true``) when the browser tests cannot run here."""
    missing = missing_requirements()
    if not missing:
        return
    reason = "console browser tests need " + "; ".join(missing)
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + " (CI must run them)", pytrace=False)
    pytest.skip(reason)


def launch(playwright: Any) -> Any:
    """Debian's Chromium through Playwright (``executable_path``: Playwright's own builds are never used)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)


def new_page(browser: Any, base_url: str, **options: Any) -> Any:
    """A page in a fresh context: nothing signed in, downloads accepted; its uncaught errors and the
    URLs it requested are collected (``page.uncaught_errors``, ``page.requests``)."""
    context = browser.new_context(base_url=base_url, viewport=VIEWPORT, accept_downloads=True, **options)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    page.uncaught_errors = []
    page.requests = []
    page.on("pageerror", lambda error: page.uncaught_errors.append(str(error)))
    page.on("request", lambda request: page.requests.append(request.url))
    return page


def sign_in(page: Any, path: str = "/console/") -> None:
    """Open ``path``; on the sign-in page it leads to, sign in as the local admin and wait for the
    main navigation."""
    from playwright.sync_api import expect

    page.goto(path)
    # The sign-in page shows first, then puts where the operator was going in its URL: wait for that.
    expect(page).to_have_url(re.compile(r"/console/signin\?next="))
    page.get_by_role("button", name="Sign in as local admin").click()
    page.get_by_role("navigation", name="Main").wait_for()


def run_axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (the script is injected, not served)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result: dict[str, Any] = page.evaluate(
        "async () => await window.axe.run(document, {resultTypes: ['violations']})"
    )
    return list(result["violations"])


def describe(violation: dict[str, Any]) -> str:
    targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
    return f"[{violation['impact']}] {violation['id']}: {violation['help']} ({len(violation['nodes'])} nodes: {targets})"


@dataclass
class Timing:
    """A page load as the browser timed it, in ms from the navigation's start."""

    dom_interactive: float
    ready: float | None  # the contract page's "contract-page-ready" mark, None when not reached


def timing(page: Any) -> Timing:
    found = page.evaluate(
        """(mark) => {
            const [nav] = performance.getEntriesByType('navigation');
            const [ready] = performance.getEntriesByName(mark, 'mark');
            return {interactive: nav.domInteractive, ready: ready ? ready.startTime : null};
        }""",
        READY_MARK,
    )
    return Timing(dom_interactive=found["interactive"], ready=found["ready"])


def wait_for_ready_mark(page: Any) -> float:
    """Wait until the contract page marked itself ready; the mark's time from navigation start (ms)."""
    page.wait_for_function(
        "(mark) => performance.getEntriesByName(mark, 'mark').length > 0",
        arg=READY_MARK,
        timeout=ACTION_TIMEOUT_MS,
    )
    ready = timing(page).ready
    assert ready is not None
    return ready


def bundle_sizes() -> dict[str, tuple[int, int]]:
    """Every file the console's build emits (source maps aside): raw bytes and bytes after gzip -9."""
    sizes = {}
    for path in sorted(DIST.rglob("*")):
        if path.is_file() and path.suffix != ".map":
            data = path.read_bytes()
            sizes[str(path.relative_to(DIST))] = (len(data), len(gzip.compress(data, compresslevel=9)))
    return sizes


@pytest.fixture(scope="session")
def console_browser() -> Iterator[Any]:
    """One Chromium for the test worker, started by the first console test that needs it."""
    require_browser()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=ACTION_TIMEOUT_MS)  # assertions wait as long as actions do

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def console_page(console_browser: Any, stack: Any) -> Iterator[Any]:
    """A page in a fresh context of the worker's browser, on the local stack's origin."""
    page = new_page(console_browser, stack.api_url)
    yield page
    page.context.close()
