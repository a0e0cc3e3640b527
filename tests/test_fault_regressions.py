"""Regression tests for the defects and weak spots of issue 13 that the matrix cannot show:
streams dropped without close, close() from another thread, deadlines, redirects followed by the
caller's own httpx client, the mid-stream error tree, and the sans-IO redirect rule."""

from __future__ import annotations

import gc
import threading
import time
import warnings
from collections.abc import Iterator

import anyio
import httpx
import pytest
from faults import HEL, LO, STOP, drip, stream_head
from faultserver import CLOSE, FaultServer, Script, Sleep, fault_server, http_response
from harness.bodies import sse
from harness.flavors import FLAVORS, Flavor

import genai_baseten
import genai_core as genai
from genai_core import errors
from genai_core.http import RetryPolicy, redirect_request

KEY = "fake-key-for-regressions-0123456789"
MSGS = [genai.Message.user("hi")]
MODEL = "openai/gpt-oss-120b"
# A stream that sends one event, then stalls (the server gives up by itself after 5 s).
STALLED: Script = [stream_head(), sse(HEL), Sleep(5.0), CLOSE]


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with fault_server() as srv:
        yield srv


@pytest.fixture
def no_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def client(srv: FaultServer, **kw: object) -> genai_baseten.Client:
    return genai_baseten.Client(MODEL, api_key=KEY, base_url=srv.url, **kw)  # type: ignore[arg-type]


def aclient(srv: FaultServer, **kw: object) -> genai_baseten.AsyncClient:
    return genai_baseten.AsyncClient(MODEL, api_key=KEY, base_url=srv.url, **kw)  # type: ignore[arg-type]


# -- defect 1: a dropped sync stream releases its connection at once, without the collector ---


def test_break_out_of_bare_for_releases_connection_without_gc(
    server: FaultServer, no_gc: None
) -> None:
    server.script(STALLED)
    with client(server) as c:
        for fragment in c.gen_stream(MSGS):
            assert fragment.text == "Hel"
            break
        # No close(), no with, no gc.collect(): reference counting alone must close it.
        assert server.wait_closed(1.0)


def test_dropped_stream_object_releases_connection_without_gc(
    server: FaultServer, no_gc: None
) -> None:
    server.script(STALLED)
    with client(server) as c:
        stream = c.gen_stream(MSGS)
        assert next(stream).text == "Hel"
        assert server.open_connections == 1
        del stream
        assert server.wait_closed(1.0)


# -- weak 9: an async stream dropped without aclose() warns and is released soon ----------------


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_dropped_async_stream_warns_and_releases(
    server: FaultServer, backend: str, no_gc: None
) -> None:
    server.script(STALLED)

    async def main() -> None:
        async with aclient(server) as c:
            async for fragment in c.gen_stream(MSGS):
                assert fragment.text == "Hel"
                break
            # The event loop's async generator hook closes it on its next turns.
            for _ in range(50):
                if server.open_connections == 0:
                    break
                await anyio.sleep(0.01)
            assert server.open_connections == 0

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        anyio.run(main, backend=backend)
    assert any(
        issubclass(w.category, ResourceWarning) and "AsyncStream" in str(w.message) for w in seen
    ), [str(w.message) for w in seen]


# -- weak 8: close() from another thread, and deadlines -----------------------------------------


def test_close_from_another_thread_wakes_a_blocked_read(server: FaultServer) -> None:
    server.script(STALLED)
    with client(server, timeout=30.0) as c:
        stream = c.gen_stream(MSGS)
        threading.Timer(0.2, stream.close).start()
        started = time.monotonic()
        # Blocks in a read after the first event until close() wakes it.
        seen = [fragment.text for fragment in stream]
        assert time.monotonic() - started < 2.0
        assert seen == ["Hel"]
        with pytest.raises(RuntimeError, match="closed before"):
            stream.result()
        assert server.wait_closed(1.0)


@pytest.mark.parametrize("where", ["call", "client"])
@pytest.mark.parametrize("flavor", FLAVORS, ids=str)
def test_deadline_bounds_a_stream_that_keeps_trickling(
    server: FaultServer, flavor: Flavor, where: str
) -> None:
    # A comment every 0.05 s: no read ever times out, only the total deadline can stop it.
    server.script([stream_head(), sse(HEL), *drip(b": ping\n\n", times=100), CLOSE])
    on_client: dict[str, object] = {"deadline": 0.3} if where == "client" else {}
    on_call: dict[str, object] = {"deadline": 0.3} if where == "call" else {}

    async def main() -> errors.StreamTimeoutError:
        c = flavor.pick(client, aclient)(server, timeout=30.0, **on_client)
        try:
            with pytest.raises(errors.StreamTimeoutError) as info:
                await flavor.collect(c.gen_stream(MSGS, **on_call))
            return info.value
        finally:
            await flavor.close(c)

    started = time.monotonic()
    err = flavor.run(main)
    assert 0.25 < time.monotonic() - started < 1.5
    assert isinstance(err, errors.APITimeoutError) and isinstance(err, errors.StreamError)
    assert err.deadline == 0.3
    assert err.partial_result is not None and err.partial_result.text == "Hel"
    assert server.wait_closed(1.0)


