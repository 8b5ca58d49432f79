"""The ``http`` provider's JSON body template (pure; also compiled by ``validate``).

In a mapping or list body, a string that is exactly one ``{{ expression }}`` becomes that
value as JSON (a list of messages stays a list) and any other string is rendered as
text; a body written as JSON text has every ``{{ expression }}`` written as a JSON
literal. Either way values are escaped by the JSON encoder, never spliced in as raw
text. Jinja2 in a sandbox, StrictUndefined: an undefined name is an error, not "".
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from llmeval.errors import BadRequestError

_ONE_EXPR = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\}\}|\{\{).)*)\}\}\s*$", re.S)


@functools.cache
def _env(json_text: bool) -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    finalize = (lambda v: json.dumps(v, ensure_ascii=False)) if json_text else None
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, finalize=finalize)


@functools.lru_cache(maxsize=1024)
def compile_body_template(source: str, *, json_text: bool = False) -> Any:
    """A compiled template (or a compiled single expression); raises TemplateSyntaxError."""
    m = _ONE_EXPR.match(source)
    if m and not json_text:
        return ("expr", _env(False).compile_expression(m.group("expr"), undefined_to_none=False))
    return ("text", _env(json_text).from_string(source))


def render_body(body: Any, context: dict[str, Any]) -> Any:
    """The JSON body for one request; raises jinja2 errors for an undefined variable."""
    if isinstance(body, str):
        _, template = compile_body_template(body, json_text=True)
        text = template.render(context)
        try:
            return json.loads(text)
        except ValueError:
            raise BadRequestError("http body template did not render to JSON") from None
    return _render(body, context)


def _render(node: Any, context: dict[str, Any]) -> Any:
    if isinstance(node, str):
        kind, compiled = compile_body_template(node)
        if kind == "text":
            return compiled.render(context)
        from jinja2 import Undefined

        value = compiled(**context)
        if isinstance(value, Undefined):
            value._fail_with_undefined_error()  # StrictUndefined: raises UndefinedError
        return value
    if isinstance(node, dict):
        return {k: _render(v, context) for k, v in node.items()}
    if isinstance(node, list):
        return [_render(v, context) for v in node]
    return node
