"""Provider batch APIs (OpenAI Batch, Anthropic Message Batches).

A run uses them through ``providers.batching.Batching`` (``--batch`` / ``batch: true``):
a provider in the model's stack that collects the requests in progress into batches
with ``BatchSubmitter.create_batch``, and after a kill ``BatchSubmitter.recover``s the
run folder's batches. The whole-plan calls below (for a caller that has every request
up front), all resumable after a kill::

    from llmeval.providers.batch import run_batches, batch_status, cancel_batches

    # 1. before the runner: every request of the batch models, by alias
    answers = await run_batches(run_dir, {alias: (spec, requests)}, cache=response_cache,
                                root=project.root, on_progress=show)
    # 2. the runner uses answers[alias] as that model's provider: complete(request)
    #    returns the batch's Completion (cost at the batch price, latency 0) or raises
    #    the per-request ProviderError; BatchNotProcessed (a CircuitOpenError) = not-run
    # 3. llmeval batch status RUN  -> batch_status(run_dir)  (or refresh_status(run_dir, specs))
    #    llmeval batch cancel RUN  -> await cancel_batches(run_dir, specs)

``run_batches`` again on ``--resume`` polls the recorded batches, collects what
finished and submits only what was never submitted (or never processed).
"""

from llmeval.providers.batch.answers import BatchAnswers
from llmeval.providers.batch.backend import BatchBackend, Remote, batch_backend
from llmeval.providers.batch.results import BatchNotProcessed, Outcome
from llmeval.providers.batch.runs import (
    batch_folder,
    batch_status,
    cancel_batches,
    refresh_status,
    run_batches,
    submitter_for,
)
from llmeval.providers.batch.state import BatchState
from llmeval.providers.batch.submitter import BatchSubmitter
from llmeval.providers.batch.summary import BatchSummary, summarize

__all__ = [
    "BatchAnswers",
    "BatchBackend",
    "BatchNotProcessed",
    "BatchState",
    "BatchSubmitter",
    "BatchSummary",
    "Outcome",
    "Remote",
    "batch_backend",
    "batch_folder",
    "batch_status",
    "cancel_batches",
    "refresh_status",
    "run_batches",
    "submitter_for",
    "summarize",
]
