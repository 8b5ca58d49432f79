"""``llmeval.yaml``: finding the project root, reading settings, naming models."""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path
from typing import Any

from llmeval.config.paths import confine
from llmeval.config.schema import ModelConfig, SettingsFile
from llmeval.config.validation import hint, validate
from llmeval.config.yaml import YamlList, YamlMap, load_yaml, locate
from llmeval.domain.location import Location
from llmeval.domain.model import LOCAL_PROVIDERS, ModelSpec, Price, batch_capable
from llmeval.domain.project import GatePolicy, Settings
from llmeval.domain.prompt import RenderLimits
from llmeval.errors import ConfigError, ConfigErrors, SecurityError

CONFIG_FILE = "llmeval.yaml"

# keys whose value would be a secret itself; the key must come from the environment
_SECRET_KEYS = {"api_key", "apikey", "secret", "password", "token", "access_token", "auth_token"}
_SECRET_VALUE = re.compile(r"^\s*(sk|rk|pk)-[A-Za-z0-9_\-]{8,}")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding ``llmeval.yaml``; else ``start``."""
    start = start.resolve()
    if start.is_file():
        start = start.parent
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    return start


def load_settings(root: Path) -> Settings:
    """Read ``llmeval.yaml`` (optional). Raises ConfigErrors with every problem."""
    errors: list[ConfigError] = []
    settings = read_settings(root, errors)
    if errors:
        raise ConfigErrors(errors)
    return settings


def read_settings(root: Path, errors: list[ConfigError]) -> Settings:
    """Like ``load_settings`` but appends problems to ``errors`` and returns its best guess."""
    root = root.resolve()
    path = root / CONFIG_FILE
    if not path.is_file():
        return Settings(root=root)
    try:
        raw = load_yaml(path, CONFIG_FILE)
    except ConfigErrors as e:
        errors.extend(e.errors)
        return Settings(root=root, path=path)
    if raw is None:
        raw = YamlMap()
        raw.file = CONFIG_FILE
    _check_secrets(raw, errors)
    cfg = validate(SettingsFile, raw, file=CONFIG_FILE, errors=errors)
    models = _read_models(raw.get("models") if isinstance(raw, dict) else None, root, errors)
    base = Settings(
        root=root, path=path, models=models, raw=raw if isinstance(raw, YamlMap) else {}
    )
    if cfg is None:
        return base
    ttl = base.cache_ttl_s
    try:
        ttl = parse_duration(cfg.cache.ttl)
    except ValueError as e:
        errors.append(ConfigError(f"'ttl' {e}", _loc(raw, "cache", "ttl")))
    settings = Settings(
        root=root,
        path=path,
        models=models,
        default_models=tuple(cfg.defaults.models or base.default_models),
        judge=cfg.defaults.judge,
        cache_dir=cfg.cache.dir,
        cache_ttl_s=ttl,
        concurrency=cfg.run.concurrency,
        timeout_s=cfg.run.timeout_s,
        deadline_s=cfg.run.deadline_s,
        retries=cfg.run.retries,
        gate=GatePolicy(**cfg.gate.model_dump()),
        prompts_dir=cfg.paths.prompts,
        suites_dir=cfg.paths.suites,
        runs_dir=cfg.paths.runs,
        reports_dir=cfg.paths.reports,
        render_limits=RenderLimits(cfg.limits.message_chars, cfg.limits.render_timeout_s),
        sha=hashlib.sha256(path.read_bytes()).hexdigest(),
        raw=raw,
    )
    for i, name in enumerate(settings.default_models):
        _try_resolve(settings, name, _loc(raw, "defaults", "models", i), errors)
    if settings.judge:
        _try_resolve(settings, settings.judge, _loc(raw, "defaults", "judge"), errors)
    return settings


def _read_models(raw: Any, root: Path, errors: list[ConfigError]) -> dict[str, ModelSpec]:
    models: dict[str, ModelSpec] = {}
    if not isinstance(raw, YamlMap):
        return models
    for alias, item in raw.items():
        mcfg = validate(ModelConfig, item, file=CONFIG_FILE, errors=errors)
        if mcfg is None:
            continue
        where = raw.value_location(alias)
        if isinstance(item, YamlMap) and "target" in item:  # point at what to fix
            where = item.value_location("target")
        try:
            spec = _model_from_config(str(alias), mcfg, root, where, item)
        except ConfigError as e:
            errors.append(e)
            continue
        models[str(alias)] = spec
        _check_params(spec, item, errors)
    return models


def _check_params(spec: ModelSpec, item: Any, errors: list[ConfigError]) -> None:
    """A param the model's provider does not send is refused, never dropped."""
    from llmeval.config.prompts import unknown_param_message
    from llmeval.providers.registry import known_params

    known = known_params(spec)
    if known is None:
        return
    for key in spec.params:
        if key not in known:
            where = locate(item, ("params", key), key=True, file=CONFIG_FILE)
            api = f" ({spec.api} API)" if spec.api != "chat" else ""
            errors.append(
                ConfigError(unknown_param_message(key, sorted(known), spec.provider + api), where)
            )


