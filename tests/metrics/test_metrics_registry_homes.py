"""``registry._HOMES`` says which module registers each metric, so a run imports only
the modules of the types its suites use. Checked against what the modules register,
in a fresh interpreter (nothing imported yet), module by module."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import importlib, json
from llmeval.metrics import registry
seen, out = set(registry._METRICS), {}
for mod in registry._HOMES:
    importlib.import_module(mod)
    out[mod] = sorted(set(registry._METRICS) - seen)
    seen = set(registry._METRICS)
print(json.dumps(out))
"""


def test_each_module_registers_exactly_the_names_its_home_entry_lists() -> None:
    from llmeval.metrics import registry

    got = json.loads(subprocess.check_output([sys.executable, "-c", PROBE], text=True))
    assert got == {m: sorted(names) for m, names in registry._HOMES.items()}


def test_asking_for_one_type_imports_only_its_module() -> None:
    probe = (
        "import sys\nfrom llmeval.metrics import registry\nregistry.get('icontains')\n"
        "print(sorted(m for m in registry._HOMES if m in sys.modules))"
    )
    out = subprocess.check_output([sys.executable, "-c", probe], text=True)
    assert "llmeval.metrics.text" in out
    assert "llmeval.metrics.sql" not in out and "llmeval.judge.rag" not in out


def test_an_unknown_type_still_gets_the_closest_name() -> None:
    import pytest

    from llmeval.errors import ConfigError
    from llmeval.metrics import registry

    with pytest.raises(ConfigError, match="did you mean 'is-sql'"):
        registry.get("is-sq")
