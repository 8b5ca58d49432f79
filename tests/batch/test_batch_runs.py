"""The run-level calls the engine and ``llmeval batch status|cancel`` make."""

from __future__ import annotations

from pathlib import Path

from batch_child import model, requests
from fakeserver import FakeLLMServer

from llmeval.providers.batch import (
    batch_status,
    cancel_batches,
    refresh_status,
    run_batches,
    submitter_for,
)
from llmeval.providers.cache import Cached, ResponseCache, cache_key, endpoint_host


async def test_run_batches_answers_every_model_and_fills_the_cache(
    fake_server: FakeLLMServer, tmp_path: Path
) -> None:
    from dataclasses import replace

    oa = replace(model("openai", fake_server.openai_base_url), alias="oa")
    an = replace(model("anthropic", fake_server.anthropic_base_url), alias="an")
    cache = ResponseCache(tmp_path / "cache")
    work = {"oa": (oa, requests(oa, 7)), "an": (an, requests(an, 5))}
    providers = await run_batches(tmp_path / "run", work, cache=cache, poll_s=0.01)
    for alias, (_, reqs) in work.items():
        texts = [(await providers[alias].complete(r)).text for r in reqs]
        assert texts == [r.messages[-1].content for r in reqs]
    assert {(s.model, s.api, s.requests, s.phase) for s in batch_status(tmp_path / "run")} == {
        ("oa", "openai", 7, "collected"),
        ("an", "anthropic", 5, "collected"),
    }
    # a later live run of the same requests is all cache hits: same key as the stack's
    for spec, reqs in work.values():
        assert all(cache.contains(cache_key(r, spec.base_url or spec.provider)) for r in reqs)
        live = Cached(_Never(), cache, "use", endpoint_host(spec))
        for r in reqs:
            assert (await live.complete(r)).cached
    cache.close()


class _Never:
    async def complete(self, request):  # pragma: no cover - must not be called
        raise AssertionError("a batch answer should have been cached")


async def test_status_and_cancel_by_run_folder(fake_server: FakeLLMServer, tmp_path: Path) -> None:
    from dataclasses import replace

    fake_server.batches.delay_s = 3600
    oa = replace(model("openai", fake_server.openai_base_url), alias="oa")
    run_dir = tmp_path / "run"
    await submitter_for(run_dir, oa).submit(requests(oa, 3))
    (s,) = batch_status(run_dir)
    assert s.phase == "submitted" and s.batch_id and s.remote_status is None
    (s,) = await refresh_status(run_dir, {"oa": oa})
    assert s.remote_status == "in_progress"
    (s,) = await cancel_batches(run_dir, {"oa": oa})
    assert s.cancel_requested and s.remote_status == "cancelling"
    (s,) = await refresh_status(run_dir, {"oa": oa})
    assert s.phase == "ended" and s.remote_status == "cancelled"


async def test_a_damaged_batch_record_stops_with_its_file_named(
    fake_server: FakeLLMServer, tmp_path: Path
) -> None:
    """A batch record is what keeps a batch from being sent twice: a damaged one is
    refused (UsageError, exit 4, naming the file), never guessed at; so is a damaged
    line of the collected results."""
    import json
    from dataclasses import replace

    import pytest

    from llmeval.errors import UsageError

    oa = replace(model("openai", fake_server.openai_base_url), alias="oa")
    run_dir = tmp_path / "run"
    cache = ResponseCache(tmp_path / "cache")
    await run_batches(run_dir, {"oa": (oa, requests(oa, 3))}, cache=cache, poll_s=0.01)
    cache.close()
    (record,) = (run_dir / "batches" / "oa").glob("openai-*[0-9].json")
    good = record.read_text()
    for damage in ("[1]", '{"api": "openai"}', "nope{", None, "keys", "phase", "seq"):
        doc = json.loads(good)
        if damage in ("keys", "phase", "seq"):
            doc[damage] = {"keys": [1], "phase": "flying", "seq": True}[damage]
            record.write_text(json.dumps(doc))
        elif damage is None:
            record.write_bytes(b"\xff\xfe")
        else:
            record.write_text(damage)
        with pytest.raises(UsageError) as e:
            batch_status(run_dir)
        assert str(record) in str(e.value) and "damaged batch record" in str(e.value)
    record.write_text(good)
    (results,) = (run_dir / "batches" / "oa").glob("*.results.jsonl")
    lines = results.read_text().splitlines()
    results.write_text("\n".join([lines[0], "[1]", *lines[2:]]) + "\n")
    from llmeval.providers.batch.results import read_outcomes

    with pytest.raises(UsageError, match=f"{results}:2: damaged batch result line"):
        read_outcomes(results)
