"""One headless Chromium per test module, and a helper that opens a report in it
while recording everything a hostile report could try: console errors, page errors,
network requests, dialogs."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("LLMEVAL_CHROMIUM") or next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p),
    "/usr/bin/chromium",
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Module scope, not session: Playwright's sync API keeps an asyncio loop running in
# this thread while it is open, which would break every asyncio.run() in later tests.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found (CI installs Debian's chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@dataclass
class OpenReport:
    """A loaded report page and what it did while loading and being used."""

    page: Any
    url: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    @property
    def foreign_requests(self) -> list[str]:
        """Every request but the report document itself (fragments are not requests)."""
        return [u for u in self.requests if u.split("#", 1)[0] != self.url.split("#", 1)[0]]

    def goto_hash(self, fragment: str) -> None:
        self.page.evaluate("h => { location.hash = h; }", fragment)

    def wait_until(self, expression: str, timeout_s: float = 10.0) -> None:
        """Poll a JS expression. Not ``wait_for_function``: that evals a string in the
        page, which the report's CSP rightly forbids."""
        deadline = time.monotonic() + timeout_s
        while not self.page.evaluate(expression):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {expression}")
            time.sleep(0.02)

    def visible_text(self, selector: str = "body") -> str:
        return self.page.inner_text(selector)


@pytest.fixture
def open_report(browser: Any, tmp_path: Path) -> Iterator[Callable[..., OpenReport]]:
    contexts: list[Any] = []

    def _open(
        html: str, fragment: str = "", color_scheme: str = "light", width: int = 1300
    ) -> OpenReport:
        from llmeval.report.html import write_report

        path = write_report(tmp_path / f"report-{len(contexts)}.html", html)
        url = path.resolve().as_uri()
        ctx = browser.new_context(
            color_scheme=color_scheme, viewport={"width": width, "height": 900}
        )
        contexts.append(ctx)
        page = ctx.new_page()
        rep = OpenReport(page=page, url=url)
        page.on("request", lambda r: rep.requests.append(r.url))
        page.on(
            "console", lambda m: rep.console_errors.append(m.text) if m.type == "error" else None
        )
        page.on("pageerror", lambda e: rep.page_errors.append(str(e)))

        def on_dialog(d: Any) -> None:
            rep.dialogs.append(f"{d.type}: {d.message}")
            d.dismiss()

        page.on("dialog", on_dialog)
        page.goto(url + fragment)
        rep.wait_until("window.__llmevalReady === true")
        return rep

    yield _open
    for ctx in contexts:
        ctx.close()
