"""Async inference calls, sync and async: submit, look up, cancel.

Thin shells over the rules of :mod:`.async_inference`, sent through a :class:`PlatformClient` /
:class:`AsyncPlatformClient` (the shared HTTP policy, typed errors and key redaction)::

    with genai_baseten.PlatformClient() as client:          # key from BASETEN_API_KEY
        handle = genai_baseten.async_predict(
            "https://model-abcd1234.api.baseten.co/production", {"prompt": "hi"},
            webhook_endpoint="https://example.com/hook", client=client)
        state = genai_baseten.get_async_request(handle, client=client)
        genai_baseten.cancel_async_request(handle, client=client)

Each has an ``a``-prefixed coroutine twin taking an :class:`AsyncPlatformClient`. Without
``client=``, a client is made for the one call (``api_key=`` or ``BASETEN_API_KEY``).

A submit is retried only on a 429 (refused, so nothing was queued), never on a 5xx or a lost
connection, where Baseten may already have queued it: a second submit could run the model twice.
Status and cancel are idempotent and retried like any call. Every 429 is an
:class:`AsyncRateLimitError` whose ``limit`` says whether the rate or the queue cap was hit.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from functools import partial
from typing import Any, TypeVar, cast

from genai_core.errors import MalformedResponseError, RateLimitError, ValidationError
from genai_core.http import MAX_RETRY_AFTER, retry_delay
from genai_core.http_setup import USE_CLIENT_DEFAULT, TimeoutTypes, UseClientDefault
from genai_core.plans import Plan, adrive, drive

from .async_inference import (
    AsyncRateLimitError,
    AsyncRequest,
    CancelResult,
    InferenceRetryConfig,
    as_async_429,
    async_predict_call,
    async_request_call,
    build_async_predict_body,
    parse_async_request,
    parse_cancel_response,
)
from .calls import Call
from .chains import AsyncSubmission, parse_submission
from .platform import AsyncPlatformClient, CallOptions, PlatformClient, _PlatformBase
from .targets import Target

T = TypeVar("T")

__all__ = [
    "aasync_predict",
    "acancel_async_request",
    "aget_async_request",
    "asubmit",
    "async_predict",
    "cancel_async_request",
    "get_async_request",
    "submit_retry_delay",
]


def submit_retry_delay(err: AsyncRateLimitError, retries: int, max_retries: int) -> float | None:
    """Seconds before submitting again after a 429, or None to raise it: no retry left, or the
    server asked for more than the policy waits (the error carries its ``retry_after``)."""
    if retries >= max_retries or (err.retry_after or 0) > MAX_RETRY_AFTER:
        return None
    return retry_delay(retries, err.retry_after, random.random)


@contextmanager
def _async_429s() -> Iterator[None]:
    try:
        yield
    except RateLimitError as exc:
        raise as_async_429(exc) from exc


def _submit_call(  # noqa: PLR0917 (async_predict's own arguments, in their order)
    target: Target | str,
    model_input: Any,
    webhook_endpoint: str | None,
    priority: int | None,
    max_time_in_queue_seconds: int | None,
    inference_retry_config: InferenceRetryConfig | Mapping[str, int] | None,
) -> Call:
    """The submit call of :func:`async_predict`, every argument checked (nothing is sent)."""
    body = build_async_predict_body(
        model_input,
        webhook_endpoint=webhook_endpoint,
        priority=priority,
        max_time_in_queue_seconds=max_time_in_queue_seconds,
        inference_retry_config=inference_retry_config,
    )
    return async_predict_call(target, body)


def _request_target(
    target: Target | str | AsyncSubmission, request_id: str | None
) -> tuple[Target, str]:
    if isinstance(target, AsyncSubmission):
        return target.target, target.request_id
    if not isinstance(request_id, str) or not request_id:
        raise ValidationError(
            "request_id must be the id async_predict returned (or pass the returned handle)"
        )
    return Target.of(target), request_id


@contextmanager
def _sync(client: PlatformClient | None, api_key: str | None) -> Iterator[PlatformClient]:
    """The caller's client, or one made (and closed) for this call."""
    if client is not None:
        yield client
        return
    with PlatformClient(api_key=api_key) as own:
        yield own


