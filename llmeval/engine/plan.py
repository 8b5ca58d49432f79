"""The plan: every (suite, case, model, prompt, repeat) to run, rendered and compiled.

Built entirely before the first call, so a bad template variable or assertion
stops the run with nothing spent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from llmeval.domain.model import ModelSpec
from llmeval.domain.project import Project
from llmeval.domain.prompt import Message, PromptTemplate
from llmeval.domain.request import CompletionRequest
from llmeval.domain.suite import AssertionSpec, Case, Suite
from llmeval.domain.tools import ToolChoice, ToolSpec, merge_tools
from llmeval.engine.agenda import Agenda, is_multistep, plan_agenda, render_opening
from llmeval.errors import ConfigError, ConfigErrors, UsageError
from llmeval.metrics import registry
from llmeval.metrics.base import BuildContext, MetricDef
from llmeval.safety.redact import Redaction, redact_vars

if TYPE_CHECKING:
    from llmeval.engine.shard import ShardInfo

Key = tuple[str, str, str, str, int]


@dataclass(frozen=True, slots=True)
class CompiledAssertion:
    spec: AssertionSpec
    defn: MetricDef
    fn: Callable[..., Any]


@dataclass(frozen=True, slots=True)
class WorkItem:
    suite: Suite
    case: Case
    model: ModelSpec
    prompt: PromptTemplate
    repeat: int
    messages: tuple[Message, ...]
    params: dict[str, Any]
    assertions: tuple[CompiledAssertion, ...]
    # PII in the vars replaced before rendering (suite or model ``redact: true``);
    # holds the placeholder -> original mapping, in memory only
    redaction: Redaction | None = None
    over_limit: int | None = None  # estimated input tokens, when over max_input_tokens
    tools: tuple[ToolSpec, ...] = ()  # the prompt's plus the suite's
    tool_choice: ToolChoice | None = None
    agenda: Agenda | None = None  # a tool loop or a conversation (engine.loop runs it)

    @property
    def sent_vars(self) -> dict[str, Any]:
        """The vars that leave the machine (and are journaled): redacted if redacting."""
        return dict(self.redaction.vars if self.redaction else self.case.vars)

    def request(self) -> CompletionRequest:
        """What this item asks its model: one place, so the runner and the cost estimate
        (and its cache lookup) build the same request, tools included."""
        return CompletionRequest(
            model=self.model,
            messages=self.messages,
            params=self.params,
            repeat=self.repeat,
            vars=self.sent_vars,
            tools=self.tools,
            tool_choice=self.tool_choice,
        )

    @property
    def key(self) -> Key:
        return (self.suite.name, self.case.id, self.model.alias, self.prompt.ref, self.repeat)

    def __hash__(self) -> int:
        return hash(self.key)


@dataclass(frozen=True, slots=True)
class Plan:
    items: tuple[WorkItem, ...]
    suites: tuple[Suite, ...]
    models: dict[str, ModelSpec]
    prompts: dict[str, PromptTemplate] = field(default_factory=dict)
    repeat: int = 1
    shard: ShardInfo | None = None  # set when this plan is one slice of a larger one

    def __hash__(self) -> int:
        return id(self)

    def pending(self, done: set[Key]) -> Iterator[WorkItem]:
        return (i for i in self.items if i.key not in done)

    @property
    def over_limit(self) -> tuple[WorkItem, ...]:
        """Items over their model's max_input_tokens: journaled as errors, never sent."""
        return tuple(i for i in self.items if i.over_limit is not None)


def _prompts_of(project: Project, suite: Suite) -> list[PromptTemplate]:
    from llmeval.config.prompts import resolve_prompt

    refs = suite.prompts or ("inline",)
    return [resolve_prompt(project.prompts, ref, suite.location) for ref in refs]


def _over_limit(spec: ModelSpec, messages: tuple[Message, ...]) -> int | None:
    """Estimated input tokens if over the model's ``max_input_tokens``, else None."""
    if spec.max_input_tokens is None:
        return None
    from llmeval.providers.tokens import estimate_tokens

    n = estimate_tokens(spec, messages)
    return n if n > spec.max_input_tokens else None


def _selected(case: Case, tags: Sequence[str], pattern: Any) -> bool:
    if tags and not set(tags) & set(case.tags):
        return False
    if pattern is None:
        return True
    try:  # the regex module's timeout: a backtracking pattern is an error, not a hang
        return bool(
            pattern.search(case.id, timeout=1) or pattern.search(case.description, timeout=1)
        )
    except TimeoutError:
        raise UsageError(
            f"--filter: the pattern took over 1 s on case '{case.id[:60]}' (catastrophic backtracking?)"
        ) from None


