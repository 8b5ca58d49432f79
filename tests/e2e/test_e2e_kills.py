"""kill -9 at random moments, over and over, with a selection and faults: nothing lost,
nothing journaled twice, nothing outside the selection, nothing asked again once done.

The run selects by ``-m``, ``--filter``, ``-t`` and ``-k`` (repeats); every resume is given
no selection flags and must keep the one the run started with (it is in run.json before
the first call). 15% of requests fail (500/429, retried); the server logs every request.
"""

from __future__ import annotations

import json
import random
import signal
import time
from pathlib import Path

import pytest
import yaml
from e2e_project import case_of, make_project, openai_model
from fakeserver import FakeLLMServer

KILLS = 20
N = 40


def _suite(root: Path) -> None:
    cases = []
    for i in range(N):
        cid = f"c{i:02d}"
        cases.append({"id": cid, "vars": {"cid": cid}, "tags": ["keep"] if i % 2 else ["drop"],
                      "assert": [{"type": "contains", "value": cid}]})  # fmt: skip
    doc = {"name": "e2e", "prompt": "echo", "models": ["oa", "other"], "cases": cases}
    (root / "suites" / "e2e.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))


def _selected() -> set[tuple[str, int]]:
    # -t keep (odd cases), --filter 'c[0-2]' (c00..c29), -k 2
    return {(f"c{i:02d}", r) for i in range(N) if i % 2 and i < 30 for r in range(2)}


def _lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    return [json.loads(x) for x in text.split("\n")[:-1] if x.strip()]


# twenty CLI starts and resumes: ~35 s on a quiet machine, far more when both cores are busy
@pytest.mark.timeout(420)
def test_twenty_kills_at_random_moments_lose_nothing(tmp_path: Path) -> None:
    rng = random.Random(7)
    with FakeLLMServer(latency_ms=250) as server:
        server.fail_rate("server_error", 0.10)
        server.fail_rate("rate_limit", 0.05, retry_after=0.05)
        models = {
            "oa": openai_model(server.openai_base_url),
            "other": openai_model(server.openai_base_url, model="gpt-4o"),
        }
        project = make_project(tmp_path, models, n_cases=2, run={"concurrency": 2, "retries": 6})
        _suite(project.root)
        journal = project.root / ".llmeval" / "runs" / "k" / "results.jsonl"
        flags = ("-m", "oa", "--filter", "c[0-2]", "-t", "keep", "-k", "2")
        done_before: dict[tuple[str, int], int] = {}  # key -> request count when journaled
        kills = 0
        done_counts: list[int] = []
        args: tuple[str, ...] = ("run", "--run-id", "k", "--no-report", *flags)
        while kills < KILLS:
            bg = project.start(*args, tag=f"p{kills}")
            if rng.random() < 0.3:  # during start-up, the manifest or the plan's writing
                time.sleep(rng.uniform(0.05, 1.0))
            else:  # mid-run: after a few more results were journaled (or in the report)
                target = len(_lines(journal)) + rng.randint(1, 4)
                deadline = time.monotonic() + 30
                while len(_lines(journal)) < target and bg.proc.poll() is None:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(rng.uniform(0.0, 0.05))
            if bg.proc.poll() is not None:
                break  # finished before this kill
            bg.signal(signal.SIGKILL)
            bg.wait()
            kills += 1
            done_counts.append(len(_lines(journal)))
            time.sleep(0.1)  # in-flight requests reach the server's log
            seen = len(server.requests)
            for line in _lines(journal):
                if line["status"] != "error":
                    done_before.setdefault((line["case_id"], line["repeat"]), seen)
            if (journal.parent / "run.json").exists():  # else killed before it began: again
                args = ("run", "--resume", "k", "--no-report")  # no selection flags
        code, out, err = project.start(*args, tag="end").wait()
        assert code == 0, out[-2000:] + err[-2000:]
        assert kills >= KILLS // 2, kills  # the run did not simply finish first
        lines = _lines(journal)
        keys = [(x["case_id"], x["repeat"], x["model"]) for x in lines]
        assert len(keys) == len(set(keys)), "a result journaled twice"
        assert {(c, r) for c, r, _m in keys} == _selected(), "lost or outside the selection"
        assert {m for *_k, m in keys} == {"oa"}
        # once journaled, never asked again: both repeats of a case send the same body
        # (the repeat index is in the cache key only), so check per case once both are in
        both_done = {c for c, _ in done_before if (c, 0) in done_before and (c, 1) in done_before}
        for cid in both_done:
            at = max(done_before[(cid, 0)], done_before[(cid, 1)])
            asked = [q for q in server.requests[at:] if q.prompt and case_of(q.prompt) == cid]
            assert asked == [], f"{cid} asked again after both repeats were journaled"
        manifest = json.loads((journal.parent / "run.json").read_text())
        assert manifest["selection"]["models"] == ["oa"] and manifest["status"] == "complete"
        during = sum(1 for n in done_counts if 0 < n < len(_selected()))
        print(
            f"\nkills: {kills} ({during} with part of the run journaled), "
            f"requests: {len(server.requests)}, results: {len(lines)}"
        )