@asynccontextmanager
async def _async(
    client: AsyncPlatformClient | None, api_key: str | None
) -> AsyncIterator[AsyncPlatformClient]:
    if client is not None:
        yield client
        return
    async with AsyncPlatformClient(api_key=api_key) as own:
        yield own


def _run(client: PlatformClient | None, api_key: str | None, plan: Callable[[Any], Plan[T]]) -> T:
    """``plan(client)`` driven on the caller's client, or on one made for this call."""
    with _sync(client, api_key) as c:
        return drive(plan(c), c._act)


async def _arun(
    client: AsyncPlatformClient | None, api_key: str | None, plan: Callable[[Any], Plan[T]]
) -> T:
    """The coroutine twin of :func:`_run`."""
    async with _async(client, api_key) as c:
        return await adrive(plan(c), c._act)


def _request_plan(
    target: Target | str | AsyncSubmission,
    request_id: str | None,
    method: str,
    kw: Mapping[str, Any],
    parse: Callable[[Any, str], T],
) -> Callable[[_PlatformBase[Any]], Plan[T]]:
    """A call about one request (status, cancel), as a plan over a client; its answer read by
    ``parse(data, request_id)``. The request id is checked now, before any client is made."""
    t, rid = _request_target(target, request_id)

    def plan(client: _PlatformBase[Any]) -> Plan[T]:
        with _async_429s():
            call = async_request_call(t, rid, method)
            data = yield from client._call_plan(call, cast(CallOptions, kw))
        return _parsed(parse, data, rid)

    return plan


def _status_plan(
    target: Target | str | AsyncSubmission, request_id: str | None, kw: Mapping[str, Any]
) -> Callable[[_PlatformBase[Any]], Plan[AsyncRequest]]:
    return _request_plan(target, request_id, "GET", kw, lambda data, _: parse_async_request(data))


def _cancel_plan(
    target: Target | str | AsyncSubmission, request_id: str | None, kw: Mapping[str, Any]
) -> Callable[[_PlatformBase[Any]], Plan[CancelResult]]:
    return _request_plan(target, request_id, "DELETE", kw, parse_cancel_response)


def _parsed(parse: Callable[..., T], data: Any, *args: Any) -> T:
    """``parse(data, *args)``; an answer of the wrong shape is a :class:`MalformedResponseError`."""
    try:
        return parse(data, *args)
    except ValueError as exc:
        raise MalformedResponseError(
            f"unexpected answer from Baseten: {exc}: {str(data)[:200]!r}",
            status_code=200,
            provider="baseten",
        ) from exc


def submit(
    client: PlatformClient,
    call: Call,
    max_retries: int,
    timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
) -> AsyncSubmission:
    """Send a submit call, retrying only 429s."""
    return drive(submit_plan(client, call, max_retries, timeout), client._act)


async def asubmit(
    client: AsyncPlatformClient,
    call: Call,
    max_retries: int,
    timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
) -> AsyncSubmission:
    """The coroutine twin of :func:`submit`."""
    return await adrive(submit_plan(client, call, max_retries, timeout), client._act)


def submit_plan(
    client: _PlatformBase[Any],
    call: Call,
    max_retries: int,
    timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
) -> Plan[AsyncSubmission]:
    """The submit as a plan (:mod:`genai_core.plans`) over the client's own steps: one attempt
    at a time (no retry but on a 429, and no cold-start wait), sleeping between 429s."""
    once: CallOptions = {"max_retries": 0, "cold_start_timeout": 0}
    if not isinstance(timeout, UseClientDefault):
        once["timeout"] = timeout
    retries = 0
    while True:
        try:
            with _async_429s():
                data = yield from client._call_plan(call, once)
        except AsyncRateLimitError as err:
            delay = submit_retry_delay(err, retries, max_retries)
            if delay is None:
                raise
            retries += 1
            yield "_sleep", client._policy, delay
            continue
        assert call.target is not None
        return parse_submission(data, call.target)


