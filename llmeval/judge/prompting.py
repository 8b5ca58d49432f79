"""Pure construction of judge messages.

Untrusted text (the graded output, and anything else shown to the judge as data) is
wrapped between fence lines ``<<<OUTPUT id=…>>>`` / ``<<<END OUTPUT id=…>>>``. The id is
derived from the text itself, and any run of ``<<<`` inside the text is broken up, so
the text can neither close its own fence nor open a fake one. The fenced text is passed
to the judge template as a *variable value*: templates are rendered in one pass, so
``{{ … }}`` inside model output is never evaluated.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from llmeval.domain.prompt import Message, PromptTemplate
from llmeval.judge.verdict import PairwiseVerdict, Verdict, parse_pairwise, parse_verdict

__all__ = [
    "PairwiseVerdict",
    "Verdict",
    "as_text",
    "fence",
    "neutralise",
    "pairwise_messages",
    "parse_pairwise",
    "parse_verdict",
    "render_messages",
    "render_text",
    "rubric_messages",
]

_OPEN_RUN = re.compile(r"<(?=<<)")  # each '<' followed by two more: break every '<<<'


def neutralise(text: str) -> str:
    """``text`` with no ``<<<`` left in it, so it cannot contain a fence line."""
    return _OPEN_RUN.sub("< ", text)


def fence(label: str, text: str) -> str:
    """``text`` as data between unforgeable fence lines named ``label``."""
    digest = hashlib.sha256(f"{label}\0{text}".encode()).hexdigest()[:8]
    head = f"{label} id={digest}"
    return f"<<<{head}>>>\n{neutralise(text)}\n<<<END {head}>>>"


def as_text(value: Any) -> str:
    """A variable value as the judge should read it (JSON for structured values)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        return str(value)


@functools.lru_cache(maxsize=1)
def _env() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@functools.lru_cache(maxsize=256)
def _compile(source: str) -> Any:
    return _env().from_string(source)


def render_text(source: str, variables: Mapping[str, Any]) -> str:
    """Render one trusted template source once; values are inserted, never re-rendered.

    Raises ``jinja2`` errors (undefined variable, syntax) to the caller.
    """
    if "{" not in source:  # no template syntax: skip Jinja entirely
        return source
    return str(_compile(source).render(**dict(variables)))


def render_messages(template: PromptTemplate, variables: Mapping[str, Any]) -> tuple[Message, ...]:
    """Each message of a judge template rendered once with ``variables``."""
    return tuple(
        Message(role=m.role, content=render_text(m.content, variables).strip())
        for m in template.messages
    )


def _data(label: str, value: Any) -> str:
    text = as_text(value)
    return fence(label, text) if text else ""


# What each kind of judge template may read; ``llmeval validate`` checks project
# judge prompts against these (tests check the builders pass exactly these).
RUBRIC_VARIABLES = frozenset(
    {"rubric", "output", "expected", "context", "question", "reference", "reference_kind"}
)
PAIRWISE_VARIABLES = frozenset({"criteria", "output_a", "output_b", "question"})


def rubric_messages(
    template: PromptTemplate,
    *,
    rubric: str,
    output: str,
    expected: Any = None,
    context: Any = None,
    question: Any = None,
    reference: Any = None,
    reference_kind: str = "reference answer",
) -> tuple[Message, ...]:
    """Messages for a rubric or factuality verdict about ``output``.

    ``rubric`` is the suite author's text (trusted instructions); everything else is
    data and is fenced. Templates may use any of: rubric, output, expected, context,
    question, reference, reference_kind.
    """
    variables = {
        "rubric": rubric,
        "output": fence("OUTPUT", output),
        "expected": _data("REFERENCE", expected),
        "context": _data("CONTEXT", context),
        "question": _data("QUESTION", question),
        "reference": _data("REFERENCE", reference),
        "reference_kind": reference_kind,
    }
    return render_messages(template, variables)


def pairwise_messages(
    template: PromptTemplate,
    *,
    criteria: str,
    output_a: str,
    output_b: str,
    question: Any = None,
) -> tuple[Message, ...]:
    """Messages asking which of two outputs better meets ``criteria``."""
    variables = {
        "criteria": criteria,
        "output_a": fence("RESPONSE A", output_a),
        "output_b": fence("RESPONSE B", output_b),
        "question": _data("QUESTION", question),
    }
    return render_messages(template, variables)
