"""JUnit XML for CI test panels: one testcase per case x model x prompt x repeat.

``classname`` is ``suite.model``; the name is the case id with the prompt (and the
repeat when there are several). ``fail`` becomes <failure>, ``error`` <error>,
``skipped`` <skipped>. ElementTree does the XML escaping; characters XML 1.0 cannot
carry at all (most control characters, lone surrogates, U+FFFE/U+FFFF) are dropped.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmeval.analysis.gate import Verdict
    from llmeval.domain.record import CaseResult

_INVALID_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
MAX_TEXT = 10_000


def clean_xml(text: object, limit: int = MAX_TEXT) -> str:
    s = _INVALID_XML.sub("", "" if text is None else str(text))
    return s if len(s) <= limit else s[:limit] + f"… [{len(s) - limit} more characters]"


def _failure_message(r: CaseResult) -> str:
    failed = [a for a in r.assertions if a.status == "fail"]
    if not failed:
        return "case failed"
    return "; ".join(f"{a.type}: {a.reason}" if a.reason else a.type for a in failed)


def render_junit(results: Iterable[CaseResult], verdict: Verdict | None = None) -> str:
    """Cases as testcases; with ``verdict``, the gate itself is one more testcase
    (``llmeval.gate``), so a CI test panel shows the same verdict as the console."""
    import xml.etree.ElementTree as ET

    by_suite: dict[str, list[CaseResult]] = defaultdict(list)
    repeats: dict[tuple, int] = defaultdict(int)
    for r in results:
        by_suite[r.suite].append(r)
        repeats[r.key[:4]] += 1
    root = ET.Element("testsuites", name="llmeval")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    total_time = 0.0
    for suite in sorted(by_suite):
        rs = sorted(by_suite[suite], key=lambda r: r.key)
        counts = dict.fromkeys(totals, 0)
        suite_time = 0.0
        el = ET.SubElement(root, "testsuite", name=clean_xml(suite, 500))
        for r in rs:
            name = f"{r.case_id} [{r.prompt}]"
            if repeats[r.key[:4]] > 1:
                name += f" #{r.repeat}"
            seconds = (r.latency_ms or 0.0) / 1000.0
            suite_time += seconds
            tc = ET.SubElement(
                el,
                "testcase",
                classname=clean_xml(f"{r.suite}.{r.model}", 500),
                name=clean_xml(name, 500),
                time=f"{seconds:.3f}",
            )
            counts["tests"] += 1
            if r.status == "fail":
                counts["failures"] += 1
                msg = clean_xml(_failure_message(r), 1000)
                f = ET.SubElement(tc, "failure", message=msg, type="AssertionFailed")
                f.text = clean_xml(
                    "\n".join(f"{a.status.upper()} {a.type}: {a.reason}" for a in r.assertions)
                )
            elif r.status == "error":
                counts["errors"] += 1
                kind = r.error.kind if r.error else "error"
                message = r.error.message if r.error else "no verdict"
                e = ET.SubElement(
                    tc, "error", message=clean_xml(message, 1000), type=clean_xml(kind)
                )
                if r.error is not None and r.error.traceback:
                    e.text = clean_xml(r.error.traceback)
            elif r.status != "pass":
                counts["skipped"] += 1
                ET.SubElement(tc, "skipped", message=clean_xml(r.status))
            if r.output:
                ET.SubElement(tc, "system-out").text = clean_xml(r.output)
        for k, v in counts.items():
            el.set(k, str(v))
            totals[k] += v
        el.set("time", f"{suite_time:.3f}")
        total_time += suite_time
    if verdict is not None:
        el = ET.SubElement(root, "testsuite", name="llmeval.gate", tests="1")
        tc = ET.SubElement(el, "testcase", classname="llmeval.gate", name="verdict", time="0")
        totals["tests"] += 1
        text = "\n".join([verdict.headline, *(r.message for r in verdict.reasons), *verdict.notes])
        counts = dict.fromkeys(("failures", "errors", "skipped"), 0)
        if verdict.status == "failed":
            counts["failures"] = 1
            node = ET.SubElement(tc, "failure", message=clean_xml(text, 1000), type="GateFailed")
            node.text = clean_xml(text)
        elif verdict.status in ("incomplete", "interrupted"):
            counts["errors"] = 1
            node = ET.SubElement(tc, "error", message=clean_xml(text, 1000), type=verdict.status)
            node.text = clean_xml(text)
        elif verdict.notes:
            ET.SubElement(tc, "system-out").text = clean_xml(text)
        for k, v in counts.items():
            el.set(k, str(v))
            totals[k] += v
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", f"{total_time:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
