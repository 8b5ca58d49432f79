"""The PII detector: corpus precision/recall per kind, validators, masking, options."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pii_scoring import load, score, table
from safety_harness import check

from llmeval.errors import ConfigError
from llmeval.safety import validators as v
from llmeval.safety.pii import AllowList, describe, find_pii, mask

CORPUS = load()


def test_corpus_is_big_enough_and_labelled() -> None:
    pos = [r for r in CORPUS if r["pii"]]
    neg = [r for r in CORPUS if not r["pii"]]
    assert len(pos) >= 200 and len(neg) >= 200
    kinds = {item["kind"] for r in pos for item in r["pii"]}
    assert kinds == {"email", "phone", "card", "iban", "ssn", "ip", "key"}
    for r in pos:
        assert all(item["value"] in r["text"] for item in r["pii"])


def test_precision_and_recall_per_kind(capsys: pytest.CaptureFixture[str]) -> None:
    tallies = score(CORPUS)
    with capsys.disabled():
        print("\n" + table(tallies))
    for kind in ("card", "email", "key"):
        t = tallies[kind]
        assert t.precision >= 0.95 and t.recall >= 0.95, (kind, t.misses, t.false_alarms)
    for kind in ("phone", "iban", "ssn", "ip"):
        t = tallies[kind]
        assert t.precision >= 0.9 and t.recall >= 0.9, (kind, t.misses, t.false_alarms)


def test_held_out_rows_score_too() -> None:
    held = [r for r in CORPUS if r.get("set") == "heldout"]
    assert len(held) >= 40
    tallies = score(held)
    tp = sum(t.tp for t in tallies.values())
    fp = sum(t.fp for t in tallies.values())
    fn = sum(t.fn for t in tallies.values())
    assert tp / (tp + fp) >= 0.9 and tp / (tp + fn) >= 0.9


@pytest.mark.parametrize(
    ("text", "kind", "label"),
    [
        ("pay with 4242 4242 4242 4242 now", "card", "visa"),
        ("amex 3782-822463-10005", "card", "amex"),
        ("mc 5555555555554444", "card", "mastercard"),
        ("IBAN GB29 NWBK 6016 1331 9268 19", "iban", ""),
        ("ssn 536-22-8726", "ssn", ""),
        ("write to ana@example.org", "email", ""),
        ("call +44 20 7946 0958", "phone", "intl"),
        ("call (415) 555-0134", "phone", "us"),
        ("host 203.0.113.9", "ip", "ipv4"),
        ("host 2001:db8::8a2e:370:7334", "ip", "ipv6"),
        ("AKIAIOSFODNN7EXAMPLE", "key", "aws"),
        ("ghp_" + "a1B2" * 9, "key", "github"),
        ("-----BEGIN RSA PRIVATE KEY-----", "key", "private-key"),
    ],
)
def test_each_kind_is_found_with_its_label(text: str, kind: str, label: str) -> None:
    found = find_pii(text)
    assert [(f.kind, f.label) for f in found] == [(kind, label)]


@pytest.mark.parametrize(
    "text",
    [
        "4242 4242 4242 4241",  # Luhn fails
        "order #4111111111111111",  # an order id in card clothing
        "IMEI 490154203237518",  # Luhn-valid, not a card length for its prefix
        "DE89 3704 0044 0532 0130 01",  # mod-97 fails
        "000-12-3456 and 666-12-3456 and 912-34-5678",  # impossible SSNs
        "2024-01-15T12:30:45Z",
        "version 1.2.3.4",
        "Chrome/120.0.0.0",
        "123e4567-e89b-12d3-a456-426614174000",
        "ISBN 978-3-16-148410-0",
        "SKU 400-555-1234",
        "icon@2x.png",
        "git@github.com:org/repo.git",
        "sk-your-api-key-here",
        "00:1A:2B:3C:4D:5E",
    ],
)
def test_lookalikes_are_not_findings(text: str) -> None:
    assert find_pii(text) == []


def test_overlaps_resolve_to_the_more_specific_kind() -> None:
    # the digits inside an IBAN are not also a phone or a card
    found = find_pii("IBAN DE89 3704 0044 0532 0130 00")
    assert [f.kind for f in found] == ["iban"]


def test_reason_names_kind_masked_value_and_position() -> None:
    text = "Your card on file is 4242 4242 4242 4242, email jo@example.com."
    found = find_pii(text)
    assert describe(found) == ("card (visa) ****4242 at char 21; email j***@example.com at char 48")
    assert "4242 4242 4242 4242" not in describe(found)


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        ("card", "4242-4242-4242-4242", "****4242"),
        ("ssn", "536-22-8726", "***-**-8726"),
        ("email", "jane@example.com", "j***@example.com"),
        ("iban", "DE89 3704 0044 0532 0130 00", "DE**…3000"),
        ("ip", "192.168.1.20", "192.168.*.*"),
        ("key", "sk-proj-abcdef", "sk-p****"),
    ],
)
def test_mask(kind: str, value: str, masked: str) -> None:
    assert mask(kind, value) == masked


def test_allow_list_literals_and_regexes() -> None:
    text = "mail help@brightleaf.example or ops@brightleaf.example or eve@evil.example"
    assert len(find_pii(text)) == 3
    allow = AllowList(["HELP@brightleaf.example", r".*@brightleaf\.example"])
    assert [f.value for f in find_pii(text, allow=allow)] == ["eve@evil.example"]


def test_kinds_subset() -> None:
    text = "jo@example.com 4242 4242 4242 4242"
    assert [f.kind for f in find_pii(text, ["card"])] == ["card"]


def test_no_pii_metric_options_and_reasons() -> None:
    out = "Sure: your card is 4242 4242 4242 4242 and our address is help@brightleaf.example"
    r = check("no-pii", out, options={"allow": ["help@brightleaf.example"]})
    assert r.passed is False and r.reason == "PII in output: card (visa) ****4242 at char 19"
    assert r.details == {"pii": [{"kind": "card", "masked": "****4242", "at": 19}]}
    assert check("no-pii", out, options={"kinds": ["email", "ssn"]}).passed is False
    assert check("no-pii", out, options={"kinds": ["ssn"]}).passed is True
    assert check("no-pii", "nothing here").reason == "no PII found in output"
    assert check("not-no-pii", out).passed is True


@pytest.mark.parametrize(
    "options",
    [{"kinds": ["cards"]}, {"allow": 3}, {"bogus": 1}],
)
def test_no_pii_bad_options_fail_at_plan_time(options: dict) -> None:
    with pytest.raises(ConfigError):
        check("no-pii", "x", options=options)


def _luhn_number(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return next(body + d for d in "0123456789" if v.luhn_ok(body + d))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32), st.sampled_from([("4", 16), ("51", 16), ("37", 15), ("6011", 16)]))
def test_every_valid_card_is_found_and_every_luhn_break_is_not(seed: int, brand) -> None:
    rng = random.Random(seed)
    number = _luhn_number(brand[0], brand[1], rng)
    spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    if brand[1] == 15:
        spaced = f"{number[:4]} {number[4:10]} {number[10:]}"
    for form in (number, spaced):
        assert [f.kind for f in find_pii(f"card {form}.")] == ["card"]
    broken = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert find_pii(f"card {broken}.") == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_detector_never_crashes_and_spans_are_exact(text: str) -> None:
    for f in find_pii(text):
        assert text[f.start : f.end] == f.value
