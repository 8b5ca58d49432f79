"""promptfoo ``providers`` (and graders) -> llmeval model aliases.

``openai:<model>``, ``openai:chat:<model>``, ``anthropic:messages:<model>``,
``anthropic:<model>``, ``ollama:[chat:]<model>`` (OpenAI-compatible, local),
``echo``, and python providers (``file://x.py[:fn]``, ``python:x.py``) are translated;
their ``config`` sampling parameters become ``params``. A python provider's whole
``config`` becomes its ``params`` (it reaches ``call_api`` as ``options["config"]``).
Anything else is reported and stood in for by ``echo``, so the project still runs.

With ``offline``, every model that would call a network service is written as an
``echo`` stand-in (its description says what it stands for).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from llmeval.importers.promptfoo.notes import Notes, Where

_PARAMS = {
    "temperature": "temperature",
    "max_tokens": "max_tokens",
    "max_completion_tokens": "max_completion_tokens",
    "top_p": "top_p",
    "seed": "seed",
    "stop": "stop",
    "frequency_penalty": "frequency_penalty",
    "presence_penalty": "presence_penalty",
    "response_format": "response_format",
    "reasoning_effort": "reasoning_effort",
}
_KEY_ENV = ("apiKeyEnvar", "apiKeyEnv")
_BASE_URL = ("apiBaseUrl", "apiHost", "baseUrl", "baseURL")
_OLLAMA_URL = "http://localhost:11434/v1"


@dataclass(slots=True)
class Models:
    """The models written to llmeval.yaml, by alias, in the order they were met."""

    offline: bool = False
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    python_files: list[str] = field(default_factory=list)  # to copy with the project
    _by_source: dict[str, str] = field(default_factory=dict)

    def add(self, raw: Any, where: Where, notes: Notes, *, label: str | None = None) -> str:
        """The alias for one provider entry (a string or a mapping); reports problems."""
        if isinstance(raw, dict) and "id" not in raw and len(raw) == 1:
            ((pid, opts),) = raw.items()  # the legacy {"openai:gpt-4": {config: ...}} form
            raw = {"id": pid, **(opts if isinstance(opts, dict) else {})}
        if isinstance(raw, str):
            pid, label = raw, label
            config: Any = {}
            extra: dict[str, Any] = {}
        elif isinstance(raw, dict):
            pid = raw.get("id") or raw.get("model")
            config = raw.get("config") or {}
            label = raw.get("label") or label
            extra = {k: v for k, v in raw.items() if k not in ("id", "model", "config", "label")}
            for k in extra:
                notes.add(where.at(raw, k), f"provider option '{k}'")
        else:
            notes.add(where, f"provider entry {raw!r}")
            return self._stand_in("unreadable provider entry", None, where)
        if not isinstance(pid, str) or not pid:
            notes.add(where, "provider without an id")
            return self._stand_in("provider without an id", label, where)
        key = repr((pid, sorted(config.items()) if isinstance(config, dict) else config, label))
        if key in self._by_source:
            return self._by_source[key]
        spec = self._spec(pid, config if isinstance(config, dict) else {}, where, notes, raw)
        alias = self._alias(label or _model_part(pid))
        self.models[alias] = spec
        self._by_source[key] = alias
        return alias

    def _spec(self, pid: str, config: dict[str, Any], where: Where, notes: Notes, raw: Any) -> Any:
        at = where.at(raw, "config") if isinstance(raw, dict) else where
        python = _python_target(pid)
        if python is not None:
            self.python_files.append(python.split(":")[0])
            spec: dict[str, Any] = {"provider": "python", "target": python}
            if config:
                spec["params"] = dict(config)
            return spec
        if pid == "echo":
            return {"provider": "echo"}
        parts = pid.split(":")
        provider, model = parts[0], parts[-1]
        if provider == "openai" and len(parts) >= 2 and parts[1] in ("chat", "responses"):
            model = ":".join(parts[2:])
        elif provider == "openai":
            model = ":".join(parts[1:])
        elif provider == "anthropic":
            model = ":".join(parts[2:] if len(parts) > 2 and parts[1] == "messages" else parts[1:])
        elif provider == "ollama":
            model = ":".join(parts[2:] if len(parts) > 2 and parts[1] == "chat" else parts[1:])
        else:
            notes.add(where, f"provider '{pid}' (no llmeval equivalent; an echo stand-in is used)")
            return {"provider": "echo", "description": f"stand-in for {pid}"}
        spec = {"provider": "openai" if provider == "ollama" else provider, "model": model}
        if provider == "ollama":
            spec["base_url"] = _OLLAMA_URL
        params = {}
        for k, v in config.items():
            if k in _PARAMS:
                params[_PARAMS[k]] = v
            elif k in _KEY_ENV and isinstance(v, str):
                spec["api_key_env"] = v
            elif k in _BASE_URL and isinstance(v, str):
                spec["base_url"] = v
            elif k == "apiKey":
                notes.add(at, "provider 'apiKey' (keys come only from environment variables)")
            else:
                notes.add(at, f"provider config '{k}' of {pid}")
        if params:
            spec["params"] = params
        if self.offline and provider != "ollama":
            return {"provider": "echo", "description": f"offline stand-in for {pid}"}
        return spec

    def _stand_in(self, why: str, label: str | None, where: Where) -> str:
        alias = self._alias(label or "stand-in")
        self.models[alias] = {"provider": "echo", "description": f"stand-in: {why}"}
        return alias

    def _alias(self, text: str) -> str:
        base = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-").lower() or "model"
        alias, n = base, 2
        while alias in self.models:
            alias, n = f"{base}-{n}", n + 1
        return alias


def _model_part(pid: str) -> str:
    if _python_target(pid) is not None:
        return pid.removeprefix("file://").removeprefix("python:").split(":")[0].rsplit("/")[-1]
    return pid.split(":")[-1] if ":" in pid else pid


def _python_target(pid: str) -> str | None:
    """``file.py:function`` for a python provider id, else None."""
    body = pid.removeprefix("file://").removeprefix("python:")
    if body == pid and not pid.startswith(("file://", "python:")):
        return None
    file, _, fn = body.partition(":")
    if not file.endswith(".py"):
        return None
    return f"{file}:{fn or 'call_api'}"
