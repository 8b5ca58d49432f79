"""A ``Provider`` answering from a submitter's collected batch results (no network)."""

from __future__ import annotations

from typing import Any

from llmeval.domain.request import Completion, CompletionRequest
from llmeval.providers.batch.results import BatchNotProcessed


class BatchAnswers:
    """A ``Provider`` that answers from a submitter's collected results (no network):
    the per-request error is raised as it would be by a live call; a request no batch
    processed raises ``BatchNotProcessed`` (not-run, resumable)."""

    def __init__(self, submitter: Any) -> None:
        self.submitter = submitter
        self._outcomes = submitter.outcomes()

    async def complete(self, request: CompletionRequest) -> Completion:
        key = self.submitter.key(request)
        o = self._outcomes.get(key)
        if o is not None and o.completion is not None:
            return o.completion
        cache = self.submitter.cache
        if cache is not None and (hit := cache.get(key)) is not None:
            return hit  # answered before (an earlier run or batch): free
        if o is not None:
            raise o.error()
        raise BatchNotProcessed("request not in any finished batch; it runs on resume")
