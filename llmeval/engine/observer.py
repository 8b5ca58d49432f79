"""How the engine reports progress without printing: the CLI supplies an observer."""

from __future__ import annotations

from typing import Protocol

from llmeval.domain.record import CaseResult


class Observer(Protocol):
    def on_start(self, total: int, already_done: int) -> None: ...

    def on_result(self, result: CaseResult) -> None: ...

    def on_notice(self, message: str) -> None: ...

    def on_finish(self) -> None: ...


class NullObserver:
    def on_start(self, total: int, already_done: int) -> None:
        pass

    def on_result(self, result: CaseResult) -> None:
        pass

    def on_notice(self, message: str) -> None:
        pass

    def on_finish(self) -> None:
        pass


class RecordingObserver(NullObserver):
    """Keeps what it is told; for tests and for the CLI's end-of-run notices."""

    def __init__(self) -> None:
        self.results: list[CaseResult] = []
        self.notices: list[str] = []

    def on_result(self, result: CaseResult) -> None:
        self.results.append(result)

    def on_notice(self, message: str) -> None:
        if message not in self.notices:
            self.notices.append(message)
