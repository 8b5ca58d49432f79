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
}


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
