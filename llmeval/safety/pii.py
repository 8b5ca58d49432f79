"""A deterministic PII and secret detector: compiled regexes plus validators.

Kinds: ``email``, ``phone``, ``card`` (Luhn + IIN), ``iban`` (mod-97), ``ssn``
(SSA rules), ``ip`` (v4 and v6), ``key`` (API-key-shaped secrets). Regexes find
candidates; checksums, structure and a little context reject look-alikes (order
ids, timestamps, version strings, UUIDs, ISBNs, product codes). Pure and fast.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from llmeval.safety import validators as v

KINDS = ("email", "phone", "card", "iban", "ssn", "ip", "key")
# overlap resolution: a secret or email wins over the digits inside it
_PRIORITY = {k: i for i, k in enumerate(("key", "email", "iban", "card", "ssn", "ip", "phone"))}


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    value: str
    start: int
    end: int
    label: str = ""  # sub-type: visa, openai, ipv6, ...

    @property
    def masked(self) -> str:
        return mask(self.kind, self.value)

    def describe(self) -> str:
        extra = f" ({self.label})" if self.label and self.kind in ("key", "card") else ""
        return f"{self.kind}{extra} {self.masked} at char {self.start}"


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


def mask(kind: str, value: str) -> str:
    """Enough to recognise the item in a report, not enough to reuse it."""
    if kind == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if kind in ("card", "phone"):
        return "****" + _digits(value)[-4:]
    if kind == "ssn":
        return "***-**-" + _digits(value)[-4:]
    if kind == "iban":
        compact = value.replace(" ", "")
        return compact[:2] + "**…" + compact[-4:]
    if kind == "ip":
        if ":" in value:
            return value.split(":", 1)[0] + ":****"
        a, b, *_ = value.split(".")
        return f"{a}.{b}.*.*"
    return value[:4] + "****"


# --- candidates ----------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.+%-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![A-Za-z0-9-])"
)
_FILE_EXT = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "tif", "tiff"})

# US: (415) 555-0134, 415-555-0134, 415.555.0134, +1 415 555 0134; separators required
_PHONE_US = re.compile(
    r"(?<![\w+.-])(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-]|\.\d|[ -]\d)"
)
# international: a leading + and 8-15 digits in groups
_PHONE_INTL = re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,5}\)?){2,6}(?![\w-]|\.\d)")
# national trunk-prefix form: 020 7946 0958, (030) 1234 5678
_PHONE_NATL = re.compile(
    r"(?<![\w.+-])(?<!\d[ -])(?:\(0[1-9]\d{0,3}\) ?|0[1-9]\d{1,3}[ -])\d{3,4}[ -]?\d{3,4}"
    r"(?![\w-]|\.\d|[ -]\d)"
)
# what precedes an identifier that merely looks like a number of interest
_ID_CONTEXT = re.compile(
    r"(?i)(?:\b(?:sku|part|model|order|invoice|ticket|ref|reference|serial|isbn|id|tracking|item|"
    r"case|po|account|acct|product|catalog|batch|lot|build|version|code)\b\.?\s*(?:#|no\.?|number|nr\.?)?"
    r"\s*[:=#]?\s*|#\s*)$"
)

_CARD = re.compile(r"(?<![\w-])(?<!\d[ -])\d(?:[ -]?\d){11,18}(?![\w-]|[.,]\d|[ -]\d)")
_SSN = re.compile(r"(?<![\w-])\d{3}([- ])\d{2}\1\d{4}(?![\w-])")
_SSN_BARE = re.compile(r"(?i)\b(?:ssn|social security(?: number| no\.?)?|ss#)\W{0,3}(\d{9})\b")
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?= ?[A-Z0-9])")

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.])(?!0\.)(?:{_OCTET}\.){{3}}{_OCTET}(?![\w-]|\.\d)")
_VERSION_CONTEXT = re.compile(
    r"(?i)\b(?:version|ver\.?|v|release|build|chrome|firefox|safari|edge|android|ios|firmware|"
    r"update|upgrade|sdk|api)[\s/]*$"
)
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4})(?![\w:])"
)

# (label, pattern, group reported, minimum entropy of the last group or None)
_KEYS: tuple[tuple[str, re.Pattern[str], int, float | None], ...] = (
    ("anthropic", re.compile(r"\bsk-ant-[a-z]{2,8}\d{2}-[A-Za-z0-9_-]{20,}"), 0, None),
    ("openai", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?([A-Za-z0-9_-]{20,})"), 0, 3.0),
    (
        "aws",
        re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|AIPA)[A-Z0-9]{16}\b"),
        0,
        None,
    ),
    ("github", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_\w{22,255})\b"), 0, None),
    ("slack", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), 0, None),
    ("google", re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![\w-])"), 0, None),
    ("stripe", re.compile(r"\b[srp]k_(?:live|test)_[A-Za-z0-9]{16,}"), 0, None),
    ("gitlab", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), 0, None),
    ("huggingface", re.compile(r"\bhf_([A-Za-z0-9]{30,})\b"), 0, 3.0),
    ("npm", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), 0, None),
    ("jwt", re.compile(r"\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}"), 0, None),
    ("private-key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"), 0, None),
    (
        "generic",
        re.compile(
            r"(?i)\b(?:api[_-]?key|api[_-]?secret|secret[_-]?key|client[_-]?secret|"
            r"access[_-]?(?:key|token)(?:[_-]?id)?|auth[_-]?token|bearer|token|secret|password|"
            r"passwd|pwd)\b[\"']?\s*(?:[:=]|=>|\bis\b)?\s*[\"']?([A-Za-z0-9/+_.~-]{16,})"
        ),
        1,
        3.3,
    ),
)


def _ctx_before(text: str, start: int, n: int = 24) -> str:
    return text[max(0, start - n) : start]


def _emails(text: str) -> Iterator[Finding]:
    for m in _EMAIL.finditer(text):
        value = m.group(0)
        local = value.split("@", 1)[0]
        if ".." in value or local.endswith(".") or m.group(1).lower() in _FILE_EXT:
            continue
        if text[m.end() : m.end() + 1] == ":" and text[m.end() + 1 : m.end() + 2].strip():
            continue  # scp-style git@host:path, not a mailbox
        yield Finding("email", value, m.start(), m.end())


def _grouping_ok(s: str) -> bool:
    """Card digits are written bare or in the issuers' groupings (4-4-4-4, 4-6-5...)."""
    seps = set(re.findall(r"[ -]", s))
    if not seps:
        return True
    if len(seps) > 1:
        return False
    sizes = [len(g) for g in re.split(r"[ -]", s)]
    if sizes in ([4, 6, 5], [4, 6, 4]):
        return True
    return all(n == 4 for n in sizes[:-1]) and 1 <= sizes[-1] <= 4 and len(sizes) >= 3


