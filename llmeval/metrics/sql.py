"""``is-sql`` and ``contains-sql`` with promptfoo's value shape, parsed by sqlglot.

promptfoo parses with node-sql-parser; we use sqlglot (a well-kept Python parser) with
the same ``value``: ``{databaseType, allowedTables, allowedColumns}``. Allow-list
entries are node-sql-parser authorities ``"<statement>::<table or null>::<name>"``,
matched as case-insensitive regular expressions, e.g.
``(select|update)::null::departments`` or ``select::null::name``.

sqlglot accepts more than node-sql-parser does (an implicit alias, some dialect-only
syntax), so the few lint checks promptfoo itself adds on top of its parser are kept
(a likely missing comma, unbalanced backticks, ``generate_series`` on MySQL) plus a
short list of dialect markers; README/docs name this as a documented difference.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from llmeval.domain.record import Score
from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError
from llmeval.metrics.base import BuildContext, ScoreContext
from llmeval.metrics.registry import register

Fn = Callable[[ScoreContext], Score]

# node-sql-parser database names -> sqlglot dialects
DIALECTS = {
    "mysql": "mysql",
    "mariadb": "mysql",
    "postgresql": "postgres",
    "postgres": "postgres",
    "sqlite": "sqlite",
    "bigquery": "bigquery",
    "snowflake": "snowflake",
    "redshift": "redshift",
    "hive": "hive",
    "transactsql": "tsql",
    "tsql": "tsql",
    "flinksql": "spark",
    "db2": "postgres",
    "trino": "trino",
    "athena": "athena",
    "oracle": "oracle",
    "duckdb": "duckdb",
}
_STATEMENTS = (
    "Select",
    "Union",
    "Intersect",
    "Except",
    "Insert",
    "Update",
    "Delete",
    "Create",
    "Drop",
    "Alter",
    "Merge",
    "Set",
    "Use",
    "Describe",
    "Show",
    "Command",
    "Commit",
    "Rollback",
    "Transaction",
    "With",
    "Subquery",
    "Values",
    "TruncateTable",
)
_MODIFIER = (
    r"(?:distinct|all|sql_no_cache|sql_cache|sql_calc_found_rows|high_priority|straight_join)"
)
_MISSING_COMMA = re.compile(
    rf"\bselect\s+(?:{_MODIFIER}\s+)*(?!{_MODIFIER}\b)[A-Za-z_][A-Za-z0-9_]*\s+"
    r"[A-Za-z_][A-Za-z0-9_]*\s+from\b",
    re.IGNORECASE,
)
_LITERALS = re.compile(
    r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.)*\"|\$\$.*?\$\$|/\*.*?\*/|--[^\n]*|#[^\n]*", re.DOTALL
)
_KEYWORD_TABLE = re.compile(
    r"\b(?:from|join|into|update)\s+(select|from|where|table|insert|update|delete|join|order|group)\b",
    re.IGNORECASE,
)
_DELETE_NO_FROM = re.compile(
    r"^\s*delete\s+(?!from\b|low_priority\b|quick\b|ignore\b)\w+\s+where\b", re.IGNORECASE
)
# syntax one dialect has and the other does not (sqlglot parses both in either)
_FOREIGN = {
    "mysql": (re.compile(r"\bilike\b|\bgenerate_series\s*\(|\$\$|::\s*[a-z]", re.IGNORECASE),),
    "postgres": (re.compile(r"\block\s+in\s+share\s+mode\b|`", re.IGNORECASE),),
}


def sql_options(spec: AssertionSpec) -> tuple[str, str, list[str] | None, list[str] | None]:
    v = spec.value
    if spec.options:
        raise ConfigError(f"{spec.type}: unknown option(s) {sorted(spec.options)}")
    if v is None:
        return "MySQL", "mysql", None, None
    if not isinstance(v, dict):
        raise ConfigError(f"{spec.type} assertion must have an object value (databaseType, ...)")
    unknown = sorted(set(v) - {"databaseType", "allowedTables", "allowedColumns"})
    if unknown:
        raise ConfigError(
            f"{spec.type}: unknown key(s) {unknown} in value "
            "(known: databaseType, allowedTables, allowedColumns)"
        )
    db = str(v.get("databaseType") or "MySQL")
    dialect = DIALECTS.get(db.lower())
    if dialect is None:
        raise ConfigError(
            f"{spec.type}: unknown databaseType '{db}' (known: {', '.join(sorted(DIALECTS))})"
        )
    lists = []
    for key in ("allowedTables", "allowedColumns"):
        items = v.get(key)
        if items is not None and (
            not isinstance(items, list) or not all(isinstance(x, str) for x in items)
        ):
            raise ConfigError(f"{spec.type}: '{key}' must be a list of strings")
        for pattern in items or ():
            try:
                re.compile(pattern)
            except re.error as e:
                raise ConfigError(f"{spec.type}: bad pattern {pattern!r} in {key}: {e}") from None
        lists.append(items)
    return db, dialect, lists[0], lists[1]


def _kind(stmt: Any) -> str:
    name = type(stmt).__name__.lower()
    return {"union": "select", "intersect": "select", "except": "select"}.get(name, name)


def authorities(statements: list[Any]) -> tuple[list[str], list[str]]:
    """node-sql-parser's tableList and columnList: ``kind::db-or-table::name``."""
    from sqlglot import exp

    tables: list[str] = []
    columns: list[str] = []
    for stmt in statements:
        kind = _kind(stmt)
        target = None
        if isinstance(stmt, (exp.Insert, exp.Update, exp.Delete)):
            t = stmt.find(exp.Table)
            target = t.name if t is not None else None
        for t in stmt.find_all(exp.Table):
            tables.append(f"{kind}::{t.db or 'null'}::{t.name}")
        for c in stmt.find_all(exp.Column):
            if isinstance(c.this, exp.Star):
                continue
            columns.append(f"{kind}::{c.table or target or 'null'}::{c.name}")
        if isinstance(stmt, exp.Insert) and isinstance(stmt.this, exp.Schema):
            for ident in stmt.this.expressions:
                columns.append(f"{kind}::{target or 'null'}::{ident.name}")
    return sorted(set(tables)), sorted(set(columns))


