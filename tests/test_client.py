"""genai_baseten.Client and AsyncClient end to end over httpx transports: no network, no sleep.

Every answer here is written from the wire format (shared/wire/README.md: SSE ``data: <json>``
events ending with ``[DONE]``, JSON error bodies, ``X-Baseten-Request-Id``); nothing is copied
from the recordings. Most tests run three times: the sync client, then the async client on
asyncio and on trio, through one test body (:class:`Flavor` hides the ``await``).
"""

from __future__ import annotations

import gc
import logging
import warnings
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import anyio
import httpx
import pytest
from harness import bodies
from harness.bodies import DONE, event
from harness.flavors import ASYNC, Flavor, each_flavor
from harness.loopback import HTTPLoopback, Incoming, Outgoing
from harness.scripted import (
    ScriptedBody,
    ScriptedServer,
    Sleeps,
    json_answer,
    raw_answer,
    sse_answer,
)

import genai_baseten
import genai_core as genai
from genai_core.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    BadRequestError,
    MissingAPIKeyError,
    NotFoundError,
    NotSupportedError,
    RateLimitError,
    ServerError,
    StreamError,
    ValidationError,
)
from genai_core.openai_chat import AsyncOpenAICompatibleClient, OpenAICompatibleClient
from genai_core.options import GenOption
from genai_core.provider import AsyncStream, Stream
from genai_core.registry import (
    UnknownProviderError,
    get_async_provider,
    get_provider,
    provider_names,
    register_provider,
    unregister_provider,
)
from genai_core.types import Message, Reply

MODEL = "openai/gpt-oss-120b"
KEY = "bt-secret-key-0123456789abcdef"
BASE_URL = "https://inference.baseten.co/v1"
CHAT_URL = BASE_URL + "/chat/completions"
MSGS = [Message.user("Say hello")]
USAGE = {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12}
REQUEST_ID = "54ca7019e8004b71a78bebfef903fd3a"

# A stream left before its end (closed early, or broken by an error event) abandons httpx's
# nested body generators (aiter_bytes > aiter_raw > BoundAsyncStream), which cannot all be closed
# from outside (encode/httpx#3686); trio warns when they are collected. A stream read to its end
# must not warn: test_async_stream_read_to_done_leaves_no_unclosed_generator_on_trio checks that.
AnyClient = genai_baseten.Client | genai_baseten.AsyncClient
AnyStream = Stream | AsyncStream


# --- wire bodies, written from the protocol (harness.bodies) ---------------------------------


def chunk(
    content: str | None = None,
    *,
    finish: str | None = None,
    usage: dict[str, int] | None = None,
    choices: bool = True,
) -> bytes:
    """A ``chat.completion.chunk`` event as Baseten streams it (explicit nulls included)."""
    delta = {"role": "assistant", "content": content, "tool_calls": None} if choices else None
    return event(bodies.chunk(delta, finish=finish, usage=usage, nulls=True))


def text_events(*pieces: str) -> list[bytes]:
    """A whole streamed answer: one chunk per piece, the finish chunk, usage, ``[DONE]``."""
    return [
        *(chunk(p) for p in pieces),
        chunk(finish="stop"),
        chunk(choices=False, usage=USAGE),
        DONE,
    ]


def make(flavor: Flavor, server: ScriptedServer, *, sleeps: Sleeps | None = None, **kw: Any) -> Any:
    """A client on ``server``; by default with a model, a key and retries that never wait."""
    kw.setdefault("model", MODEL)
    kw.setdefault("api_key", KEY)
    kw.setdefault("retry_policy", (sleeps or Sleeps()).policy())
    return flavor.mock_client(server, **kw)


def text_of(fragments: Sequence[Reply]) -> str:
    return "".join(f.text for f in fragments)


# --- laziness and call-time validation -------------------------------------------------------


@each_flavor
async def test_gen_stream_sends_nothing_until_iterated(flavor: Flavor) -> None:
    server = ScriptedServer(sse_answer(text_events("Hel", "lo")))
    client = make(flavor, server)
    stream = client.gen_stream(MSGS)
    assert server.calls == 0
    async with flavor.opened(stream) as s:
        assert server.calls == 0
        fragments = await flavor.drain(s)
    assert server.calls == 1
    assert text_of(fragments) == "Hello"
    assert server.requests[0].method == "POST"
    assert str(server.requests[0].url) == CHAT_URL


@each_flavor
async def test_stream_entered_and_left_without_iteration_sends_nothing(flavor: Flavor) -> None:
    server = ScriptedServer(sse_answer(text_events("Hello")))
    client = make(flavor, server)
    async with flavor.opened(client.gen_stream(MSGS)):
        pass
    assert server.calls == 0


class ForeignOptions(GenOption):
    """An option class of some other provider."""

    flavour: str = "vanilla"


@each_flavor
@pytest.mark.parametrize(
    ("args", "kw", "error"),
    [
        pytest.param((MSGS, {"max_tokens": 5}), {}, ValidationError, id="dict-as-option"),
        pytest.param((MSGS, "temperature=0"), {}, ValidationError, id="str-as-option"),
        pytest.param((MSGS, ForeignOptions()), {}, NotSupportedError, id="foreign-option"),
        pytest.param(
            (MSGS, genai.TextOptions(), genai.TextOptions()), {}, ValidationError, id="twice"
        ),
        pytest.param((MSGS,), {"max_retries": -1}, ValidationError, id="negative-retries"),
    ],
)
async def test_bad_call_inputs_raise_at_gen_stream_call(
    flavor: Flavor, args: tuple[Any, ...], kw: dict[str, Any], error: type[Exception]
) -> None:
    server = ScriptedServer(sse_answer(text_events("Hello")))
    client = make(flavor, server)
    with pytest.raises(error):
        client.gen_stream(*args, **kw)
    with pytest.raises(error):
        await flavor.gen_sync(client, *args, **kw)
    assert server.calls == 0


