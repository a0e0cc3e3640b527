"""Tests for genai_core.sse: the incremental Server-Sent-Events decoder.

Every case in CASES is decoded whole, one byte at a time, cut at every single split point, and cut
at random points (hypothesis); the events must be the same every time. Expected values are written
from the WHATWG rules, not from the decoder's output.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genai_core.sse import ServerSentEvent, SSEDecodeError, SSEDecoder

E = ServerSentEvent


def decode(chunks: Iterable[bytes], **kwargs: int) -> list[ServerSentEvent]:
    decoder = SSEDecoder(**kwargs)
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.close())
    return events


def cut(stream: bytes, points: Iterable[int]) -> list[bytes]:
    """``stream`` cut at ``points`` (any order, duplicates allowed: they make empty chunks)."""
    bounds = [0, *sorted(points), len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(bounds)]


def all_chunkings(stream: bytes) -> Iterable[tuple[str, list[bytes]]]:
    yield "whole", [stream]
    yield "bytewise", [stream[i : i + 1] for i in range(len(stream))]
    for i in range(len(stream) + 1):
        yield f"split@{i}", cut(stream, [i])


OPENAI_CHUNKS = [
    {"id": "c1", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
    {"id": "c1", "choices": [{"index": 0, "delta": {"content": "Bonjour, ça va"}}]},
    {"id": "c1", "choices": [{"index": 0, "delta": {"content": " 😀"}, "finish_reason": None}]},
    {"id": "c1", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
]
OPENAI_STREAM = (
    b"".join(
        b"data: " + json.dumps(c, ensure_ascii=False).encode() + b"\n\n" for c in OPENAI_CHUNKS
    )
    + b"data: [DONE]\n\n"
)
OPENAI_EVENTS = [E(json.dumps(c, ensure_ascii=False)) for c in OPENAI_CHUNKS] + [E("[DONE]")]

# (name, stream, expected events after feed(...) and close())
CASES: list[tuple[str, bytes, list[ServerSentEvent]]] = [
    ("one event", b"data: hello\n\n", [E("hello")]),
    ("two events", b"data: a\n\ndata: b\n\n", [E("a"), E("b")]),
    ("empty stream", b"", []),
    ("only blank lines", b"\n\n\r\n\r\r", []),
    ("leading blank lines", b"\n\n\ndata: x\n\n", [E("x")]),
    ("extra blank lines between", b"data: a\n\n\n\ndata: b\n\n\n", [E("a"), E("b")]),
    # comments
    ("comment between events", b": keep-alive\n\ndata: x\n\n", [E("x")]),
    ("bare colon comment", b":\n\ndata: x\n\n:\n\n", [E("x")]),
    ("comment inside an event", b"data: a\n: note\ndata: b\n\n", [E("a\nb")]),
    ("comment looking like data", b":data: x\n\n", []),
    # line endings
    ("LF", b"data: a\n\ndata: b\n\n", [E("a"), E("b")]),
    ("CRLF", b"data: a\r\n\r\ndata: b\r\n\r\n", [E("a"), E("b")]),
    ("CR", b"data: a\r\rdata: b\r\r", [E("a"), E("b")]),
    ("mixed line ends in one event", b"data: a\r\ndata: b\rdata: c\n\r\n", [E("a\nb\nc")]),
    ("CR then CRLF is two line ends", b"data: a\r\r\n", [E("a")]),
    ("LF CR is two line ends", b"data: a\n\rdata: b\n\n", [E("a"), E("b")]),
    # data
    ("multi-line data", b"data: line1\ndata: line2\ndata: line3\n\n", [E("line1\nline2\nline3")]),
    ("empty data value", b"data:\n\n", [E("")]),
    ("two empty data lines", b"data\ndata\n\n", [E("\n")]),
    ("data then empty data", b"data: a\ndata:\n\n", [E("a\n")]),
    ("JSON with colons", b'data: {"a": "b:c"}\n\n', [E('{"a": "b:c"}')]),
    ("value starting with colon", b"data::x\n\n", [E(":x")]),
    # space after the colon
    ("no space", b"data:x\n\n", [E("x")]),
    ("one space", b"data: x\n\n", [E("x")]),
    ("two spaces keep one", b"data:  x\n\n", [E(" x")]),
    ("trailing space kept", b"data: x \n\n", [E("x ")]),
    ("tab is not stripped", b"data:\tx\n\n", [E("\tx")]),
    ("space before colon makes another field", b"data : x\n\n", []),
    # field without colon
    ("field name only: data", b"data\n\n", [E("")]),
    ("field name only: event", b"event\ndata: x\n\n", [E("x")]),
    # other fields
    ("event", b"event: update\ndata: x\n\n", [E("x", event="update")]),
    ("id", b"id: 42\ndata: x\n\n", [E("x", id="42")]),
    ("empty id", b"id:\ndata: x\n\n", [E("x", id="")]),
    ("id with NUL ignored", b"id: a\x00b\ndata: x\n\n", [E("x")]),
    ("retry", b"retry: 1500\ndata: x\n\n", [E("x", retry=1500)]),
    ("retry with leading zeros", b"retry: 007\ndata: x\n\n", [E("x", retry=7)]),
    ("retry not digits", b"retry: 15a\ndata: x\n\n", [E("x")]),
    ("retry negative", b"retry: -1\ndata: x\n\n", [E("x")]),
    ("retry empty", b"retry:\ndata: x\n\n", [E("x")]),
    ("retry non-ASCII digits", "retry: ١٢\ndata: x\n\n".encode(), [E("x")]),
    ("retry with space", b"retry: 1 2\ndata: x\n\n", [E("x")]),
    ("last field value wins", b"event: a\nevent: b\nid: 1\nid: 2\ndata: x\n\n", [E("x", "b", "2")]),
    (
        "all fields, any order",
        b"retry: 10\ndata: x\nid: 7\nevent: e\ndata: y\n\n",
        [E("x\ny", event="e", id="7", retry=10)],
    ),
    (
        "fields are per event",
        b"event: a\nid: 1\nretry: 5\ndata: x\n\ndata: y\n\n",
        [E("x", event="a", id="1", retry=5), E("y")],
    ),
    ("unknown field ignored", b"foo: bar\ndata: x\nbaz\n\n", [E("x")]),
    ("field names are case-sensitive", b"Data: x\nEVENT: y\n\n", []),
    # events without data are not dispatched, and their fields do not leak into the next one
    ("event without data", b"event: foo\n\ndata: x\n\n", [E("x")]),
    ("id only", b"id: 1\n\n", []),
    ("retry only", b"retry: 100\n\n", []),
    # UTF-8
    ("multibyte", "data: é😀中\n\n".encode(), [E("é😀中")]),
    ("multibyte event name", "event: ünïcode\ndata: x\n\n".encode(), [E("x", event="ünïcode")]),
    ("multibyte multi-line", "data: é\r\ndata: 😀\r\n\r\n".encode(), [E("é\n😀")]),
    ("BOM at start skipped", b"\xef\xbb\xbfdata: x\n\n", [E("x")]),
    ("BOM only", b"\xef\xbb\xbf", []),
    # A BOM later on is part of the field name, which then is not "data".
    ("BOM later is not skipped", b"data: x\n\n\xef\xbb\xbfdata: y\n\n", [E("x")]),
    ("BOM then comment", b"\xef\xbb\xbf: hi\n\ndata: x\n\n", [E("x")]),
    ("invalid UTF-8 in a comment is ignored", b": \xff\xfe\n\ndata: x\n\n", [E("x")]),
    ("invalid UTF-8 in an unknown field is ignored", b"f\xff: \xfe\ndata: x\n\n", [E("x")]),
    # end of stream
    ("EOF without blank line", b"data: a\n\ndata: b\n", [E("a"), E("b")]),
    ("EOF in a partial line", b"data: a\n\ndata: b", [E("a"), E("b")]),
    ("EOF in a multi-line event", b"data: a\ndata: b", [E("a\nb")]),
    ("EOF after CR", b"data: x\r", [E("x")]),
    ("EOF after fields", b"event: e\nid: 3\ndata: x", [E("x", event="e", id="3")]),
    ("EOF with partial non-data line", b"data: x\n\nevent: y", [E("x")]),
    ("EOF after a comment", b"data: x\n: bye", [E("x")]),
    # realistic streams; [DONE] is an ordinary event
    ("OpenAI stream", OPENAI_STREAM, OPENAI_EVENTS),
    ("OpenAI stream with CRLF", OPENAI_STREAM.replace(b"\n", b"\r\n"), OPENAI_EVENTS),
    (
        "OpenAI stream with keep-alives and no final blank line",
        b": ping\n\n"
        + OPENAI_STREAM.replace(b"\n\n", b"\n\n: ping\n\n").removesuffix(b"\n\n: ping\n\n"),
        OPENAI_EVENTS,
    ),
    (
        "Anthropic-style named events",
        b"event: message_start\ndata: {}\n\nevent: ping\ndata: {}\n\n"
        b'event: content_block_delta\ndata: {"delta": 1}\n\n',
        [
            E("{}", event="message_start"),
            E("{}", event="ping"),
            E('{"delta": 1}', event="content_block_delta"),
        ],
    ),
    (
        "fast-path events around other kinds",
        b"data: 1\n\nevent: e\ndata: 2\n\ndata: 3\n\ndata: 4\ndata: 5\n\ndata: 6\n\n",
        [E("1"), E("2", event="e"), E("3"), E("4\n5"), E("6")],
    ),
]
CASE_IDS = [name for name, _, _ in CASES]


@pytest.mark.parametrize(("name", "stream", "expected"), CASES, ids=CASE_IDS)
def test_case_every_chunking(name: str, stream: bytes, expected: list[ServerSentEvent]) -> None:
    for how, chunks in all_chunkings(stream):
        assert b"".join(chunks) == stream
        assert decode(chunks) == expected, f"{name}: {how}"


@pytest.mark.parametrize(("name", "stream", "expected"), CASES, ids=CASE_IDS)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_case_random_chunking(
    name: str, stream: bytes, expected: list[ServerSentEvent], data: st.DataObject
) -> None:
    points = data.draw(st.lists(st.integers(0, len(stream)), max_size=12), label="cuts")
    assert decode(cut(stream, points)) == expected


# -- generated streams ----------------------------------------------------------------------------

# Text that cannot contain a line end; surrogates cannot be encoded as UTF-8.
line_text = st.text(
    st.characters(exclude_characters="\r\n", exclude_categories=["Cs"]), max_size=20
)
field_events = st.lists(
    st.tuples(
        st.lists(line_text, min_size=1, max_size=3),  # data lines
        st.sampled_from(["", "update", "message_delta"]),  # event
        st.one_of(st.none(), st.from_regex(r"[a-z0-9]{0,5}", fullmatch=True)),  # id
        st.one_of(st.none(), st.integers(0, 10**6)),  # retry
    ),
    max_size=5,
)


def encode_events(
    events: Sequence[tuple[list[str], str, str | None, int | None]], eol: str, comments: bool
) -> bytes:
    out = []
    for lines, event, id_, retry in events:
        if comments:
            out.append(": comment")
        if event:
            out.append(f"event: {event}")
        if id_ is not None:
            out.append(f"id: {id_}")
        if retry is not None:
            out.append(f"retry: {retry}")
        out.extend(f"data: {line}" for line in lines)
        out.append("")
    return "".join(line + eol for line in out).encode()


@settings(max_examples=300, deadline=None)
@given(
    events=field_events,
    eol=st.sampled_from(["\n", "\r\n", "\r"]),
    comments=st.booleans(),
    drop_last_eol=st.booleans(),
    data=st.data(),
)
def test_generated_streams(
    events: list[tuple[list[str], str, str | None, int | None]],
    eol: str,
    comments: bool,
    drop_last_eol: bool,
    data: st.DataObject,
) -> None:
    stream = encode_events(events, eol, comments)
    if drop_last_eol and stream:
        # The stream ends without its final blank line: close() must still give the event.
        stream = stream[: -len(eol)]
    expected = [E("\n".join(lines), event, id_, retry) for lines, event, id_, retry in events]
    points = data.draw(st.lists(st.integers(0, len(stream)), max_size=20), label="cuts")
    assert decode(cut(stream, points)) == expected


TOKENS = [
    *(b"data", b"data: ", b"event:", b"id: ", b"retry:", b":", b" ", b"x", b"12", b"\x00"),
    *(b"\n", b"\n\n", b"\r", b"\r\n", b"\xef\xbb\xbf", "é😀".encode(), b"\xc3", b"\xa9", b"\xff"),
]


def outcome(chunks: Iterable[bytes], max_event_size: int) -> object:
    try:
        return decode(chunks, max_event_size=max_event_size)
    except SSEDecodeError:
        return "SSEDecodeError"


@settings(max_examples=500, deadline=None)
@given(
    stream=st.lists(st.sampled_from(TOKENS), max_size=40).map(b"".join),
    max_event_size=st.sampled_from([8, 16, 40, 1000]),
    data=st.data(),
)
def test_arbitrary_streams_do_not_depend_on_chunking(
    stream: bytes, max_event_size: int, data: st.DataObject
) -> None:
    """Whatever the bytes, the events (or the error) are the same however they are cut."""
    whole = outcome([stream], max_event_size)
    assert outcome([stream[i : i + 1] for i in range(len(stream))], max_event_size) == whole
    points = data.draw(st.lists(st.integers(0, len(stream)), max_size=10), label="cuts")
    assert outcome(cut(stream, points), max_event_size) == whole


# -- specific behaviour -------------------------------------------------------------------------


def test_feed_returns_events_as_soon_as_complete() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n") == []
    assert decoder.feed(b"\ndata: b\n\nda") == [E("a"), E("b")]
    assert decoder.feed(b"ta: c\n") == []
    assert decoder.feed(b"\n") == [E("c")]
    assert decoder.close() == []


def test_cr_at_chunk_end_then_lf_is_one_line_end() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    # Had the LF been a second line end, this would be the blank line that dispatches "a".
    assert decoder.feed(b"\n") == []
    assert decoder.feed(b"data: b\r") == []
    assert decoder.feed(b"\r") == [E("a\nb")]


def test_cr_at_chunk_end_then_empty_chunks() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"") == []
    assert decoder.feed(b"\n") == []
    assert decoder.feed(b"\n") == [E("a")]


def test_lone_cr_dispatches_without_waiting_for_next_chunk() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r\r") == [E("a")]


def test_multibyte_split_across_feeds() -> None:
    for text in ("é", "😀", "中文", "a😀é"):
        encoded = f"data: {text}\n\n".encode()
        for i in range(len(encoded) + 1):
            assert decode([encoded[:i], encoded[i:]]) == [E(text)], (text, i)


def test_bom_split_across_feeds() -> None:
    assert decode([b"\xef", b"\xbb", b"\xbfdata: x\n\n"]) == [E("x")]
    assert decode([b"\xef\xbb", b"\xbf", b"data: x\n\n"]) == [E("x")]


def test_close_on_empty_decoder() -> None:
    assert SSEDecoder().close() == []


def test_close_twice_and_reuse() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a") == []
    assert decoder.close() == [E("a")]
    assert decoder.close() == []
    # close() resets: the decoder reads a new stream (BOM included).
    assert decoder.feed(b"\xef\xbb\xbfdata: b\n\n") == [E("b")]


def test_feed_empty_bytes() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"") == []
    assert decoder.feed(b"data: x\n\n") == [E("x")]
    assert decoder.feed(b"") == []


def test_done_is_not_interpreted() -> None:
    stream = b"data: [DONE]\n\ndata: after\n\n"
    assert decode([stream]) == [E("[DONE]"), E("after")]


def test_openai_stream_data_in_order() -> None:
    events = decode([OPENAI_STREAM])
    assert [e.data for e in events[:-1]] == [
        json.dumps(c, ensure_ascii=False) for c in OPENAI_CHUNKS
    ]
    assert [json.loads(e.data) for e in events[:-1]] == OPENAI_CHUNKS
    assert events[-1].data == "[DONE]"
    assert all(e.event == "" and e.id is None and e.retry is None for e in events)


def test_long_line_fed_one_byte_at_a_time() -> None:
    payload = b"x" * 200_000
    decoder = SSEDecoder()
    events = []
    for b in b"data: " + payload + b"\n\n":
        events.extend(decoder.feed(bytes((b,))))
    assert events == [E(payload.decode())]


def test_huge_retry_is_ignored() -> None:
    # More digits than int() converts by default (4300): not a usable reconnection delay.
    assert decode([b"retry: " + b"9" * 5000 + b"\ndata: x\n\n"]) == [E("x")]


# -- errors ---------------------------------------------------------------------------------------


def test_incomplete_event_over_limit_raises() -> None:
    decoder = SSEDecoder(max_event_size=100)
    with pytest.raises(SSEDecodeError, match="max_event_size=100"):
        decoder.feed(b"data: " + b"x" * 200)


def test_incomplete_event_over_limit_raises_when_fed_bytewise() -> None:
    decoder = SSEDecoder(max_event_size=100)
    with pytest.raises(SSEDecodeError, match="max_event_size"):
        for _ in range(1000):
            decoder.feed(b"x")


def test_many_lines_without_blank_line_over_limit_raise() -> None:
    decoder = SSEDecoder(max_event_size=100)
    with pytest.raises(SSEDecodeError, match="max_event_size"):
        for _ in range(100):
            decoder.feed(b"data: 0123456789\n")


# The event's size counts each line plus one for its line end: here 6 + n + 1 bytes.
@pytest.mark.parametrize(("n", "ok"), [(93, True), (94, False)])
@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_limit_is_exact_and_independent_of_chunking(n: int, ok: bool, eol: bytes) -> None:
    stream = b"data: " + b"x" * n + eol + eol + b"data: y" + eol + eol
    for how, chunks in all_chunkings(stream):
        if ok:
            assert decode(chunks, max_event_size=100) == [E("x" * n), E("y")], how
        else:
            with pytest.raises(SSEDecodeError, match="max_event_size=100"):
                decode(chunks, max_event_size=100)


def test_limit_is_per_event() -> None:
    stream = b"data: 0123456789\n\n" * 50  # 900 bytes in all, 17 per event
    assert decode([stream], max_event_size=20) == [E("0123456789")] * 50


def test_limit_counts_every_line_of_the_event() -> None:
    stream = b"data: 0123456789\n" * 10 + b"\n"  # 10 lines of 17: 170 bytes
    with pytest.raises(SSEDecodeError):
        decode([stream], max_event_size=169)
    assert decode([stream], max_event_size=170) == [E("\n".join(["0123456789"] * 10))]


def test_limit_reached_by_partial_line_at_close() -> None:
    # Complete at close(), the line counts 7 + 1 bytes.
    decoder = SSEDecoder(max_event_size=7)
    assert decoder.feed(b"data: x") == []
    with pytest.raises(SSEDecodeError):
        decoder.close()


@pytest.mark.parametrize(
    "stream",
    [
        b"data: \xff\xfe\n\n",
        b"data: ok\ndata: \xff\xfe\n\n",
        b"data: ok\r\ndata: \xff\xfe\r\n\r\n",
        b"event: \xff\xfe\ndata: x\n\n",
        b"id: \xff\xfe\ndata: x\n\n",
        b"data: \xff\xfe",  # completed by close()
    ],
)
def test_invalid_utf8_raises(stream: bytes) -> None:
    for how, chunks in all_chunkings(stream):
        with pytest.raises(SSEDecodeError, match=r"\\xff\\xfe") as info:
            decode(chunks)
        assert isinstance(info.value, ValueError), how
        assert "UTF-8" in str(info.value)


def test_truncated_multibyte_at_eof_raises() -> None:
    decoder = SSEDecoder()
    assert decoder.feed("data: é".encode()[:-1]) == []
    with pytest.raises(SSEDecodeError, match=r"\\xc3"):
        decoder.close()


def test_sse_decode_error_is_value_error() -> None:
    assert issubclass(SSEDecodeError, ValueError)


# -- ServerSentEvent ----------------------------------------------------------------------------


def test_event_defaults_and_fields() -> None:
    event = ServerSentEvent("x")
    assert (event.data, event.event, event.id, event.retry) == ("x", "", None, None)
    event = ServerSentEvent(data="d", event="e", id="i", retry=3)
    assert (event.data, event.event, event.id, event.retry) == ("d", "e", "i", 3)


def test_event_slots() -> None:
    assert set(ServerSentEvent.__slots__) == {"event", "data", "id", "retry"}
    with pytest.raises(AttributeError):
        ServerSentEvent("x").other = 1  # type: ignore[attr-defined]


def test_event_equality() -> None:
    assert E("x") == E("x", "", None, None)
    assert E("x") != E("y")
    assert E("x") != E("x", event="e")
    assert E("x") != E("x", id="")
    assert E("x") != E("x", retry=0)
    assert E("x") != "x"
    assert E("x") != ("x", "", None, None)


def test_event_repr() -> None:
    assert repr(E("x")) == "ServerSentEvent(data='x')"
    assert (
        repr(E("a\nb", event="e", id="1", retry=5))
        == "ServerSentEvent(data='a\\nb', event='e', id='1', retry=5)"
    )
    assert eval(repr(E("x", id="", retry=0)), {"ServerSentEvent": ServerSentEvent}) == E(
        "x", id="", retry=0
    )


# -- the single-event fast path (feed_single) against the general decoder ----------------------


class GeneralDecoder(SSEDecoder):
    """The decoder with its fast paths turned off: every read goes through the line machine."""

    __slots__ = ()

    def feed_plain(self, data: bytes) -> list[str] | None:
        return None

    def feed_single(self, data: bytes) -> str | None:
        return None


def per_feed(decoder: SSEDecoder, chunks: Iterable[bytes]) -> list[object]:
    """What each feed() returns, then close(), or the error where it raised."""
    out: list[object] = []
    try:
        for chunk in chunks:
            out.append(decoder.feed(chunk))  # noqa: PERF401 (keeps what came before an error)
        out.append(decoder.close())
    except SSEDecodeError:
        out.append("SSEDecodeError")
    return out


def test_feed_single_takes_exactly_one_plain_event() -> None:
    d = SSEDecoder()
    assert d.feed_single(b"data: hello\n\n") is None  # at the start (a BOM may come): not taken
    assert d.feed(b"data: hello\n\n") == [E("hello")]
    assert d.feed_single(b'data: {"a": "\xc3\xa9"}\n\n') == '{"a": "é"}'
    assert d.feed_single(b"data: \n\n") == ""
    for not_plain in [
        b"data: a\n",  # not ended by a blank line
        b"data: a\r\n\r\n",  # CRLF: left to the general path
        b"data: a\n\ndata: b\n\n",  # two events
        b"data: a\ndata: b\n\n",  # two data lines
        b"data: a\rb\n\n",  # a lone CR: two lines
        b"event: x\ndata: a\n\n",
        b": comment\n\n",
        b"data:a\n\n",  # no space after the colon
        b"id: 1\n\n",
        b"",
    ]:
        assert d.feed_single(not_plain) is None, not_plain
    # Nothing was consumed by the refusals: the next plain event still comes whole.
    assert d.feed(b"data: next\n\n") == [E("next")]
    # Mid-line or mid-event, a plain-looking read is not a whole event.
    assert d.feed(b"data: par") == []
    assert d.feed_single(b"data: x\n\n") is None
    assert d.feed(b"t\n\n") == [E("part")]
    assert d.feed(b"data: one\n") == []
    assert d.feed_single(b"data: two\n\n") is None


def test_feed_single_respects_the_size_limit() -> None:
    # The event's size is len(line) + 1: "data: " + 3 bytes + 1 = 10.
    assert SSEDecoder(max_event_size=10).feed(b"data: abc\n\n") == [E("abc")]
    d = SSEDecoder(max_event_size=9)
    d.feed(b": start\n\n")  # past the start and at an event boundary: the fast path is tried
    assert d.feed_single(b"data: abcd\n\n"[1:]) is None  # (not "data: ": refused)
    assert d.feed_single(b"data: abc\n\n") is None  # 10 > 9: left to the general path...
    with pytest.raises(SSEDecodeError, match="max_event_size=9"):
        d.feed(b"data: abc\n\n")  # ...which raises


def test_feed_single_invalid_utf8_raises() -> None:
    d = SSEDecoder()
    d.feed(b": start\n\n")
    # Left to the general path (nothing consumed), which raises.
    assert d.feed_single(b"data: \xff\n\n") is None
    assert d.feed_plain(b"data: \xff\n\n") is None
    with pytest.raises(SSEDecodeError, match="invalid UTF-8"):
        d.feed(b"data: \xff\n\n")


def test_feed_plain_takes_reads_of_plain_events() -> None:
    d = SSEDecoder()
    assert d.feed_plain(b"data: a\n\n") is None  # at the start (a BOM may come): not taken
    assert d.feed(b": start\n\n") == []
    assert d.feed_plain(b"data: a\n\ndata: \xc3\xa9\n\ndata: [DONE]\n\n") == ["a", "é", "[DONE]"]
    # What follows the last blank line is kept: the start of the next event's line.
    assert d.feed_plain(b'data: b\n\ndata: {"x"') == ["b"]
    assert d.feed_plain(b": 1}\n\ndata: c\n\nda") == ['{"x": 1}', "c"]
    assert d.feed_plain(b"ta: d\n\n") == ["d"]
    for not_plain in [
        b"data: a\n",  # no event completed
        b"data: a\n\ndata: b\n",  # a line of the next event is complete
        b"data: a\n\n\ndata: b\n\n",  # an extra blank line
        b"data: a\n\n: comment\n\n",
        b"data: a\n\nevent: e\ndata: b\n\n",
        b"data: a\ndata: b\n\n",  # two data lines
        b"data: a\n\ndata:b\n\n",  # no space after the colon
        b"data: a\r\n\r\n",
        b"data: a\n\ndata: b\rc\n\n",  # a lone CR: two lines
        b"data: a\n\ndata: \xff\n\n",  # bad UTF-8 in the second: the line machine names it
        b"",
    ]:
        assert d.feed_plain(not_plain) is None, not_plain
    # Nothing was consumed by the refusals.
    assert d.feed(b"data: next\n\n") == [E("next")]
    assert d.feed(b"data: one\n") == []
    assert d.feed_plain(b"\ndata: two\n\n") is None  # mid-event: not at a boundary


def test_feed_plain_respects_the_size_limit() -> None:
    d = SSEDecoder(max_event_size=10)
    d.feed(b": s\n\n")
    assert d.feed_plain(b"data: abc\n\ndata: abcd\n\n") is None  # the "abcd" line: 11 > 10
    with pytest.raises(SSEDecodeError, match="max_event_size=10"):
        d.feed(b"data: abc\n\ndata: abcd\n\n")
    d = SSEDecoder(max_event_size=10)
    d.feed(b": s\n\n")
    assert d.feed_plain(b"data: abc\n\ndata: abcde") is None  # the next line is 11 already
    with pytest.raises(SSEDecodeError, match="max_event_size=10"):
        d.feed(b"data: abc\n\ndata: abcde")


plain_text = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"), max_size=12
)
stream_lines = st.one_of(
    plain_text.map(lambda t: f"data: {t}\n\n"),  # a plain event: the fast path's case
    plain_text.map(lambda t: f"data: {t}\r\n\r\n"),
    plain_text.map(lambda t: f"data: {t}\r\r"),
    plain_text.map(lambda t: f"data: {t}\ndata: {t}\n\n"),  # multi-line data
    plain_text.map(lambda t: f"data: {t}\r{t}\n\n"),  # a lone CR ends a line, mid-read
    plain_text.map(lambda t: f": {t}\n"),  # a comment
    plain_text.map(lambda t: f"event: e\ndata: {t}\n\n"),
    st.sampled_from(["\n", "\r\n", "\r", "data:x\n\n", "data: [DONE]\n\n", "\ufeff"]),
)


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(stream_lines, max_size=8),
    max_event_size=st.sampled_from([8, 24, 1000]),
    data=st.data(),
)
def test_fast_path_matches_the_general_decoder(
    parts: list[str], max_event_size: int, data: st.DataObject
) -> None:
    """Read by read, the decoder returns what the line machine alone returns: one part per read
    (a server flushing each event, so the fast path is taken), and cut anywhere."""
    pieces = [p.encode() for p in parts]
    stream = b"".join(pieces)

    def both(chunks: list[bytes]) -> None:
        fast = per_feed(SSEDecoder(max_event_size=max_event_size), chunks)
        assert fast == per_feed(GeneralDecoder(max_event_size=max_event_size), chunks)

    both(pieces)
    points = data.draw(st.lists(st.integers(0, len(stream)), max_size=10), label="cuts")
    both(cut(stream, points))


def test_fast_path_matches_the_general_decoder_split_at_every_byte() -> None:
    stream = (
        b"data: first\n\n: keep-alive\r\ndata: second\r\n\r\n"
        b"data: a\ndata: b\n\nevent: e\ndata: x\n\ndata: caf\xc3\xa9\n\ndata: [DONE]\n\n"
    )
    for name, chunks in all_chunkings(stream):
        for reads in (chunks, [*chunks, b"data: last\n\n"]):
            fast = per_feed(SSEDecoder(), reads)
            assert fast == per_feed(GeneralDecoder(), reads), name
