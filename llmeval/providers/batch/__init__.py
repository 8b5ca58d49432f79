"""Provider batch APIs (OpenAI Batch, Anthropic Message Batches): see ``submitter``."""

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
from llmeval.providers.batch.submitter import (
    BatchAnswers,
    BatchSubmitter,
    BatchSummary,
    summarize,
)

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
