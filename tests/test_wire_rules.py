"""One small synthetic case per wire rule and quirk of ``shared/wire/README.md``.

Every chunk and body here is written by hand in the shape the README describes; nothing is copied
from the recordings. The sans-IO layer is driven directly (StreamCore / ChatStreamAssembler,
parse_chat_response, parse_error_body / api_error, parse_models, build_chat_body); only the
client-level error and model-list cases go through an ``httpx.MockTransport``.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

import httpx
import pytest
from harness import bodies
from harness.bodies import DONE, event
from harness.flavors import SYNC
from harness.scripted import ScriptedServer, json_answer, sse_answer
from hypothesis import given, settings
from hypothesis import strategies as st

import genai_baseten
from genai_core.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    IncompleteStreamError,
    MalformedResponseError,
    ServerError,
    StreamError,
)
from genai_core.openai_chat.error_body import api_error, parse_error_body
from genai_core.openai_chat.models import parse_models
from genai_core.openai_chat.request import ChatDialect, build_chat_body
from genai_core.openai_chat.response import parse_chat_response
from genai_core.openai_chat.stream import ChatStreamAssembler
from genai_core.openai_chat.stream_core import ChatStreamCore as StreamCore
from genai_core.options import GenOption, TextOptions
from genai_core.tools import ToolDef
from genai_core.types import (
    FinishReason,
    Message,
    Reply,
    Result,
    ToolCall,
    ToolCallResult,
)

# --- tiny builders ------------------------------------------------------------------------------

_ABSENT = bodies.ABSENT
"""Marks a key that is left out of the JSON (as opposed to an explicit null)."""

ID = "chatcmpl-synthetic-1"
MODEL = "acme/test-model"
tc = bodies.tool_call_delta


def usage(prompt: int, completion: int, *, cached: Any = 0, reasoning: Any = 0) -> dict[str, Any]:
    """A cumulative OpenAI usage snapshot with its details; None gives null details."""
    return bodies.usage(prompt, completion, cached=cached, reasoning=reasoning)


def chunk_obj(
    delta: dict[str, Any] | None = None,
    *,
    choices: Any = _ABSENT,
    **kw: Any,
) -> dict[str, Any]:
    """A ``chat.completion.chunk`` object with one choice (or the given ``choices``); the other
    arguments are :func:`harness.bodies.chunk`'s."""
    kw = {"id": ID, "model": MODEL, "created": 1700000000, **kw}
    if choices is not _ABSENT:
        return bodies.chunk(None, choices=choices, **kw)
    return bodies.chunk(delta or {}, **kw)


def chunk(delta: dict[str, Any] | None = None, **kw: Any) -> bytes:
    """One SSE event carrying one chunk; see :func:`chunk_obj` for the arguments."""
    return event(chunk_obj(delta, **kw))


def usage_only(u: dict[str, Any]) -> bytes:
    """The usage-only chunk servers send last: ``"choices": []``."""
    return chunk(choices=[], usage=u)


def new_core() -> StreamCore:
    return StreamCore(ChatStreamAssembler(provider="test", request_id="req-1"))


def run_stream(*pieces: bytes) -> tuple[list[Reply], Result]:
    """Feed ``pieces`` to a fresh StreamCore, then EOF; the fragments and the Result."""
    core = new_core()
    frags: list[Reply] = []
    for p in pieces:
        frags.extend(core.feed(p))
    frags.extend(core.finish())
    return frags, core.result()


def calls(result: Result) -> list[tuple[str, str, str]]:
    return [(c.id, c.name, c.arguments) for c in result.tool_calls]


def usage_tuple(result: Result) -> tuple[int, int, int, int, int]:
    u = result.usage
    return (
        u.input_tokens,
        u.output_tokens,
        u.total_tokens,
        u.input_cached_tokens,
        u.reasoning_tokens,
    )


