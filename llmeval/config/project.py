"""Loading a whole project and checking the files against each other.

Every problem in every file is collected, then raised at once as ``ConfigErrors``
(``llmeval validate`` prints them all; ``llmeval run`` stops before any call).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from llmeval.config.assertions import AssertionChecker
from llmeval.config.paths import confine, display, listed
from llmeval.config.prompts import (
    INLINE_PROMPT,
    INLINE_REF,
    PromptLibrary,
    read_prompts,
    resolve_prompt,
)
from llmeval.config.settings import CONFIG_FILE, read_settings, resolve_model
from llmeval.config.suites import LoadedSuite, read_suite, suite_name
from llmeval.config.templating import missing_variables, prompt_variables
from llmeval.config.validation import hint
from llmeval.config.yaml import gc_paused, load_yaml
from llmeval.domain.location import Location
from llmeval.domain.project import Project, Settings
from llmeval.errors import ConfigError, ConfigErrors, ConfigWarning

_SUITE_SUFFIXES = (".yaml", ".yml")


def load_project(root: Path, only: Sequence[str] | None = None) -> Project:
    """Settings, all prompts and the selected suites (all when ``only`` is None).

    ``only`` items are suite names or suite file paths (relative to the current
    directory or the root). Raises ConfigErrors listing every problem.
    """
    errors: list[ConfigError] = []
    with gc_paused():
        project = _load(root.resolve(), only, errors, paths=None)
    if errors:
        raise ConfigErrors(errors)
    return project


def validate_paths(
    root: Path, paths: Sequence[Path | str] = (), warnings: list[ConfigError] | None = None
) -> list[ConfigError]:
    """Every problem for ``llmeval validate [PATH...]``, sorted by place.

    No paths (or the root itself): the whole project. Otherwise the suite files among
    ``paths`` (a folder means its ``*.yaml``), checked against the settings and all
    prompts, whose own problems are always included since every run depends on them.
    A path to ``llmeval.yaml`` or a prompt file adds nothing beyond that.
    ``warnings`` (when given) receives the project's ``ConfigWarning``s.
    """
    errors: list[ConfigError] = []
    root = root.resolve()
    prompts_dir = (root / read_settings(root, []).prompts_dir).resolve()
    files: list[Path] | None = None
    for item in paths:
        p = Path(item) if Path(item).is_absolute() else Path.cwd() / item
        try:
            p = confine(p, root, what=f"'{item}'")
        except ConfigError as e:
            errors.append(e)
            continue
        if p == root:
            files = None
            break
        files = [] if files is None else files
        if p.is_dir():
            files += _suite_files(p, root, errors)
        elif not p.exists():
            errors.append(ConfigError(f"no such file: {item}"))
        elif p.name != CONFIG_FILE and not p.is_relative_to(prompts_dir):
            files.append(p)
    if files is not None or not errors:
        with gc_paused():
            project = _load(root, None, errors, paths=files)
        if warnings is not None:
            warnings.extend(project.warnings)
    return ConfigErrors(errors).errors


def _suite_files(folder: Path, root: Path, errors: list[ConfigError]) -> list[Path]:
    """The suite files of ``folder``, resolved; links leading outside go to ``errors``."""
    if not folder.is_dir():
        return []
    out = []
    for p in sorted(folder.iterdir()):
        if p.suffix in _SUITE_SUFFIXES and p.is_file():
            try:
                out.append(listed(p, root))
            except ConfigError as e:
                errors.append(e)
    return out


def _select(
    root: Path, settings: Settings, only: Sequence[str] | None, errors: list[ConfigError]
) -> list[tuple[Path, Any]]:
    """(path, parsed YAML) of the suites to load: by name or by file path.

    Files that are not selected are parsed only to learn their names; their
    problems are not reported.
    """
    by_path: set[Path] = set()
    by_name: list[str] = []
    for item in only or ():
        found = next((c for c in (Path.cwd() / item, root / item) if c.is_file()), None)
        if found is None:
            by_name.append(item)
            continue
        try:
            by_path.add(confine(found, root, what=f"suite '{item}'"))
        except ConfigError as e:
            errors.append(e)
    files = _suite_files(root / settings.suites_dir, root, errors)
    files += sorted(by_path.difference(files))
    chosen, names, matched = [], [], set()
    for path in files:
        picked = not only or path in by_path
        if not picked:
            peek = _peek_name(path)
            if peek is not None and peek not in by_name:
                names.append(peek)
                continue  # clearly another suite: not worth a full parse
        try:
            raw = load_yaml(path, display(path, root), warnings=errors)
        except ConfigErrors as e:
            if picked or path.stem in by_name:
                errors.extend(e.errors)
                matched.add(path.stem)
            continue
        name = suite_name(raw, path)
        names.append(name)
        if picked or name in by_name:
            chosen.append((path, raw))
            matched.add(name)
    for item in by_name:
        if item not in matched:
            known = f" (suites: {', '.join(sorted(names))})" if names else " (no suites found)"
            errors.append(ConfigError(f"no suite named '{item}'{hint(item, names) or known}"))
    return chosen


_NAME_LINE = re.compile(r"""^name:[ \t]*(["']?)([^"'#\n]*?)\1[ \t]*(?:#.*)?$""", re.M)


def _peek_name(path: Path) -> str | None:
    """A suite's name from a top-level ``name:`` line, or its stem when the file has no
    ``name`` at all; None when only a real parse can tell."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    m = _NAME_LINE.search(text)
    if m and m.group(2):
        return m.group(2)
    return path.stem if "name" not in text else None


def _load(
    root: Path, only: Sequence[str] | None, errors: list[ConfigError], *, paths: list[Path] | None
) -> Project:
    settings = read_settings(root, errors)
    prompts = read_prompts(root, settings.prompts_dir, errors)
    if paths is None:
        selected = _select(root, settings, only, errors)
    else:
        selected = []
        for p in paths:
            try:
                selected.append((p, load_yaml(p, display(p, root), warnings=errors)))
            except ConfigErrors as e:
                errors.extend(e.errors)
    checker = AssertionChecker(root, settings.judge)
    suites: dict[str, LoadedSuite] = {}
    for path, raw in selected:
        loaded = read_suite(raw, path, root, errors, checker)
        if loaded is None:
            continue
        name = loaded.suite.name
        if name in suites:
            msg = f"a second suite named '{name}' (first in {suites[name].suite.path})"
            errors.append(ConfigError(msg, loaded.suite.location))
            continue
        suites[name] = loaded
    for loaded in suites.values():
        _cross_check(loaded, settings, prompts, errors)
    if any(INLINE_REF in s.suite.prompts for s in suites.values()):
        prompts.setdefault(INLINE_PROMPT.name, {})[INLINE_PROMPT.version] = INLINE_PROMPT
    # the readers append warnings beside the errors; they are not errors
    warnings = ConfigErrors(e for e in errors if isinstance(e, ConfigWarning)).errors
    errors[:] = [e for e in errors if not isinstance(e, ConfigWarning)]
    return Project(
        root=root,
        settings=settings,
        prompts=prompts,
        suites={name: s.suite for name, s in suites.items()},
        warnings=tuple(warnings),
    )


def _cross_check(
    loaded: LoadedSuite, settings: Settings, prompts: PromptLibrary, errors: list[ConfigError]
) -> None:
    """Prompt refs resolve, models resolve, every case gives every template variable."""
    suite = loaded.suite
    templates = []
    for ref, where in zip(suite.prompts, loaded.prompt_locations, strict=True):
        try:
            templates.append(resolve_prompt(prompts, ref, where))
        except ConfigError as e:
            errors.append(e)
    for name, where in zip(suite.models, loaded.model_locations, strict=True):
        try:
            resolve_model(settings, name, where)
        except ConfigError as e:
            errors.append(e)
    for prompt in templates:
        needed = prompt_variables(prompt)
        if not needed:
            continue
        for case in suite.cases:
            if needed.issubset(case.vars.keys()):
                continue  # the common case, without a trial render
            missing = missing_variables(prompt, case.vars, settings.render_limits)
            if not missing:
                continue
            if prompt is INLINE_PROMPT:
                msg = (
                    f"case '{case.id}' has no 'input' var (the suite has no prompt, so "
                    "vars.input is sent as the user message)"
                )
            else:
                names = ", ".join(f"'{m}'" for m in missing)
                plural = "s" if len(missing) > 1 else ""
                msg = (
                    f"case '{case.id}' is missing variable{plural} {names} "
                    f"used by prompt {prompt.ref}"
                )
            errors.append(ConfigError(msg, case.location or Location(suite.path)))
