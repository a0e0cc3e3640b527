"""Async inference on a dedicated model: submit, look up, cancel (sans-IO rules).

Baseten queues an ``async_predict`` request (201 ``{"request_id": ...}``), runs it when a replica is
free, and POSTs the output to the request's webhook; the status endpoint never returns outputs.
This module holds the protocol rules as pure functions: the documented ranges checked before
anything is sent, the request bodies, the response parsers and the 429 classifier. The sync and
async calls that move the bytes are in :mod:`.async_client`.

Documented limits (docs.baseten.co, "Async inference" and its API reference):

* body at most 256 KiB; ``priority`` 0..2 (0 first, default 1); ``max_time_in_queue_seconds``
  10..259200 (default 600); ``inference_retry_config``: ``max_attempts`` 1..10, ``initial_delay_ms``
  0..10000, ``max_delay_ms`` 0..60000;
* ``webhook_endpoint`` must be HTTPS, except ``localhost`` during development;
* ``/async_predict``: 200 requests/s, and at most 50,000 requests ``QUEUED`` or ``IN_PROGRESS`` per
  organisation; status and cancel: 20 requests/s each. All answer 429 when exceeded.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from genai_core.errors import RateLimitError, ValidationError

from .calls import ASYNC_BODY_LIMIT, Call
from .targets import Target

__all__ = [
    "ASYNC_BODY_LIMIT",
    "PREDICT_RATE_PER_SECOND",
    "QUEUE_CAP",
    "STATUS_RATE_PER_SECOND",
    "AsyncLimit",
    "AsyncRateLimitError",
    "AsyncRequest",
    "AsyncRequestError",
    "AsyncRequestStatus",
    "CancelResult",
    "InferenceRetryConfig",
    "WebhookStatus",
    "async_predict_call",
    "async_request_call",
    "build_async_predict_body",
    "classify_async_429",
    "parse_async_request",
    "parse_cancel_response",
    "parse_errors",
    "validate_webhook_endpoint",
]

PREDICT_RATE_PER_SECOND = 200.0
STATUS_RATE_PER_SECOND = 20.0
QUEUE_CAP = 50_000
MIN_QUEUE_SECONDS = 10
MAX_QUEUE_SECONDS = 72 * 3600

_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class AsyncRequestStatus(str, enum.Enum):
    """``status`` of an async request. A value not listed here is kept as the plain string."""

    QUEUED = "QUEUED"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"
    CANCELED = "CANCELED"
    WEBHOOK_FAILED = "WEBHOOK_FAILED"

    @property
    def finished(self) -> bool:
        """True once the request will not run (again): every status but queued and in progress."""
        return self not in (AsyncRequestStatus.QUEUED, AsyncRequestStatus.IN_PROGRESS)


class WebhookStatus(str, enum.Enum):
    """``webhook_status`` of an async request; unknown values are kept as plain strings."""

    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    NO_WEBHOOK_PROVIDED = "NO_WEBHOOK_PROVIDED"


class AsyncLimit(str, enum.Enum):
    """Which async limit a 429 came from (:attr:`AsyncRateLimitError.limit`)."""

    #: ``/async_predict`` calls per second (200/s, org-level): waiting a second helps.
    RATE = "rate"
    #: 50,000 requests queued or in progress in the organisation: wait for some to finish.
    QUEUE_CAP = "queue_cap"
    #: The answer did not say which.
    UNKNOWN = "unknown"


class AsyncRateLimitError(RateLimitError):
    """429 from an async endpoint; ``limit`` says whether the request rate or the queue cap.

    The docs give both the same status and no distinguishing field, so the classification reads
    the server's message (:func:`classify_async_429`); ``AsyncLimit.UNKNOWN`` when it is silent.
    """

    def __init__(self, message: str, *, limit: AsyncLimit = AsyncLimit.UNKNOWN, **kw: Any) -> None:
        self.limit = limit
        super().__init__(message, **kw)


def as_async_429(err: RateLimitError) -> AsyncRateLimitError:
    """``err`` as an :class:`AsyncRateLimitError` naming the limit it came from."""
    if isinstance(err, AsyncRateLimitError):
        return err
    new = AsyncRateLimitError(
        err.message,
        limit=classify_async_429(f"{err.message} {err.body}"),
        retry_after=err.retry_after,
        limits=err.limits,
        status_code=err.status_code,
        body=err.body,
        headers=err.headers,
        request_id=err.request_id,
        provider=err.provider,
        error_type=err.error_type,
        code=err.code,
        hint=err.hint,
    )
    new.__cause__ = err.__cause__
    return new


def classify_async_429(message: str) -> AsyncLimit:
    """Which limit a 429's message is about: the queue cap, the request rate, or unknown."""
    text = message.lower()
    if any(w in text for w in ("queue", "in_progress", "in progress", "50,000", "50000")):
        return AsyncLimit.QUEUE_CAP
    if any(w in text for w in ("rate", "per second", "per minute", "/s", "too many requests")):
        return AsyncLimit.RATE
    return AsyncLimit.UNKNOWN


