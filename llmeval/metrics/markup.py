"""Markup assertions with promptfoo's names: ``is-xml``, ``contains-xml``, ``is-html``,
``contains-html``.

XML is parsed by ``defusedxml`` (expat underneath) with entity declarations and
external references forbidden: model output can never make us fetch a file or a URL,
or expand an entity bomb. promptfoo likewise refuses DTD internal subsets.

Required elements (``is-xml``/``contains-xml`` value) follow promptfoo: a
comma-separated string, a list, or ``{requiredElements: [...]}``; each is a dotted
path from the root element (``analysis.summary``), where a numeric part picks the
n-th of repeated siblings (``items.item.1``) and ``@_name`` an attribute, as in
promptfoo's fast-xml-parser object.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

from llmeval.domain.record import Score
from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError
from llmeval.metrics.base import BuildContext, ScoreContext
from llmeval.metrics.registry import register
from llmeval.metrics.values import check_options

Fn = Callable[[ScoreContext], Score]
MAX_INPUT = 10 * 1024 * 1024  # promptfoo's DoS limit for HTML checks


def _ok(ok: bool, yes: str, no: str) -> Score:
    return Score(passed=ok, score=1.0 if ok else 0.0, reason=yes if ok else no)


# --- XML ------------------------------------------------------------------------------


def required_elements(spec: AssertionSpec) -> list[str]:
    v = spec.value
    if v is None or v == "" or v == [] or v == {}:
        return []
    if isinstance(v, str):
        return [p.strip() for p in v.split(",") if p.strip()]
    if isinstance(v, list) and all(isinstance(x, (str, int)) for x in v):
        return [str(x) for x in v]
    if isinstance(v, dict) and isinstance(v.get("requiredElements"), list):
        return [str(x) for x in v["requiredElements"]]
    raise ConfigError(
        f"{spec.type}: 'value' must be required elements: a comma-separated string, "
        "a list, or {requiredElements: [...]}"
    )


def parse_xml(text: str) -> Any:
    """The root element, or raise ``ValueError`` with the parser's message."""
    import xml.etree.ElementTree as ET

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        return fromstring(text, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        raise ValueError(f"entity and external references are not allowed ({e})") from None
    except ET.ParseError as e:
        raise ValueError(str(e)) from None


def _has_path(root: Any, path: list[str]) -> bool:
    if not path or path[0] != root.tag:
        return False
    current: list[Any] = [root]  # the element, or the list of same-named siblings
    for part in path[1:]:
        if part.isdigit() and len(current) > 0:
            i = int(part)
            if i >= len(current):
                return False
            current = [current[i]]
            continue
        node = current[0]
        if part.startswith("@_"):
            return part[2:] in node.attrib and path[-1] == part
        found = [c for c in node if c.tag == part]
        if not found:
            return False
        current = found
    return True


def missing_elements(root: Any, required: list[str]) -> list[str]:
    return [r for r in required if not _has_path(root, r.split("."))]


def check_xml(text: str, required: list[str]) -> tuple[bool, str]:
    try:
        root = parse_xml(text.strip())
    except ValueError as e:
        return False, f"XML parsing failed: {e}"
    missing = missing_elements(root, required)
    if missing:
        return False, f"XML is missing required elements: {', '.join(missing)}"
    return True, "XML is valid and contains all required elements"


_TAG = re.compile(r"<(/?)([A-Za-z_:][\w.:-]*)(?:\s[^<>]*?)?(/?)>")


def xml_candidates(text: str) -> list[str]:
    """Balanced element spans in ``text``, outermost first (promptfoo's contains-xml scan)."""
    stack: list[tuple[str, int]] = []
    spans: list[tuple[int, int]] = []
    for m in _TAG.finditer(text):
        closing, name, selfclose = m.group(1), m.group(2), m.group(3)
        if closing:
            if stack and stack[-1][0] == name:
                _, start = stack.pop()
                spans.append((start, m.end()))
            else:
                stack.clear()
        elif selfclose:
            spans.append((m.start(), m.end()))
        else:
            stack.append((name, m.start()))
    spans.sort(key=lambda s: (s[0], -s[1]))
    return [text[a:b] for a, b in spans]


@register(
    "is-xml", description="The output is well-formed XML (optionally with required elements)."
)
def _is_xml(spec: AssertionSpec, build: BuildContext) -> Fn:
    check_options(spec)
    required = required_elements(spec)

    def fn(ctx: ScoreContext) -> Score:
        ok, why = check_xml(ctx.output, required)
        return _ok(ok, why, why)

    return fn


@register(
    "contains-xml",
    description="The output contains a well-formed XML element (optionally with required elements).",
)
def _contains_xml(spec: AssertionSpec, build: BuildContext) -> Fn:
    check_options(spec)
    required = required_elements(spec)

    def fn(ctx: ScoreContext) -> Score:
        candidates = xml_candidates(ctx.output)
        if not candidates:
            return _ok(False, "", "No XML content found in the output")
        last = ""
        for c in candidates:
            ok, why = check_xml(c, required)
            if ok:
                return _ok(True, why, why)
            last = why
        return _ok(False, "", last)

    return fn


# --- HTML -----------------------------------------------------------------------------

_HTML = {
    "opening": re.compile(r"<[a-zA-Z][a-zA-Z0-9-]*(?:\s[^>]*)?>"),
    "closing": re.compile(r"</[a-zA-Z][a-zA-Z0-9-]*\s*>"),
    "self_closing": re.compile(r"<[a-zA-Z][a-zA-Z0-9-]*(?:\s[^>]*)?/>"),
    "entity": re.compile(r"&(?:[a-zA-Z]+|#[0-9]+|#x[0-9a-fA-F]+);"),
    "doctype": re.compile(r"<!DOCTYPE\s+html", re.IGNORECASE),
    "comment": re.compile(r"<!--[^-]*(?:-[^-]+)*-->"),
    "attribute": re.compile(r"\s[a-zA-Z-]+=\s*[\"'][^\"']*[\"']"),
    "common": re.compile(
        r"<(html|head|body|div|span|p|a|img|h[1-6]|ul|ol|li|table|tr|td|th|form|input|"
        r"button|script|style|link|meta|br|hr)\b",
        re.IGNORECASE,
    ),
}


def contains_html(text: str) -> bool:
    """promptfoo's indicator count: at least two signs of HTML."""
    if len(text) > MAX_INPUT:
        return False
    p, n = _HTML, 0
    opening, closing = bool(p["opening"].search(text)), bool(p["closing"].search(text))
    n += 2 if opening and closing else 1 if opening or closing else 0
    n += 1 if p["self_closing"].search(text) else 0
    n += 1 if p["entity"].search(text) else 0
    n += 2 if p["doctype"].search(text) else 0
    n += 1 if p["comment"].search(text) else 0
    n += 1 if p["attribute"].search(text) else 0
    n += 2 if p["common"].search(text) else 0
    return n >= 2


HTML_ELEMENTS = frozenset(
    [
        "html",
        "head",
        "title",
        "base",
        "link",
        "meta",
        "style",
        "body",
        "article",
        "section",
        "nav",
        "aside",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "footer",
        "address",
        "p",
        "hr",
        "pre",
        "blockquote",
        "ol",
        "ul",
        "li",
        "dl",
        "dt",
        "dd",
        "figure",
        "figcaption",
        "main",
        "div",
        "a",
        "em",
        "strong",
        "small",
        "s",
        "cite",
        "q",
        "dfn",
        "abbr",
        "ruby",
        "rt",
        "rp",
        "data",
        "time",
        "code",
        "var",
        "samp",
        "kbd",
        "sub",
        "sup",
        "i",
        "b",
        "u",
        "mark",
        "bdi",
        "bdo",
        "span",
        "br",
        "wbr",
        "img",
        "iframe",
        "embed",
        "object",
        "param",
        "picture",
        "source",
        "video",
        "audio",
        "track",
        "map",
        "area",
        "svg",
        "math",
        "script",
        "noscript",
        "canvas",
        "ins",
        "del",
        "table",
        "caption",
        "colgroup",
        "col",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "td",
        "th",
        "form",
        "label",
        "input",
        "button",
        "select",
        "datalist",
        "optgroup",
        "option",
        "textarea",
        "output",
        "progress",
        "meter",
        "fieldset",
        "legend",
        "details",
        "summary",
        "dialog",
        "menu",
        "slot",
        "template",
    ]
)
_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)


