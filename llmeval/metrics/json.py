"""JSON assertions: ``is-json``, ``contains-json`` (optional JSON schema) and ``json-schema``.

The schema may be inline (a mapping, or a YAML/JSON string as promptfoo allows) or a
``file://path`` under the project root; it is loaded and checked at plan time, so an
uncompilable schema is a config error before any model is called.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llmeval.domain.record import Score
from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError
from llmeval.metrics.base import BuildContext, ScoreContext
from llmeval.metrics.registry import register
from llmeval.metrics.text import parse_json
from llmeval.metrics.values import check_options

Fn = Callable[[ScoreContext], Score]
Validate = Callable[[Any], str | None]  # None if valid, else the first error


def _load_schema_file(ref: str, root: Path, suite_dir: Path | None = None) -> Any:
    from llmeval.files import find_in_project  # the suite's folder, then the root

    rel = ref[len("file://") :]
    path = find_in_project(rel, what="schema file", root=root, suite_dir=suite_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot read schema file '{rel}': {e}") from None
    return _parse_schema_text(text, rel)


def _parse_schema_text(text: str, where: str) -> Any:
    import yaml  # a JSON document is also YAML; promptfoo reads inline schemas with js-yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"schema in {where} is neither JSON nor YAML: {e}") from None


def build_validator(value: Any, root: Path, suite_dir: Path | None = None) -> Validate:
    """Load and check a JSON schema now; return a validator for score time."""
    from jsonschema import exceptions, validators

    schema = value
    if isinstance(value, str):
        schema = (
            _load_schema_file(value, root, suite_dir)
            if value.startswith("file://")
            else _parse_schema_text(value, "the assertion value")
        )
    if not isinstance(schema, dict | bool):
        raise ConfigError("JSON schema must be a mapping (or a file:// reference to one)")
    cls = validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except exceptions.SchemaError as e:
        raise ConfigError(f"invalid JSON schema: {e.message}") from None
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)

    def validate(instance: Any) -> str | None:
        # the first error, as ajv (promptfoo's validator) reports by default
        err = next(validator.iter_errors(instance), None)
        if err is None:
            return None
        where = "/".join(str(p) for p in err.absolute_path)
        return f"{'data/' + where if where else 'data'}: {err.message}"

    return validate


def _schema_of(spec: AssertionSpec, build: BuildContext) -> Validate | None:
    check_options(spec)
    # promptfoo treats '' like "no schema"
    if spec.value is None or spec.value == "":
        return None
    return build_validator(spec.value, build.root, build.suite_dir)


def _fail(reason: str) -> Score:
    return Score(passed=False, score=0.0, reason=reason)


def _ok(reason: str) -> Score:
    return Score(passed=True, score=1.0, reason=reason)


def _is_json(validate: Validate | None) -> Fn:
    def fn(ctx: ScoreContext) -> Score:
        try:
            data = parse_json(ctx.output)
        except ValueError:
            return _fail("output is not valid JSON")
        if validate is not None:
            err = validate(data)
            if err is not None:
                return _fail(f"JSON does not conform to the provided schema. Errors: {err}")
            return _ok("output is JSON conforming to the schema")
        return _ok("output is valid JSON")

    return fn


@register("is-json", description="output parses as JSON (optionally matching a JSON schema)")
def _is_json_factory(spec: AssertionSpec, build: BuildContext) -> Fn:
    check_options(spec)
    return _is_json(_schema_of(spec, build))


@register("json-schema", requires_value=True, description="output is JSON matching the schema")
def _json_schema_factory(spec: AssertionSpec, build: BuildContext) -> Fn:
    check_options(spec)
    return _is_json(build_validator(spec.value, build.root, build.suite_dir))


def extract_json_objects(text: str) -> list[dict[str, Any]]:
    """Every JSON object embedded in ``text``, left to right (e.g. inside a code fence)."""
    decoder = json.JSONDecoder(parse_constant=lambda name: float("nan"))
    found: list[dict[str, Any]] = []
    i = text.find("{")
    while i >= 0:
        try:
            obj, end = decoder.raw_decode(text, i)
        except ValueError:
            i = text.find("{", i + 1)
            continue
        if isinstance(obj, dict):
            found.append(obj)
        i = text.find("{", end)
    return found


@register(
    "contains-json", description="output contains a JSON object (optionally matching a schema)"
)
def _contains_json(spec: AssertionSpec, build: BuildContext) -> Fn:
    check_options(spec)
    validate = _schema_of(spec, build)

    def fn(ctx: ScoreContext) -> Score:
        objects = extract_json_objects(ctx.output)
        if not objects:
            return _fail("output contains no JSON object")
        if validate is None:
            return _ok(f"output contains {len(objects)} JSON object(s)")
        err = None
        for obj in objects:
            err = validate(obj)
            if err is None:
                return _ok("output contains JSON conforming to the schema")
        return _fail(f"JSON does not conform to the provided schema. Errors: {err}")

    return fn
