"""The sans-IO core every Baseten endpoint family beyond chat is built on.

A call is described by a :class:`Call` (method, URL, body, what answer is expected); building one
validates the caller's input and does no I/O. Answers are decoded by content type
(:func:`decode_body`), error answers become the library's typed errors with Baseten's hints
(:func:`error_hint`), :class:`ColdStart` decides how long a 503 answer (a deployment scaling
up from zero) is waited out, and :class:`Retries` which failures a call that runs the model may
be sent again after (only those where it cannot have run). The sync and async shells in
:mod:`.platform` only move bytes.

Families (modules) add their own ``*_call`` builders on top of :func:`json_body`: predict and
wake (:mod:`.predict`), chains (:mod:`.chains`), the management API (:mod:`.management`).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from genai_core.errors import (
    APIConnectionError,
    APIError,
    GenAIError,
    MalformedResponseError,
    RateLimitError,
    ServerError,
    ValidationError,
    redact,
)
from genai_core.http import MAX_RETRY_AFTER, RetryPolicy, parse_retry_after, retry_delay
from genai_core.openai_chat.error_body import excerpt, looks_like_html

from .targets import Target

__all__ = [
    "BINARY_CONTENT_TYPE",
    "COLD_START_STATUS",
    "DEFAULT_COLD_START_TIMEOUT",
    "Call",
    "ColdStart",
    "body_of",
    "decode_body",
    "error_hint",
    "json_body",
]

# Binary request bodies are sent with this type: Truss hands them to predict() as they are
# (docs.baseten.co, "Binary IO": msgpack-encoded bodies are posted as application/octet-stream).
BINARY_CONTENT_TYPE = "application/octet-stream"

# 503 is what a deployment answers while it scales up: transient, worth waiting out. Not 502
# (the container crashed during the request: the model ran), 500 (predict raised) or 504 (the
# request ran for 1200 s): waiting those out would run the model again and again.
COLD_START_STATUS = frozenset({503})

# The body of an async request (async_predict, async_run_remote) is at most 256 KiB.
ASYNC_BODY_LIMIT = 256 * 1024

# Calls that run the model or the chain: a retry after an answer may run it a second time.
RUNS_MODEL = frozenset({"predict", "run"})

# Transport failures raised before any byte of the request left: always safe to retry.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

# How long, in seconds, a call keeps retrying 502/503 while a deployment scales up from zero.
# Large models take several minutes to load; past 15 minutes something else is wrong.
DEFAULT_COLD_START_TIMEOUT = 900.0

# Seconds between attempts while a deployment is cold, unless the server says (Retry-After).
COLD_START_INTERVAL = 5.0


@dataclass(frozen=True, slots=True)
class Call:
    """One request to Baseten, fully validated, not yet sent.

    ``expect`` is the success statuses the endpoint documents (another 2xx is accepted too, but
    ``expect`` documents intent); ``target`` is where the call goes, for error hints.
    """

    method: str
    url: str
    content: bytes | None = None
    content_type: str | None = None
    accept: str = "application/json"
    target: Target | None = None
    what: str = ""
    """What the call does, in words (``"predict"``, ``"list deployments"``), for errors."""


def json_body(value: Any, *, argument: str) -> bytes:
    """``value`` as compact UTF-8 JSON; ValidationError naming ``argument`` when it cannot be.

    NaN and infinities are refused (they are not JSON); so are objects json does not know
    (sets, datetimes, custom classes): convert them first.
    """
    try:
        return json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode()
    except (TypeError, ValueError, RecursionError) as exc:
        raise ValidationError(
            f"{argument} is not JSON-serialisable ({exc}); pass dicts, lists, strings, numbers, "
            "booleans and None only (or bytes to send a binary body)"
        ) from None


def body_of(value: Any, *, argument: str) -> tuple[bytes, str]:
    """The request body and its content type: bytes as they are (``application/octet-stream``),
    anything else as JSON."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value), BINARY_CONTENT_TYPE
    return json_body(value, argument=argument), "application/json"


def media_type(headers: httpx.Headers) -> str:
    """The response's media type, lower case, without parameters (``""`` when absent)."""
    return str(headers.get("content-type", "")).split(";", 1)[0].strip().lower()


def is_json_type(kind: str) -> bool:
    return kind == "application/json" or kind.endswith("+json")


def decode_body(response: httpx.Response, *, provider: str, secrets: tuple[str | None, ...]) -> Any:
    """A success answer's value, by its content type (never guessed from the bytes):

    JSON types → the decoded value (MalformedResponseError quoting the body when it is not JSON);
    ``text/*`` → ``str``; anything else (``application/octet-stream``, audio, msgpack) → ``bytes``.
    An empty body without a content type is ``None``.
    """
    kind = media_type(response.headers)
    content = response.content
    if not kind and not content:
        return None
    if is_json_type(kind):
        try:
            return json.loads(content)
        except ValueError:
            text = redact(response.text, secrets)
            what = "an HTML page" if looks_like_html(text) else "a body that is not JSON"
            raise MalformedResponseError(
                f"the answer says it is JSON but is {what}: {excerpt(text)!r}",
                status_code=response.status_code,
                body=excerpt(text, 2000),
                headers=response.headers,
                provider=provider,
            ) from None
    if kind.startswith("text/"):
        return response.text
    return content


