"""Predict and wake on a dedicated model, sans-IO: the calls, and the streamed answer's decoder.

``POST /{target}/predict`` takes any JSON value (or bytes, sent as
``application/octet-stream``) and answers whatever the model's ``predict()`` returns: JSON,
bytes, or a stream. A streamed answer is read according to its ``Content-Type``, never by
looking at the bytes:

* ``text/event-stream`` → :class:`~genai_core.sse.ServerSentEvent` objects (Engine-Builder
  models and any model that frames its output as SSE);
* other ``text/*`` and line-delimited JSON (``application/x-ndjson``, ``application/jsonl``)
  → text lines, without their line end;
* anything else (``application/octet-stream``, ``audio/aac``, no type at all) → byte chunks as
  they arrive.

``POST /{target}/wake`` answers 202 and starts a deployment scaled to zero; :class:`Readiness`
decides, from the management API's deployment status, when a woken deployment is ready.

Cold starts: a request to a deployment at zero replicas is held by Baseten's router until a
replica is up, so the first byte may take minutes (the sync limit is 20 minutes): the default
read timeout is :data:`PREDICT_TIMEOUT`. A 502/503 while replicas start is retried within
``cold_start_timeout`` (:class:`~genai_baseten.calls.ColdStart`).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from typing import Any, Literal

import httpx

from genai_core.errors import APIConnectionError, APITimeoutError, GenAIError
from genai_core.sse import ServerSentEvent, SSEDecodeError, SSEDecoder

from .calls import Call, body_of, media_type
from .management import environment_call, parse_environment
from .targets import Target

__all__ = [
    "PREDICT_TIMEOUT",
    "DeploymentFailedError",
    "PredictStreamCore",
    "PredictStreamError",
    "Readiness",
    "ServerSentEvent",
    "StreamKind",
    "predict_call",
    "stream_kind",
    "wake_call",
]

PREDICT_TIMEOUT = httpx.Timeout(connect=10.0, read=1200.0, write=120.0, pool=30.0)
"""Per-phase timeouts of predict calls: ``read=1200`` because a cold start holds the first byte
until a replica is up and Baseten ends a sync request at 20 minutes; ``write=120`` for large
binary bodies (up to 100 MB)."""

StreamKind = Literal["events", "lines", "bytes"]

_LINE_TYPES = frozenset({"application/x-ndjson", "application/jsonl", "application/json-seq"})

# Statuses after which waiting longer cannot make a deployment ready.
FAILED_STATUSES = frozenset(
    {"BUILD_FAILED", "BUILD_STOPPED", "DEPLOY_FAILED", "FAILED", "DEACTIVATING", "INACTIVE"}
)
READY_STATUS = "ACTIVE"


def predict_call(target: Target | str, payload: Any, *, stream: bool = False) -> Call:
    """``POST /{target}/predict`` with ``payload`` (bytes as they are, anything else as JSON)."""
    where = Target.of(target)
    url = where.predict_url()
    content, content_type = body_of(payload, argument="payload")
    accept = "*/*" if stream else "application/json, */*;q=0.5"
    return Call("POST", url, content, content_type, accept, where, "predict")


def wake_lookup_call(target: Target) -> Call | None:
    """The management call that finds what to wake for ``target``, or None when it is woken
    directly: Baseten's wake takes a deployment id or ``development``, so an environment is
    woken through its current deployment."""
    if target.kind != "model" or target.deployment_id is not None or target.development:
        return None
    assert target.id is not None and target.environment is not None
    return environment_call(target.id, target.environment)


def wake_target(target: Target, lookup: Any) -> Target:
    """The deployment to wake for ``target``, from the answer to :func:`wake_lookup_call`."""
    current = parse_environment(lookup).current_deployment
    deployment_id = current.id if current is not None else None
    if not deployment_id:
        raise DeploymentFailedError(
            f"{target} has no current deployment to wake; promote a deployment to it first",
            "NO_DEPLOYMENT",
        )
    assert target.id is not None
    return Target.model(target.id, deployment_id=deployment_id)


def wake_call(target: Target | str) -> Call:
    """``POST /{target}/wake`` (answered 202 ``{}``)."""
    where = Target.of(target)
    return Call("POST", where.wake_url(), None, None, "application/json", where, "wake")


def stream_kind(headers: httpx.Headers) -> StreamKind:
    """How a streamed answer is read, from its ``Content-Type`` (see the module docstring)."""
    kind = media_type(headers)
    if kind == "text/event-stream":
        return "events"
    if kind.startswith("text/") or kind in _LINE_TYPES:
        return "lines"
    return "bytes"


class PredictStreamError(APIConnectionError):
    """A streamed predict answer broke off (connection lost, timeout between chunks) or could
    not be decoded. ``received`` holds every item that arrived before, in order."""

    def __init__(self, message: str, received: list[Any]) -> None:
        super().__init__(message)
        self.received = received


class PredictStreamCore:
    """Bytes of one streamed answer in, typed items out; keeps what arrived (``received``)."""

    def __init__(self, headers: httpx.Headers, *, keep: bool = True) -> None:
        self.kind: StreamKind = stream_kind(headers)
        self.content_type = media_type(headers)
        charset = httpx.Headers(headers).get("content-type", "")
        self._encoding = _charset(charset)
        self._decoder = SSEDecoder() if self.kind == "events" else None
        self._text = codecs.getincrementaldecoder(self._encoding)("replace")
        self._pending = ""
        self.keep = keep
        self.received: list[Any] = []

    def feed(self, data: bytes) -> list[Any]:
        if self.kind == "bytes":
            out: list[Any] = [data] if data else []
        elif self._decoder is not None:
            try:
                out = list(self._decoder.feed(data))
            except SSEDecodeError as exc:
                raise self.failed(f"the event stream is malformed: {exc}") from None
        else:
            out = self._lines(self._text.decode(data))
        if self.keep:
            self.received.extend(out)
        return out

    def finish(self) -> list[Any]:
        """End of the body: the last event or line, when no terminator came after it."""
        out: list[Any] = []
        if self._decoder is not None:
            try:
                out = list(self._decoder.close())
            except SSEDecodeError as exc:
                raise self.failed(f"the event stream is malformed: {exc}") from None
        elif self.kind == "lines":
            out = self._lines(self._text.decode(b"", final=True))
            if self._pending:
                out.append(self._pending.removesuffix("\r"))
                self._pending = ""
        if self.keep:
            self.received.extend(out)
        return out

    def _lines(self, text: str) -> list[Any]:
        if "\n" not in text:
            self._pending += text
            return []
        parts = (self._pending + text).split("\n")
        self._pending = parts.pop()
        return [p.removesuffix("\r") for p in parts]

    def failed(self, message: str) -> PredictStreamError:
        return PredictStreamError(message, list(self.received))

    def broken(self, exc: Exception) -> PredictStreamError:
        """The error for a stream cut by ``exc``, holding what arrived."""
        lines = str(exc).strip().splitlines()
        detail = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
        count = len(self.received)
        what = "timed out" if isinstance(exc, httpx.TimeoutException) else "broke off"
        return self.failed(
            f"the predict stream {what} after {count} item(s) ({detail}); what arrived is in "
            "err.received"
        )


def _charset(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            value = value.strip().strip('"')
            try:
                return codecs.lookup(value).name
            except LookupError:
                return "utf-8"
    return "utf-8"


class DeploymentFailedError(GenAIError):
    """The deployment cannot become ready by waiting: its status is ``status`` (a failed build
    or deploy, or deactivated). ``hint`` says what to do."""

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status


class Readiness:
    """When a woken deployment is ready, sans-IO: feed it each status polled; it answers the
    seconds to wait before the next poll, or None when the status is ``ACTIVE``.

    Raises :class:`DeploymentFailedError` on a status waiting cannot fix, and
    :class:`~genai_core.APITimeoutError` once ``timeout`` seconds have passed since it was made.
    """

    def __init__(
        self, target: Target, *, timeout: float, interval: float, clock: Callable[[], float]
    ) -> None:
        self.target = target
        self.clock = clock
        self.deadline = clock() + timeout
        self.timeout = timeout
        self.interval = interval
        self.statuses: list[str] = []

    def after_status(self, status: str) -> float | None:
        self.statuses.append(status)
        if status == READY_STATUS:
            return None
        if status in FAILED_STATUSES:
            advice = (
                "activate it in the dashboard or through the management API"
                if status in ("INACTIVE", "DEACTIVATING")
                else "check its build and deploy logs in the dashboard"
            )
            raise DeploymentFailedError(
                f"{self.target} is {status} and will not become ready by waiting; {advice}",
                status,
            )
        return min(self.interval, self.time_left())

    def time_left(self) -> float:
        """Seconds left before ``timeout`` (the cap of each call made while waiting);
        APITimeoutError once none is left."""
        left = self.deadline - self.clock()
        if left <= 0:
            seen = " → ".join(dict.fromkeys(self.statuses)) or "none"
            raise APITimeoutError(
                f"{self.target} was not ready after {self.timeout:g} s (statuses seen: {seen}); "
                "pass a longer timeout= or check the deployment in the dashboard"
            )
        return left
