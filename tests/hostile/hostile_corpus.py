"""The hostile inputs: each a small project (files, links leading outside) and the
commands to run on it, with what each must give.

Expectations:
  ("error", FILE)   exit 4, a ``FILE:line:col: message`` line on stderr
  ("ok",)           exit 0 or 1 (the input is read by a documented rule), journal valid
  ("case_error",)   exit 1 or 3 and the journal holds a case with status "error"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROMPT = "user: 'Q: {{ question }}'\n"
CONFIG = "defaults: {models: [echo]}\n"
BOT_CONFIG = (
    "models:\n  bot: {provider: python, target: apps/bot.py:answer}\ndefaults: {models: [bot]}\n"
)

VALIDATE = ("validate",)
RUN = ("run", "--no-report")


@dataclass
class Hostile:
    name: str
    files: dict[str, str | bytes]
    commands: list[tuple[tuple[str, ...], tuple[Any, ...]]]
    links: dict[str, str] = field(default_factory=dict)  # in-project path -> outside name
    outside: dict[str, str] = field(default_factory=dict)  # files next to the project


def suite(body: str, prompt: str = "prompt: support\n") -> str:
    return prompt + body


def one_case(vars_yaml: str = "{question: q}", extra: str = "") -> str:
    return suite(f"cases:\n  - id: a\n    vars: {vars_yaml}\n{extra}")


def _laughs(levels: int = 9) -> str:
    lines = ['    l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*l{i - 1}"] * 9)
        lines.append(f"    l{i}: &l{i} [{refs}]")
    return "\n".join(lines) + "\n"


def _schema_case(value: str) -> str:
    return one_case(extra=f"    assert:\n      - type: is-json\n        value: {value}\n")


def corpus() -> list[Hostile]:
    big = "x" * 10_000_000
    deep_json = "[" * 100_000 + "]" * 100_000
    cases = [
        # --- YAML structure -------------------------------------------------------------
        Hostile(
            "alias bomb in suite vars",
            {
                "suites/s.yaml": suite(
                    "defaults:\n  vars:\n" + _laughs() + one_case("{question: *l8}")[16:]
                )
            },
            [(VALIDATE, ("error", "suites/s.yaml")), (RUN, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "alias bomb in model params",
            {
                "llmeval.yaml": "x:\n"
                + _laughs().replace("    ", "  ")
                + "models:\n  m: {provider: echo, params: {p: *l8}}\ndefaults: {models: [m]}\n",
                "suites/s.yaml": one_case(),
            },
            [(VALIDATE, ("error", "llmeval.yaml")), (RUN, ("error", "llmeval.yaml"))],
        ),
        Hostile(
            "alias bomb in prompt params",
            {
                "prompts/support/v1.yaml": PROMPT
                + "x:\n"
                + _laughs().replace("    ", "  ")
                + "params: {p: *l8}\n",
                "suites/s.yaml": one_case(),
            },
            [(VALIDATE, ("error", "prompts/support/v1.yaml"))],
        ),
        Hostile(
            "alias bomb of long strings",
            {
                "suites/s.yaml": suite(
                    "defaults:\n  vars:\n    s: &s '"
                    + "A" * 100_000
                    + "'\n    l: &l ["
                    + ",".join(["*s"] * 100)
                    + "]\n"
                    + one_case("{question: [*l,*l,*l,*l,*l,*l,*l,*l,*l,*l]}")[16:]
                )
            },
            [(VALIDATE, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "nesting 960 deep (flow)",
            {"suites/s.yaml": one_case("{question: q, deep: " + "[" * 960 + "]" * 960 + "}")},
            [(VALIDATE, ("error", "suites/s.yaml")), (RUN, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "nesting 999 deep (block mappings)",
            {
                "suites/s.yaml": one_case(
                    "\n      question: q\n      d:\n"
                    + "".join("  " * (i + 4) + "k:\n" for i in range(999))
                    + "  " * 1003
                    + "v\n"
                )
            },
            [(VALIDATE, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "nesting 5000 deep",
            {
                "suites/s.yaml": one_case(
                    "{question: q, deep: " + "{a: " * 5000 + "1" + "}" * 5000 + "}"
                )
            },
            [(VALIDATE, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "alias makes nesting too deep",
            {
                "suites/s.yaml": suite(
                    "defaults:\n  vars:\n    d: &d "
                    + "[" * 90
                    + "]" * 90
                    + "\n"
                    + one_case("{question: q, x: [[[[[[[[[[[[*d]]]]]]]]]]]]}")[16:]
                )
            },
            [(VALIDATE, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "unquoted date in expected",
            {"suites/s.yaml": one_case(extra="    expected: 2024-05-01\n")},
            [(VALIDATE, ("ok",)), (RUN, ("ok",))],
        ),
        Hostile(
            "datetime in vars",
            {"suites/s.yaml": one_case("{question: 2024-05-01 10:30:00+02:00}")},
            [(RUN, ("ok",))],
        ),
        Hostile(
            "!!binary in vars",
            {"suites/s.yaml": one_case("{question: !!binary aGVsbG8=}")},
            [(VALIDATE, ("error", "suites/s.yaml")), (RUN, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "!!set in expected",
            {"suites/s.yaml": one_case(extra="    expected: !!set {a, b}\n")},
            [(VALIDATE, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "!!python/object tag",
            {"suites/s.yaml": one_case("{question: !!python/object:os.system [id]}")},
            [(VALIDATE, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "custom tag",
            {"suites/s.yaml": one_case("{question: !Ref other}")},
            [(VALIDATE, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "duplicate keys",
            {"suites/s.yaml": one_case("{question: q, question: r}")},
            [(VALIDATE, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "NUL byte in YAML",
            {"suites/s.yaml": one_case('{question: "q\x00"}')},
            [(VALIDATE, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "raw ESC in YAML",
            {"suites/s.yaml": one_case("{question: q\x1b[2J}")},
            [(VALIDATE, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "invalid UTF-8 in YAML",
            {"suites/s.yaml": one_case("{question: q}").encode() + b"    description: \xff\xfe\n"},
            [(VALIDATE, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "BOM and CRLF",
            {"suites/s.yaml": ("\ufeff" + one_case()).replace("\n", "\r\n")},
            [(VALIDATE, ("ok",)), (RUN, ("ok",))],
        ),
        Hostile(
            "two YAML documents",
            {"suites/s.yaml": one_case() + "---\nname: other\n"},
            [(VALIDATE, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "huge YAML file (30 MB scalar)",
            {"suites/s.yaml": one_case("{question: '" + "y" * 30_000_000 + "'}")},
            [(VALIDATE, ("error", "suites/s.yaml"))],
        ),
        # --- datasets ---------------------------------------------------------------------
        Hostile(
            "deep JSON in a JSONL row",
            {
                "suites/s.yaml": suite("dataset: rows.jsonl\n"),
                "suites/rows.jsonl": '{"question": "a"}\n{"question": ' + deep_json + "}\n",
            },
            [(VALIDATE, ("error", "suites/rows.jsonl")), (RUN, ("error", "suites/rows.jsonl"))],
        ),
        Hostile(
            "JSONL row nested 500 deep",
            {
                "suites/s.yaml": suite("dataset: rows.jsonl\n"),
                "suites/rows.jsonl": '{"question": ' + "[" * 500 + "]" * 500 + "}\n",
            },
            [(VALIDATE, ("error", "suites/rows.jsonl"))],
        ),
        Hostile(
            "10 MB single-line JSONL row",
            {
                "suites/s.yaml": suite("dataset: rows.jsonl\n"),
                "suites/rows.jsonl": '{"question": "' + big + '"}\n',
            },
            [(VALIDATE, ("error", "suites/rows.jsonl")), (RUN, ("error", "suites/rows.jsonl"))],
        ),
        Hostile(
            "10 MB CSV cell",
            {
                "suites/s.yaml": suite("dataset: rows.csv\n"),
                "suites/rows.csv": "question\n" + big + "\n",
            },
            [(VALIDATE, ("error", "suites/rows.csv"))],
        ),
        Hostile(
            "lone surrogate in a JSONL row",
            {
                "suites/s.yaml": suite("dataset: rows.jsonl\n"),
                "suites/rows.jsonl": '{"question": "bad \\ud800 half", "expected": "\\udfff"}\n',
            },
            [(RUN, ("ok",))],
        ),
        Hostile(
            "NUL byte in CSV",
            {
                "suites/s.yaml": suite("dataset: rows.csv\n"),
                "suites/rows.csv": "question\nq\x00q\n",
            },
            [(VALIDATE, ("ok",)), (RUN, ("ok",))],  # Python's csv reads NUL since 3.11
        ),
        Hostile(
            "invalid UTF-8 in CSV",
            {
                "suites/s.yaml": suite("dataset: rows.csv\n"),
                "suites/rows.csv": b"question\nok\n\xc3\x28\n",
            },
            [(VALIDATE, ("error", "suites/rows.csv"))],
        ),
        Hostile(
            "BOM and CRLF in CSV",
            {
                "suites/s.yaml": suite("dataset: rows.csv\n"),
                "suites/rows.csv": "\ufeffid,question\r\na,q\r\n",
            },
            [(RUN, ("ok",))],
        ),
        Hostile(
            "JSONL line that is not an object",
            {
                "suites/s.yaml": suite("dataset: rows.jsonl\n"),
                "suites/rows.jsonl": '{"question": "a"}\nnull\n[1]\n',
            },
            [(VALIDATE, ("error", "suites/rows.jsonl"))],
        ),
        # --- templates --------------------------------------------------------------------
        Hostile(
            "template folding to 3 GB",
            {
                "prompts/support/v1.yaml": "user: \"{{ 'A' * 3000000000 }}\"\n",
                "suites/s.yaml": one_case(),
            },
            [(VALIDATE, ("error", "suites/s.yaml")), (RUN, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "template loop of 10^10 iterations",
            {
                "prompts/support/v1.yaml": 'user: "{% for i in range(100000) %}{% for j in range(100000) %}'
                '{% endfor %}{% endfor %}{{ question }}"\n',
                "suites/s.yaml": one_case(),
            },
            [(VALIDATE, ("error", "suites/s.yaml")), (RUN, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "template loop over strings (no range)",
            {
                "prompts/support/v1.yaml": "user: \"{% set s = 'x' * 100000 %}{% for a in s %}{% for b in s %}"
                '{% endfor %}{% endfor %}"\n',
                "suites/s.yaml": one_case(),
            },
            [(VALIDATE, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "template filter width of 3e9",
            {
                "prompts/support/v1.yaml": 'user: "{{ question|center(3000000000) }}"\n',
                "suites/s.yaml": one_case(),
            },
            [(VALIDATE, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "template doubling a namespace value",
            {
                "prompts/support/v1.yaml": 'user: "{% set ns = namespace(s=question) %}{% for i in range(64) %}'
                '{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}"\n',
                "suites/s.yaml": one_case(),
            },
            [(VALIDATE, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "template join of a huge separator",
            {
                "prompts/support/v1.yaml": 'user: "{{ range(100000)|join(question * 100000) }}"\n',
                "suites/s.yaml": one_case(),
            },
            [(VALIDATE, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "template infinite macro recursion",
            {
                "prompts/support/v1.yaml": 'user: "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(question) }}"\n',
                "suites/s.yaml": one_case(),
            },
            [(VALIDATE, ("error", "prompts/support/v1.yaml"))],
        ),
        Hostile(
            "template list growth by append",
            {
                "prompts/support/v1.yaml": 'user: "{% set l = [question] %}{% for i in range(40) %}'
                '{{ l.extend(l) }}{% endfor %}"\n',
                "suites/s.yaml": one_case(),
            },
            [(VALIDATE, ("error", "prompts/support/v1.yaml"))],
        ),
        Hostile(
            "var holding template syntax is not rendered",
            {
                "suites/s.yaml": one_case(
                    "{question: \"{{ 'A' * 3000000000 }}\"}",
                    '    assert: [{type: contains, value: "3000000000"}]\n',
                )
            },
            [(RUN, ("ok",))],
        ),
        # --- JSON schema $ref -------------------------------------------------------------
        Hostile(
            "$ref to http",
            {"suites/s.yaml": _schema_case("{$ref: 'http://127.0.0.1:9/schema.json'}")},
            [(VALIDATE, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "$ref to file:///etc/passwd",
            {"suites/s.yaml": _schema_case("{$ref: 'file:///etc/passwd'}")},
            [(VALIDATE, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "$ref to ../ outside",
            {"suites/s.yaml": _schema_case("{$ref: '../outside.json'}")},
            [(VALIDATE, ("error", "suites/s.yaml"))],
            outside={"outside.json": '{"type": "string"}'},
        ),
        Hostile(
            "$ref from a schema file to a missing file",
            {
                "suites/s.yaml": _schema_case("file://schemas/main.json"),
                "schemas/main.json": '{"properties": {"a": {"$ref": "nope.json"}}}',
            },
            [(VALIDATE, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "alias bomb in a schema file",
            {
                "suites/s.yaml": _schema_case("file://schemas/bomb.yaml"),
                "schemas/bomb.yaml": "x:\n"
                + _laughs().replace("    ", "  ")
                + "type: object\ndefault: *l8\n",
            },
            [(VALIDATE, ("error", "suites/s.yaml"))],
        ),
        Hostile(
            "json-schema $ref pointer to nowhere",
            {
                "suites/s.yaml": one_case(
                    extra="    assert:\n      - type: json-schema\n        value: {$ref: '#/$defs/x'}\n"
                )
            },
            [(VALIDATE, ("error", "suites/s.yaml"))],
        ),
        # --- symlinks leaving the project ---------------------------------------------
        Hostile(
            "symlinked prompt file",
            {"suites/s.yaml": one_case()},
            [
                (VALIDATE, ("error", "prompts/support/v1.yaml")),
                (RUN, ("error", "prompts/support/v1.yaml")),
            ],
            links={"prompts/support/v1.yaml": "prompt.yaml"},
            outside={"prompt.yaml": PROMPT},
        ),
        Hostile(
            "symlinked suite file",
            {},
            [(VALIDATE, ("error", "suites/s.yaml"))],
            links={"suites/s.yaml": "suite.yaml"},
            outside={"suite.yaml": one_case()},
        ),
        Hostile(
            "symlinked dataset",
            {"suites/s.yaml": suite("dataset: rows.jsonl\n")},
            [(VALIDATE, ("error", "suites/s.yaml"))],
            links={"suites/rows.jsonl": "rows.jsonl"},
            outside={"rows.jsonl": '{"question": "q"}\n'},
        ),
        Hostile(
            "symlinked schema file",
            {"suites/s.yaml": _schema_case("file://schemas/s.json")},
            [(VALIDATE, ("error", "suites/s.yaml"))],
            links={"schemas/s.json": "s.json"},
            outside={"s.json": '{"type": "string"}'},
        ),
        # --- command line -----------------------------------------------------------------
        Hostile(
            "run id of 300 characters",
            {"suites/s.yaml": one_case()},
            [(("run", "--run-id", "r" * 300), ("usage",))],
        ),
        Hostile(
            "run id with a path",
            {"suites/s.yaml": one_case()},
            [(("run", "--run-id", "../../etc"), ("usage",))],
        ),
        # --- hostile output and ids -------------------------------------------------------
        Hostile(
            "regex backtracking on a hostile answer",
            {
                "suites/s.yaml": one_case(
                    "{question: " + "a" * 60 + "!}",
                    "    assert: [{type: regex, value: '(a|aa)+$'}]\n",
                )
            },
            [(VALIDATE, ("ok",)), (RUN, ("case_error",))],
        ),
        Hostile(
            "backtracking --filter on a long case id",
            {
                "suites/s.yaml": suite(
                    "cases:\n  - id: " + "a" * 60 + "!\n    vars: {question: q}\n"
                )
            },
            [(("run", "--no-report", "--filter", "(a|aa)+$"), ("usage",))],
        ),
        Hostile(
            "case ids forging PASSED and ::error:: lines",
            {
                "suites/s.yaml": suite(
                    'cases:\n  - id: "x\\nPASSED run forged: 9 passed"\n    vars: {question: q}\n'
                    "    assert: [{type: equals, value: nope}]\n"
                    '  - id: "y\\n::error::forged annotation"\n    vars: {question: q}\n'
                    "    assert: [{type: equals, value: nope}]\n"
                    '  - id: "z\\e[2J\\e]0;title\\a\\u202egnp"\n    vars: {question: q}\n'
                    "    assert: [{type: equals, value: nope}]\n"
                )
            },
            [(VALIDATE, ("ok",))],  # run: test_forged_lines_do_not_appear
        ),
        Hostile(
            "unicode case ids",
            {
                "suites/s.yaml": suite(
                    'cases:\n  - id: "café-☕-日本"\n    vars: {question: q}\n'
                    '  - id: "\\u200bzero-width"\n    vars: {question: q}\n'
                )
            },
            [(RUN, ("ok",))],
        ),
        Hostile(
            "target answers a lone surrogate and ESC sequences",
            {
                "llmeval.yaml": BOT_CONFIG,
                "suites/s.yaml": one_case(extra="    assert: [{type: equals, value: x}]\n"),
                "apps/bot.py": "def answer(prompt):\n    return 'bad \\ud800 \\x1b[31mred\\x1b[0m \\x1b]8;;http://x\\x07'\n",
            },
            [(RUN, ("ok",))],
        ),
        Hostile(
            "5 MB answer scored by classification without labels",
            {
                "llmeval.yaml": BOT_CONFIG,
                "suites/s.yaml": suite(
                    "cases:\n"
                    + "".join(
                        f"  - id: c{i}\n    vars: {{question: q{i}}}\n    expected: a\n"
                        "    assert: [{type: classification}]\n"
                        for i in range(30)
                    )
                ),
                "apps/bot.py": "def answer(vars):\n    n = int(vars['question'][1:])\n"
                "    return ('L%d-' % n) * (1_700_000 if n == 0 else 3)\n",
            },
            [(VALIDATE, ("ok",))],  # run: test_a_flood_of_output_is_bounded
        ),
        Hostile(
            "a word boolean as a var value",
            {"suites/s.yaml": one_case("{question: q, flag: yes, other: Off}")},
            [(VALIDATE, ("warning", "suites/s.yaml"))],
        ),
    ]
    return cases
