"""Logprobs: ``top_logprobs=N`` on the wire, and ``choices[].logprobs.content`` parsed into
``Result.logprobs`` (one row per token: the chosen token, then the alternatives)."""

from __future__ import annotations

import math
from typing import Any

import pytest
import wire
from harness.chat import ChatAnswer, ChatServer, chat_client, replay_recording
from harness.flavors import Flavor, Mode, each_flavor, each_mode

from genai_core.errors import ValidationError
from genai_core.options import TextOptions
from genai_core.types import Logprob, Message

ENTRIES: list[dict[str, Any]] = [
    {
        "token": "Hel",
        "logprob": -0.01,
        "bytes": [72, 101, 108],
        "top_logprobs": [
            {"token": "Hel", "logprob": -0.01, "bytes": [72, 101, 108]},
            {"token": "Hi", "logprob": -4.6, "bytes": [72, 105]},
        ],
    },
    {
        "token": "lo",
        "logprob": -0.2,
        "bytes": [108, 111],
        "top_logprobs": [
            {"token": "lo", "logprob": -0.2, "bytes": [108, 111]},
            {"token": "p", "logprob": -1.9, "bytes": [112]},
        ],
    },
    {"token": "!", "logprob": 0, "top_logprobs": []},
]

EXPECTED = [
    [
        Logprob(text="Hel", logprob=-0.01),
        Logprob(text="Hel", logprob=-0.01),
        Logprob(text="Hi", logprob=-4.6),
    ],
    [
        Logprob(text="lo", logprob=-0.2),
        Logprob(text="lo", logprob=-0.2),
        Logprob(text="p", logprob=-1.9),
    ],
    [Logprob(text="!", logprob=0.0)],
]


@each_mode
async def test_logprobs_requested_and_parsed(anyio_backend: str, mode: Mode) -> None:
    server = ChatServer(ChatAnswer(content="Hello!", logprobs=ENTRIES))
    opts = TextOptions(top_logprobs=2)
    res = await mode.generate(chat_client(mode, server), [Message.user("Say hello")], opts)
    body = server.bodies[0]
    assert body["logprobs"] is True
    assert body["top_logprobs"] == 2
    assert res.text == "Hello!"
    assert res.logprobs == EXPECTED
    # The chosen tokens spell the answer.
    assert "".join(row[0].text for row in res.logprobs) == res.text


@each_mode
async def test_no_logprobs_requested(anyio_backend: str, mode: Mode) -> None:
    server = ChatServer(ChatAnswer(content="Hello!"))
    res = await mode.generate(chat_client(mode, server), [Message.user("Say hello")])
    assert "logprobs" not in server.bodies[0]
    assert "top_logprobs" not in server.bodies[0]
    assert res.logprobs == []


@each_mode
async def test_zero_alternatives(anyio_backend: str, mode: Mode) -> None:
    entries = [{"token": "Hi", "logprob": -0.5, "top_logprobs": []}]
    server = ChatServer(ChatAnswer(content="Hi", logprobs=entries))
    res = await mode.generate(
        chat_client(mode, server), [Message.user("x")], TextOptions(top_logprobs=0)
    )
    assert server.bodies[0]["logprobs"] is True
    assert server.bodies[0]["top_logprobs"] == 0
    assert res.logprobs == [[Logprob(text="Hi", logprob=-0.5)]]


@each_mode
async def test_odd_entries_survive(anyio_backend: str, mode: Mode) -> None:
    # Token ids when the server sends them; a missing or null logprob is -inf; junk is skipped.
    entries: list[Any] = [
        {"token": "a", "logprob": -1, "id": 7, "top_logprobs": [{"token": "b", "id": 8}]},
        {"token": "c", "logprob": None, "top_logprobs": None},
    ]
    server = ChatServer(ChatAnswer(content="ac", logprobs=entries))
    res = await mode.generate(
        chat_client(mode, server), [Message.user("x")], TextOptions(top_logprobs=1)
    )
    assert res.logprobs[0][0] == Logprob(text="a", logprob=-1.0, id=7)
    assert res.logprobs[0][1].id == 8
    assert math.isinf(res.logprobs[0][1].logprob)
    assert res.logprobs[1][0].text == "c"
    assert math.isinf(res.logprobs[1][0].logprob)


@pytest.mark.parametrize("bad", [-1, 21, 2.5, "2"])
def test_top_logprobs_range(bad: Any) -> None:
    with pytest.raises(ValidationError, match="top_logprobs"):
        TextOptions(top_logprobs=bad)


WIRE = wire.wire_dir()
LOGPROB_CASES = [
    c
    for c in (wire.load_cases(WIRE) if WIRE is not None else [])
    if c.key.endswith("-TopLogprobs.json")
]


@pytest.mark.wire
@pytest.mark.skipif(WIRE is None, reason=wire.SKIP_REASON)
@pytest.mark.parametrize(
    "case", LOGPROB_CASES or [None], ids=[c.id for c in LOGPROB_CASES] or ["none"]
)
@each_flavor
async def test_recorded_top_logprobs(case: wire.Case, flavor: Flavor) -> None:
    it = case.interaction()
    call = wire.call_from_request(it.request_body)
    assert call.text is not None and call.text.top_logprobs is not None
    out = await replay_recording(it, call, flavor=flavor)
    assert out.error is None
    res, body = out.result, out.body
    assert res is not None
    assert body["logprobs"] is True
    assert body["top_logprobs"] == it.request_json["top_logprobs"]
    # The server ignored the request: as many rows as EXPECTED says (none), and still a text.
    assert len(res.logprobs) == case.expected.get("logprobs_count", 0)
    assert res.text == case.expected["text"]
