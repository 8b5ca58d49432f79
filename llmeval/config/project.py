"""Loading a whole project and checking the files against each other.

Every problem in every file is collected, then raised at once as ``ConfigErrors``
(``llmeval validate`` prints them all; ``llmeval run`` stops before any call).
"""

from __future__ import annotations

import contextlib
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
    names_failed,
    read_prompts,
    resolve_prompt,
)
from llmeval.config.settings import (
    CONFIG_FILE,
    declared_but_broken,
    read_settings,
    resolve_model,
)
from llmeval.config.suites import LoadedSuite, read_suite, suite_name
from llmeval.config.templating import missing_variables, prompt_variables
from llmeval.config.validation import hint
from llmeval.config.yaml import gc_paused, load_yaml
from llmeval.domain.location import Location
from llmeval.domain.project import Project, Settings
from llmeval.domain.suite import Suite
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
    failed: set[tuple[str, int]] = set()
    prompts = read_prompts(root, settings.prompts_dir, errors, failed)
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
    judged: set[str] = set()
    for loaded in suites.values():
        _cross_check(loaded, settings, prompts, errors, failed)
        _check_judge_prompts(loaded.suite, prompts, errors, failed, judged)
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


def _check_tools_and_params(
    loaded: LoadedSuite, templates: list[Any], specs: list[Any], errors: list[ConfigError]
) -> None:
    """The suite's tool_choice names a tool of every prompt it runs; each prompt's params
    are known to each model the suite names."""
    from llmeval.config.prompts import unknown_param_message
    from llmeval.config.tools import check_tool_choice
    from llmeval.domain.tools import merge_tools
    from llmeval.providers.registry import known_params

    suite = loaded.suite
    for prompt in templates:
        if suite.tool_choice is not None:
            tools = merge_tools(prompt.tools, suite.tools)
            check_tool_choice(
                suite.tool_choice,
                tools,
                loaded.tool_choice_location,
                errors,
                f"(prompt {prompt.ref})",
            )
        for spec in specs:
            known = known_params(spec)
            for key in prompt.params:
                if known is not None and key not in known:
                    msg = unknown_param_message(key, sorted(known), spec.provider)
                    errors.append(ConfigError(f"{msg} (model '{spec.alias}')", prompt.location))


def _cross_check(
    loaded: LoadedSuite,
    settings: Settings,
    prompts: PromptLibrary,
    errors: list[ConfigError],
    failed: set[tuple[str, int]],
) -> None:
    """Prompt refs resolve, models resolve, every case gives every template variable."""
    suite = loaded.suite
    templates = []
    for ref, where in zip(suite.prompts, loaded.prompt_locations, strict=True):
        try:
            templates.append(resolve_prompt(prompts, ref, where))
        except ConfigError as e:
            if not names_failed(ref, failed):  # one error per root cause: the file's own
                errors.append(e)
    specs = []
    for name, where in zip(suite.models, loaded.model_locations, strict=True):
        if declared_but_broken(settings, name):
            continue
        try:
            specs.append(resolve_model(settings, name, where))
        except ConfigError as e:
            errors.append(e)
    if not suite.models:
        for name in settings.default_models:
            with contextlib.suppress(ConfigError):  # reported where the defaults are written
                specs.append(resolve_model(settings, name))
    _check_tools_and_params(loaded, templates, specs, errors)
    for prompt in templates:
        needed = prompt_variables(prompt)
        if not needed:
            continue
        gaps = {}
        for case in suite.cases:
            if needed.issubset(case.vars.keys()):
                continue  # the common case, without a trial render
            if prompt is INLINE_PROMPT and (case.turns or case.history):
                continue  # a conversation without a prompt: the case gives every message
            missing = missing_variables(prompt, case.vars, settings.render_limits)
            if missing:
                gaps[case] = missing
        if prompt is not INLINE_PROMPT:
            gaps = _unused_by_every_case(suite, prompt, gaps, errors, settings.root)
            gaps = _missing_columns(suite, prompt.ref, gaps, errors)
        for case, missing in gaps.items():
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


