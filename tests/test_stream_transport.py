"""Streams decode the body whatever its content coding (none, identity, gzip, deflate), sync and
async alike."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable

import httpx
import pytest

import genai_baseten
from genai_core import Message


def _body() -> bytes:
    events = []
    for i, word in enumerate(["Hel", "lo ", "wörld"]):
        chunk = {
            "id": "c1",
            "model": "m",
            "choices": [{"index": 0, "delta": {"content": word}}],
            "usage": {"prompt_tokens": 2, "completion_tokens": i + 1, "total_tokens": i + 3},
        }
        events.append(f"data: {json.dumps(chunk)}\n\n".encode())
    events.append(b"data: [DONE]\n\n")
    return b"".join(events)


def _deflate(data: bytes) -> bytes:
    return zlib.compress(data)


CODINGS: list[tuple[str | None, Callable[[bytes], bytes]]] = [
    (None, lambda b: b),
    ("identity", lambda b: b),
    ("IDENTITY ", lambda b: b),
    ("gzip", gzip.compress),
    ("deflate", _deflate),
]


def _handler(coding: str | None, encode: Callable[[bytes], bytes]) -> httpx.MockTransport:
    headers = {"content-type": "text/event-stream"}
    if coding is not None:
        headers["content-encoding"] = coding
    body = encode(_body())
    return httpx.MockTransport(lambda request: httpx.Response(200, headers=headers, content=body))


@pytest.mark.parametrize(("coding", "encode"), CODINGS, ids=[str(c) for c, _ in CODINGS])
def test_sync_stream_any_content_coding(
    coding: str | None, encode: Callable[[bytes], bytes]
) -> None:
    client = genai_baseten.Client(
        model="m", api_key="k", http_client=httpx.Client(transport=_handler(coding, encode))
    )
    with client.gen_stream([Message.user("hi")]) as stream:
        texts = [f.text for f in stream]
        res = stream.result()
    assert texts == ["Hel", "lo ", "wörld"]
    assert res.text == "Hello wörld"
    assert res.usage is not None
    assert res.usage.total_tokens == 5


@pytest.mark.anyio
@pytest.mark.parametrize(("coding", "encode"), CODINGS, ids=[str(c) for c, _ in CODINGS])
async def test_async_stream_any_content_coding(
    coding: str | None, encode: Callable[[bytes], bytes]
) -> None:
    http = httpx.AsyncClient(transport=_handler(coding, encode))
    client = genai_baseten.AsyncClient(model="m", api_key="k", http_client=http)
    async with client, client.gen_stream([Message.user("hi")]) as stream:
        texts = [f.text async for f in stream]
        res = stream.result()
    assert texts == ["Hel", "lo ", "wörld"]
    assert res.text == "Hello wörld"
