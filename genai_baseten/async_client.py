"""Async inference calls, sync and async: submit, look up, cancel.

Thin shells over :mod:`.async_inference` (the rules) and :mod:`._http_shell` (the shared HTTP
policy: retries, typed errors, key redaction)::

    handle = genai_baseten.async_predict("https://model-abcd1234.api.baseten.co/production",
                                         {"prompt": "hi"}, webhook_endpoint="https://example.com/hook")
    state = genai_baseten.get_async_request(handle)
    genai_baseten.cancel_async_request(handle)

Each has an ``a``-prefixed coroutine twin (``aasync_predict``...). ``api_key`` defaults to
``BASETEN_API_KEY``; ``http_client`` lets the caller bring (and keep) its own httpx client.

A submit is retried only on a 429 (the request was refused, so nothing was queued), never on a
5xx or a lost connection, where Baseten may already have queued it: a second submit could run
the model twice. Status and cancel are retried like any idempotent call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from genai_core.errors import ValidationError

from . import _http_shell as shell
from .async_inference import (
    AsyncRequest,
    AsyncRequestHandle,
    CancelResult,
    InferenceRetryConfig,
    build_async_predict_body,
    parse_async_request,
    parse_cancel_response,
    parse_submit_response,
)
from .targets import Target

__all__ = [
    "aasync_predict",
    "acancel_async_request",
    "aget_async_request",
    "async_predict",
    "cancel_async_request",
    "get_async_request",
    "submit_request",
]


def submit_request(
    target: Target | str,
    model_input: Any,
    *,
    webhook_endpoint: str | None = None,
    priority: int | None = None,
    max_time_in_queue_seconds: int | None = None,
    inference_retry_config: InferenceRetryConfig | Mapping[str, int] | None = None,
) -> tuple[Target, bytes]:
    """The checked target and body of a submit (nothing sent; raises ValidationError)."""
    t = Target.of(target)
    body = build_async_predict_body(
        model_input,
        webhook_endpoint=webhook_endpoint,
        priority=priority,
        max_time_in_queue_seconds=max_time_in_queue_seconds,
        inference_retry_config=inference_retry_config,
    )
    return t, body


def _handle_target(target: Target | str | AsyncRequestHandle, request_id: str | None) -> tuple[
    Target, str
]:
    if isinstance(target, AsyncRequestHandle):
        if target.target is None:
            raise ValidationError("this handle names no target; pass the target and request_id")
        return target.target, target.request_id
    if not isinstance(request_id, str) or not request_id:
        raise ValidationError(
            "request_id must be the id async_predict returned (or pass the handle itself)"
        )
    return Target.of(target), request_id


def async_predict(
    target: Target | str,
    model_input: Any,
    *,
    webhook_endpoint: str | None = None,
    priority: int | None = None,
    max_time_in_queue_seconds: int | None = None,
    inference_retry_config: InferenceRetryConfig | Mapping[str, int] | None = None,
    api_key: str | None = None,
    http_client: httpx.Client | None = None,
    max_retries: int = 2,
) -> AsyncRequestHandle:
    """Queue ``model_input`` on a dedicated model (``POST /{target}/async_predict``).

    Checked before anything is sent (:class:`ValidationError` naming the argument): priority
    0..2, max_time_in_queue_seconds 10..259200, the retry config ranges, an HTTPS webhook (or
    http://localhost), a JSON ``model_input`` and a body of at most 256 KiB. A 429 is retried
    ``max_retries`` times, then raised as :class:`AsyncRateLimitError` (``limit`` says rate or
    queue cap).
    """
    t, body = submit_request(
        target,
        model_input,
        webhook_endpoint=webhook_endpoint,
        priority=priority,
        max_time_in_queue_seconds=max_time_in_queue_seconds,
        inference_retry_config=inference_retry_config,
    )
    data = shell.call(
        "POST", t.async_predict_url(), body, api_key=api_key, http_client=http_client,
        max_retries=max_retries, retry_only_429=True,
    )
    return shell.parsed(parse_submit_response, data, t)


async def aasync_predict(
    target: Target | str,
    model_input: Any,
    *,
    webhook_endpoint: str | None = None,
    priority: int | None = None,
    max_time_in_queue_seconds: int | None = None,
    inference_retry_config: InferenceRetryConfig | Mapping[str, int] | None = None,
    api_key: str | None = None,
    http_client: httpx.AsyncClient | None = None,
    max_retries: int = 2,
) -> AsyncRequestHandle:
    """The coroutine twin of :func:`async_predict`."""
    t, body = submit_request(
        target,
        model_input,
        webhook_endpoint=webhook_endpoint,
        priority=priority,
        max_time_in_queue_seconds=max_time_in_queue_seconds,
        inference_retry_config=inference_retry_config,
    )
    return await asubmit_body(t, body, api_key=api_key, http_client=http_client,
                              max_retries=max_retries)


async def asubmit_body(
    t: Target,
    body: bytes,
    *,
    api_key: str | None,
    http_client: httpx.AsyncClient | None,
    max_retries: int,
) -> AsyncRequestHandle:
    """Send an already checked submit body (the batch engine builds bodies itself)."""
    data = await shell.acall(
        "POST", t.async_predict_url(), body, api_key=api_key, http_client=http_client,
        max_retries=max_retries, retry_only_429=True,
    )
    return shell.parsed(parse_submit_response, data, t)


def get_async_request(
    target: Target | str | AsyncRequestHandle,
    request_id: str | None = None,
    *,
    api_key: str | None = None,
    http_client: httpx.Client | None = None,
    max_retries: int = 2,
) -> AsyncRequest:
    """The status of an async request (``GET /async_request/{id}``); never its output."""
    t, rid = _handle_target(target, request_id)
    data = shell.call(
        "GET", t.async_request_url(rid), None, api_key=api_key, http_client=http_client,
        max_retries=max_retries,
    )
    return shell.parsed(parse_async_request, data)


async def aget_async_request(
    target: Target | str | AsyncRequestHandle,
    request_id: str | None = None,
    *,
    api_key: str | None = None,
    http_client: httpx.AsyncClient | None = None,
    max_retries: int = 2,
) -> AsyncRequest:
    """The coroutine twin of :func:`get_async_request`."""
    t, rid = _handle_target(target, request_id)
    data = await shell.acall(
        "GET", t.async_request_url(rid), None, api_key=api_key, http_client=http_client,
        max_retries=max_retries,
    )
    return shell.parsed(parse_async_request, data)


def cancel_async_request(
    target: Target | str | AsyncRequestHandle,
    request_id: str | None = None,
    *,
    api_key: str | None = None,
    http_client: httpx.Client | None = None,
    max_retries: int = 2,
) -> CancelResult:
    """Cancel a queued request (``DELETE /async_request/{id}``). Only ``QUEUED`` requests can
    be: otherwise ``canceled`` is False and ``message`` says why."""
    t, rid = _handle_target(target, request_id)
    data = shell.call(
        "DELETE", t.async_request_url(rid), None, api_key=api_key, http_client=http_client,
        max_retries=max_retries,
    )
    return shell.parsed(parse_cancel_response, data, rid)


async def acancel_async_request(
    target: Target | str | AsyncRequestHandle,
    request_id: str | None = None,
    *,
    api_key: str | None = None,
    http_client: httpx.AsyncClient | None = None,
    max_retries: int = 2,
) -> CancelResult:
    """The coroutine twin of :func:`cancel_async_request`."""
    t, rid = _handle_target(target, request_id)
    data = await shell.acall(
        "DELETE", t.async_request_url(rid), None, api_key=api_key, http_client=http_client,
        max_retries=max_retries,
    )
    return shell.parsed(parse_cancel_response, data, rid)