def test_deadline_covers_retries(server: FaultServer) -> None:
    server.script([http_response(503, b'{"error": "busy"}')])
    slept: list[float] = []
    policy = RetryPolicy(max_retries=5, sleep=slept.append, rand=lambda: 0.0)
    with (
        client(server, retry_policy=policy, deadline=0.2) as c,
        pytest.raises(errors.DeadlineExceededError) as info,
    ):
        c.gen_sync(MSGS)
    # The first backoff (0.5 s) cannot end before the deadline: no retry is started.
    assert len(server.requests) == 1 and slept == []
    assert info.value.deadline == 0.2
    assert isinstance(info.value, errors.APITimeoutError)


def test_deadline_cuts_a_stall_before_headers(server: FaultServer) -> None:
    server.script([Sleep(5.0), CLOSE])
    with client(server, timeout=30.0, max_retries=0) as c:
        started = time.monotonic()
        with pytest.raises(errors.DeadlineExceededError):
            c.gen_sync(MSGS, deadline=0.3)
        assert time.monotonic() - started < 1.5


@pytest.mark.parametrize("bad", [0, -5, "abc", True])
def test_deadline_must_be_positive_seconds(bad: object) -> None:
    with pytest.raises(genai.ValidationError, match="deadline"):
        genai_baseten.Client(MODEL, api_key=KEY, deadline=bad)  # type: ignore[arg-type]
    c = genai_baseten.Client(MODEL, api_key=KEY)
    with pytest.raises(genai.ValidationError, match="deadline"):
        c.gen_stream(MSGS, deadline=bad)  # type: ignore[arg-type]


# -- defect 4: redirects followed by the caller's own client keep the key at home ---------------


def _ok_stream() -> Script:
    return [stream_head(), sse(HEL, LO, STOP, "[DONE]"), CLOSE]


def test_cross_origin_redirect_drops_every_credential_header() -> None:
    with fault_server() as home, fault_server() as other:
        home.script([http_response(307, headers=[("Location", f"{other.url}/chat/completions")])])
        other.script(_ok_stream())
        http = httpx.Client(follow_redirects=True)
        with (
            genai_baseten.Client(
                MODEL,
                api_key=KEY,
                base_url=home.url,
                http_client=http,
                default_headers={"Api-Key": KEY, "X-Custom-Token": "tok-123456789"},
            ) as c,
            c.gen_stream(MSGS) as stream,
        ):
            assert stream.result().text == "Hello"
        http.close()
        sent_home = home.requests[0].headers
        sent_other = other.requests[0].headers
    assert sent_home["authorization"] == f"Api-Key {KEY}"
    assert sent_home["api-key"] == KEY
    assert "authorization" not in sent_other
    assert "api-key" not in sent_other
    assert "x-custom-token" not in sent_other
    assert KEY not in other.requests[0].head
    # The body is sent again on a 307: the request is the same one.
    assert other.requests[0].body == home.requests[0].body


def test_same_origin_redirect_keeps_the_key() -> None:
    with fault_server() as home:
        home.script(
            [http_response(308, headers=[("Location", "/v2/chat/completions")])],
            _ok_stream(),
        )

        async def main() -> str:
            async with httpx.AsyncClient(follow_redirects=True) as http:
                c = genai_baseten.AsyncClient(
                    MODEL, api_key=KEY, base_url=home.url, http_client=http
                )
                async with c.gen_stream(MSGS) as stream:
                    return (await stream.aresult()).text

        assert anyio.run(main) == "Hello"
        assert home.requests[1].head.startswith("POST /v2/chat/completions ")
        assert home.requests[1].headers["authorization"] == f"Api-Key {KEY}"


def test_redirect_not_followed_is_a_redirect_error_naming_location(server: FaultServer) -> None:
    server.script([http_response(301, headers=[("Location", "https://api.example/v1/x")])])
    with client(server) as c, pytest.raises(errors.RedirectError) as info:
        c.gen_sync(MSGS)
    err = info.value
    assert err.status_code == 301
    assert err.location == "https://api.example/v1/x"
    assert "https://api.example/v1/x" in str(err)
    assert "HTTPS" in str(err)  # http → https: the hint says what to change


