"""Provider batch APIs (OpenAI Batch, Anthropic Message Batches): see ``submitter``."""

from llmeval.providers.batch.backend import BatchBackend, Remote, batch_backend
from llmeval.providers.batch.results import BatchNotProcessed, Outcome
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
    "summarize",
]
