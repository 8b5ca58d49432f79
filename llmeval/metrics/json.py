"""JSON assertions: ``is-json``, ``contains-json`` (optional JSON schema) and ``json-schema``.

The schema may be inline (a mapping, or a YAML/JSON string as promptfoo allows) or a
``file://path`` under the project root; it is loaded and checked at plan time, so an
uncompilable schema is a config error before any model is called.

``$ref`` is resolved through the ``referencing`` registry jsonschema uses, with a
retrieve hook that reads only files inside the project (the rule of
``config.paths.confine``): no network, no ``file://`` outside the root. A relative
ref is relative to the schema file that holds it (to the project root for an inline
schema). Every ref is followed at plan time, so a bad one is a config error at the
assertion's ``value``; at score time the files are not read again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llmeval.domain.record import Score
from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError, SecurityError
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
    # a JSON document is also YAML (promptfoo reads inline schemas with js-yaml); read
    # with the project's loader, so alias bombs and deep nesting are refused here too
    from llmeval.config.yaml import parse_yaml
    from llmeval.errors import ConfigErrors

    try:
        return parse_yaml(text, where)
    except ConfigErrors as e:
        raise ConfigError(f"schema {e.errors[0]}") from None


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
    # relative refs of a file:// schema start from its folder, of an inline one from the root
    base = ""
    if isinstance(value, str) and value.startswith("file://"):
        base = value[len("file://") :]
    registry = _project_registry(root)
    _follow_refs(schema, registry, base)
    # a file schema is validated through its ref, so its own refs start from its folder
    validator = cls(
        {"$ref": base} if base else schema, format_checker=cls.FORMAT_CHECKER, registry=registry
    )

    def validate(instance: Any) -> str | None:
        # the first error, as ajv (promptfoo's validator) reports by default
        err = next(validator.iter_errors(instance), None)
        if err is None:
            return None
        where = "/".join(str(p) for p in err.absolute_path)
        return f"{'data/' + where if where else 'data'}: {err.message}"

    return validate


def _project_registry(root: Path) -> Any:
    """A ``referencing`` registry whose only source is files inside ``root``."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    from llmeval.config.paths import confine

    seen: dict[str, Any] = {}

    def retrieve(uri: str) -> Any:
        if uri in seen:
            return seen[uri]
        scheme, sep, rest = uri.partition("://")
        if not sep:
            rel = uri  # relative to the root (an inline schema) or to its file (see build)
        elif scheme == "file":
            rel = rest
        else:
            raise SecurityError(
                f"$ref '{uri}' is not a file in the project (schemas are never fetched)"
            )
        path = confine(root / rel, root, what=f"$ref '{uri}'")
        if not path.is_file():
            raise ConfigError(f"$ref '{uri}': no such file in the project")
        contents = _parse_schema_text(path.read_text(encoding="utf-8"), f"$ref '{uri}'")
        seen[uri] = Resource.from_contents(contents, default_specification=DRAFT202012)
        return seen[uri]

    from jsonschema_specifications import REGISTRY as SPECIFICATIONS  # the meta-schemas

    return SPECIFICATIONS.combine(Registry(retrieve=retrieve))  # type: ignore[call-arg]


# keys whose values are data, not subschemas: a "$ref" inside them is not a reference
_DATA_KEYS = frozenset(("const", "enum", "examples", "default"))


def _follow_refs(schema: Any, registry: Any, base: str) -> None:
    """Resolve every ``$ref`` reachable from ``schema`` now; ConfigError (SecurityError
    for a ref leaving the project) for the first that cannot be."""
    from referencing.jsonschema import DRAFT202012, specification_with

    if not isinstance(schema, dict):
        return
    if base:
        start = _lookup(registry.resolver(), base)
        stack: list[tuple[Any, Any]] = [(start.contents, start.resolver)]
    else:
        spec = specification_with(schema.get("$schema", ""), default=DRAFT202012)
        stack = [(schema, registry.resolver_with_root(spec.create_resource(schema)))]
    done: set[int] = set()
    while stack:
        node, res = stack.pop()
        if isinstance(node, list):
            stack.extend((item, res) for item in node)
            continue
        if not isinstance(node, dict) or id(node) in done:
            continue
        done.add(id(node))
        if isinstance(node.get("$id"), str):
            res = res.in_subresource(DRAFT202012.create_resource(node))
        ref = node.get("$ref")
        if isinstance(ref, str):
            found = _lookup(res, ref)
            stack.append((found.contents, found.resolver))
        stack.extend((v, res) for k, v in node.items() if k not in _DATA_KEYS)


def _lookup(resolver: Any, ref: str) -> Any:
    from referencing import exceptions as rexc

    try:
        return resolver.lookup(ref)
    except rexc.Unresolvable as e:
        cause: BaseException | None = e
        while cause is not None and not isinstance(cause, ConfigError):
            cause = cause.__cause__
        if cause is not None:  # our own reason: outside the project, no such file...
            raise cause from None
        what = "no such place in the schema" if isinstance(e, rexc.PointerToNowhere) else "unknown"
        raise ConfigError(f"$ref '{ref}' cannot be resolved ({what})") from None


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
