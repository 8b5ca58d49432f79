"""promptfoo ``prompts`` -> llmeval prompt files (``prompts/<name>/v1.yaml``).

Accepted: inline strings; ``{raw, label, config}`` and ``{id: file://..., label}``
entries; ``file://`` text files (``.txt``, ``.md``, ``.j2``, several prompts separated
by a line holding ``---``), ``.json`` chat prompts (a list of ``{role, content}``),
``.yaml`` chat prompts (a list, or a mapping with ``messages``; content parts of type
``text`` are joined), and globs of those. A plain text prompt is sent as one user
message, as promptfoo sends it to chat models. Prompt functions (``.py``, ``.js``)
and anything Jinja2 does not read the same way are reported.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmeval.importers.promptfoo import nunjucks
from llmeval.importers.promptfoo.notes import Notes, Where
from llmeval.importers.promptfoo.text_threads import TextThread, text_thread

_TEXT = (".txt", ".md", ".j2", ".jinja", ".jinja2", ".prompt")
_SPLIT = re.compile(r"^---[ \t]*$\n?", re.M)
_PARAMS = ("temperature", "max_tokens", "top_p", "seed", "stop", "response_format")


@dataclass(frozen=True, slots=True)
class Prompt:
    label: str
    body: dict[str, Any]  # the prompt file's content (messages, params)
    threads: bool = False  # a chat prompt that looped over _conversation (see threads.py)
    text_thread: TextThread | None = None  # a text prompt's loop (see text_threads.py)


def read_prompts(raw: Any, base: Path, where: Where, notes: Notes) -> list[Prompt]:
    """Every prompt of the config, in order; problems are reported and skipped."""
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    out: list[Prompt] = []
    for i, item in enumerate(items):
        at = where.at(raw, i) if isinstance(raw, list) else where
        out += _entry(item, base, at, notes)
    return out


def _entry(item: Any, base: Path, at: Where, notes: Notes) -> list[Prompt]:
    label: Any = None
    config: Any = {}
    if isinstance(item, dict):
        label = item.get("label")
        config = item.get("config") or {}
        for k in item:
            if k not in ("raw", "id", "label", "config"):
                notes.add(at.at(item, k), f"prompt option '{k}'")
        text = item.get("raw", item.get("id"))
    else:
        text = item
    if not isinstance(text, str):
        notes.add(at, f"prompt {item!r}")
        return []
    params = {}
    for k, v in config.items() if isinstance(config, dict) else ():
        if k in _PARAMS:
            params[k] = v
        else:
            notes.add(at.at(item, "config"), f"prompt config '{k}'")
    if text.startswith("file://"):
        prompts = _files(text[len("file://") :], base, at, notes)
    else:
        prompts = [_text_prompt(text, label or "", at, notes)]
    out = []
    for n, p in enumerate(x for x in prompts if x is not None):
        name = label if label and len(prompts) == 1 else (f"{label}-{n + 1}" if label else p.label)
        body = {**p.body, "params": params} if params else p.body
        out.append(Prompt(name or "", body, p.threads, p.text_thread))
    return out


def _files(pattern: str, base: Path, at: Where, notes: Notes) -> list[Prompt | None]:
    written, _, fn = pattern.partition(":")
    if written.endswith((".py", ".js", ".ts", ".cjs", ".mjs")) or fn:
        notes.add(at, f"prompt function '{pattern}'")
        return []
    paths = sorted(base.glob(written)) if any(c in written for c in "*?[") else [base / written]
    root = base.resolve()
    out: list[Prompt | None] = []
    for path in paths:
        rel = (
            path.resolve().relative_to(root).as_posix()
            if path.resolve().is_relative_to(root)
            else None
        )
        if rel is None:
            notes.add(at, f"prompt file '{written}' outside the config's folder")
            continue
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as e:
            notes.add(at, f"prompt file '{written}': {e.strerror}")
            continue
        where = Where(rel, 1)
        suffix = path.suffix.lower()
        stem = path.stem
        if suffix == ".json":
            out.append(_chat_json(text, stem, where, notes))
        elif suffix in (".yaml", ".yml"):
            out.append(_chat_yaml(text, stem, where, notes))
        elif suffix in _TEXT or suffix == "":
            parts = [p for p in _SPLIT.split(text)]
            line = 1
            for k, part in enumerate(parts):
                label = stem if len(parts) == 1 else f"{stem}-{k + 1}"
                out.append(_text_prompt(part.strip("\n"), label, Where(rel, line), notes))
                line += part.count("\n") + 1
        else:
            notes.add(at, f"prompt file type '{suffix}'")
    if not paths:
        notes.add(at, f"prompt files '{written}': none found")
    return out


def _template(text: str, where: Where, notes: Notes) -> str | None:
    t = nunjucks.translate(text)
    for note in t.notes:
        notes.add(where, note)
    if t.problems:
        for problem in t.problems:
            notes.add(where, f"{problem}; this prompt is left out")
        return None
    return t.text


def _text_prompt(text: str, label: str, where: Where, notes: Notes) -> Prompt | None:
    body = _template(text, where, notes)
    if body is None:
        return None
    if "_conversation" not in text:
        return Prompt(label, {"user": body})
    found = text_thread(text)
    if isinstance(found, str):  # the loop stays left out, and why it is not translated
        notes.add(where, f"{nunjucks.CONVERSATION}: {found}")
        return Prompt(label, {"user": body})
    return Prompt(label, {"user": body}, threads=True, text_thread=found)


def _chat_json(text: str, label: str, where: Where, notes: Notes) -> Prompt | None:
    body = _template(text, where, notes)
    if body is None:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        notes.add(where, "a JSON prompt made by template logic (not a fixed message list)")
        return None
    return _threaded(_messages(data, label, where, notes), text)


def _chat_yaml(text: str, label: str, where: Where, notes: Notes) -> Prompt | None:
    from llmeval.config.yaml import parse_yaml
    from llmeval.errors import ConfigErrors

    try:
        data = parse_yaml(text, where.file)
    except ConfigErrors as e:
        notes.add(where, f"prompt file: {e.errors[0].message}")
        return None
    if isinstance(data, dict) and "messages" in data:
        for k in data:
            if k != "messages":
                notes.add(where.at(data, k), f"prompt key '{k}'")
        data = data["messages"]
    return _threaded(_messages(data, label, where, notes), text)


def _threaded(prompt: Prompt | None, text: str) -> Prompt | None:
    if prompt is None or "_conversation" not in text:
        return prompt
    return Prompt(prompt.label, prompt.body, threads=True)


def _messages(data: Any, label: str, where: Where, notes: Notes) -> Prompt | None:
    if not isinstance(data, list) or not data:
        notes.add(where, "a chat prompt that is not a list of messages")
        return None
    messages = []
    for i, m in enumerate(data):
        at = where.at(data, i)
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant"):
            notes.add(at, f"chat message {m!r}")
            return None
        content = m.get("content")
        if isinstance(content, list):
            texts = []
            for part in content:
                if isinstance(part, dict) and part.get("type") == "text":
                    texts.append(str(part.get("text", "")))
                    for k in part:
                        if k not in ("type", "text"):
                            notes.add(at, f"message content option '{k}'")
                else:
                    notes.add(at, f"message content part {part!r}")
            content = "\n".join(texts)
        if not isinstance(content, str):
            notes.add(at, f"message content {content!r}")
            return None
        for k in m:
            if k not in ("role", "content"):
                notes.add(at, f"message key '{k}'")
        body = _template(content, where, notes)
        if body is None:
            return None
        messages.append({"role": m["role"], "content": body})
    return Prompt(label, {"messages": messages})
