"""The single-file HTML report: ``render_html`` builds it, ``write_report`` writes it.

Safety model, in one place:

- every string from a run (outputs, ids, names, reasons, errors) reaches the page
  either through Jinja2 autoescaping (the server-rendered summary) or as JSON data that
  the page's script renders with ``textContent`` and DOM APIs only;
- the JSON sits in ``<script type="application/json">`` with ``<``, ``>``, ``&`` and
  U+2028/U+2029 escaped, so no value can close the element;
- a strict Content-Security-Policy allows exactly our inline script and style (by
  SHA-256, computed here), no network at all, and Trusted Types forbid HTML sinks;
- invisible and bidi-control characters are shown as visible ``⟨U+202E⟩`` markers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape

from llmeval.analysis.gate import Verdict
from llmeval.domain.record import CaseResult
from llmeval.report import html_payload, html_reasons, html_view

_TEMPLATES = Path(__file__).parent / "templates"

# Characters a reader cannot see but that change what text means or how it reads.
INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb"
    "\U000e0000-\U000e007f]"
)
_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_JSON_UNSAFE = re.compile("[<>&\u2028\u2029]")


def marker(ch: str) -> str:
    return f"⟨U+{ord(ch):04X}⟩"


# Where an id may wrap: after these separators, never inside a word (the page's CSS
# has no ``overflow-wrap: anywhere`` on ids). report.js has the same rule (BREAK_AFTER).
_BREAK_AFTER = re.compile(r"([-/_.@])")
# In free text (reasons, notes) spaces and hyphens already wrap; ids inside it may also
# wrap after / _ @ and a dot before a letter (not the one in "0.25").
_TEXT_BREAK_AFTER = re.compile(r"([/_@]|\.(?=[A-Za-z]))")


def visible(value: Any, breaks: re.Pattern[str] | None = None) -> Markup:
    """Escape a value for HTML and show invisible characters as marked code points.

    ``breaks``: a ``<wbr>`` goes after each match. It is inserted into the already
    escaped text (entities hold none of ``-/_.@``), so the value stays data."""
    text = "" if value is None else str(value)
    out, last = [], 0

    def plain(segment: str) -> Markup:
        escaped = str(escape(segment))
        return Markup(breaks.sub(r"\1<wbr>", escaped) if breaks else escaped)

    for m in INVISIBLE.finditer(text):
        out.append(plain(text[last : m.start()]))
        out.append(Markup('<span class="cc">%s</span>') % marker(m.group()))
        last = m.end()
    out.append(plain(text[last:]))
    return Markup("").join(out)


def ident(value: Any) -> Markup:
    """An id (case, suite, model, prompt, run): escaped, breakable only at separators."""
    return visible(value, _BREAK_AFTER)


def prose(value: Any) -> Markup:
    """Free text that names ids (a reason, a note): wraps at spaces and in its ids."""
    return visible(value, _TEXT_BREAK_AFTER)


def embed_json(value: Any) -> str:
    """JSON that is safe as the text of a ``<script type="application/json">``."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:  # NaN or infinity somewhere: JSON.parse would reject the page
        text = json.dumps(_finite(value), ensure_ascii=False, separators=(",", ":"))
    return _JSON_UNSAFE.sub(lambda m: _JSON_ESCAPES[m.group()], text)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy(script: str, style: str) -> str:
    return (
        f"default-src 'none'; script-src {csp_hash(script)}; style-src {csp_hash(style)}; "
        "img-src data:; font-src 'none'; connect-src 'none'; media-src 'none'; "
        "object-src 'none'; frame-src 'none'; worker-src 'none'; manifest-src 'none'; "
        "base-uri 'none'; form-action 'none'; "
        "require-trusted-types-for 'script'; trusted-types 'none'"
    )


@lru_cache(maxsize=1)
def _assets() -> tuple[str, str]:
    js = (_TEMPLATES / "report.js").read_text(encoding="utf-8")
    css = (_TEMPLATES / "report.css").read_text(encoding="utf-8")
    # Our own assets are inlined verbatim; a closing tag inside would end the element.
    if "</script" in js.lower() or "</style" in css.lower():
        raise RuntimeError("report assets must not contain closing tags")
    return js, css


