"""Safe YAML loading that remembers where every key and value came from.

Mappings and sequences load as ``YamlMap`` / ``YamlList`` (see ``config.nodes``).
Duplicate keys are errors (pyyaml silently keeps the last one). Only the safe tag
set is accepted; syntax errors are reported as ``file:line:col``.

Values that JSON cannot hold follow one rule, so nothing downstream (the journal, the
cache, the report) meets a type it cannot write:

- a date or datetime (``2024-05-01``, ``2024-05-01 10:00:00``) stays the string as
  written; quote it or not, ``expected: 2024-05-01`` compares as that text;
- ``!!binary``, ``!!set``, ``!!omap``, ``!!pairs`` and every ``!!python/...`` or custom
  tag is an error at its line.

Alias expansion and nesting depth are bounded (``config.limits``): a "billion laughs"
file or a 1,000-level nest is an error at its line, found fast and in little memory.
A YAML 1.1 word boolean (``yes``, ``No``, ``on``, ``OFF``...) written as a ``vars``
value is still read as true/false, with a warning, since it was likely meant as text
(``y`` / ``n`` are text, as pyyaml reads them). With ``core_schema`` (YAML 1.2, for
promptfoo's files) such a word is the text, with a warning saying so.
"""

from __future__ import annotations

import gc
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import yaml
from yaml import events as ev

from llmeval.config.limits import MAX_ALIAS_EXPANSION, MAX_ALIASES, MAX_DEPTH, measure
from llmeval.config.nodes import YamlList, YamlMap, locate
from llmeval.domain.location import Location
from llmeval.errors import ConfigError, ConfigErrors, ConfigWarning

__all__ = ["YamlList", "YamlMap", "gc_paused", "load_yaml", "locate", "parse_yaml"]

# libyaml's parser is ~10x faster; the constructor stays in Python either way
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_BINARY = "tag:yaml.org,2002:binary"
_JSON_BOOLS = frozenset(("true", "false", "True", "False", "TRUE", "FALSE"))
# what pyyaml's YAML 1.1 resolver reads as booleans beyond true/false (not y / n)
_WORD_BOOLS = frozenset(
    w for b in ("yes", "no", "on", "off") for w in (b, b.capitalize(), b.upper())
)
_MERGE = "tag:yaml.org,2002:merge"
_PLAIN_TAGS = (None, "!")
_MAP_TAGS = (*_PLAIN_TAGS, "tag:yaml.org,2002:map")
_SEQ_TAGS = (*_PLAIN_TAGS, "tag:yaml.org,2002:seq")
_NOKEY = object()


def _core_loader() -> Any:
    """The safe loader with YAML 1.2 (core schema) booleans: only true/false.

    promptfoo reads its config with js-yaml, for which ``Yes``, ``no``, ``on`` are
    strings; pyyaml's YAML 1.1 resolver would make them booleans.
    """
    import re

    bool_tag = "tag:yaml.org,2002:bool"
    resolvers = {
        first: [(tag, rx) for tag, rx in entries if tag != bool_tag]
        for first, entries in _Base.yaml_implicit_resolvers.items()
    }
    core = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
    for first in "tTfF":
        resolvers.setdefault(first, []).insert(0, (bool_tag, core))
    return type("CoreSafeLoader", (_Base,), {"yaml_implicit_resolvers": resolvers})


class _Frame:
    """An open mapping or sequence while the event stream is walked."""

    __slots__ = ("anchor", "key", "kmark", "merges", "obj")

    def __init__(self, obj: YamlMap | YamlList, anchor: str | None) -> None:
        self.obj = obj
        self.anchor = anchor
        self.key: Any = _NOKEY
        self.kmark = (1, 1)
        self.merges: list[tuple[Any, tuple[int, int]]] = []


