"""The floor under issue 15's figures: what the real SDK costs before llmeval does anything.

Issue 15 requires requests to go through the real ``openai`` SDK. This measures, on
this machine, in one run:

- start-up: ``python -c pass``, ``import openai``, ``import anthropic`` and the
  third-party modules every ``llmeval run`` imports (typer, pydantic, jinja2, yaml,
  rich, asyncio, diskcache) -- CPU of a fresh interpreter, best of 3;
- the bare SDK per request: ``AsyncOpenAI`` with ``DefaultAioHttpClient`` (what llmeval
  uses), concurrency 32, against ``tests/fakeserver.py`` at 0 ms in its own process;
  parsed (``create``) and raw (``with_raw_response``, what llmeval uses);

then the lower bounds those imply for the figures, for one process (Python runs the
event loop on one core) and for two worker processes on two cores, next to the aims.
No llmeval code runs in the measured requests, so llmeval's own share of a figure is
what ``bench_scale.py`` measures minus this floor.

    python benchmarks/bench_sdk_floor.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_providers import Server

RUN_IMPORTS = "typer, pydantic, jinja2, yaml, rich.console, asyncio, diskcache, sqlite3"


def import_cpu(statement: str, tries: int = 3) -> float:
    """CPU seconds of a fresh interpreter running ``statement`` (best of ``tries``)."""
    best = float("inf")
    for _ in range(tries):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", statement], check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best = min(best, cpu)
    return best


def own_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def sdk_cpu_per_request(url: str, n: int, raw: bool) -> float:
    import openai

    client = openai.AsyncOpenAI(
        base_url=url + "/v1",
        api_key="sk-bench-not-a-real-key",
        http_client=openai.DefaultAioHttpClient(),
    )
    gate = asyncio.Semaphore(32)

    async def one(i: int) -> None:
        messages = [{"role": "user", "content": f"Question {i}: what is {i} plus one?"}]
        async with gate:
            if raw:
                resp = await client.chat.completions.with_raw_response.create(
                    model="gpt-4o-mini", messages=messages, max_tokens=64, temperature=0
                )
                resp.http_response.content  # noqa: B018 -- the bytes llmeval parses
            else:
                await client.chat.completions.create(
                    model="gpt-4o-mini", messages=messages, max_tokens=64, temperature=0
                )

    await asyncio.gather(*(one(i) for i in range(64)))  # connections and SDK set-up
    start = own_cpu()
    await asyncio.gather(*(one(i) for i in range(n)))
    per = (own_cpu() - start) / n
    await client.close()
    return per


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000)
    args = ap.parse_args()
    print(f"load {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores, python {sys.version.split()[0]}")

    bare = import_cpu("pass")
    oa = import_cpu("import openai") - bare
    an = import_cpu("import anthropic") - bare
    common = import_cpu(f"import {RUN_IMPORTS}") - bare
    print(
        f"start-up CPU: interpreter {bare * 1000:.0f} ms, import openai {oa * 1000:.0f} ms, "
        f"import anthropic {an * 1000:.0f} ms, run's other third-party imports "
        f"{common * 1000:.0f} ms"
    )

    server = Server(0.0)
    try:
        parsed = asyncio.run(sdk_cpu_per_request(server.url, args.requests, raw=False))
        raw = asyncio.run(sdk_cpu_per_request(server.url, args.requests, raw=True))
    finally:
        server.stop()
    print(
        f"bare SDK CPU per request at c=32, 0 ms: parsed {parsed * 1000:.2f} ms, "
        f"raw {raw * 1000:.2f} ms (llmeval's path)  [aim for llmeval, all included: 1.2 ms]"
    )

    startup = bare + oa + common  # a floor: llmeval's own modules not counted
    print(f"start-up floor of an openai run: {startup:.2f} s of CPU")
    print("lower bounds with the real SDK (one process: CPU on one core; two workers: each")
    print("  process imports the SDK and makes half the requests; the server's CPU not counted):")
    for cases, conc, aim in ((1000, 32, 1.3), (4000, 64, 1.4), (4000, 128, 1.4)):
        ideal = cases * 0.050 / conc
        one = max(ideal, startup + cases * raw)
        two = max(ideal, startup + cases * raw / 2)
        print(
            f"  {cases} cases c={conc} 50 ms: ideal {ideal:.2f} s; floor 1 process "
            f"{one:.2f} s = {one / ideal:.2f}x, 2 workers {two:.2f} s = {two / ideal:.2f}x "
            f"[aim <= {aim}x]"
        )
    cached_floor = bare + common
    print(
        f"  fully cached rerun: floor {cached_floor:.2f} s of imports alone, before llmeval's "
        f"own modules and 1,000 cache reads [aim <= 0.5 s]"
    )


if __name__ == "__main__":
    main()
