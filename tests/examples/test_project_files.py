"""The bundled project files follow the DESIGN.md §2 format and agree with each other."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import jinja2
import pytest
from examples_oracle import ROOT, SCAFFOLD, cases, load_module, load_yaml
from jinja2.sandbox import SandboxedEnvironment

ASSERTION_TYPES = {
    # promptfoo's names, then llmeval's additions (DESIGN.md §2.3)
    "equals", "contains", "icontains", "contains-any", "contains-all", "icontains-any",
    "icontains-all", "starts-with", "regex", "is-json", "contains-json", "levenshtein",
    "rouge-n", "bleu", "word-count", "latency", "cost", "llm-rubric", "factuality", "python",
    "rouge-l", "chrf", "f1", "exact-match", "json-schema", "classification", "pairwise",
    "no-pii", "no-leak", "refusal", "moderation",
    # promptfoo's agent assertions, over the case trajectory (suites/agent-support.yaml)
    "trajectory:tool-used", "trajectory:tool-sequence", "trajectory:tool-args-match",
    "trajectory:step-count", "trajectory:goal-success",
    "tool-call", "tool-call-f1", "is-valid-openai-tools-call", "finish-reason",
}  # fmt: skip
SUITE_KEYS = {"name", "description", "prompt", "prompts", "models", "dataset", "defaults",
              "cases", "min_pass_rate", "gate", "redact",
              "tools", "tool_choice", "tools_impl", "max_steps", "tool_timeout_s"}  # fmt: skip
CASE_KEYS = {"id", "vars", "expected", "assert", "tags", "description", "threshold",
             "critical", "min_pass_rate", "turns", "messages", "tools_impl", "max_steps"}  # fmt: skip
PROMPT_KEYS = {"description", "system", "user", "messages", "params"}
ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SUITES = sorted((ROOT / "suites").glob("*.yaml"))
PROMPTS = sorted(
    p for p in (ROOT / "prompts").glob("*/v*.yaml") if not p.parent.name.startswith("judge")
)


def _prompt_path(root: Path, ref: str) -> Path:
    name, _, version = ref.partition("@")
    folder = root / "prompts" / name
    if version:
        return folder / f"{version}.yaml"
    return max(folder.glob("v*.yaml"), key=lambda p: int(p.stem[1:]))


def _render(prompt: dict, variables: dict) -> list[str]:
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
    parts = [prompt[k] for k in ("system", "user") if k in prompt]
    parts += [m["content"] for m in prompt.get("messages") or []]
    return [env.from_string(p).render(**variables) for p in parts]


def _suite_prompts(suite: dict) -> list[str]:
    # no prompt: the inline one (the case's input var, or its turns / messages)
    return list(suite.get("prompts") or ([suite["prompt"]] if "prompt" in suite else []))


@pytest.mark.parametrize("path", PROMPTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_prompt_files_have_the_design_shape(path: Path) -> None:
    prompt = load_yaml(path)
    assert set(prompt) <= PROMPT_KEYS
    assert prompt["description"].strip()
    # a system-only prompt is a conversation's opening (the cases' turns are the user's)
    assert "user" in prompt or "messages" in prompt or "system" in prompt
    assert re.fullmatch(r"v\d+", path.stem)


@pytest.mark.parametrize("root", [ROOT, SCAFFOLD], ids=["repo", "scaffold"])
def test_suites_have_the_design_shape_and_render_every_case(root: Path) -> None:
    settings = load_yaml(root / "llmeval.yaml")
    for path in sorted((root / "suites").glob("*.yaml")):
        suite = load_yaml(path)
        assert set(suite) <= SUITE_KEYS, path.name
        assert suite["name"] == path.stem
        for case in suite.get("cases") or []:
            assert set(case) <= CASE_KEYS, case["id"]
        all_cases = cases(suite, root)
        ids = [c.id for c in all_cases]
        assert len(ids) == len(set(ids)), f"duplicate ids in {path.name}"
        assert all(ID.match(i) and not re.fullmatch(r"case-?\d+", i) for i in ids)
        assert all(c.tags for c in all_cases), f"untagged cases in {path.name}"
        for case in all_cases:
            for spec in case.assertions:
                kind = spec["type"].removeprefix("not-")
                assert kind in ASSERTION_TYPES, f"{path.name}/{case.id}: {spec['type']}"
                if kind in {"contains", "icontains", "regex", "python", "llm-rubric"}:
                    assert spec.get("value"), f"{path.name}/{case.id}: {kind} needs a value"
                if kind == "regex":
                    re.compile(spec["value"])
            for ref in _suite_prompts(suite):  # StrictUndefined: every variable is supplied
                assert all(_render(load_yaml(_prompt_path(root, ref)), case.vars))
        for alias in suite.get("models") or settings["defaults"]["models"]:
            assert alias in settings["models"], f"{path.name}: unknown model {alias}"


def test_bundled_suites_are_substantial() -> None:
    sizes = {p.stem: len(cases(load_yaml(p))) for p in SUITES}
    assert set(sizes) >= {
        "support-faq",
        "intent-classification",
        "order-extraction",
        "summarization",
    }
    # the agent examples (a tool loop, conversations, traces) show a mechanism, each case a
    # multi-step scenario: a handful is enough; the scoring examples need breadth
    small = {"tool-calling", "conversation", "agent"}
    assert all(n >= 20 for name, n in sizes.items() if name not in small), sizes
    assert all(n >= 4 for n in sizes.values()), sizes
    criticals = sum(c.critical for p in SUITES for c in cases(load_yaml(p)))
    assert 2 <= criticals <= 6


@pytest.mark.parametrize("root", [ROOT, SCAFFOLD], ids=["repo", "scaffold"])
def test_python_model_targets_exist_and_are_callable(root: Path) -> None:
    settings = load_yaml(root / "llmeval.yaml")
    for alias in settings["defaults"]["models"]:
        assert alias in settings["models"]
    for alias, spec in settings["models"].items():
        assert spec["provider"] in {"python", "echo", "openai", "anthropic"}, alias
        if spec["provider"] == "python":
            file, _, func = spec["target"].rpartition(":")
            assert callable(getattr(load_module(root / file), func)), alias


def test_judge_is_not_configured_so_the_offline_run_needs_no_key() -> None:
    assert "judge" not in (load_yaml(ROOT / "llmeval.yaml").get("defaults") or {})


def test_support_prompts_carry_the_whole_knowledge_base() -> None:
    facts = json.loads((ROOT / "apps/kb/faq.json").read_text(encoding="utf-8"))
    assert len(facts) >= 25 and len({f["id"] for f in facts}) == len(facts)
    for version in ("v1", "v2"):
        system = load_yaml(ROOT / f"prompts/support/{version}.yaml")["system"]
        missing = [f["id"] for f in facts if f["answer"] not in system]
        assert not missing, f"support@{version} lacks {missing}"


def test_support_v2_adds_the_instructions_v1_lacks() -> None:
    v1 = load_yaml(ROOT / "prompts/support/v1.yaml")["system"].lower()
    v2 = load_yaml(ROOT / "prompts/support/v2.yaml")["system"].lower()
    for rule in ("don't know", "human agent", "never invent", "each part"):
        assert rule in v2 and rule not in v1


def test_extraction_catalogue_schema_and_prompt_agree() -> None:
    catalogue = json.loads((ROOT / "apps/kb/catalog.json").read_text(encoding="utf-8"))
    names = [p["name"] for p in catalogue]
    suite = load_yaml(ROOT / "suites/order-extraction.yaml")
    schema = suite["defaults"]["assert"][0]["value"]
    assert schema["properties"]["items"]["items"]["properties"]["product"]["enum"] == names
    prompt = " ".join(load_yaml(ROOT / "prompts/extract-order/v1.yaml")["system"].split())
    assert all(name in prompt for name in names)
    for case in suite["cases"]:
        assert {i["product"] for i in case["expected"]["items"]} <= set(names), case["id"]


def test_intent_labels_agree_across_router_suite_prompt_and_data() -> None:
    router = load_module(ROOT / "apps/intent_router.py")
    suite = load_yaml(ROOT / "suites/intent-classification.yaml")
    labels = suite["defaults"]["assert"][0]["labels"]
    assert list(router.LABELS) == labels
    assert set(suite["defaults"]["assert"][0]["map"].values()) <= set(labels)
    prompt = load_yaml(ROOT / "prompts/intent/v1.yaml")["system"]
    assert all(f"- {label}:" in prompt for label in labels)
    with (ROOT / "suites/data/intents.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 40 and set(rows[0]) == {"id", "text", "expected", "tags"}
    per_label = {label: sum(r["expected"] == label for r in rows) for label in labels}
    assert min(per_label.values()) >= 5, per_label


def test_summaries_dataset_rows_are_complete() -> None:
    lines = (ROOT / "suites/data/summaries.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) >= 20
    for row in rows:
        assert set(row) == {"id", "tags", "text", "expected"}
        assert len(row["expected"].split()) <= 40 < len(row["text"].split()), row["id"]
