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


# each field's JSON type(s): a record that does not match is refused, never guessed at
_TYPES: dict[str, tuple[type, ...]] = {
    "api": (str,), "seq": (int,), "model": (str,), "keys": (list,), "phase": (str,),
    "token": (str,), "intent_at": (int, float), "input_file_id": (str, type(None)),
    "batch_id": (str, type(None)), "remote_status": (str, type(None)), "counts": (dict,),
    "output_file_id": (str, type(None)), "error_file_id": (str, type(None)),
    "cancel_requested": (bool,), "v": (int,),
}  # fmt: skip
_REQUIRED = ("api", "seq", "model", "keys")


def read_state(path: Path) -> BatchState:
    """One batch record. A damaged one stops the run (UsageError, exit 4) naming the
    file: guessing could resubmit a batch that was already sent, or lose one."""
    from llmeval.errors import UsageError

    try:
        data = json.loads(path.read_text(encoding="utf-8"))  # bad UTF-8: a ValueError
    except ValueError as e:
        raise UsageError(f"{path}: damaged batch record ({e})") from None
    bad = _problem(data)
    if bad is not None:
        raise UsageError(
            f"{path}: damaged batch record ({bad}); `llmeval batch status` lists the run's "
            "batches, and the provider's console shows whether it was submitted"
        )
    return BatchState.from_json(data)


def _problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "a JSON object is expected"
    for k in _REQUIRED:
        if k not in data:
            return f"'{k}' is missing"
    for k, kinds in _TYPES.items():
        v = data.get(k)
        if k in data and (not isinstance(v, kinds) or (isinstance(v, bool) and bool not in kinds)):
            return f"'{k}' has the wrong type"
    if data.get("phase", "prepared") not in PHASES:
        return f"'phase' is not one of {', '.join(PHASES)}"
    if not all(isinstance(k, str) for k in data["keys"]):
        return "'keys' should be strings"
    return None


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
        return [read_state(p) for p in sorted(self.folder.glob("*-[0-9][0-9][0-9][0-9].json"))]

    def save(self, state: BatchState) -> None:
        text = json.dumps(asdict(state), indent=1, sort_keys=True)
        write_json_atomic(self.folder / f"{state.name}.json", text)

    def results_path(self, state: BatchState) -> Path:
        return self.folder / f"{state.name}.results.jsonl"

    def next_seq(self, states: list[BatchState]) -> int:
        return max((s.seq for s in states), default=0) + 1
