"""Checksums and structural rules that turn regex candidates into findings.

Each is a pure predicate on an already-matched string; they are what keeps the
PII detector from flagging every 16-digit order number or dotted version string.
"""

from __future__ import annotations

import ipaddress
import math
from collections import Counter

# IBAN length per country (ISO 13616 registry, the SEPA countries and common others).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24,
    "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VA": 22,
    "VG": 24, "XK": 20,
}  # fmt: skip

# Publicly known SSNs that were never valid (advertising samples, the Woolworth card).
_VOID_SSNS = frozenset({"078051120", "219099999", "457555462"})


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    """The card network for a PAN by its IIN prefix and length, else None."""
    n = len(digits)
    p2, p3, p4, p6 = int(digits[:2]), int(digits[:3]), int(digits[:4]), int(digits[:6])
    if digits[0] == "4" and n in (13, 16, 19):
        return "visa"
    if (51 <= p2 <= 55 or 2221 <= p4 <= 2720) and n == 16:
        return "mastercard"
    if p2 in (34, 37) and n == 15:
        return "amex"
    if (p4 == 6011 or 644 <= p3 <= 649 or p2 == 65 or 622126 <= p6 <= 622925) and 16 <= n <= 19:
        return "discover"
    if 3528 <= p4 <= 3589 and 16 <= n <= 19:
        return "jcb"
    if (300 <= p3 <= 305 or p2 in (36, 38, 39) or p4 == 3095) and 14 <= n <= 19:
        return "diners"
    if p2 == 62 and 16 <= n <= 19:
        return "unionpay"
    if p4 in (5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763) and 12 <= n <= 19:
        return "maestro"
    return None


def card_ok(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and card_brand(digits) is not None and luhn_ok(digits)


def iban_ok(compact: str) -> bool:
    """ISO 13616: country length and the mod-97 check (== 1)."""
    want = IBAN_LENGTHS.get(compact[:2])
    if want is None or len(compact) != want or not compact[2:4].isdigit():
        return False
    moved = compact[4:] + compact[:4]
    try:
        number = int("".join(str(int(c, 36)) for c in moved))
    except ValueError:
        return False
    return number % 97 == 1


def ssn_ok(digits: str) -> bool:
    """SSA rules: area not 000, 666 or 9xx; group not 00; serial not 0000."""
    if len(digits) != 9 or not digits.isdigit() or digits in _VOID_SSNS:
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def nanp_ok(digits: str) -> bool:
    """North American numbering plan: NPA and exchange start with 2-9, no N11 area codes."""
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    if len(digits) != 10:
        return False
    npa, nxx = digits[:3], digits[3:6]
    return npa[0] in "23456789" and nxx[0] in "23456789" and npa[1:] != "11"


def ipv6_ok(text: str) -> bool:
    groups = [g for g in text.split(":") if g]
    # "a::b" in code or "12:30:45" times are syntactically close; demand some substance
    if len(groups) < 3 and not (len(groups) >= 2 and "::" in text and max(map(len, groups)) >= 3):
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    if not text:
        return 0.0
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def looks_random(token: str, min_entropy: float = 3.0) -> bool:
    """A secret-looking token: varied characters, not a word, not a placeholder."""
    low = token.lower()
    if any(w in low for w in ("xxxx", "your", "example", "placeholder", "redacted", "dummy")):
        return False
    classes = sum(
        (
            any(c.islower() for c in token),
            any(c.isupper() for c in token),
            any(c.isdigit() for c in token),
        )
    )
    return classes >= 2 and entropy(token) >= min_entropy