@each_flavor
async def test_no_model_raises_at_call_time(flavor: Flavor) -> None:
    server = ScriptedServer(sse_answer(text_events("Hello")))
    client = make(flavor, server, model=None)
    with pytest.raises(ValidationError, match="model"):
        client.gen_stream(MSGS)
    with pytest.raises(ValidationError, match="model"):
        await flavor.gen_sync(client, MSGS)
    assert server.calls == 0


@each_flavor
async def test_missing_key_raises_at_call_time_naming_the_variable(flavor: Flavor) -> None:
    server = ScriptedServer(sse_answer(text_events("Hello")), json_answer(200, {"data": []}))
    client = make(flavor, server, api_key=None)
    with pytest.raises(MissingAPIKeyError, match="BASETEN_API_KEY") as info:
        client.gen_stream(MSGS)
    assert info.value.env_var == "BASETEN_API_KEY"
    with pytest.raises(MissingAPIKeyError, match="BASETEN_API_KEY"):
        await flavor.gen_sync(client, MSGS)
    with pytest.raises(MissingAPIKeyError, match="BASETEN_API_KEY"):
        await flavor.list_models(client)
    assert server.calls == 0


@each_flavor
async def test_non_integer_max_retries_is_a_validation_error(flavor: Flavor) -> None:
    server = ScriptedServer(sse_answer(text_events("Hello")))
    client = make(flavor, server)
    not_an_int: Any = "3"
    with pytest.raises(ValidationError, match="max_retries"):
        client.gen_stream(MSGS, max_retries=not_an_int)
    with pytest.raises(ValidationError, match="max_retries"):
        await flavor.gen_sync(client, MSGS, max_retries=not_an_int)
    assert server.calls == 0


# --- incremental streaming -------------------------------------------------------------------


@each_flavor
async def test_stream_yields_first_fragment_before_the_body_ends(flavor: Flavor) -> None:
    body = ScriptedBody([chunk("Hel"), *text_events("lo")])
    server = ScriptedServer(sse_answer(body))
    stream = make(flavor, server).gen_stream(MSGS)
    async with flavor.opened(stream) as s:
        (first,) = await flavor.take(s, 1)
        # Only the first event was read from the body: the fragment came incrementally (a
        # client that read ahead before yielding would have taken more parts).
        assert first.text == "Hel"
        assert body.yielded == 1
        assert not body.all_read
        rest = await flavor.drain(s)
    assert text_of(rest) == "lo"
    assert stream.result().text == "Hello"
    assert body.all_read
    assert body.closed


@pytest.mark.parametrize("anyio_backend", ["trio"])
@pytest.mark.anyio
async def test_async_stream_read_to_done_leaves_no_unclosed_generator_on_trio() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        server = ScriptedServer(sse_answer(text_events("Hel", "lo")))
        stream = make(ASYNC, server).gen_stream(MSGS)
        assert isinstance(stream, AsyncStream)
        async with stream:
            assert text_of(await ASYNC.drain(stream)) == "Hello"
        del stream
        gc.collect()
        await anyio.sleep(0)
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == []


# --- context manager and close ---------------------------------------------------------------


@each_flavor
async def test_leaving_with_early_closes_the_response(flavor: Flavor) -> None:
    body = ScriptedBody(text_events("a", "b", "c"))
    server = ScriptedServer(sse_answer(body))
    stream = make(flavor, server).gen_stream(MSGS)
    async with flavor.opened(stream) as s:
        first = await flavor.take(s, 1)
        assert first[0].text == "a"
        assert not body.closed
    assert body.closed
    assert not body.all_read
    assert server.calls == 1
    # Closed before its end: no Result, and no second request to get one.
    with pytest.raises(RuntimeError, match="closed"):
        await flavor.result(stream)
    assert server.calls == 1


@each_flavor
async def test_a_stream_closed_before_iteration_cannot_be_iterated(flavor: Flavor) -> None:
    server = ScriptedServer(sse_answer(text_events("Hello")))
    stream = make(flavor, server).gen_stream(MSGS)
    await flavor.close(stream)
    with pytest.raises(RuntimeError, match="closed"):
        await flavor.drain(stream)
    assert server.calls == 0


@each_flavor
async def test_iterating_a_stream_closed_part_way_raises(flavor: Flavor) -> None:
    server = ScriptedServer(sse_answer(text_events("a", "b", "c")))
    stream = make(flavor, server).gen_stream(MSGS)
    async with flavor.opened(stream) as s:
        await flavor.take(s, 1)
    with pytest.raises(RuntimeError, match="closed"):
        await flavor.drain(stream)


@each_flavor
async def test_exhausting_the_stream_closes_the_response(flavor: Flavor) -> None:
    body = ScriptedBody(text_events("a", "b"))
    stream = make(flavor, ScriptedServer(sse_answer(body))).gen_stream(MSGS)
    # No `with`: reaching the end alone must release the connection.
    fragments = await flavor.drain(stream)
    assert text_of(fragments) == "ab"
    assert body.closed