def completion_body(
    message: dict[str, Any],
    *,
    finish: Any = "stop",
    usage_raw: Any = _ABSENT,
    choice_extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A non-streamed ``chat.completion`` body with one choice."""
    return bodies.completion(
        message=message,
        finish=finish,
        usage=usage(12, 5) if usage_raw is _ABSENT else usage_raw,
        choice_extra=choice_extra,
        id=ID,
        model=MODEL,
        created=1700000000,
    )


def parse(body: dict[str, Any]) -> Result:
    return parse_chat_response(body, provider="test", request_id="req-1")


DIALECT = ChatDialect(provider="test")


def wire(
    messages: Sequence[Message], opts: TextOptions | None = None, *, stream: bool = False
) -> Any:
    return build_chat_body("acme/m", messages, opts, DIALECT, stream=stream)


KEY = "bt-secret-key-0123456789abcdef"


def baseten_body(
    messages: Sequence[Message], *options: GenOption, stream: bool = False
) -> dict[str, Any]:
    """The body the Baseten client sends (to a scripted server answering "ok")."""
    answer = (
        sse_answer(bodies.text_stream("ok"))
        if stream
        else json_answer(200, bodies.completion("ok"))
    )
    server = ScriptedServer(answer)
    with SYNC.mock_client(server, model="acme/m", api_key=KEY) as client:
        if stream:
            with client.gen_stream(messages, *options) as s:
                s.result()
        else:
            client.gen_sync(messages, *options)
    return server.bodies[0]


def mock_client(handler: Callable[[httpx.Request], httpx.Response]) -> genai_baseten.Client:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return genai_baseten.Client(model="acme/m", api_key=KEY, http_client=http, max_retries=0)


# --- stream: usage ------------------------------------------------------------------------------


def test_stream_usage_is_last_nonzero_snapshot_not_sum() -> None:
    _, result = run_stream(
        chunk({"role": "assistant", "content": "A"}, usage=usage(10, 1)),
        chunk({"content": "B"}, usage=usage(10, 2)),
        chunk({"content": "C"}, finish="stop", usage=usage(10, 3)),
        usage_only(usage(10, 3, cached=4, reasoning=2)),
        # A zero snapshot after the real one must not win either.
        chunk(choices=[], usage={"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}),
        DONE,
    )
    assert result.text == "ABC"
    assert usage_tuple(result) == (10, 3, 13, 4, 2)


def test_stream_usage_null_or_missing_on_a_chunk_does_not_reset() -> None:
    _, result = run_stream(
        chunk({"role": "assistant", "content": "one"}, usage=usage(8, 1)),
        chunk({"content": " two"}, usage=usage(8, 2)),
        chunk({"content": " three"}, usage=None),  # explicit null
        chunk({"content": "."}, finish="stop"),  # no usage key
    )
    assert result.text == "one two three."
    assert usage_tuple(result) == (8, 2, 10, 0, 0)
    assert result.finish_reason == FinishReason.STOP


def test_stream_choices_empty_usage_only_chunk() -> None:
    frags, result = run_stream(
        chunk({"role": "assistant", "content": "hi"}),
        chunk({}, finish="stop"),
        usage_only(usage(5, 1)),
        DONE,
    )
    assert [f.text for f in frags] == ["hi"]
    assert result.text == "hi"
    assert usage_tuple(result) == (5, 1, 6, 0, 0)


def test_stream_without_any_usage_reports_zero_usage() -> None:
    _, result = run_stream(chunk({"role": "assistant", "content": "x"}, finish="stop"), DONE)
    assert usage_tuple(result) == (0, 0, 0, 0, 0)
    assert result.finish_reason == FinishReason.STOP


# --- stream: tool calls -------------------------------------------------------------------------


def test_stream_tool_calls_same_id_repeated_name_null_gpt_oss_style() -> None:
    _, result = run_stream(
        chunk({"role": "assistant", "content": None}),
        chunk({"tool_calls": [tc(0, id="call_a", name="square_root", args="")]}),
        chunk({"tool_calls": [tc(0, id="call_a", name=None, args='{\n  "number"')]}),
        chunk({"tool_calls": [tc(0, id="call_a", name=None, args=": 121\n}")]}),
        chunk({}, finish="tool_calls"),
        DONE,
    )
    assert calls(result) == [("call_a", "square_root", '{\n  "number": 121\n}')]
    assert result.finish_reason == FinishReason.TOOL_CALLS


def test_stream_tool_call_whole_in_one_fragment_on_role_chunk() -> None:
    _, result = run_stream(
        chunk(
            {
                "role": "assistant",
                "tool_calls": [tc(0, id="call_w", name="square_root", args='{"number": 4}')],
            }
        ),
        chunk({}, finish="tool_calls"),
        DONE,
    )
    assert calls(result) == [("call_w", "square_root", '{"number": 4}')]


def test_stream_tool_calls_glm_style_name_absent_parallel_indexes() -> None:
    _, result = run_stream(
        chunk({"role": "assistant", "tool_calls": [tc(0, id="call_x", name="lookup", args="")]}),
        chunk({"tool_calls": [tc(0, id="call_x", args='{"city": ')]}),
        chunk({"tool_calls": [tc(0, id="call_x", args='"Oslo"}')]}),
        chunk({"tool_calls": [tc(1, id="call_y", name="lookup", args='{"city": ')]}),
        chunk(
            {"tool_calls": [tc(1, id="call_y", args='"Lima"}')]},
            finish="tool_calls",
            choice_extra={"stop_reason": 100007},
        ),
    )
    assert calls(result) == [
        ("call_x", "lookup", '{"city": "Oslo"}'),
        ("call_y", "lookup", '{"city": "Lima"}'),
    ]


def test_stream_tool_calls_merge_by_index_when_ids_differ_per_fragment() -> None:
    # MiniMax (history): a new id on every fragment of one call, index 0, later names "".
    _, result = run_stream(
        chunk({"role": "assistant", "tool_calls": [tc(0, id="mm-1", name="lookup", args="")]}),
        chunk({"tool_calls": [tc(0, id="mm-2", name="", args='{"city":')]}),
        chunk({"tool_calls": [tc(0, id="mm-3", name="", args='"Rome"}')]}),
        chunk({}, finish="tool_calls"),
        DONE,
    )
    assert calls(result) == [("mm-1", "lookup", '{"city":"Rome"}')]


def test_stream_parallel_calls_same_id_different_index() -> None:
    # Kimi (history): two parallel calls share the id, only the index tells them apart.
    same = "functions.pick:0"
    _, result = run_stream(
        chunk({"role": "assistant", "tool_calls": [tc(0, id=same, name="pick", args="")]}),
        chunk({"tool_calls": [tc(0, id=same, args='{"n":"one"}')]}),
        chunk({"tool_calls": [tc(1, id=same, name="pick", args="")]}),
        chunk({"tool_calls": [tc(1, id=same, args='{"n":"two"}')]}),
        chunk({}, finish="tool_calls"),
        DONE,
    )
    assert calls(result) == [(same, "pick", '{"n":"one"}'), (same, "pick", '{"n":"two"}')]
    for call in result.tool_calls:
        json.loads(call.arguments)


def test_stream_tool_calls_yielded_complete_once() -> None:
    frags, _ = run_stream(
        chunk({"role": "assistant", "tool_calls": [tc(0, id="c1", name="f", args='{"a"')]}),
        chunk({"tool_calls": [tc(0, args=": 1}")]}),
        chunk({}, finish="tool_calls"),
        DONE,
    )
    tool_frags = [f.tool_call for f in frags if f.tool_call is not None]
    assert [(c.id, c.name, c.arguments) for c in tool_frags] == [("c1", "f", '{"a": 1}')]


# --- stream: finish reason and end of stream ----------------------------------------------------


def test_stream_finish_reason_chunk_with_content_processes_delta_first() -> None:
    # GLM: the finish reason rides on the chunk with the last content piece.
    frags, result = run_stream(
        chunk({"role": "assistant", "content": "Hello"}),
        chunk(
            {"content": " world"},
            finish="stop",
            choice_extra={"stop_reason": 100003},
            usage=usage(4, 2),
        ),
    )
    assert result.text == "Hello world"
    assert "".join(f.text for f in frags) == "Hello world"
    assert result.finish_reason == FinishReason.STOP
    assert usage_tuple(result) == (4, 2, 6, 0, 0)


def test_stream_finish_reason_chunk_with_last_tool_argument_processes_delta_first() -> None:
    _, result = run_stream(
        chunk({"role": "assistant", "tool_calls": [tc(0, id="c9", name="f", args='{"k": ')]}),
        chunk({"tool_calls": [tc(0, args="7}")]}, finish="tool_calls"),
    )
    assert calls(result) == [("c9", "f", '{"k": 7}')]
    assert result.finish_reason == FinishReason.TOOL_CALLS


def test_stream_finish_reason_is_last_non_null() -> None:
    _, result = run_stream(
        chunk({"role": "assistant", "content": "a"}, finish=None),
        chunk({"content": "b"}, finish="length"),
        chunk(choices=[{"index": 0, "delta": {}, "finish_reason": None}]),
        DONE,
    )
    assert result.finish_reason == FinishReason.LENGTH
    assert result.raw_finish_reason == "length"


@pytest.mark.parametrize("last_terminated", [True, False], ids=["blank-line", "cut"])
def test_stream_eof_without_done_is_clean_end(last_terminated: bool) -> None:
    last = chunk({"content": "!"}, finish="stop", usage=usage(3, 2))
    if not last_terminated:
        last = last.rstrip(b"\n")
    core = new_core()
    frags = core.feed(chunk({"role": "assistant", "content": "Hi"}, usage=usage(3, 1)))
    frags += core.feed(last)
    frags += core.finish()
    result = core.result()
    assert core.done
    assert result.text == "Hi!"
    assert result.finish_reason == FinishReason.STOP
    assert usage_tuple(result) == (3, 2, 5, 0, 0)


def test_stream_no_finish_reason_reports_none() -> None:
    # History GLM-5 streams: no finish reason at all, but the stream ends with [DONE].
    _, result = run_stream(
        chunk({"role": "assistant", "content": '{"a": 1}'}, usage=usage(2, 3)),
        DONE,
    )
    assert result.text == '{"a": 1}'
    assert result.finish_reason is None
    assert result.raw_finish_reason is None


def test_stream_without_any_end_marker_is_flagged_not_failed() -> None:
    # The history GLM-5 JSON streams carry no finish reason; if a server also leaves out
    # [DONE], the answer is handed over (unknown finish reason) with the truncation flag.
    _, result = run_stream(chunk({"role": "assistant", "content": '{"a": 1}'}, usage=usage(2, 3)))
    assert result.text == '{"a": 1}'
    assert result.finish_reason is None
    assert result.maybe_truncated is True
    # One end marker is enough to say the answer is whole.
    _, result = run_stream(chunk({"role": "assistant", "content": "x"}), DONE)
    assert result.maybe_truncated is False
    _, result = run_stream(chunk({"role": "assistant", "content": "x"}, finish="stop"))
    assert result.maybe_truncated is False
    # A flag on the answer, not part of the conversation sent back.
    assert "maybe_truncated" not in result.model_dump()


def test_stream_cut_inside_a_tool_call_raises_with_the_partial_call() -> None:
    core = new_core()
    core.feed(chunk({"role": "assistant", "tool_calls": [tc(0, id="c1", name="f", args='{"x": ')]}))
    with pytest.raises(IncompleteStreamError, match="tool call") as info:
        core.finish()
    err = core.fail(info.value)
    assert err.partial_result is not None
    assert calls(err.partial_result) == [("c1", "f", '{"x": ')]
    # Whole arguments at EOF: the call is complete JSON, handed over with the flag.
    core = new_core()
    whole = tc(0, id="c1", name="f", args='{"x": 1}')
    core.feed(chunk({"role": "assistant", "tool_calls": [whole]}))
    core.finish()
    assert calls(core.result()) == [("c1", "f", '{"x": 1}')]
    assert core.result().maybe_truncated is True


def test_stream_unknown_finish_reason_kept_verbatim() -> None:
    _, result = run_stream(chunk({"role": "assistant", "content": "x"}, finish="eos_token"), DONE)
    assert result.finish_reason == "eos_token"
    assert result.finish_reason is not None
    assert not result.finish_reason.is_known
    assert result.raw_finish_reason == "eos_token"


def test_stream_stop_with_tool_calls_reported_as_tool_calls() -> None:
    _, result = run_stream(
        chunk({"role": "assistant", "tool_calls": [tc(0, id="c", name="f", args="{}")]}),
        chunk({}, finish="stop"),
        DONE,
    )
    assert result.finish_reason == FinishReason.TOOL_CALLS
    assert result.raw_finish_reason == "stop"


def test_stream_events_after_done_are_ignored() -> None:
    asm = ChatStreamAssembler(provider="test")
    assert [f.text for f in asm.feed(json.dumps(chunk_obj({"content": "a"})))] == ["a"]
    assert asm.feed("[DONE]") == []
    assert asm.done
    assert asm.feed(json.dumps(chunk_obj({"content": "late"}))) == []
    assert asm.end() == []
    assert asm.result().text == "a"


def test_stream_comment_lines_ignored() -> None:
    _, result = run_stream(
        b": keep-alive\n\n",
        chunk({"role": "assistant", "content": "ok"}),
        b": ping\n\n",
        chunk({}, finish="stop"),
        DONE,
    )
    assert result.text == "ok"


def test_stream_id_and_model_constant_created_changes() -> None:
    _, result = run_stream(
        chunk({"role": "assistant", "content": "a"}, created=1700000001),
        chunk({"content": "b"}, finish="stop", created=1700000002),
        DONE,
    )
    assert result.id == ID
    assert result.model == MODEL
    assert result.request_id == "req-1"


# --- stream: role, nulls, empties, reasoning ----------------------------------------------------


@pytest.mark.parametrize(
    "later_role",
    [None, _ABSENT, "assistant"],
    ids=["role-null", "role-absent", "role-repeated"],
)
def test_stream_role_null_absent_repeated_ok(later_role: Any) -> None:
    def delta(content: str) -> dict[str, Any]:
        d: dict[str, Any] = {"content": content}
        if later_role is not _ABSENT:
            d["role"] = later_role
        return d

    _, result = run_stream(
        chunk({"role": "assistant", "content": "a"}),
        chunk(delta("b")),
        chunk(delta("c"), finish="stop"),
        DONE,
    )
    assert result.text == "abc"


@pytest.mark.parametrize("role", ["user", "tool", "system"])
def test_stream_other_role_raises_stream_error(role: str) -> None:
    core = new_core()
    core.feed(chunk({"role": "assistant", "content": "a"}))
    with pytest.raises(StreamError) as ei:
        core.feed(chunk({"role": role, "content": "b"}))
    assert role in ei.value.message
    assert ei.value.status_code == 200


def test_stream_explicit_nulls_tolerated() -> None:
    nulls = {"content": None, "tool_calls": None, "function_call": None, "refusal": None}
    top = {"service_tier": None, "system_fingerprint": None}
    _, result = run_stream(
        chunk({"role": "assistant", **nulls, "reasoning_content": "think"}, **top),
        chunk({"role": None, **nulls, "content": "done"}, **top, usage=usage(1, 2)),
        chunk({"role": None, **nulls}, finish="stop", logprobs=None, **top),
        DONE,
    )
    assert result.reasoning == "think"
    assert result.text == "done"
    assert result.tool_calls == []
    assert result.finish_reason == FinishReason.STOP


def test_stream_empty_tool_calls_list_and_empty_content_strings() -> None:
    # History: "tool_calls": [] on every chunk and "content": "" pieces.
    frags, result = run_stream(
        chunk({"role": "assistant", "content": "", "tool_calls": []}),
        chunk({"role": "assistant", "content": "x", "tool_calls": []}),
        chunk({"role": "assistant", "content": "", "tool_calls": []}),
        chunk({"role": "assistant", "content": "", "tool_calls": []}, finish="stop"),
        DONE,
    )
    assert [f.text for f in frags] == ["x"]
    assert result.text == "x"
    assert result.tool_calls == []
    assert result.finish_reason == FinishReason.STOP


def test_stream_reasoning_content_or_reasoning_never_both() -> None:
    frags, result = run_stream(
        chunk({"role": "assistant", "reasoning_content": "one "}),
        chunk({"reasoning": "two "}),
        chunk({"reasoning": "three", "reasoning_content": "three"}),  # both: counted once
        chunk({"reasoning": None, "reasoning_content": None, "content": "ans"}),
        chunk({}, finish="stop"),
        DONE,
    )
    assert result.reasoning == "one two three"
    assert result.text == "ans"
    assert [f.reasoning for f in frags if f.reasoning] == ["one ", "two ", "three"]


def test_stream_content_as_parts_list() -> None:
    _, result = run_stream(
        chunk({"role": "assistant", "content": [{"type": "text", "text": "par"}]}),
        chunk({"content": [{"type": "text", "text": "ts"}]}, finish="stop"),
        DONE,
    )
    assert result.text == "parts"


def test_stream_replies_are_blocks_in_order() -> None:
    _, result = run_stream(
        chunk({"role": "assistant", "reasoning_content": "r1"}),
        chunk({"reasoning_content": "r2"}),
        chunk({"content": "t1"}),
        chunk({"content": "t2"}),
        chunk({"tool_calls": [tc(0, id="c", name="f", args="{}")]}),
        chunk({}, finish="tool_calls"),
        DONE,
    )
    assert [(r.kind, r.reasoning or r.text) for r in result.replies[:2]] == [
        ("reasoning", "r1r2"),
        ("text", "t1t2"),
    ]
    assert [r.kind for r in result.replies] == ["reasoning", "text", "tool_call"]


# --- stream: errors -----------------------------------------------------------------------------


def test_stream_error_event_raises_with_partial_result() -> None:
    core = new_core()
    frags = core.feed(chunk({"role": "assistant", "content": "Hel"}, usage=usage(6, 1)))
    frags += core.feed(chunk({"content": "lo"}, usage=usage(6, 2)))
    assert "".join(f.text for f in frags) == "Hello"
    error = {"error": {"message": "upstream overloaded", "type": "server_error", "code": 503}}
    with pytest.raises(StreamError) as ei:
        core.feed(event(error))
    err = core.fail(ei.value)
    assert err is ei.value
    assert ei.value.message == "upstream overloaded"
    assert ei.value.status_code == 200
    assert ei.value.request_id == "req-1"
    partial = err.partial_result
    assert partial is not None
    assert partial.text == "Hello"
    assert usage_tuple(partial) == (6, 2, 8, 0, 0)


def test_stream_error_event_with_string_error() -> None:
    core = new_core()
    core.feed(chunk({"role": "assistant", "content": "a"}))
    with pytest.raises(StreamError, match="model crashed"):
        core.feed(event({"error": "model crashed"}))


def test_stream_partial_result_keeps_cut_tool_call() -> None:
    core = new_core()
    core.feed(chunk({"role": "assistant", "tool_calls": [tc(0, id="c", name="f", args='{"a":')]}))
    with pytest.raises(StreamError) as ei:
        core.feed(event({"error": {"message": "boom"}}))
    partial = core.fail(ei.value).partial_result
    assert partial is not None
    assert [(c.id, c.name) for c in partial.tool_calls] == [("c", "f")]


@pytest.mark.parametrize(
    "data",
    ['{"id": "x", "choices": [{"delta": {"content": "cut', "not json at all", "[1, 2]", '"str"'],
    ids=["truncated", "garbage", "array", "string"],
)
def test_stream_malformed_chunk_raises_apierror_quoting_it(data: str) -> None:
    core = new_core()
    core.feed(chunk({"role": "assistant", "content": "a"}))
    with pytest.raises(APIError) as ei:
        core.feed(b"data: " + data.encode() + b"\n\n")
    assert isinstance(ei.value, StreamError)
    assert data in ei.value.message
    assert core.fail(ei.value).partial_result is not None


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param({"choices": [1]}, id="choice-not-object"),
        pytest.param({"choices": [{"index": 0, "delta": "x"}]}, id="delta-string"),
        pytest.param({"choices": [], "usage": 5}, id="usage-number"),
        pytest.param(
            {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": "f"}]}}]},
            id="function-string",
        ),
        pytest.param(
            {"choices": [{"index": 0, "delta": {"reasoning_content": 5}}]},
            id="reasoning-number",
        ),
    ],
)
def test_stream_structurally_malformed_chunk_raises_stream_error(obj: dict[str, Any]) -> None:
    # Valid JSON, wrong structure: still "a chunk the protocol does not allow" (StreamError),
    # so the stream can attach the partial result instead of leaking a bare Python error.
    core = new_core()
    core.feed(chunk({"role": "assistant", "content": "a"}))
    with pytest.raises(StreamError):
        core.feed(event(obj))
        core.finish()
        core.result()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"choices": [{"index": 0, "message": "x"}]}, id="message-string"),
        pytest.param(
            {"choices": [{"index": 0, "message": {"content": "a"}}], "usage": 3},
            id="usage-number",
        ),
    ],
)
def test_sync_structurally_malformed_body_raises_malformed_response(body: dict[str, Any]) -> None:
    with pytest.raises(MalformedResponseError):
        parse(body)


def test_stream_chunk_with_two_choices_raises() -> None:
    two = [{"index": 0, "delta": {"content": "a"}}, {"index": 1, "delta": {"content": "b"}}]
    with pytest.raises(StreamError, match="one choice"):
        run_stream(chunk(choices=two))


# --- stream: any split of the bytes gives the same answer ---------------------------------------

SPLIT_EVENTS: list[bytes] = [
    b": comment\n\n",
    chunk({"role": "assistant", "content": None, "reasoning_content": "Caf"}, usage=usage(7, 1)),
    chunk({"role": None, "reasoning_content": "é ☕ "}, usage=usage(7, 2)),
    chunk({"role": None, "reasoning_content": "thinking…"}, usage=usage(7, 3)),
    chunk({"content": "日本"}, usage=None),
    chunk({"content": "語 🙂"}),
    chunk({"content": " done"}, usage=usage(7, 6)),
    chunk({"tool_calls": [tc(0, id="call_1", name="lookup", args='{"q": ')]}, usage=usage(7, 7)),
    chunk({"tool_calls": [tc(0, id="call_1", name=None, args='"naïve"}')]}, usage=usage(7, 8)),
    chunk({}, finish="tool_calls", usage=usage(7, 9)),
    usage_only(usage(7, 9, cached=3, reasoning=4)),
    DONE,
]
STREAM_LF = b"".join(SPLIT_EVENTS)
STREAM_CRLF = STREAM_LF.replace(b"\n", b"\r\n")


def merged(frags: Iterable[Reply]) -> list[tuple[str, Any]]:
    """Fragments with consecutive text (or reasoning) pieces joined."""
    out: list[tuple[str, Any]] = []
    for f in frags:
        if f.text or f.reasoning:
            kind, value = ("text", f.text) if f.text else ("reasoning", f.reasoning)
            if out and out[-1][0] == kind:
                out[-1] = (kind, out[-1][1] + value)
            else:
                out.append((kind, value))
        else:
            assert f.tool_call is not None
            call = f.tool_call
            out.append(("tool_call", (call.id, call.name, call.arguments)))
    return out


def feed_split(data: bytes, cuts: Iterable[int]) -> tuple[list[tuple[str, Any]], dict[str, Any]]:
    points = sorted({c for c in cuts if 0 < c < len(data)})
    bounds = [0, *points, len(data)]
    core = new_core()
    frags: list[Reply] = []
    for a, b in itertools.pairwise(bounds):
        frags.extend(core.feed(data[a:b]))
    frags.extend(core.finish())
    return merged(frags), core.result().model_dump()


EXPECTED_SPLIT_FRAGMENTS = [
    ("reasoning", "Café ☕ thinking…"),
    ("text", "日本語 🙂 done"),
    ("tool_call", ("call_1", "lookup", '{"q": "naïve"}')),
]


@pytest.mark.parametrize("data", [STREAM_LF, STREAM_CRLF], ids=["LF", "CRLF"])
def test_stream_whole_feed_gives_expected_answer(data: bytes) -> None:
    frags, dumped = feed_split(data, [])
    assert frags == EXPECTED_SPLIT_FRAGMENTS
    result = Result.model_validate(dumped)
    assert result.reasoning == "Café ☕ thinking…"
    assert result.text == "日本語 🙂 done"
    assert calls(result) == [("call_1", "lookup", '{"q": "naïve"}')]
    assert result.finish_reason == FinishReason.TOOL_CALLS
    assert usage_tuple(result) == (7, 9, 16, 3, 4)


@pytest.mark.parametrize("data", [STREAM_LF, STREAM_CRLF], ids=["LF", "CRLF"])
def test_stream_one_byte_at_a_time_same_as_whole(data: bytes) -> None:
    assert feed_split(data, range(len(data))) == feed_split(data, [])


@pytest.mark.parametrize("data", [STREAM_LF, STREAM_CRLF], ids=["LF", "CRLF"])
def test_stream_every_single_split_point_same_as_whole(data: bytes) -> None:
    whole = feed_split(data, [])
    for cut in range(1, len(data)):
        assert feed_split(data, [cut]) == whole, cut


@settings(max_examples=200, deadline=None)
@given(
    crlf=st.booleans(),
    cuts=st.lists(st.integers(min_value=1, max_value=len(STREAM_CRLF) - 1), max_size=40),
)
def test_stream_random_splits_same_as_whole(crlf: bool, cuts: list[int]) -> None:
    data = STREAM_CRLF if crlf else STREAM_LF
    assert feed_split(data, cuts) == feed_split(data, [])


@pytest.mark.parametrize("offset", [1, 2, 3])
def test_stream_multibyte_character_split_across_feeds(offset: int) -> None:
    data = chunk({"role": "assistant", "content": "a🙂b"}) + chunk({}, finish="stop") + DONE
    emoji = "🙂".encode()
    at = data.index(emoji) + offset
    core = new_core()
    assert core.feed(data[:at]) == []
    frags = core.feed(data[at:]) + core.finish()
    assert [f.text for f in frags] == ["a🙂b"]
    assert core.result().text == "a🙂b"


# --- sync responses -----------------------------------------------------------------------------


def test_sync_content_absent_is_empty_text() -> None:
    result = parse(
        completion_body({"role": "assistant", "reasoning_content": "only thought"}, finish="length")
    )
    assert result.text == ""
    assert result.reasoning == "only thought"
    assert [r.kind for r in result.replies] == ["reasoning"]
    assert result.finish_reason == FinishReason.LENGTH


def test_sync_content_null_is_empty_text() -> None:
    result = parse(completion_body({"role": "assistant", "content": None}))
    assert result.text == ""
    assert result.replies == []


def test_sync_content_as_parts_array() -> None:
    content = [{"type": "text", "text": "Hello, "}, {"type": "text", "text": "there"}]
    result = parse(completion_body({"role": "assistant", "content": content}))
    assert result.text == "Hello, there"


def test_sync_reasoning_both_fields_identical_not_concatenated() -> None:
    msg = {
        "role": "assistant",
        "content": "42",
        "reasoning": "compute it",
        "reasoning_content": "compute it",
    }
    result = parse(completion_body(msg))
    assert result.reasoning == "compute it"
    assert result.text == "42"


@pytest.mark.parametrize("field", ["reasoning", "reasoning_content"])
def test_sync_reasoning_from_either_field(field: str) -> None:
    result = parse(completion_body({"role": "assistant", field: "why", "content": "ok"}))
    assert result.reasoning == "why"


def test_sync_reasoning_leading_space_kept() -> None:
    result = parse(
        completion_body({"role": "assistant", "reasoning_content": " asks for x. ", "content": "x"})
    )
    assert result.reasoning == " asks for x. "


def test_sync_content_and_tool_calls_coexist() -> None:
    pretty = '{\n  "country": "Peru"\n}'
    msg = {
        "role": "assistant",
        "content": "Let me call the tool.",
        "tool_calls": [
            {
                "id": "call_p",
                "type": "function",
                "function": {"name": "best_place", "arguments": pretty},
            },
            {
                "id": "call_q",
                "type": "function",
                "function": {"name": "best_place", "arguments": '{"country": "Chad"}'},
            },
        ],
    }
    result = parse(completion_body(msg, finish="tool_calls"))
    assert result.text == "Let me call the tool."
    # Arguments kept verbatim (pretty-printed or compact), ids kept.
    assert calls(result) == [
        ("call_p", "best_place", pretty),
        ("call_q", "best_place", '{"country": "Chad"}'),
    ]
    assert result.finish_reason == FinishReason.TOOL_CALLS


def test_sync_stop_reason_integer_tolerated() -> None:
    result = parse(
        completion_body(
            {"role": "assistant", "content": "ok"}, choice_extra={"stop_reason": 100001}
        )
    )
    assert result.text == "ok"
    assert result.finish_reason == FinishReason.STOP


def test_sync_missing_finish_reason() -> None:
    result = parse(completion_body({"role": "assistant", "content": "ok"}, finish=_ABSENT))
    assert result.text == "ok"
    assert result.finish_reason is None
    assert result.raw_finish_reason is None


def test_sync_stop_with_tool_calls_reported_as_tool_calls() -> None:
    msg = {
        "role": "assistant",
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
        ],
    }
    result = parse(completion_body(msg, finish="stop"))
    assert result.finish_reason == FinishReason.TOOL_CALLS
    assert result.raw_finish_reason == "stop"


def test_sync_unknown_finish_reason_kept_verbatim() -> None:
    result = parse(completion_body({"role": "assistant", "content": "x"}, finish="end_turn"))
    assert result.finish_reason == "end_turn"
    assert result.finish_reason is not None
    assert not result.finish_reason.is_known
    assert result.raw_finish_reason == "end_turn"


def test_sync_no_logprobs_key() -> None:
    result = parse(completion_body({"role": "assistant", "content": "x"}))
    assert result.logprobs == []


def test_sync_logprobs_null() -> None:
    result = parse(
        completion_body({"role": "assistant", "content": "x"}, choice_extra={"logprobs": None})
    )
    assert result.logprobs == []


def test_sync_logprobs_parsed_chosen_first_then_alternatives() -> None:
    logprobs = {
        "content": [
            {
                "token": "Hi",
                "logprob": -0.25,
                "top_logprobs": [
                    {"token": "Hey", "logprob": -1.5},
                    {"token": "Yo", "logprob": -3.0},
                ],
            },
            {"token": "!", "logprob": 0, "top_logprobs": []},
        ]
    }
    result = parse(
        completion_body(
            {"role": "assistant", "content": "Hi!"}, choice_extra={"logprobs": logprobs}
        )
    )
    assert [[(lp.text, lp.logprob) for lp in row] for row in result.logprobs] == [
        [("Hi", -0.25), ("Hey", -1.5), ("Yo", -3.0)],
        [("!", 0.0)],
    ]


def test_sync_usage_mapped() -> None:
    result = parse(
        completion_body(
            {"role": "assistant", "content": "x"}, usage_raw=usage(64, 10, cached=32, reasoning=6)
        )
    )
    assert usage_tuple(result) == (64, 10, 74, 32, 6)


def test_sync_usage_details_null() -> None:
    result = parse(
        completion_body(
            {"role": "assistant", "content": "x"},
            usage_raw=usage(9, 3, cached=None, reasoning=None),
        )
    )
    assert usage_tuple(result) == (9, 3, 12, 0, 0)


def test_sync_usage_absent() -> None:
    body = completion_body({"role": "assistant", "content": "x"})
    del body["usage"]
    assert usage_tuple(parse(body)) == (0, 0, 0, 0, 0)


def test_sync_role_only_reply_is_empty_result_not_error() -> None:
    result = parse(completion_body({"role": "assistant"}, finish="stop"))
    assert result.replies == []
    assert result.text == ""
    assert result.reasoning == ""
    assert result.tool_calls == []
    assert result.finish_reason == FinishReason.STOP


def test_sync_ids_and_model_kept() -> None:
    result = parse(completion_body({"role": "assistant", "content": "x"}))
    assert (result.id, result.model, result.request_id) == (ID, MODEL, "req-1")


# --- finish reason type -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "member"),
    [
        ("stop", FinishReason.STOP),
        ("length", FinishReason.LENGTH),
        ("tool_calls", FinishReason.TOOL_CALLS),
        ("content_filter", FinishReason.CONTENT_FILTER),
    ],
)
def test_finish_reason_known_values_are_members(raw: str, member: FinishReason) -> None:
    reason = FinishReason(raw)
    assert reason is member
    assert reason.is_known
    assert reason == raw
    assert str(reason) == raw


def test_finish_reason_unknown_value_equals_its_string() -> None:
    reason = FinishReason("max_turns_reached")
    assert reason == "max_turns_reached"
    assert reason.value == "max_turns_reached"
    assert str(reason) == "max_turns_reached"
    assert not reason.is_known
    assert reason not in list(FinishReason)


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message", "type_", "code"),
    [
        pytest.param(
            b'{"error":"your key is not valid here"}\n',
            "your key is not valid here",
            None,
            None,
            id="error-string",
        ),
        pytest.param(
            b'{\n\t"error": {\n\t\t"code": 400,\n\t\t"message": "Validation: `n` must be 1",'
            b'\n\t\t"type": "Bad Request"\n\t}\n}\n',
            "Validation: `n` must be 1",
            "Bad Request",
            "400",
            id="error-object-tab-indented",
        ),
        pytest.param(
            b'{"message":"logprobs are not available","type":"Bad Request","code":400}',
            "logprobs are not available",
            "Bad Request",
            "400",
            id="top-level",
        ),
    ],
)
def test_error_baseten_body_shapes(
    body: bytes, message: str, type_: str | None, code: str | None
) -> None:
    parsed = parse_error_body(body)
    assert (parsed.message, parsed.type, parsed.code) == (message, type_, code)
    err = api_error(400, body, {}, provider="baseten", request_id=None)
    assert isinstance(err, BadRequestError)
    assert err.message == message
    assert err.status_code == 400
    assert message in str(err)
    assert err.body == body.decode()


def test_error_fastapi_detail_string_and_list() -> None:
    assert parse_error_body(b'{"detail": "Not Found"}').message == "Not Found"
    detail = {"detail": [{"loc": ["body", "model"], "msg": "field required"}, {"msg": "bad"}]}
    message = parse_error_body(json.dumps(detail)).message
    assert "field required" in message
    assert "bad" in message


def test_error_html_proxy_page_excerpt_tags_stripped_short() -> None:
    html = (
        "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n"
        "<center><h1>502 Bad Gateway</h1></center>\n<hr><center>proxy</center>\n"
        + "<p>padding text</p>\n" * 100
        + "</body>\n</html>\n"
    )
    err = api_error(502, html.encode(), {}, provider="baseten", request_id=None)
    assert isinstance(err, ServerError)
    assert "502 Bad Gateway" in err.message
    assert "<" not in err.message
    assert ">" not in err.message
    assert "\n" not in err.message
    assert len(err.message) <= 200


def test_error_empty_body() -> None:
    assert parse_error_body(b"", reason="Service Unavailable").message == "Service Unavailable"
    err = api_error(503, b"", {}, provider="baseten", request_id=None)
    assert isinstance(err, ServerError)
    assert err.message  # something readable, never empty
    assert "503" in str(err)


def test_error_internal_server_error_python_spacing_is_server_error() -> None:
    err = api_error(
        500, b'{"error": "Internal Server Error"}', {}, provider="baseten", request_id="r-9"
    )
    assert isinstance(err, ServerError)
    assert err.message == "Internal Server Error"
    assert err.status_code == 500
    assert err.request_id == "r-9"


def test_error_403_is_authentication_error_with_key_hint() -> None:
    body = b'{"error":"check the api-key you gave"}\n'

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, content=body, headers={"Content-Type": "application/json"})

    with mock_client(handler) as client, pytest.raises(AuthenticationError) as ei:
        client.gen_sync([Message.user("hi")])
    err = ei.value
    assert err.status_code == 403
    assert err.message == "check the api-key you gave"
    assert err.hint is not None
    assert "BASETEN_API_KEY" in err.hint
    assert genai_baseten.API_KEY_URL in err.hint
    assert err.hint in str(err)
    assert err.partial_result is None


def test_error_403_on_stream_request_is_json_not_sse() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            403, content=b'{"error":"nope"}', headers={"Content-Type": "application/json"}
        )

    with (
        mock_client(handler) as client,
        client.gen_stream([Message.user("hi")]) as stream,
        pytest.raises(AuthenticationError, match="nope"),
    ):
        list(stream)


def test_error_message_never_contains_api_key() -> None:
    body = json.dumps({"error": {"message": f"key {KEY} is invalid", "type": "auth", "code": 403}})

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            403,
            content=body.encode(),
            headers={"Content-Type": "application/json", "X-Echo": f"Api-Key {KEY}"},
        )

    with mock_client(handler) as client, pytest.raises(AuthenticationError) as ei:
        client.gen_sync([Message.user("hi")])
    err = ei.value
    assert KEY not in str(err)
    assert KEY not in repr(err)
    assert KEY not in err.message
    assert KEY not in err.body
    assert all(KEY not in v for v in err.headers.values())
    assert "is invalid" in err.message

    direct = api_error(400, body, {}, provider="x", request_id=None, secrets=(KEY,))
    assert KEY not in str(direct)
    assert KEY not in direct.body


# --- list models --------------------------------------------------------------------------------


def test_models_list_without_object_list() -> None:
    models = parse_models({"data": [{"id": "b/second"}, {"id": "a/first"}, {"name": "no id"}]})
    assert [m.id for m in models] == ["b/second", "a/first"]


def test_models_pricing_strings_become_decimal() -> None:
    entry = {
        "id": "acme/m",
        "pricing": {"prompt": "0.0000003", "completion": "0.0000012", "input_cache_read": "1e-7"},
    }
    (model,) = parse_models({"data": [entry]})
    assert model.pricing == {
        "prompt": Decimal("0.0000003"),
        "completion": Decimal("0.0000012"),
        "input_cache_read": Decimal("0.0000001"),
    }
    assert all(isinstance(v, Decimal) for v in model.pricing.values())


def test_models_entries_missing_modalities_and_pricing() -> None:
    old = {"id": "acme/old", "context_length": 8192, "supported_features": ["tools"]}
    new = {
        "id": "acme/new",
        "hugging_face_id": "acme/New-Model",
        "input_modalities": ["text", "image"],
        "output_modalities": ["text"],
        "supported_features": ["reasoning", "tools"],
    }
    old_m, new_m = parse_models({"data": [old, new]})
    assert old_m.input_modalities == []
    assert old_m.output_modalities == []
    assert old_m.pricing == {}
    assert old_m.context_length == 8192
    assert new_m.input_modalities == ["text", "image"]
    assert "reasoning" in new_m.supported_features
    assert new_m.raw["hugging_face_id"] == "acme/New-Model"


def test_models_python_spacing_json_through_client() -> None:
    text = '{"data": [{"id": "acme/one", "pricing": {"prompt": "0.5"}}, {"id": "acme/two"}]}'

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "GET"
        assert request.url.path.endswith("/models")
        return httpx.Response(200, content=text.encode(), headers={"Server": "gunicorn"})

    with mock_client(handler) as client:
        models = client.list_models()
    assert [m.id for m in models] == ["acme/one", "acme/two"]
    assert models[0].pricing == {"prompt": Decimal("0.5")}


def test_models_not_a_list_raises_value_error() -> None:
    with pytest.raises(ValueError):
        parse_models({"object": "list"})


# --- requests -----------------------------------------------------------------------------------


def test_request_single_text_part_is_plain_string() -> None:
    body = wire([Message.user("Hello")])
    assert body["messages"] == [{"role": "user", "content": "Hello"}]


def test_request_system_prompt_first() -> None:
    body = wire([Message.user("Hi")], TextOptions(system_prompt="Be brief."))
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ]


def test_request_stream_adds_include_usage() -> None:
    streamed = wire([Message.user("x")], stream=True)
    assert streamed["stream"] is True
    assert streamed["stream_options"] == {"include_usage": True}
    plain = wire([Message.user("x")], stream=False)
    assert "stream" not in plain
    assert "stream_options" not in plain


SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"number": {"type": "number", "description": "the input"}},
    "required": ["number"],
    "additionalProperties": False,
}


def test_request_tool_schema_passed_through_unchanged() -> None:
    tool = ToolDef(name="square_root", description="Square root of a number", parameters=SCHEMA)
    body = wire([Message.user("x")], TextOptions(tools=[tool], tool_call_request="required"))
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "square_root",
                "description": "Square root of a number",
                "parameters": SCHEMA,
            },
        }
    ]
    assert body["tool_choice"] == "required"


def test_request_parallel_tool_calls_true_by_default_with_tools() -> None:
    tool = ToolDef(name="f", description="does f", parameters=SCHEMA)
    assert wire([Message.user("x")], TextOptions(tools=[tool]))["parallel_tool_calls"] is True
    off = TextOptions(tools=[tool], parallel_tool_calls=False)
    assert wire([Message.user("x")], off)["parallel_tool_calls"] is False
    no_tools = wire([Message.user("x")])
    assert "parallel_tool_calls" not in no_tools
    assert "tools" not in no_tools
    assert "tool_choice" not in no_tools


def test_request_reasoning_not_sent_back() -> None:
    turn = Message.assistant(Reply(reasoning="secret thoughts"), "The answer.")
    body = wire([Message.user("q"), turn, Message.user("more")])
    assert body["messages"][1] == {"role": "assistant", "content": "The answer."}
    assert "secret thoughts" not in json.dumps(body)


def test_request_assistant_without_text_has_no_content_key_and_echoes_call_verbatim() -> None:
    pretty = '{\n  "number": 121\n}'
    turn = Message.assistant(
        Reply(reasoning="need the tool"),
        ToolCall(id="call_77", name="square_root", arguments=pretty),
    )
    body = wire([Message.user("q"), turn])
    assert body["messages"][1] == {
        "role": "assistant",
        "tool_calls": [
            {
                "type": "function",
                "id": "call_77",
                "function": {"name": "square_root", "arguments": pretty},
            }
        ],
    }


def test_request_tool_results_shape() -> None:
    results = Message.tool_results(
        ToolCallResult(id="call_77", name="square_root", result="11"),
        ToolCallResult(id="call_78", name="square_root", result="12"),
    )
    body = wire([Message.user("q"), results])
    assert body["messages"][1:] == [
        {"role": "tool", "content": "11", "tool_call_id": "call_77", "name": "square_root"},
        {"role": "tool", "content": "12", "tool_call_id": "call_78", "name": "square_root"},
    ]


def test_request_round_trip_of_a_streamed_tool_call() -> None:
    # The call as a stream produced it is echoed exactly: same id, arguments byte for byte.
    args = '{\n  "number": 9\n}'
    _, result = run_stream(
        chunk({"role": "assistant", "tool_calls": [tc(0, id="call_rt", name="sq", args="")]}),
        chunk({"tool_calls": [tc(0, id="call_rt", name=None, args=args)]}),
        chunk({}, finish="tool_calls"),
        DONE,
    )
    body = wire(
        [
            Message.user("q"),
            result,
            Message.tool_results(ToolCallResult(id="call_rt", name="sq", result="3")),
        ]
    )
    assert body["messages"][1]["tool_calls"][0]["id"] == "call_rt"
    assert body["messages"][1]["tool_calls"][0]["function"]["arguments"] == args
    assert "content" not in body["messages"][1]


def test_request_baseten_max_completion_tokens() -> None:
    body = baseten_body([Message.user("x")], TextOptions(max_tokens=300))
    assert body["max_completion_tokens"] == 300
    assert "max_tokens" not in body


def test_request_baseten_thinking_sets_chat_template_args() -> None:
    body = baseten_body([Message.user("x")], genai_baseten.Options(thinking=True))
    assert body["chat_template_args"] == {"enable_thinking": True}
    off = baseten_body([Message.user("x")], genai_baseten.Options(thinking=False))
    assert off["chat_template_args"] == {"enable_thinking": False}
    assert "chat_template_args" not in baseten_body([Message.user("x")])


def test_request_baseten_extra_body_never_overwrites_typed_fields() -> None:
    opts = genai_baseten.Options(
        thinking=True,
        extra_body={
            "model": "other/model",
            "stream": False,
            "max_completion_tokens": 1,
            "chat_template_args": {"enable_thinking": False},
            "custom_flag": "yes",
        },
    )
    body = baseten_body([Message.user("x")], TextOptions(max_tokens=50), opts, stream=True)
    assert body["model"] == "acme/m"
    assert body["stream"] is True
    assert body["max_completion_tokens"] == 50
    assert body["chat_template_args"] == {"enable_thinking": True}
    assert body["custom_flag"] == "yes"


@pytest.mark.parametrize(
    ("payload", "ok"),
    [
        (' {"choices": []}', True),  # "data:  {...}": the SSE decoder leaves one space
        ('{"choices": []} ', True),
        ('{"choices": []}\t', True),
        ('{"choices": []}x', False),
        ('{"choices": [}', False),
        ("", False),
    ],
)
def test_stream_chunk_json_edges_match_json_loads(payload: str, ok: bool) -> None:
    # The assembler parses with json's C scanner directly for speed; whatever it cannot take
    # whole must get json.loads' verdict: leading/trailing space accepted, garbage rejected.
    assembler = ChatStreamAssembler(provider="baseten")
    if ok:
        assert assembler.feed(payload) == []
        assert assembler.chunks == 1
    else:
        with pytest.raises(StreamError, match="not JSON"):
            assembler.feed(payload)
