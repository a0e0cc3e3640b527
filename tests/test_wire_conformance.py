"""Conformance over the real recordings in ``GENAI_WIRE_DIR`` (``../shared/wire``).

Every entry of every ``<provider>/EXPECTED.json`` is a case; nothing here names a recording, a
model or a count, so the same tests run over any set of recordings in that layout.

* ``test_replay_*``: the recorded response goes through ``genai_baseten.Client`` /
  ``AsyncClient`` and the result (or error, or model list) must equal EXPECTED exactly.
* ``test_stream_chunks``: the sans-IO stream core counts the JSON chunks EXPECTED lists.
* ``test_request``: the neutral call rebuilt from the recorded request makes our client send
  that request again (one documented exception: the JSON-schema name).
* ``test_tool_round_trip``: turn 2 of a tool conversation is built from turn 1's Result object
  and must be the recorded turn-2 request.
* ``test_httprecord_replay_*``: the recording file loaded by ``genai_core.httprecord`` and served
  by its ReplayTransport (matching on the request, SSE in several reads) gives the same results.

Without ``GENAI_WIRE_DIR`` (a fresh clone) every test here is skipped.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import pytest
import wire
from harness.flavors import SYNC, Flavor, each_flavor

import genai_baseten
from genai_core import httprecord
from genai_core.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    GenAIError,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from genai_core.openai_chat.stream import ChatStreamAssembler
from genai_core.openai_chat.stream_core import ChatStreamCore as StreamCore
from genai_core.types import FinishReason, Message, Model, Reply, Result, ToolCallResult

WIRE = wire.wire_dir()
CASES = wire.load_cases(WIRE) if WIRE is not None else []

pytestmark = [pytest.mark.wire, pytest.mark.skipif(WIRE is None, reason=wire.SKIP_REASON)]


def _params(items: Iterable[Any], id_of: Callable[[Any], str]) -> list[Any]:
    if WIRE is None:
        # One placeholder, so each test shows up once as skipped with the reason above.
        return [pytest.param(None, id="no-recordings")]
    return [pytest.param(item, id=id_of(item)) for item in items]


def _stream_chunks(case: wire.Case) -> int | None:
    diag = case.expected.get("stream")
    return diag.get("chunks") if isinstance(diag, dict) else None


ALL = _params(CASES, lambda c: c.id)
WITH_CHUNK_COUNT = _params([c for c in CASES if _stream_chunks(c) is not None], lambda c: c.id)
ROUND_TRIPS = _params(wire.tool_round_trips(WIRE) if WIRE is not None else [], lambda r: r.id)

# The error class a status must raise, from the design contract (not from the library's table).
ERROR_CLASSES: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    429: RateLimitError,
}
# EXPECTED usage key -> Usage attribute.
USAGE_FIELDS = {
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "total_tokens": "total_tokens",
    "cached_tokens": "input_cached_tokens",
    "reasoning_tokens": "reasoning_tokens",
}


def test_recordings_found() -> None:
    assert CASES, f"{wire.ENV_VAR}={WIRE} holds no <provider>/EXPECTED.json"


# --- running a recorded call through the client -----------------------------------------------


@dataclass
class Outcome:
    """What one call gave: a Result, a model list, or an error; for streams, every route."""

    result: Result | None = None
    models: list[Model] | None = None
    error: GenAIError | None = None
    """Raised by the call, or by iterating the stream."""
    fragments: list[Reply] = field(default_factory=list)
    finals: list[Result | GenAIError] = field(default_factory=list)
    """For streams: what each way of asking for the Result afterwards returned or raised."""


def _call_for(it: wire.Interaction) -> wire.NeutralCall | None:
    # The replay tests check what comes back, not what is sent: keys the neutral API cannot
    # express are test_request's business, so they are dropped here.
    return None if it.is_list_models else wire.call_from_request(it.request_body, strict=False)


def _client_kw(it: wire.Interaction, call: wire.NeutralCall | None) -> dict[str, Any]:
    return {
        "model": call.model if call is not None else None,
        "api_key": wire.API_KEY,
        "base_url": it.base_url,
        "max_retries": 0,  # the recording holds one answer; a retry would get it again
    }


def _settle(get: Callable[[], Result]) -> Result | GenAIError:
    try:
        return get()
    except GenAIError as exc:
        return exc


async def run(
    flavor: Flavor,
    it: wire.Interaction,
    call: wire.NeutralCall | None,
    seen: list[httpx.Request],
    transport: Any = None,
) -> Outcome:
    out = Outcome()
    http = flavor.http_client(transport=transport or wire.mock_transport(it, seen))
    client = flavor.pick(genai_baseten.Client, genai_baseten.AsyncClient)(
        http_client=http, **_client_kw(it, call)
    )
    try:
        if call is None:
            out.models = await flavor.list_models(client)
        elif not call.stream:
            out.result = await flavor.gen_sync(client, call.messages, *call.option_args)
        else:
            stream = client.gen_stream(call.messages, *call.option_args)
            try:
                async with flavor.opened(stream) as s:
                    await flavor.drain(s, out.fragments)
            finally:
                out.finals.append(_settle(stream.result))
                if flavor.is_async:  # the async stream has a second way: await aresult()
                    try:
                        out.finals.append(await flavor.result(stream))
                    except GenAIError as exc:
                        out.finals.append(exc)
    except GenAIError as exc:
        out.error = exc
    finally:
        await flavor.close(http)
    return out


def run_sync(
    it: wire.Interaction,
    call: wire.NeutralCall | None,
    seen: list[httpx.Request],
    transport: Any = None,
) -> Outcome:
    """:func:`run` with the sync client, from a plain test."""
    return SYNC.run(lambda: run(SYNC, it, call, seen, transport))


# --- what a correct client extracts ------------------------------------------------------------


def check(case: wire.Case, it: wire.Interaction, out: Outcome) -> None:
    exp = case.expected
    if "http_status" in exp:
        assert it.status == exp["http_status"], "EXPECTED and the recording disagree"
    if exp.get("error"):
        check_error(exp["error"], it, out)
    elif exp.get("models") is not None:
        assert out.error is None, f"unexpected error: {out.error}"
        assert out.models is not None
        assert [m.id for m in out.models] == exp["models"]
    else:
        assert out.error is None, f"unexpected error: {out.error}"
        check_result(exp, it, _final_result(it, out))


def _final_result(it: wire.Interaction, out: Outcome) -> Result:
    if not it.is_stream:
        assert out.result is not None
        return out.result
    assert out.finals, "stream.result() was not reached"
    first = out.finals[0]
    assert isinstance(first, Result), f"stream.result() raised {first!r}"
    assert all(r == first for r in out.finals), "result() and aresult() disagree"
    # The fragments, put together, are the Result.
    assert "".join(f.text for f in out.fragments) == first.text
    assert "".join(f.reasoning for f in out.fragments) == first.reasoning
    assert [f.tool_call for f in out.fragments if f.tool_call is not None] == first.tool_calls
    return first


def check_result(exp: Any, it: wire.Interaction, result: Result) -> None:
    assert result.text == exp["text"]
    assert result.reasoning == (exp.get("reasoning") or "")
    calls = [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in result.tool_calls]
    assert calls == exp.get("tool_calls", [])
    usage = exp.get("usage") or {}
    got = {key: getattr(result.usage, attr) for key, attr in USAGE_FIELDS.items()}
    assert got == {key: usage.get(key, 0) for key in USAGE_FIELDS}
    raw = exp.get("finish_reason")
    assert result.raw_finish_reason == raw
    if raw is None:
        assert result.usage.finish_reason is None
    else:
        normalised = "tool_calls" if raw == "stop" and result.tool_calls else raw
        assert result.usage.finish_reason == FinishReason(normalised)
        assert isinstance(result.usage.finish_reason, FinishReason)
    assert len(result.logprobs) == exp.get("logprobs_count", 0)
    request_id = it.header("X-Baseten-Request-Id")
    if request_id is not None:
        assert result.request_id == request_id


def check_error(exp: Any, it: wire.Interaction, out: Outcome) -> None:
    err = out.error
    status = exp["status"]
    want = ERROR_CLASSES.get(status, ServerError if status >= 500 else APIError)
    assert isinstance(err, want), f"HTTP {status} must raise {want.__name__}, got {err!r}"
    assert err.status_code == status
    assert exp["message_contains"] in err.message
    assert exp["message_contains"] in str(err)
    request_id = it.header("X-Baseten-Request-Id")
    if request_id is not None:
        assert err.request_id == request_id
    assert out.result is None
    assert out.models is None
    if it.is_stream:
        # Iterating raised it; every way of asking for the Result raises it again.
        assert out.finals
        assert all(final is err for final in out.finals), out.finals


@each_flavor
@pytest.mark.parametrize("case", ALL)
async def test_replay(case: wire.Case, flavor: Flavor) -> None:
    it = case.interaction()
    seen: list[httpx.Request] = []
    out = await run(flavor, it, _call_for(it), seen)
    assert len(seen) == 1
    check(case, it, out)


def _body_up_to_schema_name(sent: Any, recorded: Any) -> None:
    """httprecord's JSON body matcher, with the documented schema-name difference put aside."""
    a, b = (json.loads(r.body) if r.body.strip() else None for r in (sent, recorded))
    if a is not None and b is not None:
        a = _schema_name_aside(a, b)
    if a != b:
        raise AssertionError("JSON bodies differ")


