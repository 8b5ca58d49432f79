"""The offline reference apps and scorers: behaviour, robustness and calling convention."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from examples_oracle import ROOT, SCAFFOLD, cases, load_module, load_yaml, run_suite, target
from hypothesis import given, settings
from hypothesis import strategies as st

from llmeval.domain.model import ModelSpec
from llmeval.domain.prompt import Message
from llmeval.domain.request import CompletionRequest
from llmeval.domain.suite import Case
from llmeval.providers.python import PythonProvider

faq_bot = load_module(ROOT / "apps/faq_bot.py")
router = load_module(ROOT / "apps/intent_router.py")
extractor = load_module(ROOT / "apps/extractor.py")
summarizer = load_module(ROOT / "apps/summarizer.py")
scorers = load_module(ROOT / "apps/scorers.py")


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("returns", "return"),
        ("shipping", "shipp"),
        ("charged", "charg"),
        ("gas", "gas"),
        ("the", None),
    ],
)
def test_faq_tokens_stem_and_drop_stopwords(word: str, stem: str | None) -> None:
    assert faq_bot.tokens(word) == ([stem] if stem else [])


@pytest.mark.parametrize("question", ["", "???", "zzzz qqqq", "Tell me a joke about penguins"])
def test_faq_bot_declines_without_a_match(question: str) -> None:
    assert faq_bot.answer({"question": question}) == faq_bot.DECLINE


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("", "other"),
        ("I was charged twice", "billing"),
        ("where is my order", "shipping"),
        ("I want a refund for the broken vase", "returns"),
        ("forgot my password", "account"),
        ("the website shows an error", "technical"),
        ("charge on delivery", "billing"),  # tie 2 vs 2: the label listed first wins
    ],
)
def test_router_rules(text: str, label: str) -> None:
    assert router.classify({"text": text}) == label


@pytest.mark.parametrize(
    ("email", "field", "value"),
    [
        ("order bl-12345 please", "order_id", "BL-12345"),
        ("see BL-KIT-003 and BL-FUR-001", "order_id", None),
        ("To: <ANN@Example.com> cc help@brightleaf.example", "customer_email", "ann@example.com"),
        ("only help@brightleaf.example here", "customer_email", None),
        ("not urgent, add a rug", "urgency", "low"),
        ("urgently need a rug", "urgency", "high"),
        ("a rug please", "urgency", "normal"),
        ("2 table lamps and a floor lamp", "items",
         [{"product": "Ceramic Table Lamp", "quantity": 2},
          {"product": "Brass Floor Lamp", "quantity": 1}]),
        ("order BL-12345 for the mug", "items", [{"product": "Stoneware Mug", "quantity": 1}]),
        ("mug x 3 and £25 vase", "items",
         [{"product": "Stoneware Mug", "quantity": 3}, {"product": "Glass Vase", "quantity": 1}]),
    ],
)  # fmt: skip
def test_extractor_fields(email: str, field: str, value: object) -> None:
    assert json.loads(extractor.extract({"email": email}))[field] == value


@given(st.text(max_size=400))
@settings(max_examples=60, deadline=None)
def test_apps_never_crash_and_return_strings(text: str) -> None:
    assert isinstance(faq_bot.answer({"question": text}), str)
    assert router.classify({"text": text}) in router.LABELS
    order = json.loads(extractor.extract({"email": text}))
    assert set(order) == {"order_id", "customer_email", "items", "urgency"}
    assert all(i["quantity"] >= 1 for i in order["items"])
    summary = summarizer.summarize({"text": text})
    assert len(summary.split()) <= summarizer.MAX_WORDS


def test_summarizer_keeps_the_lead_and_text_order() -> None:
    text = "Alpha beta gamma. Delta epsilon. Beta gamma again here. Zeta."
    assert summarizer.summarize_text(text) == "Alpha beta gamma. Beta gamma again here."
    assert summarizer.summarize_text("One sentence only") == "One sentence only"


EXPECTED = {
    "order_id": "BL-10482",
    "customer_email": "t@example.org",
    "items": [{"product": "Linen Cushion Cover", "quantity": 4}],
    "urgency": "high",
}


@pytest.mark.parametrize(
    "case_like",
    [
        {"expected": EXPECTED},
        SimpleNamespace(expected=EXPECTED),
        SimpleNamespace(case=SimpleNamespace(expected=EXPECTED)),
        Case(id="x", expected=EXPECTED),
    ],
    ids=["mapping", "object", "context", "domain-case"],
)
def test_scorers_read_expected_from_any_case_shape(case_like: object) -> None:
    good = json.dumps({**EXPECTED, "customer_email": "T@Example.org"})
    assert scorers.order_fields_match(good, case_like)["pass"] is True
    assert scorers.order_fields_match(good, expected=EXPECTED)["score"] == 1.0


@pytest.mark.parametrize(
    ("output", "passed", "score"),
    [
        (json.dumps(EXPECTED), True, 1.0),
        ("```json\n" + json.dumps(EXPECTED) + "\n```", True, 1.0),
        (json.dumps({**EXPECTED, "urgency": "normal"}), False, 0.75),
        (
            json.dumps({**EXPECTED, "items": [{"product": "linen cushion covers", "quantity": 4}]}),
            True,
            1.0,
        ),
        (
            json.dumps(
                {**EXPECTED, "items": [{"product": "Linen Cushion Cover", "quantity": "x"}]}
            ),
            False,
            0.75,
        ),
        (json.dumps({**EXPECTED, "items": []}), False, 0.75),
        ("not json", False, 0.0),
        ("[1, 2]", False, 0.0),
    ],
)
def test_order_fields_match(output: str, passed: bool, score: float) -> None:
    verdict = scorers.order_fields_match(output, {"expected": EXPECTED})
    assert (verdict["pass"], verdict["score"]) == (passed, score)
    assert verdict["reason"]


def test_field_scorers_look_at_one_field() -> None:
    output = json.dumps({**EXPECTED, "items": [], "urgency": "low"})
    assert scorers.order_id_matches(output, {"expected": EXPECTED})["pass"] is True
    assert scorers.urgency_matches(output, {"expected": EXPECTED})["pass"] is False
    assert scorers.order_fields_match(output, {"expected": None})["pass"] is False


def test_scaffold_suite_passes_completely() -> None:
    settings_ = load_yaml(SCAFFOLD / "llmeval.yaml")
    suite = load_yaml(SCAFFOLD / "suites/capitals.yaml")
    alias = settings_["defaults"]["models"][0]
    outcomes = run_suite(suite, target(SCAFFOLD, settings_["models"][alias]["target"]), SCAFFOLD)
    assert len(outcomes) == 5 and all(o.passed for o in outcomes)
    assert "don't know" in target(SCAFFOLD, "apps/capitals.py:answer")({"country": "Atlantis"})


@pytest.mark.parametrize(
    ("root", "suite_name"),
    [(ROOT, "support-faq"), (ROOT, "intent-classification"), (ROOT, "order-extraction"),
     (ROOT, "summarization"), (SCAFFOLD, "capitals")],
)  # fmt: skip
async def test_apps_run_through_the_real_python_provider(root, suite_name: str) -> None:
    """The calling convention of llmeval.providers.python: vars by parameter name."""
    settings_ = load_yaml(root / "llmeval.yaml")
    suite = load_yaml(root / "suites" / f"{suite_name}.yaml")
    alias = (suite.get("models") or settings_["defaults"]["models"])[0]
    spec = ModelSpec(alias=alias, provider="python", model=settings_["models"][alias]["target"])
    provider = PythonProvider(spec, root)
    direct = target(root, spec.model)
    for case in cases(suite, root)[:5]:
        request = CompletionRequest(
            model=spec, messages=(Message("user", "rendered prompt"),), vars=case.vars
        )
        completion = await provider.complete(request)
        assert completion.text == direct(case.vars)
