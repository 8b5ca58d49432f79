from __future__ import annotations

from pathlib import Path

import pytest
from config_support import Write

from llmeval.config.settings import find_root, load_settings, parse_duration, resolve_model
from llmeval.domain.location import Location
from llmeval.domain.model import Price
from llmeval.errors import ConfigError, ConfigErrors, SecurityError

CONFIG = """
models:
  gpt-mini:
    provider: openai
    model: gpt-4o-mini
    params: {temperature: 0, max_tokens: 512}
    price: {input_per_mtok: 0.15, output_per_mtok: 0.60}
    concurrency: 16
  local:
    provider: openai
    base_url: http://localhost:11434/v1
    api_key_env: OLLAMA_API_KEY
    model: llama3.2
  bot:
    provider: python
    target: apps/bot.py:answer
defaults:
  models: [bot]
  judge: gpt-mini
cache: {dir: .cache/x, ttl: 12h}
run: {concurrency: 3, timeout_s: 9, retries: 1}
gate: {alpha: 0.01, min_effect: 0.05}
"""


def _project(write: Write) -> Path:
    return write(
        {"llmeval.yaml": CONFIG, "apps/bot.py": "def answer(prompt):\n    return prompt\n"}
    )


def test_find_root_walks_up_to_the_config(write: Write) -> None:
    root = _project(write)
    deep = root / "a" / "b"
    deep.mkdir(parents=True)
    assert find_root(deep) == root.resolve()


def test_find_root_without_config_is_the_start(tmp_path: Path) -> None:
    assert find_root(tmp_path) == tmp_path.resolve()


def test_settings_file_is_optional(tmp_path: Path) -> None:
    s = load_settings(tmp_path)
    assert s.path is None and s.default_models == ("echo",) and s.cache_ttl_s == 14 * 86400


def test_settings_are_read(write: Write) -> None:
    s = load_settings(_project(write))
    gpt = s.models["gpt-mini"]
    assert (gpt.provider, gpt.model, gpt.concurrency) == ("openai", "gpt-4o-mini", 16)
    assert gpt.params == {"temperature": 0, "max_tokens": 512}
    assert gpt.price == Price(0.15, 0.60)
    assert s.models["local"].api_key_env == "OLLAMA_API_KEY"
    assert s.models["bot"].model == "apps/bot.py:answer"
    assert s.default_models == ("bot",) and s.judge == "gpt-mini"
    assert (s.cache_dir, s.cache_ttl_s) == (".cache/x", 12 * 3600)
    assert (s.concurrency, s.timeout_s, s.retries) == (3, 9, 1)
    assert (s.gate.alpha, s.gate.min_effect) == (0.01, 0.05)
    assert len(s.sha) == 64


@pytest.mark.parametrize(
    ("name", "provider", "model"),
    [
        ("gpt-mini", "openai", "gpt-4o-mini"),
        ("openai:gpt-4o-mini", "openai", "gpt-4o-mini"),
        ("anthropic:claude-haiku-4-5", "anthropic", "claude-haiku-4-5"),
        ("python:apps/bot.py:answer", "python", "apps/bot.py:answer"),
        ("python:mypkg.mod:fn", "python", "mypkg.mod:fn"),
        ("echo", "echo", "echo"),
    ],
)
def test_resolve_model(write: Write, name: str, provider: str, model: str) -> None:
    spec = resolve_model(load_settings(_project(write)), name)
    assert (spec.alias, spec.provider, spec.model) == (name, provider, model)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("gpt-mni", "unknown model 'gpt-mni' (did you mean 'gpt-mini'?)"),
        ("opnai:gpt-4o", "unknown provider 'opnai' (did you mean 'openai'?)"),
        ("openai:", "names no model"),
        ("python:apps/missing.py:f", "python target file 'apps/missing.py' not found"),
        ("python:apps/bot.py", "must look like 'file.py:function'"),
    ],
)
def test_resolve_model_errors(write: Write, name: str, words: str) -> None:
    where = Location("suites/s.yaml", 4, 3)
    with pytest.raises(ConfigError) as info:
        resolve_model(load_settings(_project(write)), name, where)
    assert words in info.value.message and info.value.location == where


def test_python_target_outside_the_project_is_refused(write: Write) -> None:
    settings = load_settings(_project(write))
    with pytest.raises(SecurityError, match="path outside the project"):
        resolve_model(settings, "python:../evil.py:run")


_M = "models:\n  m:\n    provider: openai\n    model: gpt\n"


@pytest.mark.parametrize(
    ("snippet", "line"),
    [
        (
            "models:\n  m:\n    provider: openai\n    model: gpt\n    api_key: abc123secretvalue\n",
            5,
        ),
        (_M + "    params: {x: sk-abcdefghijklmnop}\n", 5),
        (_M + "    api_key_env: sk-proj-abcdefghijk\n", 5),
    ],
)
def test_literal_keys_are_security_errors_that_never_echo_the_key(
    write: Write, snippet: str, line: int
) -> None:
    root = write({"llmeval.yaml": snippet})
    with pytest.raises(ConfigErrors) as info:
        load_settings(root)
    (err,) = info.value.errors
    assert isinstance(err, SecurityError)
    assert err.location is not None and (err.location.file, err.location.line) == (
        "llmeval.yaml",
        line,
    )
    assert "abcdefghijk" not in str(info.value) and "abc123" not in str(info.value)


def test_bad_settings_are_all_reported_with_lines(write: Write) -> None:
    root = write(
        {
            "llmeval.yaml": """
            models:
              a: {provider: opnai, model: x}
              b: {model: gpt-4o}
            defaults: {models: [nope]}
            cache: {ttl: soon}
            run: {concurency: 3}
            """
        }
    )
    with pytest.raises(ConfigErrors) as info:
        load_settings(root)
    got = [str(e) for e in info.value.errors]
    assert any(g.startswith("llmeval.yaml:6:7: unknown field 'concurency'") for g in got)
    assert any(g.startswith("llmeval.yaml:2:6: unknown provider 'opnai'") for g in got)
    assert any(g.startswith("llmeval.yaml:3:6: model 'b' needs a 'provider'") for g in got)
    assert "did you mean 'concurrency'" in "\n".join(got)


def test_bad_ttl_and_unknown_default_model(write: Write) -> None:
    root = write({"llmeval.yaml": "defaults: {models: [nope]}\ncache: {ttl: soon}\n"})
    with pytest.raises(ConfigErrors) as info:
        load_settings(root)
    got = [str(e) for e in info.value.errors]
    assert got[0].startswith("llmeval.yaml:1:21: unknown model 'nope'")
    assert got[1].startswith("llmeval.yaml:2:14: 'ttl' should be a duration")


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("14d", 14 * 86400),
        ("12h", 43200),
        ("30m", 1800),
        ("45s", 45),
        ("2w", 14 * 86400),
        (90, 90),
        ("1.5h", 5400),
        (None, None),
        ("never", None),
    ],
)
def test_parse_duration(value: object, seconds: float | None) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["soon", "-5", "5y", True, -1])
def test_parse_duration_rejects(value: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(value)