def test_redirect_request_rules() -> None:
    req = httpx.Request(
        "POST",
        "http://a.test/v1/chat",
        headers={"Authorization": "Bearer s3cret-key", "Api-Key": "x", "Other": "s3cret-key!"},
        content=b"{}",
    )

    def hop(status: int, location: str) -> httpx.Request:
        resp = httpx.Response(status, headers={"Location": location}, request=req)
        return redirect_request(req, resp, ("s3cret-key",))

    other = hop(307, "http://b.test/v1/chat")
    assert other.method == "POST" and other.content == b"{}"
    assert {"authorization", "api-key", "other"}.isdisjoint(k.lower() for k in other.headers)
    upgrade = hop(308, "https://a.test/v1/chat")  # http → https, same host: kept
    assert upgrade.headers["authorization"] == "Bearer s3cret-key"
    assert upgrade.headers["host"] == "a.test"
    see_other = hop(303, "/v1/result")
    assert see_other.method == "GET" and see_other.content == b""
    assert "content-length" not in see_other.headers
    assert see_other.headers["api-key"] == "x"  # same origin: kept
    other_port = hop(307, "http://a.test:8080/v1/chat")
    assert "authorization" not in other_port.headers


# -- weak 6: one base for every failure after the 200 -------------------------------------------


def test_mid_stream_error_tree() -> None:
    assert issubclass(errors.StreamConnectionError, errors.StreamError)
    assert issubclass(errors.StreamConnectionError, errors.APIConnectionError)
    assert issubclass(errors.StreamTimeoutError, errors.StreamConnectionError)
    assert issubclass(errors.StreamTimeoutError, errors.APITimeoutError)
    assert issubclass(errors.IncompleteStreamError, errors.StreamError)
    assert issubclass(errors.DeadlineExceededError, errors.APITimeoutError)
    assert issubclass(errors.RedirectError, errors.APIError)
    assert not issubclass(errors.RedirectError, errors.StreamError)
    # A malformed answer: MalformedResponseError whether streamed or not; only a stream's is a
    # StreamError too, and a whole body's never is.
    assert issubclass(errors.MalformedStreamError, errors.StreamError)
    assert issubclass(errors.MalformedStreamError, errors.MalformedResponseError)
    assert not issubclass(errors.MalformedResponseError, errors.StreamError)
    assert not issubclass(errors.StreamConnectionError, errors.MalformedResponseError)
    err = errors.StreamTimeoutError("x", status_code=200, request_id="r", provider="p")
    assert err.status_code == 200 and str(err) == "p: HTTP 200: x [request id r]"
    assert errors.error_class_for_status(302) is errors.RedirectError


# -- defect 2: no httpx exception leaves the library raw -----------------------------------------


@pytest.mark.parametrize(
    "raised",
    [
        lambda r: httpx.TooManyRedirects("too many", request=r),
        lambda r: httpx.DecodingError("bad gzip", request=r),
        lambda r: httpx.StreamConsumed(),
        lambda r: httpx.InvalidURL("bad url"),
    ],
    ids=["TooManyRedirects", "DecodingError", "StreamConsumed", "InvalidURL"],
)
def test_any_httpx_exception_becomes_a_genai_error(raised: object) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise raised(request)  # type: ignore[operator]

    http = httpx.Client(transport=httpx.MockTransport(handler))
    c = genai_baseten.Client(MODEL, api_key=KEY, http_client=http, max_retries=0)
    with pytest.raises(errors.APIConnectionError) as info:
        c.gen_sync(MSGS)
    assert isinstance(info.value.__cause__, httpx.HTTPError | httpx.StreamError | httpx.InvalidURL)
    with pytest.raises(errors.APIConnectionError), c.gen_stream(MSGS) as stream:
        stream.result()


def test_redirect_to_a_location_that_is_no_url_is_a_typed_error(server: FaultServer) -> None:
    # httpx refuses such an answer itself (a protocol error, before the library sees it): it is
    # still a GenAIError naming the cause, with httpx's exception chained.
    server.script([http_response(302, headers=[("Location", "http://[::1")])])
    http = httpx.Client(follow_redirects=True)
    with (
        genai_baseten.Client(
            MODEL, api_key=KEY, base_url=server.url, http_client=http, max_retries=0
        ) as c,
        pytest.raises(errors.APIConnectionError, match="location header") as info,
    ):
        c.gen_sync(MSGS)
    http.close()
    assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)
