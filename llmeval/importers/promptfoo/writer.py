"""Writing an imported project: llmeval.yaml, prompts/<name>/v1.yaml, suites/<name>.yaml.

Plain YAML (multi-line strings as ``|`` blocks), generated python scorers, and the
files the config referenced (python providers and scorers, ``file://`` vars) copied
beside them when the project is written to another folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from llmeval.importers.promptfoo.config import Imported


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value and not value.startswith((" ", "\n")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _plain(data: Any) -> Any:
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_plain(v) for v in data]
    return data


def dump(data: Any) -> str:
    return yaml.dump(_plain(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def planned_files(imp: Imported) -> list[str]:
    files = ["llmeval.yaml", f"suites/{imp.suite_name}.yaml"]
    files += [f"prompts/{name}/v1.yaml" for name in imp.prompts]
    return files + sorted(imp.scorers)


def write(imp: Imported, out: Path, *, force: bool = False) -> list[str]:
    """Write the project under ``out``; the files written, relative to ``out``."""
    from llmeval.errors import UsageError

    existing = [f for f in planned_files(imp) if (out / f).exists()]
    if existing and not force:
        raise UsageError(
            f"{out / existing[0]} already exists (use --force to overwrite, or -o DIR)"
        )
    written = []
    header = f"# imported from {imp.source.name} by `llmeval import promptfoo`\n"
    texts = {"llmeval.yaml": header + dump(imp.settings)}
    texts[f"suites/{imp.suite_name}.yaml"] = header + dump(imp.suite)
    for name, body in imp.prompts.items():
        texts[f"prompts/{name}/v1.yaml"] = dump(body)
    texts.update(imp.scorers)
    for rel, text in texts.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(rel)
    src = imp.source.parent.resolve()
    if out.resolve() != src:
        for rel in imp.copies:
            source = src / rel
            if source.is_file() and source.resolve().is_relative_to(src):
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, out / rel)
                written.append(rel)
    return written
