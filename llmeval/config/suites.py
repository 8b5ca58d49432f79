"""Suite files -> ``Suite``: inline cases, dataset rows, defaults, assertions.

A suite with no ``prompt`` sends each case's ``input`` var (or ``prompt``) as the one
user message: its prompt is the synthetic ``inline@v0`` (see ``prompts.INLINE_PROMPT``).
Cases without an id get ``case-<n>`` (inline, n from 1 in file order) or ``row-<n>``
(JSONL/YAML dataset rows, n from 1 in file order); CSV rows without an ``id`` column
get ``row-<hash of the row's cells>``, stable when rows are inserted, with a warning.
``file://`` vars and templated assertion values are resolved per case (``casevars``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmeval.config.assertions import AssertionChecker, read_assertions
from llmeval.config.casevars import load_file_vars, render_assertions
from llmeval.config.conversation import read_history, read_turns
from llmeval.config.datasets import Row, find_dataset, flat_case, read_rows
from llmeval.config.derived_metrics import read_derived
from llmeval.config.paths import display
from llmeval.config.prompts import INLINE_REF
from llmeval.config.schema import CaseConfig, DefaultsBlock, SuiteHeader
from llmeval.config.tools import located, read_tool_choice, read_tools, read_tools_env
from llmeval.config.validation import validate
from llmeval.config.yaml import YamlList, YamlMap, locate
from llmeval.domain.location import Location
from llmeval.domain.suite import AssertionSpec, Case, Suite
from llmeval.errors import ConfigError


@dataclass(frozen=True, slots=True)
class LoadedSuite:
    """A suite plus where its references were written, for cross-file checks."""

    suite: Suite
    prompt_locations: tuple[Location, ...]  # one per suite.prompts
    model_locations: tuple[Location, ...]  # one per suite.models
    tool_choice_location: Location | None = None


@dataclass(frozen=True, slots=True)
class _Defaults:
    assertions: tuple[AssertionSpec, ...] = ()
    vars: dict[str, Any] | None = None
    tags: tuple[str, ...] = ()
    threshold: float | None = None
    suite_dir: Path | None = None
    root: Path | None = None
    transform: str | None = None


def suite_name(raw: Any, path: Path) -> str:
    """The suite's name (``name:`` or the file stem) without validating the rest."""
    name = raw.get("name") if isinstance(raw, dict) else None
    if isinstance(name, int | float) and not isinstance(name, bool):
        name = str(name)  # as the schema coerces it
    return name if isinstance(name, str) and name else path.stem


def read_suite(
    raw: Any,
    path: Path,
    root: Path,
    errors: list[ConfigError],
    checker: AssertionChecker,
) -> LoadedSuite | None:
    """Build one suite from its parsed YAML; every problem is appended to ``errors``."""
    file = display(path, root)
    checker = checker.in_folder(path.parent)
    if not isinstance(raw, YamlMap):
        errors.append(
            ConfigError("a suite file should be a mapping (name, cases, ...)", Location(file))
        )
        return None
    header = validate(SuiteHeader, raw, file=file, errors=errors)
    defaults = _Defaults()
    if header is not None:
        defaults = _read_defaults(header, raw, checker, errors)
    defaults = dataclasses.replace(defaults, suite_dir=path.parent, root=root)
    warnings: list[str] = []
    cases: list[Case] = []
    raw_cases = raw.get("cases")
    if isinstance(raw_cases, YamlList):
        for i, item in enumerate(raw_cases):
            case = _case(
                item, f"case-{i + 1}", raw_cases.item_location(i), file, defaults, checker, errors
            )
            if case is not None:
                cases.append(case)
    if header is not None and header.dataset:
        cases += _dataset_cases(
            header.dataset, raw, path, root, defaults, checker, errors, warnings
        )
    _check_unique_ids(cases, errors)
    if header is None:
        return None
    if header.prompt is not None and header.prompts is not None:
        errors.append(
            ConfigError("use 'prompt' or 'prompts', not both", raw.key_location("prompts"))
        )
    prompts: tuple[str, ...]
    prompt_locs: tuple[Location, ...]
    if header.prompt is not None:
        prompts, prompt_locs = (header.prompt,), (raw.value_location("prompt"),)
    elif header.prompts:
        prompts = tuple(header.prompts)
        prompt_locs = tuple(locate(raw, ("prompts", i)) for i in range(len(prompts)))
    else:
        prompts, prompt_locs = (INLINE_REF,), (raw.location,)
    model_locs = tuple(locate(raw, ("models", i)) for i in range(len(header.models)))
    tools = read_tools(raw.get("tools"), located(raw, "tools", raw.location), errors)
    choice = read_tool_choice(header.tool_choice, located(raw, "tool_choice", raw.location), errors)
    derived = read_derived(
        raw.get("derived_metrics"), located(raw, "derived_metrics", raw.location), errors
    )
    # even with errors (already recorded) the suite goes on to the cross-file checks,
    # so a wrong prompt ref is reported together with a duplicate case id
    suite = Suite(
        name=header.name or path.stem,
        path=file,
        cases=tuple(cases),
        prompts=prompts,
        models=tuple(header.models),
        description=header.description,
        min_pass_rate=header.min_pass_rate,
        redact=header.redact,
        gate=header.gate.model_dump(exclude_none=True),
        location=Location(file),
        warnings=tuple(warnings),
        tools=tools,
        tool_choice=choice,
        tools_impl=header.tools_impl,
        tools_impl_location=located(raw, "tools_impl", raw.location),
        pass_env=read_tools_env(header.pass_env, header.tools_impl, raw, raw.location, errors),
        max_steps=header.max_steps,
        tool_timeout_s=header.tool_timeout_s,
        derived_metrics=derived,
    )
    return LoadedSuite(suite, prompt_locs, model_locs, located(raw, "tool_choice", Location(file)))


