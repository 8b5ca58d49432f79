"""Pre-send redaction: placeholders, restoration, and what reaches provider, cache, journal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pii_scoring import load
from safety_harness import write_project

from llmeval.config.project import load_project
from llmeval.engine.plan import build_plan
from llmeval.engine.session import RunConfig, Selection, execute
from llmeval.safety.redact import redact_text, redact_vars

CARD, EMAIL = "4242 4242 4242 4242", "jo@example.com"


def test_same_value_same_placeholder_and_nested_values() -> None:
    r = redact_vars(
        {
            "a": f"card {CARD}, mail {EMAIL}",
            "b": [f"again {EMAIL}", {"deep": "ssn 536-22-8726"}],
            "n": 3,
        }
    )
    assert r.vars == {
        "a": "card [CARD_1], mail [EMAIL_1]",
        "b": ["again [EMAIL_1]", {"deep": "ssn [SSN_1]"}],
        "n": 3,
    }
    assert r.count == 4
    assert r.mapping == {"[CARD_1]": CARD, "[EMAIL_1]": EMAIL, "[SSN_1]": "536-22-8726"}
    assert r.restore("Your card [CARD_1] and [EMAIL_1]; [EMAIL_9] stays") == (
        f"Your card {CARD} and {EMAIL}; [EMAIL_9] stays"
    )
    assert CARD not in repr(r) and EMAIL not in repr(r)


def test_numbering_is_per_kind_and_deterministic() -> None:
    vars = {"q": "a@example.com b@example.com a@example.com 4242424242424242"}
    one, two = redact_vars(vars), redact_vars(vars)
    assert one.vars == two.vars == {"q": "[EMAIL_1] [EMAIL_2] [EMAIL_1] [CARD_1]"}
    assert redact_text("mail a@example.com")[0] == "mail [EMAIL_1]"


ECHO_SETTINGS = """\
models:
  bot: {provider: echo, redact: true}
  plain: {provider: echo}
defaults: {models: [bot]}
"""


def test_plan_renders_from_redacted_vars_only_where_asked(tmp_path: Path) -> None:
    suite = f"""\
name: s
prompt: p@v1
models: [bot, plain]
cases:
  - id: one
    vars: {{message: "card {CARD}"}}
"""
    project = load_project(write_project(tmp_path, ECHO_SETTINGS, suite))
    items = {i.model.alias: i for i in build_plan(project).items}
    assert items["bot"].messages[0].content == "card [CARD_1]"
    assert items["bot"].sent_vars == {"message": "card [CARD_1]"}
    assert items["plain"].messages[0].content == f"card {CARD}"
    assert items["plain"].redaction is None


def test_run_restores_for_scorers_and_journals_placeholders(tmp_path: Path) -> None:
    suite = f"""\
name: s
prompt: p@v1
redact: true
models: [plain]
cases:
  - id: one
    vars: {{message: "card {CARD} mail {EMAIL}"}}
    assert:
      - type: contains
        value: "{CARD}"
      - type: not-contains
        value: "[CARD_1]"
"""
    project = load_project(write_project(tmp_path, ECHO_SETTINGS, suite))
    report = execute(project, RunConfig(Selection()), handle_signals=False)
    (result,) = report.results
    assert result.status == "pass", result.assertions  # the scorer saw the original
    line = (report.run_dir / "results.jsonl").read_text(encoding="utf-8")
    rec = json.loads(line)
    assert rec["vars"] == {"message": "card [CARD_1] mail [EMAIL_1]"}
    assert rec["output"] == "card [CARD_1] mail [EMAIL_1]"
    assert rec["messages"][0]["content"] == "card [CARD_1] mail [EMAIL_1]"
    assert report.manifest["counts"]["redactions"] == 2


def _planted(n: int) -> list[str]:
    """n distinct PII values of every kind, from the labelled corpus."""
    seen: list[str] = []
    for row in load():
        for item in row["pii"]:
            if item["value"] not in seen and len(item["value"]) >= 7:
                seen.append(item["value"])
    by_kind: dict[str, list[str]] = {}
    for row in load():
        for item in row["pii"]:
            if item["value"] in seen:
                by_kind.setdefault(item["kind"], []).append(item["value"])
    out: list[str] = []
    while len(out) < n:  # round-robin over kinds so all seven are planted
        for values in by_kind.values():
            if values and len(out) < n:
                v = values.pop(0)
                if v not in out:
                    out.append(v)
    return out


def test_fake_server_sees_none_of_100_planted_pii_items(tmp_path: Path, fake_server) -> None:
    planted = _planted(100)
    assert len(set(planted)) == 100
    cases = []
    for i in range(0, 100, 4):
        chunk = planted[i : i + 4]
        message = f"Customer {i} wrote: " + " ; ".join(
            f"item {j}: {v}" for j, v in enumerate(chunk)
        )
        asserts = "".join(
            f"\n      - type: contains\n        value: {json.dumps(v)}" for v in chunk
        )
        cases.append(
            f"  - id: c{i}\n    vars: {{message: {json.dumps(message)}}}\n    assert:{asserts}"
        )
    suite = "name: s\nprompt: p@v1\ncases:\n" + "\n".join(cases) + "\n"
    settings = f"""\
models:
  leaky:
    provider: openai
    model: gpt-4o-mini
    base_url: {fake_server.openai_base_url}
    api_key_env: FAKE_TEST_KEY
    redact: true
defaults: {{models: [leaky]}}
cache: {{dir: cache}}
"""
    root = write_project(tmp_path, settings, suite, prompt="Reply to: {{ message }}")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["FAKE_TEST_KEY"] = "sk-test-not-a-real-key-0000"
    proc = subprocess.run(
        [sys.executable, "-m", "llmeval", "run", "--json", "--no-report", "-q"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-2000:] + proc.stdout[-2000:]
    bodies = [r.body.decode("utf-8") for r in fake_server.requests]
    assert len(bodies) == 25
    wire = "\n".join(bodies)
    # nothing planted reached the server, in any JSON escaping
    for value in planted:
        assert value not in wire and json.dumps(value)[1:-1] not in wire, value
    assert "[CARD_1]" in wire and "[EMAIL_1]" in wire and "[SECRET_1]" in wire
    # nor the cache, nor the journal's vars/messages/output
    cache_bytes = b"".join(p.read_bytes() for p in (root / "cache").rglob("*") if p.is_file())
    run_dir = next((root / ".llmeval" / "runs").iterdir())
    records = [json.loads(x) for x in (run_dir / "results.jsonl").read_text().splitlines()]
    stored = json.dumps([[r["vars"], r["messages"], r["output"]] for r in records])
    for value in planted:
        assert value.encode() not in cache_bytes, value
        assert value not in stored and json.dumps(value)[1:-1] not in stored, value
    # the scorers saw the originals: every `contains <original>` passed
    assert all(r["status"] == "pass" for r in records)
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["counts"]["redactions"] == 100


@pytest.mark.parametrize("flag", ["suite", "model"])
def test_redact_flag_is_accepted_in_both_places(tmp_path: Path, flag: str) -> None:
    settings = "models:\n  bot: {provider: echo%s}\n" % (
        ", redact: true" if flag == "model" else ""
    )
    suite = (
        "name: s\nprompt: p@v1\nmodels: [bot]\n"
        + ("redact: true\n" if flag == "suite" else "")
        + f'cases:\n  - id: one\n    vars: {{message: "{EMAIL}"}}\n'
    )
    project = load_project(write_project(tmp_path, settings, suite))
    (item,) = build_plan(project).items
    assert item.messages[0].content == "[EMAIL_1]"
