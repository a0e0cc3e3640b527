"""How busy a deployment's async queue is, sans-IO: ``GET /{target}/async_queue_status``.

Answer (docs.baseten.co, "Async queue status"): ``{model_id | chain_id, deployment_id,
num_queued_requests, num_in_progress_requests}``. Baseten rate-limits this endpoint (20 requests
per second), so poll it sparingly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from genai_core.errors import MalformedResponseError

from .calls import Call
from .targets import Target

__all__ = ["QueueStatus", "parse_queue_status", "queue_status_call"]


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """The async queue of one deployment: requests waiting, and requests running."""

    num_queued_requests: int
    num_in_progress_requests: int
    deployment_id: str | None = None
    model_id: str | None = None
    chain_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


def queue_status_call(target: Target | str) -> Call:
    where = Target.of(target)
    return Call("GET", where.async_queue_status_url(), target=where, what="async queue status")


def _count(data: Mapping[str, Any], name: str) -> int | None:
    value = data.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) else None


def parse_queue_status(data: Any) -> QueueStatus:
    d: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
    queued, running = _count(d, "num_queued_requests"), _count(d, "num_in_progress_requests")
    if queued is None or running is None:
        raise MalformedResponseError(
            "expected the async queue's counts (num_queued_requests, num_in_progress_requests), "
            f"got {str(data)[:200]!r}",
            status_code=200,
            provider="baseten",
        )
    return QueueStatus(
        num_queued_requests=queued,
        num_in_progress_requests=running,
        deployment_id=_text(d, "deployment_id"),
        model_id=_text(d, "model_id"),
        chain_id=_text(d, "chain_id"),
        raw=d,
    )
