"""``moderation`` through the real openai SDK against the local fake server."""

from __future__ import annotations

import pytest
from safety_harness import check

from llmeval.domain.model import ModelSpec
from llmeval.errors import ConfigError


class Services:
    def __init__(self, specs: dict[str, ModelSpec]) -> None:
        self.specs = specs

    def resolve_model(self, name: str) -> ModelSpec:
        if name not in self.specs:
            raise ConfigError(f"unknown model '{name}'")
        return self.specs[name]


@pytest.fixture
def mod_env(monkeypatch: pytest.MonkeyPatch, fake_server):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-moderation-0000")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_server.openai_base_url)
    return fake_server


def test_flagged_output_fails_with_categories(mod_env) -> None:
    r = check("moderation", "this text is FLAGGED by the server")
    assert r.passed is False
    assert r.reason == "moderation flagged: harassment (0.99)"
    assert mod_env.count("/v1/moderations") == 1
    body = mod_env.requests[-1].json
    assert body["model"] == "omni-moderation-latest" and "FLAGGED" in body["input"]


def test_clean_output_passes_and_not_moderation_inverts(mod_env) -> None:
    r = check("moderation", "a friendly answer")
    assert r.passed is True and r.reason.startswith("not flagged")
    assert check("not-moderation", "a friendly answer").passed is False


def test_categories_and_threshold_options(mod_env) -> None:
    assert check("moderation", "FLAGGED", options={"categories": ["violence"]}).passed is True
    assert check("moderation", "FLAGGED", options={"categories": ["harassment"]}).passed is False
    # threshold: a category score at or above it counts, whatever the server's flag says
    assert check("moderation", "calm", threshold=0.0005).passed is False
    assert check("moderation", "FLAGGED", threshold=0.999).passed is True


def test_pii_is_masked_before_it_leaves(mod_env) -> None:
    check("moderation", "card 4242 4242 4242 4242 is FLAGGED")
    sent = mod_env.requests[-1].json["input"]
    assert "4242 4242 4242 4242" not in sent and "[CARD_1]" in sent
    check("moderation", "card 4242 4242 4242 4242", options={"redact": False})
    assert "4242 4242 4242 4242" in mod_env.requests[-1].json["input"]


def test_provider_option_uses_that_models_server_and_key(
    monkeypatch: pytest.MonkeyPatch, fake_server
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("MOD_KEY", "sk-test-mod-1111")
    spec = ModelSpec(
        alias="mod", provider="openai", base_url=fake_server.openai_base_url, api_key_env="MOD_KEY"
    )
    r = check(
        "moderation", "FLAGGED", options={"provider": "mod"}, services=Services({"mod": spec})
    )
    assert r.passed is False
    assert fake_server.requests[-1].headers["authorization"] == "Bearer sk-test-mod-1111"


def test_no_key_is_skipped_with_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    r = check("moderation", "anything")
    assert r.passed is None and r.status == "skipped"
    assert r.reason == "moderation skipped: OPENAI_API_KEY is not set"
    remote = ModelSpec(alias="r", provider="openai", base_url="https://api.example.com/v1")
    r = check("moderation", "x", options={"provider": "r"}, services=Services({"r": remote}))
    assert r.reason == "moderation skipped: OPENAI_API_KEY is not set"
    claude = ModelSpec(alias="c", provider="anthropic")
    r = check("moderation", "x", options={"provider": "c"}, services=Services({"c": claude}))
    assert r.passed is None and "OpenAI-compatible" in r.reason


def test_server_error_is_unscored_not_passed(mod_env) -> None:
    mod_env.fail_next("server_error", 5, path="/v1/moderations")
    r = check("moderation", "hello")
    assert r.passed is None and r.status == "error"
    assert "moderation call failed" in r.reason
    assert "sk-test-moderation-0000" not in r.reason


@pytest.mark.parametrize(
    ("options", "threshold"),
    [({"provider": 3}, None), ({"unknown": 1}, None), ({}, 1.5)],
)
def test_bad_options_fail_at_plan_time(options: dict, threshold: float | None) -> None:
    with pytest.raises(ConfigError):
        check("moderation", "x", options=options, threshold=threshold)
