"""Shards: a deterministic slice of a plan, so N machines (or N processes) split one run.

A case's shard is a stable hash of its key (suite, case id) — never of its position — so
every model, prompt and repeat of a case lands in the same shard (paired statistics stay
intact when the shards are merged), and a case keeps its shard when others are added.

Each shard records, in its run.json, ``K/N`` and the fingerprint of the *whole* plan (before
slicing): ``llmeval merge`` refuses shards whose fingerprints differ, and knows from the
whole plan's per-group counts how much a missing shard leaves not run.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from llmeval.errors import UsageError

if TYPE_CHECKING:
    from llmeval.domain.project import Project
    from llmeval.engine.plan import Plan


@dataclass(frozen=True, slots=True)
class ShardInfo:
    """Which slice a run is, and what the whole plan it was cut from looked like."""

    k: int  # 1-based
    n: int
    plan_fingerprint: str
    planned_total: int  # items of the whole plan
    # whole-plan items per "suite\tmodel\tprompt": what a missing shard leaves not run
    group_totals: dict[str, int]

    @property
    def label(self) -> str:
        return f"{self.k}/{self.n}"

    def to_json(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "n": self.n,
            "plan_fingerprint": self.plan_fingerprint,
            "planned_total": self.planned_total,
            "group_totals": dict(sorted(self.group_totals.items())),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ShardInfo:
        return cls(
            int(d["k"]),
            int(d["n"]),
            str(d["plan_fingerprint"]),
            int(d["planned_total"]),
            {str(g): int(c) for g, c in (d.get("group_totals") or {}).items()},
        )


MAX_SHARDS = 1024


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` with 1 <= K <= N: the one parser of the flag and of what run.json stores."""
    k_text, sep, n_text = text.strip().partition("/")
    try:
        k, n = int(k_text), int(n_text)
    except ValueError:
        k = n = 0
    if not sep or not 1 <= k <= n <= MAX_SHARDS:
        raise UsageError(
            f"--shard must be K/N with 1 <= K <= N <= {MAX_SHARDS} (e.g. 2/4), not '{text}'"
        )
    return k, n


def shard_of(suite: str, case_id: str, n: int) -> int:
    """The 1-based shard of a case: a stable hash (the same in every process and release)."""
    digest = hashlib.sha256(f"{suite}\x00{case_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % n + 1


def group_key(suite: str, model: str, prompt: str) -> str:
    return f"{suite}\t{model}\t{prompt}"


def plan_fingerprint(project: Project, plan: Plan) -> str:
    """What makes two runs halves of one: the planned keys, what scores each case, each
    case's vars, the prompts, the models, the gate policies and the judge."""
    from llmeval.analysis.gate import Policies
    from llmeval.engine.manifest import fingerprints, judge_meta

    seen: set[tuple[str, str]] = set()
    vars_sha: dict[str, str] = {}
    for item in plan.items:
        ck = (item.suite.name, item.case.id)
        if ck not in seen:
            seen.add(ck)
            blob = json.dumps(item.sent_vars, sort_keys=True, default=str)
            vars_sha["\x00".join(ck)] = hashlib.sha256(blob.encode()).hexdigest()[:16]
    doc = {
        "keys": sorted(list(i.key) for i in plan.items),
        "vars": dict(sorted(vars_sha.items())),
        "suites": fingerprints(plan),
        "prompts": {ref: p.sha for ref, p in sorted(plan.prompts.items())},
        "models": {
            a: [s.provider, s.model, s.base_url, json.dumps(s.params, sort_keys=True, default=str)]
            for a, s in sorted(plan.models.items())
        },
        "policies": Policies.build(project.settings.gate, plan.suites).to_json(),
        "judge": judge_meta(project, plan),
    }
    text = json.dumps(doc, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def slice_plan(project: Project, plan: Plan, k: int, n: int) -> Plan:
    """Shard ``k`` of ``n`` of ``plan``, carrying the whole plan's fingerprint and counts.

    An empty whole plan stays as it is (nothing selected, exit 5); an empty *slice* of a
    non-empty plan is a real, complete shard with nothing to do."""
    if not plan.items:
        return plan
    totals = Counter(group_key(i.suite.name, i.model.alias, i.prompt.ref) for i in plan.items)
    info = ShardInfo(k, n, plan_fingerprint(project, plan), len(plan.items), dict(totals))
    items = tuple(i for i in plan.items if shard_of(i.suite.name, i.case.id, n) == k)
    return replace(plan, items=items, shard=info)
