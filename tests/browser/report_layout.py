"""Layout checks run inside the report page: horizontal overflow and words split
across lines. Shared by the responsive tests and docs/screenshots.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
WIDTHS = (390, 768, 1400)

# Where ids and short values live. Free-text blocks (.text: outputs, prompts) may
# legitimately split a token longer than a line, so they are not checked.
ID_AND_CELL_SELECTORS = (
    "td, th, h1, h2, .facts dd, .reasons li, .notes li, .changes li, .deltas li, "
    ".fact .v, .badges .tag, .call-head, .step-head, .transcript .role"
)

# For every maximal [A-Za-z0-9]+ run of every text node under the selectors, a DOM
# Range over it must lie on one line (one client rect). Returns the offenders.
BROKEN_WORDS_JS = """
(sel) => {
  const bad = [], seen = new Set();
  for (const root of document.querySelectorAll(sel)) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (seen.has(n)) continue;
      seen.add(n);
      if (n.parentElement.closest('.text, svg, option, select, script, style')) continue;
      const re = /[A-Za-z0-9]+/g;
      let m;
      while ((m = re.exec(n.data)) !== null) {
        if (m[0].length < 2) continue;
        const r = document.createRange();
        r.setStart(n, m.index);
        r.setEnd(n, m.index + m[0].length);
        const lines = new Set(Array.from(r.getClientRects())
          .filter(x => x.width > 0 && x.height > 0).map(x => Math.round(x.top)));
        if (lines.size > 1) {
          const cls = n.parentElement.className;
          bad.push(m[0] + ' in <' + n.parentElement.tagName.toLowerCase()
                   + (cls ? '.' + cls : '') + '> "' + n.data.slice(0, 60) + '"');
        }
      }
    }
  }
  return bad;
}
"""

OVERFLOW_JS = """
() => {
  const page = document.scrollingElement;
  const d = document.getElementById('detail');
  return {
    page: [page.scrollWidth, innerWidth],
    detail: d && !d.hidden ? [d.scrollWidth, d.clientWidth] : null,
  };
}
"""


def overflow(page: Any) -> dict[str, Any]:
    return page.evaluate(OVERFLOW_JS)


def broken_words(page: Any) -> list[str]:
    return page.evaluate(BROKEN_WORDS_JS, ID_AND_CELL_SELECTORS)


def copy_bundled_project(dest: Path) -> Path:
    for name in ("llmeval.yaml", "apps", "prompts", "suites"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy(src, dest / name)
    return dest


def bundled_report(dest: Path) -> Path:
    """The README's first command on a copy of the bundled project; its HTML report."""
    project = copy_bundled_project(dest)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "CI"}
    proc = subprocess.run(
        [sys.executable, "-m", "llmeval", "run", "-q", "--run-id", "bundled"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"bundled run exited {proc.returncode}: {proc.stderr[-2000:]}")
    return project / "reports" / "bundled.html"