class _Shape(HTMLParser):
    """Which tags appear, and whether any text sits outside every element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.depth = 0
        self.loose_text = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)
        if tag not in _VOID:
            self.depth += 1

    def handle_startendtag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID:
            self.depth = max(0, self.depth - 1)

    def handle_data(self, data: str) -> None:
        if self.depth == 0 and data.strip():
            self.loose_text = True


def check_html(text: str) -> tuple[bool, str]:
    """promptfoo's is-html, with Python's HTML parser in place of jsdom."""
    t = text.strip()
    if not t:
        return False, "Output is empty"
    if len(t) > MAX_INPUT:
        return False, "Output exceeds maximum size limit"
    if re.match(r"\s*<\?xml", t, re.IGNORECASE):
        return False, "Output appears to be XML, not HTML"
    shape = _Shape()
    shape.feed(t)
    shape.close()
    if "<body" not in t.lower() and shape.loose_text:
        return False, "Output must be wrapped in HTML tags"
    if not any(tag in HTML_ELEMENTS or "-" in tag for tag in shape.tags):
        return False, "Output does not contain recognized HTML elements"
    return True, "Output is valid HTML"


@register("is-html", description="The output is an HTML document or fragment (nothing else).")
def _is_html(spec: AssertionSpec, build: BuildContext) -> Fn:
    check_options(spec)

    def fn(ctx: ScoreContext) -> Score:
        ok, why = check_html(ctx.output)
        return _ok(ok, why, why)

    return fn


@register("contains-html", description="The output contains HTML (promptfoo's indicator count).")
def _contains_html(spec: AssertionSpec, build: BuildContext) -> Fn:
    check_options(spec)

    def fn(ctx: ScoreContext) -> Score:
        return _ok(contains_html(ctx.output), "output contains HTML", "output contains no HTML")

    return fn