def _recording(case: wire.Case) -> httprecord.Cassette:
    """The recording file as httprecord reads it (never copied: read where it lies)."""
    matchers = (httprecord.match_method, httprecord.match_url, _body_up_to_schema_name)
    cassette = httprecord.Cassette.load(case.root / case.key, match_on=matchers)
    assert len(cassette.interactions) == 1
    return cassette


@each_flavor
@pytest.mark.parametrize("case", ALL)
async def test_httprecord_replay(case: wire.Case, flavor: Flavor) -> None:
    it = case.interaction()
    cassette = _recording(case)
    # The async client reads the body cut at seeded byte offsets; the sync one event by event.
    split: Literal["bytes", "events"] = "bytes" if flavor.is_async else "events"
    transport = httprecord.ReplayTransport(cassette, split=split, seed=len(case.key))
    out = await run(flavor, it, _call_for(it), [], transport)
    # The request matched the recording (method, URL, JSON body), and was served once.
    assert cassette.unplayed == []
    check(case, it, out)


@pytest.mark.parametrize("case", ALL)
def test_httprecord_recorder_replay(case: wire.Case) -> None:
    """The vcrpy-backed Recorder replays the recording too (and, replaying, never writes it)."""
    from genai_core.httprecord import Recorder

    it = case.interaction()
    path = case.root / case.key
    matchers = (httprecord.match_method, httprecord.match_url, _body_up_to_schema_name)
    before = path.read_bytes()
    with Recorder(path, mode="replay", strict=True, match_on=matchers) as rec:
        out = run_sync(it, _call_for(it), [], rec.transport())
    assert rec.served == [0]
    check(case, it, out)
    assert path.read_bytes() == before


