"""promptfoo's multi-turn tests -> one llmeval case with ``turns:`` per conversation.

promptfoo threads a conversation through its tests: a chat prompt loops over
``_conversation`` (the earlier turns' inputs and outputs) before its last user message,
and the tests of one ``metadata.conversationId`` (all tests without one form a single
thread) run in order, each adding a turn. llmeval writes the same as one case: the
prompt without its last user message is the opening, every test is a turn (its content
is that last user message with the test's own vars), and the history is the real
replies, as promptfoo's ``_conversation`` holds them.

What each test asserted scores its own turn; the last test's assertions and vars are
the case's (they score the last reply). promptfoo applies ``defaultTest`` assertions to
every test: the suite's defaults score the last reply, so copies go on the earlier
turns. A ``threshold`` (a test's own, or ``defaultTest``'s, which promptfoo gives every
test) decides that test alone: each turn's assertions become one ``assert-set`` with
that threshold (the set's verdict is the case threshold's rule, ``case_verdict``),
and then every conversation carries the ``defaultTest`` assertions itself, inside its
sets, instead of the suite's defaults and threshold, which would weigh every turn.
One difference is documented, not hidden: promptfoo counts each test as a result;
here the conversation is one case, passing when every turn does. What cannot be
carried (a var that differs between the tests but is used by the prompt's opening, a
transform on an earlier turn, a threshold over an assertion that cannot go in a set)
is a note.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmeval.importers.promptfoo.notes import Notes, Where

if TYPE_CHECKING:
    from llmeval.importers.promptfoo.text_threads import TextThread

THREAD = "_thread"  # private keys of a case dict: its conversation and where it was written
AT = "_at"
# what cannot be wrapped into a threshold's assert-set: a set (no nesting), verdicts
# across results (deferred, corpus-level), and a metric name (its set would hide it)
_UNSETTABLE = ("assert-set", "select-best", "max-score", "classification", "pairwise")


def absorbs_defaults(tests: list[dict[str, Any]], default_threshold: float | None) -> bool:
    """Whether conversations of ``tests`` carry defaultTest's assertions themselves (a
    threshold anywhere), so the suite gets neither those defaults nor a threshold."""
    return default_threshold is not None or any("threshold" in t for t in tests)


def threadable(prompts: dict[str, dict[str, Any]], threaded: set[str]) -> str | None:
    """The last user message every prompt shares when all of them loop over
    ``_conversation`` and end with it (the template of each turn), else None."""
    if not prompts or set(prompts) != threaded:
        return None
    lasts = set()
    for body in prompts.values():
        messages = body.get("messages")
        if not messages or messages[-1]["role"] != "user" or len(messages) < 2:
            return None
        lasts.add(messages[-1]["content"])
    return lasts.pop() if len(lasts) == 1 else None


def thread_all(
    cases: list[dict[str, Any]],
    prompts: dict[str, dict[str, Any]],
    threaded: set[str],
    texts: dict[str, TextThread],
    default_asserts: list[dict[str, Any]],
    default_threshold: float | None,
    conversations: dict[str, list[Where]],
    notes: Notes,
    where: Where,
) -> list[dict[str, Any]] | None:
    """The config's conversations (``_conversation`` prompts: chat ones, or the text
    prompts of ``texts``) as cases with ``turns``; None when there are none or they
    cannot be, and then each test stays a separate case and every thread is listed."""
    from llmeval.importers.promptfoo.nunjucks import CONVERSATION
    from llmeval.importers.promptfoo.text_threads import thread_text

    if not any(CONVERSATION in n.what for n in notes.items):  # no prompt threads
        return None
    turn = threadable(prompts, threaded)
    found = None
    if texts:
        found = thread_text(cases, prompts, texts, default_asserts, default_threshold, where, notes)
    elif turn is not None:
        found = thread_cases(
            cases, prompts, turn, default_asserts, notes, default_threshold=default_threshold
        )
    if found is None:
        _conversation_notes(conversations, notes)
        return None
    # the loop is translated: its "left out" notes no longer hold
    notes.items[:] = [n for n in notes.items if not n.what.startswith(CONVERSATION)]
    return found


def _conversation_notes(conversations: dict[str, list[Where]], notes: Notes) -> None:
    """promptfoo threads ``_conversation`` through the tests of one conversationId (or
    all tests without one): each thread is reported where it starts, since its tests
    run here as separate first turns (llmeval's ``turns:`` is the way to write it)."""
    from llmeval.importers.promptfoo.nunjucks import CONVERSATION

    for cid, places in conversations.items():
        if len(places) < 2:
            continue  # a single test has no history to thread
        name = f"conversation {cid!r}" if cid else "the tests without a conversationId"
        notes.add(places[0], f"{CONVERSATION}: {name} ({len(places)} tests) runs as separate cases")


def thread_cases(
    cases: list[dict[str, Any]],
    prompts: dict[str, dict[str, Any]],
    turn: str,
    default_asserts: list[dict[str, Any]],
    notes: Notes,
    *,
    first: str | None = None,
    opening_vars: set[str] | None = None,
    default_threshold: float | None = None,
) -> list[dict[str, Any]] | None:
    """One case with ``turns`` per conversation (in the order they start), the prompts
    cut to their opening; None (nothing changed) when some conversation cannot be.
    ``first`` is the first turn's template when it differs from the others' (a text
    prompt: ``text_threads``), ``opening_vars`` the vars its opening uses."""
    openings = {n: b["messages"][:-1] for n, b in prompts.items()}
    if opening_vars is None:
        opening_vars = set().union(*(_names(m["content"]) for ms in openings.values() for m in ms))
    groups: dict[str, list[dict[str, Any]]] = {}
    for case in cases:
        groups.setdefault(str(case.get(THREAD, "")), []).append(case)
    out: list[dict[str, Any]] = []
    problems: list[tuple[Where, str]] = []
    defaults = _Defaults(
        default_asserts, default_threshold, absorbs_defaults(cases, default_threshold)
    )
    for cid, tests in groups.items():
        made, why = _conversation(cid, tests, (first or turn, turn), defaults, opening_vars)
        problems += why  # with a case: written, and what it lost is listed
        if made is not None:
            out.append(made)
    for where, what in problems:
        notes.add(where, what)
    if len(out) != len(groups):
        return None
    for name, body in prompts.items():
        body["messages"] = openings[name]
    return out


def _conversation(
    cid: str,
    tests: list[dict[str, Any]],
    turn: tuple[str, str],  # the first turn's template, the later turns'
    defaults: _Defaults,
    opening_vars: set[str],
) -> tuple[dict[str, Any] | None, list[tuple[Where, str]]]:
    label = f"conversation {cid!r}" if cid else "the tests without a conversationId"
    first_at: Where = tests[0].get(AT) or Where("", 1)
    keys = list(dict.fromkeys(k for t in tests for k in t.get("vars", {})))
    common = {
        k: tests[0]["vars"][k]
        for k in keys
        if all(k in t.get("vars", {}) and t["vars"][k] == tests[0]["vars"][k] for t in tests)
    }
    varying = [k for k in keys if k not in common]
    used = sorted(set(varying) & opening_vars)
    if used:
        return None, [
            (
                first_at,
                f"_conversation: {label}: var '{used[0]}' differs between its tests "
                "and the prompt's opening (system) messages use it",
            )
        ]
    lost: list[tuple[Where, str]] = []
    turns: list[Any] = []
    final: list[Any] = []  # the last test's assertions: the case's
    for n, test in enumerate(tests):
        last = n == len(tests) - 1
        # the last test's vars are the case's (the suite's defaults render with them);
        # an earlier test's own values are written into its turn
        own = {} if last else {k: test["vars"][k] for k in varying if k in test.get("vars", {})}
        content = inline(turn[0] if n == 0 else turn[1], own)
        asserts = [inline_data(a, own) for a in test.get("assert", [])]
        if content is None or any(a is None for a in asserts):
            return None, [
                (test.get(AT) or first_at, f"_conversation: {label}: a var of this test cannot "
                 "be written into its turn (a list, mapping or file:// value)")
            ]  # fmt: skip
        at = test.get(AT) or first_at
        if not last and "transform" in test:
            lost.append((at, f"_conversation: {label}: test transform on a turn before the last"))
        if not last or defaults.absorbed:
            asserts = [*asserts, *(inline_data(a, own) or a for a in defaults.asserts)]
        threshold = test.get("threshold", defaults.threshold)
        if threshold is not None and asserts:
            bad = next((b for b in map(_unsettable, asserts) if b is not None), None)
            if bad is not None:
                why = f"_conversation: {label}: the test's threshold over {bad} (a turn's"
                return None, [(at, why + " threshold is an assert-set, which cannot hold it)")]
            asserts = [{"type": "assert-set", "threshold": threshold, "assert": asserts}]
        if last:
            final = asserts
        if last or not asserts:
            turns.append(content)
        else:
            turns.append({"content": content, "assert": asserts})
    case: dict[str, Any] = {}
    descs = [str(t["description"]) for t in tests if t.get("description")]
    case["description"] = f"{label}: " + "; ".join(descs) if descs else label
    own_vars = {**common, **{k: v for k, v in tests[-1].get("vars", {}).items() if k in varying}}
    if own_vars:
        case["vars"] = own_vars
    last_test = tests[-1]
    case["turns"] = turns
    if final:
        case["assert"] = final
    if "transform" in last_test:
        case["transform"] = last_test["transform"]
    tags = list(dict.fromkeys(tag for t in tests for tag in t.get("tags", [])))
    if tags:
        case["tags"] = tags
    return case, lost


@dataclass(frozen=True, slots=True)
class _Defaults:
    asserts: list[dict[str, Any]]  # defaultTest's assertions
    threshold: float | None  # defaultTest's threshold
    absorbed: bool  # each case carries the assertions itself (absorbs_defaults)


def _base(assertion: dict[str, Any]) -> str:
    return str(assertion.get("type", "")).removeprefix("not-")


def _unsettable(assertion: dict[str, Any]) -> str | None:
    """What keeps ``assertion`` out of an assert-set, shown; None when nothing does."""
    if _base(assertion) in _UNSETTABLE:
        return f"'{assertion.get('type')}'"
    if "metric" in assertion:
        return f"'{assertion.get('type')}' with metric '{assertion['metric']}'"
    return None


def _names(template: str) -> set[str]:
    from jinja2 import meta

    from llmeval.config.templating import environment

    return set(meta.find_undeclared_variables(environment().parse(template)))


def inline(template: str, values: dict[str, Any]) -> str | None:
    """``template`` with ``values`` written in: ``{{ name }}`` becomes the text (kept
    literal with ``{% raw %}`` when it holds template syntax); a var used otherwise (a
    filter, a test) is set at the top. None when a value is not text or a number."""
    sets = []
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return None
        if isinstance(value, str) and value.startswith("file://"):
            return None
        text = str(value)
        if any(s in text for s in ("{{", "{%", "{#", "}}", "%}")):
            text = "{% raw %}" + text + "{% endraw %}"
        plain = re.compile(r"{{-?\s*" + re.escape(name) + r"\s*-?}}")
        template = plain.sub(lambda _m, t=text: t, template)  # type: ignore[misc]
        if name in _names(template):
            sets.append(f"{{% set {name} = {json.dumps(value)} %}}")
    return "".join(sets) + template


def inline_data(data: Any, values: dict[str, Any]) -> Any:
    """An assertion with ``values`` written into its strings (see ``inline``)."""
    if not values:
        return data
    if isinstance(data, str):
        return inline(data, values) if ("{{" in data or "{%" in data) else data
    if isinstance(data, list):
        items = [inline_data(v, values) for v in data]
        return None if any(i is None for i in items) else items
    if isinstance(data, dict):
        out = {k: inline_data(v, values) for k, v in data.items()}
        return None if any(v is None for k, v in out.items() if data[k] is not None) else out
    return data