def _read_defaults(
    header: SuiteHeader, raw: YamlMap, checker: AssertionChecker, errors: list[ConfigError]
) -> _Defaults:
    block: DefaultsBlock = header.defaults
    raw_block = raw.get("defaults")
    raw_asserts = raw_block.get("assert") if isinstance(raw_block, dict) else None
    specs = read_assertions(block.assert_, raw_asserts, raw.location, checker, errors)
    if block.transform is not None:
        _check_transform(block.transform, raw_block, raw.location, errors)
    return _Defaults(
        specs, dict(block.vars) or None, tuple(block.tags), header.threshold,
        transform=block.transform,
    )  # fmt: skip


def _check_transform(code: str, raw: Any, where: Location, errors: list[ConfigError]) -> None:
    from llmeval.metrics.transform import check

    why = check(code)
    if why is not None:
        at = raw.value_location("transform") if isinstance(raw, YamlMap) else where
        errors.append(ConfigError(why, at))


def _case(
    raw: Any,
    default_id: str,
    where: Location,
    file: str,
    defaults: _Defaults,
    checker: AssertionChecker,
    errors: list[ConfigError],
) -> Case | None:
    """One case from a mapping written like an inline case (YAML item or dataset row)."""
    cfg = validate(CaseConfig, raw, file=file, errors=errors, default=where)
    if cfg is None:
        return None
    n = len(errors)
    if cfg.transform is not None:
        _check_transform(cfg.transform, raw, where, errors)
    raw_asserts = raw.get("assert") if isinstance(raw, dict) else None
    specs = read_assertions(cfg.assert_, raw_asserts, where, checker, errors)
    if len(errors) > n:
        return None
    assertions = defaults.assertions + specs if specs else defaults.assertions
    _check_labels(assertions, cfg.expected, raw, where, errors)
    vars = cfg.vars if defaults.vars is None else {**defaults.vars, **cfg.vars}
    turns = read_turns(cfg.turns, located(raw, "turns", where), checker, errors)
    history = read_history(cfg.messages, located(raw, "messages", where), errors)
    pass_env = read_tools_env(cfg.pass_env, cfg.tools_impl, raw, where, errors)
    if len(errors) > n:
        return None
    if defaults.root is not None and defaults.suite_dir is not None:
        try:
            vars = load_file_vars(vars, defaults.suite_dir, defaults.root, where)
            assertions = render_assertions(assertions, vars)
            turns = tuple(
                dataclasses.replace(t, assertions=render_assertions(t.assertions, vars))
                for t in turns
            )
        except ConfigError as e:
            errors.append(e)
            return None
    tags = (
        tuple(cfg.tags) if not defaults.tags else tuple(dict.fromkeys((*defaults.tags, *cfg.tags)))
    )
    return Case(
        id=cfg.id if cfg.id else default_id,
        vars=vars,
        expected=cfg.expected,
        assertions=assertions,
        tags=tags,
        description=cfg.description,
        threshold=cfg.threshold if cfg.threshold is not None else defaults.threshold,
        critical=cfg.critical,
        min_pass_rate=cfg.min_pass_rate,
        location=where,
        turns=turns,
        history=history,
        history_location=located(raw, "messages", where) if history else None,
        tools_impl=cfg.tools_impl,
        pass_env=pass_env,
        max_steps=cfg.max_steps,
        transform=cfg.transform if cfg.transform is not None else defaults.transform,
    )


def _check_labels(
    assertions: tuple[AssertionSpec, ...],
    expected: Any,
    raw: Any,
    where: Location,
    errors: list[ConfigError],
) -> None:
    """A ``classification`` assertion scores ``expected``: a case without a usable label
    would only error at run time, so say it now, at the case (or its ``expected``)."""
    from llmeval.metrics.labels import case_label_problem

    for spec in assertions:
        problem = case_label_problem(spec, expected)
        if problem is not None:
            at = (
                raw.value_location("expected")
                if isinstance(raw, YamlMap) and "expected" in raw
                else where
            )
            errors.append(ConfigError(problem, at))
            return


def _dataset_cases(
    written: str,
    raw: YamlMap,
    path: Path,
    root: Path,
    defaults: _Defaults,
    checker: AssertionChecker,
    errors: list[ConfigError],
    warnings: list[str],
) -> list[Case]:
    where = raw.value_location("dataset")
    try:
        data_path = find_dataset(written, path.parent, root, where)
    except ConfigError as e:
        errors.append(e)
        return []
    data_file = display(data_path, root)
    rows: list[Row] = read_rows(data_path, data_file, errors)
    cases = []
    if any(r.content_id for r in rows):
        warnings.append(
            f"{data_file}: no 'id' column; case ids are derived from each row's content "
            "(editing a row changes its id; add an 'id' column to keep ids fixed)"
        )
    for n, row in enumerate(rows, 1):
        if row.shaped:
            data = row.data
        else:
            data, problems = flat_case(row.data)
            errors.extend(ConfigError(p, row.location) for p in problems)
        default_id = row.content_id or f"row-{n}"
        case = _case(data, default_id, row.location, data_file, defaults, checker, errors)
        if case is not None:
            cases.append(case)
    return cases


def _check_unique_ids(cases: list[Case], errors: list[ConfigError]) -> None:
    first: dict[str, Location | None] = {}
    for case in cases:
        if case.id in first:
            at = first[case.id]
            errors.append(
                ConfigError(f"duplicate case id '{case.id}' (first used at {at})", case.location)
            )
        else:
            first[case.id] = case.location
