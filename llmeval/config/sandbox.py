"""The Jinja2 environment prompts render in: sandboxed, immutable and bounded.

Jinja's own sandbox stops attribute escapes but not resource exhaustion:
``{{ 'A' * 3000000000 }}`` allocates 3 GB (at compile time, by constant folding),
two nested ``range(100000)`` loops spin 10^10 times, and ``list.append`` in a loop
grows without end. Here:

- mutating methods of lists, dicts and sets are refused (``ImmutableSandboxedEnvironment``);
- ``*``, ``**``, ``+`` and ``%`` are intercepted and refused *before* they would build a
  value over ``max_chars`` (also stops constant folding of them);
- calls and filters that grow text from small arguments (``center``, ``indent``,
  ``replace``, ``join``, format widths...) are checked the same way, and every value
  a call returns or a ``namespace`` is given is bounded;
- the buffers of ``{% set %}`` blocks, macros and the output stream are bounded;
- time: every attribute access, call, operator and ``range`` step checks the
  deadline; as a backstop for loops that touch none of them, a timer signal
  (``SIGALRM``, else ``SIGPROF``; main thread only, when free) interrupts the render.

The limits of the render in progress are held in a context variable set by
``metered``: the environment is shared and cached, the limits belong to one render.
"""

from __future__ import annotations

import contextlib
import functools
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range
from jinja2.utils import Namespace

from llmeval.domain.prompt import RenderLimits


class RenderLimitError(Exception):
    """A template went over ``RenderLimits`` (size or time)."""


