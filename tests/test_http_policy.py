"""The HTTP policy: pure decisions, then both send loops over httpx.MockTransport.

Nothing here touches the network or sleeps: sleeps are recorded by fakes, the clock is frozen and
the jitter is fixed.
"""

from __future__ import annotations

import email.utils
from typing import Any, NoReturn

import anyio
import httpx
import pytest
from harness.flavors import Flavor, each_flavor, resolve
from harness.scripted import Answer, ScriptedBody, ScriptedServer, Sleeps, pieces
from hypothesis import given
from hypothesis import strategies as st

from genai_core.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    BadRequestError,
    RateLimitError,
    ServerError,
    ValidationError,
    error_class_for_status,
)
from genai_core.http import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    INITIAL_RETRY_DELAY,
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
    RETRYABLE_STATUS,
    SENSITIVE_HEADERS,
    RetryPolicy,
    RetryState,
    asend_with_retries,
    new_request_id,
    parse_retry_after,
    redact_headers,
    retry_delay,
    send_with_retries,
    should_retry,
)

NOW = 1_700_000_000.0  # frozen clock, epoch seconds
URL = "https://inference.example.test/v1/chat/completions"
SECRET = "sk-test-0123456789abcdef"


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def http_date(epoch: float) -> str:
    return email.utils.formatdate(epoch, usegmt=True)


# --- constants -------------------------------------------------------------------------------


def test_constants() -> None:
    assert DEFAULT_MAX_RETRIES == 2
    assert INITIAL_RETRY_DELAY == 0.5
    assert MAX_RETRY_DELAY == 8.0
    assert MAX_RETRY_AFTER == 60.0
    assert frozenset({429, 500, 502, 503, 504, 529}) == RETRYABLE_STATUS
    assert (DEFAULT_TIMEOUT.connect, DEFAULT_TIMEOUT.read) == (10.0, 600.0)
    assert (DEFAULT_TIMEOUT.write, DEFAULT_TIMEOUT.pool) == (60.0, 30.0)


# --- parse_retry_after -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({}, None, id="none"),
        pytest.param({"retry-after-ms": "1500"}, 1.5, id="ms"),
        pytest.param({"Retry-After-Ms": "250.5"}, 0.2505, id="ms-float-mixed-case"),
        pytest.param({"retry-after-ms": "100", "retry-after": "7"}, 0.1, id="ms-wins"),
        pytest.param({"retry-after-ms": "soon", "retry-after": "7"}, 7.0, id="bad-ms-falls-back"),
        pytest.param({"retry-after-ms": "-5"}, None, id="ms-negative"),
        pytest.param({"Retry-After": "3"}, 3.0, id="seconds"),
        pytest.param({"retry-after": " 3 "}, 3.0, id="seconds-whitespace"),
        pytest.param({"RETRY-AFTER": "1.25"}, 1.25, id="float-seconds"),
        pytest.param({"Retry-After": "0"}, 0.0, id="zero"),
        pytest.param({"Retry-After": http_date(NOW + 30)}, 30.0, id="date-future"),
        pytest.param({"Retry-After": http_date(NOW - 30)}, 0.0, id="date-past"),
        pytest.param(
            {"Retry-After": "Tue, 14 Nov 2023 22:13:27 -0000"}, 7.0, id="date-naive-is-utc"
        ),
        pytest.param({"Retry-After": "soon"}, None, id="garbage"),
        pytest.param({"Retry-After": ""}, None, id="empty"),
        pytest.param({"Retry-After": "Wed, 99 Foo 2023 99:99:99 GMT"}, None, id="bad-date"),
        pytest.param({"Retry-After": "inf"}, None, id="inf"),
        pytest.param({"Retry-After": "nan"}, None, id="nan"),
        pytest.param({"Retry-After": "-1"}, None, id="negative"),
        pytest.param({"Retry-After": "1e400"}, None, id="overflows-to-inf"),
        pytest.param({"Retry-After": "3600"}, 3600.0, id="huge"),
        pytest.param({"Retry-After": "9" * 30}, 1e30, id="very-huge"),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    got = parse_retry_after(headers, NOW)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


def test_parse_retry_after_accepts_httpx_headers() -> None:
    assert parse_retry_after(httpx.Headers({"Retry-After": "4"}), NOW) == 4.0
    assert parse_retry_after(httpx.Headers({"Retry-After-MS": "20"}), NOW) == 0.02


