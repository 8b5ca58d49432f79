"""The declared dependencies match what the package imports."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from conftest import REPO

PKG = REPO / "llmeval"


def _imports() -> dict[str, set[str]]:
    """Top-level module -> the package files importing it (any depth, lazy included)."""
    out: dict[str, set[str]] = {}
    for path in PKG.rglob("*.py"):
        if "scaffold" in path.parts:  # user project templates, not the package
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for n in names:
                out.setdefault(n.split(".")[0], set()).add(path.relative_to(REPO).as_posix())
    return out


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def _names(reqs: list[str]) -> set[str]:
    return {_norm(re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0]) for r in reqs}


def test_every_third_party_import_is_a_declared_dependency() -> None:
    meta = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = _names(meta["dependencies"])
    extras = {n for k, v in meta["optional-dependencies"].items() if k != "dev" for n in _names(v)}
    dists = packages_distributions()
    third = {
        m: files
        for m, files in _imports().items()
        if m not in sys.stdlib_module_names and m != "llmeval" and m in dists
    }
    # optional extras (js, parquet) count: their imports are guarded with a clear error
    missing = {m: dists[m] for m in third if not ({_norm(d) for d in dists[m]} & (core | extras))}
    assert missing == {}, missing
    assert {"numpy", "markupsafe"} <= core  # used directly, not only through others


def test_statsmodels_is_a_dev_extra_used_only_by_tests() -> None:
    meta = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = meta["optional-dependencies"]
    assert "statsmodels" not in _names(meta["dependencies"])
    assert "statsmodels" in _names(extras["dev"])
    assert "statsmodels" not in _imports()
    assert "pyarrow" in _names(extras["parquet"]) and "pyarrow" in _names(extras["dev"])


def test_pandas_is_imported_only_by_the_results_table() -> None:
    # the API names pandas only for its type annotations (under TYPE_CHECKING)
    assert _imports()["pandas"] == {"llmeval/analysis/table.py", "llmeval/api.py"}
