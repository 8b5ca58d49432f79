from __future__ import annotations

import json

import pytest

from llmeval.analysis.diff import IncomparableError, compare
from llmeval.domain.record import AssertionResult
from llmeval.errors import UsageError
from llmeval.store.baselines import MAX_OUTPUT, baseline_path, load_baseline, save_baseline

META = {
    "run_id": "20250101-abc",
    "finished_at": "2025-01-01T10:00:00Z",
    "suites": {"faq": {"fingerprint": "fp1"}, "other": {"fingerprint": "fp9"}},
    "models": {"bot": {"provider": "python", "model": "apps/bot.py:answer", "model_id": "bot-1"}},
    "prompts": {"support@v2": "sha-support-v2"},
    "judge": {"model": "gpt-4o-mini", "prompt_sha": "j1"},
    "config_sha": "cfg1",
}


def _results(mk, run_id="20250101-abc", flip=False):
    out = []
    for i in range(6):
        status = "pass" if i % 3 else "fail"
        if flip and i == 1:
            status = "fail"
        for r in range(2):
            s = "fail" if (i == 4 and r == 1) else status  # c4 is flaky
            out.append(
                mk(
                    f"c{i}",
                    s,
                    run_id=run_id,
                    suite="faq",
                    model="bot",
                    prompt="support@v2",
                    repeat=r,
                    score=0.1 * i + (1 / 3),  # long floats get rounded
                    output=("x" * 3000) if i == 5 else f"answer {i} `<b>`",
                    latency_ms=100.0 + r,
                    assertions=(
                        AssertionResult(
                            "icontains",
                            "pass" if s == "pass" else "fail",
                            float(s == "pass"),
                            reason=f"r{r}",
                        ),
                        AssertionResult("llm-rubric", "pass", 0.8 + 0.05 * r, metric="tone"),
                    ),
                )
            )
    out.append(mk("elsewhere", "pass", suite="other"))
    return out


def test_save_is_byte_stable_and_sorted(tmp_path, mk):
    res = _results(mk)
    p1 = save_baseline(res, META, "faq", tmp_path)
    first = p1.read_bytes()
    p2 = save_baseline(list(reversed(res)), META, "faq", tmp_path)
    assert p1 == p2 == tmp_path / "suites" / "baselines" / "faq.json"
    assert p2.read_bytes() == first
    text = first.decode()
    assert text.endswith("}\n") and "\n  " in text
    doc = json.loads(text)
    assert json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n" == text
    assert [e["case_id"] for e in doc["entries"]] == [f"c{i}" for i in range(6)]
    assert doc["source_run"] == "20250101-abc" and doc["created_at"] == "2025-01-01T10:00:00Z"
    entry_text = json.dumps(doc["entries"])
    assert "20250101-abc" not in entry_text and "latency" not in entry_text
    assert "reason" not in entry_text  # judge reasons change every run
    assert doc["entries"][1]["score"] == 0.433333
    assert doc["fingerprint"] == {
        "assertions": "fp1",
        "config_sha": "cfg1",
        "judge": {"model": "gpt-4o-mini", "prompt_sha": "j1"},
        "models": {
            "bot": {"model": "apps/bot.py:answer", "model_id": "bot-1", "provider": "python"}
        },
        "prompts": {"support@v2": "sha-support-v2"},
    }
    c4 = doc["entries"][4]
    assert c4["status"] == "flaky" and c4["counts"] == {
        "error": 0,
        "fail": 1,
        "pass": 1,
        "skipped": 0,
    }
    assert c4["assertions"] == [
        {"passed": None, "score": 0.5, "type": "icontains"},
        {"metric": "tone", "passed": True, "score": 0.825, "type": "llm-rubric"},
    ]
    assert len(doc["entries"][5]["output"]) < MAX_OUTPUT + 50