@pytest.mark.parametrize("case", WITH_CHUNK_COUNT)
def test_stream_chunks(case: wire.Case) -> None:
    """The stream core sees every JSON chunk, however the body is cut."""
    it = case.interaction()
    assert it.is_stream
    assert it.status == 200
    for size in (len(it.body), 1024, 61):
        assembler = ChatStreamAssembler(provider="baseten")
        core = StreamCore(assembler)
        fragments = [f for piece in wire.pieces(it.body, size) for f in core.feed(piece)]
        fragments.extend(core.finish())
        assert assembler.chunks == _stream_chunks(case), f"pieces of {size} bytes"
        assert "".join(f.text for f in fragments) == case.expected["text"], size
        assert core.result().text == case.expected["text"], size


# --- what the client sends ---------------------------------------------------------------------


def _media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def _schema_name_aside(sent: Any, recorded: Any) -> Any:
    """``sent`` with the one documented difference from the recordings put aside.

    The Go client sent ``response_format.json_schema.name == ""``, which Baseten rejects with
    400 (see the JSONSchema recordings); ours must send a non-empty name. Everything else of the
    schema request must match.
    """
    rec = (recorded.get("response_format") or {}).get("json_schema")
    if not (isinstance(rec, dict) and rec.get("name") == ""):
        return sent
    name = ((sent.get("response_format") or {}).get("json_schema") or {}).get("name")
    assert isinstance(name, str) and name, f"json_schema.name must be non-empty, got {name!r}"
    sent = copy.deepcopy(sent)
    sent["response_format"]["json_schema"]["name"] = ""
    return sent