def _loc(raw: Any, *path: str | int) -> Location:
    return locate(raw, path, file=CONFIG_FILE)


def declared_but_broken(settings: Settings, name: str) -> bool:
    """An alias written under ``models:`` that did not load (its own error is reported):
    a reference to it is not a second, "unknown model" error."""
    declared = settings.raw.get("models") if isinstance(settings.raw, dict) else None
    return name not in settings.models and isinstance(declared, dict) and name in declared


def _try_resolve(settings: Settings, name: str, where: Location, errors: list[ConfigError]) -> None:
    if declared_but_broken(settings, name):
        return
    try:
        resolve_model(settings, name, where)
    except ConfigError as e:
        errors.append(e)


def _check_secrets(node: Any, errors: list[ConfigError], seen: set[int] | None = None) -> None:
    """Refuse literal keys in the config (and drop them, so no other error repeats them).

    The value itself is never put in a message. A node shared through YAML aliases is
    checked once (``seen``), so the walk is linear in the file, not in its expansion.
    """
    seen = set() if seen is None else seen
    if isinstance(node, YamlMap | YamlList):
        if id(node) in seen:
            return
        seen.add(id(node))
    if isinstance(node, YamlMap):
        for key in list(node):
            value = node[key]
            norm = str(key).lower().replace("-", "_")
            if norm in _SECRET_KEYS and isinstance(value, str) and value:
                errors.append(
                    SecurityError(
                        f"'{key}' holds a literal secret; put the key in an environment "
                        "variable and name it with 'api_key_env'",
                        node.value_location(key),
                    )
                )
                del node[key]
            elif isinstance(value, str) and _SECRET_VALUE.match(value):
                errors.append(
                    SecurityError(
                        f"the value of '{key}' looks like an API key; keys come only from "
                        "environment variables (name one with 'api_key_env')",
                        node.value_location(key),
                    )
                )
                del node[key]
            elif norm == "api_key_env" and isinstance(value, str) and not _ENV_NAME.match(value):
                errors.append(
                    ConfigError(
                        "'api_key_env' should be the name of an environment variable",
                        node.value_location(key),
                    )
                )
                del node[key]
            else:
                _check_secrets(value, errors, seen)
    elif isinstance(node, YamlList):
        for item in node:
            _check_secrets(item, errors, seen)


