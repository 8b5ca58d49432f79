"""Screenshots of the bundled run's HTML report at phone, tablet and desktop width.

    python docs/screenshots.py            # writes docs/report-390.png, -768.png, -1400.png

Runs the README's first command on a copy of the bundled project (offline), opens the
report in headless Chromium (Playwright, /usr/bin/chromium or $LLMEVAL_CHROMIUM) and
captures the top of the page: header, verdict, summary cards and the first lists. The
same layout checks as tests/browser/test_report_responsive.py run first, so a
screenshot of a broken layout is never written.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "browser"))

from report_layout import WIDTHS, broken_words, bundled_report, overflow  # noqa: E402

# The top of the page is what a reviewer sees first; the whole bundled report is
# 8,000-30,000 px tall, too big for a useful image.
CLIP_HEIGHT = {390: 2400, 768: 2000, 1400: 1500}


def main() -> int:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("LLMEVAL_CHROMIUM", "/usr/bin/chromium")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        report = bundled_report(Path(tmp))
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            for width in WIDTHS:
                ctx = browser.new_context(viewport={"width": width, "height": 900})
                page = ctx.new_page()
                page.goto(report.resolve().as_uri())
                page.wait_for_function("window.__llmevalReady === true", polling=50)
                o, bad = overflow(page), broken_words(page)
                if o["page"][0] > width or bad:
                    print(f"{width}px: overflow {o}, broken words {bad[:5]}", file=sys.stderr)
                    return 1
                height = min(CLIP_HEIGHT[width], page.evaluate("document.body.scrollHeight"))
                out = HERE / f"report-{width}.png"
                page.screenshot(
                    path=str(out),
                    full_page=True,
                    clip={"x": 0, "y": 0, "width": width, "height": height},
                )
                print(f"{out} ({out.stat().st_size // 1024} KiB)")
                ctx.close()
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