@dataclass(frozen=True)
class InferenceRetryConfig:
    """How Baseten retries a failed inference (500/502/503/504 only); ``None`` = server default."""

    max_attempts: int | None = None
    initial_delay_ms: int | None = None
    max_delay_ms: int | None = None

    def __post_init__(self) -> None:
        for name, low, high in (
            ("max_attempts", 1, 10),
            ("initial_delay_ms", 0, 10_000),
            ("max_delay_ms", 0, 60_000),
        ):
            _check_int(f"inference_retry_config.{name}", getattr(self, name), low, high)

    def to_wire(self) -> dict[str, int]:
        return {k: v for k, v in vars(self).items() if v is not None}


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{name} must be an integer from {low} to {high}, got {value!r}")


def validate_webhook_endpoint(url: object) -> str:
    """``url`` if Baseten can deliver to it: HTTPS, or HTTP to localhost/127.0.0.1/::1."""
    if not isinstance(url, str) or not url:
        raise ValidationError(f"webhook_endpoint must be a URL string, got {url!r}")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        raise ValidationError(f"webhook_endpoint must be an absolute URL with a host, got {url!r}")
    if parts.scheme == "https" or (parts.scheme == "http" and host in _LOCAL_HOSTS):
        return url
    raise ValidationError(
        f"webhook_endpoint must use https:// (http:// only for localhost), got {url!r}"
    )


def build_async_predict_body(
    model_input: Any,
    *,
    webhook_endpoint: str | None = None,
    priority: int | None = None,
    max_time_in_queue_seconds: int | None = None,
    inference_retry_config: InferenceRetryConfig | Mapping[str, int] | None = None,
) -> bytes:
    """The JSON body of ``POST /{target}/async_predict``, after every documented check.

    Raises :class:`ValidationError` naming the argument for an out-of-range value, a non-HTTPS
    webhook, a ``model_input`` that is not JSON (NaN and infinities included), or a body over
    256 KiB. Unset arguments are left out, so the server's defaults apply.
    """
    _check_int("priority", priority, 0, 2)
    _check_int(
        "max_time_in_queue_seconds", max_time_in_queue_seconds, MIN_QUEUE_SECONDS, MAX_QUEUE_SECONDS
    )
    body: dict[str, Any] = {"model_input": model_input}
    if webhook_endpoint is not None:
        body["webhook_endpoint"] = validate_webhook_endpoint(webhook_endpoint)
    if priority is not None:
        body["priority"] = priority
    if max_time_in_queue_seconds is not None:
        body["max_time_in_queue_seconds"] = max_time_in_queue_seconds
    if inference_retry_config is not None:
        if isinstance(inference_retry_config, Mapping):
            try:
                inference_retry_config = InferenceRetryConfig(**inference_retry_config)
            except TypeError as exc:
                raise ValidationError(
                    "inference_retry_config takes max_attempts, initial_delay_ms, max_delay_ms: "
                    f"{exc}"
                ) from exc
        if not isinstance(inference_retry_config, InferenceRetryConfig):
            raise ValidationError(
                "inference_retry_config must be an InferenceRetryConfig or a dict, got "
                f"{type(inference_retry_config).__name__}"
            )
        body["inference_retry_config"] = inference_retry_config.to_wire()
    try:
        data = json.dumps(body, allow_nan=False, separators=(",", ":")).encode()
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"model_input must be JSON-serialisable (dicts, lists, str, finite numbers, bool, "
            f"None): {exc}"
        ) from exc
    if len(data) > ASYNC_BODY_LIMIT:
        raise ValidationError(
            f"model_input is too large for async inference: the body is {len(data)} bytes, the "
            f"limit is {ASYNC_BODY_LIMIT} (256 KiB); pass a URL to the data instead"
        )
    return data