@each_flavor
async def test_result_after_partial_iteration_reads_the_rest(flavor: Flavor) -> None:
    body = ScriptedBody(text_events("Hel", "lo", " world"))
    server = ScriptedServer(sse_answer(body, headers={"X-Baseten-Request-Id": REQUEST_ID}))
    async with flavor.opened(make(flavor, server).gen_stream(MSGS)) as stream:
        assert text_of(await flavor.take(stream, 1)) == "Hel"
        result = await flavor.result(stream)
    assert result.text == "Hello world"
    assert result.usage.total_tokens == 12
    assert result.usage.input_tokens == 10
    assert result.usage.output_tokens == 2
    assert result.finish_reason == "stop"
    assert result.request_id == REQUEST_ID
    assert result.id == "chatcmpl-test"
    assert body.all_read
    assert body.closed
    assert server.calls == 1
    # The synchronous accessor of the async stream agrees once the end was read.
    assert stream.result() == result


@pytest.mark.anyio
async def test_async_result_before_the_end_raises_a_helpful_error() -> None:
    server = ScriptedServer(sse_answer(text_events("Hel", "lo")))
    stream = make(ASYNC, server).gen_stream(MSGS)
    assert isinstance(stream, AsyncStream)
    async with stream:
        with pytest.raises(RuntimeError, match=r"aresult\(\)"):
            stream.result()
        await ASYNC.take(stream, 1)
        with pytest.raises(RuntimeError, match="not been read to its end"):
            stream.result()
        assert (await stream.aresult()).text == "Hello"
        assert stream.result().text == "Hello"


# --- errors ----------------------------------------------------------------------------------


@each_flavor
async def test_transport_error_mid_stream_keeps_the_partial_result(flavor: Flavor) -> None:
    body = ScriptedBody([chunk("Hel"), chunk("lo"), httpx.ReadError("connection reset by peer")])
    server = ScriptedServer(sse_answer(body, headers={"X-Baseten-Request-Id": REQUEST_ID}))
    stream = make(flavor, server).gen_stream(MSGS)
    got: list[Reply] = []
    async with flavor.opened(stream) as s:
        with pytest.raises(APIConnectionError, match="ReadError") as info:
            if isinstance(s, AsyncStream):
                async for fragment in s:
                    got.append(fragment)  # noqa: PERF401 - `got` must keep what came before the error
            else:
                got.extend(s)  # keeps the fragments that came before the error
        assert text_of(got) == "Hello"
        err = info.value
        assert err.partial_result is not None
        assert err.partial_result.text == "Hello"
        assert err.partial_result.request_id == REQUEST_ID
        with pytest.raises(APIConnectionError) as again:
            await flavor.result(s)
        assert again.value is err
        if isinstance(s, AsyncStream):
            with pytest.raises(APIConnectionError) as once_more:
                s.result()
            assert once_more.value is err
    assert body.closed
    # The answer had begun: a stream is never sent again after its 200.
    assert server.calls == 1


@each_flavor
@pytest.mark.parametrize(
    "error_event",
    [
        pytest.param(event(bodies.error("model overloaded"), name="error"), id="event-error"),
        pytest.param(event({"error": {"message": "model overloaded"}}), id="error-chunk"),
    ],
)
async def test_error_event_mid_stream_raises_stream_error(
    flavor: Flavor, error_event: bytes
) -> None:
    body = ScriptedBody([chunk("Hel"), error_event, *text_events("lo")])
    server = ScriptedServer(sse_answer(body, headers={"X-Baseten-Request-Id": REQUEST_ID}))
    async with flavor.opened(make(flavor, server).gen_stream(MSGS)) as stream:
        with pytest.raises(StreamError, match="model overloaded") as info:
            await flavor.drain(stream)
        err = info.value
        assert err.status_code == 200
        assert err.request_id == REQUEST_ID
        assert err.partial_result is not None
        assert err.partial_result.text == "Hel"
        with pytest.raises(StreamError) as again:
            await flavor.result(stream)
        assert again.value is err
    assert server.calls == 1


@each_flavor
@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (403, AuthenticationError),
        (429, RateLimitError),
        (500, ServerError),
    ],
)
async def test_stream_request_answered_with_json_error(
    flavor: Flavor, status: int, cls: type[APIError]
) -> None:
    server = ScriptedServer(
        json_answer(status, bodies.error("it went wrong"), {"X-Baseten-Request-Id": REQUEST_ID})
    )
    stream = make(flavor, server).gen_stream(MSGS, max_retries=0)
    async with flavor.opened(stream) as s:
        with pytest.raises(APIError) as info:
            await flavor.drain(s)
    err = info.value
    assert type(err) is cls
    assert err.status_code == status
    assert err.message == "it went wrong"
    assert err.request_id == REQUEST_ID
    assert "it went wrong" in str(err)
    assert str(status) in str(err)
    assert server.calls == 1


@each_flavor
async def test_stream_request_answered_with_plain_json_completion(flavor: Flavor) -> None:
    # The server ignored "stream": true and sent the whole completion as JSON.
    server = ScriptedServer(
        json_answer(200, bodies.completion("Hello"), {"X-Baseten-Request-Id": REQUEST_ID})
    )
    async with flavor.opened(make(flavor, server).gen_stream(MSGS)) as stream:
        fragments = await flavor.drain(stream)
        result = await flavor.result(stream)
    assert [f.text for f in fragments] == ["Hello"]
    assert result.text == "Hello"
    assert result.usage.total_tokens == 12
    assert result.finish_reason == "stop"
    assert result.request_id == REQUEST_ID


@each_flavor
async def test_non_json_200_to_gen_sync_quotes_an_excerpt(flavor: Flavor) -> None:
    page = b"<html><body><h1>502</h1><p>Upstream proxy hiccup</p></body></html>"
    server = ScriptedServer(raw_answer(200, page, {"content-type": "text/html"}))
    with pytest.raises(APIError) as info:
        await flavor.gen_sync(make(flavor, server), MSGS)
    err = info.value
    assert err.status_code == 200
    assert "Upstream proxy hiccup" in str(err)
    assert "<html>" not in str(err)


