"""Pre-send redaction: PII in a case's variables becomes stable placeholders.

``redact_vars`` walks the variables (strings inside dicts and lists too) and
replaces every finding with ``[EMAIL_1]``, ``[CARD_1]``...; the same value gets the
same placeholder everywhere in the case, so the prompt stays coherent and the
request (hence the cache key) is identical from run to run. The mapping back to
the originals lives only in memory, in the ``Redaction``; ``restore`` puts the
originals back into a model's answer for the scorers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from llmeval.safety.pii import find_pii

LABELS = {
    "email": "EMAIL",
    "phone": "PHONE",
    "card": "CARD",
    "iban": "IBAN",
    "ssn": "SSN",
    "ip": "IP",
    "key": "SECRET",
}
_PLACEHOLDER = re.compile(r"\[(" + "|".join(LABELS.values()) + r")_(\d+)\]")


@dataclass(frozen=True, slots=True, eq=False)
class Redaction:
    """The redacted variables and, in memory only, how to undo it."""

    vars: dict[str, Any]
    mapping: dict[str, str] = field(default_factory=dict, repr=False)  # placeholder -> original
    count: int = 0  # values replaced (occurrences)

    def restore(self, text: str) -> str:
        if not self.mapping or not text:
            return text
        return _PLACEHOLDER.sub(lambda m: self.mapping.get(m.group(0), m.group(0)), text)

    def __repr__(self) -> str:  # never show the originals, e.g. in a traceback
        return f"Redaction(count={self.count}, placeholders={sorted(self.mapping)})"


class _Redactor:
    def __init__(self, kinds: Sequence[str] | None) -> None:
        self.kinds = kinds
        self.by_value: dict[tuple[str, str], str] = {}
        self.mapping: dict[str, str] = {}
        self.per_label: dict[str, int] = {}
        self.count = 0

    def placeholder(self, kind: str, value: str) -> str:
        key = (kind, value)
        hit = self.by_value.get(key)
        if hit is None:
            label = LABELS[kind]
            n = self.per_label[label] = self.per_label.get(label, 0) + 1
            hit = self.by_value[key] = f"[{label}_{n}]"
            self.mapping[hit] = value
        return hit

    def text(self, text: str) -> str:
        findings = find_pii(text, self.kinds)
        if not findings:
            return text
        out, last = [], 0
        for f in findings:
            out.append(text[last : f.start])
            out.append(self.placeholder(f.kind, f.value))
            last = f.end
        out.append(text[last:])
        self.count += len(findings)
        return "".join(out)

    def value(self, v: Any) -> Any:
        if isinstance(v, str):
            return self.text(v)
        if isinstance(v, Mapping):
            return {k: self.value(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return type(v)(self.value(x) for x in v)
        return v


def redact_vars(vars: Mapping[str, Any], kinds: Sequence[str] | None = None) -> Redaction:
    """The variables with PII replaced by placeholders (dict order decides numbering)."""
    r = _Redactor(kinds)
    out = {k: r.value(v) for k, v in vars.items()}
    return Redaction(out, r.mapping, r.count)


def redact_text(text: str, kinds: Sequence[str] | None = None) -> tuple[str, Redaction]:
    """One text redacted on its own (e.g. an output sent to a moderation API)."""
    r = _Redactor(kinds)
    out = r.text(text)
    return out, Redaction({}, r.mapping, r.count)