@dataclass(frozen=True)
class AsyncRequestError:
    """One entry of ``errors``: ``code`` (e.g. ``MODEL_PREDICT_ERROR``) and ``message``."""

    code: str
    message: str


@dataclass(frozen=True)
class AsyncRequest:
    """What ``GET /async_request/{id}`` says. Unknown enum values are kept as strings."""

    request_id: str
    status: AsyncRequestStatus | str
    webhook_status: WebhookStatus | str | None
    model_id: str | None = None
    chain_id: str | None = None
    deployment_id: str | None = None
    created_at: datetime | None = None
    status_at: datetime | None = None
    errors: tuple[AsyncRequestError, ...] = ()


@dataclass(frozen=True)
class CancelResult:
    """What ``DELETE /async_request/{id}`` says: whether the request was cancelled, and why not."""

    request_id: str
    canceled: bool
    message: str = ""


def _enum_or_str(cls: type[enum.Enum], value: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        return value


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _opt(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def parse_errors(value: object) -> tuple[AsyncRequestError, ...]:
    """``errors`` as a tuple; ``None`` or missing is empty. Raises ValueError on another shape."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError(f"errors must be a list, got {type(value).__name__}")
    out = []
    for item in value:
        if not isinstance(item, dict):
            raise ValueError(f"each error must be an object, got {type(item).__name__}")
        out.append(AsyncRequestError(str(item.get("code") or ""), str(item.get("message") or "")))
    return tuple(out)


def _object(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise ValueError(f"{what}: expected a JSON object, got {type(data).__name__}")
    return data


def parse_async_request(data: Any) -> AsyncRequest:
    """The typed status; ValueError when ``request_id`` or ``status`` is missing."""
    obj = _object(data, "async request status")
    rid, status = obj.get("request_id"), obj.get("status")
    if not isinstance(rid, str) or not isinstance(status, str):
        raise ValueError("async request status needs request_id and status strings")
    webhook = obj.get("webhook_status")
    return AsyncRequest(
        request_id=rid,
        status=_enum_or_str(AsyncRequestStatus, status),
        webhook_status=_enum_or_str(WebhookStatus, webhook) if isinstance(webhook, str) else None,
        model_id=_opt(obj, "model_id"),
        chain_id=_opt(obj, "chain_id"),
        deployment_id=_opt(obj, "deployment_id"),
        created_at=_time(obj.get("created_at")),
        status_at=_time(obj.get("status_at")),
        errors=parse_errors(obj.get("errors")),
    )


def parse_cancel_response(data: Any, request_id: str) -> CancelResult:
    """The cancel answer. The docs describe its fields (id, a boolean, a detail message) without
    naming the keys, so ``canceled``/``cancelled``/``success`` and ``message``/``detail`` are
    all read."""
    obj = _object(data, "cancel answer")
    flag = next((obj[k] for k in ("canceled", "cancelled", "success") if k in obj), None)
    if not isinstance(flag, bool):
        raise ValueError("cancel answer has no boolean 'canceled'")
    message = next((obj[k] for k in ("message", "detail") if isinstance(obj.get(k), str)), "")
    return CancelResult(_opt(obj, "request_id") or request_id, flag, message)


def async_predict_call(target: Target | str, body: bytes) -> Call:
    """The submit call for a body from :func:`build_async_predict_body`."""
    where = Target.of(target)
    return Call(
        "POST",
        where.async_predict_url(),
        body,
        "application/json",
        target=where,
        what="async predict",
    )


def async_request_call(target: Target, request_id: str, method: str) -> Call:
    """``GET`` (status) or ``DELETE`` (cancel) of one request, on its model's or chain's host."""
    what = "async request status" if method == "GET" else "cancel async request"
    return Call(method, target.async_request_url(request_id), target=target, what=what)
