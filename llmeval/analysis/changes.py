"""Explain what changed between two runs' inputs, and which changes make them incomparable.

Works on run manifests (``run.json``) and on baseline metadata, which share the keys
``models`` {alias: {provider, model, model_id}}, ``prompts`` {ref: sha}, ``judge``,
``config_sha`` and ``suites`` (per suite a ``fingerprint`` of its assertion config).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from llmeval.analysis.cases import prompt_name
from llmeval.errors import UsageError


class IncomparableError(UsageError):
    """The judge or the assertions changed, so score differences would not mean anything."""


def _short(sha: str | None) -> str:
    return (sha or "?")[:8]


def suite_fingerprints(meta: Mapping[str, Any]) -> dict[str, str]:
    """``suites`` may be {name: {fingerprint}}, {name: sha}, or [{name, fingerprint}]."""
    suites = meta.get("suites") or {}
    out: dict[str, str] = {}
    if isinstance(suites, Mapping):
        for name, v in suites.items():
            fp = v.get("fingerprint") if isinstance(v, Mapping) else v
            if isinstance(fp, str) and fp:
                out[str(name)] = fp
    elif isinstance(suites, list):
        for v in suites:
            if isinstance(v, Mapping) and v.get("name") and v.get("fingerprint"):
                out[str(v["name"])] = str(v["fingerprint"])
    return out


def _model_id(spec: Any) -> str:
    if isinstance(spec, Mapping):
        mid = spec.get("model_id") or spec.get("model") or ""
        prov = spec.get("provider")
        return f"{prov}:{mid}" if prov and mid and ":" not in str(mid) else str(mid)
    return str(spec or "")


def _model_changes(base: Mapping[str, Any], cand: Mapping[str, Any]) -> list[str]:
    bm, cm = base.get("models") or {}, cand.get("models") or {}
    out = []
    for alias in sorted(set(bm) & set(cm)):
        b, c = _model_id(bm[alias]), _model_id(cm[alias])
        if b and c and b != c:
            out.append(f"model {alias}: {b} → {c}")
    out += [f"model {a} added" for a in sorted(set(cm) - set(bm))]
    out += [f"model {a} removed" for a in sorted(set(bm) - set(cm))]
    return out


def _by_name(prompts: Mapping[str, str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for ref, sha in prompts.items():
        name = prompt_name(ref)
        version = ref.split("@", 1)[1] if "@" in ref else ""
        out[name][version] = sha or ""
    return out


def _prompt_changes(base: Mapping[str, Any], cand: Mapping[str, Any]) -> list[str]:
    bp, cp = _by_name(base.get("prompts") or {}), _by_name(cand.get("prompts") or {})
    out = []
    for name in sorted(set(bp) | set(cp)):
        b, c = bp.get(name), cp.get(name)
        if b is None:
            out.append(f"prompt {name} added")
            continue
        if c is None:
            out.append(f"prompt {name} removed")
            continue
        if set(b) != set(c):
            out.append(f"prompt {name} {', '.join(sorted(b))} → {', '.join(sorted(c))}")
        for v in sorted(set(b) & set(c)):
            if b[v] and c[v] and b[v] != c[v]:
                ref = f"{name}@{v}" if v else name
                out.append(f"prompt {ref} changed (sha {_short(b[v])} → {_short(c[v])})")
    return out


def _judge_parts(judge: Any) -> tuple[str, str]:
    """(model, prompt sha) of a judge given as a string or a dict."""
    if judge is None:
        return ("", "")
    if isinstance(judge, Mapping):
        model = _model_id(judge) or str(judge.get("alias") or "")
        return (model, str(judge.get("prompt_sha") or judge.get("sha") or ""))
    return (str(judge), "")


def _judge_changes(base: Mapping[str, Any], cand: Mapping[str, Any]) -> tuple[list[str], bool]:
    bj, cj = base.get("judge"), cand.get("judge")
    if bj is None or cj is None:
        # A run that used no judge: the assertion fingerprints catch judge assertions.
        if (bj is None) != (cj is None):
            return ([f"judge {'added' if bj is None else 'removed'}"], False)
        return ([], False)
    (bm, bs), (cm, cs) = _judge_parts(bj), _judge_parts(cj)
    out = []
    if bm and cm and bm != cm:
        out.append(f"judge model {bm} → {cm}")
    if bs and cs and bs != cs:
        out.append("judge prompt changed")
    return (out, bool(out))


def explain(
    base: Mapping[str, Any], cand: Mapping[str, Any], suites: set[str] | None = None
) -> tuple[list[str], list[str]]:
    """Return (all changes, the subset that makes the runs incomparable).

    ``suites`` limits the assertion check to the suites both runs contain.
    """
    changes: list[str] = []
    blocking: list[str] = []
    changes += _prompt_changes(base, cand)
    changes += _model_changes(base, cand)
    judge, judge_blocks = _judge_changes(base, cand)
    changes += judge
    if judge_blocks:
        blocking += judge
    bf, cf = suite_fingerprints(base), suite_fingerprints(cand)
    common = set(bf) & set(cf)
    if suites is not None:
        common &= suites
    for s in sorted(common):
        if bf[s] != cf[s]:
            msg = f"assertions changed for suite {s}"
            changes.append(msg)
            blocking.append(msg)
    bc, cc = base.get("config_sha"), cand.get("config_sha")
    if bc and cc and bc != cc:
        changes.append(f"llmeval.yaml changed (sha {_short(bc)} → {_short(cc)})")
    return (changes, blocking)


def changed_cases(base: Mapping[str, Any], cand: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(suite, case id) whose own assertions or expected value changed between the runs."""
    out: set[tuple[str, str]] = set()
    bs, cs = base.get("suites"), cand.get("suites")
    if not isinstance(bs, Mapping) or not isinstance(cs, Mapping):
        return out
    for suite in set(bs) & set(cs):
        b = (bs[suite] or {}).get("cases") if isinstance(bs[suite], Mapping) else None
        c = (cs[suite] or {}).get("cases") if isinstance(cs[suite], Mapping) else None
        if isinstance(b, Mapping) and isinstance(c, Mapping):
            out |= {(suite, k) for k in set(b) & set(c) if b[k] != c[k]}
    return out


def without_changed(
    base_results: list[Any], base: Mapping[str, Any], cand: Mapping[str, Any]
) -> tuple[list[Any], list[str]]:
    """Drop baseline results of cases whose scoring changed, so they compare as new, and
    say so: a loosened check must not hide a regression as an unchanged pass."""
    changed = changed_cases(base, cand)
    if not changed:
        return base_results, []
    kept = [r for r in base_results if (r.suite, r.case_id) not in changed]
    by_suite: dict[str, list[str]] = {}
    for suite, case in sorted(changed):
        by_suite.setdefault(suite, []).append(case)
    notes = [
        f"assertions or expected value changed for {len(ids)} case(s) in suite {suite}, "
        f"compared as new: {', '.join(ids[:10])}" + (" …" if len(ids) > 10 else "")
        for suite, ids in by_suite.items()
    ]
    return kept, notes