def _cards(text: str) -> Iterator[Finding]:
    for m in _CARD.finditer(text):
        s = m.group(0)
        digits = _digits(s)
        if not (_grouping_ok(s) and v.card_ok(digits)):
            continue
        if s.isdigit() and _ID_CONTEXT.search(_ctx_before(text, m.start())):
            continue
        yield Finding("card", s, m.start(), m.end(), v.card_brand(digits) or "")


def _ibans(text: str) -> Iterator[Finding]:
    for m in _IBAN_START.finditer(text):
        want = v.IBAN_LENGTHS.get(m.group(0)[:2])
        if want is None:
            continue
        i, compact = m.end(), m.group(0)
        while len(compact) < want and i < len(text):
            c = text[i]
            if c.isascii() and (c.isdigit() or c.isupper()):
                compact += c
            elif not (c == " " and i + 1 < len(text) and text[i + 1].isalnum()):
                break
            i += 1
        if len(compact) != want or (i < len(text) and text[i].isalnum()):
            continue
        if v.iban_ok(compact):
            yield Finding("iban", text[m.start() : i], m.start(), i)


def _ssns(text: str) -> Iterator[Finding]:
    for m in _SSN.finditer(text):
        if v.ssn_ok(_digits(m.group(0))):
            yield Finding("ssn", m.group(0), m.start(), m.end())
    for m in _SSN_BARE.finditer(text):
        if v.ssn_ok(m.group(1)):
            yield Finding("ssn", m.group(1), m.start(1), m.end(1))


