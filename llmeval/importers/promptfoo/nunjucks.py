"""promptfoo's Nunjucks templates read by llmeval's Jinja2 sandbox.

Most Nunjucks is Jinja2 (``{{ x }}``, ``{% if %}``, ``{% for %}``, the common
filters). What differs is either translated here or reported:

- ``x.length`` (a JavaScript property) becomes ``(x | length)``;
- a filter Jinja2 does not have (a custom ``nunjucksFilters`` one, or a Nunjucks-only
  one such as ``dump`` — Jinja2's ``tojson`` escapes ``<``/``>``, so it is not the same)
  is reported, and the prompt is left out;
- promptfoo's ``_conversation`` loop (multi-turn history) is removed here and noted as
  ``_conversation (use turns:)``; ``threads`` then turns each conversation into a case
  with ``turns:`` and drops the note, or, when it cannot, the note stays and each
  conversation of the tests is listed too (``config``);
- a template Jinja2 cannot parse is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LENGTH = re.compile(r"\b([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\.length\b")
_TAG = re.compile(r"({{.*?}}|{%.*?%})", re.S)
_CONVERSATION = re.compile(
    r"{%-?\s*for\s+\w+\s+in\s+_conversation\s*-?%}.*?{%-?\s*endfor\s*-?%}", re.S
)


CONVERSATION = "_conversation (use turns:)"


@dataclass(frozen=True, slots=True)
class Translated:
    text: str
    problems: tuple[str, ...] = ()  # each makes the template unusable
    notes: tuple[str, ...] = ()  # translated, but with a difference worth reporting


def translate(text: str) -> Translated:
    """The Jinja2 text of a Nunjucks template, or the reasons it cannot be one."""
    notes: list[str] = []
    if "_conversation" in text:
        stripped = _CONVERSATION.sub("", text)
        if "_conversation" in stripped:
            return Translated(text, (f"{CONVERSATION} (multi-turn history)",))
        text = stripped
        notes.append(f"{CONVERSATION}: the history loop is left out; each case is sent alone")
    text = _TAG.sub(lambda m: _LENGTH.sub(r"(\1 | length)", m.group(0)), text)
    problems = _check(text)
    return Translated(text, tuple(problems), tuple(notes))


def _check(text: str) -> list[str]:
    from jinja2 import TemplateSyntaxError, nodes

    from llmeval.config.templating import environment

    env = environment()
    try:
        tree = env.parse(text)
    except TemplateSyntaxError as e:
        return [f"template syntax Jinja2 does not read (line {e.lineno}: {e.message})"]
    problems = []
    for node in tree.find_all((nodes.Filter, nodes.Test)):
        table = env.filters if isinstance(node, nodes.Filter) else env.tests
        kind = "filter" if isinstance(node, nodes.Filter) else "test"
        if node.name not in table:
            problems.append(f"nunjucks {kind} '{node.name}' (custom, or not in Jinja2)")
    return sorted(set(problems))