def assert_sends(sent: httpx.Request, it: wire.Interaction) -> None:
    """``sent`` is the recorded request, up to the headers the recorder stripped."""
    assert sent.method == it.method
    assert str(sent.url) == it.url
    assert sent.headers.get("authorization") == f"Api-Key {wire.API_KEY}"
    recorded = it.request_json
    if recorded is None:
        assert sent.content == b""
        return
    assert _media_type(sent.headers.get("content-type")) == "application/json"
    body = json.loads(sent.content)
    assert _schema_name_aside(body, recorded) == recorded
    # Tool-call arguments go back byte for byte: the JSON string literal is in the raw body as
    # it is in the recording (the Go encoder escapes <, >, & and U+2028/9; ours need not).
    for msg in recorded.get("messages") or ():
        for call in msg.get("tool_calls") or () if isinstance(msg, dict) else ():
            args = call["function"]["arguments"]
            literal = json.dumps(args, ensure_ascii=False)
            assert literal.encode() in sent.content, f"arguments {literal} not echoed verbatim"
            if not any(c in args for c in "<>&\u2028\u2029"):
                assert literal in it.request_body


@pytest.mark.parametrize("case", ALL)
def test_request(case: wire.Case) -> None:
    it = case.interaction()
    call = None if it.is_list_models else wire.call_from_request(it.request_body)
    seen: list[httpx.Request] = []
    run_sync(it, call, seen)
    assert len(seen) == 1
    assert_sends(seen[0], it)


@pytest.mark.parametrize("trip", ROUND_TRIPS)
def test_tool_round_trip(trip: wire.RoundTrip) -> None:
    """Turn 2 is built from turn 1's Result itself, and is the recorded turn-2 request."""
    first, second = wire.load_interaction(trip.first), wire.load_interaction(trip.second)
    call1 = wire.call_from_request(first.request_body)
    # Turn 2's options (same tools, tool_choice "none") are the recorded ones; its messages are
    # what this test builds.
    call2 = wire.call_from_request(second.request_body)
    out = run_sync(first, call1, [])
    assert out.error is None, f"turn 1 failed: {out.error}"
    result = _final_result(first, out)
    assert result.tool_calls, "turn 1 asked for no tool call"
    outputs = {
        m["tool_call_id"]: m["content"]
        for m in second.request_json["messages"]
        if m.get("role") == "tool"
    }
    answers = []
    for call in result.tool_calls:
        assert call.id in outputs, f"turn 2 has no tool result for call {call.id}"
        answers.append(ToolCallResult(id=call.id, name=call.name, result=outputs[call.id]))
    messages = [*call1.messages, result, Message.tool_results(*answers)]
    seen: list[httpx.Request] = []
    run_sync(second, call2._replace(messages=messages), seen)
    assert len(seen) == 1
    assert_sends(seen[0], second)
