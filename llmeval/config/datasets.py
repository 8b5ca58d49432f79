"""Dataset files of a suite: CSV, JSONL or YAML rows, each with the line it came from.

CSV is read with the standard ``csv`` module rather than pandas: every value must
stay the exact text of the cell (pandas would turn ``007`` into 7 and empty cells
into NaN), each row needs its line number, and importing pandas alone costs more
than reading a 10,000-row file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmeval.config.limits import MAX_DEPTH, depth
from llmeval.config.yaml import YamlList, load_yaml
from llmeval.domain.location import Location
from llmeval.errors import ConfigError, ConfigErrors
from llmeval.text import repair_value

SUFFIXES = (".csv", ".jsonl", ".ndjson", ".yaml", ".yml")
_TOO_DEEP: Any = object()
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


@dataclass(frozen=True, slots=True)
class Row:
    data: Any  # a dict for CSV/JSONL; a YamlMap (with locations) for YAML
    location: Location
    shaped: bool  # True: written like an inline case (vars/expected/assert)
    # a CSV without an ``id`` column: an id derived from the row's cells, so that
    # inserting a row does not re-key every case after it against the baseline
    content_id: str | None = None


def find_dataset(written: str, suite_dir: Path, root: Path, where: Location) -> Path:
    """The dataset file, relative to the suite's folder first, then the project root."""
    from llmeval.files import find_in_project  # the one rule for files a suite names

    return find_in_project(written, what="dataset", root=root, suite_dir=suite_dir, location=where)


def read_rows(path: Path, file: str, errors: list[ConfigError]) -> list[Row]:
    """Rows of a dataset file; problems (at their line) are appended to ``errors``."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        errors.append(
            ConfigError("a dataset should be a .csv, .jsonl or .yaml file", Location(file))
        )
        return []
    if suffix in (".yaml", ".yml"):
        return _yaml_rows(path, file, errors)
    try:
        data = path.read_bytes()
    except OSError as e:
        errors.append(ConfigError(f"cannot read dataset: {e.strerror}", Location(file)))
        return []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        errors.append(ConfigError(f"not UTF-8 text: {e.reason}", Location(file, line)))
        return []
    if suffix == ".csv":
        return _csv_rows(text, file, errors)
    return _jsonl_rows(text, file, errors)


def _csv_rows(text: str, file: str, errors: list[ConfigError]) -> list[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[Row] = []
    try:
        header = [h.strip() for h in next(reader, [])]
        if not header:
            errors.append(
                ConfigError("the CSV file is empty (it needs a header row)", Location(file))
            )
            return rows
        for i, name in enumerate(header):
            if not name:
                errors.append(ConfigError(f"column {i + 1} has no name", Location(file, 1)))
            elif name in header[:i]:
                errors.append(ConfigError(f"duplicate column '{name}'", Location(file, 1)))
        prev = reader.line_num
        seen: dict[str, int] = {}
        derive = "id" not in header
        for record in reader:
            line, prev = prev + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue  # blank line
            if len(record) != len(header):
                msg = f"row has {len(record)} fields but the header has {len(header)}"
                errors.append(ConfigError(msg, Location(file, line)))
                continue
            cid = _content_id(record, seen) if derive else None
            rows.append(
                Row(dict(zip(header, record, strict=True)), Location(file, line), False, cid)
            )
    except csv.Error as e:
        errors.append(ConfigError(f"malformed CSV: {e}", Location(file, reader.line_num)))
    return rows


def _content_id(cells: list[str], seen: dict[str, int]) -> str:
    """``row-`` + a hash of the cells; identical rows get ``-2``, ``-3`` in file order."""
    digest = hashlib.sha256("\x1f".join(cells).encode("utf-8")).hexdigest()[:10]
    base = f"row-{digest}"
    seen[base] = seen.get(base, 0) + 1
    return base if seen[base] == 1 else f"{base}-{seen[base]}"


def _jsonl_rows(text: str, file: str, errors: list[ConfigError]) -> list[Row]:
    rows: list[Row] = []
    # split on \n only: JSON strings may hold U+2028 and friends, which splitlines breaks on
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(ConfigError(f"malformed JSON: {e.msg}", Location(file, n, e.colno)))
            continue
        except RecursionError:  # deeper than the C parser goes
            obj = _TOO_DEEP
        if obj is _TOO_DEEP or depth(obj) > MAX_DEPTH:
            errors.append(
                ConfigError(f"nested more than {MAX_DEPTH} levels deep", Location(file, n))
            )
            continue
        if not isinstance(obj, dict):
            msg = f"each line should be a JSON object, got {type(obj).__name__}"
            errors.append(ConfigError(msg, Location(file, n)))
            continue
        if _SURROGATE.search(line):  # a \ud800-style escape: the only way to a lone surrogate
            obj = repair_value(obj)
        rows.append(Row(obj, Location(file, n), isinstance(obj.get("vars"), dict)))
    return rows


def _yaml_rows(path: Path, file: str, errors: list[ConfigError]) -> list[Row]:
    try:
        data = load_yaml(path, file, warnings=errors)  # warnings are split off by the loader
    except ConfigErrors as e:
        errors.extend(e.errors)
        return []
    if not isinstance(data, YamlList):
        errors.append(ConfigError("a YAML dataset should be a list of cases", Location(file)))
        return []
    rows = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            errors.append(ConfigError("each case should be a mapping", data.item_location(i)))
            continue
        rows.append(Row(item, data.item_location(i), True))
    return rows


def flat_case(row: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A flat row (columns) as a case, plus problems with its special columns.

    ``id``, ``expected``, ``tags``, ``description`` are special; so are promptfoo's
    ``__expected``, ``__threshold``, ``__metadata:*`` ... columns (``config.expected``).
    Every other column is a var. Empty cells of special columns are unset."""
    from llmeval.config.expected import SPECIAL_PREFIX, split_special

    problems: list[str] = []
    vars = dict(row)
    case: dict[str, Any] = {"vars": vars}
    if any(isinstance(k, str) and k.startswith(SPECIAL_PREFIX) for k in vars):
        case, problems = split_special(vars)
        vars = case["vars"]
    for key in ("id", "expected", "tags", "description"):
        if key in vars:
            value = vars.pop(key)
            if value is not None and value != "":
                if key == "tags" and case.get("tags"):
                    from llmeval.config.schema import _as_tags

                    value = [*_as_tags(value), *case["tags"]]
                case[key] = value
    return case, problems