# --- retries ---------------------------------------------------------------------------------


@each_flavor
async def test_503_then_200_is_retried_for_gen_sync(flavor: Flavor) -> None:
    sleeps = Sleeps()
    server = ScriptedServer(
        json_answer(503, bodies.error("busy")), json_answer(200, bodies.completion("Hi"))
    )
    result = await flavor.gen_sync(make(flavor, server, sleeps=sleeps), MSGS)
    assert result.text == "Hi"
    assert server.calls == 2
    assert len(sleeps.delays) == 1
    ids = [r.headers["x-request-id"] for r in server.requests]
    assert ids[0]
    assert ids[0] == ids[1]


@each_flavor
async def test_503_then_200_is_retried_for_gen_stream(flavor: Flavor) -> None:
    sleeps = Sleeps()
    server = ScriptedServer(json_answer(503, bodies.error("busy")), sse_answer(text_events("Hi")))
    stream = make(flavor, server, sleeps=sleeps).gen_stream(MSGS)
    async with flavor.opened(stream) as s:
        assert text_of(await flavor.drain(s)) == "Hi"
    assert server.calls == 2
    assert len(sleeps.delays) == 1
    assert server.requests[0].headers["x-request-id"] == server.requests[1].headers["x-request-id"]
    assert server.body(0) == server.body(1)


@each_flavor
async def test_request_ids_differ_between_calls(flavor: Flavor) -> None:
    server = ScriptedServer(json_answer(200, bodies.completion("Hi")))
    client = make(flavor, server)
    await flavor.gen_sync(client, MSGS)
    await flavor.gen_sync(client, MSGS)
    assert server.requests[0].headers["x-request-id"] != server.requests[1].headers["x-request-id"]


@each_flavor
async def test_400_is_not_retried(flavor: Flavor) -> None:
    sleeps = Sleeps()
    server = ScriptedServer(
        json_answer(400, bodies.error("bad field")), json_answer(200, bodies.completion("x"))
    )
    with pytest.raises(BadRequestError, match="bad field"):
        await flavor.gen_sync(make(flavor, server, sleeps=sleeps), MSGS)
    assert server.calls == 1
    assert sleeps.delays == []


@each_flavor
async def test_per_call_max_retries_overrides_the_client(flavor: Flavor) -> None:
    sleeps = Sleeps()
    server = ScriptedServer(json_answer(503, bodies.error("busy")))
    client = make(flavor, server, sleeps=sleeps)  # client default: 2 retries
    with pytest.raises(ServerError, match="busy") as info:
        await flavor.gen_sync(client, MSGS, max_retries=0)
    assert info.value.status_code == 503
    assert server.calls == 1
    async with flavor.opened(client.gen_stream(MSGS, max_retries=0)) as stream:
        with pytest.raises(ServerError):
            await flavor.drain(stream)
    assert server.calls == 2
    assert sleeps.delays == []


@each_flavor
async def test_per_call_max_retries_can_raise_the_clients(flavor: Flavor) -> None:
    sleeps = Sleeps()
    server = ScriptedServer(
        json_answer(503, bodies.error("busy")), json_answer(200, bodies.completion("ok"))
    )
    client = make(flavor, server, sleeps=sleeps, max_retries=0)
    result = await flavor.gen_sync(client, MSGS, max_retries=1)
    assert result.text == "ok"
    assert server.calls == 2


@each_flavor
async def test_client_max_retries_zero_is_one_attempt(flavor: Flavor) -> None:
    sleeps = Sleeps()
    server = ScriptedServer(
        json_answer(503, bodies.error("busy")), json_answer(200, bodies.completion("x"))
    )
    with pytest.raises(ServerError):
        await flavor.gen_sync(make(flavor, server, sleeps=sleeps, max_retries=0), MSGS)
    assert server.calls == 1


@each_flavor
async def test_429_retry_after_is_honoured_then_reported(flavor: Flavor) -> None:
    sleeps = Sleeps()
    server = ScriptedServer(json_answer(429, bodies.error("slow down"), {"Retry-After": "2"}))
    with pytest.raises(RateLimitError, match="slow down") as info:
        await flavor.gen_sync(make(flavor, server, sleeps=sleeps), MSGS)
    assert info.value.retry_after == 2.0
    assert info.value.status_code == 429
    assert server.calls == 3  # the default: two retries
    assert sleeps.delays == [2.0, 2.0]


# --- auth and configuration ------------------------------------------------------------------


@each_flavor
async def test_default_auth_is_api_key_scheme(flavor: Flavor) -> None:
    server = ScriptedServer(json_answer(200, bodies.completion("x")))
    await flavor.gen_sync(make(flavor, server), MSGS)
    assert server.requests[0].headers["authorization"] == f"Api-Key {KEY}"


@each_flavor
async def test_auth_scheme_bearer(flavor: Flavor) -> None:
    server = ScriptedServer(json_answer(200, bodies.completion("x")))
    await flavor.gen_sync(make(flavor, server, auth_scheme="Bearer"), MSGS)
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


