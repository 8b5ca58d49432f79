"""`llmeval --help` stays fast: no SDK, pandas, scikit-learn or numpy is imported."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "openai",
    "anthropic",
    "pandas",
    "sklearn",
    "numpy",
    "scipy",
    "diskcache",
    "tiktoken",
    "rouge_score",
    "sacrebleu",
    "statsmodels",
    "jinja2",
)  # typer itself may import pydantic

PROBE = """
import json, sys
sys.argv = ["llmeval"] + sys.argv[1:]
from llmeval.cli.app import main
try:
    main()
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(%r))
sys.stderr.write("HEAVY=" + json.dumps(heavy) + "\\n")
"""


def _heavy(*args: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE % (HEAVY,), *args], capture_output=True, text=True, check=False
    )
    line = next(ln for ln in out.stderr.splitlines() if ln.startswith("HEAVY="))
    return json.loads(line.removeprefix("HEAVY="))


def test_help_imports_nothing_heavy():
    assert _heavy("--help") == []


def test_run_help_imports_nothing_heavy():
    assert _heavy("run", "--help") == []


def test_version():
    out = subprocess.run(
        [sys.executable, "-m", "llmeval", "--version"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0 and out.stdout.startswith("llmeval ")