def async_predict(
    target: Target | str,
    model_input: Any,
    *,
    webhook_endpoint: str | None = None,
    priority: int | None = None,
    max_time_in_queue_seconds: int | None = None,
    inference_retry_config: InferenceRetryConfig | Mapping[str, int] | None = None,
    client: PlatformClient | None = None,
    api_key: str | None = None,
    max_retries: int = 2,
) -> AsyncSubmission:
    """Queue ``model_input`` on a dedicated model (``POST /{target}/async_predict``, 201).

    Checked before anything is sent (:class:`ValidationError` naming the argument): priority
    0..2, max_time_in_queue_seconds 10..259200, the retry config ranges, an HTTPS webhook (or
    http://localhost), a JSON ``model_input`` and a body of at most 256 KiB. A 429 is retried
    ``max_retries`` times, then raised as :class:`AsyncRateLimitError`.
    """
    call = _submit_call(
        target,
        model_input,
        webhook_endpoint,
        priority,
        max_time_in_queue_seconds,
        inference_retry_config,
    )
    return _run(client, api_key, partial(submit_plan, call=call, max_retries=max_retries))


async def aasync_predict(
    target: Target | str,
    model_input: Any,
    *,
    webhook_endpoint: str | None = None,
    priority: int | None = None,
    max_time_in_queue_seconds: int | None = None,
    inference_retry_config: InferenceRetryConfig | Mapping[str, int] | None = None,
    client: AsyncPlatformClient | None = None,
    api_key: str | None = None,
    max_retries: int = 2,
) -> AsyncSubmission:
    """The coroutine twin of :func:`async_predict`."""
    call = _submit_call(
        target,
        model_input,
        webhook_endpoint,
        priority,
        max_time_in_queue_seconds,
        inference_retry_config,
    )
    return await _arun(client, api_key, partial(submit_plan, call=call, max_retries=max_retries))


def get_async_request(
    target: Target | str | AsyncSubmission,
    request_id: str | None = None,
    *,
    client: PlatformClient | None = None,
    api_key: str | None = None,
    **kw: Any,
) -> AsyncRequest:
    """The status of an async request (``GET /async_request/{id}``); never its output. Pass the
    handle ``async_predict`` returned, or the target and the request id."""
    return _run(client, api_key, _status_plan(target, request_id, kw))


async def aget_async_request(
    target: Target | str | AsyncSubmission,
    request_id: str | None = None,
    *,
    client: AsyncPlatformClient | None = None,
    api_key: str | None = None,
    **kw: Any,
) -> AsyncRequest:
    """The coroutine twin of :func:`get_async_request`."""
    return await _arun(client, api_key, _status_plan(target, request_id, kw))


def cancel_async_request(
    target: Target | str | AsyncSubmission,
    request_id: str | None = None,
    *,
    client: PlatformClient | None = None,
    api_key: str | None = None,
    **kw: Any,
) -> CancelResult:
    """Cancel a queued request (``DELETE /async_request/{id}``). Only ``QUEUED`` requests can
    be: otherwise ``canceled`` is False and ``message`` is Baseten's reason."""
    return _run(client, api_key, _cancel_plan(target, request_id, kw))


async def acancel_async_request(
    target: Target | str | AsyncSubmission,
    request_id: str | None = None,
    *,
    client: AsyncPlatformClient | None = None,
    api_key: str | None = None,
    **kw: Any,
) -> CancelResult:
    """The coroutine twin of :func:`cancel_async_request`."""
    return await _arun(client, api_key, _cancel_plan(target, request_id, kw))
