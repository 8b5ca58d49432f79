"""What an agent did on the way to its answer: a trajectory of steps.

One shape for every source: the engine's own tool loop (``source="loop"``), a target
that returns ``{output, trajectory}`` (``"target"``), and OpenTelemetry spans captured
around a python target or received over OTLP from an HTTP app (``"otel"``). The
``trajectory:*`` assertions read only this shape, so the same agent scored from its
spans or from its return value gets the same verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

# Step types, promptfoo's where it has one: a tool call, a model generation, a message
# in a conversation, anything else from a trace (``span``).
TOOL: Final = "tool"
MODEL: Final = "model"
MESSAGE: Final = "message"
SPAN: Final = "span"
STEP_TYPES = (TOOL, MODEL, MESSAGE, SPAN)


@dataclass(frozen=True, slots=True)
class Step:
    """One step. For a ``tool`` step ``name`` is the tool and ``arguments`` its parsed
    arguments; ``output`` is what came back (tool result, model text), clipped by the
    writer; ``error`` is set when the step failed."""

    type: str
    name: str
    arguments: dict[str, Any] | None = None
    output: str | None = None
    error: str | None = None
    duration_ms: float | None = None
    source: str = "loop"  # loop | target | otel
    attributes: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.type, "name": self.name}
        for k in ("arguments", "output", "error", "duration_ms"):
            v = getattr(self, k)
            if v is not None:
                d[k] = v
        d["source"] = self.source
        if self.attributes:
            d["attributes"] = self.attributes
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Step:
        args = d.get("arguments")
        return cls(
            type=str(d.get("type") or TOOL),
            name=str(d.get("name") or ""),
            arguments=args if isinstance(args, dict) else None,
            output=None if d.get("output") is None else str(d["output"]),
            error=None if d.get("error") is None else str(d["error"]),
            duration_ms=d.get("duration_ms"),
            source=str(d.get("source") or "target"),
            attributes=dict(d.get("attributes") or {}),
        )


def tool_steps(steps: tuple[Step, ...]) -> tuple[Step, ...]:
    return tuple(s for s in steps if s.type == TOOL)