def _phones(text: str) -> Iterator[Finding]:
    for m in _PHONE_US.finditer(text):
        if v.nanp_ok(_digits(m.group(0))) and not _ID_CONTEXT.search(_ctx_before(text, m.start())):
            yield Finding("phone", m.group(0), m.start(), m.end(), "us")
    for rx, label in ((_PHONE_INTL, "intl"), (_PHONE_NATL, "national")):
        for m in rx.finditer(text):
            s = m.group(0)
            n = len(_digits(s))
            if not 9 <= n <= 15 or re.search(r"[ .-]{2}|\(\)", s):
                continue
            if label == "intl" and s.startswith("+1") and not v.nanp_ok(_digits(s)):
                continue
            if _ID_CONTEXT.search(_ctx_before(text, m.start())):
                continue
            yield Finding("phone", s, m.start(), m.end(), label)


def _ips(text: str) -> Iterator[Finding]:
    for m in _IPV4.finditer(text):
        if not _VERSION_CONTEXT.search(_ctx_before(text, m.start(), 12)):
            yield Finding("ip", m.group(0), m.start(), m.end(), "ipv4")
    for m in _IPV6.finditer(text):
        if v.ipv6_ok(m.group(0)):
            yield Finding("ip", m.group(0), m.start(), m.end(), "ipv6")


def _keys(text: str) -> Iterator[Finding]:
    for label, rx, group, min_entropy in _KEYS:
        for m in rx.finditer(text):
            secret = m.group(m.lastindex or 0)
            if min_entropy is not None and not v.looks_random(secret, min_entropy):
                continue
            yield Finding("key", m.group(group), m.start(group), m.end(group), label)


_FINDERS = {
    "email": _emails,
    "phone": _phones,
    "card": _cards,
    "iban": _ibans,
    "ssn": _ssns,
    "ip": _ips,
    "key": _keys,
}


class AllowList:
    """Values that are not a finding: each entry matches literally (case-insensitive)
    or as a regular expression matching the whole value."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        entries = list(entries)
        self.literals = {e.casefold() for e in entries}
        self.patterns: list[re.Pattern[str]] = []
        for e in entries:
            with contextlib.suppress(re.error):  # not a regex: a literal only
                self.patterns.append(re.compile(e, re.IGNORECASE))

    def permits(self, value: str) -> bool:
        if value.casefold() in self.literals:
            return True
        return any(p.fullmatch(value) for p in self.patterns)

    def __bool__(self) -> bool:
        return bool(self.literals)


def check_kinds(kinds: Iterable[str]) -> tuple[str, ...]:
    """The kinds, validated; ValueError naming the unknown ones."""
    out = tuple(kinds)
    unknown = sorted(set(out) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown PII kind(s) {unknown} (known: {', '.join(KINDS)})")
    return out


def find_pii(
    text: str, kinds: Sequence[str] | None = None, allow: AllowList | None = None
) -> list[Finding]:
    """Non-overlapping findings in text order."""
    if not text:
        return []
    found: list[Finding] = []
    for kind in kinds or KINDS:
        found.extend(_FINDERS[kind](text))
    found.sort(key=lambda f: (_PRIORITY[f.kind], -(f.end - f.start), f.start))
    kept: list[Finding] = []
    for f in found:
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    if allow:
        kept = [f for f in kept if not allow.permits(f.value)]
    return sorted(kept, key=lambda f: f.start)


def describe(findings: Sequence[Finding], limit: int = 5) -> str:
    """``card (visa) ****4242 at char 31; email j***@example.com at char 3``."""
    parts = [f.describe() for f in findings[:limit]]
    more = len(findings) - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
