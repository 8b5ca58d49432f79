"""Token estimates for ``--dry-run`` and ``--max-cost``, before any call.

OpenAI models are counted with tiktoken (o200k_base for gpt-4o/4.1/5/o-series,
cl100k_base otherwise). tiktoken downloads its BPE files on first use and caches
them (``TIKTOKEN_CACHE_DIR``); offline and uncached it cannot, so every encoding
load runs in a daemon thread with a deadline and, on failure or timeout, the
estimate falls back to a calibrated character count. Nothing here raises.

Calibration of the fallback: English prose averages ~4 characters per token in
cl100k/o200k and ~3.5 in Claude's tokenizer; non-ASCII text (CJK, emoji) is far
denser, ~1.5 characters per token. Chat framing adds ~3 tokens per message and 3
for the reply priming (OpenAI's published accounting). Estimates err high, which is
the safe side for a budget.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from llmeval.domain.model import ModelSpec
from llmeval.domain.prompt import Message

DEFAULT_OUTPUT_TOKENS = 256
PER_MESSAGE = 3
REPLY_PRIMING = 3
LOAD_TIMEOUT_S = 5.0

_O200K_PREFIXES = ("gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "gpt-6", "o1", "o3", "o4")

_lock = threading.Lock()
_encodings: dict[str, Any] = {}  # name -> Encoding, or None once loading failed


def encoding_name(model: str) -> str:
    """The tiktoken encoding an OpenAI model id uses."""
    mid = model.lower().rsplit("/", 1)[-1].removeprefix("ft:")
    return "o200k_base" if mid.startswith(_O200K_PREFIXES) else "cl100k_base"


def _load_encoding(name: str) -> Any:
    import tiktoken

    return tiktoken.get_encoding(name)


def _load_with_deadline(name: str, loader: Callable[[str], Any], timeout: float) -> Any:
    # tiktoken's download has no timeout of its own; a daemon thread can be abandoned
    box: list[Any] = []

    def run() -> None:
        try:
            box.append(loader(name))
        except Exception:
            box.append(None)

    t = threading.Thread(target=run, name=f"tiktoken-{name}", daemon=True)
    t.start()
    t.join(timeout)
    return box[0] if box else None


def get_encoding(name: str) -> Any:
    """The tiktoken encoding, or None if it cannot be had (offline, uncached)."""
    with _lock:
        if name in _encodings:
            return _encodings[name]
    enc = _load_with_deadline(name, _load_encoding, LOAD_TIMEOUT_S)
    with _lock:
        _encodings[name] = enc
    return enc


def tiktoken_available(model: str = "gpt-4o") -> bool:
    return get_encoding(encoding_name(model)) is not None


def estimate_text_tokens(text: str, chars_per_token: float = 4.0) -> int:
    """The calibrated character-count estimate for one text."""
    if not text:
        return 0
    ascii_chars = sum(1 for c in text if c < "\x80")
    other = len(text) - ascii_chars
    return math.ceil(ascii_chars / chars_per_token + other / 1.5)


def _contents(messages: Iterable[Message | Mapping[str, Any]]) -> list[str]:
    out = []
    for m in messages:
        content = m.get("content", "") if isinstance(m, Mapping) else m.content
        out.append(content if isinstance(content, str) else str(content))
    return out


def estimate_tokens(spec: ModelSpec, messages: Iterable[Message | Mapping[str, Any]]) -> int:
    """Input tokens the request will cost on ``spec``'s model (never raises)."""
    texts = _contents(messages)
    framing = PER_MESSAGE * len(texts) + REPLY_PRIMING
    if spec.provider == "openai":
        enc = get_encoding(encoding_name(spec.model))
        if enc is not None:
            try:
                return framing + sum(len(enc.encode(t, disallowed_special=())) for t in texts)
            except Exception:
                pass
        return framing + sum(estimate_text_tokens(t, 4.0) for t in texts)
    ratio = 3.5 if spec.provider == "anthropic" else 4.0
    return framing + sum(estimate_text_tokens(t, ratio) for t in texts)


def estimate_output_tokens(spec: ModelSpec, params: Mapping[str, Any] | None = None) -> int:
    """Output tokens to budget for: the request's max tokens, else a default."""
    merged = {**spec.params, **(params or {})}
    for key in ("max_completion_tokens", "max_tokens", "max_output_tokens"):
        value = merged.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return DEFAULT_OUTPUT_TOKENS
