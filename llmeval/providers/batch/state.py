"""What a batch submission writes to its folder, and how (atomically, before it is needed).

One JSON file per provider batch (``<api>-<seq>.json``) records, in this order:

1. ``prepared``: the custom ids (the requests' cache keys) it claims, before any call;
2. ``uploaded``: the input file id (OpenAI), right after the upload;
3. ``creating``: a submission token and the time, *before* ``batches.create`` — so a
   process killed while the create is on the wire finds the batch on resume (by the
   token in OpenAI's metadata, by creation time and size for Anthropic) instead of
   creating a second one;
4. ``submitted``: the batch id, right after the create;
5. ``ended``: the provider's final status and its output / error file ids;
6. ``collected``: after the per-request results were written to
   ``<api>-<seq>.results.jsonl`` (and the response cache);
7. ``abandoned``: never reached the provider (killed before the create, or the create
   was refused, or a create cut off by a kill was not found again): its requests are
   free to go into another batch (``providers.batching`` on resume).

Every write is a temp file, fsync and ``os.replace``: a kill leaves the old or the new
file, never half of one. Nothing here holds a key or a header.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STATE_VERSION = 1
PHASES = ("prepared", "uploaded", "creating", "submitted", "ended", "collected", "abandoned")


@dataclass
class BatchState:
    api: str  # openai | anthropic
    seq: int
    model: str  # the model alias
    keys: list[str]  # custom ids = cache keys, in submission order
    phase: str = "prepared"
    token: str = ""  # submission token (OpenAI metadata), set before the create
    intent_at: float = 0.0  # wall time just before the create
    input_file_id: str | None = None
    batch_id: str | None = None
    remote_status: str | None = None  # the provider's own status word
    counts: dict[str, int] = field(default_factory=dict)
    output_file_id: str | None = None
    error_file_id: str | None = None
    cancel_requested: bool = False
    v: int = STATE_VERSION

    @property
    def name(self) -> str:
        return f"{self.api}-{self.seq:04d}"

    def at_least(self, phase: str) -> bool:
        return PHASES.index(self.phase) >= PHASES.index(phase)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BatchState:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def write_json_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that a kill leaves the old or the new content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself survives a crash
    finally:
        os.close(dir_fd)


class StateDir:
    """The folder of one model's batches."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load(self) -> list[BatchState]:
        if not self.folder.is_dir():
            return []
        states = []
        for path in sorted(self.folder.glob("*-[0-9][0-9][0-9][0-9].json")):
            states.append(BatchState.from_json(json.loads(path.read_text(encoding="utf-8"))))
        return states

    def save(self, state: BatchState) -> None:
        text = json.dumps(asdict(state), indent=1, sort_keys=True)
        write_json_atomic(self.folder / f"{state.name}.json", text)

    def results_path(self, state: BatchState) -> Path:
        return self.folder / f"{state.name}.results.jsonl"

    def next_seq(self, states: list[BatchState]) -> int:
        return max((s.seq for s in states), default=0) + 1
