"""The prompt library: ``prompts/<name>/v<N>.yaml``, referenced as ``name@vN``."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from llmeval.config.paths import display, listed
from llmeval.config.schema import PromptFile
from llmeval.config.templating import compile_template
from llmeval.config.tools import check_tool_choice, located, read_tool_choice, read_tools
from llmeval.config.validation import hint, validate
from llmeval.config.yaml import load_yaml, locate
from llmeval.domain.location import Location
from llmeval.domain.project import Settings
from llmeval.domain.prompt import Message, PromptTemplate
from llmeval.domain.tools import ToolChoice, ToolSpec
from llmeval.errors import ConfigError, ConfigErrors, SecurityError

PromptLibrary = dict[str, dict[int, PromptTemplate]]

_FILE = re.compile(r"^v(\d+)\.ya?ml$")
_REF = re.compile(r"^v?(\d+)$")
_ANY_VERSION = -1  # in ``failed``: a file of that prompt whose version could not be read


def content_sha(
    messages: tuple[Message, ...],
    params: dict[str, Any],
    tools: tuple[ToolSpec, ...] = (),
    tool_choice: ToolChoice | None = None,
) -> str:
    """SHA-256 of the canonical JSON of what reaches the model (messages, params, tools);
    the description is left out so rewording it does not look like a prompt change.
    Tools enter only when declared, so the hash of a prompt without tools is unchanged."""
    doc: dict[str, Any] = {"messages": [[m.role, m.content] for m in messages], "params": params}
    if tools:
        doc["tools"] = [t.to_json() for t in tools]
    if tool_choice is not None:
        doc["tool_choice"] = tool_choice.to_json()
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


# A suite with no prompt sends each case's ``input`` var (or ``prompt``) as the one
# user message; the engine sees it as this ordinary template, ``inline@v0``.
_INLINE_MESSAGES = (Message("user", "{{ input if input is defined else prompt }}"),)
INLINE_PROMPT = PromptTemplate(
    name="inline",
    version=0,
    messages=_INLINE_MESSAGES,
    sha=content_sha(_INLINE_MESSAGES, {}),
    description="the case's 'input' var as the user message (suite without a prompt)",
)
INLINE_REF = INLINE_PROMPT.ref


def load_prompts(root: Path, settings: Settings | str | None = None) -> PromptLibrary:
    """Every prompt version under the prompts folder (from ``settings``, or a folder
    name, default ``prompts``). Raises ConfigErrors."""
    errors: list[ConfigError] = []
    folder = settings if isinstance(settings, str) else getattr(settings, "prompts_dir", "prompts")
    library = read_prompts(root, folder, errors)
    if errors:
        raise ConfigErrors(errors)
    return library


def read_prompts(
    root: Path,
    prompts_dir: str,
    errors: list[ConfigError],
    failed: set[tuple[str, int]] | None = None,
) -> PromptLibrary:
    """Like ``load_prompts``, appending problems to ``errors``.

    ``failed`` collects (name, version) of the files that had problems, so a reference
    to one is not reported a second time as a missing prompt.
    """
    library: PromptLibrary = {}
    base = root / prompts_dir
    if not base.is_dir():
        return library
    for folder in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")):
        versions: dict[int, PromptTemplate] = {}
        for path in sorted(folder.iterdir()):
            if path.suffix not in (".yaml", ".yml"):
                continue
            file = display(path, root)
            m = _FILE.match(path.name)
            if not m:
                errors.append(ConfigError("prompt files are named v<N>.yaml", Location(file)))
                if failed is not None:
                    failed.add((folder.name, _ANY_VERSION))
                continue
            try:
                path = listed(path, root)
            except SecurityError as e:
                errors.append(e)
                continue
            version = int(m.group(1))
            if version in versions:
                errors.append(ConfigError(f"a second file for version {version}", Location(file)))
                continue
            prompt = read_prompt_file(path, folder.name, version, file, errors)
            if prompt is not None:
                versions[version] = prompt
            elif failed is not None:
                failed.add((folder.name, version))
        if versions:
            library[folder.name] = dict(sorted(versions.items()))
    return library


def read_prompt_file(
    path: Path, name: str, version: int, file: str, errors: list[ConfigError]
) -> PromptTemplate | None:
    try:
        raw = load_yaml(path, file)
    except ConfigErrors as e:
        errors.extend(e.errors)
        return None
    cfg = validate(PromptFile, raw, file=file, errors=errors)
    if cfg is None:
        return None
    start = len(errors)
    messages: list[tuple[str, str, tuple[str | int, ...]]]
    if cfg.messages is not None:
        if cfg.system is not None or cfg.user is not None:
            where = locate(raw, ("messages",), key=True)
            errors.append(ConfigError("use 'messages' or 'system'/'user', not both", where))
        messages = [
            (m.role, m.content, ("messages", i, "content")) for i, m in enumerate(cfg.messages)
        ]
    else:
        messages = [
            (role, text, (role,))
            for role in ("system", "user")
            if (text := getattr(cfg, role)) is not None
        ]
    # a system-only prompt is the opening of a conversation (a case's turns or messages
    # give the user messages); used by any other case it is an error at that case
    if not any(role in ("user", "system") for role, _, _ in messages):
        errors.append(
            ConfigError("a prompt needs a 'user' message (or 'messages')", Location(file))
        )
    for _, text, loc in messages:
        _check_syntax(text, locate(raw, loc, file=file), errors)
    raw_tools = raw.get("tools") if isinstance(raw, dict) else None  # the node: item lines
    tools = read_tools(raw_tools, located(raw, "tools", Location(file)), errors)
    choice = read_tool_choice(cfg.tool_choice, located(raw, "tool_choice", Location(file)), errors)
    check_tool_choice(choice, tools, located(raw, "tool_choice", Location(file)), errors)
    if len(errors) > start:
        return None
    msgs = tuple(Message(role, text) for role, text, _ in messages)
    params = dict(cfg.params)
    return PromptTemplate(
        name=name,
        version=version,
        messages=msgs,
        sha=content_sha(msgs, params, tools, choice),
        params=params,
        description=cfg.description,
        location=Location(file),
        tools=tools,
        tool_choice=choice,
    )


def unknown_param_message(key: str, known: list[str], provider: str = "") -> str:
    who = f"the {provider} provider" if provider else "any provider"
    return (
        f"param '{key}' is not known to {who}{hint(key, known)}; to send a field "
        "llmeval does not know, put it under 'params: {extra_body: {...}}'"
    )


def _check_syntax(source: str, where: Location, errors: list[ConfigError]) -> None:
    """Compile now so a Jinja error points at its line in the prompt file."""
    from jinja2 import TemplateSyntaxError

    try:
        compile_template(source)
    except TemplateSyntaxError as e:
        lineno = e.lineno or 1
        line = where.line + lineno - 1
        col = where.col if lineno == 1 else 1
        errors.append(
            ConfigError(f"template syntax error: {e.message}", Location(where.file, line, col))
        )


def resolve_prompt(
    prompts: PromptLibrary, ref: str, location: Location | None = None
) -> PromptTemplate:
    """``name@vN``, ``name@N`` or a bare ``name`` (its highest version)."""
    name, sep, ver = ref.strip().partition("@")
    versions = prompts.get(name)
    if ref == INLINE_REF or (name == INLINE_PROMPT.name and not versions):
        versions = INLINE_LIBRARY
    if not versions:
        known = sorted(prompts)
        listing = f" (prompts: {', '.join(known)})" if known else " (there is no prompt yet)"
        raise ConfigError(f"unknown prompt '{name}'{hint(name, known)}{listing}", location)
    if not sep or ver == "latest":
        return versions[max(versions)]
    m = _REF.match(ver)
    if not m:
        raise ConfigError(f"bad prompt reference '{ref}': write name@vN, name@N or name", location)
    number = int(m.group(1))
    if number not in versions:
        have = ", ".join(f"v{v}" for v in versions)
        raise ConfigError(f"prompt '{name}' has no version v{number} (available: {have})", location)
    return versions[number]


def names_failed(ref: str, failed: set[tuple[str, int]]) -> bool:
    """Does ``ref`` name a prompt whose file failed to load (already reported)?

    A bare name counts when any of its versions failed: its latest may be that one.
    """
    name, sep, ver = ref.strip().partition("@")
    if (name, _ANY_VERSION) in failed:
        return True  # a misnamed file: it may be the version meant
    m = _REF.match(ver) if sep and ver != "latest" else None
    if m is not None:
        return (name, int(m.group(1))) in failed
    return any(n == name for n, _ in failed)


INLINE_LIBRARY = {0: INLINE_PROMPT}
