"""``promptfooconfig.yaml`` -> an llmeval project: the import as a whole.

``convert`` reads the config (with js-yaml's YAML 1.2 booleans, keeping line marks)
and everything it references, and returns the project as data plus the notes of what
was not translated; ``writer.write`` puts it on disk. Reading is all here; the parts
are translated by ``prompts``, ``providers``, ``tests`` and ``asserts``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmeval.importers.promptfoo.asserts import AssertContext, keep_transform, translate_all
from llmeval.importers.promptfoo.notes import Notes, Where
from llmeval.importers.promptfoo.prompts import read_prompts
from llmeval.importers.promptfoo.providers import Models
from llmeval.importers.promptfoo.tests import TestReader, metadata_tags
from llmeval.importers.promptfoo.text_threads import TextThread
from llmeval.importers.promptfoo.threads import absorbs_defaults, thread_all

CONFIG_NAMES = ("promptfooconfig.yaml", "promptfooconfig.yml", "promptfooconfig.json")
_HANDLED = {
    "description", "prompts", "providers", "targets", "tests", "defaultTest", "scenarios",
    "assertionTemplates", "evaluateOptions",
}  # fmt: skip


@dataclass(slots=True)
class Imported:
    """The project to write, as plain data, and what could not be translated."""

    source: Path  # the config file
    suite_name: str
    settings: dict[str, Any]
    prompts: dict[str, dict[str, Any]]  # prompt name -> v1.yaml content
    suite: dict[str, Any]
    scorers: dict[str, str] = field(default_factory=dict)  # generated files
    copies: list[str] = field(default_factory=list)  # referenced files, relative
    notes: Notes = field(default_factory=Notes)


def find_config(path: Path) -> Path:
    """The config file: ``path`` itself, or the promptfooconfig in the folder ``path``."""
    from llmeval.errors import UsageError

    if path.is_dir():
        for name in CONFIG_NAMES:
            if (path / name).is_file():
                return path / name
        raise UsageError(f"no promptfooconfig.yaml in {path}")
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    return path


def convert(config_path: Path, *, offline: bool = False) -> Imported:
    """Read a promptfoo config; ConfigErrors (exit 4) if it cannot be read at all."""
    from llmeval.config.yaml import YamlMap, load_yaml
    from llmeval.domain.location import Location
    from llmeval.errors import ConfigError, ConfigErrors

    base = config_path.parent
    file = config_path.name
    words: list[ConfigError] = []  # YAML 1.1 word booleans, read as promptfoo reads them
    raw = load_yaml(config_path, file, words, core_schema=True)
    if not isinstance(raw, YamlMap):
        raise ConfigErrors([ConfigError("a promptfoo config should be a mapping", Location(file))])
    top = Where(file, 1)
    notes = Notes()
    notes.from_loader(words)
    models = Models(offline=offline)
    from llmeval.metrics import registry

    known = frozenset(registry.names())
    judge_types = frozenset(n for n in known if registry.get(n).judge)

    def provider_alias(value: Any, where: Where) -> str:
        return models.add(value, where, notes)

    actx = AssertContext(notes, _templates(raw), provider_alias, known, judge_types, base=base)
    for key in raw:
        if key not in _HANDLED and key != "derivedMetrics":
            notes.add(top.at(raw, key), f"top-level key '{key}'")
    derived = _derived_metrics(raw.get("derivedMetrics"), top.at(raw, "derivedMetrics"), notes)

    # providers -> models
    providers = raw.get("providers", raw.get("targets"))
    key = "providers" if "providers" in raw else "targets"
    aliases = []
    for i, p in enumerate(providers if isinstance(providers, list) else [providers]):
        if p is not None:
            where = top.at(raw[key], i) if isinstance(providers, list) else top.at(raw, key)
            aliases.append(models.add(p, where, notes))
    if not aliases:
        notes.add(top, "no providers: an echo stand-in is used")
        aliases.append(models.add("echo", top, notes))

    # grader -> judge
    judge = None
    default_transform = None
    default_test = _default_test(raw.get("defaultTest"), base, top.at(raw, "defaultTest"), notes)
    options = default_test.get("options") if isinstance(default_test, dict) else None
    dt_at = top.at(raw, "defaultTest")
    if isinstance(options, dict):
        for k, v in options.items():
            if k == "provider":
                if not offline:
                    judge = models.add(v, dt_at.at(options, k), notes, label="judge")
            elif k == "transform":
                if keep_transform(v, dt_at.at(options, k), notes):
                    default_transform = v
            elif k != "disableVarExpansion":
                notes.add(dt_at.at(options, k), f"defaultTest option '{k}'")
    if offline:
        actx.provider_alias = lambda value, where: ""  # judges are skipped offline

    # prompts
    prompts = read_prompts(raw.get("prompts"), base, top.at(raw, "prompts"), notes)
    suite_name = _suite_name(config_path)
    prompt_files: dict[str, dict[str, Any]] = {}
    threaded: set[str] = set()
    texts: dict[str, TextThread] = {}  # text prompts looping over _conversation
    for n, p in enumerate(prompts, 1):
        name = _unique(_slug(p.label) or f"{suite_name}-{n}", prompt_files)
        desc = {"description": f"imported from {file} (prompt {n})"}
        prompt_files[name] = {**desc, **p.body}
        if p.threads:
            threaded.add(name)
        if p.text_thread is not None:
            texts[name] = p.text_thread
    if not prompts:
        notes.add(
            top.at(raw, "prompts"), "no usable prompt: the suite sends each case's 'prompt' var"
        )

    # tests
    expand = not (isinstance(options, dict) and options.get("disableVarExpansion"))
    reader = TestReader(base, notes, actx, expand=expand)
    cases = reader.tests(raw.get("tests"), top.at(raw, "tests"))
    cases += _scenarios(raw.get("scenarios"), top.at(raw, "scenarios"), reader)
    defaults: dict[str, Any] = {}
    if isinstance(default_test, dict):
        for k in default_test:
            if k not in ("assert", "vars", "options", "threshold", "metadata"):
                notes.add(dt_at.at(default_test, k), f"defaultTest key '{k}'")
        found = translate_all(default_test.get("assert"), dt_at.at(default_test, "assert"), actx)
        if found:
            defaults["assert"] = _strip_empty_provider(found)
        dvars = reader.vars(default_test.get("vars"), dt_at.at(default_test, "vars"))
        if dvars:
            defaults["vars"] = dvars
        tags = metadata_tags(default_test.get("metadata"), dt_at, notes)
        if tags:
            defaults["tags"] = tags
        if default_transform is not None:
            defaults["transform"] = default_transform
    threshold = default_test.get("threshold") if isinstance(default_test, dict) else None
    where = top.at(raw, "prompts")
    threads = thread_all(
        cases, prompt_files, threaded, texts, defaults.get("assert", []), threshold,
        reader.conversations, notes, where,
    )  # fmt: skip
    if threads is not None:  # conversations; with a threshold each carries defaultTest's
        if absorbs_defaults(cases, threshold):
            defaults.pop("assert", None)
            threshold = None
        cases = threads
    suite: dict[str, Any] = {"name": suite_name}
    if isinstance(raw.get("description"), str):
        suite["description"] = raw["description"]
    suite["prompts"] = [f"{name}@v1" for name in prompt_files]
    if threshold is not None:
        suite["threshold"] = threshold
    if defaults:
        suite["defaults"] = defaults
    if derived:
        suite["derived_metrics"] = derived
    suite["cases"] = _with_ids([_strip_case(c) for c in cases])
    if not suite["prompts"]:
        del suite["prompts"]

    settings: dict[str, Any] = {"models": models.models, "defaults": {"models": aliases}}
    if judge:
        settings["defaults"]["judge"] = judge
    ev = raw.get("evaluateOptions")
    if isinstance(ev, dict):
        for k, v in ev.items():
            if k == "maxConcurrency" and isinstance(v, int) and v > 0:
                settings["run"] = {"concurrency": v}
            else:
                notes.add(top.at(ev, k), f"evaluateOptions '{k}'")
    copies = sorted({*models.python_files, *actx.python_files, *reader.var_files})
    return Imported(
        source=config_path,
        suite_name=suite_name,
        settings=settings,
        prompts=prompt_files,
        suite=suite,
        scorers=dict(actx.scorers),
        copies=copies,
        notes=notes,
    )


def _derived_metrics(raw: Any, at: Where, notes: Notes) -> list[dict[str, str]]:
    """promptfoo's derivedMetrics -> the suite's derived_metrics: expressions are kept
    (the grammar llmeval evaluates); JavaScript functions are reported."""
    from llmeval.analysis.derived import ExpressionError, parse

    if raw is None:
        return []
    if not isinstance(raw, list):
        notes.add(at, "derivedMetrics should be a list")
        return []
    out = []
    for i, item in enumerate(raw):
        where = at.at(raw, i)
        name = item.get("name") if isinstance(item, dict) else item
        value = item.get("value") if isinstance(item, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(name, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            notes.add(where, f"derived metric {name!r} (its name must be a word)")
            continue
        try:
            parse(value if isinstance(value, str) else "")
        except ExpressionError as e:
            kind = "a JavaScript function" if "JavaScript" in str(e) else str(e)
            notes.add(where, f"derived metric {name!r} ({kind})")
            continue
        out.append({"name": name, "value": str(value).strip()})
    return out


def _templates(raw: Any) -> dict[str, Any]:
    t = raw.get("assertionTemplates")
    return dict(t) if isinstance(t, dict) else {}


def _default_test(raw: Any, base: Path, at: Where, notes: Notes) -> Any:
    if isinstance(raw, str) and raw.startswith("file://"):
        from llmeval.config.yaml import load_yaml
        from llmeval.errors import ConfigErrors

        rel = raw[len("file://") :]
        try:
            found: list[Any] = []
            data = load_yaml(base / rel, rel, found, core_schema=True)
            notes.from_loader(found)
            return data
        except ConfigErrors as e:
            notes.add(at, f"defaultTest file: {e.errors[0]}")
            return None
    if raw is not None and not isinstance(raw, dict):
        notes.add(at, f"defaultTest {raw!r}")
        return None
    return raw


def _scenarios(raw: Any, at: Where, reader: TestReader) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        reader.notes.add(at, "scenarios should be a list")
        return []
    out = []
    for i, sc in enumerate(raw):
        sat = at.at(raw, i)
        if not isinstance(sc, dict):
            reader.notes.add(sat, f"scenario {sc!r}")
            continue
        for k in sc:
            if k not in ("description", "config", "tests"):
                reader.notes.add(sat.at(sc, k), f"scenario key '{k}'")
        label = str(sc.get("description") or f"scenario {i + 1}")
        configs = sc.get("config") or [{}]
        for j, conf in enumerate(configs if isinstance(configs, list) else [configs]):
            cat = sat.at(sc.get("config"), j)
            for case_vars in _config_vars(conf, cat, reader):
                for case in reader.tests(sc.get("tests"), sat.at(sc, "tests")):
                    merged = {**case, "vars": {**case_vars, **case["vars"]}}
                    desc = case.get("description")
                    merged["description"] = f"{label}: {desc}" if desc else label
                    out.append(merged)
    return out


def _config_vars(conf: Any, at: Where, reader: TestReader) -> list[dict[str, Any]]:
    from llmeval.importers.promptfoo.tests import product

    if not isinstance(conf, dict):
        reader.notes.add(at, f"scenario config {conf!r}")
        return []
    for k in conf:
        if k != "vars":
            reader.notes.add(at.at(conf, k), f"scenario config key '{k}'")
    vars = reader.vars(conf.get("vars"), at.at(conf, "vars"))
    return product(vars) if reader.expand else [vars]


def _strip_empty_provider(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in a.items() if not (k == "provider" and not v)} for a in found]


def _strip_case(case: dict[str, Any]) -> dict[str, Any]:
    if "assert" in case:
        case = {**case, "assert": _strip_empty_provider(case["assert"])}
    if "turns" in case:
        turns = [
            {**t, "assert": _strip_empty_provider(t["assert"])} if isinstance(t, dict) else t
            for t in case["turns"]
        ]
        case = {**case, "turns": turns}
    return case


def _with_ids(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ids from descriptions where unique, else from a hash of the case's content."""
    slugs = [_slug(c.get("description", "")) for c in cases]
    out = []
    seen: dict[str, int] = {}
    for case, slug in zip(cases, slugs, strict=True):
        if slug and slugs.count(slug) == 1:
            cid = slug
        else:
            blob = json.dumps(
                [case.get("vars"), case.get("assert"), case.get("turns")],
                sort_keys=True,
                default=str,
            )
            cid = f"{slug or 'case'}-{hashlib.sha256(blob.encode()).hexdigest()[:8]}"
        seen[cid] = seen.get(cid, 0) + 1
        if seen[cid] > 1:
            cid = f"{cid}-{seen[cid]}"
        order = ("description", "vars", "turns", "transform", "assert", "threshold", "tags")
        out.append({"id": cid, **{k: case[k] for k in order if k in case}})
    return out


def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return s[:60].rstrip("-")


def _unique(name: str, taken: dict[str, Any]) -> str:
    out, n = name, 2
    while out in taken:
        out, n = f"{name}-{n}", n + 1
    return out


def _suite_name(config_path: Path) -> str:
    stem = config_path.stem
    if stem.startswith("promptfooconfig"):
        rest = stem[len("promptfooconfig") :].strip(".-_")
        stem = rest or config_path.resolve().parent.name
    return _slug(stem) or "imported"