def parse_duration(value: Any) -> float | None:
    """``14d``, ``12h``, ``30m``, ``45s`` or a number of seconds; None/``never`` = no expiry."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"should be a duration like 14d, 12h, 30m or seconds, got {value!r}")
    if isinstance(value, int | float) and value >= 0:
        return float(value)
    text = str(value).strip().lower()
    if text in ("never", "none", ""):
        return None
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f"should be a duration like 14d, 12h, 30m or seconds, got {value!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


@functools.cache
def _providers() -> tuple[str, ...]:
    from llmeval.providers.registry import known

    return tuple(known())


def _check_provider(provider: str, where: Location | None) -> None:
    from llmeval.providers.registry import BUILTIN

    # entry points are read only for a name that is not built in (a scan of every
    # installed package's metadata: ~30 ms each start)
    if provider not in BUILTIN and provider not in _providers():
        raise ConfigError(
            f"unknown provider '{provider}'{hint(provider, _providers())} "
            f"(known: {', '.join(_providers())})",
            where,
        )


def check_python_target(target: str, root: Path, where: Location | None = None) -> None:
    """``file.py:function`` must exist inside the project; ``pkg.module:function`` is left
    to import time."""
    spec, sep, func = target.rpartition(":")
    if not sep or not spec or not func:
        raise ConfigError(f"python target '{target}' must look like 'file.py:function'", where)
    if spec.endswith(".py") or "/" in spec:
        path = confine(root / spec, root, what=f"python target '{spec}'", location=where)
        if not path.is_file():
            raise ConfigError(f"python target file '{spec}' not found", where)
        _check_defines(path, spec, func, where)


def _check_defines(path: Path, spec: str, func: str, where: Location | None) -> None:
    """A typo in the function name, found by reading the file (not importing it), so
    it is reported where it was written, with the names the file does define."""
    import ast

    from llmeval.metrics.custom import _top_level_names  # one reading of "what a file defines"

    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError, OSError):
        return  # reported, at its own line, when the target is imported
    star = any(
        isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in tree.body
    )
    names = _top_level_names(tree)
    if star or func in names:
        return
    functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    listing = f" (it defines: {', '.join(functions)})" if functions else ""
    raise ConfigError(
        f"python target '{spec}:{func}': {spec} has no function '{func}'"
        f"{hint(func, sorted(names)) or listing}",
        where,
    )


def _model_from_config(
    alias: str, cfg: ModelConfig, root: Path, where: Location, raw: Any = None
) -> ModelSpec:
    provider, model = cfg.provider, cfg.model or ""
    http = None
    if provider is None:
        if ":" not in model:
            raise ConfigError(
                f"model '{alias}' needs a 'provider' (openai, anthropic, python, echo)", where
            )
        provider, model = model.split(":", 1)
    _check_provider(provider, where)
    if provider == "python":
        model = cfg.target or model
        if not model:
            raise ConfigError(f"model '{alias}' needs a 'target' (file.py:function)", where)
        check_python_target(model, root, where)
    elif provider == "echo":
        model = model or "echo"
    elif provider == "http":
        from llmeval.config.http import read_http_target

        http = read_http_target(cfg, raw, where)
        model = model or http.url
    elif not model:
        raise ConfigError(f"model '{alias}' needs a 'model' (the provider's model id)", where)
    if cfg.api != "chat" and provider != "openai":
        raise ConfigError(f"'api: {cfg.api}' is for openai models, not {provider}", where)
    if provider != "http" and (cfg.url or cfg.body is not None or cfg.extract or cfg.headers):
        raise ConfigError("'url', 'headers', 'body' and 'extract' are for provider http", where)
    if cfg.stream and provider in LOCAL_PROVIDERS:
        raise ConfigError(f"'stream' is not supported by provider {provider}", where)
    from llmeval.config.http import check_traces

    check_traces(cfg, provider, raw, where)
    _check_pass_env(cfg, provider, raw, where)
    if (cfg.batch or cfg.batch_size) and not batch_capable(provider, cfg.api):
        raise ConfigError(
            f"'batch' works with openai (api: chat) and anthropic models, not {provider}"
            + (f" (api: {cfg.api})" if provider == "openai" else ""),
            where,
        )
    price = cfg.price
    return ModelSpec(
        alias=alias,
        provider=provider,
        model=model,
        params=dict(cfg.params),
        base_url=cfg.base_url,
        api_key_env=cfg.api_key_env,
        price=Price(price.input_per_mtok, price.output_per_mtok) if price else None,
        concurrency=cfg.concurrency,
        rpm=cfg.rpm,
        tpm=cfg.tpm,
        timeout_s=cfg.timeout_s,
        max_input_tokens=cfg.max_input_tokens,
        redact=cfg.redact,
        api=cfg.api,
        stream=cfg.stream,
        http=http if provider == "http" else None,
        traces=cfg.traces,
        batch=cfg.batch,
        batch_size=cfg.batch_size,
        pass_env=tuple(dict.fromkeys(cfg.pass_env)),
    )


def _check_pass_env(cfg: ModelConfig, provider: str, raw: Any, where: Location) -> None:
    """``pass_env: [NAME, ...]``: python targets only, names of environment variables."""
    if not cfg.pass_env:
        return
    if provider != "python":
        raise ConfigError(
            f"'pass_env' is for python targets (their worker's environment), not {provider}",
            locate(raw, ("pass_env",), key=True, default=where),
        )
    problems = pass_env_errors(cfg.pass_env, raw, where)
    if problems:
        raise problems[0]


def pass_env_errors(names: list[str], raw: Any, where: Location) -> list[ConfigError]:
    """The names in ``pass_env`` (of ``raw``, a model or a tools block) that are not
    names of environment variables, each at its list item."""
    return [
        ConfigError(
            f"'pass_env' lists '{name}', which is not the name of an environment variable",
            locate(raw, ("pass_env", i), default=where),
        )
        for i, name in enumerate(names)
        if not _ENV_NAME.match(name)
    ]


def resolve_model(settings: Settings, name: str, location: Location | None = None) -> ModelSpec:
    """An alias from ``models:`` or an inline ``provider:model`` (or ``echo``)."""
    if name in settings.models:
        return settings.models[name]
    if name == "echo":
        return ModelSpec(alias="echo", provider="echo", model="echo")
    provider, sep, model = name.partition(":")
    if not sep:
        choices = [*settings.models, "echo"]
        raise ConfigError(
            f"unknown model '{name}'{hint(name, choices)}: use an alias from llmeval.yaml "
            "or write provider:model (e.g. openai:gpt-4o-mini)",
            location,
        )
    _check_provider(provider, location)
    if not model:
        raise ConfigError(f"model '{name}' names no model after '{provider}:'", location)
    if provider == "python":
        check_python_target(model, settings.root, location)
    return ModelSpec(alias=name, provider=provider, model=model)