class _Builder:
    """Builds located data straight from libyaml's event stream.

    pyyaml's composer + constructor cost ~2 s for a 10k-case suite; walking the
    events (still parsed by libyaml, scalars still resolved and constructed by the
    safe resolver/constructor) takes a fifth of that.
    """

    # process-wide memos: resolving a tag or building an int depends only on the text
    _scalars: dict[tuple[Any, ...], Any] = {}  # noqa: RUF012
    _tags: dict[tuple[Any, ...], str] = {}  # noqa: RUF012

    def __init__(
        self,
        text: str,
        file: str,
        loader: Any = None,
        warnings: list[ConfigError] | None = None,
    ) -> None:
        self.loader = (loader or _Base)(text)
        self.core = loader is not None
        self.file = file
        self.lines = text.splitlines()
        self.problems: list[ConfigError] = []
        self.warnings = warnings
        self.anchors: dict[str, Any] = {}
        self.aliases = 0  # alias uses so far
        self.expanded = 0  # what they add once expanded (config.limits.measure)
        self.sizes: dict[int, tuple[int, int]] = {}  # measure's memo

    def _fail(self, message: str, mark: Any) -> NoReturn:
        raise yaml.MarkedYAMLError(problem=message, problem_mark=mark)

    def _refuse(self, message: str, mark: Any) -> NoReturn:
        """Valid YAML that llmeval will not take (a limit, a type JSON cannot hold)."""
        raise _Refused(problem=message, problem_mark=mark)

    def _mark(self, e: Any) -> tuple[int, int]:
        """1-based position; a block scalar (| or >) points at its first content line."""
        line, col = e.start_mark.line + 1, e.start_mark.column + 1
        if getattr(e, "style", None) in ("|", ">") and line < len(self.lines):
            text = self.lines[line]  # the next line (0-based index == 1-based line)
            return line + 1, len(text) - len(text.lstrip(" ")) + 1
        return line, col

    def _scalar(self, e: Any) -> Any:
        tag = e.tag
        if tag in _PLAIN_TAGS:
            if not e.implicit[0]:
                return e.value  # quoted: always a string
            tag = self._resolve(e.value, e.implicit)
        if tag in (_STR, _MERGE, _TIMESTAMP):  # a merge key '<<' is recognised by _attach
            return e.value  # a date stays the text as written (see the module docstring)
        if tag == _BINARY:
            self._refuse(
                "binary data (!!binary) cannot be used here; write it as text", e.start_mark
            )
        key = (tag, e.value)
        if key in self._scalars:
            return self._scalars[key]
        ctor = yaml.SafeLoader.yaml_constructors.get(tag)
        if ctor is None:
            self._fail(_unsupported(tag), e.start_mark)
        node = yaml.ScalarNode(tag, e.value, e.start_mark, e.end_mark, e.style)
        value = ctor(self.loader, node)
        if len(self._scalars) < 100_000:
            self._scalars[key] = value
        return value

    def _resolve(self, value: str, implicit: Any) -> str:
        k = (value, implicit, self.core)
        tag = self._tags.get(k)
        if tag is None:
            tag = self.loader.resolve(yaml.ScalarNode, value, implicit)
            if len(self._tags) < 100_000:
                self._tags[k] = tag
        return tag  # type: ignore[no-any-return]

    def _container(self, e: Any, kind: type[YamlMap] | type[YamlList], depth: int) -> _Frame:
        if depth >= MAX_DEPTH:
            self._refuse(f"nested more than {MAX_DEPTH} levels deep", e.start_mark)
        if e.tag not in (_MAP_TAGS if kind is YamlMap else _SEQ_TAGS):
            self._fail(_unsupported(e.tag), e.start_mark)
        obj = kind()
        obj.file = self.file
        obj.line, obj.col = e.start_mark.line + 1, e.start_mark.column + 1
        return _Frame(obj, e.anchor)

    def build(self) -> Any:
        get = self.loader.get_event
        stack: list[_Frame] = []
        docs = 0
        root: Any = None
        while True:
            e = get()
            c = e.__class__
            if c is ev.ScalarEvent:
                value, mark, is_merge = self._scalar(e), self._mark(e), False
                if e.anchor:
                    self.anchors[e.anchor] = value
                if e.tag in _PLAIN_TAGS and e.implicit[0] and value == "<<":
                    is_merge = self._resolve("<<", e.implicit) == _MERGE
                elif value.__class__ is bool and e.value not in _JSON_BOOLS:
                    self._word_bool(e, stack)
                elif (
                    self.core and value.__class__ is str and value in _WORD_BOOLS and e.implicit[0]
                ):  # unquoted (a plain scalar)
                    self._word_bool(e, stack)
            elif c is ev.MappingStartEvent:
                stack.append(self._container(e, YamlMap, len(stack)))
                continue
            elif c is ev.SequenceStartEvent:
                stack.append(self._container(e, YamlList, len(stack)))
                continue
            elif c is ev.MappingEndEvent or c is ev.SequenceEndEvent:
                frame = stack.pop()
                if frame.merges:
                    self._merge(frame)
                value, mark, is_merge = frame.obj, (frame.obj.line, frame.obj.col), False
                if frame.anchor:
                    self.anchors[frame.anchor] = value
            elif c is ev.AliasEvent:
                if e.anchor not in self.anchors:
                    self._fail(f"found undefined alias '{e.anchor}'", e.start_mark)
                value, mark, is_merge = self.anchors[e.anchor], self._mark(e), False
                self._expand(value, e, len(stack))
            elif c is ev.DocumentStartEvent:
                docs += 1
                if docs > 1:
                    self._fail("expected a single document in the file", e.start_mark)
                continue
            elif c is ev.StreamEndEvent:
                return root
            else:
                continue
            if not stack:
                root = value
            else:
                self._attach(stack[-1], value, mark, is_merge)

    def _expand(self, value: Any, e: Any, depth: int) -> None:
        """Count one alias use against the limits of ``config.limits``."""
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            self._refuse(f"more than {MAX_ALIASES} alias uses in one file", e.start_mark)
        size, height = measure(value, self.sizes)
        self.expanded += size
        if self.expanded > MAX_ALIAS_EXPANSION:
            self._refuse(
                f"aliases expand to more than {MAX_ALIAS_EXPANSION:,} nodes and characters "
                f"(alias '*{e.anchor}'; an alias bomb?)",
                e.start_mark,
            )
        if depth + height > MAX_DEPTH:
            msg = f"alias '*{e.anchor}' makes the data nested more than {MAX_DEPTH} levels deep"
            self._refuse(msg, e.start_mark)

    def _word_bool(self, e: Any, stack: list[_Frame]) -> None:
        """Warn about ``yes``/``no``/``on``/``off`` as the value of a var: YAML 1.1
        reads it as true/false, which is rarely what a prompt variable meant."""
        if self.warnings is None or len(stack) < 2:
            return
        top, parent = stack[-1], stack[-2]
        if isinstance(top.obj, YamlMap) and top.key is not _NOKEY and parent.key == "vars":
            line, col = self._mark(e)
            as_bool = str(e.value.lower() in ("y", "yes", "on", "true")).lower()
            if self.core:  # js-yaml's reading (promptfoo): the text, which 1.1 would not keep
                msg = (
                    f"var '{top.key}' is the word {e.value!r}: read as the text "
                    f'"{e.value}" (YAML 1.2, as promptfoo does), where YAML 1.1 reads {as_bool}'
                )
            else:
                msg = (
                    f"var '{top.key}' is the word {e.value!r}, which YAML reads as "
                    f'{as_bool}; quote it ("{e.value}") if you meant the text'
                )
            self.warnings.append(ConfigWarning(msg, Location(self.file, line, col)))

    def _attach(self, top: _Frame, value: Any, mark: tuple[int, int], is_merge: bool) -> None:
        obj = top.obj
        if isinstance(obj, YamlList):
            obj.append(value)
            obj.marks.append(mark)
        elif top.key is _NOKEY:
            if is_merge:
                top.key = _MERGE
            elif not isinstance(value, Hashable):
                self._fail("a mapping key must be a plain value", _FakeMark(mark))
            else:
                top.key = value
            top.kmark = mark
        else:
            key, top.key = top.key, _NOKEY
            if key is _MERGE:
                top.merges.append((value, mark))
            elif key in obj:
                where = Location(self.file, *top.kmark)
                self.problems.append(ConfigError(f"duplicate key '{key}'", where))
            else:
                obj[key] = value
                obj.marks[key] = (*top.kmark, *mark)

    def _merge(self, frame: _Frame) -> None:
        """YAML merge keys: own keys win, then earlier merged mappings over later ones."""
        obj = frame.obj
        assert isinstance(obj, YamlMap)  # only mappings hold '<<'
        own, own_marks = dict(obj), dict(obj.marks)
        obj.clear()
        for value, mark in frame.merges:
            for src in value if isinstance(value, list) else [value]:
                if not isinstance(src, YamlMap):
                    msg = "'<<' (merge) needs a mapping or a list of mappings"
                    self._fail(msg, _FakeMark(mark))
                for k, v in src.items():
                    if k not in obj:
                        obj[k] = v
                        obj.marks[k] = src.marks[k]
        for k, v in own.items():
            obj[k] = v
            obj.marks[k] = own_marks[k]


