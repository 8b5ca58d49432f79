"""Run folders: ``.llmeval/runs/<run_id>/{results.jsonl, run.json}``."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from llmeval.errors import UsageError

JOURNAL = "results.jsonl"
MANIFEST = "run.json"
PLAN = "plan.json"


def new_run_id(now: float | None = None) -> str:
    """Sortable and unique: 20261127-041233-3f9a."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now if now is not None else time.time()))
    return f"{stamp}-{secrets.token_hex(2)}"


MAX_RUN_ID = 128  # a folder name: well under every file system's 255-byte limit


def valid_run_id(run_id: str) -> bool:
    return (
        0 < len(run_id) <= MAX_RUN_ID
        and all(c.isalnum() or c in "-_." for c in run_id)
        and run_id[0] != "."
    )


def atomic_write(path: Path, text: str) -> None:
    """Write via a temp file + rename, so readers never see half a file.

    Every run.json, report, baseline, markdown and JUnit file passes here, so this is
    also their last line of defence against a key: ``redact`` over the whole text
    (cheap: ~25 ms per MB; "[REDACTED]" needs no escaping in JSON, HTML or XML)."""
    from llmeval.providers.secrets import redact

    text = redact(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        # mkstemp makes 0600 files; reports and baselines are meant to be shared
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any) -> None:
    atomic_write(path, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def git_sha(root: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and sha else None


# run.json's fields and their JSON types (None is always allowed): a manifest from
# elsewhere (a CI artifact, a hand edit) is checked once, here, not at each reader
_MANIFEST_TYPES: dict[str, type | tuple[type, ...]] = {
    **dict.fromkeys(("run_id", "status", "cache_mode", "llmeval_version", "python"), str),
    **dict.fromkeys(("git_sha", "config_sha", "label", "baseline"), str),
    **dict.fromkeys(("started_at", "finished_at", "duration_s", "spent_usd"), (int, float)),
    "max_cost_usd": (int, float),
    **dict.fromkeys(("batch", "resumed_from"), bool),
    **dict.fromkeys(
        ("selection", "judge", "suites", "models", "prompts", "policies", "shard", "counts"), dict
    ),
    **dict.fromkeys(("stopped_models", "cache", "summary", "comparison", "verdict"), dict),
    "merged_from": dict,
}


def _typed(value: Any, kind: type | tuple[type, ...]) -> bool:
    if kind is bool:
        return type(value) is bool
    return not isinstance(value, bool) and isinstance(value, kind)  # True is not a number


def checked_manifest(doc: Any, path: Path) -> dict[str, Any]:
    """``doc`` if it is shaped like a run.json; else a UsageError naming the field."""
    if not isinstance(doc, dict):
        raise UsageError(f"{path}: not a run manifest (a JSON object is expected)")
    for key, kind in _MANIFEST_TYPES.items():
        value = doc.get(key)
        if value is not None and not _typed(value, kind):
            raise UsageError(f"{path}: not a run manifest: '{key}' has the wrong type")
    summary = doc.get("summary") or {}
    groups = summary.get("groups") or []
    nested = {
        "suites": list((doc.get("suites") or {}).values()),
        "models": list((doc.get("models") or {}).values()),
        "summary": groups if isinstance(groups, list) else [None],
        "summary totals": [summary.get("totals") or {}],
    }
    for key, values in nested.items():
        if not all(isinstance(v, dict) for v in values):
            raise UsageError(f"{path}: not a run manifest: '{key}' has the wrong type")
    return doc


class RunStore:
    def __init__(self, root: Path, runs_dir: str = ".llmeval/runs") -> None:
        self.root = root
        self.base = root / runs_dir

    def run_dir(self, run_id: str) -> Path:
        if not valid_run_id(run_id):
            shown = run_id if len(run_id) <= 40 else run_id[:40] + "…"
            raise UsageError(
                f"invalid run id {shown!r}: use at most {MAX_RUN_ID} letters, digits, "
                "'-', '_' or '.'"
            )
        return self.base / run_id

    def journal_path(self, run_id: str) -> Path:
        return self.run_dir(run_id) / JOURNAL

    def manifest_path(self, run_id: str) -> Path:
        return self.run_dir(run_id) / MANIFEST

    def read_manifest(self, run_id: str) -> dict[str, Any]:
        return self.read_manifest_at(self.run_dir(run_id))

    def write_manifest(self, run_id: str, manifest: dict[str, Any]) -> None:
        write_json(self.manifest_path(run_id), manifest)

    def read_manifest_at(self, run_dir: Path) -> dict[str, Any]:
        path = run_dir / MANIFEST
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))  # bad UTF-8: a ValueError
        except FileNotFoundError:
            return {}
        except ValueError as e:
            raise UsageError(f"{path}: unreadable run manifest: {e}") from None
        return checked_manifest(doc, path)

    def write_manifest_at(self, run_dir: Path, manifest: dict[str, Any]) -> None:
        write_json(run_dir / MANIFEST, manifest)

    def read_plan(self, run_dir: Path) -> set[tuple[str, str, str, str, int]] | None:
        """The keys a run planned at its start (None for runs made before plans were kept)."""
        path = run_dir / PLAN
        try:
            data = json.loads(path.read_text(encoding="utf-8"))  # bad UTF-8: a ValueError
        except FileNotFoundError:
            return None
        except ValueError as e:
            raise UsageError(f"{path}: unreadable run plan: {e}") from None
        try:
            keys = {(s, c, m, p, int(r)) for s, c, m, p, r in data["keys"]}
        except (KeyError, TypeError, ValueError, AttributeError):
            raise UsageError(f"{path}: not a run plan (its 'keys' are malformed)") from None
        if not all(isinstance(x, str) for k in keys for x in k[:4]):
            raise UsageError(f"{path}: not a run plan (its 'keys' are malformed)")
        return keys

    def write_plan(self, run_dir: Path, keys: set[tuple[str, str, str, str, int]]) -> None:
        # compact, one key per line: written once per run, before its first call
        lines = ",\n".join(json.dumps(list(k), ensure_ascii=False) for k in sorted(keys))
        atomic_write(run_dir / PLAN, '{"keys": [\n' + lines + "\n]}\n")

    def list_runs(self) -> list[str]:
        if not self.base.is_dir():
            return []
        return sorted(
            p.name for p in self.base.iterdir() if (p / JOURNAL).exists() or (p / MANIFEST).exists()
        )

    def resolve(self, ref: str) -> Path:
        """A run id, a unique id prefix, 'latest', or a path to a run folder."""
        path = Path(ref)
        if (path / JOURNAL).exists() or (path / MANIFEST).exists():
            return path
        runs = self.list_runs()
        if ref == "latest":
            if not runs:
                raise UsageError(f"no runs yet in {self.base}")
            # newest by its journal's last write, since --run-id names need not sort by time
            return max((self.base / r for r in runs), key=_last_write)
        if ref in runs:
            return self.base / ref
        matches = [r for r in runs if r.startswith(ref)]
        if len(matches) == 1:
            return self.base / matches[0]
        if matches:
            raise UsageError(f"run '{ref}' is ambiguous: {', '.join(matches[:5])}")
        raise UsageError(f"no run '{ref}' in {self.base} (see `llmeval runs`)")


def _last_write(run_dir: Path) -> float:
    return max(p.stat().st_mtime for p in (run_dir / JOURNAL, run_dir / MANIFEST) if p.exists())