@each_flavor
async def test_key_from_environment(flavor: Flavor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASETEN_API_KEY", "bt-env-key-9876543210")
    server = ScriptedServer(json_answer(200, bodies.completion("x")))
    await flavor.gen_sync(make(flavor, server, api_key=None), MSGS)
    assert server.requests[0].headers["authorization"] == "Api-Key bt-env-key-9876543210"


@each_flavor
async def test_explicit_key_wins_over_environment(
    flavor: Flavor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BASETEN_API_KEY", "bt-env-key-9876543210")
    server = ScriptedServer(json_answer(200, bodies.completion("x")))
    await flavor.gen_sync(make(flavor, server, api_key=KEY), MSGS)
    assert server.requests[0].headers["authorization"] == f"Api-Key {KEY}"


@each_flavor
async def test_empty_environment_key_is_missing(
    flavor: Flavor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BASETEN_API_KEY", "")
    server = ScriptedServer(json_answer(200, bodies.completion("x")))
    with pytest.raises(MissingAPIKeyError, match="BASETEN_API_KEY"):
        await flavor.gen_sync(make(flavor, server, api_key=None), MSGS)
    assert server.calls == 0


@each_flavor
async def test_empty_explicit_key_is_missing(flavor: Flavor) -> None:
    server = ScriptedServer(json_answer(200, bodies.completion("x")))
    client = make(flavor, server, api_key="")
    with pytest.raises(MissingAPIKeyError, match="BASETEN_API_KEY"):
        await flavor.gen_sync(client, MSGS)
    assert server.calls == 0


@each_flavor
@pytest.mark.parametrize("base_url", ["http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1/"])
async def test_base_url_override(flavor: Flavor, base_url: str) -> None:
    server = ScriptedServer(
        json_answer(200, bodies.completion("x")), json_answer(200, {"data": []})
    )
    client = make(flavor, server, base_url=base_url)
    await flavor.gen_sync(client, MSGS)
    await flavor.list_models(client)
    assert [str(r.url) for r in server.requests] == [
        "http://127.0.0.1:8080/v1/chat/completions",
        "http://127.0.0.1:8080/v1/models",
    ]


@each_flavor
async def test_default_url_is_baseten_model_apis(flavor: Flavor) -> None:
    server = ScriptedServer(json_answer(200, bodies.completion("x")))
    await flavor.gen_sync(make(flavor, server), MSGS)
    assert str(server.requests[0].url) == CHAT_URL


@each_flavor
async def test_headers_sent(flavor: Flavor) -> None:
    server = ScriptedServer(json_answer(200, bodies.completion("x")), sse_answer(text_events("y")))
    client = make(flavor, server, default_headers={"X-Team": "search", "X-Trace": "t-1"})
    await flavor.gen_sync(client, MSGS)
    async with flavor.opened(client.gen_stream(MSGS)) as stream:
        await flavor.drain(stream)
    sync_req, stream_req = server.requests
    for req in (sync_req, stream_req):
        assert req.headers["x-team"] == "search"
        assert req.headers["x-trace"] == "t-1"
        assert req.headers["authorization"] == f"Api-Key {KEY}"
        assert req.headers["user-agent"].startswith("genai-baseten/")
        assert req.headers["content-type"].startswith("application/json")
    assert sync_req.headers["accept"] == "application/json"
    assert stream_req.headers["accept"] == "text/event-stream"
    assert server.body(0)["model"] == MODEL
    assert server.body(0).get("stream") in (None, False)
    assert server.body(1)["stream"] is True
    assert server.body(1)["stream_options"] == {"include_usage": True}


@each_flavor
async def test_result_request_id_from_baseten_header(flavor: Flavor) -> None:
    headers = {"X-Baseten-Request-Id": REQUEST_ID, "X-Request-Id": "generic-id"}
    server = ScriptedServer(json_answer(200, bodies.completion("x"), headers))
    result = await flavor.gen_sync(make(flavor, server), MSGS)
    assert result.request_id == REQUEST_ID


def _answer_with_headers(headers: list[tuple[str, str]]) -> Any:
    """A 200 chat answer with these headers, repeated names and any case kept as given."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=bodies.completion("x"), headers=headers)

    return answer


@each_flavor
async def test_response_headers_are_read_whatever_their_case_and_repeats(flavor: Flavor) -> None:
    # HTTP names are case-insensitive, and a repeated header reads as its values joined by ", "
    # (RFC 9110 5.3): the request id "a, b"; a limit "60, 70" is no integer, so that limit is
    # not reported, while the tokens limit, in odd case, is.
    headers = [
        ("X-BASETEN-REQUEST-ID", "a"),
        ("x-baseten-request-id", "b"),
        ("X-Request-Id", "generic-id"),
        ("x-ratelimit-limit-requests", "60"),
        ("X-RateLimit-Limit-Requests", "70"),
        ("x-ratelimit-remaining-requests", "59"),
        ("X-RATELIMIT-LIMIT-TOKENS", "1000"),
        ("x-RateLimit-Remaining-Tokens", "999"),
    ]
    client = make(flavor, ScriptedServer(_answer_with_headers(headers)))
    result = await flavor.gen_sync(client, MSGS)
    assert result.request_id == "a, b"
    assert result.usage.limits == [genai.RateLimit(kind="tokens", limit=1000, remaining=999)]


@each_flavor
async def test_request_id_falls_back_past_an_empty_or_missing_header(flavor: Flavor) -> None:
    empty = [("X-Baseten-Request-Id", ""), ("X-REQUEST-ID", "generic-id")]
    result = await flavor.gen_sync(make(flavor, ScriptedServer(_answer_with_headers(empty))), MSGS)
    assert result.request_id == "generic-id"
    assert result.usage.limits == []
    none: list[tuple[str, str]] = [("X-Other", "1")]
    result = await flavor.gen_sync(make(flavor, ScriptedServer(_answer_with_headers(none))), MSGS)
    assert result.request_id is None


@each_flavor
async def test_api_error_carries_request_id(flavor: Flavor) -> None:
    server = ScriptedServer(
        json_answer(404, bodies.error("no such model"), {"X-Baseten-Request-Id": "r-1"})
    )
    with pytest.raises(NotFoundError) as info:
        await flavor.gen_sync(make(flavor, server), MSGS)
    assert info.value.request_id == "r-1"
    assert "r-1" in str(info.value)


# --- secrets ---------------------------------------------------------------------------------


def assert_no_key(err: BaseException) -> None:
    assert KEY not in str(err)
    assert KEY not in repr(err)
    if isinstance(err, APIError):
        assert KEY not in err.message
        assert KEY not in err.body
        assert all(KEY not in v for v in err.headers.values())


def test_repr_hides_the_key() -> None:
    for cls in (genai_baseten.Client, genai_baseten.AsyncClient):
        client = cls(model=MODEL, api_key=KEY)
        assert KEY not in repr(client)
        assert KEY not in str(client)
        assert MODEL in repr(client)
    assert KEY not in repr(
        genai_baseten.Client(model=MODEL, api_key=KEY, base_url="http://127.0.0.1:1/v1")
    )


@each_flavor
@pytest.mark.parametrize("status", [401, 403])
async def test_error_echoing_the_key_is_redacted(flavor: Flavor, status: int) -> None:
    echo = {"error": f"please check the api-key you provided: {KEY}"}
    server = ScriptedServer(json_answer(status, echo, {"X-Echo-Authorization": f"Api-Key {KEY}"}))
    client = make(flavor, server)
    with pytest.raises(AuthenticationError) as info:
        await flavor.gen_sync(client, MSGS)
    assert_no_key(info.value)
    assert "please check the api-key you provided" in str(info.value)
    async with flavor.opened(client.gen_stream(MSGS)) as stream:
        with pytest.raises(AuthenticationError) as info2:
            await flavor.drain(stream)
    assert_no_key(info2.value)


@each_flavor
async def test_non_json_200_echoing_the_key_is_redacted(flavor: Flavor) -> None:
    server = ScriptedServer(raw_answer(200, f"bad gateway for key {KEY}".encode(), {}))
    with pytest.raises(APIError) as info:
        await flavor.gen_sync(make(flavor, server), MSGS)
    assert "bad gateway for key" in str(info.value)
    assert_no_key(info.value)


@each_flavor
async def test_stream_error_event_echoing_the_key_is_redacted(flavor: Flavor) -> None:
    leak = event(bodies.error(f"key {KEY} is not allowed on this model"), name="error")
    server = ScriptedServer(sse_answer([chunk("Hel"), leak]))
    async with flavor.opened(make(flavor, server).gen_stream(MSGS)) as stream:
        with pytest.raises(StreamError) as info:
            await flavor.drain(stream)
    assert_no_key(info.value)


@each_flavor
async def test_200_json_error_echoing_the_key_is_redacted(flavor: Flavor) -> None:
    server = ScriptedServer(json_answer(200, {"error": f"key {KEY} was revoked"}))
    with pytest.raises(APIError) as info:
        await flavor.gen_sync(make(flavor, server), MSGS)
    assert "was revoked" in str(info.value)
    assert_no_key(info.value)


@each_flavor
async def test_models_error_echoing_the_key_is_redacted(flavor: Flavor) -> None:
    server = ScriptedServer(json_answer(200, {"detail": f"no models for key {KEY}"}))
    with pytest.raises(APIError) as info:
        await flavor.list_models(make(flavor, server))
    assert_no_key(info.value)


@each_flavor
async def test_debug_logs_of_a_full_request_hold_no_key(
    flavor: Flavor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")
    caplog.set_level(logging.DEBUG, logger="httpcore")
    server = ScriptedServer(
        json_answer(200, bodies.completion("x")),
        sse_answer(text_events("y")),
        json_answer(401, {"error": f"bad key {KEY}"}),
    )
    client = make(flavor, server)
    await flavor.gen_sync(client, MSGS)
    async with flavor.opened(client.gen_stream(MSGS)) as stream:
        await flavor.drain(stream)
    with pytest.raises(AuthenticationError):
        await flavor.gen_sync(client, MSGS)
    assert any("chat/completions" in r.getMessage() for r in caplog.records), "httpx logged"
    assert KEY not in caplog.text
    assert all(KEY not in r.getMessage() for r in caplog.records)


def test_debug_logs_over_a_loopback_socket_hold_no_key(caplog: pytest.LogCaptureFixture) -> None:
    # A real connection, so httpcore's own DEBUG logging (connect, send headers...) runs too.
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")
    caplog.set_level(logging.DEBUG, logger="httpcore")
    seen_auth: list[str] = []

    def answer(request: Incoming) -> Outgoing:
        seen_auth.append(request.headers.get("authorization", ""))
        body = b"".join(text_events("Hel", "lo"))
        return Outgoing(200, body, {"Content-Type": "text/event-stream"})

    with (
        HTTPLoopback(answer, socket_timeout=5.0) as server,
        genai_baseten.Client(
            model=MODEL, api_key=KEY, base_url=server.url + "/v1", timeout=5.0
        ) as client,
        client.gen_stream(MSGS) as stream,
    ):
        assert text_of(list(stream)) == "Hello"
    assert seen_auth == [f"Api-Key {KEY}"]
    assert any(r.name.startswith("httpcore") for r in caplog.records)
    assert KEY not in caplog.text


# --- list_models -----------------------------------------------------------------------------

MODELS_BODY = {
    "data": [
        {
            "id": "deepseek-ai/DeepSeek-V3-0324",
            "object": "model",
            "created": 1745892559,
            "owned_by": "baseten",
            "name": "DeepSeek V3 0324",
            "context_length": 163840,
            "max_completion_tokens": 131072,
            "pricing": {"prompt": "0.00000077", "completion": "0.0000011", "request": "0"},
            "supported_features": ["tools", "json_mode", "reasoning"],
        },
        {"id": "openai/gpt-oss-120b"},
        {"object": "model", "name": "an entry without an id"},
    ]
}


@each_flavor
async def test_list_models(flavor: Flavor) -> None:
    server = ScriptedServer(json_answer(200, MODELS_BODY))
    models = await flavor.list_models(make(flavor, server))
    (req,) = server.requests
    assert req.method == "GET"
    assert str(req.url) == BASE_URL + "/models"
    assert req.headers["authorization"] == f"Api-Key {KEY}"
    assert [m.id for m in models] == ["deepseek-ai/DeepSeek-V3-0324", "openai/gpt-oss-120b"]
    full, bare = models
    assert full.context_length == 163840
    assert full.max_completion_tokens == 131072
    assert full.name == "DeepSeek V3 0324"
    assert full.pricing == {
        "prompt": Decimal("0.00000077"),
        "completion": Decimal("0.0000011"),
        "request": Decimal("0"),
    }
    assert all(isinstance(p, Decimal) for p in full.pricing.values())
    assert full.supported_features == ["tools", "json_mode", "reasoning"]
    assert full.supports("reasoning")
    assert bare.context_length is None
    assert bare.max_completion_tokens is None
    assert bare.pricing == {}
    assert bare.supported_features == []
    assert not bare.supports("tools")


@each_flavor
async def test_list_models_works_without_a_model(flavor: Flavor) -> None:
    server = ScriptedServer(json_answer(200, {"data": [{"id": "m"}]}))
    models = await flavor.list_models(make(flavor, server, model=None))
    assert [m.id for m in models] == ["m"]


@each_flavor
@pytest.mark.parametrize(
    ("status", "cls", "calls"),
    [
        (401, AuthenticationError, 1),
        (403, AuthenticationError, 1),
        (404, NotFoundError, 1),
        (429, RateLimitError, 3),
        (500, ServerError, 3),
    ],
)
async def test_list_models_error_statuses_are_typed(
    flavor: Flavor, status: int, cls: type[APIError], calls: int
) -> None:
    server = ScriptedServer(json_answer(status, {"error": "nope"}, {"X-Request-Id": "r-9"}))
    with pytest.raises(APIError) as info:
        await flavor.list_models(make(flavor, server))
    assert type(info.value) is cls
    assert info.value.status_code == status
    assert info.value.message == "nope"
    assert info.value.request_id == "r-9"
    assert server.calls == calls


@each_flavor
async def test_list_models_rejects_a_body_that_is_not_a_list(flavor: Flavor) -> None:
    server = ScriptedServer(json_answer(200, {"models": "none here"}))
    with pytest.raises(APIError, match="data"):
        await flavor.list_models(make(flavor, server))


# --- registry --------------------------------------------------------------------------------


def test_get_provider_returns_the_baseten_client() -> None:
    server = ScriptedServer(json_answer(200, bodies.completion("from the registry")))
    client = get_provider(
        "baseten",
        model=MODEL,
        api_key=KEY,
        http_client=httpx.Client(transport=httpx.MockTransport(server)),
    )
    assert type(client) is genai_baseten.Client
    assert isinstance(client, genai.Provider)
    assert client.name == "baseten"
    assert client.model == MODEL
    assert client.gen_sync(MSGS).text == "from the registry"
    assert server.requests[0].headers["authorization"] == f"Api-Key {KEY}"


@pytest.mark.anyio
async def test_get_async_provider_returns_the_baseten_async_client() -> None:
    server = ScriptedServer(json_answer(200, bodies.completion("async registry")))
    client = get_async_provider(
        "baseten",
        model=MODEL,
        api_key=KEY,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(server)),
    )
    assert type(client) is genai_baseten.AsyncClient
    assert isinstance(client, genai.AsyncProvider)
    assert (await client.gen_sync(MSGS)).text == "async registry"


@pytest.mark.parametrize("name", ["baseten", "openaicompatible"])
def test_a_provider_by_name_closes_through_the_neutral_type(name: str) -> None:
    # Typed as genai.Provider only: the with block and close() must be part of the protocol.
    server = ScriptedServer(json_answer(200, bodies.completion("closing")))
    provider: genai.Provider = get_provider(
        name,
        model=MODEL,
        api_key=KEY,
        base_url="http://127.0.0.1:9/v1",
        transport=httpx.MockTransport(server),
    )
    with provider as p:
        assert p.gen_sync(MSGS).text == "closing"
    assert isinstance(provider, OpenAICompatibleClient)
    assert provider.http_client.is_closed
    provider.close()  # twice is harmless


@pytest.mark.anyio
@pytest.mark.parametrize("name", ["baseten", "openaicompatible"])
async def test_an_async_provider_by_name_closes_through_the_neutral_type(name: str) -> None:
    server = ScriptedServer(json_answer(200, bodies.completion("closing")))
    provider: genai.AsyncProvider = get_async_provider(
        name,
        model=MODEL,
        api_key=KEY,
        base_url="http://127.0.0.1:9/v1",
        transport=httpx.MockTransport(server),
    )
    async with provider as p:
        assert (await p.gen_sync(MSGS)).text == "closing"
    assert isinstance(provider, AsyncOpenAICompatibleClient)
    assert provider.http_client.is_closed
    await provider.aclose()


def test_unknown_provider_lists_the_known_ones() -> None:
    with pytest.raises(UnknownProviderError, match="baseten") as info:
        get_provider("no-such-provider")
    assert "no-such-provider" in str(info.value)
    assert isinstance(info.value, genai.GenAIError)
    with pytest.raises(UnknownProviderError, match="baseten"):
        get_async_provider("no-such-provider")
    assert "baseten" in provider_names()


class FakeProvider:
    def __init__(self, **kw: Any) -> None:
        self.kw = kw


class FakeAsyncProvider(FakeProvider):
    pass


@pytest.fixture
def fake_provider() -> Iterator[str]:
    name = "fake-test-provider"
    register_provider(name, FakeProvider, FakeAsyncProvider)
    yield name
    unregister_provider(name)


def test_register_provider(fake_provider: str) -> None:
    assert fake_provider in provider_names()
    sync = get_provider(fake_provider, model="m", x=1)
    assert isinstance(sync, FakeProvider)
    assert sync.kw == {"model": "m", "x": 1}
    assert isinstance(get_async_provider(fake_provider), FakeAsyncProvider)
    # Baseten is still there next to it.
    assert "baseten" in provider_names()


def test_unregister_provider_removes_it() -> None:
    register_provider("fake-gone-provider", FakeProvider)
    try:
        assert "fake-gone-provider" in provider_names()
        with pytest.raises(UnknownProviderError, match="no async client"):
            get_async_provider("fake-gone-provider")
    finally:
        unregister_provider("fake-gone-provider")
    assert "fake-gone-provider" not in provider_names()
    with pytest.raises(UnknownProviderError):
        get_provider("fake-gone-provider")


# --- options ---------------------------------------------------------------------------------


@each_flavor
async def test_text_options_and_baseten_options_in_one_call(flavor: Flavor) -> None:
    server = ScriptedServer(json_answer(200, bodies.completion("x")), sse_answer(text_events("y")))
    client = make(flavor, server)
    opts = (
        genai.TextOptions(max_tokens=50, seed=1, temperature=0.5),
        genai_baseten.Options(top_k=20, min_p=0.1, repetition_penalty=1.1, thinking=False),
    )
    await flavor.gen_sync(client, MSGS, *opts)
    async with flavor.opened(client.gen_stream(MSGS, *opts)) as stream:
        await flavor.drain(stream)
    for i in (0, 1):
        body = server.body(i)
        assert body["max_completion_tokens"] == 50
        assert "max_tokens" not in body
        assert body["seed"] == 1
        assert body["temperature"] == 0.5
        assert body["top_k"] == 20
        assert body["min_p"] == 0.1
        assert body["repetition_penalty"] == 1.1
        assert body["chat_template_args"] == {"enable_thinking": False}


@each_flavor
async def test_options_order_does_not_matter(flavor: Flavor) -> None:
    server = ScriptedServer(json_answer(200, bodies.completion("x")))
    await flavor.gen_sync(
        make(flavor, server), MSGS, genai_baseten.Options(min_p=0.2), genai.TextOptions(seed=3)
    )
    assert server.body()["min_p"] == 0.2
    assert server.body()["seed"] == 3


@each_flavor
@pytest.mark.parametrize(
    "options",
    [
        pytest.param((genai.TextOptions(seed=1), genai.TextOptions(seed=2)), id="TextOptions"),
        pytest.param(
            (genai_baseten.Options(top_k=1), genai_baseten.Options(min_p=0.5)), id="Options"
        ),
    ],
)
async def test_same_option_class_twice_is_rejected(
    flavor: Flavor, options: tuple[GenOption, GenOption]
) -> None:
    server = ScriptedServer(json_answer(200, bodies.completion("x")))
    client = make(flavor, server)
    with pytest.raises(ValidationError, match="twice"):
        await flavor.gen_sync(client, MSGS, *options)
    with pytest.raises(ValidationError, match="twice"):
        client.gen_stream(MSGS, *options)
    assert server.calls == 0


@each_flavor
async def test_unrelated_object_as_option_is_rejected(flavor: Flavor) -> None:
    server = ScriptedServer(json_answer(200, bodies.completion("x")))
    with pytest.raises(ValidationError, match="object"):
        await flavor.gen_sync(make(flavor, server), MSGS, object())
    assert server.calls == 0


@each_flavor
async def test_foreign_option_class_is_not_supported(flavor: Flavor) -> None:
    server = ScriptedServer(json_answer(200, bodies.completion("x")))
    client = make(flavor, server)
    with pytest.raises(NotSupportedError) as info:
        await flavor.gen_sync(client, MSGS, genai.TextOptions(seed=1), ForeignOptions())
    assert info.value.options == ("ForeignOptions",)
    assert "baseten" in str(info.value)
    with pytest.raises(NotSupportedError):
        client.gen_stream(MSGS, ForeignOptions())
    assert server.calls == 0


@each_flavor
async def test_conflicting_top_k_is_rejected(flavor: Flavor) -> None:
    server = ScriptedServer(json_answer(200, bodies.completion("x")))
    with pytest.raises(ValidationError, match="top_k"):
        await flavor.gen_sync(
            make(flavor, server),
            MSGS,
            genai.TextOptions(top_k=3),
            genai_baseten.Options(top_k=4),
        )
    assert server.calls == 0


@each_flavor
async def test_a_single_message_is_accepted(flavor: Flavor) -> None:
    server = ScriptedServer(json_answer(200, bodies.completion("x")), sse_answer(text_events("y")))
    client = make(flavor, server)
    # Typed as Any: the signatures say Sequence[Message] although a single Message is accepted.
    msg: Any = Message.user("Say hello")
    assert (await flavor.gen_sync(client, msg)).text == "x"
    async with flavor.opened(client.gen_stream(msg)) as stream:
        assert text_of(await flavor.drain(stream)) == "y"
    for i in (0, 1):
        assert server.body(i)["messages"] == [{"role": "user", "content": "Say hello"}]
