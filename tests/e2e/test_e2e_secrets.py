"""Canary keys never reach a file or the terminal, even when the server echoes the
key back in its error bodies and the run prints those errors."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
import yaml
from e2e_project import (
    ANTHROPIC_CANARY,
    CANARIES,
    OPENAI_CANARY,
    anthropic_model,
    cli_env,
    make_project,
    openai_model,
    prompt_of,
)
from fakeserver import FakeLLMServer


@pytest.fixture
def server():
    with FakeLLMServer(latency_ms=2) as srv:
        yield srv


def _for(case_id: str):
    return lambda body: body["messages"][-1]["content"] == prompt_of(case_id)


def test_canary_keys_absent_from_every_file_and_output(server, tmp_path) -> None:
    project = make_project(
        tmp_path,
        {"oa": openai_model(server.openai_base_url), "an": anthropic_model(server.url)},
        n_cases=6,
        run={"retries": 1},
    )
    chat, messages = "/v1/chat/completions", "/v1/messages"
    server.fail_when("bad_request", _for("c01"), path=chat, echo_key=True)
    server.fail_when("server_error", _for("c02"), path=chat, echo_key=True)
    server.fail_when("error_body", _for("c03"), path=chat, echo_key=True)
    server.fail_when(  # a proxy that quotes the whole Authorization header
        "custom",
        _for("c04"),
        path=chat,
        status=502,
        body=f"bad gateway; header was Authorization: Bearer {OPENAI_CANARY}",
    )
    server.fail_when("quota", _for("c05"), path=messages, echo_key=True)

    def answer(body: dict) -> str:  # c00's answer quotes a key, like a leaky app would
        prompt = body["messages"][-1]["content"]
        return f"{prompt}; key {OPENAI_CANARY}" if prompt == prompt_of("c00") else prompt

    server.responder = answer
    junit, markdown = tmp_path / "out" / "junit.xml", tmp_path / "out" / "summary.md"
    proc = project.run(
        "--debug", "run", "--run-id", "sec", "--junit", str(junit), "--markdown", str(markdown)
    )
    # a 400 is the request's own fault (resuming cannot fix it): the gate fails
    assert proc.returncode == 1, proc.stdout + proc.stderr
    stats = project.run("cache", "stats")
    assert stats.returncode == 0, stats.stderr

    # the keys were really in use, and really echoed back
    received = " ".join(str(r.headers) for r in server.requests)
    assert OPENAI_CANARY in received and ANTHROPIC_CANARY in received
    errors = {
        (line["case_id"], line["model"]): line["error"]
        for line in project.journal("sec")
        if line["status"] == "error"
    }
    assert {("c01", "oa"), ("c02", "oa"), ("c03", "oa"), ("c04", "oa"), ("c05", "an")} <= set(
        errors
    )
    assert "[REDACTED]" in errors[("c01", "oa")]["message"]
    assert "[REDACTED]" in errors[("c05", "an")]["message"]
    outputs = {(line["case_id"], line["model"]): line["output"] for line in project.journal("sec")}
    assert outputs[("c00", "oa")] == prompt_of("c00") + "; key [REDACTED]"
    assert "REDACTED" in proc.stdout + proc.stderr  # the run printed the redacted errors

    written = project.files()
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    assert {"reports/sec.html", "reports/latest.html", "out/junit.xml", "out/summary.md"} <= names
    assert any(n.startswith(".llmeval/cache/") for n in names)
    for path in written:
        data = path.read_bytes()
        for canary in CANARIES:
            assert canary.encode() not in data, path
            assert canary.encode("utf-16-le") not in data, path
    for text in (proc.stdout, proc.stderr, stats.stdout, stats.stderr):
        for canary in CANARIES:
            assert canary not in text


# --- a server that echoes the key in every field, keys with whitespace, keyless scorers --

SPY_SCORER = '''
import json, os


def spy(output, context):
    """Everything a hostile scorer can reach: its env and its parent's /proc environ."""
    with open(f"/proc/{os.getppid()}/environ", "rb") as fh:
        parent = fh.read().decode("utf-8", "replace")
    try:  # the parent's memory (its heap holds the keys): needs ptrace rights
        open(f"/proc/{os.getppid()}/mem", "rb").close()
        mem = "mem:open"
    except OSError:
        mem = "mem:denied"
    own = json.dumps(dict(os.environ))
    return {"pass": True, "reason": mem + " parent:" + parent + " own:" + own}
