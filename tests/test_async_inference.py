"""Async inference: the documented ranges, the wire shapes, 429s told apart, sync and async."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from fake_baseten_async import FakeAsyncBaseten

import genai_baseten
from genai_baseten.async_inference import (
    AsyncLimit,
    AsyncRateLimitError,
    AsyncRequestStatus,
    InferenceRetryConfig,
    WebhookStatus,
    build_async_predict_body,
    classify_async_429,
    parse_async_request,
    parse_cancel_response,
)
from genai_core import MalformedResponseError, ServerError, ValidationError

KEY = "fake-baseten-key-000000"
TARGET = "https://model-abcd1234.api.baseten.co/production"
HOOK = "https://example.com/hook"


# --- sans-IO: validation before anything is sent ---------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"priority": 3}, "priority"),
        ({"priority": -1}, "priority"),
        ({"priority": True}, "priority"),
        ({"max_time_in_queue_seconds": 9}, "max_time_in_queue_seconds"),
        ({"max_time_in_queue_seconds": 259201}, "max_time_in_queue_seconds"),
        ({"webhook_endpoint": "http://example.com/hook"}, "webhook_endpoint"),
        ({"webhook_endpoint": "ftp://localhost/x"}, "webhook_endpoint"),
        ({"webhook_endpoint": "/relative"}, "webhook_endpoint"),
        ({"inference_retry_config": {"max_attempts": 11}}, "max_attempts"),
        ({"inference_retry_config": {"max_attempts": 0}}, "max_attempts"),
        ({"inference_retry_config": {"initial_delay_ms": 10001}}, "initial_delay_ms"),
        ({"inference_retry_config": {"max_delay_ms": 60001}}, "max_delay_ms"),
        ({"inference_retry_config": {"tries": 2}}, "inference_retry_config"),
    ],
)
def test_out_of_range_arguments_are_refused(kwargs: dict[str, Any], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        build_async_predict_body({"x": 1}, **kwargs)


def test_documented_bounds_are_accepted() -> None:
    for kw in (
        {"priority": 0},
        {"priority": 2},
        {"max_time_in_queue_seconds": 10},
        {"max_time_in_queue_seconds": 72 * 3600},
        {"inference_retry_config": InferenceRetryConfig(10, 0, 60000)},
    ):
        build_async_predict_body("x", **kw)


@pytest.mark.parametrize(
    "url", ["http://localhost:8000/h", "http://127.0.0.1/h", "http://[::1]:9/h", HOOK]
)
def test_webhook_https_or_localhost(url: str) -> None:
    body = json.loads(build_async_predict_body({}, webhook_endpoint=url))
    assert body["webhook_endpoint"] == url


def test_body_shape_leaves_unset_fields_to_the_server() -> None:
    body = json.loads(
        build_async_predict_body(
            {"prompt": "hi"},
            webhook_endpoint=HOOK,
            priority=0,
            inference_retry_config={"max_attempts": 2},
        )
    )
    assert body == {
        "model_input": {"prompt": "hi"},
        "webhook_endpoint": HOOK,
        "priority": 0,
        "inference_retry_config": {"max_attempts": 2},
    }


@pytest.mark.parametrize("bad", [{1, 2}, float("nan"), {"t": object()}])
def test_model_input_must_be_json(bad: Any) -> None:
    with pytest.raises(ValidationError, match="model_input"):
        build_async_predict_body(bad)


def test_body_limit_is_256_kib() -> None:
    # '{"model_input":"' + text + '"}' is 18 bytes of framing.
    build_async_predict_body("a" * (256 * 1024 - 18))
    with pytest.raises(ValidationError, match="262145 bytes"):
        build_async_predict_body("a" * (256 * 1024 - 17))


def test_status_parser_keeps_unknown_values() -> None:
    state = parse_async_request(
        {
            "request_id": "r1",
            "model_id": "m",
            "deployment_id": "d",
            "status": "PAUSED_FOR_MAINTENANCE",
            "webhook_status": "SUCCEEDED",
            "created_at": "2024-04-30T01:01:08.883423Z",
            "status_at": "not a time",
            "errors": [{"code": "MODEL_NOT_READY", "message": "loading"}],
        }
    )
    assert state.status == "PAUSED_FOR_MAINTENANCE"
    assert not isinstance(state.status, AsyncRequestStatus)
    assert state.webhook_status is WebhookStatus.SUCCEEDED
    assert state.created_at is not None and state.created_at.year == 2024
    assert state.status_at is None
    assert state.errors[0].code == "MODEL_NOT_READY"
    assert AsyncRequestStatus.EXPIRED.finished and not AsyncRequestStatus.QUEUED.finished


def test_cancel_parser() -> None:
    got = parse_cancel_response({"request_id": "r", "canceled": False, "message": "running"}, "r")
    assert (got.canceled, got.message) == (False, "running")
    with pytest.raises(ValueError, match="canceled"):
        parse_cancel_response({"request_id": "r"}, "r")


def test_429_classifier() -> None:
    assert (
        classify_async_429("limit of 50,000 QUEUED or IN_PROGRESS requests") is AsyncLimit.QUEUE_CAP
    )
    assert classify_async_429("Rate limit exceeded") is AsyncLimit.RATE
    assert classify_async_429("") is AsyncLimit.UNKNOWN


# --- MockTransport: the requests sent and the errors raised ------------------------------------


def mock(handler: Any) -> genai_baseten.PlatformClient:
    return genai_baseten.PlatformClient(api_key=KEY, transport=httpx.MockTransport(handler))


def test_submit_request_and_handle() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"request_id": "0123abcd"})

    handle = genai_baseten.async_predict(
        TARGET,
        {"prompt": "hi"},
        webhook_endpoint=HOOK,
        priority=2,
        client=mock(handler),
    )
    assert handle.request_id == "0123abcd"
    req = seen[0]
    assert req.method == "POST"
    assert (
        str(req.url)
        == "https://model-abcd1234.api.baseten.co/environments/production/async_predict"
    )
    assert req.headers["authorization"] == f"Api-Key {KEY}"
    assert json.loads(req.content) == {
        "model_input": {"prompt": "hi"},
        "webhook_endpoint": HOOK,
        "priority": 2,
    }


def test_invalid_input_sends_nothing() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing may be sent")

    with pytest.raises(ValidationError, match="priority"):
        genai_baseten.async_predict(TARGET, {}, priority=5, client=mock(handler))


@pytest.mark.parametrize(
    ("message", "limit"),
    [
        ("Too many requests: 50,000 requests QUEUED or IN_PROGRESS", AsyncLimit.QUEUE_CAP),
        ("Rate limit exceeded: 200 requests per second", AsyncLimit.RATE),
        ("slow down", AsyncLimit.UNKNOWN),
    ],
)
def test_429s_told_apart(message: str, limit: AsyncLimit) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(429, json={"error": message}, headers={"Retry-After": "0"})

    with pytest.raises(AsyncRateLimitError) as info:
        genai_baseten.async_predict(TARGET, {}, client=mock(handler), max_retries=1)
    assert info.value.limit is limit
    assert info.value.status_code == 429
    assert len(calls) == 2  # a 429 is retried: nothing was queued
    assert KEY not in str(info.value)


def test_submit_is_not_retried_after_a_server_error() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503, json={"error": "unavailable"})

    with pytest.raises(ServerError):
        genai_baseten.async_predict(TARGET, {}, client=mock(handler))
    assert len(calls) == 1  # Baseten may have queued it: a second submit could run it twice


def test_status_and_cancel_requests() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "GET":
            return httpx.Response(
                200,
                json={
                    "request_id": "r9",
                    "status": "QUEUED",
                    "webhook_status": "PENDING",
                    "errors": [],
                },
            )
        return httpx.Response(200, json={"request_id": "r9", "canceled": True, "message": "ok"})

    client = mock(handler)
    state = genai_baseten.get_async_request(TARGET, "r9", client=client)
    assert state.status is AsyncRequestStatus.QUEUED
    done = genai_baseten.cancel_async_request(TARGET, "r9", client=client)
    assert done.canceled
    assert [(r.method, str(r.url)) for r in seen] == [
        ("GET", "https://model-abcd1234.api.baseten.co/async_request/r9"),
        ("DELETE", "https://model-abcd1234.api.baseten.co/async_request/r9"),
    ]


@pytest.mark.anyio
async def test_async_twins_with_mock_transport() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(201, json={"request_id": "a1"})
        if request.method == "GET":
            return httpx.Response(
                200, json={"request_id": "a1", "status": "IN_PROGRESS", "webhook_status": "PENDING"}
            )
        return httpx.Response(
            200, json={"request_id": "a1", "canceled": False, "message": "not queued"}
        )

    client = genai_baseten.AsyncPlatformClient(api_key=KEY, transport=httpx.MockTransport(handler))
    handle = await genai_baseten.aasync_predict(TARGET, [1, 2], client=client)
    state = await genai_baseten.aget_async_request(handle, client=client)
    assert state.status is AsyncRequestStatus.IN_PROGRESS
    res = await genai_baseten.acancel_async_request(handle, client=client)
    assert (res.canceled, res.message) == (False, "not queued")


# --- the loopback fake: queue, cancel, expiry -----------------------------------------------


def test_cancel_a_queued_request_on_the_fake() -> None:
    with (
        FakeAsyncBaseten() as fake,
        genai_baseten.PlatformClient(api_key=KEY, transport=fake.transport()) as client,
    ):
        kw: dict[str, Any] = {"client": client}
        handle = genai_baseten.async_predict(TARGET, {"id": 1, "hold": True}, **kw)
        assert genai_baseten.get_async_request(handle, **kw).status is AsyncRequestStatus.QUEUED
        first = genai_baseten.cancel_async_request(handle, **kw)
        assert first.canceled
        again = genai_baseten.cancel_async_request(handle, **kw)
        assert not again.canceled and "CANCELED" in again.message
        assert genai_baseten.get_async_request(handle, **kw).status is AsyncRequestStatus.CANCELED


@pytest.mark.anyio
async def test_expiry_and_completion_seen_by_status_async() -> None:
    with FakeAsyncBaseten() as fake:
        client = genai_baseten.AsyncPlatformClient(api_key=KEY, transport=fake.async_transport())
        kw: dict[str, Any] = {"client": client}
        expired = await genai_baseten.aasync_predict(TARGET, {"id": 1, "expire": True}, **kw)
        plain = await genai_baseten.aasync_predict(TARGET, {"id": 2}, **kw)
        state = await genai_baseten.aget_async_request(expired, **kw)
        assert state.status is AsyncRequestStatus.EXPIRED
        deadline = time.monotonic() + 5
        while (s := await genai_baseten.aget_async_request(plain, **kw)).status is (
            AsyncRequestStatus.QUEUED
        ) and time.monotonic() < deadline:
            pass
        # No webhook was given: it ran, and nobody was told.
        assert s.status is AsyncRequestStatus.SUCCEEDED
        assert s.webhook_status is WebhookStatus.NO_WEBHOOK_PROVIDED
        await client.aclose()


def test_wrong_shaped_status_answer_is_a_malformed_response() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"unexpected": True})

    with pytest.raises(MalformedResponseError, match="request_id"):
        genai_baseten.get_async_request(TARGET, "r1", client=mock(handler))


def test_chain_submission_handle_works_for_status() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == "https://chain-xyz789.api.baseten.co/async_request/c1"
        return httpx.Response(
            200, json={"request_id": "c1", "chain_id": "xyz789", "status": "SUCCEEDED"}
        )

    handle = genai_baseten.AsyncSubmission("c1", genai_baseten.Target.chain("xyz789"))
    state = genai_baseten.get_async_request(handle, client=mock(handler))
    assert state.chain_id == "xyz789" and state.webhook_status is None