def test_round_trip_compares_as_the_source_run(tmp_path, mk):
    res = [r for r in _results(mk) if r.suite == "faq"]
    path = save_baseline(res, META, "faq", tmp_path)
    loaded, meta = load_baseline(path)
    assert meta["run_id"] == "20250101-abc" and meta["suites"]["faq"]["fingerprint"] == "fp1"
    same = compare(loaded, res, meta, META)
    assert set(same.counts.items()) >= {("unchanged", 5), ("flaky", 1), ("regressed", 0)}
    for m in same.metrics:
        assert m.delta == pytest.approx(0.0, abs=1e-6), m.metric
    assert {m.metric for m in same.metrics} == {"pass_rate", "score", "icontains", "tone"}
    # a regression against the baseline is found
    cand = _results(mk, run_id="new", flip=True)
    cmp = compare(loaded, [r for r in cand if r.suite == "faq"], meta, META)
    assert [c.case_id for c in cmp.by_change("regressed")] == ["c1"]
    # and saving what was loaded reproduces the file
    again = save_baseline(
        loaded, meta | {"finished_at": "2025-01-01T10:00:00Z"}, "faq", tmp_path / "b"
    )
    assert json.loads(again.read_text())["entries"] == json.loads(path.read_text())["entries"]


def test_baseline_with_other_assertions_is_refused(tmp_path, mk):
    path = save_baseline(_results(mk), META, "faq", tmp_path)
    loaded, meta = load_baseline(path)
    changed = META | {"suites": {"faq": {"fingerprint": "fp2"}}}
    with pytest.raises(IncomparableError, match="assertions changed for suite faq"):
        compare(loaded, _results(mk), meta, changed)


@pytest.mark.parametrize("name", ["../evil", "a/b", "", ".hidden"])
def test_unsafe_suite_names_are_refused(tmp_path, name):
    with pytest.raises(UsageError):
        baseline_path(tmp_path, name)


def test_missing_suite_and_bad_files(tmp_path, mk):
    with pytest.raises(UsageError, match="no results for suite"):
        save_baseline(_results(mk), META, "nope", tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(UsageError, match="cannot read baseline"):
        load_baseline(bad)
    bad.write_text('{"entries": []}')
    with pytest.raises(UsageError, match="not an llmeval baseline"):
        load_baseline(bad)


DAMAGE = {
    "entry not an object": (lambda d: d["entries"].__setitem__(0, [1]), "an object is expected"),
    "no case id": (lambda d: d["entries"][0].pop("case_id"), "'case_id' should be a string"),
    "score a word": (lambda d: d["entries"][0].__setitem__("score", "high"), "'score'"),
    "count a word": (lambda d: d["entries"][0].__setitem__("counts", {"pass": "many"}), "counts"),
    "a billion samples": (
        lambda d: d["entries"][0].__setitem__("counts", {"pass": 10**9}),
        "up to 10,000",
    ),
    "assertion a number": (lambda d: d["entries"][0].__setitem__("assertions", [5]), "assertions"),
    "output a list": (lambda d: d["entries"][0].__setitem__("output", ["x"]), "'output'"),
    "entries a string": (lambda d: d.__setitem__("entries", "x"), "malformed"),
    "suite a number": (lambda d: d.__setitem__("suite", 5), "malformed"),
}


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_a_damaged_baseline_is_a_usage_error_naming_the_entry(tmp_path, mk, damage):
    """A hand-edited or damaged baseline: one clear error (exit 4) naming the file and
    the entry, never an internal error and never an entry silently ignored."""
    path = save_baseline(_results(mk), META, "faq", tmp_path)
    doc = json.loads(path.read_text())
    change, said = DAMAGE[damage]
    change(doc)
    path.write_text(json.dumps(doc))
    with pytest.raises(UsageError) as e:
        load_baseline(path)
    assert str(path) in str(e.value) and said in str(e.value) and "\n" not in str(e.value)
    if damage not in ("entries a string", "suite a number"):
        assert "entry 1" in str(e.value)
