"""Prompt rendering is bounded: templates that would allocate gigabytes or spin for
hours stop with a clear ConfigError, in little memory and a few seconds; ordinary
templates render exactly as Jinja renders them."""

from __future__ import annotations

import resource
import time

import pytest
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from llmeval.config.templating import render_messages
from llmeval.domain.prompt import Message, PromptTemplate, RenderLimits
from llmeval.errors import ConfigError


def _prompt(source: str) -> PromptTemplate:
    return PromptTemplate("p", 1, (Message("user", source),), "sha")


BOMBS = {
    "string repeat": "{{ 'A' * 3000000000 }}",
    "var repeat": "{{ q * 3000000000 }}",
    "list repeat": "{{ ([q] * 100000) * 100000 }}",
    "center filter": "{{ 'A'|center(3000000000) }}",
    "center method": "{{ 'A'.center(3000000000) }}",
    "percent width": "{{ '%3000000000d' % 1 }}",
    "format width": "{{ '{:>3000000000}'.format(1) }}",
    "format filter": "{{ '%3000000000s'|format(1) }}",
    "replace filter": "{% set s = 'A' * 100000 %}{{ s|replace('A', s) }}",
    "replace method": "{% set s = 'A' * 100000 %}{{ s.replace('A', s) }}",
    "join separator": "{{ range(100000)|join('A' * 100000) }}",
    "join generator": "{{ ('A' * 100000).join(range(100000)|map('string')) }}",
    "indent": "{% set s = 'a\n' * 100000 %}{{ s|indent('A' * 100000) }}",
    "wordwrap": "{% set s = 'a ' * 100000 %}{{ s|wordwrap(1, wrapstring='A' * 100000) }}",
    "map of big values": "{{ range(100000)|map('string')|map('center', 900000)|join }}",
    "namespace doubling": "{% set ns = namespace(s='AB') %}{% for i in range(64) %}"
    "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
    "namespace plus": "{% set ns = namespace(s='AB') %}{% for i in range(64) %}"
    "{% set ns.s = ns.s + ns.s %}{% endfor %}",
    "set block": "{% set s = 'x' * 900000 %}{% set a %}{% for i in range(100000) %}{{ s }}"
    "{% endfor %}{% endset %}{{ a|length }}",
    "output stream": "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
    "nested range loop": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "loop over strings": "{% set s = 'x' * 100000 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}",
    "big integer": "{% set ns = namespace(x=7) %}{% for i in range(40) %}{% set ns.x = ns.x * ns.x %}{% endfor %}",
    "power": "{{ 7 ** 100000000 }}",
    "list append": "{% set l = [] %}{% for i in range(100000) %}{{ l.append('A' * 100000) }}{% endfor %}",
    "dict update": "{% set d = {} %}{{ d.update(a=1) }}",
    "macro recursion": "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
}


@pytest.mark.parametrize("source", list(BOMBS.values()), ids=list(BOMBS))
def test_bombs_stop_with_a_config_error_fast_and_small(source: str) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.process_time()
    with pytest.raises(ConfigError) as e:
        render_messages(_prompt(source), {"q": "hey"})
    # CPU seconds: under pytest-timeout (which holds SIGALRM) the backstop timer is
    # the CPU-time one, and the machine may be shared; the CLI uses wall time
    assert time.process_time() - start < 5.0
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200
    assert str(e.value).startswith("prompt p@v1")
    assert "\n" not in str(e.value)


def test_limits_are_configurable() -> None:
    small = RenderLimits(max_chars=10, timeout_s=0.5)
    with pytest.raises(ConfigError, match="over the limit of 10 characters"):
        render_messages(_prompt("{{ q }}"), {"q": "x" * 11}, small)
    assert render_messages(_prompt("{{ q }}"), {"q": "x" * 10}, small)[0].content == "x" * 10
    start = time.process_time()
    with pytest.raises(ConfigError, match=r"longer than 0\.5 s"):
        render_messages(_prompt(BOMBS["nested range loop"]), {}, small)
    assert time.process_time() - start < 3.0


def test_an_over_the_limit_message_has_no_location_for_the_plan_to_place() -> None:
    with pytest.raises(ConfigError) as e:
        render_messages(_prompt(BOMBS["string repeat"]), {})
    assert e.value.location is None  # the plan puts it at the case's file:line


ORDINARY = [
    "Q: {{ q }}",
    "{{ 'ab' * 3 }} {{ [1, 2] * 2 }} {{ 2 ** 10 }} {{ 7 * 6 }} {{ 'a' + 'b' }} {{ '%05.1f' % 3.14159 }}",
    "{% for i in range(3) %}{{ loop.index }}:{{ i }} {% endfor %}{{ range(5)|list|length }}",
    "{{ q|upper|center(11) }}|{{ q.ljust(6) }}|{{ '{:>6}'.format(q) }}|{{ '%s!'|format(q) }}",
    "{{ [1, 2, 3]|join(', ') }} {{ range(3)|map('string')|join('-') }} {{ ' '.join(['a', 'b']) }}",
    "{{ 'a b c'|replace(' ', '_') }} {{ 'x\ny'|indent(2, first=true) }} {{ 'a b c d'|wordwrap(3) }}",
    "{% set ns = namespace(n=0) %}{% for x in [1, 2, 3] %}{% set ns.n = ns.n + x %}{% endfor %}{{ ns.n }}",
    "{% macro m(x) %}<{{ x }}>{% endmacro %}{{ m(q) }}{% set block %}[{{ q }}]{% endset %}{{ block }}",
    "{% filter upper %}{{ q }} shout{% endfilter %} {{ {'b': 1, 'a': 2}|dictsort }} {{ q|tojson }}",
    "{{ q if q is defined else 'none' }} {{ [3, 1, 2]|sort|first }} {{ range(10)|batch(3)|list }}",
]


@pytest.mark.parametrize("source", ORDINARY)
def test_ordinary_templates_render_as_jinja_renders_them(source: str) -> None:
    plain = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    want = plain.from_string(source).render(q="hey")
    assert render_messages(_prompt(source), {"q": "hey"})[0].content == want


def test_one_timer_for_many_renders_still_stops_each_slow_render() -> None:
    """``many_renders`` (what the plan wraps round its 1,000s of renders) keeps one
    periodic timer: a render past its own deadline still stops; the renders before
    and after it are unaffected; the signal handler and timer are restored after."""
    import signal

    from llmeval.config.sandbox import many_renders

    small = RenderLimits(timeout_s=0.3)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGALRM, signal.SIGPROF)}

    def timers_now() -> dict[
        int, tuple[bool, float]
    ]:  # (armed, interval): pytest-timeout's counts down
        return {
            t: (signal.getitimer(t)[0] > 0, signal.getitimer(t)[1])
            for t in (signal.ITIMER_REAL, signal.ITIMER_PROF)
        }

    timers = timers_now()
    with many_renders():
        armed = [signal.getitimer(t)[1] for t in timers]
        assert 0.25 in armed  # one periodic timer, not one per render
        assert render_messages(_prompt("{{ q }}"), {"q": "a"}, small)[0].content == "a"
        start = time.process_time()
        with pytest.raises(ConfigError, match=r"longer than 0\.3 s"):
            render_messages(_prompt(BOMBS["nested range loop"]), {}, small)
        assert time.process_time() - start < 3.0
        assert render_messages(_prompt("{{ q }}"), {"q": "b"}, small)[0].content == "b"
    assert {s: signal.getsignal(s) for s in handlers} == handlers
    assert timers_now() == timers