def error_hint(call: Call, status: int, env_var: str | None, key_url: str) -> str | None:
    """Baseten-specific advice for an error answer to ``call``; None when there is none."""
    if status in (401, 403):
        where = f"${env_var} or api_key=" if env_var else "api_key="
        return f"check the key given in {where}; get one at {key_url}"
    target = call.target
    # Only a call on the deployment itself can mean it was deactivated: a 404 from the
    # management API or from an async request's status says something else (a wrong id, a
    # request whose status expired).
    on_deployment = call.what in _ON_DEPLOYMENT
    if status == 404 and on_deployment and target is not None and target.kind in ("model", "chain"):
        return _not_found_hint(target)
    return None


_ON_DEPLOYMENT = frozenset(
    {"predict", "run", "async predict", "async run", "wake", "async queue status"}
)


def _not_found_hint(target: Target) -> str:
    # A deactivated deployment, a deleted environment and a wrong id all answer 404; only the
    # caller can tell them apart, so name each possibility and how to fix it.
    if target.kind == "chain":
        return (
            f"check the chain id {target.id!r} and the {_where(target)}; a deleted or "
            "deactivated chain deployment also answers 404 (activate it in the dashboard)"
        )
    mgmt = f"https://api.baseten.co/v1/models/{target.id}"
    if target.deployment_id is not None:
        activate = f"POST {mgmt}/deployments/{target.deployment_id}/activate"
    elif target.development:
        activate = f"POST {mgmt}/deployments/development/activate"
    else:
        activate = f"POST {mgmt}/environments/{target.environment}/activate"
    return (
        f"the {_where(target)} of model {target.id!r} may be deactivated (Baseten deactivates "
        "deployments without traffic after 2 weeks in development, 2 months in production) "
        f"or deleted, or the id may be wrong; activate it in the dashboard "
        f"(https://app.baseten.co/models/{target.id}) or with {activate}"
    )


def _where(target: Target) -> str:
    if target.deployment_id is not None:
        return f"deployment {target.deployment_id!r}"
    if target.development:
        return "development deployment"
    return f"environment {target.environment!r}"


class ColdStart:
    """Whether to keep waiting for a deployment that answers 503 while it scales up.

    The HTTP policy's own retries (a few, seconds apart) come first; when they are used up on a
    503, this grants more attempts every :data:`COLD_START_INTERVAL` seconds (or the
    server's ``Retry-After``, capped by the budget) until ``budget`` seconds have passed since
    the call started. ``budget=0`` turns it off. No I/O: the shells sleep.
    """

    def __init__(
        self, budget: float, clock: Callable[[], float], interval: float = COLD_START_INTERVAL
    ) -> None:
        self.budget = budget
        self.interval = interval
        self.clock = clock
        self.started = clock()
        self.waits = 0

    def round_policy(self, policy: RetryPolicy) -> RetryPolicy:
        """The policy for the next round of attempts: the caller's for the first, then one
        without retries of its own, so that a cold deployment is asked once per interval."""
        if self.waits == 0:
            return policy
        return dataclasses.replace(policy, max_retries=0)

    def after_error(self, err: APIError) -> float | None:
        """Seconds to wait before trying again, or None to raise ``err`` (anything but a 503)."""
        if not isinstance(err, ServerError) or err.status_code not in COLD_START_STATUS:
            return None
        now = self.clock()
        left = self.started + self.budget - now
        if left <= 0:
            return None
        asked = parse_retry_after(err.headers, now)
        delay = asked if asked is not None and asked > 0 else self.interval
        self.waits += 1
        return min(delay, left)


def not_sent(err: GenAIError) -> bool:
    """Whether ``err`` is a connection failure from before the request was sent."""
    return isinstance(err, APIConnectionError) and isinstance(err.__cause__, _NOT_SENT)


class Retries:
    """The retries of one call beyond a single attempt of the HTTP policy, sans-IO.

    Ordinary calls (idempotent reads, wake): the HTTP policy's own retries in the first round
    (:meth:`round_policy`), then :class:`ColdStart` for a 503. Calls that run the model
    (:data:`RUNS_MODEL`, unless ``unsafe``): one attempt per round, retried only where it
    cannot have run twice: a 429, a 503 (scaling up) and a connection refused or timed out
    before the request was sent, ``policy.max_retries`` times, then the cold-start wait for a
    503. ``unsafe=True`` gives them the ordinary policy (500/502/504 and read timeouts retried
    too: the model may run more than once).
    """

    def __init__(self, call: Call, policy: RetryPolicy, cold: ColdStart, *, unsafe: bool) -> None:
        self.policy = policy
        self.cold = cold
        self.safe_only = call.what in RUNS_MODEL and not unsafe
        self.taken = 0

    def round_policy(self) -> RetryPolicy:
        if self.safe_only:
            return dataclasses.replace(self.policy, max_retries=0)
        return self.cold.round_policy(self.policy)

    def after_error(self, err: GenAIError) -> float | None:
        """Seconds to wait before the next round, or None to raise ``err``."""
        if self.safe_only and self.taken < self.policy.max_retries:
            asked: float | None = None
            if isinstance(err, RateLimitError):
                asked = err.retry_after
            elif isinstance(err, ServerError) and err.status_code == 503:
                asked = parse_retry_after(err.headers, self.policy.clock())
            elif not not_sent(err):
                return None
            if asked is None or asked <= MAX_RETRY_AFTER:
                delay = retry_delay(self.taken, asked, self.policy.rand)
                self.taken += 1
                return delay
        return self.cold.after_error(err) if isinstance(err, APIError) else None


def check_budget(value: float | None, *, argument: str) -> float:
    """A number of seconds >= 0 (None means 0); ValidationError naming ``argument`` otherwise."""
    if value is None:
        return 0.0
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValidationError(f"{argument} must be a number of seconds >= 0, got {value!r}")
    return float(value)
