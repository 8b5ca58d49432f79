"""What earlier runs recorded of the plan's multi-step items, for the cost estimate.

A tool loop's or conversation's later requests depend on its earlier answers and on
the tools' outputs, so before a run only its first request is known. The last journaled
result of the same item holds the whole history; the estimate rebuilds each call from
it (``engine.loop.recorded_requests``) and looks them up in the cache: the calls a run
would replay cost nothing. Reads the newest runs first, at most ``MAX_RUNS`` of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from llmeval.domain.prompt import Message
from llmeval.domain.record import ERROR
from llmeval.domain.tools import ToolCall
from llmeval.engine.plan import Key

MAX_RUNS = 20  # a dry-run stays quick in a folder of many runs


@dataclass(frozen=True, slots=True)
class Recorded:
    history: tuple[Message, ...]
    complete: bool  # the loop ran to its end (not stopped by an error part way)


def message_of(d: Mapping[str, Any]) -> Message:
    """A journaled message (``Message.to_json`` plus a turn mark) as a ``Message``."""
    calls = d.get("tool_calls") or ()
    return Message(
        str(d.get("role", "")),
        str(d.get("content") or ""),
        tool_calls=tuple(ToolCall.from_json(c) for c in calls if isinstance(c, dict)),
        tool_call_id=d.get("tool_call_id"),
    )


def recorded_histories(runs: Any, keys: Iterable[Key]) -> dict[Key, Recorded]:
    """The newest recorded history of each of ``keys`` in the ``RunStore`` ``runs``."""
    from llmeval.engine.journal import iter_journal
    from llmeval.store.runs import JOURNAL

    wanted = set(keys)
    found: dict[Key, Recorded] = {}
    if not wanted:
        return found
    dirs = [runs.base / r for r in runs.list_runs()]
    dirs = [d for d in dirs if (d / JOURNAL).exists()]
    dirs.sort(key=lambda d: (d / JOURNAL).stat().st_mtime, reverse=True)
    for run_dir in dirs[:MAX_RUNS]:
        newest: dict[Key, Recorded] = {}
        for r in iter_journal(run_dir / JOURNAL):
            if r.key in wanted and r.key not in found and r.messages:
                history = tuple(message_of(m) for m in r.messages)
                newest[r.key] = Recorded(history, r.status != ERROR)  # the last line wins
        found.update(newest)
        if len(found) == len(wanted):
            break
    return found