# --- should_retry ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (429, {}, True),
        (500, {}, True),
        (502, {}, True),
        (503, {}, True),
        (504, {}, True),
        (529, {}, True),
        (501, {}, False),
        (505, {}, False),
        (400, {}, False),
        (401, {}, False),
        (403, {}, False),
        (404, {}, False),
        (408, {}, False),
        (409, {}, False),
        (422, {}, False),
        (200, {}, False),
        (503, {"x-should-retry": "false"}, False),
        (429, {"X-Should-Retry": "FALSE"}, False),
        (501, {"x-should-retry": "true"}, True),
        (500, {"x-should-retry": "maybe"}, True),
        (501, {"x-should-retry": "maybe"}, False),
        (400, {"x-should-retry": "true"}, False),
        (404, {"x-should-retry": "true"}, False),
        (200, {"x-should-retry": "true"}, False),
    ],
)
def test_should_retry(status: int, headers: dict[str, str], expected: bool) -> None:
    assert should_retry(status, headers) is expected
    assert should_retry(status, httpx.Headers(headers)) is expected


# --- retry_delay -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("retries_taken", "rand", "expected"),
    [
        (0, 0.0, 0.5),
        (0, 1.0, 0.375),  # 0.5 * 0.75
        (1, 0.0, 1.0),
        (1, 1.0, 0.75),
        (2, 0.0, 2.0),
        (2, 0.5, 1.75),  # 2.0 * (1 - 0.125)
        (3, 1.0, 3.0),
        (4, 0.0, 8.0),  # 0.5 * 16 = 8, exactly the cap
        (5, 0.0, 8.0),  # 16 capped at 8
        (5, 1.0, 6.0),  # cap, then jitter
        (10_000, 0.0, 8.0),  # no overflow
    ],
)
def test_retry_delay_backoff(retries_taken: int, rand: float, expected: float) -> None:
    assert retry_delay(retries_taken, None, lambda: rand) == expected


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        (3.0, 3.0),  # honoured as is, no jitter
        (0.01, 0.01),
        (60.0, 60.0),  # the limit itself is honoured
        (60.5, 1.0),  # above the limit: ignored, backoff instead
        (3600.0, 1.0),
        (0.0, 1.0),  # zero: backoff
    ],
)
def test_retry_delay_server_value(retry_after: float, expected: float) -> None:
    assert retry_delay(1, retry_after, lambda: 0.0) == expected


@given(st.integers(min_value=0, max_value=200), st.floats(min_value=0.0, max_value=1.0))
def test_retry_delay_bounds(retries_taken: int, rand: float) -> None:
    delay = retry_delay(retries_taken, None, lambda: rand)
    assert INITIAL_RETRY_DELAY * 0.75 <= delay <= MAX_RETRY_DELAY


# --- RetryPolicy / RetryState ----------------------------------------------------------------


@pytest.mark.parametrize("bad", [-1, -100, 1.5, True, "2"])
def test_policy_rejects_bad_max_retries(bad: object) -> None:
    with pytest.raises(ValidationError, match="max_retries"):
        RetryPolicy(max_retries=bad)  # type: ignore[arg-type]


def test_policy_is_frozen_and_starts_fresh_states() -> None:
    policy = RetryPolicy(max_retries=0)
    with pytest.raises(AttributeError):
        policy.max_retries = 3  # type: ignore[misc]
    state = policy.start()
    assert isinstance(state, RetryState)
    assert state.retries_taken == 0
    assert policy.start() is not state


def test_state_counts_retries_and_stops() -> None:
    state = RetryPolicy(max_retries=2, rand=lambda: 0.0, clock=lambda: NOW).start()
    response = httpx.Response(503)
    assert state.after_response(response) == 0.5
    assert state.after_response(response) == 1.0
    assert state.retries_taken == 2
    assert state.after_response(response) is None
    assert state.retries_taken == 2


def test_state_uses_clock_for_http_dates() -> None:
    state = RetryPolicy(clock=lambda: NOW).start()
    response = httpx.Response(429, headers={"Retry-After": http_date(NOW + 12)})
    assert state.after_response(response) == 12.0


def test_state_refuses_long_server_delay_without_spending_a_retry() -> None:
    state = RetryPolicy(clock=lambda: NOW).start()
    assert state.after_response(httpx.Response(429, headers={"Retry-After": "61"})) is None
    assert state.retries_taken == 0


