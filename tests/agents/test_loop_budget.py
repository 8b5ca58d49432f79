"""The cost reservation of a tool loop / conversation covers every call it may make, and
a loop's recorded cost is the sum of its calls' prices (pricing owns the price)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from llmeval.config.project import load_project
from llmeval.engine.costing import Coster
from llmeval.engine.plan import build_plan

PRICE = {"input_per_mtok": 1000.0, "output_per_mtok": 2000.0}


def _plan(root: Path, suite: dict):
    (root / "suites").mkdir()
    (root / "llmeval.yaml").write_text(yaml.safe_dump({
        "models": {"oa": {"provider": "openai", "model": "gpt-4o-mini", "price": PRICE,
                          "params": {"max_tokens": 50}}},
        "defaults": {"models": ["oa"]},
    }))  # fmt: skip
    (root / "suites" / "tools.py").write_text("def add(a, b):\n    return a + b\n")
    (root / "suites" / "s.yaml").write_text(yaml.safe_dump(suite))
    return build_plan(load_project(root))


TOOLS = [{"name": "add", "parameters": {"type": "object", "properties": {
    "a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"]}}]  # fmt: skip


def test_reservation_covers_max_steps_calls_per_turn(tmp_path: Path) -> None:
    plan = _plan(
        tmp_path,
        {"name": "s", "tools": TOOLS, "tools_impl": "tools.py", "max_steps": 3, "cases": [
            {"id": "one", "vars": {"input": "add a=1 b=2"}},
            {"id": "plain", "tools_impl": None, "vars": {"input": "add a=1 b=2"}},
            {"id": "turns", "turns": ["add a=1 b=2", "again add a=1 b=2"]},
        ]},
    )  # fmt: skip
    items = {i.case.id: i for i in plan.items}
    assert items["one"].agenda is not None and items["one"].agenda.max_calls == 3
    assert items["turns"].agenda is not None and items["turns"].agenda.max_calls == 6
    coster = Coster()
    one = coster.estimate(items["one"])
    single = coster.estimate(dataclasses.replace(items["one"], agenda=None))
    assert one.tokens_out == 3 * single.tokens_out == 150
    assert one.cost_usd is not None and single.cost_usd is not None
    assert abs(one.cost_usd - 3 * single.cost_usd) < 1e-12
