"""What a case's vars mean before any call: ``file://`` values and templated assertions.

- A var whose value is ``file://path`` holds that file's text (promptfoo's rule),
  found relative to the suite's folder, then the project root, and never outside the
  project (SecurityError). ``.yaml``/``.yml`` files are given as JSON text, as
  promptfoo does; script-made vars (``.py``, ``.js``) and binary files are errors.
- Assertion values may use the case's vars: ``contains: "{{ city }}"``; so may metric
  names (``metric: "{{ style }}Tone"``, as in promptfoo). They are rendered once, in the prompt sandbox (``config.templating``), when the suite loads.
  Judge rubrics are left to the judge, which renders them itself, and code (python)
  is never rendered. The model's output is never a template.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from llmeval.config.paths import confine
from llmeval.domain.location import Location
from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError, SecurityError

FILE_PREFIX = "file://"
_SCRIPTS = (".py", ".js", ".ts", ".cjs", ".mjs")
_NOT_RENDERED = frozenset({"python", "javascript"})


def load_file_vars(
    vars: dict[str, Any], suite_dir: Path, root: Path, where: Location | None
) -> dict[str, Any]:
    """``vars`` with every ``file://`` string replaced by the file's content."""
    if not any(isinstance(v, str) and v.startswith(FILE_PREFIX) for v in vars.values()):
        return vars
    out = dict(vars)
    for name, value in vars.items():
        if isinstance(value, str) and value.startswith(FILE_PREFIX):
            out[name] = _read_var_file(name, value[len(FILE_PREFIX) :], suite_dir, root, where)
    return out


def _read_var_file(name: str, written: str, suite_dir: Path, root: Path, where: Any) -> str:
    what = f"var '{name}' file '{written}'"
    if any(ch in written for ch in "*?["):
        raise ConfigError(f"{what}: a glob is not read here (one var holds one file)", where)
    if written.lower().endswith(_SCRIPTS):
        raise ConfigError(f"{what}: vars made by scripts are not supported", where)
    path = None
    for base in (suite_dir, root):
        candidate = base / written
        try:
            resolved = confine(candidate, root, what=what, location=where)
        except SecurityError:
            if candidate.exists() or Path(written).is_absolute():
                raise
            continue
        if resolved.is_file():
            path = resolved
            break
    if path is None:
        if Path(written).is_absolute() or not (root / written).resolve().is_relative_to(
            root.resolve()
        ):
            raise SecurityError(f"{what} is a path outside the project", where)
        raise ConfigError(
            f"{what} not found (tried the suite's folder and the project root)", where
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{what} is not UTF-8 text", where) from None
    except OSError as e:
        raise ConfigError(f"{what} cannot be read: {e.strerror}", where) from None
    if path.suffix.lower() in (".yaml", ".yml"):
        from llmeval.config.yaml import parse_yaml

        return json.dumps(_plain(parse_yaml(text, written)), ensure_ascii=False)
    return text


def _plain(data: Any) -> Any:
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


def _templated(value: Any) -> bool:
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, list):
        return any(_templated(v) for v in value)
    return False


def render_assertions(
    specs: tuple[AssertionSpec, ...], vars: dict[str, Any]
) -> tuple[AssertionSpec, ...]:
    """Specs whose string values are rendered with ``vars`` (one pass, sandboxed).

    Raises ConfigError at the assertion for an undefined variable or bad syntax.
    """
    if not any(_templated(s.value) or _templated(s.metric) for s in specs):
        return specs
    from llmeval.metrics import registry

    out = []
    for spec in specs:
        if _templated(spec.metric):
            spec = dataclasses.replace(spec, metric=_render(spec.metric, vars, spec.location))
        if spec.type in _NOT_RENDERED or not _templated(spec.value):
            out.append(spec)
            continue
        try:
            if registry.get(spec.type).judge:
                out.append(spec)
                continue
        except ConfigError:
            pass  # an unknown type is reported by the checker
        out.append(dataclasses.replace(spec, value=_render(spec.value, vars, spec.location)))
    return tuple(out)


def _render(value: Any, vars: dict[str, Any], where: Location | None) -> Any:
    if isinstance(value, list):
        return [_render(v, vars, where) for v in value]
    if not isinstance(value, str):
        return value
    from jinja2 import TemplateError

    from llmeval.config.templating import compile_template

    try:
        return compile_template(value).render(dict(vars))
    except TemplateError as e:
        raise ConfigError(f"assertion value {value!r}: {e}", where) from None
    except Exception as e:  # a filter given the wrong type of value
        raise ConfigError(f"assertion value {value!r}: {type(e).__name__}: {e}", where) from None