def _unused_by_every_case(
    suite: Suite,
    prompt: Any,
    gaps: dict[Any, list[str]],
    errors: list[ConfigError],
    root: Path,
) -> dict[Any, list[str]]:
    """A prompt variable that no case of the suite gives is most likely a typo in the
    prompt: one error at its line there (with a did-you-mean), not one per case."""
    if len(suite.cases) < 2 or len(gaps) < len(suite.cases):
        return gaps
    files = {c.location.file if c.location else suite.path for c in suite.cases}
    if suite.path not in files and len(files) == 1:
        return gaps  # every case is a row of one dataset: a missing column, said there
    common = set.intersection(*(set(gaps[c]) for c in suite.cases))
    if not common:
        return gaps
    given = sorted({k for c in suite.cases for k in c.vars})
    for var in sorted(common):
        listing = f" (the cases give: {', '.join(given)})" if given else ""
        msg = f"no case of suite '{suite.name}' gives variable '{var}' used here"
        where = _var_line(prompt, var, root)
        errors.append(ConfigError(msg + (hint(var, given) or listing), where))
    left = {}
    for case, missing in gaps.items():
        rest = [m for m in missing if m not in common]
        if rest:
            left[case] = rest
    return left


def _var_line(prompt: Any, var: str, root: Path) -> Location | None:
    """Where ``var`` is first read in the prompt's file (a text search: good enough to
    point at, and never wrong about the file)."""
    where = prompt.location
    if where is None:
        return None
    pattern = re.compile(r"\{[{%][^}]*\b" + re.escape(var) + r"\b")
    try:
        lines = (root / where.file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return where
    for n, line in enumerate(lines, 1):
        m = pattern.search(line)
        if m:
            return Location(where.file, n, line.index(var, m.start()) + 1)
    return where


def _missing_columns(
    suite: Suite, ref: str, gaps: dict[Any, list[str]], errors: list[ConfigError]
) -> dict[Any, list[str]]:
    """A variable no row of a dataset has is one missing column, not one error per row:
    report it once at the header, with the columns it does have; the rest stay per case."""
    by_file: dict[str, list[Any]] = {}
    for case in suite.cases:
        file = case.location.file if case.location else suite.path
        if file != suite.path:
            by_file.setdefault(file, []).append(case)
    left = dict(gaps)
    for file, cases in by_file.items():
        common = set.intersection(*(set(gaps.get(c, ())) for c in cases))
        if not common:
            continue
        columns = sorted({k for c in cases for k in c.vars})
        for var in sorted(common):
            shown = f" (its columns: {', '.join(columns)})" if columns else ""
            msg = f"no column '{var}' in this dataset (prompt {ref} uses it)"
            errors.append(ConfigError(msg + (hint(var, columns) or shown), Location(file, 1, 1)))
        for c in cases:
            rest = [m for m in left.pop(c, []) if m not in common]
            if rest:
                left[c] = rest
    return left


def _check_judge_prompts(
    suite: Suite,
    prompts: PromptLibrary,
    errors: list[ConfigError],
    failed: set[tuple[str, int]],
    seen: set[str],
) -> None:
    """Judge templates exist and read only the variables the judge gives them.

    A typo there would otherwise error every judged case at run time, after the
    generations were paid for. Bundled templates are llmeval's own (tested); a
    project's prompt of the same name overrides them and is checked here.
    """
    from llmeval.judge.bundled import bundled_names, bundled_prompt, judge_template_of
    from llmeval.judge.prompting import PAIRWISE_VARIABLES, RUBRIC_VARIABLES

    specs = {id(a): a for case in suite.cases for a in case.assertions}
    for spec in specs.values():
        found = judge_template_of(spec.type, spec.options)
        if found is None:
            continue
        ref, kind = found
        if ref in seen or names_failed(ref, failed):
            continue
        seen.add(ref)
        try:
            template = resolve_prompt(prompts, ref, spec.location)
        except ConfigError:
            try:
                bundled_prompt(ref)
            except ConfigError:
                known = sorted({*prompts, *bundled_names()})
                msg = f"{spec.name}: no judge prompt '{ref}' in the project or the bundled ones"
                errors.append(ConfigError(msg + hint(ref.partition("@")[0], known), spec.location))
            continue
        allowed = PAIRWISE_VARIABLES if kind == "pairwise" else RUBRIC_VARIABLES
        undefined = sorted(prompt_variables(template) - allowed)
        if undefined:
            names = ", ".join(f"'{v}'" for v in undefined)
            errors.append(
                ConfigError(
                    f"judge prompt {template.ref} (used by {spec.name} at {spec.location}) "
                    f"reads undefined variable{'s' if len(undefined) > 1 else ''} {names}; "
                    f"a {kind} judge template can use {', '.join(sorted(allowed))}",
                    template.location,
                )
            )
