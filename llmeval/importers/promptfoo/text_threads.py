"""promptfoo's ``_conversation`` in a text (non-chat) prompt -> a conversation's turns.

A text prompt is sent as one user message, so promptfoo renders the history into it;
the common form is one loop writing each earlier turn's input and output between
labels, before the turn's own text::

    You are a helpful assistant.
    {% for completion in _conversation %}
    User: {{ completion.input }}
    Assistant: {{ completion.output }}
    {% endfor %}
    User: {{ question }}

llmeval writes that conversation with ``turns:`` (``threads.thread_cases`` groups the
tests): the first turn is the prompt without the loop -- what promptfoo sends first,
text for text -- and every later turn is the text after the loop with that test's
vars; the history is the real replies. Documented differences: the history travels as
chat messages (user, assistant, ...) instead of one labelled transcript, and each
earlier turn is sent once, where promptfoo's ``input`` (and ``prompt``) of a text
prompt is that test's *whole* rendered prompt, so from the third test on its
transcript repeats the history inside each ``input``.

Only that form is translated: one loop over ``_conversation`` whose body is literal
text around ``{{ x.input }}`` (or ``x.prompt``) then ``{{ x.output }}``, with text
after the loop. Anything else (another expression or tag in the body, the fields in
the other order, ``_conversation`` used outside the loop, nothing after it, one of
several prompts) is listed with its reason, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from llmeval.importers.promptfoo.notes import Notes, Where

_LOOP = re.compile(r"{%-?\s*for\s+(\w+)\s+in\s+_conversation\s*-?%}(.*?){%-?\s*endfor\s*-?%}", re.S)
_EXPR = re.compile(r"{{-?\s*(.*?)\s*-?}}", re.S)


@dataclass(frozen=True, slots=True)
class TextThread:
    first: str  # the prompt without the loop: the first turn
    later: str  # the text after the loop: every later turn
    prefix_vars: frozenset[str]  # vars the text before the loop uses


def text_thread(text: str) -> TextThread | str:
    """The turns of a text prompt in the common form, else why it is not that form."""
    from llmeval.importers.promptfoo import nunjucks

    loops = list(_LOOP.finditer(text))
    if len(loops) != 1:
        return "a text prompt with several loops over _conversation"
    loop = loops[0]
    before, after = text[: loop.start()], text[loop.end() :]
    if "_conversation" in before + after:
        return "_conversation used outside its loop in a text prompt"
    why = _body_problem(loop.group(1), loop.group(2))
    if why is not None:
        return why
    parts = [nunjucks.translate(t) for t in (before + after, after.strip(), before)]
    if any(p.problems for p in parts):
        return "a text prompt whose template Jinja2 does not read the same"
    first, later, prefix = (p.text for p in parts)
    if not later.strip():
        return "a text prompt with nothing after its _conversation loop (no turn to send)"
    return TextThread(first.strip(), later, frozenset(_names(prefix)))


def _body_problem(var: str, body: str) -> str | None:
    """None when the loop body is literal text around ``var.input`` then ``var.output``."""
    if "{%" in body or "{#" in body:
        return "a _conversation loop with tags or comments in its body (text prompt)"
    fields = [m.group(1) for m in _EXPR.finditer(body)]
    want = [(f"{var}.input", f"{var}.prompt"), (f"{var}.output",)]
    if len(fields) != 2 or any(f not in w for f, w in zip(fields, want, strict=True)):
        shown = ", ".join(fields) or "nothing"
        return (
            f"a _conversation loop writing {shown} (text prompt; translated: "
            f"{{{{ {var}.input }}}} then {{{{ {var}.output }}}})"
        )
    return None


def _names(template: str) -> set[str]:
    from llmeval.importers.promptfoo.threads import _names as names

    return names(template) if template.strip() else set()


def thread_text(
    cases: list[dict[str, Any]],
    prompts: dict[str, dict[str, Any]],
    texts: dict[str, TextThread],
    default_asserts: list[dict[str, Any]],
    default_threshold: float | None,
    where: Where,
    notes: Notes,
) -> list[dict[str, Any]] | None:
    """The conversations of the one text prompt, the prompt itself dropped (the suite
    then sends the turns alone); None when it cannot be, with the reason listed."""
    from llmeval.importers.promptfoo.nunjucks import CONVERSATION
    from llmeval.importers.promptfoo.threads import thread_cases

    if len(prompts) != 1 or set(prompts) != set(texts):
        notes.add(where, f"{CONVERSATION}: a text prompt among several prompts")
        return None
    (name, thread), body = next(iter(texts.items())), next(iter(prompts.values()))
    if body.get("params"):
        notes.add(where, f"{CONVERSATION}: a text prompt with a config (its params)")
        return None
    found = thread_cases(
        cases, {}, thread.later, default_asserts, notes,
        first=thread.first, opening_vars=set(thread.prefix_vars),
        default_threshold=default_threshold,
    )  # fmt: skip
    if found is not None:
        del prompts[name]
    return found
