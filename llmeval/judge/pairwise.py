"""The ``pairwise`` judge assertion: candidate vs baseline output, asked in both orders.

Judges favour a position; asking A/B and then B/A cancels that: a winner is kept only
when both orders agree, any disagreement is reported as a tie (score 0.5).
"""

from __future__ import annotations

import asyncio
from typing import Any

from llmeval.domain.record import Score
from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError
from llmeval.judge import judge as j
from llmeval.judge.bundled import PAIRWISE
from llmeval.judge.prompting import PairwiseVerdict, pairwise_messages, parse_pairwise
from llmeval.metrics.base import BuildContext, ScoreContext, Services
from llmeval.metrics.registry import register

_WIN_SCORE = {"candidate": 1.0, "tie": 0.5, "baseline": 0.0}


@register(
    "pairwise",
    kind="async",
    judge=True,
    threshold="custom",
    description="An LLM judge compares the output with the baseline's, in both orders; "
    "a winner that changes with the order is reported as a tie.",
)
def pairwise(spec: AssertionSpec, build: BuildContext) -> j.AsyncFn:
    opts = j.judge_options(spec, build, default_prompt=PAIRWISE, extra=("require_win", "against"))
    extra = opts.extra or {}
    if "against" in extra:
        raise ConfigError(
            "pairwise: 'against' (another model's output) is not supported yet; "
            "it compares with the baseline run's output"
        )
    if spec.value is not None and not isinstance(spec.value, str):
        raise ConfigError("pairwise: 'value' must be the comparison criteria as text")
    require_win = extra.get("require_win", False)
    if not isinstance(require_win, bool):
        raise ConfigError("pairwise: 'require_win' must be true or false")
    criteria = spec.value or "Which response better serves the request: correct, complete, clear."

    async def run(ctx: ScoreContext, services: Services) -> Score:
        base = ctx.baseline_output
        if base is None:
            return Score(
                passed=None,
                skipped=True,
                reason="no baseline output to compare with",
                kind="no_baseline",
            )
        if base == ctx.output:  # nothing to judge: identical outputs tie by definition
            return _pair_score("tie", "output identical to the baseline's", require_win, {})
        j.check_available(services, opts.model)
        template = j.load_template(services, opts.prompt)
        question = j.question_of(ctx, opts)
        text = j.render_author("pairwise criteria", criteria, ctx)
        orders = (
            ("candidate", ctx.output, "baseline", base),
            ("baseline", base, "candidate", ctx.output),
        )

        async def judge_once(a: str, b: str) -> Any:
            messages = j.build_messages(
                opts.prompt,
                lambda: pairwise_messages(
                    template, criteria=text, output_a=a, output_b=b, question=question
                ),
            )
            return await j.ask(services, ctx, opts, messages, parse_pairwise)

        got = await asyncio.gather(
            *(judge_once(o[1], o[3]) for o in orders), return_exceptions=True
        )
        answers: list[tuple[PairwiseVerdict, dict[str, Any]]] = []
        for g in got:
            if isinstance(g, BaseException):
                raise g
            answers.append(g)
        rounds = []
        for (name_a, _, name_b, _), (verdict, _d) in zip(orders, answers, strict=True):
            who = {"A": name_a, "B": name_b, "tie": "tie"}[verdict.winner]
            rounds.append(
                {
                    "order": f"A={name_a}, B={name_b}",
                    "winner": verdict.winner,
                    "means": who,
                    "reason": verdict.reason,
                }
            )
        first, second = rounds[0]["means"], rounds[1]["means"]
        details: dict[str, Any] = {"rounds": rounds, "consistent": first == second}
        details.update(answers[0][1])
        if first == second:
            reason = f"{first} in both orders: {rounds[0]['reason']}"
            return _pair_score(first, reason, require_win, details)
        reason = f"judge disagreed between orders ({first} / {second}): a tie"
        return _pair_score("tie", reason, require_win, details)

    return j.guarded(run)


def _pair_score(winner: str, reason: str, require_win: bool, details: dict[str, Any]) -> Score:
    passed = winner == "candidate" or (winner == "tie" and not require_win)
    details = {**details, "winner": winner}
    return Score(passed=passed, score=_WIN_SCORE[winner], reason=reason, details=details)
