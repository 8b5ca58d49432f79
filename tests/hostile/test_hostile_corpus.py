"""Every hostile input gives exit 4 with ``file:line:col``, or a per-case error, or is
read by a documented rule -- within 10 s and 500 MB of address space, never with a
traceback, never exit 0/1 for a crash, never a raw control character on the console.

Each command runs the real CLI in a subprocess under ``RLIMIT_AS`` (500 MB) and
``RLIMIT_CPU`` (10 s: the kernel kills it past that). The 10 s are CPU seconds so that
a machine shared with other jobs does not fail the test; a wall-clock timeout (60 s)
still catches a command that hangs without using the CPU.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_corpus import CONFIG, PROMPT, Hostile, corpus

# RLIMIT_AS is address space, not memory: scikit-learn with pandas and pyarrow installed
# reserves ~500 MB at import. It is a backstop; the 500 MB claim is checked on peak RSS.
LIMIT_BYTES = 1536 * 2**20
RSS_LIMIT_MB = 500
LIMIT_CPU_S = 10
WALL_S = 60.0
CORPUS = corpus()
TIMINGS: dict[str, tuple[float, float]] = {}  # command -> (cpu s, wall s)
PEAKS: list[float] = []  # MB, per command


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (LIMIT_CPU_S, LIMIT_CPU_S + 1))


def cli(root: Path, *args: str, label: str = "") -> subprocess.CompletedProcess[bytes]:
    """The CLI in a subprocess under the limits; fails the test past the wall clock.

    Reaped with ``os.wait4``: that child's own CPU time and peak RSS, not the maximum
    over every child this test process ever had (a browser test's Chromium, say)."""
    import threading

    argv = [sys.executable, "-m", "llmeval", *args]
    start = time.monotonic()
    proc = subprocess.Popen(
        argv,
        cwd=root,
        env=_env(),
        preexec_fn=_limits,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    bufs: dict[str, bytes] = {}
    readers = [
        threading.Thread(target=lambda k=k, f=f: bufs.__setitem__(k, f.read()), daemon=True)
        for k, f in (("out", proc.stdout), ("err", proc.stderr))
    ]
    for t in readers:
        t.start()
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - start > WALL_S:
            proc.kill()
            os.wait4(proc.pid, 0)
            pytest.fail(f"{' '.join(args)[:60]} still running after {WALL_S} s")
        time.sleep(0.01)
    proc.returncode = os.waitstatus_to_exitcode(status)
    for t in readers:
        t.join()
    cpu = usage.ru_utime + usage.ru_stime
    TIMINGS[f"{label} :: {' '.join(args)[:20]}"] = (cpu, time.monotonic() - start)
    PEAKS.append(usage.ru_maxrss / 1024)
    assert proc.returncode != -24, f"{' '.join(args)[:60]}: over {LIMIT_CPU_S} s of CPU (SIGXCPU)"
    peak_mb = usage.ru_maxrss / 1024
    assert peak_mb < RSS_LIMIT_MB, f"{' '.join(args)[:60]}: peak RSS {peak_mb:.0f} MB"
    return subprocess.CompletedProcess(argv, proc.returncode, bufs["out"], bufs["err"])


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(NO_COLOR="1", COLUMNS="160", CI="1")
    # OpenBLAS (under scikit-learn) reserves address space per core at import, far
    # beyond what it uses; one thread keeps RLIMIT_AS a measure of real memory
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def _project(tmp_path: Path, h: Hostile) -> Path:
    root = tmp_path / "project"
    outside = tmp_path / "outside"
    outside.mkdir()
    files: dict[str, str | bytes] = {
        "llmeval.yaml": CONFIG,
        "prompts/support/v1.yaml": PROMPT,
        "suites/s.yaml": "",
    }
    files.update(h.files)
    for rel in h.links:
        files.pop(rel, None)
    for rel, text in files.items():
        if rel == "suites/s.yaml" and text == "":
            continue
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    for name, text in h.outside.items():
        (tmp_path / name).write_text(text)  # next to the project: '../name' from its root
    for rel, name in h.links.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).symlink_to(tmp_path / name)
    (root / "suites").mkdir(exist_ok=True)
    return root


def _journals(root: Path) -> list[dict]:
    rows = []
    for path in (root / ".llmeval" / "runs").glob("*/results.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            rows.append(json.loads(line))
    return rows


_LOCATED = r"^{file}:\d+:\d+: \S"
_RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize("h", CORPUS, ids=[h.name for h in CORPUS])
def test_hostile_input(tmp_path: Path, h: Hostile) -> None:
    root = _project(tmp_path, h)
    for args, want in h.commands:
        proc = cli(root, *args, label=h.name)
        out = proc.stdout.decode("utf-8", "replace")
        err = proc.stderr.decode("utf-8", "replace")
        shown = f"exit {proc.returncode}\nstdout: {out[-1500:]}\nstderr: {err[-1500:]}"
        assert "Traceback" not in out + err, shown
        assert "MemoryError" not in err and "RecursionError" not in err, shown
        assert not _RAW_CONTROL.search(out + err), f"raw control character on the console\n{shown}"
        kind = want[0]
        if kind == "error":
            assert proc.returncode == 4, shown
            assert re.search(_LOCATED.format(file=re.escape(want[1])), err, re.M), shown
        elif kind == "usage":
            assert proc.returncode == 4, shown
            assert len(err.strip().splitlines()) == 1 and len(err) < 300, shown
        elif kind == "warning":
            assert proc.returncode == 0, shown
            assert re.search(r"^warning: " + re.escape(want[1]) + r":\d+:\d+: ", err, re.M), shown
        elif kind == "ok":
            assert proc.returncode in (0, 1), shown
            if args[0] == "run":
                rows = _journals(root)
                assert rows and all(r["status"] in ("pass", "fail") for r in rows), shown
        elif kind == "case_error":
            assert proc.returncode in (1, 3), shown
            assert any(r["status"] == "error" for r in _journals(root)), shown
        else:  # pragma: no cover
            raise AssertionError(kind)


def test_the_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 30
    assert len({h.name for h in CORPUS}) == len(CORPUS)


def test_forged_lines_do_not_appear(tmp_path: Path) -> None:
    """A case id cannot print a line of its own: no forged verdict, no annotation."""
    h = next(h for h in CORPUS if h.name.startswith("case ids forging"))
    root = _project(tmp_path, h)
    proc = cli(root, "run", "--no-report", label="forged lines")
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode == 1, err
    lines = (out + err).splitlines()
    assert not [ln for ln in lines if ln.lstrip().startswith(("PASSED", "::"))], lines
    assert "x\\x0aPASSED run forged" in out  # shown, on the line of its own failure
    assert "\\x1b[2J" in out and "\\u202e" in out


def test_a_flood_of_output_is_bounded(tmp_path: Path) -> None:
    """A 5 MB answer and 30 distinct labels: the console stays small and readable."""
    h = next(h for h in CORPUS if h.name.startswith("5 MB answer"))
    root = _project(tmp_path, h)
    proc = cli(root, "run", "--no-report", label="flood")
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode in (0, 1) and "Traceback" not in err, err[-2000:]
    assert len(out) < 50_000, len(out)
    assert "other (" in out  # labels beyond the cap are folded
    # a long label is cut, with the clip marker (the matrix is fitted to the width, so
    # rich no longer squeezes its columns)
    from llmeval.report.console import LABEL_CHARS

    assert ("l0-" * LABEL_CHARS)[: LABEL_CHARS - 1] + "…" in out
    assert 'labels in "other" to fit' in out
    (journal,) = (root / ".llmeval" / "runs").glob("*/results.jsonl")
    assert journal.stat().st_size < 6_000_000  # the answer once, not once per label copy


def test_zz_report_figures() -> None:
    """Not a check: prints the slowest commands (run with -s to see them)."""
    peak = max(PEAKS, default=0.0)
    slow = sorted(TIMINGS.items(), key=lambda kv: -kv[1][0])[:5]
    sys.stdout.write(
        f"\nhostile corpus: {len(CORPUS)} inputs, {len(TIMINGS)} commands, "
        f"peak child RSS {peak:.0f} MB, most CPU: "
        + "; ".join(f"{k} {cpu:.1f}s cpu / {wall:.1f}s wall" for k, (cpu, wall) in slow)
        + "\n"
    )
