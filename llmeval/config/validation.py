"""Pydantic errors turned into located ``ConfigError``s, with "did you mean" hints."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ValidationError

from llmeval.config.nodes import locate
from llmeval.domain.location import Location
from llmeval.errors import ConfigError

_MESSAGES = {
    "model_type": "should be a mapping (key: value)",
    "model_attributes_type": "should be a mapping (key: value)",
    "dict_type": "should be a mapping (key: value)",
    "list_type": "should be a list",
    "string_type": "should be a text string",
    "bool_type": "should be true or false",
    "bool_parsing": "should be true or false",
    "float_type": "should be a number",
    "float_parsing": "should be a number",
    "int_type": "should be a whole number",
    "int_parsing": "should be a whole number",
    "int_from_float": "should be a whole number",
}


def hint(word: str, candidates: Sequence[str], cutoff: float = 0.6) -> str:
    """`` (did you mean 'x'?)`` for the closest candidate, or ``""``."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=cutoff)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _unwrap(tp: Any) -> list[Any]:
    """The alternatives of an annotation: Optional/Union/Annotated peeled off."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [a for arg in typing.get_args(tp) for a in _unwrap(arg) if a is not type(None)]
    return [tp]


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    return {(f.alias or name): f.annotation for name, f in model.model_fields.items()}


def _model_at(model: type[BaseModel], path: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class that validates the node at ``path`` (for did-you-mean)."""
    current: list[Any] = [model]
    for seg in path:
        nxt: list[Any] = []
        for tp in current:
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                if isinstance(seg, str) and seg in _fields(tp):
                    nxt += _unwrap(_fields(tp)[seg])
            elif typing.get_origin(tp) is list and isinstance(seg, int):
                nxt += _unwrap(typing.get_args(tp)[0])
            elif typing.get_origin(tp) is dict:
                nxt += _unwrap(typing.get_args(tp)[1])
        current = nxt
    return next((t for t in current if isinstance(t, type) and issubclass(t, BaseModel)), None)


def _field_name(loc: Sequence[str | int]) -> str:
    name = ""
    for seg in loc:
        name = f"{name}[{seg}]" if isinstance(seg, int) else str(seg)
    return name


def _plain(msg: str) -> str:
    msg = msg.removeprefix("Value error, ")
    return "should" + msg[len("Input should") :] if msg.startswith("Input should") else msg


def located_errors(
    exc: ValidationError,
    data: Any,
    model: type[BaseModel],
    *,
    file: str,
    default: Location | None = None,
) -> list[ConfigError]:
    """Turn pydantic's errors into ``ConfigError``s at the offending YAML node.

    ``data`` is the YAML node that was validated (it carries the locations);
    ``default`` locates data that did not come from YAML (a JSONL row).
    """
    out: list[ConfigError] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            owner = _model_at(model, loc[:-1])
            names = list(_fields(owner)) if owner else []
            msg = f"unknown field '{loc[-1]}'{hint(str(loc[-1]), names)}"
            where = locate(data, loc, key=True, file=file, default=default)
        elif kind == "missing":
            msg = f"missing required field '{loc[-1]}'"
            where = locate(data, loc[:-1], file=file, default=default)
        else:
            text = _MESSAGES.get(kind) or _plain(str(err["msg"]))
            value = err.get("input")
            if isinstance(value, str | int | float | bool) and len(repr(value)) <= 40:
                text += f", got {value!r}"
            field = _field_name(loc)
            msg = f"'{field}' {text}" if field else f"the file {text}"
            where = locate(data, loc, file=file, default=default)
        out.append(ConfigError(msg, where))
    return out


def validate(
    model: type[BaseModel],
    data: Any,
    *,
    file: str,
    errors: list[ConfigError],
    default: Location | None = None,
) -> Any | None:
    """``model.model_validate(data)`` or None, with located errors appended."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        errors.extend(located_errors(e, data, model, file=file, default=default))
        return None
