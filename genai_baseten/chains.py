"""Chains, sans-IO: ``run_remote`` and ``async_run_remote`` on ``chain-{id}.api.baseten.co``.

The body of both is the entrypoint's input: a JSON object whose top-level keys are the argument
names of the entrypoint Chainlet's ``run_remote`` (docs.baseten.co, "Call your chain").
``run_remote`` answers the chain's output as JSON; ``async_run_remote`` queues the call and
answers 201 ``{"request_id": ...}`` (the status and cancel endpoints are those of async
inference, on the chain's host).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from genai_core.errors import MalformedResponseError, ValidationError

from .calls import ASYNC_BODY_LIMIT, Call, json_body
from .targets import Target

__all__ = ["AsyncSubmission", "async_run_remote_call", "parse_submission", "run_remote_call"]


def _chain_body(inputs: Any) -> bytes:
    if not isinstance(inputs, Mapping) or not all(isinstance(k, str) for k in inputs):
        raise ValidationError(
            "inputs must be a dict of the entrypoint's run_remote arguments by name, such as "
            f"{{'max_value': 10}}; got {type(inputs).__name__}"
        )
    return json_body(dict(inputs), argument="inputs")


def run_remote_call(target: Target | str, inputs: Mapping[str, Any]) -> Call:
    """``POST /{target}/run_remote`` with the entrypoint's arguments."""
    where = Target.of(target)
    url = where.run_remote_url()
    return Call("POST", url, _chain_body(inputs), "application/json", target=where, what="run")


def async_run_remote_call(target: Target | str, inputs: Mapping[str, Any]) -> Call:
    """``POST /{target}/async_run_remote``: the same body, queued (201); at most 256 KiB."""
    where = Target.of(target)
    url = where.async_run_remote_url()
    body = _chain_body(inputs)
    if len(body) > ASYNC_BODY_LIMIT:
        raise ValidationError(
            f"inputs are {len(body)} bytes as JSON; an async request's body is limited to "
            f"{ASYNC_BODY_LIMIT} (256 KiB): pass a URL to the data instead, or use run_remote"
        )
    return Call("POST", url, body, "application/json", target=where, what="async run")


@dataclass(frozen=True, slots=True)
class AsyncSubmission:
    """A queued async request: its id and where it went (for its status and cancellation)."""

    request_id: str
    target: Target

    def status_url(self) -> str:
        """``/async_request/{request_id}`` on the model's or chain's host (GET / DELETE)."""
        return self.target.async_request_url(self.request_id)


def parse_submission(data: Any, target: Target) -> AsyncSubmission:
    """The 201 answer ``{"request_id": "..."}``."""
    request_id = data.get("request_id") if isinstance(data, Mapping) else None
    if not isinstance(request_id, str) or not request_id:
        raise MalformedResponseError(
            f"expected {{'request_id': ...}} from the async endpoint, got {str(data)[:200]!r}",
            status_code=201,
            provider="baseten",
        )
    return AsyncSubmission(request_id, target)
