"""The run journal: one JSON line per finished result, flushed as it finishes.

It is the truth ``--resume`` reads. A process killed mid-write leaves at most one
partial last line, which ``read_journal`` ignores (that result simply runs again).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from llmeval.domain.record import CaseResult
from llmeval.providers.secrets import redact


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._repair_tail()
        self._fh: IO[str] = open(path, "a", encoding="utf-8")  # noqa: SIM115

    def _repair_tail(self) -> None:
        # A kill -9 mid-line leaves a fragment; cut it so the next append starts clean.
        if not self.path.exists():
            return
        with open(self.path, "rb+") as fh:
            data = fh.read()
            if data and not data.endswith(b"\n"):
                fh.truncate(data.rfind(b"\n") + 1)

    def append(self, result: CaseResult) -> None:
        # the last line of defence: whatever a scorer or target echoed, no key is written
        line = redact(json.dumps(result.to_json(), ensure_ascii=False, separators=(",", ":")))
        self._fh.write(line + "\n")
        self._fh.flush()

    def sync(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if not self._fh.closed:
            self.sync()
            self._fh.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def iter_journal(path: Path, unreadable: list[int] | None = None) -> Iterator[CaseResult]:
    """The journal's results in order. A line that is not a result (a torn or edited
    file) is skipped -- its result counts as not run -- and its 1-based number added
    to ``unreadable`` when given; the partial last line of a killed run is not counted."""
    if not path.exists():
        return
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            if not raw.endswith(b"\n"):
                break  # partial last line of a killed run
            if not raw.strip():
                continue
            try:  # bytes that are not UTF-8 make the line unreadable, not the journal
                yield CaseResult.from_json(json.loads(raw.decode("utf-8")))
            except (ValueError, KeyError, TypeError, AttributeError):
                if unreadable is not None:
                    unreadable.append(n)


def read_journal(path: Path, unreadable: list[int] | None = None) -> list[CaseResult]:
    """Every result, the last one winning when a key repeats, with the comparison
    pass's verdicts (``comparisons.jsonl`` beside it) applied: the one reader."""
    from llmeval.store.comparisons import overlay

    latest: dict[tuple[str, str, str, str, int], CaseResult] = {}
    for r in iter_journal(path, unreadable):
        latest[r.key] = r
    return overlay(list(latest.values()), path.parent)


def compact(path: Path) -> int:
    """Rewrite the journal with one line per result (the last), if any key repeats.

    A resume appends the retried result after the error it replaces; readers use the
    last line, but one line per result is what ``jq`` or pandas users expect. The
    rewrite is atomic: a crash leaves the old journal intact. Returns lines dropped.
    """
    if not path.exists():
        return 0
    with open(path, encoding="utf-8") as fh:
        lines = [ln for ln in fh if ln.endswith("\n") and ln.strip()]
    keep: dict[tuple[str, str, str, str, int], str] = {}
    for ln in lines:
        try:
            d = json.loads(ln)
            key = (d["suite"], d["case_id"], d["model"], d["prompt"], d.get("repeat", 0))
        except (ValueError, KeyError, TypeError):
            continue
        keep.pop(key, None)  # re-insert: keeps the order of the last occurrence
        keep[key] = ln
    dropped = len(lines) - len(keep)
    if dropped > 0:
        from llmeval.store.runs import atomic_write

        atomic_write(path, "".join(keep.values()))
    return dropped
