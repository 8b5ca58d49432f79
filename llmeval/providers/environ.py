"""The process environment as seen from outside: keys stay in this process's memory.

A python scorer or target runs user code. Two ways it could reach a provider key:

- its own environment: workers get ``child_environ()``, which drops every variable
  whose name is key-like or whose value is a known secret;
- the parent's environment block, through ``/proc/<ppid>/environ``. The kernel serves
  that file from the parent's memory (the block between ``env_start`` and ``env_end``
  in ``/proc/self/stat``) and lets any process of the same user -- and root, always --
  read it; ``PR_SET_DUMPABLE`` does not stop root. ``seal_environ()`` therefore
  overwrites the secret values *in that block* with NULs. Python's ``os.environ`` is a
  copy taken at start-up, so llmeval still reads its keys from there; only the
  ``/proc`` view (and libc ``getenv``) lose them.

``seal_environ`` also clears the dumpable flag, so a same-user, non-root child cannot
attach to the parent or read ``/proc/<ppid>/mem``; the workers drop
``CAP_SYS_PTRACE`` themselves, which closes ``/proc/<ppid>/mem`` to a root child too.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys

from llmeval.providers.secrets import is_secret_name, secret_values

_PR_SET_DUMPABLE = 4
_sealed = False


def _is_secret(name: str, value: str, values: frozenset[str]) -> bool:
    return bool(value.strip()) and (is_secret_name(name) or value.strip() in values)


def child_environ(base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default ``os.environ``) without any variable that holds a secret."""
    src = dict(os.environ if base is None else base)
    values = secret_values()
    return {k: v for k, v in src.items() if not _is_secret(k, v, values)}


def _env_block() -> tuple[int, int] | None:
    """Address range of this process's initial environment block (Linux >= 3.5)."""
    try:
        with open("/proc/self/stat", "rb") as fh:
            stat = fh.read()
        fields = stat[stat.rindex(b")") + 2 :].split()  # after "pid (comm) "
        start, end = int(fields[47]), int(fields[48])  # stat fields 50 and 51
    except (OSError, ValueError, IndexError):
        return None
    return (start, end) if 0 < start < end else None


def seal_environ() -> int:
    """Overwrite the secret values in this process's ``/proc/self/environ`` block with
    NULs (``os.environ`` keeps its copies) and clear the dumpable flag. Linux only;
    elsewhere a no-op. Returns how many values were wiped; idempotent."""
    global _sealed
    if not sys.platform.startswith("linux"):
        return 0
    block = _env_block()
    wiped = 0
    if block is not None:
        start, end = block
        raw = ctypes.string_at(start, end - start)
        values = secret_values()
        offset = 0
        for entry in raw.split(b"\0"):
            name, sep, value = entry.partition(b"=")
            text = value.decode("utf-8", "replace")
            if sep and _is_secret(name.decode("utf-8", "replace"), text, values):
                ctypes.memset(start + offset + len(name) + 1, 0, len(value))
                wiped += 1
            offset += len(entry) + 1
    if not _sealed:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
        _sealed = True
    return wiped
