"""promptfoo's assertion types and what llmeval does with each (the one table).

Used by "did you mean" (an unknown promptfoo type names its llmeval equivalent or says
it is not supported), by the importer (``llmeval import promptfoo``) and by
``docs/promptfoo.md`` (a test keeps that page and the registry in step with this table).

Status: ``same`` — same name and semantics; ``differs`` — same name, a documented
difference; ``renamed`` — llmeval has it under another name; ``unsupported``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Entry:
    status: str  # same | differs | renamed | unsupported
    llmeval: str | None = None  # the llmeval type, when there is one
    note: str = ""
    pending: bool = False  # built on another branch (tool-call assertions, issue 13)


S, D, R, U = "same", "differs", "renamed", "unsupported"

PROMPTFOO: dict[str, Entry] = {
    "answer-relevance": Entry(
        D,
        "answer-relevance",
        "the judge proposes questions and compares them with the query; no embeddings",
    ),
    "assert-set": Entry(S, "assert-set"),
    "bleu": Entry(D, "bleu", "sacrebleu sentence BLEU; default threshold 0.5 as promptfoo"),
    "classifier": Entry(
        U,
        None,
        "a HuggingFace classifier; use 'classification' with a "
        "python target, or 'refusal' / 'moderation'",
    ),
    "contains": Entry(S, "contains"),
    "contains-all": Entry(S, "contains-all"),
    "contains-any": Entry(S, "contains-any"),
    "contains-html": Entry(S, "contains-html"),
    "contains-json": Entry(S, "contains-json"),
    "contains-sql": Entry(D, "contains-sql", "sqlglot instead of node-sql-parser"),
    "contains-xml": Entry(S, "contains-xml"),
    "context-faithfulness": Entry(S, "context-faithfulness"),
    "context-recall": Entry(S, "context-recall"),
    "context-relevance": Entry(S, "context-relevance"),
    "conversation-relevance": Entry(
        U,
        None,
        "no conversation-level judge; write the conversation as turns: with an "
        "llm-rubric on each turn",
    ),
    "cost": Entry(S, "cost"),
    "equals": Entry(S, "equals"),
    "factuality": Entry(
        D, "factuality", "a claim-by-claim verdict, not promptfoo's A-E categories"
    ),
    "finish-reason": Entry(S, "finish-reason"),
    "g-eval": Entry(S, "g-eval"),
    "gleu": Entry(U, None, "use 'bleu' or 'chrf'"),
    "guardrails": Entry(U, None, "provider guardrail flags are not recorded; use 'moderation'"),
    "human": Entry(U, None, "manual grading in a web UI; see 'llmeval judge calibrate'"),
    "icontains": Entry(S, "icontains"),
    "icontains-all": Entry(S, "icontains-all"),
    "icontains-any": Entry(S, "icontains-any"),
    "is-html": Entry(D, "is-html", "Python's HTML parser instead of jsdom"),
    "is-json": Entry(S, "is-json"),
    "is-refusal": Entry(R, "refusal"),
    "is-sql": Entry(D, "is-sql", "sqlglot instead of node-sql-parser"),
    "is-valid-function-call": Entry(S, "is-valid-function-call", pending=True),
    "is-valid-openai-function-call": Entry(S, "is-valid-openai-function-call", pending=True),
    "is-valid-openai-tools-call": Entry(S, "is-valid-openai-tools-call"),
    "is-xml": Entry(S, "is-xml"),
    "javascript": Entry(
        D, "javascript", "an embedded engine (llmeval[js]): no require, no filesystem, no network"
    ),
    "latency": Entry(S, "latency"),
    "levenshtein": Entry(S, "levenshtein"),
    "llm-rubric": Entry(S, "llm-rubric"),
    "max-score": Entry(S, "max-score"),
    "meteor": Entry(U, None, "use 'rouge-l', 'chrf' or 'bleu'"),
    "model-graded-closedqa": Entry(S, "model-graded-closedqa"),
    "model-graded-factuality": Entry(R, "factuality"),
    "moderation": Entry(S, "moderation"),
    "perplexity": Entry(U, None, "token log-probabilities are not recorded"),
    "perplexity-score": Entry(U, None, "token log-probabilities are not recorded"),
    "pi": Entry(U, None, "a hosted scoring service"),
    "python": Entry(S, "python"),
    "regex": Entry(S, "regex"),
    "rouge-l": Entry(D, "rouge-l", "rouge-score's ROUGE-L F-measure, not js-rouge's"),
    "rouge-n": Entry(S, "rouge-n"),
    "rouge-s": Entry(U, None, "use 'rouge-l' or 'rouge-n'"),
    "ruby": Entry(U, None, "use 'python' or 'javascript'"),
    "search-rubric": Entry(U, None, "needs a web-search judge"),
    "select-best": Entry(S, "select-best"),
    "similar": Entry(S, "similar"),
    "similar:cosine": Entry(S, "similar:cosine"),
    "similar:dot": Entry(S, "similar:dot"),
    "similar:euclidean": Entry(S, "similar:euclidean"),
    "skill-used": Entry(U, None, "agent skill calls are not recorded"),
    "starts-with": Entry(S, "starts-with"),
    "tool-call-f1": Entry(S, "tool-call-f1"),
    "trace-error-spans": Entry(U, None, "spans become trajectory steps; use trajectory:step-count"),
    "trace-span-count": Entry(U, None, "spans become trajectory steps; use trajectory:step-count"),
    "trace-span-duration": Entry(
        U, None, "spans become trajectory steps; use trajectory:step-count"
    ),
    "trajectory:goal-success": Entry(S, "trajectory:goal-success"),
    "trajectory:step-count": Entry(S, "trajectory:step-count"),
    "trajectory:tool-args-match": Entry(S, "trajectory:tool-args-match"),
    "trajectory:tool-sequence": Entry(S, "trajectory:tool-sequence"),
    "trajectory:tool-used": Entry(S, "trajectory:tool-used"),
    "webhook": Entry(U, None, "use a 'python' scorer that makes the call"),
    "word-count": Entry(S, "word-count"),
}


def suggestion(type_name: str) -> str | None:
    """The hint for an unknown type that is one of promptfoo's, else None."""
    from llmeval.metrics import registry

    entry = PROMPTFOO.get(type_name)
    if entry is None:
        return None
    if entry.llmeval and entry.llmeval != type_name and entry.llmeval in registry.names():
        return f"promptfoo's '{type_name}' is llmeval's '{entry.llmeval}'"
    if entry.status == U:
        return f"promptfoo's '{type_name}' is not supported by llmeval: {entry.note}"
    return None
