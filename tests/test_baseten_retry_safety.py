"""Calls that run a model are never sent again where it may already have run.

Baseten (reference §3.6): 500 means ``predict`` raised, 502 that the container crashed during
the request, 504 that it ran for 1200 s; only 503 (scaling up) and 429 are refusals. A predict
or run_remote is therefore retried on 429, 503 and a connection refused before the request was
sent, and nothing else unless ``retry_unsafe=True``. All offline (MockTransport), with a clock
that moves only when the client sleeps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from test_baseten_platform import Clock  # a clock that moves only when the client sleeps

import genai_baseten
from genai_baseten import AsyncPlatformClient, PlatformClient, Target
from genai_core import (
    APIConnectionError,
    APITimeoutError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ValidationError,
)

KEY = "fake-baseten-key-0123456789"
MODEL = Target.model("abcd1234")
CHAIN = Target.chain("xyz9", environment="staging")


Reply = Callable[[httpx.Request], httpx.Response]


def scripted(*replies: Reply | int) -> tuple[list[httpx.Request], Callable[..., httpx.Response]]:
    """A handler answering each request with the next reply (the last one repeats)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        reply = replies[min(len(seen), len(replies)) - 1]
        if isinstance(reply, int):
            return httpx.Response(reply, json={"error": f"status {reply}", "request_id": "r1"})
        return reply(request)

    return seen, handler


def client(handler: Callable[..., httpx.Response], clock: Clock, **kw: Any) -> PlatformClient:
    policy = clock.policy(kw.pop("max_retries", 2))
    return PlatformClient(
        api_key=KEY, transport=httpx.MockTransport(handler), retry_policy=policy, **kw
    )


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def read_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"output": 1})


@pytest.mark.parametrize("status", [500, 502, 504])
@pytest.mark.parametrize("method", ["predict", "run_remote"])
def test_an_answer_after_the_model_ran_is_not_retried(status: int, method: str) -> None:
    # A persistent 502 used to be retried by the policy, then for 900 s of cold start.
    clock = Clock()
    seen, handler = scripted(status)
    target = MODEL if method == "predict" else CHAIN
    with client(handler, clock) as c, pytest.raises(ServerError):
        getattr(c, method)(target, {"x": 1})
    assert len(seen) == 1
    assert clock.delays == []


def test_a_read_timeout_is_not_retried() -> None:
    clock = Clock()
    seen, handler = scripted(read_timeout, ok)
    with client(handler, clock) as c, pytest.raises(APITimeoutError):
        c.predict(MODEL, {"x": 1})
    assert len(seen) == 1


@pytest.mark.parametrize("first", [429, 503, refused])
def test_refusals_are_retried(first: Reply | int) -> None:
    clock = Clock()
    seen, handler = scripted(first, ok)
    with client(handler, clock) as c:
        assert c.predict(MODEL, {"x": 1}) == {"output": 1}
    assert len(seen) == 2


def test_refusals_are_retried_max_retries_times() -> None:
    clock = Clock()
    seen, handler = scripted(refused)
    with client(handler, clock, max_retries=3) as c, pytest.raises(APIConnectionError):
        c.predict(MODEL, {"x": 1})
    assert len(seen) == 4  # the first attempt and 3 retries
    seen, handler = scripted(429)
    with client(handler, clock, max_retries=1) as c, pytest.raises(RateLimitError):
        c.run_remote(CHAIN, {"x": 1})
    assert len(seen) == 2


def test_retry_unsafe_opts_in_to_retrying_server_errors() -> None:
    clock = Clock()
    seen, handler = scripted(502, read_timeout, ok)
    with client(handler, clock) as c:
        assert c.predict(MODEL, {"x": 1}, retry_unsafe=True) == {"output": 1}
    assert len(seen) == 3
    with client(handler, clock) as c, pytest.raises(ValidationError, match="retry_unsafe"):
        c.predict(MODEL, {"x": 1}, retry_unsafe="yes")  # type: ignore[arg-type]


