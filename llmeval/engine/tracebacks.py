"""The traceback of a user's target or scorer exception, as journaled with its error.

Only the last frames are kept (the user's code, not llmeval's plumbing), and the text
passes through secret redaction like every other text that leaves llmeval.
"""

from __future__ import annotations

import traceback
from pathlib import Path

_PACKAGE = str(Path(__file__).resolve().parent.parent)

_FRAMES = 8
_MAX_CHARS = 8000


def user_traceback(e: BaseException) -> str:
    remote = getattr(e, "remote_frames", None)  # raised in a target worker: its frames
    if remote:
        mine = list(traceback.StackSummary.from_list(remote))
    else:
        tb = traceback.extract_tb(e.__traceback__)
        mine = [f for f in tb if not f.filename.startswith(_PACKAGE)] or list(tb)
    lines = traceback.format_list(mine[-_FRAMES:])
    lines += traceback.format_exception_only(type(e), e)
    text = "Traceback (most recent call last):\n" + "".join(lines)
    if len(text) > _MAX_CHARS:
        text = "…" + text[-_MAX_CHARS:]
    from llmeval.providers.secrets import redact

    return redact(text)