def test_state_after_exception() -> None:
    state = RetryPolicy(max_retries=1, rand=lambda: 0.0).start()
    exc = httpx.ConnectError("refused")
    assert state.after_exception(exc) == 0.5
    with pytest.raises(
        APIConnectionError, match=r"^connection failed: ConnectError: refused"
    ) as ei:
        state.after_exception(exc)
    assert ei.value.__cause__ is exc
    assert type(ei.value) is APIConnectionError


def test_state_does_not_retry_unsupported_protocol() -> None:
    state = RetryPolicy().start()
    with pytest.raises(APIConnectionError):
        state.after_exception(httpx.UnsupportedProtocol("Request URL has an unsupported scheme"))
    assert state.retries_taken == 0


def test_state_error_message_is_one_line() -> None:
    state = RetryPolicy(max_retries=0).start()
    with pytest.raises(APITimeoutError) as ei:
        state.after_exception(httpx.ReadTimeout("line one\nline two"))
    assert str(ei.value) == "request timed out: ReadTimeout: line one"
    with pytest.raises(APIConnectionError) as ei2:
        state.after_exception(httpx.RemoteProtocolError(""))
    assert str(ei2.value) == "connection failed: RemoteProtocolError"


# --- the loops -------------------------------------------------------------------------------


def raise_api_error(response: httpx.Response) -> NoReturn:
    """What a provider does: build the typed error from the (already read) response."""
    cls = error_class_for_status(response.status_code)
    kw: dict[str, object] = {}
    if cls is RateLimitError:
        kw["retry_after"] = parse_retry_after(response.headers, NOW)
    raise cls(response.text, status_code=response.status_code, provider="test", **kw)  # type: ignore[arg-type]


def scripted(*script: httpx.Response | Exception) -> ScriptedServer:
    """A scripted server: each item a Response (played afresh, its body in 4-byte pieces like a
    real network body) or an exception to raise."""
    return ScriptedServer(*(fresh(item) for item in script))


def fresh(item: httpx.Response | Exception) -> Answer:
    def answer(request: httpx.Request) -> httpx.Response:
        if isinstance(item, Exception):
            raise item
        return httpx.Response(
            item.status_code, headers=item.headers, stream=pieces(item.content, 4)
        )

    return answer


def make_request() -> httpx.Request:
    return httpx.Request(
        "POST",
        URL,
        headers={"Authorization": f"Bearer {SECRET}", "X-Request-Id": new_request_id()},
        json={"model": "m", "messages": []},
    )


class Recorder(Sleeps):
    """The harness's fake sleeps, with a policy that never waits at random (and a still clock)."""

    def policy(self, max_retries: int = DEFAULT_MAX_RETRIES, **kw: Any) -> RetryPolicy:
        return super().policy(max_retries=max_retries, clock=lambda: NOW, rand=lambda: 0.0, **kw)


async def send(
    flavor: Flavor,
    server: ScriptedServer,
    policy: RetryPolicy,
    request: httpx.Request | None = None,
) -> str:
    """One request through ``send_with_retries`` (sync flavor) or ``asend_with_retries``."""
    client = flavor.http_client(transport=httpx.MockTransport(server))
    try:
        loop = flavor.pick(send_with_retries, asend_with_retries)
        response = await resolve(
            loop(client, request or make_request(), policy, raise_for_status=raise_api_error)
        )
        assert response.status_code < 400
        assert not response.is_closed  # handed back still open, for streaming
        try:
            body: bytes = await resolve(response.aread() if flavor.is_async else response.read())
            return body.decode()
        finally:
            await flavor.close(response)
    finally:
        await flavor.close(client)


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@each_flavor
async def test_success_first_try(flavor: Flavor, rec: Recorder) -> None:
    server = scripted(httpx.Response(200, text="ok"))
    assert await send(flavor, server, rec.policy()) == "ok"
    assert server.calls == 1
    assert rec.delays == []


@each_flavor
async def test_retries_503_then_succeeds(flavor: Flavor, rec: Recorder) -> None:
    server = scripted(httpx.Response(503), httpx.Response(503), httpx.Response(200, text="ok"))
    request = make_request()
    assert await send(flavor, server, rec.policy(), request) == "ok"
    assert server.calls == 3
    assert rec.delays == [0.5, 1.0]
    assert {r.headers["X-Request-Id"] for r in server.requests} == {request.headers["X-Request-Id"]}