def _allowed(found: list[str], patterns: list[str]) -> list[str]:
    rx = [re.compile(f"^(?:{p})$", re.IGNORECASE) for p in patterns]
    return [a for a in found if not any(r.match(a) for r in rx)]


def _column_patterns(patterns: list[str]) -> list[str]:
    """promptfoo also accepts ``kind::null::col`` for a listed ``kind::table::col``."""
    out = list(patterns)
    for p in patterns:
        parts = p.split("::")
        if len(parts) == 3 and parts[1] != "null":
            alt = f"{parts[0]}::null::{parts[2]}"
            if alt not in out:
                out.append(alt)
    return out


def check_sql(
    text: str, db: str, dialect: str, tables: list[str] | None, columns: list[str] | None
) -> tuple[bool, str]:
    import sqlglot
    from sqlglot.errors import SqlglotError

    syntax = f"SQL statement does not conform to the provided {db} database syntax."
    sql = text.strip()
    bare = _LITERALS.sub(" ", sql)
    lint = (
        not sql
        or sql.count("`") % 2 == 1
        or _MISSING_COMMA.search(bare) is not None
        or _KEYWORD_TABLE.search(bare) is not None
        or (dialect == "mysql" and _DELETE_NO_FROM.search(bare) is not None)
        or any(
            rx.search(sql if rx.pattern.startswith("\\$") else bare)
            for rx in _FOREIGN.get(dialect, ())
        )
    )
    if lint:
        return False, syntax
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except (SqlglotError, ValueError, RecursionError):
        return False, syntax
    if not statements or not all(type(s).__name__ in _STATEMENTS for s in statements):
        return False, syntax
    reasons = []
    found_tables, found_columns = authorities(statements)
    if tables is not None and _allowed(found_tables, tables):
        reasons.append(
            f"SQL references unauthorized table(s). Found: [{', '.join(found_tables)}]."
            f" Allowed: [{', '.join(tables)}]."
        )
    if columns is not None and _allowed(found_columns, _column_patterns(columns)):
        reasons.append(
            f"SQL references unauthorized column(s). Found: "
            f"[{', '.join(found_columns)}]. Allowed: [{', '.join(columns)}]."
        )
    if reasons:
        return False, " ".join(reasons)
    return True, "output is valid SQL"


_FENCED = re.compile(r"```(?:sql)?([^`]+)```", re.IGNORECASE)


@register(
    "is-sql",
    description="The output is valid SQL (sqlglot), optionally within "
    "allow-lists of tables and columns; value: {databaseType, allowedTables, allowedColumns}.",
)
def _is_sql(spec: AssertionSpec, build: BuildContext) -> Fn:
    opts = sql_options(spec)

    def fn(ctx: ScoreContext) -> Score:
        ok, why = check_sql(ctx.output, *opts)
        return Score(passed=ok, score=1.0 if ok else 0.0, reason=why)

    return fn


@register(
    "contains-sql",
    description="The output holds valid SQL: the first ```sql block if "
    "there is one, else the whole output (same value as is-sql).",
)
def _contains_sql(spec: AssertionSpec, build: BuildContext) -> Fn:
    opts = sql_options(spec)

    def fn(ctx: ScoreContext) -> Score:
        m = _FENCED.search(ctx.output)
        ok, why = check_sql(m.group(1) if m else ctx.output, *opts)
        return Score(passed=ok, score=1.0 if ok else 0.0, reason=why)

    return fn
