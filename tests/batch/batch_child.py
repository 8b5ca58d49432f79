"""Child process of the kill -9 tests: run one BatchSubmitter to the end (or its death).

    python batch_child.py API BASE_URL FOLDER CACHE_DIR N MAX_REQUESTS

Prints one JSON line at the end: creates made and batches adopted by this process.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from llmeval.domain.model import ModelSpec
from llmeval.domain.prompt import Message
from llmeval.domain.request import CompletionRequest
from llmeval.providers.batch import BatchSubmitter, batch_backend
from llmeval.providers.cache import ResponseCache


def requests(spec: ModelSpec, n: int) -> list[CompletionRequest]:
    return [
        CompletionRequest(model=spec, messages=(Message("user", f"case {i} says hello"),))
        for i in range(n)
    ]


def model(api: str, base_url: str) -> ModelSpec:
    name = "gpt-4o-mini" if api == "openai" else "claude-haiku-4-5"
    return ModelSpec(alias="m", provider=api, model=name, base_url=base_url)


async def main() -> None:
    api, base_url, folder, cache_dir, n, max_requests = sys.argv[1:7]
    spec = model(api, base_url)
    cache = ResponseCache(Path(cache_dir))
    sub = BatchSubmitter(
        Path(folder), batch_backend(spec), cache=cache, poll_s=0.05,
        max_requests=int(max_requests), create_grace_s=1.0,
    )  # fmt: skip
    answers = await sub.run(requests(spec, int(n)))
    ok = sum(1 for a in answers.values() if not isinstance(a, Exception))
    print(json.dumps({"creates": sub.submitted_batches, "adopted": sub.adopted_batches, "ok": ok}))
    cache.close()


if __name__ == "__main__":
    asyncio.run(main())
