"""Streams decode the body whatever its content coding (none, identity, gzip, deflate), sync and
async alike."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable

import pytest
from harness.bodies import chunk, events_of, usage
from harness.flavors import Flavor, each_flavor
from harness.scripted import Answer, pieces, raw_answer, sse_answer

from genai_core import Message


def _body() -> bytes:
    chunks = [
        chunk({"content": word}, id="c1", model="m", created=None, usage=usage(2, i + 1))
        for i, word in enumerate(["Hel", "lo ", "wörld"])
    ]
    return events_of(chunks)


def _deflate(data: bytes) -> bytes:
    return zlib.compress(data)


CODINGS: list[tuple[str | None, Callable[[bytes], bytes]]] = [
    (None, lambda b: b),
    ("identity", lambda b: b),
    ("IDENTITY ", lambda b: b),
    ("gzip", gzip.compress),
    ("deflate", _deflate),
]


def _handler(coding: str | None, encode: Callable[[bytes], bytes]) -> Answer:
    headers = {"content-type": "text/event-stream"}
    if coding is not None:
        headers["content-encoding"] = coding
    return raw_answer(200, encode(_body()), headers)


@each_flavor
@pytest.mark.parametrize("in_pieces", [False, True], ids=["whole", "pieces"])
@pytest.mark.parametrize(("coding", "encode"), CODINGS, ids=[str(c) for c, _ in CODINGS])
async def test_stream_any_content_coding(
    flavor: Flavor, coding: str | None, encode: Callable[[bytes], bytes], in_pieces: bool
) -> None:
    """Whole: a body httpx holds already (made with ``content=``). In pieces: the body streamed
    7 bytes at a time; one without a coding is then read raw, a coded one through httpx's
    decoder."""
    if in_pieces:
        headers = {} if coding is None else {"content-encoding": coding}
        answer = sse_answer(pieces(encode(_body()), 7), headers)
    else:
        answer = _handler(coding, encode)
    client = flavor.mock_client(answer, model="m", api_key="k")
    fragments, res = await flavor.stream(client, [Message.user("hi")])
    await flavor.close(client)
    assert [f.text for f in fragments] == ["Hel", "lo ", "wörld"]
    assert res.text == "Hello wörld"
    assert res.usage is not None
    assert res.usage.total_tokens == 5