class _Refused(yaml.MarkedYAMLError):
    pass


def _unsupported(tag: str) -> str:
    short = tag.replace("tag:yaml.org,2002:", "!!")
    return f"unsupported YAML tag '{short}' (only plain YAML is read)"


class _FakeMark:
    """A mark for errors found after parsing (positions are already 1-based)."""

    def __init__(self, mark: tuple[int, int]) -> None:
        self.line, self.column = mark[0] - 1, mark[1] - 1


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold the cyclic GC while building many small containers that all stay alive:
    its repeated passes over them cost a third of loading a 10k-case suite."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def parse_yaml(
    text: str,
    file: str,
    warnings: list[ConfigError] | None = None,
    *,
    core_schema: bool = False,
) -> Any:
    """Parse ``text``; ``file`` is the name used in locations. Raises ConfigErrors.

    ``warnings`` (when given) receives ``ConfigWarning``s: things that load but look
    unintended. ``core_schema``: YAML 1.2 booleans (``yes``/``no`` stay strings), as
    js-yaml reads.
    """
    builder = _Builder(text, file, _core_loader() if core_schema else None, warnings)
    try:
        with gc_paused():
            data = builder.build()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        what = e.problem or e.context or "invalid YAML"
        if e.context and e.context_mark and e.problem_mark and e.context_mark != e.problem_mark:
            what += f" ({e.context} started at line {e.context_mark.line + 1})"
        err = ConfigError(what if isinstance(e, _Refused) else f"YAML syntax error: {what}", where)
        raise ConfigErrors([*builder.problems, err]) from None
    except yaml.reader.ReaderError as e:  # a control character (NUL, ESC...) in the text
        pos = max(0, min(int(e.position), len(text)))
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        msg = f"character {e.character:#04x} is not allowed in YAML ({e.reason}); escape it in a double-quoted string"
        raise ConfigErrors([ConfigError(msg, Location(file, line, col))]) from None
    except yaml.YAMLError as e:
        raise ConfigErrors([ConfigError(f"YAML error: {e}", Location(file))]) from None
    finally:
        builder.loader.dispose()
    if builder.problems:
        raise ConfigErrors(builder.problems)
    return data


def load_yaml(
    path: Path, file: str, warnings: list[ConfigError] | None = None, *, core_schema: bool = False
) -> Any:
    """Read and parse one YAML file. ``file`` is its project-relative name for messages."""
    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        where = Location(file, line, e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1)
        raise ConfigErrors([ConfigError(f"not UTF-8 text: {e.reason}", where)]) from None
    except OSError as e:
        raise ConfigErrors(
            [ConfigError(f"cannot read file: {e.strerror}", Location(file))]
        ) from None
    return parse_yaml(text, file, warnings, core_schema=core_schema)
