"""Options that ``llmeval run`` and ``llmeval merge`` share: the gate and its outputs.

One declaration each, so the two commands cannot drift apart in name or help.
"""

from __future__ import annotations

from pathlib import Path

import typer

BASELINE_OPT: str = typer.Option(
    None,
    "--baseline",
    metavar="auto|PATH",
    help="Gate on suites/baselines (auto), a file or a run.",
)
ALLOW_CHANGED_OPT: bool = typer.Option(
    False, "--allow-changed-judge", help="Compare even if the judge or assertions changed."
)
ALLOW_SKIPPED_OPT: bool = typer.Option(
    False,
    "--allow-skipped",
    help="Under CI, accept judge assertions skipped for a missing judge or key.",
)
JUNIT_OPT: Path = typer.Option(None, "--junit", help="Write JUnit XML here.")
MARKDOWN_OPT: Path = typer.Option(None, "--markdown", help="Write a markdown summary here.")
HTML_OPT: Path = typer.Option(None, "--html", help="Also write the HTML report here.")
NO_REPORT_OPT: bool = typer.Option(False, "--no-report", help="Skip the HTML report.")
JSON_OPT: bool = typer.Option(False, "--json", help="Machine-readable summary on stdout.")
