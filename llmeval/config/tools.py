"""``tools`` and ``tool_choice`` as written on a prompt version or a suite.

A tool is written OpenAI's way (``{type: function, function: {name, description,
parameters}}``) or flat (``{name, description, parameters}``, the Responses API's
shape; Anthropic's ``input_schema`` is accepted for ``parameters``). ``parameters``
must be a valid JSON Schema (checked with jsonschema's meta-schema). ``tool_choice``
is ``auto``, ``none``, ``required`` (``any``), a tool name, or a mapping naming one
(``{type: function, function: {name}}``, ``{type: function, name}``, ``{name}``).
Every problem is a ConfigError at the offending node.
"""

from __future__ import annotations

import re
from typing import Any

from llmeval.config.validation import hint
from llmeval.config.yaml import YamlMap, locate
from llmeval.domain.location import Location
from llmeval.domain.tools import TOOL_CHOICE_MODES, ToolChoice, ToolSpec
from llmeval.errors import ConfigError

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


def _plain(value: Any) -> Any:
    """YAML nodes -> plain dicts and lists (frozen into the domain, hashed, sent)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def schema_problem(schema: Any) -> str | None:
    """None if ``schema`` is a valid JSON Schema, else why not."""
    from jsonschema import exceptions, validators

    if not isinstance(schema, dict | bool):
        return "must be a JSON Schema mapping"
    try:
        validators.validator_for(schema).check_schema(schema)
    except exceptions.SchemaError as e:
        return e.message
    return None


def read_tools(node: Any, where: Location, errors: list[ConfigError]) -> tuple[ToolSpec, ...]:
    """The tools of a ``tools:`` list; ``where`` is the list's location."""
    if node is None:
        return ()
    if not isinstance(node, list):
        errors.append(ConfigError("'tools' should be a list of function definitions", where))
        return ()
    tools: list[ToolSpec] = []
    seen: set[str] = set()
    for i, item in enumerate(node):
        at = locate(node, (i,), default=where)
        tool = _tool(item, at, errors)
        if tool is None:
            continue
        if tool.name in seen:
            errors.append(ConfigError(f"tool '{tool.name}' is declared twice", at))
            continue
        seen.add(tool.name)
        tools.append(tool)
    return tuple(tools)


def _tool(item: Any, at: Location, errors: list[ConfigError]) -> ToolSpec | None:
    if not isinstance(item, dict):
        errors.append(ConfigError("a tool should be a mapping with a 'name'", at))
        return None
    body = item
    if item.get("type", "function") != "function":
        errors.append(
            ConfigError(f"only function tools are supported, not '{item.get('type')}'", at)
        )
        return None
    if isinstance(item.get("function"), dict):
        body = item["function"]
    name = body.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        where = locate(body, ("name",), default=at)
        errors.append(
            ConfigError("a tool needs a 'name' of letters, digits, _ . - (at most 64)", where)
        )
        return None
    key = "parameters" if "parameters" in body else "input_schema"
    schema = _plain(body.get(key, _EMPTY_SCHEMA))
    problem = schema_problem(schema)
    if problem is not None:
        where = locate(body, (key,), default=at)
        errors.append(
            ConfigError(f"tool '{name}': '{key}' is not a valid JSON Schema: {problem}", where)
        )
        return None
    strict = body.get("strict")
    return ToolSpec(
        name=name,
        description=str(body.get("description") or ""),
        parameters=schema if isinstance(schema, dict) else _EMPTY_SCHEMA,
        strict=strict if isinstance(strict, bool) else None,
    )


def read_tool_choice(node: Any, where: Location, errors: list[ConfigError]) -> ToolChoice | None:
    if node is None:
        return None
    if isinstance(node, str):
        mode = "required" if node == "any" else node
        return ToolChoice(mode) if mode in TOOL_CHOICE_MODES else ToolChoice("tool", node)
    if isinstance(node, dict):
        if node.get("type") in ("auto", "none", "any", "required") and "name" not in node:
            return ToolChoice("required" if node["type"] == "any" else str(node["type"]))
        fn = node.get("function")
        name = fn.get("name") if isinstance(fn, dict) else node.get("name")
        if isinstance(name, str) and name:
            return ToolChoice("tool", name)
    errors.append(
        ConfigError("'tool_choice' should be auto, none, required or the name of a tool", where)
    )
    return None


def check_tool_choice(
    choice: ToolChoice | None,
    tools: tuple[ToolSpec, ...],
    where: Location | None,
    errors: list[ConfigError],
    owner: str = "",
) -> None:
    """A choice naming a tool must name a declared one; ``required`` needs some tool."""
    if choice is None:
        return
    names = [t.name for t in tools]
    suffix = f" {owner}" if owner else ""
    if choice.mode == "tool" and choice.name not in names:
        listing = f" (declared: {', '.join(names)})" if names else " (no tools are declared)"
        errors.append(
            ConfigError(
                f"'tool_choice' names unknown tool '{choice.name}'{hint(choice.name or '', names)}"
                f"{suffix}{listing}",
                where,
            )
        )
    elif choice.mode == "required" and not names:
        errors.append(
            ConfigError(f"'tool_choice: required' but no tools are declared{suffix}", where)
        )


def located(raw: Any, key: str, fallback: Location) -> Location:
    return raw.value_location(key) if isinstance(raw, YamlMap) and key in raw else fallback


def read_tools_env(
    names: list[str], tools_impl: str | None, raw: Any, where: Location, errors: list[ConfigError]
) -> tuple[str, ...]:
    """``pass_env`` beside a ``tools_impl`` (a suite's or a case's): the environment
    variables the tools' worker gets, checked as a python model's ``pass_env`` is."""
    if not names:
        return ()
    from llmeval.config.settings import pass_env_errors

    if tools_impl is None:  # a pass_env that would quietly apply to nothing
        errors.append(
            ConfigError(
                "'pass_env' goes with 'tools_impl' (the environment of the tools' worker):"
                " write it next to the tools_impl it is for",
                locate(raw, ("pass_env",), key=True, default=where),
            )
        )
        return ()
    problems = pass_env_errors(names, raw, where)
    errors.extend(problems)
    return () if problems else tuple(dict.fromkeys(names))