'''

LEAKY_TARGET = """
import base64, os

key = os.environ.get("OPENAI_API_KEY", "")
raise RuntimeError("import failed with " + key + " b64 " + base64.b64encode(key.strip().encode()).decode())


def answer(vars):  # defined (validate looks), never reached: the import fails first
    return ""
"""


ENV_TARGET = """
import json, os


def answer(prompt):  # a python target that hands back everything it can see
    with open(f"/proc/{os.getppid()}/environ", "rb") as fh:
        parent = fh.read().decode("utf-8", "replace")
    return json.dumps({"own": dict(os.environ), "parent": parent})
"""


def _leaky_reply(body: dict) -> str:
    text = " ".join(str(m.get("content")) for m in body.get("messages") or [])
    if "<<<OUTPUT" in text or "rubric" in text.lower():
        return json.dumps({"reason": "graded with {KEY}", "pass": True, "score": 1.0})
    return body["messages"][-1]["content"] + " {KEY} b64={KEY_B64} url={KEY_URL} hex={KEY_HEX}"


def _forms(key: str) -> list[bytes]:
    """The canary as it could appear in a file: plain, base64, URL-encoded, hex."""
    raw = key.encode()
    return [raw, base64.b64encode(raw), quote(key, safe="").encode(), raw.hex().encode()]


def test_echoed_keys_never_reach_a_file_or_the_terminal(tmp_path) -> None:
    with FakeLLMServer(latency_ms=1, echo_key=True, responder=_leaky_reply) as srv:
        env = cli_env(
            OPENAI_API_KEY=f"{OPENAI_CANARY}\n",  # as `export KEY=$(cat keyfile)` leaves it
            ANTHROPIC_API_KEY=f"  {ANTHROPIC_CANARY} ",
        )
        project = make_project(
            tmp_path,
            {"oa": openai_model(srv.openai_base_url), "an": anthropic_model(srv.url)},
            n_cases=3,
            run={"retries": 0},
            env=env,
        )
        config = yaml.safe_load((tmp_path / "llmeval.yaml").read_text())
        config["defaults"]["judge"] = "oa"
        (tmp_path / "llmeval.yaml").write_text(yaml.safe_dump(config))
        (tmp_path / "spy.py").write_text(SPY_SCORER)
        suite_path = tmp_path / "suites" / "e2e.yaml"
        suite = yaml.safe_load(suite_path.read_text())
        for case in suite["cases"]:
            case["assert"] += [
                {"type": "llm-rubric", "value": "Mentions the case."},
                {"type": "python", "value": "spy.py:spy", "timeout_s": 30},
            ]
        suite_path.write_text(yaml.safe_dump(suite, sort_keys=False))
        srv.fail_when("server_error", _for("c02"), path="/v1/chat/completions", echo_key=True)

        out = tmp_path / "out"
        outputs = [
            project.run(
                "--debug",
                "run",
                "--run-id",
                "leak",
                "--junit",
                str(out / "j.xml"),
                "--markdown",
                str(out / "run.md"),
            ),
            project.run("report", "leak"),
            project.run("baseline", "save", "leak", "--force"),
            project.run(
                "diff", "suites/baselines/e2e.json", "leak", "--markdown", str(out / "d.md")
            ),
            project.run("cache", "stats"),
        ]
        assert outputs[0].returncode == 3, outputs[0].stderr  # c02 on oa errored
        # diff judges the run as the run did: incomplete (3) while c02 is errored
        assert all(p.returncode in (0, 1, 3) for p in outputs[1:]), "\n----\n".join(
            p.stdout + p.stderr for p in outputs
        )

        # a forced error whose message (and traceback) quotes the key, with --debug
        (tmp_path / "leaky.py").write_text(LEAKY_TARGET)
        # (a target gets no key unless the model passes it on: pass_env)
        config["models"]["leaky"] = {
            "provider": "python",
            "target": "leaky.py:answer",
            "pass_env": ["OPENAI_API_KEY"],
        }
        (tmp_path / "llmeval.yaml").write_text(yaml.safe_dump(config))
        forced = project.run("--debug", "run", "-m", "leaky", "--run-id", "forced")
        assert forced.returncode == 4 and "Traceback" in forced.stderr, forced.stderr
        assert "[REDACTED]" in forced.stderr
        outputs.append(forced)

        # a python target that returns its whole environment and its parent's
        (tmp_path / "envdump.py").write_text(ENV_TARGET)
        config["models"]["envdump"] = {"provider": "python", "target": "envdump.py:answer"}
        (tmp_path / "llmeval.yaml").write_text(yaml.safe_dump(config))
        dumped = project.run("run", "-m", "envdump", "--run-id", "envdump")
        assert dumped.returncode in (0, 1, 3), dumped.stdout + dumped.stderr
        outputs.append(dumped)

    # the keys were sent stripped, and really echoed back in every field
    sent = {r.headers.get("x-api-key") or r.headers["authorization"] for r in srv.requests}
    assert {k.removeprefix("Bearer ") for k in sent} == set(CANARIES), sent
    lines = {(ln["case_id"], ln["model"]): ln for ln in project.journal("leak")}
    ok = lines[("c00", "an")]
    assert "[REDACTED]" in ok["output"] and "[REDACTED]" in ok["model_id"]
    assert ok["finish_reason"] == "[REDACTED]"
    by_type = {a["type"]: a for a in ok["assertions"]}
    assert by_type["llm-rubric"]["reason"] == "graded with [REDACTED]"
    spied = by_type["python"]["reason"]
    parent, own = spied.split(" own:")
    assert "PATH=" in parent and "OPENAI_API_KEY=" in parent  # it did read /proc/<ppid>/environ
    assert parent.startswith("mem:denied")  # root or not: no ptrace rights on the parent
    assert "[REDACTED]" not in spied  # nothing to redact: the key was never within reach
    assert "OPENAI_API_KEY" not in own and "ANTHROPIC_API_KEY" not in own
    assert "[REDACTED]" in lines[("c02", "oa")]["error"]["message"]
    dumps = [json.loads(ln["output"]) for ln in project.journal("envdump")]
    assert len(dumps) == 3
    for seen in dumps:
        assert "PATH" in seen["own"] and "PATH=" in seen["parent"]  # it did look
        assert not {"OPENAI_API_KEY", "ANTHROPIC_API_KEY"} & set(seen["own"])
        assert "OPENAI_API_KEY=" in seen["parent"]  # the name, its value sealed away
        assert "[REDACTED]" not in json.dumps(seen)  # nothing to redact: never in reach

    written = project.files()
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    assert {"reports/leak.html", "suites/baselines/e2e.json", "out/j.xml", "out/d.md"} <= names
    assert any(n.startswith(".llmeval/cache/") for n in names)
    for path in written:
        data = path.read_bytes()
        for canary in CANARIES:
            for form in _forms(canary):
                assert form not in data, (path, form)
    for proc in outputs:
        for canary in CANARIES:
            for form in _forms(canary):
                assert form.decode() not in proc.stdout + proc.stderr, form


# --- a tools_impl given a secret through pass_env -----------------------------------

TOOLS_PY = '''
import hashlib, os


