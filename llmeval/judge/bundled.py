"""The judge prompts shipped inside the package, used when a project has none.

They mirror ``prompts/judge-*/v<N>.yaml`` of the repository, in the same file format,
so a project can copy one into its own ``prompts/`` and version it from there.
"""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from llmeval.domain.prompt import Message, PromptTemplate
from llmeval.errors import ConfigError

RUBRIC, FACTUALITY, PAIRWISE = "judge-rubric", "judge-factuality", "judge-pairwise"


def judge_template_of(assertion_type: str, options: dict[str, Any]) -> tuple[str, str] | None:
    """(prompt reference, kind) of a judge assertion's template, kind being ``rubric`` or
    ``pairwise`` (which variables it is rendered with); None for other assertions."""
    default = {
        "llm-rubric": RUBRIC,
        "factuality": FACTUALITY,
        "pairwise": PAIRWISE,
        "trajectory:goal-success": RUBRIC,
    }.get(assertion_type)
    if default is None:
        return None
    ref = options.get("prompt", default)
    kind = "pairwise" if assertion_type == "pairwise" else "rubric"
    return (ref if isinstance(ref, str) else default), kind


_REF = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)(?:@v(?P<version>\d+))?$")


def split_ref(ref: str) -> tuple[str, int | None]:
    """``"name@v2"`` -> ("name", 2); ``"name"`` -> ("name", None) meaning the latest."""
    m = _REF.match(ref.strip())
    if not m:
        raise ConfigError(f"bad prompt reference '{ref}' (expected name or name@vN)")
    v = m.group("version")
    return m.group("name"), (int(v) if v is not None else None)


def bundled_dir() -> Path:
    """The folder of bundled prompts (``<name>/v<N>.yaml``), for loaders that want files."""
    return Path(str(resources.files("llmeval.judge") / "templates"))


def bundled_names() -> list[str]:
    return sorted(p.name for p in bundled_dir().iterdir() if p.is_dir())


def bundled_prompt(ref: str) -> PromptTemplate:
    """A bundled judge prompt by reference; ConfigError if there is no such prompt."""
    name, version = split_ref(ref)
    folder = resources.files("llmeval.judge") / "templates" / name
    versions = (
        sorted(int(p.name[1:-5]) for p in folder.iterdir() if re.fullmatch(r"v\d+\.yaml", p.name))
        if folder.is_dir()
        else []
    )
    if not versions or (version is not None and version not in versions):
        raise ConfigError(f"no judge prompt '{ref}' in the project or the bundled defaults")
    chosen = version if version is not None else versions[-1]
    text = (folder / f"v{chosen}.yaml").read_text(encoding="utf-8")
    return template_from_yaml(name, chosen, text, source=f"<bundled>/{name}/v{chosen}.yaml")


def template_from_yaml(name: str, version: int, text: str, *, source: str) -> PromptTemplate:
    """A PromptTemplate from prompt-file text (``system``/``user`` or ``messages``)."""
    import yaml

    data: Any = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a prompt file must be a mapping")
    messages: list[Message] = []
    if "messages" in data:
        for m in data["messages"] or ():
            if not isinstance(m, dict) or not isinstance(m.get("content"), str):
                raise ConfigError(f"{source}: each message needs a role and a content")
            messages.append(Message(role=str(m.get("role", "user")), content=m["content"]))
    else:
        for role in ("system", "user"):
            if isinstance(data.get(role), str):
                messages.append(Message(role=role, content=data[role]))
    if not messages:
        raise ConfigError(f"{source}: a prompt needs 'messages' or 'system'/'user'")
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return PromptTemplate(
        name=name,
        version=version,
        messages=tuple(messages),
        sha=hashlib.sha256(canonical.encode()).hexdigest(),
        params=dict(data.get("params") or {}),
        description=str(data.get("description", "")),
    )