class _Meter:
    __slots__ = ("active", "built", "deadline", "limits")

    def __init__(self, limits: RenderLimits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.timeout_s
        self.active = True
        self.built = 0  # characters of every value calls and operators returned


# what one render may build in all (each value alone is bounded by max_chars): bounds
# a generator of big values, e.g. range(100000)|map('center', 900000)
_BUDGET = 16


_DEFAULT = RenderLimits()
_meter: ContextVar[_Meter | None] = ContextVar("llmeval_render_meter", default=None)


def _limit() -> int:
    m = _meter.get()
    return (m.limits if m else _DEFAULT).max_chars


def _tick() -> None:
    m = _meter.get()
    if m is not None and time.monotonic() > m.deadline:
        raise RenderLimitError(f"rendering took longer than {m.limits.timeout_s:g} s")


def _too_big(what: str) -> RenderLimitError:
    return RenderLimitError(f"{what} would be over the limit of {_limit():,} characters")


def _bounded(value: Any) -> Any:
    """``value`` if it is within the size limit (str, list, dict, bytes or int), counted
    against the render's budget."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > 4 * _limit():  # ~1.2 digits per 4 bits
            raise _too_big("a number")
    elif isinstance(value, str | list | tuple | dict | set | bytes):
        if len(value) > _limit():
            raise _too_big("a value")
        m = _meter.get()
        if m is not None:
            m.built += len(value)
            if m.built > _BUDGET * m.limits.max_chars:
                raise RenderLimitError(
                    f"the template builds more than {_BUDGET * m.limits.max_chars:,} characters"
                )
    return value


def _size(x: Any) -> int:
    return len(x) if isinstance(x, str | list | tuple | bytes) else 0


def _sized(x: Any) -> Any:
    """``x`` with a length: a generator (``map``, ``select``...) read into a tuple."""
    if hasattr(x, "__len__") or not hasattr(x, "__iter__"):
        return x
    out = []
    for item in x:
        out.append(item)
        if len(out) > _limit():
            raise _too_big("a sequence")
    return tuple(out)


_NUMBER = re.compile(r"\d{4,}")


def _check_format(fmt: Any) -> None:
    """A format string (``%`` or ``str.format``) with a width or precision over the limit."""
    if isinstance(fmt, str) and any(int(n) > _limit() for n in _NUMBER.findall(fmt)):
        raise _too_big("a formatted value")


def _check_binop(op: str, left: Any, right: Any) -> None:
    limit = _limit()
    if op == "*":
        for seq, n in ((left, right), (right, left)):
            if _size(seq) and isinstance(n, int) and _size(seq) * n > limit:
                raise _too_big("a repeated value")
        ints = isinstance(left, int) and isinstance(right, int)
        if ints and left.bit_length() + right.bit_length() > 4 * limit:
            raise _too_big("a number")
    elif op == "**":
        ints = isinstance(left, int) and isinstance(right, int) and right > 0
        if ints and abs(left) > 1 and left.bit_length() * right > 4 * limit:
            raise _too_big("a number")
    elif op == "+":
        if _size(left) + _size(right) > limit:
            raise _too_big("a joined value")
    elif op == "%":
        _check_format(left)


_WIDTH_NAMES = frozenset(("center", "ljust", "rjust", "zfill", "expandtabs", "indent", "wordwrap"))


def _check_call(name: str, target: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse a call whose result would be over the limit, judged from its arguments.

    ``target`` is the text the call works on (a method's ``self``, a filter's first
    argument); ``args`` the other arguments.
    """
    limit = _limit()
    values = (*args, *kwargs.values())
    if name in _WIDTH_NAMES:
        if any(isinstance(v, int) and not isinstance(v, bool) and v > limit for v in values):
            raise _too_big(f"'{name}'")
        if isinstance(target, str):  # indent's width and wordwrap's wrapstring may be text
            pad = max((len(v) for v in values if isinstance(v, str)), default=0)
            if pad * (target.count("\n") + target.count(" ") + 1) > limit:
                raise _too_big(f"'{name}'")
    elif name == "replace" and isinstance(target, str) and len(args) >= 2:
        old, new = args[0], args[1]
        if isinstance(old, str) and isinstance(new, str) and len(new) > len(old):
            hits = target.count(old) if old else len(target) + 1
            if len(target) + hits * (len(new) - len(old)) > limit:
                raise _too_big("'replace'")
    elif name == "join":
        # str.join (target: the separator) or the join filter (target: the sequence);
        # a generator was made a tuple by the caller (_sized)
        other = args[0] if args else kwargs.get("d", "")
        items, sep = (other, target) if isinstance(target, str) else (target, other)
        if hasattr(items, "__len__") and isinstance(sep, str):
            total = len(sep) * len(items)
            if not isinstance(items, range):
                total += sum(len(x) for x in items if isinstance(x, str))
            if total > limit:
                raise _too_big("'join'")
    elif name in ("format", "format_map"):
        _check_format(target)


def _guard_filter(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    # a filter marked pass_context / pass_environment gets that as its first argument
    skip = 1 if hasattr(fn, "jinja_pass_arg") else 0

    @functools.wraps(fn)  # keeps jinja_pass_arg, so Jinja still passes it
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        if name == "join" and len(args) > skip:
            args = (*args[:skip], _sized(args[skip]), *args[skip + 1 :])
        data = args[skip:]
        if data:
            _check_call(name, data[0], tuple(data[1:]), kwargs)
        return _bounded(fn(*args, **kwargs))

    return guarded


class _Range:
    """``range`` for templates: Jinja's bounded one, checking the deadline as it goes."""

    __slots__ = ("r",)

    def __init__(self, *args: int) -> None:
        self.r = safe_range(*args)

    def __iter__(self) -> Iterator[int]:
        for i, x in enumerate(self.r):
            if not i & 1023:
                _tick()
            yield x

    def __len__(self) -> int:
        return len(self.r)

    def __getitem__(self, i: Any) -> Any:
        return self.r[i]

    def __contains__(self, x: Any) -> bool:
        return x in self.r

    def __reversed__(self) -> Iterator[int]:
        return reversed(self.r)


class _BoundedNamespace(Namespace):
    """``namespace()``: the one mutable object templates get; its values are bounded."""

    def __setitem__(self, name: str, value: Any) -> None:
        _tick()
        super().__setitem__(name, _bounded(value))


def _bounded_concat(parts: Any) -> str:
    """Jinja's ``concat`` for block buffers (``{% set %}``, macros, filter blocks)."""
    limit, n, out = _limit(), 0, []
    for p in parts:
        n += len(p)
        if n > limit:
            raise _too_big("a block of the template")
        out.append(p)
    return "".join(out)


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset(("*", "**", "+", "%"))
    concat = staticmethod(_bounded_concat)  # type: ignore[assignment]

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.globals["range"] = _Range
        self.globals["namespace"] = _BoundedNamespace
        self.filters = {k: _guard_filter(k, f) for k, f in self.filters.items()}

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _tick()
        _check_binop(operator, left, right)
        return _bounded(super().call_binop(context, operator, left, right))

    def getattr(self, obj: Any, attribute: str) -> Any:
        _tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _tick()
        return super().getitem(obj, argument)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _tick()
        name = getattr(__obj, "__name__", "")
        if name == "join" and args:
            args = (_sized(args[0]), *args[1:])
        inner = getattr(__obj, "__wrapped__", __obj)  # the sandbox wraps str.format
        _check_call(name, getattr(inner, "__self__", None), args, kwargs)
        return _bounded(super().call(__context, __obj, *args, **kwargs))


def render_bounded(template: Any, context: dict[str, Any], limits: RenderLimits) -> str:
    """``template.render(context)`` within ``limits``; raises RenderLimitError."""
    with metered(limits):
        out: list[str] = []
        n = 0
        for chunk in template.generate(context):
            n += len(chunk)
            if n > limits.max_chars:
                raise RenderLimitError(
                    f"the rendered message is over the limit of {limits.max_chars:,} characters"
                )
            out.append(chunk)
        return "".join(out)


@contextlib.contextmanager
def metered(limits: RenderLimits) -> Iterator[None]:
    meter = _Meter(limits)
    token = _meter.set(meter)
    # inside ``many_renders`` its one periodic timer watches this render; else arm one
    stop = _disarmed if _watching else _alarm(meter)
    try:
        yield
    finally:
        meter.active = False
        stop()
        _meter.reset(token)


def _disarmed() -> None:
    return None


_watching = False  # True while ``many_renders`` has its timer armed
_WATCH_PERIOD_S = 0.25


@contextlib.contextmanager
def many_renders() -> Iterator[None]:
    """One timer for a batch of renders (a plan's 1,000s): a periodic tick that stops
    the current render once it is past its deadline, instead of a signal handler and a
    timer set and cleared around each render (6 system calls each). Each render still
    has its own deadline; it may overrun it by up to one period."""
    global _watching
    if _watching:
        yield
        return
    slot = _free_timer()
    if slot is None:
        yield
        return
    signum, timer = slot

    def on_tick(signum: int, frame: Any) -> None:
        m = _meter.get()
        if m is not None and m.active and time.monotonic() > m.deadline + _WATCH_PERIOD_S:
            raise RenderLimitError(f"rendering took longer than {m.limits.timeout_s:g} s")

    previous = signal.signal(signum, on_tick)
    signal.setitimer(timer, _WATCH_PERIOD_S, _WATCH_PERIOD_S)
    _watching = True
    try:
        yield
    finally:
        _watching = False
        signal.setitimer(timer, 0)
        signal.signal(signum, previous)


def _free_timer() -> tuple[int, int] | None:
    """A (signal, timer) this thread may use: wall-clock SIGALRM, else CPU-time SIGPROF
    (e.g. when pytest-timeout holds SIGALRM); None off the main thread or if both are
    taken."""
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        return None
    for signum, timer in (
        (signal.SIGALRM, signal.ITIMER_REAL),
        (signal.SIGPROF, signal.ITIMER_PROF),
    ):
        if signal.getsignal(signum) in (signal.SIG_DFL, None) and signal.getitimer(timer) == (
            0.0,
            0.0,
        ):
            return signum, timer
    return None


def _alarm(meter: _Meter) -> Callable[[], None]:
    """Interrupt the render after its time (plus a margin), if a timer is free
    (``_free_timer``). Returns the function that disarms it."""
    slot = _free_timer()
    if slot is None:
        return _disarmed
    signum, timer = slot

    def on_alarm(signum: int, frame: Any) -> None:
        if meter.active:
            raise RenderLimitError(f"rendering took longer than {meter.limits.timeout_s:g} s")

    previous = signal.signal(signum, on_alarm)
    signal.setitimer(timer, meter.limits.timeout_s + 0.25)

    def stop() -> None:
        signal.setitimer(timer, 0)
        signal.signal(signum, previous)

    return stop
