"""An independent, minimal reading of the bundled suites, for tests only.

It loads suite files and datasets with plain pyyaml/csv/json, runs the offline apps
directly, and judges the assertions it understands with promptfoo's semantics (the
simple text/JSON ones, word-count, plus rouge-l / bleu / f1 through the reference
libraries, classification and python scorers). Judge assertions are skipped. This
lets the bundled suites be checked before, and independently of, the real engine.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import string
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SCAFFOLD = ROOT / "llmeval" / "scaffold" / "base"  # the pack `llmeval init` always writes
SKIP = None  # an assertion this oracle does not judge (judge calls)
# The cases each bundled suite fails on its offline app, and the failing assertion
# types: honest weaknesses of the non-LLM baselines, documented in the suites.
EXPECTED_FAILURES = {
    "support-faq": {
        "kettle-still-covered": ["regex"],  # paraphrase: retrieval finds nothing, declines
        "price-match-competitor": ["icontains-any"],  # out of scope: answers price-drop fact
        "chair-doesnt-fit": ["regex"],  # "money back" retrieves refund timing, not the window
        "window-and-refund-time": ["icontains"],  # two questions, one retrieved fact
    },
    "intent-classification": {
        "shipping-not-arrived": ["classification"],  # no shipping keyword -> other
        "account-name-typo": ["classification"],
        "technical-images-missing": ["classification"],
        "technical-search-broken": ["classification"],  # "returns" the verb -> returns
        "technical-basket-empties": ["classification"],
    },
    "order-extraction": {
        "quantity-in-words": ["python"],
        "implied-urgency-deadline": ["python", "python"],  # all fields + urgency scorer
        "mentioned-not-ordered": ["python"],
        "a-dozen-mugs": ["python"],
    },
    "summarization": {
        "ticket-promo-code": ["rouge-l", "bleu"],  # misses the cause (a gift card)
        "article-outage-report": ["rouge-l"],  # misses the cause and the fix
        "article-candle-recall": ["bleu"],
    },
}
RESERVED_COLUMNS = ("id", "expected", "tags", "description", "critical", "threshold")


@dataclass
class OracleCase:
    id: str
    vars: dict[str, Any]
    expected: Any = None
    assertions: list[dict[str, Any]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    critical: bool = False


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def dataset_rows(root: Path, rel: str) -> list[dict[str, Any]]:
    path = root / rel
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def cases(suite: dict[str, Any], root: Path = ROOT) -> list[OracleCase]:
    """Inline cases then dataset rows, each with defaults.assert first."""
    defaults = list((suite.get("defaults") or {}).get("assert") or [])
    out = [
        OracleCase(
            id=c["id"],
            vars=dict(c.get("vars") or {}),
            expected=c.get("expected"),
            assertions=defaults + list(c.get("assert") or []),
            tags=list(c.get("tags") or []),
            critical=bool(c.get("critical", False)),
        )
        for c in suite.get("cases") or []
    ]
    if suite.get("dataset"):
        for row in dataset_rows(root, suite["dataset"]):
            tags = row.get("tags") or []
            out.append(
                OracleCase(
                    id=row["id"],
                    vars={k: v for k, v in row.items() if k not in RESERVED_COLUMNS},
                    expected=row.get("expected"),
                    assertions=list(defaults),
                    tags=[tags] if isinstance(tags, str) else list(tags),
                )
            )
    return out


def load_module(path: Path) -> ModuleType:
    name = "examples_oracle_" + "_".join(path.with_suffix("").parts[-3:])
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def target(root: Path, ref: str) -> Callable[..., Any]:
    file, _, func = ref.rpartition(":")
    return getattr(load_module(root / file), func)  # type: ignore[no-any-return]


# ---- assertion semantics (promptfoo's where the name exists there) -------------


def _values(value: Any) -> list[str]:
    # promptfoo accepts a list or a comma-separated string
    if isinstance(value, str):
        return [v.strip() for v in value.split(",")]
    return [str(v) for v in value]


def _json_in(text: str) -> list[Any]:
    found, decoder = [], json.JSONDecoder()
    for i, ch in enumerate(text):
        if ch in "{[":
            try:
                found.append(decoder.raw_decode(text[i:])[0])
            except ValueError:
                continue
    return found


def _schema_ok(value: Any, schema: Any) -> bool:
    if schema is None:
        return True
    import jsonschema

    return not list(jsonschema.Draft202012Validator(schema).iter_errors(value))


def _squad_tokens(text: str) -> list[str]:
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return text.split()


def token_f1(prediction: str, reference: str) -> float:
    pred, ref = _squad_tokens(prediction), _squad_tokens(reference)
    common = sum(min(pred.count(t), ref.count(t)) for t in set(pred))
    if not pred or not ref or common == 0:
        return float(pred == ref)
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def rouge_l(prediction: str, reference: str) -> float:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    return float(scorer.score(reference, prediction)["rougeL"].fmeasure)


def bleu(prediction: str, reference: str) -> float:
    import sacrebleu

    return float(sacrebleu.sentence_bleu(prediction, [reference]).score / 100.0)


def _classify(output: str, spec: dict[str, Any], expected: Any) -> bool:
    label = output.strip().strip(string.punctuation + " ").lower()
    mapping = {str(k).lower(): str(v).lower() for k, v in (spec.get("map") or {}).items()}
    label = mapping.get(label, label)
    return label == str(expected).strip().lower()


def judge(spec: dict[str, Any], output: str, case: OracleCase, root: Path = ROOT) -> bool | None:
    """True / False, or None for an assertion this oracle skips (judge, latency)."""
    kind, negate = spec["type"], False
    if kind.startswith("not-"):
        kind, negate = kind[4:], True
    value = spec.get("value")
    reference = value if value is not None else case.expected
    threshold = spec.get("threshold")
    low = output.lower()
    checks: dict[str, Callable[[], bool | None]] = {
        "equals": lambda: output == str(value),
        "contains": lambda: str(value) in output,
        "icontains": lambda: str(value).lower() in low,
        "contains-any": lambda: any(v in output for v in _values(value)),
        "icontains-any": lambda: any(v.lower() in low for v in _values(value)),
        "contains-all": lambda: all(v in output for v in _values(value)),
        "icontains-all": lambda: all(v.lower() in low for v in _values(value)),
        "starts-with": lambda: output.startswith(str(value)),
        "regex": lambda: re.search(str(value), output) is not None,
        "is-json": lambda: _is_json(output, value),
        "contains-json": lambda: any(_schema_ok(v, value) for v in _json_in(output)),
        "word-count": lambda: _word_count(output, value),
        "rouge-l": lambda: rouge_l(output, str(reference)) >= (threshold or 0.5),
        "bleu": lambda: bleu(output, str(reference)) >= (threshold or 0.5),
        "f1": lambda: token_f1(output, str(reference)) >= (threshold or 0.5),
        "classification": lambda: _classify(output, spec, case.expected),
        "python": lambda: bool(
            target(root, str(value))(output, {"expected": case.expected, "vars": case.vars})["pass"]
        ),
        "latency": lambda: SKIP,  # measured by run_app instead
        "llm-rubric": lambda: SKIP,
        "factuality": lambda: SKIP,
    }
    if kind not in checks:
        raise KeyError(f"oracle does not know assertion type {kind!r}")
    result = checks[kind]()
    if result is None:
        return None
    return (not result) if negate else result


def _is_json(output: str, schema: Any) -> bool:
    try:
        value = json.loads(output)
    except ValueError:
        return False
    return _schema_ok(value, schema)


def _word_count(output: str, value: Any) -> bool:
    n = len(output.split())
    if isinstance(value, dict):
        return value.get("min", 0) <= n <= value.get("max", float("inf"))
    return n == int(value)


@dataclass
class CaseOutcome:
    case: OracleCase
    output: str
    latency_ms: float
    verdicts: list[tuple[str, bool | None]]

    @property
    def passed(self) -> bool:
        return all(v is not False for _, v in self.verdicts)

    @property
    def failing(self) -> list[str]:
        return [name for name, v in self.verdicts if v is False]


def run_suite(
    suite: dict[str, Any], app: Callable[..., Any], root: Path = ROOT
) -> list[CaseOutcome]:
    outcomes = []
    for case in cases(suite, root):
        start = time.perf_counter()
        output = app(case.vars)
        latency = (time.perf_counter() - start) * 1000.0
        assert isinstance(output, str), f"{case.id}: app returned {type(output).__name__}"
        verdicts = []
        for spec in case.assertions:
            verdict = judge(spec, output, case, root)
            if spec["type"] == "latency":
                verdict = latency <= float(spec["threshold"])
            verdicts.append((spec["type"], verdict))
        outcomes.append(CaseOutcome(case, output, latency, verdicts))
    return outcomes
