"""The test harness itself: its bodies are the documented wire format, its servers behave as
their docstrings say (expected values written by hand)."""

from __future__ import annotations

import asyncio
import socket
import time

import httpx
import pytest
from harness import bodies
from harness.flavors import FLAVORS, MODES, Flavor, each_flavor
from harness.loopback import (
    AsyncioLoopback,
    AsyncLoopbackTransport,
    HTTPLoopback,
    Incoming,
    LoopbackTransport,
    Outgoing,
)
from harness.scripted import ScriptedBody, ScriptedServer, json_answer, pieces

from genai_core import Message


def test_sse_framing_and_utf8() -> None:
    assert bodies.event({"a": "é"}) == 'data: {"a": "é"}\n\n'.encode()
    assert bodies.event("[DONE]") == bodies.DONE == b"data: [DONE]\n\n"
    assert bodies.event({"x": 1}, name="error") == b'event: error\ndata: {"x": 1}\n\n'
    assert bodies.sse({"n": 1}, "raw", b"data: ready\n\n") == (
        b'data: {"n": 1}\n\ndata: raw\n\ndata: ready\n\n'
    )


def test_chunk_leaves_out_what_is_not_given_and_writes_nulls_when_asked() -> None:
    assert bodies.chunk({"content": "a"}, id="c", model="m", created=None) == {
        "id": "c",
        "object": "chat.completion.chunk",
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "a"}}],
    }
    with_nulls = bodies.chunk({"content": "a"}, nulls=True)
    assert with_nulls["choices"][0]["finish_reason"] is None
    assert with_nulls["choices"][0]["logprobs"] is None
    assert with_nulls["usage"] is None
    assert bodies.chunk(None, usage=bodies.usage(3, 2))["choices"] == []
    assert bodies.usage(3, 2) == {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}


def test_completion_shape() -> None:
    body = bodies.completion("hi", tool_calls=[("c1", "f", "{}")], usage=bodies.ABSENT)
    assert body["object"] == "chat.completion"
    assert "usage" not in body
    assert body["choices"] == [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "hi",
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ],
            },
            "finish_reason": "stop",
        }
    ]


def test_scripted_server_repeats_or_refuses_past_its_script() -> None:
    server = ScriptedServer(json_answer(200, {"n": 1}), json_answer(200, {"n": 2}))
    with httpx.Client(transport=server.transport()) as http:
        got = [http.post("https://x.test/a", json={"i": i}).json()["n"] for i in range(3)]
    assert got == [1, 2, 2]
    assert [b["i"] for b in server.bodies] == [0, 1, 2]
    strict = ScriptedServer(json_answer(200, {}), repeat_last=False)
    with httpx.Client(transport=strict.transport()) as http:
        http.get("https://x.test/")
        with pytest.raises(AssertionError, match="unexpected request #2"):
            http.get("https://x.test/")


def test_scripted_body_plays_parts_and_errors() -> None:
    body = pieces(b"abcdefg", 3)
    assert list(body) == [b"abc", b"def", b"g"]
    assert body.all_read and body.ended
    broken = ScriptedBody([b"x", httpx.ReadError("cut")])
    with pytest.raises(httpx.ReadError):
        list(broken)
    assert broken.yielded == 1 and not broken.ended


def test_the_flavors_and_modes() -> None:
    assert [str(f) for f in FLAVORS] == ["sync", "async-asyncio", "async-trio"]
    assert [str(m) for m in MODES][:2] == ["sync-gen", "sync-stream"]
    assert len(MODES) == 6


@each_flavor
async def test_each_flavor_runs_its_client(flavor: Flavor) -> None:
    server = ScriptedServer(json_answer(200, bodies.completion("ok")))
    client = flavor.mock_client(server, model="m", api_key="fake-key-0123456789")
    result = await flavor.gen_sync(client, [Message.user("hi")])
    await flavor.close(client)
    assert result.text == "ok"
    assert isinstance(client.http_client, httpx.AsyncClient) is flavor.is_async
    assert server.body()["messages"] == [{"role": "user", "content": "hi"}]


def test_http_loopback_answers_whole_and_in_pieces() -> None:
    def answer(req: Incoming) -> Outgoing:
        if req.path == "/whole":
            return Outgoing.json(200, {"echo": req.json()})
        return Outgoing(200, [b"one ", b"two"], {"Content-Type": "text/plain"}, framing="chunked")

    with HTTPLoopback(answer) as server, httpx.Client(base_url=server.url) as http:
        assert http.post("/whole", json={"a": 1}).json() == {"echo": {"a": 1}}
        streamed = http.get("/pieces")
        assert streamed.text == "one two"
        assert streamed.headers["transfer-encoding"] == "chunked"


def test_http_loopback_cut_body_is_a_protocol_error() -> None:
    def answer(req: Incoming) -> Outgoing:
        return Outgoing(200, [b"part"], framing="chunked", cut=True)

    with (
        HTTPLoopback(answer) as server,
        httpx.Client() as http,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        http.get(server.url)


def test_http_loopback_drop_reads_the_request_and_answers_nothing() -> None:
    read: list[bytes] = []

    def answer(req: Incoming) -> Outgoing:
        read.append(req.body)
        return Outgoing(drop=True)

    with (
        HTTPLoopback(answer) as server,
        httpx.Client() as http,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        http.post(server.url, content=b"queued")
    assert read == [b"queued"]


@pytest.mark.anyio
async def test_loopback_transports_reach_the_server_whatever_the_url_keeping_its_host() -> None:
    def answer(req: Incoming) -> Outgoing:
        return Outgoing.json(200, {"host": req.host, "path": req.path})

    url = "https://model-abcd1234.api.baseten.co/production/predict"
    expected = {"host": "model-abcd1234.api.baseten.co", "path": "/production/predict"}
    with HTTPLoopback(answer) as server:
        with httpx.Client(transport=LoopbackTransport(server.port)) as http:
            assert http.post(url).json() == expected
        async with httpx.AsyncClient(transport=AsyncLoopbackTransport(server.port)) as ahttp:
            assert (await ahttp.post(url)).json() == expected


def test_a_loopback_server_stops_by_itself_after_its_lifetime() -> None:
    server = HTTPLoopback(lambda req: Outgoing(204), lifetime=0.2).start()
    try:
        assert httpx.get(server.url).status_code == 204
        time.sleep(0.6)
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", server.port), 1):
            pass
    finally:
        server.stop()


def test_asyncio_loopback_counts_connections() -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.readexactly(2))
        await writer.drain()

    with AsyncioLoopback(echo) as server:
        with socket.create_connection(("127.0.0.1", server.port), 2) as sock:
            sock.sendall(b"hi")
            assert sock.recv(2) == b"hi"
        assert server.wait_closed(2.0)
        assert server.connections == 1