@each_flavor
async def test_same_request_id_on_every_attempt(flavor: Flavor, rec: Recorder) -> None:
    server = scripted(httpx.Response(500), httpx.ConnectError("reset"), httpx.Response(200))
    request = make_request()
    await send(flavor, server, rec.policy(), request)
    ids = {r.headers["X-Request-Id"] for r in server.requests}
    assert ids == {request.headers["X-Request-Id"]}
    assert server.calls == 3


@each_flavor
async def test_429_retry_after_is_honoured(flavor: Flavor, rec: Recorder) -> None:
    server = scripted(httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200))
    await send(flavor, server, rec.policy())
    assert rec.delays == [3.0]


@each_flavor
async def test_429_long_retry_after_is_raised_not_waited(flavor: Flavor, rec: Recorder) -> None:
    server = scripted(httpx.Response(429, headers={"Retry-After": "3600"}, text="slow down"))
    with pytest.raises(RateLimitError) as ei:
        await send(flavor, server, rec.policy())
    assert ei.value.retry_after == 3600.0
    assert ei.value.message == "slow down"
    assert server.calls == 1
    assert rec.delays == []


@each_flavor
async def test_400_is_never_retried(flavor: Flavor, rec: Recorder) -> None:
    server = scripted(httpx.Response(400, text="bad", headers={"x-should-retry": "true"}))
    with pytest.raises(BadRequestError, match="bad"):
        await send(flavor, server, rec.policy())
    assert server.calls == 1
    assert rec.delays == []


@each_flavor
async def test_x_should_retry_false_stops_a_503(flavor: Flavor, rec: Recorder) -> None:
    server = scripted(httpx.Response(503, headers={"x-should-retry": "false"}))
    with pytest.raises(ServerError):
        await send(flavor, server, rec.policy())
    assert server.calls == 1


@each_flavor
@pytest.mark.parametrize("max_retries", [0, 1, 2, 5])
async def test_exhaustion_after_max_retries_plus_one(
    flavor: Flavor, rec: Recorder, max_retries: int
) -> None:
    server = scripted(httpx.Response(503, text="down"))
    with pytest.raises(ServerError, match="HTTP 503: down") as ei:
        await send(flavor, server, rec.policy(max_retries))
    assert ei.value.status_code == 503
    assert server.calls == max_retries + 1
    assert len(rec.delays) == max_retries


def test_error_response_is_read_and_closed_before_raise(rec: Recorder) -> None:
    seen: list[httpx.Response] = []

    def capture(response: httpx.Response) -> NoReturn:
        seen.append(response)
        raise_api_error(response)

    with (
        httpx.Client(
            transport=httpx.MockTransport(scripted(httpx.Response(404, text="nope")))
        ) as c,
        pytest.raises(APIError),
    ):
        send_with_retries(c, make_request(), rec.policy(), raise_for_status=capture)
    assert seen[0].is_closed
    assert seen[0].text == "nope"


def test_raise_for_status_must_raise(rec: Recorder) -> None:
    def lenient(response: httpx.Response) -> NoReturn:
        return None  # type: ignore[misc]

    with (
        httpx.Client(transport=httpx.MockTransport(scripted(httpx.Response(400)))) as c,
        pytest.raises(TypeError, match="raise_for_status"),
    ):
        send_with_retries(c, make_request(), rec.policy(), raise_for_status=lenient)


@each_flavor
async def test_connect_error_retried_then_raised_chained(flavor: Flavor, rec: Recorder) -> None:
    cause = httpx.ConnectError("[Errno 111] Connection refused")
    server = scripted(cause)
    with pytest.raises(APIConnectionError) as ei:
        await send(flavor, server, rec.policy())
    err = ei.value
    assert type(err) is APIConnectionError
    assert err.__cause__ is cause
    assert str(err) == (
        "connection failed: ConnectError: [Errno 111] Connection refused (after 3 attempts)"
    )
    assert SECRET not in str(err)
    assert "Authorization" not in str(err)
    assert server.calls == 3
    assert rec.delays == [0.5, 1.0]


@each_flavor
async def test_connect_error_then_success(flavor: Flavor, rec: Recorder) -> None:
    server = scripted(httpx.ConnectError("refused"), httpx.Response(200, text="ok"))
    assert await send(flavor, server, rec.policy()) == "ok"
    assert rec.delays == [0.5]


