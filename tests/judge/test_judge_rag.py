"""context-faithfulness / -recall / -relevance, g-eval, model-graded-closedqa with a
scripted judge: scores are promptfoo's ratios, thresholds promptfoo's defaults."""

from __future__ import annotations

import json

import pytest
from judge_fakes import FakeServices, grade, user_text, verdict

from llmeval.errors import ConfigError

CTX = "Returns are accepted within 30 days. A receipt is required."


def statements(*flags: bool) -> str:
    return json.dumps(
        {
            "reason": "checked",
            "statements": [{"statement": f"s{i}", "supported": f} for i, f in enumerate(flags)],
        }
    )


async def test_faithfulness_is_the_supported_fraction() -> None:
    svc = FakeServices(statements(True, True, False))
    raw, res = await grade(
        svc, "context-faithfulness", vars={"query": "How long?", "context": CTX}, threshold=0.7
    )
    assert raw.score == pytest.approx(2 / 3) and res.passed is False
    assert "2/3 supported" in raw.reason
    text = user_text(svc.calls[0][0])
    assert CTX in text and "How long?" in text and "30 days" in text
    _, res = await grade(
        FakeServices(statements(True, True, False)),
        "context-faithfulness",
        vars={"query": "q", "context": CTX},
    )
    assert res.passed is True  # promptfoo's default threshold is 0


async def test_context_from_output_or_another_var() -> None:
    svc = FakeServices(statements(True))
    raw, _ = await grade(
        svc,
        "context-relevance",
        output="Docs: " + CTX,
        vars={"query": "How long?"},
        context_from="output",
    )
    assert raw.score == 1.0 and "Docs: " in user_text(svc.calls[0][0])
    svc = FakeServices(statements(True, False))
    raw, _ = await grade(
        svc, "context-relevance", vars={"query": "q", "docs": CTX}, context_var="docs"
    )
    assert raw.score == 0.5
    raw, _ = await grade(FakeServices(statements(True)), "context-relevance", vars={"query": "q"})
    assert raw.error and "context is required" in raw.error


async def test_recall_uses_value_or_expected_as_ground_truth() -> None:
    svc = FakeServices(statements(True, False, False, True))
    raw, _ = await grade(svc, "context-recall", "30 days with a receipt.", vars={"context": CTX})
    assert raw.score == 0.5 and "30 days with a receipt." in user_text(svc.calls[0][0])
    svc = FakeServices(statements(True))
    raw, _ = await grade(svc, "context-recall", expected="Thirty days.", vars={"context": CTX})
    assert raw.score == 1.0 and "Thirty days." in user_text(svc.calls[0][0])


async def test_unparseable_listing_is_an_error() -> None:
    raw, res = await grade(
        FakeServices('{"statements": [{"supported": "yes"}]}'),
        "context-faithfulness",
        vars={"context": CTX},
    )
    assert raw.passed is None and raw.error and res.passed is None


async def test_g_eval_scores_out_of_ten_with_threshold_07() -> None:
    svc = FakeServices(json.dumps({"steps": ["a"], "score": 8, "reason": "good"}))
    raw, res = await grade(svc, "g-eval", "Coherent and on topic.")
    assert raw.score == pytest.approx(0.8) and res.passed is True
    svc = FakeServices(json.dumps({"steps": ["a"], "score": 6, "reason": "meh"}))
    _, res = await grade(svc, "g-eval", "Coherent and on topic.")
    assert res.passed is False  # 0.6 < default 0.7
    svc = FakeServices(
        lambda m: json.dumps({"score": 10 if "first" in user_text(m) else 4, "reason": "r"})
    )
    raw, _ = await grade(svc, "g-eval", ["first criterion", "second criterion"])
    assert raw.score == pytest.approx(0.7) and len(svc.calls) == 2
    raw, _ = await grade(FakeServices('{"score": 11}'), "g-eval", "x")
    assert raw.error


async def test_closedqa_is_yes_or_no() -> None:
    _raw, res = await grade(
        FakeServices(verdict(True)), "model-graded-closedqa", "Mentions 30 days."
    )
    assert res.passed is True and res.score == 1.0
    _, res = await grade(FakeServices(verdict(False, 0.9)), "model-graded-closedqa", "x")
    assert res.passed is False and res.score == 0.0


@pytest.mark.parametrize(
    ("type_", "value", "opts"),
    [
        ("context-faithfulness", "x", {}),
        ("context-recall", None, {"context_from": "input"}),
        ("g-eval", 3, {}),
        ("model-graded-closedqa", ["a"], {}),
    ],
)
async def test_bad_config_is_a_plan_error(type_: str, value: object, opts: dict) -> None:
    with pytest.raises(ConfigError):
        await grade(FakeServices(), type_, value, **opts)


class EmbeddingJudge(FakeServices):
    """The scripted judge plus the fake server's deterministic embeddings."""

    def __init__(self, reply: str, embed_reason: str | None = None) -> None:
        super().__init__(reply)
        self.embed_reason = embed_reason
        self.embedded: list[list[str]] = []

    def embed_available(self, model: str | None) -> str | None:
        return self.embed_reason

    async def embed(self, texts: list[str], *, model: str | None) -> list[list[float]]:
        from fakeserver import fake_embedding

        self.embedded.append([model or "", *texts])
        return [fake_embedding(t) for t in texts]


async def test_answer_relevance_is_mean_similarity_of_generated_questions() -> None:
    from fakeserver import fake_embedding

    from llmeval.metrics.similar import cosine

    qs = ["how long is the return window", "what is the refund policy", "can I return items"]
    svc = EmbeddingJudge(json.dumps({"questions": qs}))
    raw, res = await grade(
        svc,
        "answer-relevance",
        vars={"query": "how long is the return window"},
        embedder="openai:embedding:text-embedding-3-small",
        threshold=0.5,
    )
    want = (
        sum(cosine(fake_embedding("how long is the return window"), fake_embedding(q)) for q in qs)
        / 3
    )
    assert raw.score == pytest.approx(want)
    model = "openai:text-embedding-3-small"  # promptfoo's spelling, normalised
    assert svc.embedded == [[model, "how long is the return window", *qs]]
    assert res.passed is (want >= 0.5)


async def test_answer_relevance_without_embeddings_is_skipped() -> None:
    svc = EmbeddingJudge(json.dumps({"questions": ["q"]}), embed_reason="no embedding model")
    raw, _ = await grade(svc, "answer-relevance", vars={"query": "q"})
    assert raw.skipped and raw.reason == "no embedding model"


async def test_context_transform_runs_javascript_over_the_output() -> None:
    svc = FakeServices(statements(True, False))
    out = json.dumps({"answer": "30 days", "docs": ["Returns within 30 days.", "Receipt needed."]})
    raw, _ = await grade(
        svc,
        "context-faithfulness",
        output=out,
        vars={"query": "q"},
        contextTransform="JSON.parse(output).docs.join('\\n')",
    )
    assert raw.score == 0.5
    assert "Returns within 30 days.\nReceipt needed." in user_text(svc.calls[0][0])
    raw, _ = await grade(
        FakeServices(statements(True)),
        "context-faithfulness",
        output=out,
        contextTransform="JSON.parse(output).docs.length",
    )
    assert raw.error and "must return a string" in raw.error
    with pytest.raises(ConfigError, match="SyntaxError"):
        await grade(FakeServices(), "context-faithfulness", contextTransform="output.(")
