"""Rendering prompt templates: Jinja2 in a sandbox, strict, single pass.

Variable values are inserted as data and never rendered again: a value holding
``{{ x }}`` reaches the model byte-identical. Templates are compiled once per
source text and cached. Jinja's default of dropping one trailing newline applies
(a ``user: |`` block does not end the message with a newline).

Rendering is bounded in size and time (``RenderLimits``, ``limits:`` in llmeval.yaml;
see ``config.sandbox``). A message over the limits is a ConfigError without a
location: the plan places it at the case (``file:line`` of the case that rendered
it) and stops before any call, as for an undefined variable.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from llmeval.domain.prompt import Message, PromptTemplate, RenderLimits
from llmeval.errors import ConfigError


@functools.cache
def environment() -> Any:
    from jinja2 import StrictUndefined

    from llmeval.config.sandbox import BoundedEnvironment

    return BoundedEnvironment(undefined=StrictUndefined, autoescape=False)


_LIMITS = RenderLimits()


def _render(source: str, context: dict[str, Any], limits: RenderLimits) -> str:
    from llmeval.config.sandbox import render_bounded

    return render_bounded(compile_template(source), context, limits)


@functools.lru_cache(maxsize=4096)
def compile_template(source: str) -> Any:
    """The compiled template; raises jinja2.TemplateSyntaxError."""
    return environment().from_string(source)


@functools.lru_cache(maxsize=4096)
def template_variables(source: str) -> frozenset[str]:
    """Names the template reads from its context (jinja2.meta)."""
    from jinja2 import meta

    return frozenset(meta.find_undeclared_variables(environment().parse(source)))


def prompt_variables(prompt: PromptTemplate) -> frozenset[str]:
    """Every variable any message of ``prompt`` reads."""
    out: frozenset[str] = frozenset()
    for m in prompt.messages:
        out |= template_variables(m.content)
    return out


def render_messages(
    prompt: PromptTemplate, vars: Mapping[str, Any], limits: RenderLimits | None = None
) -> tuple[Message, ...]:
    """The messages of ``prompt`` with ``vars`` filled in.

    Raises ConfigError (at the prompt file) for an undefined variable or a sandbox
    violation, and (without a location, for the caller to place) for a message over
    ``limits``; the engine records it as that case's error.
    """
    from jinja2 import TemplateError

    from llmeval.config.sandbox import RenderLimitError

    context = dict(vars)
    out = []
    for m in prompt.messages:
        try:
            text = _render(m.content, context, limits or _LIMITS)
        except RenderLimitError as e:
            raise ConfigError(f"prompt {prompt.ref}, {m.role} message: {e}") from None
        except RecursionError:
            msg = (
                f"prompt {prompt.ref}: the template recurses without end (a macro calling itself?)"
            )
            raise ConfigError(msg, prompt.location) from None
        except TemplateError as e:
            raise ConfigError(f"prompt {prompt.ref}: {e}", prompt.location) from None
        except Exception as e:  # a filter or operator given the wrong type of value
            msg = f"prompt {prompt.ref}: {type(e).__name__}: {e}"
            raise ConfigError(msg, prompt.location) from None
        out.append(Message(role=m.role, content=text))
    return tuple(out)


def missing_variables(
    prompt: PromptTemplate, vars: Mapping[str, Any], limits: RenderLimits | None = None
) -> list[str]:
    """Variables ``prompt`` needs that ``vars`` lacks, sorted; [] if it renders.

    jinja2.meta also lists names used only under ``{% if x is defined %}``; a trial
    render (only when names look missing) rules those out.
    """
    missing = sorted(v for v in prompt_variables(prompt) if v not in vars)
    if not missing:
        return []
    from jinja2 import TemplateError

    try:
        for m in prompt.messages:
            _render(m.content, dict(vars), limits or _LIMITS)
    except TemplateError:
        return missing
    except Exception:  # a wrong type, a limit: the render reports it, at plan time
        return []
    return []
