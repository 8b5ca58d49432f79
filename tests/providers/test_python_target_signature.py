"""Which target signatures llmeval can call: the check ``validate`` runs before a run."""

from __future__ import annotations

import pytest

from llmeval.domain.model import ModelSpec
from llmeval.providers.python import call_problem

SPEC = ModelSpec(alias="t", provider="python", model="apps/t.py:f")


def by_vars(vars): ...
def by_prompt(prompt): ...
def one_positional(q): ...
def keywords(vars, messages, model, params, repeat): ...
def call_api(prompt, options, context): ...  # promptfoo's provider signature
def anything(*args, **kwargs): ...
def with_default(vars, extra=1): ...
async def async_target(messages): ...
def nothing(): ...
def two_unknown(question, context): ...
def known_plus_required(vars, store): ...


@pytest.mark.parametrize(
    "fn",
    [
        by_vars,
        by_prompt,
        one_positional,
        keywords,
        call_api,
        anything,
        with_default,
        async_target,
        nothing,
    ],
)
def test_callable_signatures_pass(fn):
    assert call_problem(fn, SPEC) is None


@pytest.mark.parametrize(
    ("fn", "missing"), [(two_unknown, "'context'"), (known_plus_required, "'store'")]
)
def test_uncallable_signatures_say_what_is_missing(fn, missing):
    problem = call_problem(fn, SPEC)
    assert problem is not None and "llmeval cannot call it" in problem and missing in problem