@each_flavor
async def test_read_timeout_becomes_api_timeout_error(flavor: Flavor, rec: Recorder) -> None:
    cause = httpx.ReadTimeout("timed out")
    server = scripted(cause)
    with pytest.raises(APITimeoutError, match=r"^request timed out: ReadTimeout") as ei:
        await send(flavor, server, rec.policy(1))
    assert ei.value.__cause__ is cause
    assert server.calls == 2


@each_flavor
async def test_max_retries_zero_is_one_attempt(flavor: Flavor, rec: Recorder) -> None:
    server = scripted(httpx.ConnectError("refused"))
    with pytest.raises(APIConnectionError):
        await send(flavor, server, rec.policy(0))
    assert server.calls == 1
    assert rec.delays == []


def test_transport_error_while_reading_error_body_is_retried(rec: Recorder) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(
                502,
                stream=ScriptedBody(
                    [b"partial", httpx.ReadError("connection reset while reading")]
                ),
            )
        return httpx.Response(200, text="ok")

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        response = send_with_retries(
            client, make_request(), rec.policy(), raise_for_status=raise_api_error
        )
        assert response.read() == b"ok"
        response.close()
    assert len(calls) == 2
    assert rec.delays == [0.5]


# --- more of the loop in every flavor, and the async loop's own sleep --------------------------


@each_flavor
async def test_529_is_retried_with_doubling_delays_until_exhausted(
    flavor: Flavor, rec: Recorder
) -> None:
    server = scripted(httpx.Response(529))
    with pytest.raises(ServerError):
        await send(flavor, server, rec.policy(3))
    assert server.calls == 4
    assert rec.delays == [0.5, 1.0, 2.0]


@each_flavor
async def test_the_last_timeout_is_the_one_raised(flavor: Flavor, rec: Recorder) -> None:
    server = scripted(httpx.ReadTimeout("timed out"), httpx.ReadTimeout("timed out again"))
    with pytest.raises(APITimeoutError, match="timed out again"):
        await send(flavor, server, rec.policy(1))
    assert server.calls == 2


@pytest.mark.anyio
async def test_async_default_sleep_is_anyio_sleep() -> None:
    # The default sleep runs on both backends (an asyncio-only call fails under trio) and obeys
    # the backend's cancellation, as a retry wait inside a caller's timeout must.
    with anyio.move_on_after(0.01) as scope:
        await RetryPolicy().async_sleep(30)
    assert scope.cancelled_caught


# --- request ids and redaction ---------------------------------------------------------------


def test_new_request_id() -> None:
    ids = {new_request_id() for _ in range(100)}
    assert len(ids) == 100
    for rid in ids:
        assert len(rid) == 16
        assert all(c.isalnum() or c in "-_" for c in rid)


def test_sensitive_headers() -> None:
    assert (
        frozenset(
            {"authorization", "api-key", "x-api-key", "proxy-authorization", "cookie", "set-cookie"}
        )
        == SENSITIVE_HEADERS
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("Authorization", f"Bearer {SECRET}", "Bearer <redacted>"),
        ("authorization", f"Api-Key {SECRET}", "Api-Key <redacted>"),
        ("Authorization", SECRET, "<redacted>"),
        ("Proxy-Authorization", "Basic dXNlcjpwYXNz", "Basic <redacted>"),
        ("X-Api-Key", SECRET, "<redacted>"),
        ("api-key", SECRET, "<redacted>"),
        ("Cookie", "session=abc; other=def", "<redacted>"),
        ("Set-Cookie", "session=abc; Path=/", "<redacted>"),
        ("x-goog-api-key", SECRET, "<redacted>"),
        ("Content-Type", "application/json", "application/json"),
        ("X-Request-Id", "abc123", "abc123"),
    ],
)
def test_redact_headers(name: str, value: str, expected: str) -> None:
    assert redact_headers({name: value}) == {name: expected}


def test_redact_headers_accepts_httpx_headers_and_keeps_others() -> None:
    headers = httpx.Headers({"Authorization": f"Bearer {SECRET}", "Accept": "text/event-stream"})
    redacted = redact_headers(headers)
    assert SECRET not in str(redacted)
    assert redacted["accept"] == "text/event-stream"
    assert headers["Authorization"] == f"Bearer {SECRET}"  # the input is not modified
