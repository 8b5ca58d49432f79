"""``llmeval validate``: load everything and print every problem as file:line:col."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from llmeval.cli import output
from llmeval.cli.app import app
from llmeval.cli.project import PROJECT_OPT


@app.command()
def validate(
    paths: list[Path] = typer.Argument(None, help="Files to check (default: the whole project)."),
    project_dir: Path = PROJECT_OPT,
) -> None:
    """Check config, prompts, suites and datasets without calling any model."""
    from llmeval.errors import ConfigErrors

    with output.errors_to_exit():
        from llmeval.cli.project import root_of
        from llmeval.config.project import load_project, validate_paths

        root = root_of(project_dir)
        if paths:
            warnings: list = []
            errors = validate_paths(root, [p.resolve() for p in paths], warnings)
            for w in warnings:
                output.err(f"warning: {w}")
            if errors:
                raise ConfigErrors(errors)
            typer.echo(f"ok: {len(paths)} file{'s' if len(paths) != 1 else ''} valid")
            return
        project = load_project(root)
        for w in project.warnings:
            output.err(f"warning: {w}")
        if not project.suites:
            from llmeval.cli.project import nothing_selected

            raise nothing_selected(f"no suite files in {project.settings.suites_dir}/")
        from llmeval.engine.plan import build_plan

        plan = build_plan(project)
        _check_targets(project, plan)
        n_cases = sum(len(s.cases) for s in project.suites.values())
        n_prompts = sum(len(v) for v in project.prompts.values())
        typer.echo(
            f"ok: {_n(len(project.suites), 'suite')}, {_n(n_cases, 'case')}, "
            f"{_n(n_prompts, 'prompt version')}, {_n(len(plan.items), 'result')} planned"
        )
        for suite in project.suites.values():
            for warning in suite.warnings:
                output.err(f"warning: {warning}")
            if not suite.cases:
                output.err(f"warning: {suite.path}: suite '{suite.name}' has no cases")
        from llmeval.cli.dry_run import over_limit_lines

        for line in over_limit_lines(plan):
            output.err(f"warning: {line}")
        for line in _missing_keys(plan):
            output.err(f"warning: {line}")


def _n(k: int, word: str) -> str:
    return f"{k} {word}{'' if k == 1 else 's'}"


def _check_targets(project: object, plan: object) -> None:
    """Import python targets now: a syntax error there is a config error, found before a run."""
    from llmeval.errors import ConfigError, ConfigErrors
    from llmeval.providers import registry

    errors = []
    for spec in plan.models.values():  # type: ignore[attr-defined]
        if spec.provider == "python":
            try:  # imports the target and checks llmeval can call it (file:line of its def)
                registry.create(spec, project.root)  # type: ignore[attr-defined]
            except ConfigError as e:
                errors.append(e)
    if errors:
        raise ConfigErrors(errors)


def _missing_keys(plan: Any) -> list[str]:
    """Models whose key is not in the environment: not an error (a CI job may set it, a
    replayed cache needs none), but the run would stop on it, so say so here."""
    from llmeval.errors import ConfigError
    from llmeval.providers import registry
    from llmeval.providers.secrets import resolve_key

    lines = []
    for spec in plan.models.values():
        if spec.is_local:
            continue
        try:
            default = getattr(registry.provider_class(spec.provider), "default_key_env", None)
        except ConfigError:
            continue
        key_env = spec.api_key_env or default
        if not key_env:
            continue
        try:
            resolve_key(spec.alias, key_env, spec.base_url)
        except ConfigError as e:
            lines.append(f"{e.message}: a run would stop before its first call")
    return lines


@app.command()
def schema(
    kind: str = typer.Argument(
        "suite",
        help="suite | config (llmeval.yaml) | results (one results.jsonl line) | run (run.json)",
    ),
) -> None:
    """Print a JSON Schema: suite files, llmeval.yaml, journal lines or run.json."""
    import json

    with output.errors_to_exit():
        from llmeval.config.schema import config_json_schema, suite_json_schema
        from llmeval.errors import UsageError
        from llmeval.store.schema import SCHEMAS

        schemas = {"suite": suite_json_schema, "config": config_json_schema, **SCHEMAS}
        if kind not in schemas:
            raise UsageError(f"unknown schema '{kind}' (known: {', '.join(schemas)})")
        typer.echo(json.dumps(schemas[kind](), indent=2))
