"""Providers by name: lazy ``module:Class`` strings plus the ``llmeval.providers``
entry-point group, so ``llmeval --help`` imports no SDK."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from llmeval.domain.model import ModelSpec
from llmeval.errors import ConfigError
from llmeval.providers.base import Provider, Redacting

BUILTIN: dict[str, str] = {
    "echo": "llmeval.providers.echo:EchoProvider",
    "python": "llmeval.providers.python:PythonProvider",
    "openai": "llmeval.providers.openai:OpenAIProvider",
    "anthropic": "llmeval.providers.anthropic:AnthropicProvider",
    "http": "llmeval.providers.http:HttpProvider",
}
# Params each built-in provider understands (module:attribute, imported without its SDK).
# None = the provider takes any params (python targets and http bodies receive them).
_KNOWN_PARAMS = {
    ("openai", "chat"): "llmeval.providers.openai:KNOWN_PARAMS",
    ("openai", "responses"): "llmeval.providers.responses:KNOWN_PARAMS",
    ("anthropic", "chat"): "llmeval.providers.anthropic:KNOWN_PARAMS",
}
_ANY_PARAMS = frozenset({"echo", "python", "http"})


def known() -> list[str]:
    names = set(BUILTIN)
    names.update(ep.name for ep in entry_points(group="llmeval.providers"))
    return sorted(names)


def _load(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def provider_class(name: str) -> Any:
    if name in BUILTIN:
        return _load(BUILTIN[name])
    for ep in entry_points(group="llmeval.providers"):
        if ep.name == name:
            return ep.load()
    raise ConfigError(f"unknown provider '{name}' (known: {', '.join(known())})")


def create(spec: ModelSpec, root: Path) -> Provider:
    """Build the base provider for ``spec``, behind the redaction boundary.

    Raises ConfigError (e.g. missing key)."""
    cls = provider_class(spec.provider)
    return Redacting(cls(spec, root=root))


def create_batching(spec: ModelSpec, root: Path, run_dir: Path) -> Provider:
    """``spec``'s requests through its provider's batch API, state in ``run_dir``,
    behind the same redaction boundary as ``create``. Raises ConfigError when the
    provider has no batch API."""
    from llmeval.providers.batch import submitter_for
    from llmeval.providers.batching import Batching

    return Redacting(Batching(submitter_for(run_dir, spec, root=root), size=spec.batch_size))


def known_params(spec: ModelSpec) -> frozenset[str] | None:
    """The params ``spec``'s provider sends; None if it takes any. A plugin declares its
    own with a ``known_params`` class attribute (else it takes any)."""
    if spec.provider in _ANY_PARAMS:
        return None
    target = _KNOWN_PARAMS.get((spec.provider, spec.api))
    if target is not None:
        return frozenset(_load(target))
    if spec.provider in BUILTIN:
        return None
    try:
        found = getattr(provider_class(spec.provider), "known_params", None)
    except ConfigError:
        return None
    return frozenset(found) if found is not None else None
