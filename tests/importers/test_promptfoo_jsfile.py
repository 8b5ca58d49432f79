"""``javascript`` assertions in files (``file://x.js``, ``file://x.ts:fn``) -> inline code."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmeval.importers.promptfoo.jsfile import inline_file


def _run(body: str, output: str) -> object:
    pytest.importorskip("py_mini_racer")
    import json

    from py_mini_racer import MiniRacer

    from llmeval.metrics.javascript import run_js, wrap

    call = f"JSON.stringify({wrap(body)}({json.dumps(output)}, {{}}))"
    return json.loads(run_js(MiniRacer, call, 1000, 64))


@pytest.mark.parametrize(
    ("source", "ref", "output", "want"),
    [
        ("export default function (output, context) {\n  return output.includes('a');\n}\n",
         "file://c.ts", "abc", True),
        ("module.exports = (output) => ({pass: output.length < 3, score: 0.5});\n",
         "file://c.js", "abcd", {"pass": False, "score": 0.5}),
        ("export function short(output) { return output.length < 3; }\n"
         "export const long = (output) => output.length > 3;\n",
         "file://c.mjs:long", "abcd", True),
        ("function check(output) { return 0.25; }\nmodule.exports = { check };\n",
         "file://c.cjs:check", "x", 0.25),
    ],
)  # fmt: skip
def test_the_exported_function_is_called_with_output_and_context(
    tmp_path: Path, source: str, ref: str, output: str, want: object
):
    name = ref.removeprefix("file://").split(":")[0]
    (tmp_path / name).write_text(source)
    body, why = inline_file(ref, tmp_path)
    assert why is None and body is not None
    assert _run(body, output) == want


@pytest.mark.parametrize(
    ("source", "ref", "why"),
    [
        ("import fs from 'fs';\nexport default () => true;\n", "file://c.js", "imports modules"),
        ("const x = require('x');\nmodule.exports = () => x;\n", "file://c.js", "imports modules"),
        ("export default async function (output) { return true; }\n", "file://c.js",
         "asynchronous"),
        ("export default function (output: string): boolean { return true; }\n",
         "file://c.ts", "TypeScript syntax"),
        ("interface R { pass: boolean }\nexport default (o) => true;\n", "file://c.ts",
         "TypeScript syntax"),
        ("x", "file://missing.js", "not found"),
        ("x", "file://../outside.js", "outside the config's folder"),
        ("x", "file://c.py", "not a .js or .ts file"),
    ],
)  # fmt: skip
def test_what_the_sandbox_cannot_run_is_reported(tmp_path: Path, source: str, ref: str, why: str):
    (tmp_path / "c.js").write_text(source)
    (tmp_path / "c.ts").write_text(source)
    (tmp_path.parent / "outside.js").write_text("module.exports = () => true;")
    body, reason = inline_file(ref, tmp_path)
    assert body is None and reason is not None and why in reason
