"""Chunk decoding: the fast paths give json.loads's values and json's errors, orjson or not."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest
import wire

from genai_core.errors import GenAIError
from genai_core.openai_chat import stream as decoders
from genai_core.openai_chat.stream import ChatStreamAssembler
from genai_core.openai_chat.stream_core import ChatStreamCore as StreamCore

DECODERS: list[tuple[str, Callable[[str], Any]]] = [("std", decoders.loads_std)]
if decoders.HAVE_ORJSON:
    DECODERS.append(("orjson", decoders.loads_orjson))

CASES = [
    '{"a": 1, "b": [true, false, null], "c": "x"}',
    '  {"padded": 1}  \n',
    '{"f": 1.5e300, "g": -0.0}',
    '{"dup": 1, "dup": 2}',
    '{"u": "caf\\u00e9 \\ud83d\\ude00"}',
    '{"lone": "\\ud800"}',  # a lone surrogate: json keeps it
    '{"nan": NaN, "inf": -Infinity}',
    "[1, 2, 3]",
    '"text"',
]
# Integers beyond 64 bits: json keeps them exact; orjson reads them as floats (documented).
HUGE = ['{"big": 123456789012345678901234567890}', '{"neg": -9223372036854775809}']
BAD = ["", "{", '{"a": }', "{} {}", "nul", '{"a": 1,}']


@pytest.mark.parametrize(("name", "decode"), DECODERS, ids=[n for n, _ in DECODERS])
@pytest.mark.parametrize("text", CASES)
def test_values_are_jsons(name: str, decode: Callable[[str], Any], text: str) -> None:
    got = decode(text)
    want = json.loads(text)
    if isinstance(want, dict) and "nan" in want:
        assert math.isnan(got["nan"])
        assert got["inf"] == want["inf"]
    else:
        assert got == want
        assert type(got) is type(want)


@pytest.mark.parametrize("text", HUGE)
def test_huge_integers(text: str) -> None:
    want = json.loads(text)
    assert decoders.loads_std(text) == want
    if decoders.HAVE_ORJSON:
        ((key, value),) = decoders.loads_orjson(text).items()
        assert isinstance(value, float)
        assert value == float(want[key])


@pytest.mark.parametrize(("name", "decode"), DECODERS, ids=[n for n, _ in DECODERS])
@pytest.mark.parametrize("text", BAD)
def test_bad_json_raises_jsons_error(name: str, decode: Callable[[str], Any], text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        decode(text)


def test_the_assembler_uses_the_best_decoder_installed() -> None:
    expected = decoders.loads_orjson if decoders.HAVE_ORJSON else decoders.loads_std
    assert decoders.loads_chunk is expected
    # Seen from outside: orjson reads an integer beyond 64 bits as a float, json keeps it exact.
    big = 2**70
    a = ChatStreamAssembler(provider="p", keep_raw=True)
    assert a.feed(f'{{"choices": [], "n": {big}}}') == []
    raw = a.result().raw
    assert raw is not None
    assert raw[0]["n"] == (float(big) if decoders.HAVE_ORJSON else big)
    assert type(raw[0]["n"]) is (float if decoders.HAVE_ORJSON else int)


def test_the_assembler_decodes_with_the_decoder_it_is_given() -> None:
    seen: list[str] = []

    def decode(text: str) -> Any:
        seen.append(text)
        return json.loads(text)

    a = ChatStreamAssembler(provider="p", keep_raw=True, loads=decode)
    first = '{"choices": [{"index": 0, "delta": {"content": "hi"}}]}'
    assert [f.text for f in a.feed(first)] == ["hi"]
    assert a.feed("[DONE]") == []  # the end marker is not JSON and never decoded
    assert seen == [first]
    raw = a.result().raw  # decoded lazily, with the same decoder
    assert raw is not None
    assert raw[0] == {"choices": [{"index": 0, "delta": {"content": "hi"}}]}
    assert seen == [first, first]


@pytest.mark.parametrize(("name", "decode"), DECODERS, ids=[n for n, _ in DECODERS])
def test_assembler_with_either_decoder(name: str, decode: Callable[[str], Any]) -> None:
    a = ChatStreamAssembler(provider="p", loads=decode)
    chunk = {
        "id": "c1",
        "choices": [{"index": 0, "delta": {"content": "héllo", "reasoning_content": None}}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }
    frags = a.feed(json.dumps(chunk))
    assert [f.text for f in frags] == ["héllo"]
    with pytest.raises(Exception, match="not JSON"):
        a.feed('{"choices": [')


# --- every recorded stream decodes to the same Result with either decoder -------------------

_WIRE = wire.wire_dir()
_STREAMS = [
    c
    for c in (wire.load_cases(_WIRE) if _WIRE is not None else [])
    if c.interaction().is_stream and c.interaction().status == 200
]


def _outcome(body: bytes, decode: Callable[[str], Any]) -> tuple[str, Any]:
    core = StreamCore(ChatStreamAssembler(provider="baseten", loads=decode))
    try:
        for piece in wire.pieces(body, 1000):
            core.feed(piece)
        core.finish()
    except GenAIError as exc:
        return "error", str(exc)
    return "result", core.result().model_dump()


@pytest.mark.wire
@pytest.mark.skipif(_WIRE is None, reason=wire.SKIP_REASON)
@pytest.mark.skipif(not decoders.HAVE_ORJSON, reason="orjson is not installed (the speedups extra)")
@pytest.mark.parametrize("case", _STREAMS, ids=[c.id for c in _STREAMS])
def test_recorded_streams_decode_alike(case: wire.Case) -> None:
    body = case.interaction().body
    assert _outcome(body, decoders.loads_orjson) == _outcome(body, decoders.loads_std)