def build_plan(
    project: Project,
    *,
    suites: Sequence[Suite] | None = None,
    models: Sequence[str] = (),
    tags: Sequence[str] = (),
    filter: str | None = None,
    repeat: int = 1,
) -> Plan:
    """Expand suites into work items. Raises ConfigErrors listing every problem."""
    from llmeval.config.sandbox import many_renders

    with many_renders():  # one render timer for the whole plan, not one per render
        return _build_plan(project, suites, models, tags, _filter_pattern(filter), repeat)


def _filter_pattern(filter: str | None) -> Any:
    if not filter:
        return None
    import regex  # only for --filter: its import is ~20 ms of every start

    try:
        return regex.compile(filter)
    except regex.error as e:
        raise UsageError(f"--filter: invalid regular expression: {e}") from None


def _build_plan(
    project: Project,
    suites: Sequence[Suite] | None,
    models: Sequence[str],
    tags: Sequence[str],
    pattern: Any,
    repeat: int,
) -> Plan:
    from llmeval.config.settings import resolve_model

    settings = project.settings
    build_ctx = BuildContext(root=project.root, judge=settings.judge)
    compiled: dict[tuple[str, AssertionSpec], CompiledAssertion] = {}
    errors: list[ConfigError] = []
    toolboxes: dict[Any, Any] = {}  # tools_impl files, imported and checked once
    items: list[WorkItem] = []
    model_specs: dict[str, ModelSpec] = {}
    prompt_map: dict[str, PromptTemplate] = {}
    chosen = list(suites) if suites is not None else list(project.suites.values())
    cli_specs = []
    for name in models:  # from -m: a typo there is the command line's, not a suite's
        try:
            cli_specs.append(resolve_model(settings, name, None))
        except ConfigError as e:
            raise UsageError(f"--model {name}: {e.message}") from None

    def compile_one(spec: AssertionSpec, suite: Suite) -> CompiledAssertion:
        # files a suite names (scorers, schemas) are looked for in its folder first
        key = (suite.path, spec)
        hit = compiled.get(key)
        if hit is None:
            ctx = replace(build_ctx, suite_dir=(project.root / suite.path).parent)
            defn, fn = registry.build(spec, ctx)
            hit = compiled[key] = CompiledAssertion(spec, defn, fn)
        return hit

    for suite in chosen:
        try:
            prompts = _prompts_of(project, suite)
            names = list(suite.models) or list(settings.default_models)
            specs = cli_specs or [resolve_model(settings, n, suite.location) for n in names]
        except ConfigError as e:
            errors.append(e)
            continue
        for spec in specs:
            model_specs[spec.alias] = spec
        for p in prompts:
            prompt_map[p.ref] = p
        for case in suite.cases:
            if not _selected(case, tags, pattern):
                continue
            try:
                asserts = tuple(compile_one(a, suite) for a in case.assertions)
            except ConfigError as e:
                errors.append(e)
                continue
            redacted: Redaction | None = None
            for prompt in prompts:
                tools = merge_tools(prompt.tools, suite.tools)
                tool_choice = suite.tool_choice or prompt.tool_choice
                # rendered once per prompt with the plain vars, once with the redacted ones
                rendered: dict[bool, tuple[Message, ...] | None] = {}
                for spec in specs:
                    redact = suite.redact or spec.redact
                    if redact and redacted is None:
                        redacted = redact_vars(case.vars)
                    redaction = redacted if redact else None
                    if redact not in rendered:
                        try:
                            rendered[redact] = render_opening(
                                prompt,
                                case,
                                redaction.vars if redaction else case.vars,
                                settings.render_limits,
                            )
                        except ConfigError as e:
                            if e.location is None:
                                e.location = case.location
                            if None not in rendered.values():  # one report per prompt
                                errors.append(e)
                            rendered[redact] = None
                    messages = rendered[redact]
                    if messages is None:
                        continue
                    agenda = None
                    if is_multistep(case, suite):
                        try:
                            agenda = plan_agenda(
                                case,
                                suite,
                                tools,
                                redaction.vars if redaction else case.vars,
                                settings.render_limits,
                                lambda a, s=suite: compile_one(a, s),  # type: ignore[misc]
                                toolboxes,
                                project.root,
                            )
                        except ConfigError as e:
                            if not any(x.message == e.message for x in errors):
                                errors.append(e)
                            continue
                    params = {**prompt.params, **spec.params}
                    over = _over_limit(spec, messages)
                    for r in range(repeat):
                        items.append(
                            WorkItem(
                                suite,
                                case,
                                spec,
                                prompt,
                                r,
                                messages,
                                params,
                                asserts,
                                redaction=redaction,
                                over_limit=over,
                                tools=tools,
                                tool_choice=tool_choice,
                                agenda=agenda,
                            )
                        )
    if errors:
        raise ConfigErrors(errors)
    return Plan(tuple(items), tuple(chosen), model_specs, prompt_map, repeat)
