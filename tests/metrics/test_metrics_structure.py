"""is-xml / contains-xml / is-html / contains-html / is-sql / contains-sql against
promptfoo's own test vectors (test/assertions/{xml,html,sql}.test.ts, index.test.ts)."""

from __future__ import annotations

from typing import Any

import pytest
from metric_harness import check

from llmeval.errors import ConfigError

XML_OK = "<root><child>Content</child></root>"
ANALYSIS = (
    "<analysis><classification>T-shirt</classification><color>Red</color><size>M</size></analysis>"
)

CASES: list[tuple[str, Any, str, bool]] = [
    # is-xml
    ("is-xml", None, XML_OK, True),
    ("is-xml", None, "<root><child>Content</child></root", False),
    ("is-xml", None, "not xml at all", False),
    ("is-xml", "analysis.classification,analysis.color", ANALYSIS, True),
    ("is-xml", ["analysis.classification", "analysis.size"], ANALYSIS, True),
    (
        "is-xml",
        {"requiredElements": ["analysis.classification", "analysis.weight"]},
        ANALYSIS,
        False,
    ),
    (
        "is-xml",
        "root.items.item.1",
        "<root><items><item>a</item><item>b</item></items></root>",
        True,
    ),
    (
        "is-xml",
        "root.items.item.2",
        "<root><items><item>a</item><item>b</item></items></root>",
        False,
    ),
    ("not-is-xml", None, "plain text", True),
    ("is-xml", None, '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>', False),
    # contains-xml
    ("contains-xml", None, f"Here is the XML: {XML_OK} and more text", True),
    ("contains-xml", None, "no markup here", False),
    ("contains-xml", "analysis.color", f"Sure!\n\n{ANALYSIS}\n\nAnything else?", True),
    ("contains-xml", "analysis.weight", f"Sure!\n\n{ANALYSIS}", False),
    # is-html
    ("is-html", None, "<div><p>Hello</p></div>", True),
    (
        "is-html",
        None,
        "<!DOCTYPE html><html><head><title>T</title></head><body></body></html>",
        True,
    ),
    ("is-html", None, "Hello <b>world</b>", False),  # text outside the tags
    ("is-html", None, "just text", False),
    ("is-html", None, '<?xml version="1.0"?><root/>', False),
    ("is-html", None, "<my-widget>x</my-widget>", True),  # custom element
    ("is-html", None, "<foo>bar</foo>", False),
    ("is-html", None, "", False),
    # contains-html
    ("contains-html", None, "Some text <div>with HTML</div> inside", True),
    ("contains-html", None, "a < b and c > d", False),
    ("contains-html", None, "Use &amp; and <br/>", True),
    ("contains-html", None, "plain text only", False),
    ("not-contains-html", None, "plain text only", True),
    # is-sql (promptfoo's sql.test.ts)
    ("is-sql", None, "SELECT id, name FROM users", True),
    ("is-sql", None, "SELECT DISTINCT name FROM users", True),
    ("is-sql", None, "SELECT DISTINCT SQL_NO_CACHE name FROM users", True),
    ("is-sql", None, "SELECT 1 -- select distinct first_name last_name from employees\n", True),
    ("is-sql", None, "SELECT 'select distinct first_name last_name from employees' AS s", True),
    ("is-sql", None, "SELECT * FROM orders ORDERY BY order_date", False),
    ("is-sql", None, "SELECT * FROM select WHERE id = 1", False),
    ("is-sql", None, "DELETE employees WHERE id = 1", False),
    ("is-sql", None, "SELECT first_name last_name FROM employees", False),
    ("is-sql", None, "SELECT a b FROM t", False),
    ("is-sql", None, "SELECT DISTINCTIVE name FROM users", False),
    ("is-sql", None, "SELECT * FROM `employees", False),
    ("is-sql", None, "SELECT * FROM `employees` WHERE `id` = 1", True),
    ("is-sql", None, "SELECT col1 col2 col3 FROM table1", False),
    ("is-sql", None, "", False),
    ("is-sql", None, "hello there", False),
    (
        "is-sql",
        {"databaseType": "PostgreSQL"},
        "SELECT * FROM employees WHERE id = 1 LOCK IN SHARE MODE",
        False,
    ),
    (
        "is-sql",
        {"databaseType": "MySQL"},
        "SELECT first_name, last_name FROM employees WHERE first_name ILIKE 'john%'",
        False,
    ),
    (
        "is-sql",
        {"databaseType": "PostgreSQL"},
        "SELECT first_name, last_name FROM employees WHERE first_name ILIKE 'john%'",
        True,
    ),
    ("is-sql", {"databaseType": "MySQL"}, "SELECT generate_series(1, 10);", False),
    ("is-sql", {"databaseType": "PostgreSQL"}, 'SELECT DISTINCT "display name" FROM users', True),
    (
        "is-sql",
        {"allowedTables": ["(select|update|insert|delete)::null::departments"]},
        "SELECT * FROM departments",
        True,
    ),
    (
        "is-sql",
        {"allowedColumns": ["insert::department::dept_name", "insert::department::location"]},
        "INSERT INTO department (dept_name, location) VALUES ('Sales', 'New York')",
        True,
    ),
    ("not-is-sql", None, "SELECT * FROM orders ORDERY BY order_date", True),
    # contains-sql
    ("contains-sql", None, "Result:\n```sql\nSELECT DISTINCT name FROM users\n```", True),
    (
        "contains-sql",
        None,
        "Here you go:\n```sql\nSELECT DISTINCT first_name last_name FROM employees\n```",
        False,
    ),
    ("contains-sql", None, "SELECT id FROM users", True),
]