def lookup(q: str = "") -> str:
    """A tool that needs a database URL: what it sees, and the URL itself (leaked)."""
    url = os.environ.get("ORDERS_DB_URL", "") + os.environ.get("ORDERS_DB_PASSWORD", "")
    seen = sorted(k for k in os.environ if k.startswith("ORDERS_") or k.endswith("_API_KEY"))
    return f"names={','.join(seen)} sha={hashlib.sha256(url.encode()).hexdigest()} url={url}"
'''

DB_URL = "postgres://orders@db.internal:5432/orders"
DB_PASSWORD = "hunter2-s3cret-7f1c"


def test_a_secret_passed_to_tools_never_reaches_a_file_or_the_terminal(tmp_path) -> None:
    import hashlib

    from fakeserver import tool_agent

    with FakeLLMServer(latency_ms=1, responder=tool_agent) as srv:
        env = cli_env(  # a key-like name is scrubbed from workers unless passed
            ORDERS_DB_URL=DB_URL, ORDERS_DB_PASSWORD=DB_PASSWORD, ORDERS_API_TOKEN="tok-" + "5" * 20
        )
        project = make_project(
            tmp_path, {"oa": openai_model(srv.openai_base_url)}, n_cases=1, env=env
        )
        suite = {
            "name": "e2e",
            "models": ["oa"],
            "tools": [{"name": "lookup", "parameters": {
                "type": "object", "properties": {"q": {"type": "string"}}}}],
            "tools_impl": "tools.py",
            "pass_env": ["ORDERS_DB_URL", "ORDERS_DB_PASSWORD"],
            "cases": [{"id": f"t{i}", "vars": {"input": f"please lookup q=order{i}"},
                       "assert": [{"type": "contains", "value": "names=ORDERS_DB_PASSWORD,ORDERS_DB_URL "}]}
                      for i in range(3)],
        }  # fmt: skip
        (tmp_path / "suites" / "tools.py").write_text(TOOLS_PY)
        (tmp_path / "suites" / "e2e.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
        out = tmp_path / "out"
        outputs = [
            project.run("validate"),
            project.run("--debug", "run", "--run-id", "tools", "--junit", str(out / "j.xml"),
                        "--markdown", str(out / "run.md")),
            project.run("report", "tools"),
            project.run("baseline", "save", "tools", "--force"),
            project.run("diff", "suites/baselines/e2e.json", "tools", "--markdown",
                        str(out / "d.md")),
        ]  # fmt: skip
        assert all(p.returncode == 0 for p in outputs), "\n----\n".join(
            p.stdout + p.stderr for p in outputs
        )
    lines = project.journal("tools")
    assert len(lines) == 3
    sha = hashlib.sha256((DB_URL + DB_PASSWORD).encode()).hexdigest()
    for line in lines:  # the tool saw exactly the names it was given, with their values...
        assert line["status"] == "pass", line
        seen = f"names=ORDERS_DB_PASSWORD,ORDERS_DB_URL sha={sha} url=[REDACTED][REDACTED]"
        assert seen in line["output"]
        step = next(s for s in line["trajectory"] if s["type"] == "tool")
        assert step["output"].endswith("url=[REDACTED][REDACTED]")
    # ... and the tool result the model was sent was redacted too
    sent = [m for r in srv.requests for m in r.json["messages"] if m.get("role") == "tool"]
    assert sent and all(DB_PASSWORD not in str(m["content"]) for m in sent)
    written = project.files()
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    assert {".llmeval/runs/tools/run.json", ".llmeval/runs/tools/results.jsonl",
            "reports/tools.html", "suites/baselines/e2e.json", "out/j.xml"} <= names  # fmt: skip
    for path in written:
        data = path.read_bytes()
        for form in (*_forms(DB_URL), *_forms(DB_PASSWORD)):
            assert form not in data, (path, form)
    for proc in outputs:
        for form in (*_forms(DB_URL), *_forms(DB_PASSWORD)):
            assert form.decode() not in proc.stdout + proc.stderr, form