def test_a_503_is_waited_out_as_a_cold_start_but_a_502_is_not() -> None:
    clock = Clock()
    seen, handler = scripted(*[503] * 6, ok)
    with client(handler, clock, cold_start_timeout=60) as c:
        assert c.predict(MODEL, {"x": 1}) == {"output": 1}
    assert len(seen) == 7
    seen, handler = scripted(502)
    with client(handler, clock, cold_start_timeout=900) as c, pytest.raises(ServerError):
        c.wake(Target.model("abcd1234", development=True))
    # Wake is not a model run: the policy's own retries apply, but no cold-start wait on 502.
    assert len(seen) == 3


# -- async_run_remote is a submit ------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_async_run_remote_is_never_resent_after_a_server_error(status: int) -> None:
    clock = Clock()
    seen, handler = scripted(status)
    with client(handler, clock) as c, pytest.raises(ServerError):
        c.async_run_remote(CHAIN, {"x": 1})
    assert len(seen) == 1


def test_async_run_remote_retries_a_429() -> None:
    clock = Clock()
    created = httpx.Response(201, json={"request_id": "req1"})
    seen, handler = scripted(429, lambda r: created)
    with client(handler, clock) as c:
        handle = c.async_run_remote(CHAIN, {"x": 1})
    assert handle.request_id == "req1" and len(seen) == 2


@pytest.mark.anyio
async def test_async_run_remote_async_twin_is_a_submit_too() -> None:
    clock = Clock()
    seen, handler = scripted(502)
    policy = clock.policy()
    async with AsyncPlatformClient(
        api_key=KEY, transport=httpx.MockTransport(handler), retry_policy=policy
    ) as c:
        with pytest.raises(ServerError):
            await c.async_run_remote(CHAIN, {"x": 1})
    assert len(seen) == 1


def test_async_run_remote_checks_the_256_kib_limit() -> None:
    clock = Clock()
    seen, handler = scripted(ok)
    with client(handler, clock) as c, pytest.raises(ValidationError, match="256 KiB"):
        c.async_run_remote(CHAIN, {"text": "x" * (256 * 1024)})
    assert seen == []


# -- 404 hints ---------------------------------------------------------------------------------


def test_the_deactivation_hint_is_only_for_calls_on_the_deployment() -> None:
    clock = Clock()
    _seen, handler = scripted(404)
    with client(handler, clock) as c:
        with pytest.raises(NotFoundError, match="may be deactivated"):
            c.predict(MODEL, {"x": 1})
        with pytest.raises(NotFoundError) as status_404:
            genai_baseten.get_async_request(MODEL, "0123abcd", client=c)
        with pytest.raises(NotFoundError) as mgmt_404:
            c.get_deployment("abcd1234", "q7x2m4p")
    assert "deactivated" not in str(status_404.value)
    assert "deactivated" not in str(mgmt_404.value)


# -- wake and wait_until_ready -----------------------------------------------------------------


def test_wait_until_ready_does_not_overrun_its_timeout() -> None:
    # The management API answering 503 used to be waited out for the 900 s cold-start budget.
    clock = Clock()
    seen, handler = scripted(503)
    with client(handler, clock) as c, pytest.raises((ServerError, APITimeoutError)):
        c.wait_until_ready(Target.model("abcd1234", development=True), timeout=30, interval=5)
    assert sum(clock.delays) <= 30
    # Each call carried the time left as its timeout.
    assert all(r.extensions["timeout"]["read"] <= 30 for r in seen)


def test_an_environment_without_a_current_deployment_cannot_be_woken() -> None:
    clock = Clock()
    env = {"name": "staging", "model_id": "abcd1234", "current_deployment": None}
    seen, handler = scripted(lambda r: httpx.Response(200, json=env))
    with client(handler, clock) as c, pytest.raises(genai_baseten.DeploymentFailedError) as info:
        c.wake(Target.model("abcd1234", environment="staging"))
    assert "no current deployment" in str(info.value)
    assert [r.url.path for r in seen] == ["/v1/models/abcd1234/environments/staging"]
