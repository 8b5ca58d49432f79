"""Writes ``pii_corpus.jsonl``: the labelled corpus the PII detector is measured on.

Positives: PII planted in varied sentences, with values built to be valid (cards
Luhn-valid with real IIN prefixes, IBANs with a correct mod-97, SSNs obeying the
SSA rules) plus well-known published test values. Negatives: strings made to look
like PII but that are not (Luhn-failing or non-IIN numbers, IMEIs, timestamps,
versions, UUIDs, ISBNs, order ids, product codes, bad IBAN checksums, invalid
SSNs, MAC addresses, placeholder keys...). Seeded: re-running writes the same file.

    python tests/safety/build_pii_corpus.py
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

OUT = Path(__file__).with_name("pii_corpus.jsonl")
rng = random.Random(20250707)

TEMPLATES = [
    "{v}",
    "Please contact {v} for details.",
    "Customer record: name=Ana Ruiz; value={v}; status=active",
    '{{"field": "{v}", "ok": true}}',
    "Sure! Here it is: {v}.",
    "The value on file is <{v}>, as requested",
    "- {v}\n- something else",
    "I found this in the notes ({v}) and copied it.",
    "Per the ticket, '{v}' was provided by the caller.",
    "Line 1\nLine 2: {v}\nLine 3",
]


def sentence(v: str) -> str:
    return rng.choice(TEMPLATES).format(v=v)


def luhn_complete(prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for d in string.digits:
        cand = body + d
        total = 0
        for i, ch in enumerate(reversed(cand)):
            n = int(ch) * (2 if i % 2 else 1)
            total += n - 9 if n > 9 else n
        if total % 10 == 0:
            return cand
    raise AssertionError


def luhn_break(number: str) -> str:
    last = int(number[-1])
    return number[:-1] + str((last + rng.randint(1, 9)) % 10)


def group(digits: str, sizes: list[int], sep: str) -> str:
    out, i = [], 0
    for s in sizes:
        out.append(digits[i : i + s])
        i += s
    return sep.join(x for x in out if x)


def fmt_card(d: str) -> str:
    style = rng.choice(["bare", "space", "dash"])
    if style == "bare":
        return d
    sep = " " if style == "space" else "-"
    if len(d) == 15:
        return group(d, [4, 6, 5], sep)
    return group(d, [4] * (len(d) // 4) + [len(d) % 4], sep)


def iban(country: str, bban: str) -> str:
    moved = bban + country + "00"
    num = int("".join(str(int(c, 36)) for c in moved))
    check = 98 - num % 97
    compact = f"{country}{check:02d}{bban}"
    if rng.random() < 0.5:
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    return compact


def rand(alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


ALNUM = string.ascii_letters + string.digits
UPNUM = string.ascii_uppercase + string.digits


def positives() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    # emails
    locals_ = ["jane.doe", "j.smith+orders", "li_wei", "o'brien", "user123", "m.garcia-lopez",
               "a", "first.last", "billing", "x_y.z"]  # fmt: skip
    domains = ["example.com", "mail.co.uk", "corp.example.org", "uni-bonn.de", "startup.io",
               "gmail.com", "sub.domain.example.net", "xn--bcher-kva.ch", "acme.travel"]  # fmt: skip
    for i in range(45):
        local = rng.choice(locals_).replace("'", "")
        local = local if i % 3 else f"{local}{rng.randint(1, 999)}"
        out.append(("email", f"{local}@{rng.choice(domains)}"))
    # cards: (prefix, length)
    brands = [("4", 16), ("4", 13), ("51", 16), ("55", 16), ("2221", 16), ("2720", 16),
              ("34", 15), ("37", 15), ("6011", 16), ("65", 16), ("3530", 16), ("36", 14),
              ("62", 16), ("4", 19), ("644", 16)]  # fmt: skip
    for i in range(38):
        prefix, length = brands[i % len(brands)]
        out.append(("card", fmt_card(luhn_complete(prefix, length))))
    for known in ["4242 4242 4242 4242", "4111-1111-1111-1111", "5555555555554444",
                  "3782 822463 10005", "6011 1111 1111 1117", "3056 9309 0259 04",
                  "3530111333300000"]:  # fmt: skip
        out.append(("card", known))
    # IBANs
    out += [("iban", "DE89 3704 0044 0532 0130 00"), ("iban", "GB29NWBK60161331926819"),
            ("iban", "FR14 2004 1010 0505 0001 3M02 606"), ("iban", "NL91ABNA0417164300")]  # fmt: skip
    countries = [("DE", 18, string.digits), ("GB", 18, None), ("FR", 23, string.digits),
                 ("ES", 20, string.digits), ("NL", 14, None), ("IT", 23, None),
                 ("BE", 12, string.digits), ("CH", 17, string.digits)]  # fmt: skip
    for i in range(22):
        c, n, alpha = countries[i % len(countries)]
        if alpha is None:  # bank code letters then digits (GB, NL, IT style)
            bban = rand(string.ascii_uppercase, 4) + rand(string.digits, n - 4)
        else:
            bban = rand(alpha, n)
        out.append(("iban", iban(c, bban)))
    # SSNs
    for _ in range(25):
        area = rng.choice([a for a in range(1, 900) if a != 666])
        sep = rng.choice(["-", "-", " "])
        out.append(
            ("ssn", f"{area:03d}{sep}{rng.randint(1, 99):02d}{sep}{rng.randint(1, 9999):04d}")
        )
    # phones
    for _ in range(22):
        npa, nxx, line = rng.randint(201, 989), rng.randint(200, 999), rng.randint(0, 9999)
        if npa % 100 == 11:
            npa += 1
        form = rng.choice(["({a}) {b}-{c}", "{a}-{b}-{c}", "{a}.{b}.{c}", "+1 {a} {b} {c}",
                           "+1-{a}-{b}-{c}", "1-{a}-{b}-{c}", "{a} {b} {c}"])  # fmt: skip
        out.append(("phone", form.format(a=npa, b=nxx, c=f"{line:04d}")))
    out += [("phone", p) for p in [
        "+44 20 7946 0958", "+44 7700 900123", "+49 30 12345678", "+49 (0)30 1234 5678",
        "+33 1 42 68 53 00", "+81 3-1234-5678", "+61 2 9374 4000", "+91 98765 43210",
        "+34 912 345 678", "+55 11 91234-5678", "+353 1 234 5678", "+86 10 6552 9988",
        "020 7946 0958", "(030) 1234 5678", "0171 234 5678", "+7 495 123-45-67",
        "+27 21 123 4567", "+31 20 123 4567",
    ]]  # fmt: skip
    # IPs
    for _ in range(18):
        out.append(("ip", ".".join(str(rng.randint(1, 254)) for _ in range(4))))
    out += [("ip", a) for a in [
        "10.0.0.1", "192.168.0.254", "2001:db8::ff00:42:8329", "fe80::1ff:fe23:4567:890a",
        "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "::ffff:192.0.2.128", "2606:4700:4700::1111",
        "2a00:1450:4001:81b::200e", "fd12:3456:789a:1::1", "2001:db8:0:1:1:1:1:1",
    ]]  # fmt: skip
    # keys
    for _ in range(8):
        out.append(("key", "sk-proj-" + rand(ALNUM + "_-", 64)))
    for _ in range(5):
        out.append(("key", "sk-" + rand(ALNUM, 48)))
    for _ in range(6):
        out.append(("key", "sk-ant-api03-" + rand(ALNUM + "_-", 93) + "AA"))
    for _ in range(6):
        out.append(("key", "AKIA" + rand(UPNUM, 16)))
    for _ in range(5):
        out.append(("key", "ghp_" + rand(ALNUM, 36)))
    for _ in range(3):
        out.append(
            (
                "key",
                "xoxb-"
                + rand(string.digits, 11)
                + "-"
                + rand(string.digits, 12)
                + "-"
                + rand(ALNUM, 24),
            )
        )
    for _ in range(3):
        out.append(("key", "AIza" + rand(ALNUM + "_-", 35)))
    for _ in range(3):
        out.append(("key", "sk_live_" + rand(ALNUM, 24)))
    for _ in range(2):
        out.append(("key", "glpat-" + rand(ALNUM, 20)))
    out.append(("key", "hf_" + rand(ALNUM, 34)))
    out.append(("key", "AKIAIOSFODNN7EXAMPLE"))
    out.append(
        (
            "key",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        )
    )
    return out


GENERIC_KEYS = [  # the secret sits after a key-like name: (text, secret)
    ("api_key = '{s}'", 28), ('"client_secret": "{s}"', 32), ("Authorization: Bearer {s}", 40),
    ("export SECRET_KEY={s}", 50), ("password: {s}", 18), ("access_token={s}&scope=read", 36),
]  # fmt: skip


def generic_keys() -> list[tuple[str, str, str]]:
    out = []
    for tmpl, n in GENERIC_KEYS:
        s = rand(ALNUM, n - 2) + rng.choice(string.digits) + rng.choice(string.ascii_uppercase)
        out.append((tmpl.format(s=s), "key", s))
    return out


def negatives() -> list[str]:
    neg: list[str] = []
    # card-shaped numbers that are not cards
    for i in range(24):
        prefix, length = [("4", 16), ("51", 16), ("37", 15), ("6011", 16)][i % 4]
        neg.append(fmt_card(luhn_break(luhn_complete(prefix, length))))
    for _ in range(14):  # Luhn-valid but no card network starts like this
        neg.append(fmt_card(luhn_complete(rng.choice(["1", "7", "8", "90", "99", "00"]), 16)))
    for _ in range(8):  # IMEIs: Luhn-valid, 15 digits
        neg.append(f"IMEI {luhn_complete(rng.choice(['35', '49', '86', '01']), 15)}")
    for _ in range(8):
        neg.append(f"Order #{luhn_complete('4', 16)} has shipped")
    for _ in range(6):
        neg.append(
            f"Tracking number: {' '.join(rand(string.digits, 4) for _ in range(5))} {rand(string.digits, 2)}"
        )
    neg += [
        "Unix time 1700000000000 ms",
        "epoch 1718035200",
        "2024-01-15T12:30:45Z",
        "2024-01-15 12:30:45.123456",
        "Mon, 15 Jan 2024 12:30:45 +0000",
        "15/01/2024 12:30",
        "2024-01-15T12:30:45+05:30",
        "09:00-17:30 Mon-Fri",
        "12:30:45",
        "23:59:59.999",
        "Q3 2024: revenue 1,234,567,890.12",
        "$1,299.00",
        "€ 4 242,42",
        "3.14159265358979323846",
        "Total: 4242.4242 units",
        "1 234 567 890",
        "+20% year over year",
        "+1.5% today",
        "score +123 - 45 = 78",
        "ratio 16:9",
        "1080x1920",
        "v1.2.3",
        "version 1.2.3.4",
        "Chrome/120.0.0.0 Safari/537.36",
        "10.0.19041.1",
        "2.14.0-rc.1+build.5",
        "python 3.11.4",
        "release 2024.01.15",
        "build 20240115.1",
        "1.2.3.4.5",
        "256.100.1.1",
        "10.0.0.300",
        "192.168.1",
        "0.5.1.2-beta",
        "node v20.11.1",
        "123e4567-e89b-12d3-a456-426614174000",
        "f47ac10b-58cc-4372-a567-0e02b2c3d479",
        "request-id: 550e8400-e29b-41d4-a716-446655440000",
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
        "sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "md5 d41d8cd98f00b204e9800998ecf8427e",
        "ISBN 978-3-16-148410-0",
        "ISBN 0-306-40615-2",
        "ISBN-13: 9780306406157",
        "ISBN 978 0 262 03384 8",
        "ISSN 0317-8471",
        "DOI 10.1000/182",
        "SKU 400-555-1234",
        "Part no. 212-555-0147",
        "model 800-555-0199",
        "Item #617-555-0123",
        "Product code 020 7946 0958",
        "Order 2024-555-1234",
        "Invoice INV-2024-000123",
        "PO 4500012345",
        "Case 01234567",
        "ticket 415-555-0100",
        "serial 555-867-5309",
        "ZIP 94105-1234",
        "routing 021000021",
        "account 000123456789",
        "ref 1Z999AA10123456784",
        "123-456-7890",
        "123.456.7890",
        "(123) 456-7890",
        "911-555-1212",
        "+1 2",
        "+44 12",
        "extension 4242",
        "call ext. 123",
        "room 4-212",
        "apt 12B",
        "000-12-3456",
        "666-12-3456",
        "912-34-5678",
        "123-00-4567",
        "123-45-0000",
        "078-05-1120",
        "219-09-9999",
        "SSN: 000000000",
        "12-345-6789",
        "1234-56-789",
        "DE89 3704 0044 0532 0130 01",
        "GB29NWBK60161331926818",
        "FR14 2004 1010 0505 0001 3M02 607",
        "US12 3456 7890 1234",
        "XX89 3704 0044 0532 0130 00",
        "DE89 3704 0044 0532 0130",
        "NL91ABNA041716430",
        "AB12 CDEF 3456",
        "CH93 0076 2011 6238 5295 9",
        "BE68 5390 0754 7036",
        "00:1A:2B:3C:4D:5E",
        "01-23-45-67-89-ab",
        "std::vector<int>",
        "a::b::c",
        "A::B",
        "Foo::Bar::baz()",
        "::",
        "1::",
        "ratio 3:2:1",
        "fe80",
        "dead:beef",
        "user@localhost",
        "@jane_doe",
        "@example.com",
        "icon@2x.png",
        "logo@3x.jpg",
        "npm install lodash@4.17.21",
        "pip install foo==1.2.3",
        "git@github.com:org/repo.git",
        "foo@bar",
        "foo@bar.c",
        "john..doe@example.com",
        "email@example..com",
        "name@-example.com",
        "meet @ 5pm",
        "a @ b . com",
        "user(at)example(dot)com",
        "sk-learn is a library",
        "sk-your-api-key-here",
        "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "OPENAI_API_KEY=sk-...",
        "api_key=YOUR_API_KEY_HERE",
        "api_key=<your-key>",
        "AKIA1234",
        "AKIAEXAMPLE",
        "ghp_short",
        "ghp_",
        "xoxb-",
        "AIza",
        "sk_test_",
        "token: enabled",
        "password: ********",
        "password reset link expired",
        "token-based authentication",
        "access_token_expires_in_seconds",
        "secret santa 2024",
        "the password is correcthorsebatterystaple",
        "Bearer token required",
        "api_key: REDACTED_REDACTED_REDACTED",
        "token = aaaaaaaaaaaaaaaaaaaaaaaa",
        "eyJhbGciOiJIUzI1NiJ9",
        "-----BEGIN PUBLIC KEY-----",
        "-----BEGIN CERTIFICATE-----",
        "base64: SGVsbG8gV29ybGQ=",
        "nonce 8f14e45fceea167a5a36dedd4bea2543",
        "latitude 37.7749, longitude -122.4194",
        "+37.7749 -122.4194",
        "GPS 51.5074,-0.1278",
        "Phone: (555)",
        "1-800-FLOWERS",
        "Dial 911",
        "Call 311 for city services",
        "The year 2024 had 366 days and 8784 hours",
        "Reference 4242 4242",
        "4242 4242 4242",
        "4242-4242-4242-4242-4242-4242",
        "Batch 3782 822463 10006",
        "codes 1234 5678 9012 3456",
        "0000 0000 0000 0000",
        "Lot 6011-0000-0000-0000",
        "PIN 1234",
        "CVV 123",
        "exp 04/27",
        "Invoice total 5555.55, tax 555.55",
        "1111-2222-3333-4444",
    ]
    return neg


# Written after the detector was tuned on the rows above and never tuned on: an
# honest check that the numbers are not an artefact of fitting the corpus.
HELDOUT_POS = [
    ("email", "Reach me at Maria.Schmidt@Firma-Beispiel.DE tomorrow"),
    ("email", "cc: ops+alerts@status.example.io;"),
    ("email", 'From: "Tom" <tom_o@example.co.jp>'),
    ("email", "mailto:helpdesk@univ.edu?subject=hi"),
    ("phone", "my cell is 646.555.0182, text first"),
    ("phone", "Tel.: +41 44 668 18 00"),
    ("phone", "WhatsApp +1 (212) 555-0198"),
    ("phone", "ring 0161 496 0000 after six"),
    ("card", "charged to 5105 1051 0510 5100 yesterday"),
    ("card", "pan=4000056655665556&exp=1226"),
    ("card", "Amex: 3714-496353-98431"),
    ("card", "card ending in... actually the full number is 6011000990139424"),
    ("iban", "Überweisung an AT61 1904 3002 3457 3201 bitte"),
    ("iban", "IBAN: ES9121000418450200051332."),
    ("iban", "iban=IT60X0542811101000000123456"),
    ("ssn", "SSN 536-22-8726 on the W-2"),
    ("ssn", "social security number: 449 72 1187"),
    ("ip", "ssh root@203.0.113.54 -p 22"),
    ("ip", "X-Forwarded-For: 198.51.100.23, 10.1.2.3"),
    ("ip", "listen [2001:db8:1::ab9:c0a8:102]:443"),
    (
        "key",
        "OPENAI_API_KEY=sk-proj-Q7x2VbN9mK4pL8sR1tY6wZ3cF5hJ0dG2aE7uI9oP4nM8bV1cX6zA3sD5fG7hJ9kL",
    ),
    ("key", "aws_access_key_id = AKIA4MTWJV2XQZ7HN3PL"),
    ("key", "GITHUB_TOKEN: ghp_Zr8Kq2Wm5Xn7Bv4Lc9Td1Fy6Hs3Jp0Ga8Ek2Qu"),
    ("key", "slack hook token xoxp-2048-4096-8192-a1b2c3d4e5f6a7b8c9d0"),
]
HELDOUT_NEG = [
    "Build 4.18.2-alpha.3 shipped on 2025-03-02 at 14:05:33 UTC",
    "Invoice no. 2025-004211, PO 7712-3345-9980",
    "Serial number: 5105-1051-0510-5101",
    "Item code 646-555-0182 is out of stock",
    "Version string 3.10.12.1 (build 22621)",
    "UUID 9b2c1e7a-4f3d-4c8e-b1a2-7d6e5f4c3b2a in the logs",
    "The ratio was 1:2:3:4 across groups",
    "Timestamps: 12:00:01, 12:00:02, 12:00:03",
    "ISBN 978-1-4028-9462-6",
    "shipment 420 9410 9012 3456 7890 1234 56",
    "Room 1104, floor 11, badge 55512",
    "api docs at https://example.com/v1/keys",
    "sk-test is our staging cluster name",
    "set password to <new password>",
    "the token expired after 3600 seconds",
    "email the team (the address is in the wiki)",
    "pricing: 1.299,00 EUR / 4.299,00 EUR",
    "call +1 555 for info",
    "Pages 212-255 and 301-344",
    "SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709",
]


def main() -> None:
    rows = []
    for kind, value in positives():
        rows.append({"text": sentence(value), "pii": [{"kind": kind, "value": value}]})
    for text, kind, value in generic_keys():
        rows.append({"text": text, "pii": [{"kind": kind, "value": value}]})
    # a few multi-item texts
    rows.append({
        "text": "Ship to Ana (ana.ruiz@example.com, +34 912 345 678), card 4242 4242 4242 4242.",
        "pii": [{"kind": "email", "value": "ana.ruiz@example.com"},
                {"kind": "phone", "value": "+34 912 345 678"},
                {"kind": "card", "value": "4242 4242 4242 4242"}],
    })  # fmt: skip
    for text in negatives():
        rows.append({"text": text, "pii": []})
    for kind, text in HELDOUT_POS:
        pii = [{"kind": kind, "value": v} for v in _heldout_values(kind, text)]
        rows.append({"text": text, "pii": pii, "set": "heldout"})
    for text in HELDOUT_NEG:
        rows.append({"text": text, "pii": [], "set": "heldout"})
    with OUT.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    pos = sum(len(r["pii"]) > 0 for r in rows)
    print(f"wrote {OUT}: {pos} positive, {len(rows) - pos} negative")


_HELDOUT_VALUES = {
    "646.555.0182": None, "+41 44 668 18 00": None, "+1 (212) 555-0198": None,
    "0161 496 0000": None, "5105 1051 0510 5100": None, "4000056655665556": None,
    "3714-496353-98431": None, "6011000990139424": None, "AT61 1904 3002 3457 3201": None,
    "ES9121000418450200051332": None, "IT60X0542811101000000123456": None,
    "536-22-8726": None, "449 72 1187": None, "203.0.113.54": None, "198.51.100.23": None,
    "2001:db8:1::ab9:c0a8:102": None, "AKIA4MTWJV2XQZ7HN3PL": None,
    "ghp_Zr8Kq2Wm5Xn7Bv4Lc9Td1Fy6Hs3Jp0Ga8Ek2Qu": None,
    "xoxp-2048-4096-8192-a1b2c3d4e5f6a7b8c9d0": None, "10.1.2.3": None,
}  # fmt: skip


def _heldout_values(kind: str, text: str) -> list[str]:
    """The labelled values inside a held-out text (emails and keys by shape)."""
    found = [v for v in _HELDOUT_VALUES if v in text]
    if found:
        return found
    import re

    if kind == "email":
        return [re.search(r"[\w.+-]+@[\w.-]+\.[A-Za-z]+", text).group(0)]  # type: ignore[union-attr]
    return [re.search(r"sk-proj-\w+", text).group(0)]  # type: ignore[union-attr]


if __name__ == "__main__":
    main()
