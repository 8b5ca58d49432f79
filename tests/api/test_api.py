"""The Python API on a real project: sync, async, inside a running loop, compare."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import break_app, gate_on_counts

import llmeval
from llmeval.errors import UsageError


def test_run_sync_returns_typed_results_summary_and_verdict(project: Path) -> None:
    result = llmeval.run(project, run_id="first")
    assert isinstance(result, llmeval.RunResult)
    assert result.run_id == "first"
    assert len(result.results) == 5 and all(
        isinstance(r, llmeval.CaseResult) for r in result.results
    )
    assert {r.case_id for r in result.results} == {
        "france",
        "japan",
        "australia",
        "canada",
        "kenya",
    }
    assert result.summary.totals.passed == 5 and result.summary.totals.pass_rate == 1.0
    assert result.verdict.status == "passed" and result.passed and result.exit_code == 0
    assert result.comparison is None
    # written like `llmeval run`: the run folder, its run.json with the same verdict, the report
    assert result.run_dir == project / ".llmeval" / "runs" / "first"
    manifest = json.loads((result.run_dir / "run.json").read_text(encoding="utf-8"))
    assert manifest["verdict"] == result.verdict.to_json()
    assert len((result.run_dir / "results.jsonl").read_text().splitlines()) == 5
    assert (project / "reports" / "first.html").is_file()
    assert (project / "reports" / "latest.html").is_file()


def test_write_false_leaves_no_folder(project: Path) -> None:
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    result = llmeval.run(str(project), write=False)
    assert result.run_dir is None and len(result.results) == 5 and result.passed
    assert result.manifest["summary"]["totals"]["n"] == 5
    after = sorted(
        p.relative_to(project) for p in project.rglob("*") if "__pycache__" not in p.parts
    )
    assert after == [p for p in before if "__pycache__" not in p.parts]
    assert not (project / ".llmeval" / "runs").exists() and not (project / "reports").exists()


async def test_run_async_on_the_running_loop(project: Path) -> None:
    result = await llmeval.run_async(project, suites="capitals", write=False, tags=["europe"])
    assert [r.case_id for r in result.results] == ["france"]
    assert result.verdict.passed


async def test_sync_run_works_inside_a_running_event_loop(project: Path) -> None:
    asyncio.get_running_loop()  # as in Jupyter or pytest-asyncio
    result = llmeval.run(project, write=False, repeat=2)
    assert len(result.results) == 10 and {r.repeat for r in result.results} == {0, 1}


def test_baseline_from_a_run_result_gates_a_regression(project: Path) -> None:
    gate_on_counts(project)
    base = llmeval.run(project, run_id="base")
    break_app(project)
    cand = llmeval.run(project, baseline=base, write=False)
    assert cand.verdict.status == "failed" and cand.exit_code == 1
    assert cand.comparison is not None
    assert {c.case_id for c in cand.comparison.by_change("regressed")} == {"australia", "kenya"}
    # by run id, as `--baseline base`: the same verdict
    again = llmeval.run(project, baseline="base", write=False)
    assert again.verdict.reasons == cand.verdict.reasons
    assert [r.kind for r in cand.verdict.reasons] == ["max_regressions"]


def test_compare_runs_by_ref_and_by_result_agree_with_the_gate(project: Path) -> None:
    gate_on_counts(project)
    base = llmeval.run(project, run_id="base")
    break_app(project)
    cand = llmeval.run(project, run_id="cand", baseline="base")
    by_ref = llmeval.compare("base", "cand", project=project)
    by_obj = llmeval.compare(base, cand, project=llmeval.load_project(project))
    assert isinstance(by_ref, llmeval.CompareResult)
    assert by_ref.comparison.counts["regressed"] == 2
    assert by_ref.verdict == by_obj.verdict
    # the verdict `run --baseline` gave the candidate is the one compare gives it
    assert by_ref.verdict.reasons == cand.verdict.reasons
    assert by_ref.verdict.status == cand.verdict.status == "failed"
    assert not by_ref.passed and "FAILED" in by_ref.explain()


def test_to_pandas_one_row_per_result_with_metric_columns(project: Path) -> None:
    break_app(project)
    frame = llmeval.run(project, write=False).to_pandas()
    fixed = ["suite", "case_id", "model", "prompt", "repeat", "status", "score", "latency_ms"]
    fixed += ["cost_usd", "tokens", "cached", "error_kind"]
    assert set(fixed) <= set(frame.columns)
    assert len(frame) == 5
    # one column per assertion metric, holding that assertion's score
    for metric in ("icontains", "not-icontains", "icontains-any", "word-count", "latency"):
        assert metric in frame.columns
    row = frame.set_index("case_id")
    assert row.loc["australia", "status"] == "fail"
    assert row.loc["australia", "not-icontains"] == 0.0
    assert row.loc["france", "icontains"] == 1.0
    assert row.loc["kenya", "icontains-any"] == 0.0
    assert str(frame["score"].dtype) == "float64" and str(frame["latency"].dtype) == "float64"


def test_nothing_selected_and_bad_arguments_are_usage_errors(project: Path) -> None:
    with pytest.raises(UsageError, match="nothing selected"):
        llmeval.run(project, tags=["nowhere"], write=False)
    with pytest.raises(UsageError, match="cache_mode"):
        llmeval.run(project, cache_mode="sometimes", write=False)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="no suite"):
        llmeval.run(project, suites=["nope"], write=False)


def test_import_llmeval_is_light_and_the_public_names_resolve() -> None:
    probe = (
        "import sys, json, llmeval\n"
        "heavy = {m.split('.')[0] for m in sys.modules} & "
        "{'pandas', 'numpy', 'openai', 'anthropic', 'sklearn', 'scipy', 'jinja2', 'pydantic'}\n"
        "names = [n for n in llmeval.__all__ if getattr(llmeval, n, None) is None]\n"
        "print(json.dumps([sorted(heavy), names]))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    heavy, unresolved = json.loads(out.stdout)
    assert heavy == [] and unresolved == []
    assert "run" in dir(llmeval) and llmeval.testing.assert_suite_passes
    with pytest.raises(AttributeError):
        _ = llmeval.not_a_name  # type: ignore[attr-defined]


def test_the_public_surface_is_strictly_typed() -> None:
    pytest.importorskip("mypy")
    repo = Path(__file__).resolve().parents[2]
    files = ["llmeval/__init__.py", "llmeval/api.py", "llmeval/testing.py"]
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", *files],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_write_false_removes_its_scratch_folder_even_when_the_run_fails(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    llmeval.run(project, write=False)
    assert list(scratch.iterdir()) == []
    # the run stops with an error after the scratch folder was made: it is removed too
    with pytest.raises(UsageError, match="invalid run id"):
        llmeval.run(project, write=False, run_id="no spaces/allowed")
    assert list(scratch.iterdir()) == []


def test_load_project_finds_the_root_from_a_subfolder_and_reports_config_errors(
    project: Path,
) -> None:
    loaded = llmeval.load_project(project / "apps")
    assert loaded.root == project.resolve() and "capitals" in loaded.suites
    (project / "suites" / "capitals.yaml").write_text("name: capitals\ncases: [{id: a, nope: 1}]\n")
    with pytest.raises(llmeval.ConfigErrors) as info:
        llmeval.load_project(project)
    assert "capitals.yaml:2" in str(info.value.errors[0])
