"""Stand-in HTTP shell for the async inference calls (to be unified with the platform shell).

It applies the shared policy of :mod:`genai_core.http` (retries, Retry-After, timeouts) and the
typed, redacted errors of :mod:`genai_core.openai_chat.errors`, with Baseten's ``Api-Key`` auth.
Kept in one module so it can be replaced by the platform helper's shell without touching callers.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import httpx

from genai_core.errors import MissingAPIKeyError, RateLimitError, StreamError, redact
from genai_core.http import (
    DEFAULT_TIMEOUT,
    MAX_RETRY_AFTER,
    RetryPolicy,
    asend_with_retries,
    parse_retry_after,
    retry_delay,
    send_with_retries,
)
from genai_core.openai_chat.errors import api_error, excerpt

from .async_inference import AsyncRateLimitError, classify_async_429

__all__ = ["acall", "call", "parsed"]

PROVIDER = "baseten"
ENV_VAR = "BASETEN_API_KEY"
KEY_URL = "https://app.baseten.co/settings/api_keys"

T = TypeVar("T")


def _key(api_key: str | None) -> str:
    key = api_key if api_key is not None else os.environ.get(ENV_VAR)
    if not key:
        raise MissingAPIKeyError(PROVIDER, ENV_VAR, KEY_URL)
    return key


def _request(method: str, url: str, body: bytes | None, key: str) -> httpx.Request:
    headers = {"Authorization": f"Api-Key {key}", "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return httpx.Request(method, url, content=body, headers=headers)


def _raiser(key: str) -> Callable[[httpx.Response], NoReturn]:
    def raise_for_status(response: httpx.Response) -> NoReturn:
        err = api_error(
            response.status_code,
            response.content,
            response.headers,
            provider=PROVIDER,
            request_id=None,
            secrets=(key,),
            retry_after=parse_retry_after(response.headers, time.time()),
            cls=AsyncRateLimitError if response.status_code == 429 else None,
        )
        if isinstance(err, AsyncRateLimitError):
            err.limit = classify_async_429(f"{err.message} {err.body}")
        raise err

    return raise_for_status


def _decode(response: httpx.Response, key: str) -> Any:
    if not response.content:
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        text = redact(response.text, (key,))
        raise StreamError(
            f"the answer is not JSON: {excerpt(text)!r}",
            status_code=response.status_code,
            body=excerpt(text, 2000),
            headers=response.headers,
            provider=PROVIDER,
        ) from None


def _submit_retry(exc: RateLimitError, retries: int, max_retries: int) -> float | None:
    """For a non-idempotent call, only a 429 is retried (nothing was done): the delay, or None."""
    if retries >= max_retries or (exc.retry_after or 0) > MAX_RETRY_AFTER:
        return None
    return retry_delay(retries, exc.retry_after, random.random)


def call(
    method: str,
    url: str,
    body: bytes | None,
    *,
    api_key: str | None,
    http_client: httpx.Client | None,
    max_retries: int,
    retry_only_429: bool = False,
) -> Any:
    """Send one JSON call; the decoded answer, or the typed error. ``retry_only_429``: the call
    is not idempotent, so only a 429 is retried (no 5xx, no lost connection)."""
    key = _key(api_key)
    client = http_client or httpx.Client(timeout=DEFAULT_TIMEOUT)
    policy = RetryPolicy(max_retries=0 if retry_only_429 else max_retries)
    retries = 0
    try:
        while True:
            try:
                response = send_with_retries(
                    client, _request(method, url, body, key), policy, raise_for_status=_raiser(key)
                )
            except RateLimitError as exc:
                delay = _submit_retry(exc, retries, max_retries) if retry_only_429 else None
                if delay is None:
                    raise
                retries += 1
                time.sleep(delay)
                continue
            try:
                response.read()
            finally:
                response.close()
            return _decode(response, key)
    finally:
        if http_client is None:
            client.close()


async def acall(
    method: str,
    url: str,
    body: bytes | None,
    *,
    api_key: str | None,
    http_client: httpx.AsyncClient | None,
    max_retries: int,
    retry_only_429: bool = False,
) -> Any:
    """The coroutine twin of :func:`call`."""
    key = _key(api_key)
    client = http_client or httpx.AsyncClient(timeout=DEFAULT_TIMEOUT)
    policy = RetryPolicy(max_retries=0 if retry_only_429 else max_retries)
    retries = 0
    try:
        while True:
            try:
                response = await asend_with_retries(
                    client, _request(method, url, body, key), policy, raise_for_status=_raiser(key)
                )
            except RateLimitError as exc:
                delay = _submit_retry(exc, retries, max_retries) if retry_only_429 else None
                if delay is None:
                    raise
                retries += 1
                await policy.async_sleep(delay)
                continue
            try:
                await response.aread()
            finally:
                await response.aclose()
            return _decode(response, key)
    finally:
        if http_client is None:
            await client.aclose()


def parsed(parse: Callable[..., T], data: Any, *args: Any) -> T:
    """``parse(data, *args)``, a shape error becoming :class:`StreamError`."""
    try:
        return parse(data, *args)
    except ValueError as exc:
        raise StreamError(
            f"unexpected answer: {exc}", status_code=200, body=excerpt(json.dumps(data), 2000),
            provider=PROVIDER,
        ) from exc