@pytest.mark.parametrize(("type_", "value", "output", "passed"), CASES)
def test_promptfoo_vector(type_: str, value: Any, output: str, passed: bool) -> None:
    r = check(type_, output, value)
    assert r.passed is passed, r.reason
    assert r.score == (1.0 if passed else 0.0)


def test_sql_allow_list_reasons_match_promptfoo() -> None:
    r = check(
        "is-sql",
        "SELECT * FROM employees",
        {
            "databaseType": "MySQL",
            "allowedTables": ["(select|update|insert|delete)::null::departments"],
        },
    )
    assert r.reason == (
        "SQL references unauthorized table(s). Found: [select::null::employees]."
        " Allowed: [(select|update|insert|delete)::null::departments]."
    )
    r = check(
        "is-sql", "SELECT id FROM t", {"allowedColumns": ["select::null::name", "update::null::id"]}
    )
    assert r.reason == (
        "SQL references unauthorized column(s). Found: [select::null::id]. "
        "Allowed: [select::null::name, update::null::id]."
    )
    r = check("is-sql", "SELECT * FROM orders ORDERY BY order_date", {"databaseType": "MySQL"})
    assert r.reason == "SQL statement does not conform to the provided MySQL database syntax."


def test_xml_reasons_name_the_missing_elements() -> None:
    r = check("is-xml", ANALYSIS, "analysis.classification,analysis.weight")
    assert r.reason == "XML is missing required elements: analysis.weight"
    assert check("contains-xml", "none").reason == "No XML content found in the output"


def test_external_entities_are_never_resolved(tmp_path: Any) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    doc = f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]><r>&x;</r>'
    r = check("is-xml", doc)
    assert r.passed is False and "TOPSECRET" not in r.reason
    assert check("contains-xml", f"see {doc}").passed is False


@pytest.mark.parametrize(
    ("type_", "value", "message"),
    [
        ("is-sql", "MySQL", "must have an object value"),
        ("is-sql", {"databaseType": "NoSuchDB"}, "unknown databaseType"),
        ("is-sql", {"allowedTables": "users"}, "must be a list of strings"),
        ("is-sql", {"allowedTables": ["(unclosed"]}, "bad pattern"),
        ("is-sql", {"databse": "MySQL"}, "unknown key"),
        ("is-xml", 42, "required elements"),
    ],
)
def test_bad_values_fail_at_plan_time(type_: str, value: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        check(type_, "x", value)
