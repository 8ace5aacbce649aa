"""The web console: how soon a contract page opened from a shared link is interactive, timed by the
browser itself (Debian's Chromium through Playwright, on the local stack), and how much the built
bundle weighs gzipped.

Every load is a first load: a fresh browser context (empty cache, no token), the contract's URL, the
local sign-in, the contract page. The browser's performance timing gives the document's
``domInteractive`` and the time of the page's ``performance.mark("contract-page-ready")`` (set once it
has rendered the contract's data), both from the navigation's start."""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

import httpx

from bench.harness import Row, median, percentile, start_environment

SECTION = "Console (issue 19)"
LOADS = 15
WARMUP = 2
TARGET_MS = 1000
BUNDLE_BUDGET = 250 * 1024


def _contract(http: httpx.Client, poller: Any) -> int:
    """A contract as an operator would open it: a course attached and its codes made."""
    tag = uuid.uuid4().hex[:8].upper()
    course_id = f"course-v1:UAI_SOURCE+BENCH{tag}"
    http.post("/v1/catalog/courses", json={"course_id": course_id, "title": "Bench"}).raise_for_status()
    http.post("/v1/catalog/course-runs", json={"run_id": f"{course_id}+SOURCE"}).raise_for_status()
    created = http.post(
        "/v1/contracts",
        json={
            "organization_name": f"Bench Console {tag}",
            "create_organization": True,
            "name": f"Bench console {tag}",
            "membership_type": "code",
            "max_learners": 20,
        },
    )
    created.raise_for_status()
    contract_id = int(created.json()["id"])
    http.post(f"/v1/contracts/{contract_id}/courseware", json={"courseware_id": course_id}).raise_for_status()
    poller.wait_idle(60)
    deadline = time.monotonic() + 60
    while not http.get(f"/v1/contracts/{contract_id}/codes/health").json()["healthy"]:
        assert time.monotonic() < deadline, "the contract's codes were never made"
        time.sleep(0.2)
    return contract_id


def _load(browser: Any, origin: str, contract_id: int) -> tuple[float, float, float, float]:
    """One first load, in ms: domInteractive, the ready mark, the ready mark after the sign-in click,
    and the page's own ``contract-page`` measure (its start to ready)."""
    from tests.e2e.console_support import new_page, timing, wait_for_ready_mark

    page = new_page(browser, origin)
    try:
        page.goto(f"/console/contracts/{contract_id}")
        button = page.get_by_role("button", name="Sign in as local admin")
        button.wait_for()
        clicked = float(page.evaluate("() => performance.now()"))
        button.click()
        ready = wait_for_ready_mark(page)
        own = float(page.evaluate("() => performance.getEntriesByName('contract-page')[0]?.duration ?? -1"))
        return timing(page).dom_interactive, ready, ready - clicked, own
    finally:
        page.context.close()


def _bundle_rows() -> list[Row]:
    from tests.e2e.console_support import bundle_sizes

    sizes = bundle_sizes()
    raw = sum(size for size, _ in sizes.values())
    packed = sum(gz for _, gz in sizes.values())
    largest = max(sizes.items(), key=lambda item: item[1][1])
    return [
        Row(
            SECTION,
            "built bundle, gzipped (gzip -9, file by file)",
            f"{packed / 1024:.1f} KB ({raw / 1024:.1f} KB raw, {len(sizes)} files)",
            "< 250 KB",
            packed < BUNDLE_BUDGET,
            f"every file in console/dist but source maps; largest {largest[0]}: {largest[1][1] / 1024:.1f} KB gzipped",
            "console.bundle_gzip_kb",
            round(packed / 1024, 1),
        )
    ]


def run() -> list[Row]:
    from b2b_local.stack import LocalStack
    from b2b_local.tokens import mint_token
    from playwright.sync_api import sync_playwright

    from tests.e2e.console_support import launch, missing_requirements

    missing = missing_requirements()
    if missing:
        raise RuntimeError("the console bench needs " + "; ".join(missing))
    environment = start_environment()
    stack = LocalStack(
        api_port=0, external_moto_url=environment.moto_url, prefix="b2b-bench", workers=2, quiet=True
    ).start()
    load_before = os.getloadavg()[0]
    interactive: list[float] = []
    ready: list[float] = []
    after_click: list[float] = []
    own: list[float] = []
    try:
        headers = {"Authorization": f"Bearer {mint_token('bench-admin', admin=True)}"}
        with httpx.Client(base_url=stack.api_url, headers=headers, timeout=60) as http:
            contract_id = _contract(http, stack.poller)
        with sync_playwright() as playwright:
            browser = launch(playwright)
            version = browser.version
            try:
                for i in range(WARMUP + LOADS):
                    figures = _load(browser, stack.api_url, contract_id)
                    if i >= WARMUP:
                        interactive.append(figures[0])
                        ready.append(figures[1])
                        after_click.append(figures[2])
                        own.append(figures[3])
            finally:
                browser.close()
    finally:
        stack.stop()
    note = (
        f"median of {LOADS} first loads (fresh context: empty cache, no token) after {WARMUP} unmeasured, "
        f"headless Chromium {version}; the contract has a course and 20 codes; load average "
        f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after (2 cores shared with other work)"
    )
    p50 = median(ready)
    return [
        Row(
            SECTION,
            "contract page from a shared link: navigation start → contract-page-ready, local sign-in included",
            f"{p50:.0f} ms (p90 {percentile(ready, 90):.0f} ms, max {max(ready):.0f} ms)",
            "< 1000 ms",
            p50 < TARGET_MS,
            note,
            "console.contract_ready_ms",
            round(p50, 1),
        ),
        Row(
            SECTION,
            "contract page: navigation start → domInteractive (the sign-in page's document)",
            f"{median(interactive):.0f} ms",
            "",
            None,
            note,
            "console.dom_interactive_ms",
            round(median(interactive), 1),
        ),
        Row(
            SECTION,
            "contract page: sign-in click → contract-page-ready (token, route, parallel fetches, render)",
            f"{median(after_click):.0f} ms (p90 {percentile(after_click, 90):.0f} ms)",
            "",
            None,
            note,
            "console.ready_after_sign_in_ms",
            round(median(after_click), 1),
        ),
        Row(
            SECTION,
            "contract page's own measure: contract-page-start → contract-page-ready (fetches and render)",
            f"{median(own):.0f} ms (p90 {percentile(own, 90):.0f} ms)" if min(own) >= 0 else "not measured",
            "",
            None,
            note + "; the console's performance.measure('contract-page')",
            "console.contract_page_measure_ms",
            round(median(own), 1),
        ),
        *_bundle_rows(),
    ]
