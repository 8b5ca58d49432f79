"""How fast a 10,000-case HTML report renders, how big it is, how fast it opens and filters.

    python benchmarks/bench_report.py [--cases 10000] [--out PATH] [--screenshot PNG]
    python benchmarks/bench_report.py --html reports/latest.html --screenshot docs/report.png

Prints: render time in Python, file size, time to interactive in headless Chromium
(navigation start until the page's script has rendered the first rows and set
``window.__llmevalReady``), and the in-page time of a status filter, a select filter,
a first text search (builds the search index) and a second one. Target: interactive < 2 s.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from llmeval.domain.record import AssertionResult, CaseResult, ErrorInfo
from llmeval.report.html import render_html, write_report

_VOCABULARY = """
the a refund window order item shipping days policy customer support return within thirty
receipt store credit account please contact us we can help you with your question answer
delivery tracking number email address invoice warranty
"""
WORDS = re.findall(r"\w+", _VOCABULARY)
SUITES = ["support-faq", "classify-intent", "extract-json", "summarize"]
MODELS = ["gpt-mini", "claude-haiku", "local-llama"]
PROMPTS = ["support@v2", "support@v3"]
SYSTEM = {
    p: f"You are a concise, polite support agent ({p}). Answer only from the FAQ; "
    "say you do not know when the FAQ has no answer."
    for p in PROMPTS
}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _text(rnd: random.Random, chars: int) -> str:
    out: list[str] = []
    n = 0
    while n < chars:
        w = rnd.choice(WORDS)
        out.append(w)
        n += len(w) + 1
    return " ".join(out)


def generate(n: int, seed: int = 7) -> tuple[list[CaseResult], dict[str, Any], dict[str, Any]]:
    """A run of n results with a realistic mix of outcomes and text sizes, plus a baseline."""
    rnd = random.Random(seed)
    results, changes = [], []
    for i in range(n):
        suite, model = SUITES[i % 4], MODELS[(i // 4) % 3]
        prompt = PROMPTS[(i // 12) % 2]
        long = rnd.random() < 0.02
        out = _text(rnd, 9000 if long else int(rnd.lognormvariate(6.2, 0.7)))
        change = rnd.choices(
            ["unchanged", "regressed", "fixed", "flaky", "errored"], [88, 5, 4, 2, 1]
        )[0]
        forced = {"regressed": "fail", "fixed": "pass", "errored": "error"}.get(change)
        status = forced or rnd.choices(["pass", "fail", "error", "skipped"], [82, 13, 3, 2])[0]
        score = (
            None
            if status in ("error", "skipped")
            else (rnd.uniform(0.7, 1) if status == "pass" else rnd.uniform(0, 0.7))
        )
        judge = _text(rnd, 300)
        r = CaseResult(
            run_id="bench",
            suite=suite,
            case_id=f"case-{i // 24:05d}",
            model=model,
            prompt=prompt,
            prompt_sha="9f8e7d6c5b4a3210",
            repeat=0,
            status=status,
            score=score,
            output=None if status == "error" else out,
            assertions=(
                AssertionResult(
                    "icontains",
                    "pass" if status == "pass" else "fail",
                    1.0 if status == "pass" else 0.0,
                    "looked for '30 days' in the output",
                ),
                AssertionResult(
                    "rouge-l",
                    "pass" if score is not None and score > 0.5 else "fail",
                    score,
                    f"rouge-l f-measure {score or 0:.3f} vs threshold 0.5",
                ),
                AssertionResult(
                    "llm-rubric",
                    "pass" if status == "pass" else "fail",
                    score,
                    judge,
                    details={"criteria": {"polite": True, "correct": score}},
                ),
            ),
            latency_ms=rnd.lognormvariate(6.6, 0.6),
            cached=rnd.random() < 0.4,
            tokens={"input": rnd.randint(80, 900), "output": rnd.randint(10, 600)},
            cost_usd=rnd.uniform(0.00005, 0.003),
            judge_cost_usd=rnd.uniform(0, 0.0005),
            error=ErrorInfo("timeout", "request timed out after 60 s")
            if status == "error"
            else None,
            model_id=f"{model}-2024-07-18",
            expected=_text(rnd, 90),
            vars={"question": _text(rnd, 80), "context": _text(rnd, 200)},
            messages=(
                {"role": "system", "content": SYSTEM[prompt]},
                {"role": "user", "content": _text(rnd, 320)},
            ),
            tags=(rnd.choice(["billing", "shipping", "tone", "edge"]),),
        )
        results.append(r)
        base = out if change == "unchanged" else out.replace(" the ", " a ", 3) + " thanks"
        changes.append(
            {
                "suite": suite,
                "case_id": r.case_id,
                "model": model,
                "prompt": prompt,
                "change": change,
                "base_status": {"regressed": "pass", "fixed": "fail", "errored": "pass"}.get(
                    change, status
                ),
                "cand_status": status,
                "base_score": 0.9,
                "cand_score": score,
                "base_output": base,
                "cand_output": out,
                "critical": change == "regressed" and i % 7 == 0,
            }
        )
    meta = {
        "run_id": "bench-10k",
        "started_at": time.time() - 600,
        "finished_at": time.time(),
        "llmeval_version": "0.1.0",
        "git_sha": "0123456789abcdef",
        "models": {
            m: {"provider": "openai", "model": m, "model_id": f"{m}-2024-07-18"} for m in MODELS
        },
        "prompts": {p: "9f8e7d6c5b4a3210" for p in PROMPTS},
        "summary": {},
    }
    comparison = {
        "base": {"run_id": "bench-base", "label": "main"},
        "cand": {"run_id": "bench-10k", "label": "PR"},
        "changes": ["prompt support v2 → v3"],
        "gate": {"passed": False, "reasons": ["support-faq × gpt-mini: score −0.04 (p=0.003)"]},
        "metrics": [
            {
                "suite": su,
                "model": mo,
                "prompt": "support@v3",
                "metric": "score",
                "n": n // 24,
                "base_mean": 0.84,
                "cand_mean": 0.84 + d,
                "delta": d,
                "ci_low": d - 0.03,
                "ci_high": d + 0.03,
                "p_value": 0.002 if abs(d) > 0.03 else 0.4,
                "p_adjusted": 0.01 if abs(d) > 0.03 else 0.9,
                "significant": abs(d) > 0.03,
                "base_ci": [0.8, 0.88],
                "cand_ci": [0.8 + d, 0.88 + d],
            }
            for k, (su, mo) in enumerate((su, mo) for su in SUITES for mo in MODELS)
            for d in [round(((k * 37) % 11 - 5) / 100, 2)]
        ],
        "cases": changes,
        "counts": {},
    }
    return results, meta, comparison


def measure_browser(path: Path, screenshot: Path | None) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        ttis = []
        for k in range(3):  # first open pays for a cold browser cache; report the median
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(path.resolve().as_uri())
            while not page.evaluate("window.__llmevalReady === true"):
                time.sleep(0.01)
            ttis.append(page.evaluate("window.__llmevalReadyAt"))
            if k < 2:
                page.close()
        figures = {"tti_ms": statistics.median(ttis), "tti_first_ms": ttis[0]}
        figures["status_filter_ms"] = page.evaluate("""() => {
            const t = performance.now();
            document.querySelector('#f-status input[value=pass]').click();
            document.body.offsetHeight;  // include layout
            return performance.now() - t; }""")
        figures["select_filter_ms"] = page.evaluate("""() => {
            const s = document.getElementById('f-suite'), t = performance.now();
            s.value = s.options[1].value; s.dispatchEvent(new Event('input', {bubbles: true}));
            document.body.offsetHeight;
            return performance.now() - t; }""")
        for name in ("search_first_ms", "search_again_ms"):
            figures[name] = page.evaluate(
                """async (q) => {
                const box = document.getElementById('f-q'), t = performance.now();
                box.value = q; box.dispatchEvent(new Event('input', {bubbles: true}));
                await new Promise(r => setTimeout(r, 121));  // the 120 ms debounce
                document.body.offsetHeight;
                return performance.now() - t - 121; }""",
                "refund" if "first" in name else "window",
            )
        if screenshot:
            page.evaluate("() => { location.hash = ''; }")
            page.reload()
            while not page.evaluate("window.__llmevalReady === true"):
                time.sleep(0.01)
            page.screenshot(path=str(screenshot))
        browser.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--screenshot", type=Path, default=None)
    ap.add_argument("--html", type=Path, default=None, help="measure an existing report instead")
    args = ap.parse_args(argv)

    render_s = 0.0
    if args.html:
        out = args.html
    else:
        results, meta, comparison = generate(args.cases)
        t = time.perf_counter()
        html = render_html(results, meta, comparison)
        render_s = time.perf_counter() - t
        out = args.out or Path(tempfile.mkdtemp()) / "bench-report.html"
        write_report(out, html)
    size = out.stat().st_size
    figures = measure_browser(out, args.screenshot)
    if not args.html:
        print(f"cases                 {args.cases:>10,}")
        print(f"render (python)       {render_s * 1000:>10.0f} ms")
    per_case = "" if args.html else f"  ({size / args.cases / 1000:.2f} KB/case)"
    print(f"file size             {size / 1e6:>10.2f} MB{per_case}")
    print(
        f"time to interactive   {figures['tti_ms']:>10.0f} ms  (median of 3; first "
        f"{figures['tti_first_ms']:.0f} ms)  target < 2000 ms"
    )
    for key in ("status_filter_ms", "select_filter_ms", "search_first_ms", "search_again_ms"):
        print(f"{key.removesuffix('_ms').replace('_', ' '):<22}{figures[key]:>10.1f} ms")
    if args.out or args.html:
        print(f"report                {out}")
    else:
        out.unlink()
    return 0 if figures["tti_ms"] < 2000 else 1


if __name__ == "__main__":
    sys.exit(main())
