"""``llmeval export RUN --format csv|jsonl|parquet``: the to_pandas() table, on disk."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import break_app

import llmeval


def cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmeval", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.fixture
def ran(project: Path) -> tuple[Path, pd.DataFrame]:
    break_app(project)  # failures and a missing metric score make the table interesting
    result = llmeval.run(project, run_id="r1")
    return project, result.to_pandas()


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Same columns and values; a missing value may come back as NaN or None."""

    def norm(f: pd.DataFrame) -> pd.DataFrame:
        f = f.reset_index(drop=True).astype(object)
        return f.where(f.notna(), None)

    assert list(got.columns) == list(want.columns)
    pd.testing.assert_frame_equal(norm(got), norm(want), check_dtype=False)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_export_reads_back_as_the_to_pandas_table(ran: tuple[Path, pd.DataFrame], fmt: str) -> None:
    project, want = ran
    target = project / "out" / f"r1.{fmt}"
    out = cli("export", "r1", "--format", fmt, "-o", str(target), cwd=project)
    assert out.returncode == 0, out.stderr
    assert "5 results" in out.stderr
    if fmt == "csv":
        got = pd.read_csv(target)
    elif fmt == "jsonl":
        got = pd.read_json(target, lines=True, dtype=False)
    else:
        got = pd.read_parquet(target)
    _same(got, want)
    assert set(got.loc[got["status"] == "fail", "case_id"]) == {"australia", "kenya"}


def test_export_csv_and_jsonl_to_stdout(ran: tuple[Path, pd.DataFrame]) -> None:
    project, want = ran
    out = cli("export", "latest", cwd=project)  # csv is the default format
    assert out.returncode == 0, out.stderr
    assert len(pd.read_csv(io.StringIO(out.stdout))) == len(want)
    out = cli("export", "r1", "-f", "jsonl", cwd=project)
    assert out.returncode == 0 and len(out.stdout.splitlines()) == len(want)


def test_export_errors_are_one_clear_line_exit_4(ran: tuple[Path, pd.DataFrame]) -> None:
    project, _ = ran
    out = cli("export", "r1", "--format", "xlsx", cwd=project)
    assert out.returncode == 4 and "--format must be csv, jsonl or parquet" in out.stderr
    out = cli("export", "r1", "--format", "parquet", cwd=project)
    assert out.returncode == 4 and "-o FILE" in out.stderr
    out = cli("export", "no-such-run", cwd=project)
    assert out.returncode == 4 and "no-such-run" in out.stderr


def test_parquet_without_pyarrow_names_the_extra(ran: tuple[Path, pd.DataFrame]) -> None:
    project, _ = ran
    # pyarrow made unimportable, as on an install without the `parquet` extra
    probe = (
        "import sys; sys.modules['pyarrow'] = None; "
        "sys.argv = ['llmeval', 'export', 'r1', '-f', 'parquet', '-o', 'x.parquet']; "
        "from llmeval.cli.app import main; main()"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=project, capture_output=True, text=True, check=False
    )
    assert out.returncode == 4, out.stderr
    assert "pip install 'llmeval[parquet]'" in out.stderr
    assert not (project / "x.parquet").exists()