@lru_cache(maxsize=1)
def _environment() -> Any:
    import jinja2  # only the report needs it

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,  # run.json may lack any key
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        vis=visible,
        id=ident,
        txt=prose,
        urlq=lambda s: quote(str(s), safe=""),
        pct=_pct,
        num=_num,
        usd=_usd,
        ms=_ms,
        signed=_signed,
        score=_score,
    )
    env.globals["heat"] = html_view.heat
    return env


def _pct(v: Any, digits: int = 1) -> str:
    return f"{v * 100:.{digits}f}%" if isinstance(v, int | float) else "–"


def _num(v: Any) -> str:
    return f"{v:,}" if isinstance(v, int) else (f"{v:,.0f}" if isinstance(v, float) else "–")


def _usd(v: Any) -> str:
    if not isinstance(v, int | float):
        return "–"
    return f"${v:,.4f}" if abs(v) < 1 else f"${v:,.2f}"


def _ms(v: Any) -> str:
    if not isinstance(v, int | float):
        return "–"
    return f"{v / 1000:.2f} s" if v >= 1000 else f"{v:.0f} ms"


def _signed(v: Any, digits: int = 3) -> str:
    return f"{v:+.{digits}f}" if isinstance(v, int | float) else "–"


def _score(v: Any) -> str:
    return f"{v:.3f}" if isinstance(v, int | float) else "–"


def render_html(
    results: Iterable[CaseResult],
    meta: Mapping[str, Any],
    comparison: Mapping[str, Any] | None = None,
    verdict: Verdict | None = None,
) -> str:
    """The whole report as one self-contained HTML document."""
    results = list(results)
    meta = meta or {}
    raw = meta.get("summary")
    summary: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    raw_totals = summary.get("totals")
    given: Mapping[str, Any] = raw_totals if isinstance(raw_totals, Mapping) else {}
    groups = summary.get("groups") or []
    totals = dict(given)
    if not groups or not given or "n" not in given:
        # a killed run's partial run.json: what it lacks comes from the one summariser
        from llmeval.analysis.summarize import summarize

        computed = summarize(results).to_json()
        totals = {**computed["totals"], **{k: v for k, v in given.items() if v is not None}}
        groups = groups or computed["groups"]
    payload = html_payload.build_rows(results, comparison)
    keys = html_payload.make_keys(results)
    if comparison:
        attention = html_view.attention_with_baseline(comparison, payload.first_key, results)
    else:
        attention = html_view.attention_without_baseline(results, keys)
    head = html_view.header(meta)
    data = {
        "run": head["run_id"],
        "base": bool(comparison),
        "preview": html_payload.PREVIEW_CHARS,
        "rows": payload.rows,
        "texts": payload.texts,
    }
    js, css = _assets()
    page = (
        _environment()
        .get_template("report.html.j2")
        .render(
            title=f"llmeval · {head['run_id']}" if head["run_id"] else "llmeval report",
            head=head,
            verdict=html_view.verdict(verdict),
            checks=html_reasons.gate_checks(groups, meta.get("policies"), comparison),
            skipped=html_reasons.skipped(results, keys),
            cards=html_view.cards(totals, comparison),
            attention=attention,
            comparison=comparison,
            metrics=(comparison or {}).get("metrics") or [],
            matrix=html_view.matrix(groups),
            corpus=html_view.bounded_corpus(summary.get("corpus"))
            or html_view.group_metrics(groups),
            csp=Markup(content_security_policy(js, css)),  # ours: hashes and keywords only
            script=Markup(js),
            style=Markup(css),
            data=Markup(embed_json(data)),
            n_rows=len(payload.rows),
        )
    )
    return str(page)


def write_report(path: str | os.PathLike[str], html: str) -> Path:
    """Write atomically: readers (and CI artifact uploads) never see half a file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(html.encode("utf-8", errors="replace"))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
