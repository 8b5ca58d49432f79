"""``llmeval prompts list|show|diff``: the prompt library and its versions."""

from __future__ import annotations

from pathlib import Path

import typer

from llmeval.cli import output
from llmeval.cli.app import app
from llmeval.cli.project import PROJECT_OPT

prompts_app = typer.Typer(help="The prompt library and its versions.", no_args_is_help=True)
app.add_typer(prompts_app, name="prompts")


def _library(project_dir: Path | None):  # type: ignore[no-untyped-def]
    from llmeval.cli.project import root_of
    from llmeval.config.prompts import load_prompts
    from llmeval.config.settings import load_settings

    root = root_of(project_dir)
    return load_prompts(root, load_settings(root))


def _text(p) -> str:  # type: ignore[no-untyped-def]
    lines = []
    for m in p.messages:
        lines.append(f"--- {m.role}")
        lines.extend(m.content.splitlines())
    if p.params:
        lines.append(f"--- params: {p.params}")
    return "\n".join(lines) + "\n"


@prompts_app.command("list")
def list_(project_dir: Path = PROJECT_OPT) -> None:
    """Every prompt with its versions and content hashes."""
    with output.errors_to_exit():
        lib = _library(project_dir)
        for name in sorted(lib):
            versions = lib[name]
            latest = max(versions)
            desc = versions[latest].description.strip().splitlines()
            vs = ", ".join(f"v{v}({versions[v].sha[:8]})" for v in sorted(versions))
            typer.echo(f"{name}  {vs}" + (f"  — {desc[0]}" if desc else ""))


@prompts_app.command("show")
def show(
    ref: str = typer.Argument(..., help="name@vN or name"), project_dir: Path = PROJECT_OPT
) -> None:
    """Print one prompt version's messages."""
    with output.errors_to_exit():
        from llmeval.config.prompts import resolve_prompt

        p = resolve_prompt(_library(project_dir), ref, None)
        typer.echo(f"# {p.ref}  sha {p.sha[:12]}")
        typer.echo(_text(p), nl=False)


@prompts_app.command("diff")
def diff(
    a: str = typer.Argument(..., help="name@vN"),
    b: str = typer.Argument(
        None, help="name@vM (default: A's next version; for a bare name, latest vs previous)"
    ),
    project_dir: Path = PROJECT_OPT,
) -> None:
    """Unified diff between two prompt versions."""
    import difflib

    with output.errors_to_exit():
        from llmeval.config.prompts import resolve_prompt
        from llmeval.errors import UsageError

        lib = _library(project_dir)
        if b is None and "@" not in a and len(lib.get(a, {})) >= 2:
            # a bare name: what changed in the latest version
            *_, prev, last = sorted(lib[a])
            a, b = f"{a}@v{prev}", f"{a}@v{last}"
        pa = resolve_prompt(lib, a, None)
        if b is None:
            later = sorted(v for v in lib[pa.name] if v > pa.version)
            if not later:
                raise UsageError(f"{pa.ref} is the latest version; name a second version")
            b = f"{pa.name}@v{later[0]}"
        pb = resolve_prompt(lib, b, None)
        lines = difflib.unified_diff(
            _text(pa).splitlines(keepends=True),
            _text(pb).splitlines(keepends=True),
            fromfile=pa.ref,
            tofile=pb.ref,
        )
        typer.echo("".join(lines) or f"{pa.ref} and {pb.ref} have the same messages")
