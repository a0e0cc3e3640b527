"""The tool loop: running the calls of an answer, and whole conversations, offline.

The end-to-end conversation (square root of 132413) runs twice: against answers authored from
the documented wire format (every mode, both requests checked field by field), and against the
real recordings in ``GENAI_WIRE_DIR`` (turn 1 and turn 2 as recorded, read in place).
"""

from __future__ import annotations

import json
import threading
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest
import wire
from harness.chat import ChatAnswer, ChatServer, chat_client
from harness.flavors import ASYNC, SYNC, Flavor, Mode, each_mode

import genai_baseten
from genai_core.errors import (
    BadRequestError,
    MaxTurnsError,
    ToolArgumentsError,
    ToolExecutionError,
    UnknownToolError,
    ValidationError,
)
from genai_core.options import TextOptions
from genai_core.toolloop import (
    ToolLoopResult,
    arun_tool_calls,
    arun_tool_loop,
    run_tool_calls,
    run_tool_loop,
)
from genai_core.tools import ToolDef
from genai_core.types import Message, Reply, Result, ToolCall, ToolCallResult, trusted

SQRT_ARGS = '{\n  "number": 132413\n}'  # pretty-printed, as gpt-oss sends it
QUESTION = "Use the square_root tool to calculate the square root of 132413."


def square_root(number: float) -> str:
    """Compute the square root of a number, rounded to 2 decimals."""
    return f"{number**0.5:.2f}"


def answer_with_calls(*calls: tuple[str, str, str]) -> Result:
    return trusted(
        Result,
        replies=[
            trusted(Reply, tool_call=ToolCall(id=i, name=n, arguments=a)) for i, n, a in calls
        ],
    )


# --- run_tool_calls ---------------------------------------------------------------------------


def test_run_tool_calls_in_order() -> None:
    answer = answer_with_calls(
        ("c1", "square_root", SQRT_ARGS), ("c2", "square_root", '{"number": 4}')
    )
    msg = run_tool_calls(answer, [square_root])
    assert msg.role == "tool"
    assert msg.tool_call_results == [
        ToolCallResult(id="c1", name="square_root", result="363.89"),
        ToolCallResult(id="c2", name="square_root", result="2.00"),
    ]
    # The options that offered the tools work as well.
    assert run_tool_calls(answer, TextOptions(tools=[square_root])) == msg


def test_run_tool_calls_sends_errors_back_by_default() -> None:
    def divide(a: float, b: float) -> float:
        """Divide a by b."""
        return a / b

    answer = answer_with_calls(
        ("c1", "divide", '{"a": 1, "b": 0}'),
        ("c2", "divide", '{"a": "one", "b": 2}'),
        ("c3", "divide", '{"a": 6, "b": 3}'),
    )
    results = run_tool_calls(answer, [divide]).tool_call_results
    assert [r.id for r in results] == ["c1", "c2", "c3"]
    assert results[0].result == (
        "Error: the tool 'divide' failed: ZeroDivisionError: float division by zero"
    )
    assert results[1].result.startswith("Error: the arguments do not fit the tool 'divide': a: ")
    assert "Call it again" in results[1].result
    assert results[2].result == "2.0"


def test_run_tool_calls_raise_mode() -> None:
    def fails(x: int) -> str:
        """Fails."""
        raise KeyError(x)

    with pytest.raises(ToolExecutionError) as info:
        run_tool_calls(answer_with_calls(("c1", "fails", '{"x": 1}')), [fails], on_error="raise")
    assert isinstance(info.value.__cause__, KeyError)
    assert (info.value.tool, info.value.call_id) == ("fails", "c1")
    with pytest.raises(ToolArgumentsError, match="x: "):
        run_tool_calls(answer_with_calls(("c1", "fails", '{"x": "a"}')), [fails], on_error="raise")


def test_unknown_tool_always_raises() -> None:
    answer = answer_with_calls(("c1", "cube_root", '{"number": 8}'))
    with pytest.raises(UnknownToolError) as info:
        run_tool_calls(answer, [square_root])
    assert "'cube_root', which was not offered (offered: square_root)" in str(info.value)
    assert info.value.available == ("square_root",)


def test_run_tool_calls_bad_setup() -> None:
    async def slow(x: int) -> str:
        """Async."""
        return str(x)

    with pytest.raises(ValidationError, match="is async: run the calls with arun_tool_calls"):
        run_tool_calls(answer_with_calls(("c", "slow", '{"x": 1}')), [slow])
    no_callback = ToolDef(name="lookup", description="d")
    with pytest.raises(ValidationError, match="without a callback cannot run locally: lookup"):
        run_tool_calls(answer_with_calls(("c", "lookup", "{}")), [no_callback])
    with pytest.raises(ValidationError, match="on_error is 'send' or 'raise'"):
        run_tool_calls(answer_with_calls(), [square_root], on_error="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="the answer has no tool calls to run"):
        run_tool_calls(answer_with_calls(), [square_root])
    with pytest.raises(ValidationError, match="duplicate tool name 'square_root'"):
        run_tool_calls(answer_with_calls(("c", "square_root", "{}")), [square_root, square_root])


@pytest.mark.anyio
async def test_arun_tool_calls_runs_async_calls_concurrently(anyio_backend: str) -> None:
    # Each call waits for the other: only concurrent execution finishes.
    events = {"a": anyio.Event(), "b": anyio.Event()}

    async def meet(me: str, other: str) -> str:
        """Meet the other call."""
        events[me].set()
        with anyio.fail_after(5):
            await events[other].wait()
        return f"{me} met {other}"

    answer = answer_with_calls(
        ("1", "meet", '{"me": "a", "other": "b"}'), ("2", "meet", '{"me": "b", "other": "a"}')
    )
    results = (await arun_tool_calls(answer, [meet])).tool_call_results
    assert [r.result for r in results] == ["a met b", "b met a"]


@pytest.mark.anyio
async def test_arun_tool_calls_runs_sync_calls_in_threads(anyio_backend: str) -> None:
    barrier = threading.Barrier(2, timeout=5)
    main = threading.get_ident()

    def rendezvous(n: int) -> str:
        """Wait for the other call."""
        barrier.wait()  # both threads must be here at once
        return f"{n} {threading.get_ident() != main}"

    answer = answer_with_calls(("1", "rendezvous", '{"n": 1}'), ("2", "rendezvous", '{"n": 2}'))
    results = (await arun_tool_calls(answer, [rendezvous])).tool_call_results
    assert [r.result for r in results] == ["1 True", "2 True"]


@pytest.mark.anyio
async def test_arun_tool_calls_errors(anyio_backend: str) -> None:
    async def boom(x: int) -> str:
        """Boom."""
        raise ValueError(f"bad {x}")

    answer = answer_with_calls(("1", "boom", '{"x": 1}'), ("2", "square_root", '{"number": 9}'))
    results = (await arun_tool_calls(answer, [boom, square_root])).tool_call_results
    assert results[0].result == "Error: the tool 'boom' failed: ValueError: bad 1"
    assert results[1].result == "3.00"
    with pytest.raises(ToolExecutionError, match="tool 'boom' raised ValueError: bad 1"):
        await arun_tool_calls(answer, [boom, square_root], on_error="raise")


# --- the loop, end to end, on authored answers ------------------------------------------------


def sqrt_server() -> ChatServer:
    return ChatServer(
        ChatAnswer(
            reasoning="Need to call square_root.",
            tool_calls=[("call_sqrt_1", "square_root", SQRT_ARGS)],
            finish="tool_calls",
            usage={"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
        ),
        ChatAnswer(
            reasoning="The tool said 363.89.",
            content="363.89",
            usage={"prompt_tokens": 150, "completion_tokens": 10, "total_tokens": 160},
        ),
    )


async def loop(mode: Mode, client: Any, *args: Any, **kw: Any) -> ToolLoopResult:
    if mode.stream:
        fragments: list[Reply] = []
        kw["on_fragment"] = fragments.append
    if mode.is_async:
        out = await arun_tool_loop(client, *args, **kw)
    else:
        out = run_tool_loop(client, *args, **kw)
    if mode.stream:
        # Every fragment of both answers went through the callback.
        assert "".join(f.text for f in fragments) == "".join(
            m.text for m in out.messages if isinstance(m, Result)
        )
    return out


@each_mode
async def test_square_root_conversation(anyio_backend: str, mode: Mode) -> None:
    server = sqrt_server()
    client = chat_client(mode, server)
    opts = TextOptions(tools=[square_root], tool_call_request="required", max_tokens=500)
    out = await loop(mode, client, [Message.user(QUESTION)], opts)

    assert out.text == "363.89"
    assert out.turns == 2
    assert out.usage.total_tokens == 280
    assert out.usage.input_tokens == 250
    roles = [m.role for m in out.messages]
    assert roles == ["user", "assistant", "tool", "assistant"]
    assert out.messages[-1] is out.result

    first, second = server.bodies
    # Turn 1: the question, the tool, the forced choice.
    assert first["messages"] == [{"role": "user", "content": QUESTION}]
    assert first["tool_choice"] == "required"
    assert first["parallel_tool_calls"] is True
    assert first["tools"][0]["function"]["name"] == "square_root"
    assert first["max_completion_tokens"] == 500
    # Turn 2: the assistant turn echoed exactly (same id, arguments text unchanged, no content,
    # no reasoning), then the tool's result for that id; the forced choice is relaxed.
    assert second["messages"] == [
        {"role": "user", "content": QUESTION},
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "type": "function",
                    "id": "call_sqrt_1",
                    "function": {"name": "square_root", "arguments": SQRT_ARGS},
                }
            ],
        },
        {
            "role": "tool",
            "content": "363.89",
            "tool_call_id": "call_sqrt_1",
            "name": "square_root",
        },
    ]
    assert second["tool_choice"] == "auto"
    assert second["tools"] == first["tools"]
    assert second["max_completion_tokens"] == 500
    raw = server.requests[1].content.decode()
    assert json.dumps(SQRT_ARGS) in raw  # the arguments string literal, byte for byte
    assert "Need to call" not in raw  # reasoning is never sent back


@each_mode
async def test_loop_stops_at_max_turns(anyio_backend: str, mode: Mode) -> None:
    calls = [("c", "square_root", '{"number": 4}')]
    server = ChatServer(*(ChatAnswer(tool_calls=calls, finish="tool_calls") for _ in range(2)))
    with pytest.raises(MaxTurnsError) as info:
        await loop(
            mode,
            chat_client(mode, server),
            [Message.user("x")],
            TextOptions(tools=[square_root]),
            max_turns=2,
        )
    err = info.value
    assert len(server.requests) == 2
    assert err.max_turns == 2
    assert isinstance(err.result, Result)
    assert [m.role for m in err.messages] == ["user", "assistant", "tool", "assistant"]


@each_mode
async def test_loop_error_keeps_the_conversation(anyio_backend: str, mode: Mode) -> None:
    def broken(x: int) -> str:
        """Broken."""
        raise RuntimeError("disk full")

    server = ChatServer(ChatAnswer(tool_calls=[("c1", "broken", '{"x": 1}')], finish="tool_calls"))
    opts = TextOptions(tools=[broken])
    with pytest.raises(ToolExecutionError, match="disk full") as info:
        await loop(mode, chat_client(mode, server), [Message.user("x")], opts, on_error="raise")
    assert [m.role for m in info.value.messages] == ["user", "assistant"]
    assert info.value.messages[1].tool_calls[0].id == "c1"

    # Unknown tool names raise in both modes, with the conversation.
    server = ChatServer(ChatAnswer(tool_calls=[("c1", "rm_rf", "{}")], finish="tool_calls"))
    with pytest.raises(UnknownToolError, match="'rm_rf', which was not offered") as unknown:
        await loop(mode, chat_client(mode, server), [Message.user("x")], opts)
    assert len(unknown.value.messages) == 2


@each_mode
async def test_loop_sends_tool_errors_to_the_model(anyio_backend: str, mode: Mode) -> None:
    server = ChatServer(
        ChatAnswer(tool_calls=[("c1", "square_root", '{"number": "lots"}')], finish="tool_calls"),
        ChatAnswer(tool_calls=[("c2", "square_root", '{"number": 16}')], finish="tool_calls"),
        ChatAnswer(content="4"),
    )
    out = await loop(
        mode, chat_client(mode, server), [Message.user("x")], TextOptions(tools=[square_root])
    )
    assert out.text == "4"
    assert out.turns == 3
    bodies = server.bodies
    assert bodies[1]["messages"][-1]["content"].startswith(
        "Error: the arguments do not fit the tool 'square_root': number: "
    )
    assert bodies[2]["messages"][-1] == {
        "role": "tool",
        "content": "4.00",
        "tool_call_id": "c2",
        "name": "square_root",
    }


@each_mode
async def test_loop_rejects_bad_setup_before_any_request(anyio_backend: str, mode: Mode) -> None:
    server = ChatServer()
    client = chat_client(mode, server)
    msgs = [Message.user("x")]
    with pytest.raises(ValidationError, match="a tool loop needs tools"):
        await loop(mode, client, msgs, TextOptions())
    with pytest.raises(ValidationError, match="a tool loop needs tools"):
        await loop(mode, client, msgs)
    with pytest.raises(ValidationError, match="without a callback cannot run locally: lookup"):
        await loop(mode, client, msgs, TextOptions(tools=[ToolDef(name="lookup", description="d")]))
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValidationError, match="max_turns must be an integer >= 1"):
            await loop(mode, client, msgs, TextOptions(tools=[square_root]), max_turns=bad)
    opts = TextOptions(tools=[square_root])
    with pytest.raises(ValidationError, match=r"got a str: pass \[Message.user"):
        await loop(mode, client, "What is the square root of 4?", opts)
    with pytest.raises(ValidationError, match=r"messages\[1\] is a str, not a Message"):
        await loop(mode, client, [Message.user("x"), "y"], opts)
    if not mode.is_async:

        async def fetch(url: str) -> str:
            """Fetch a page."""
            return url

        with pytest.raises(ValidationError, match="async tools cannot run in run_tool_loop: fetch"):
            await loop(mode, client, msgs, TextOptions(tools=[square_root, fetch]))
    # The other kind of client: refused before its gen_sync is called.
    other: Any = chat_client(ASYNC if not mode.is_async else SYNC, server)
    if mode.is_async:  # `other` is a sync client
        with pytest.raises(ValidationError, match="is a sync client: use run_tool_loop"):
            await arun_tool_loop(other, msgs, opts)
    else:
        with pytest.raises(ValidationError, match="is an async client: use `await arun_tool_loop"):
            run_tool_loop(other, msgs, opts)
    assert server.requests == []


# --- the loop over the real recordings --------------------------------------------------------

WIRE = wire.wire_dir()
TRIPS = wire.tool_round_trips(WIRE) if WIRE is not None else []


@pytest.mark.wire
@pytest.mark.skipif(WIRE is None, reason=wire.SKIP_REASON)
@pytest.mark.parametrize("trip", TRIPS or [None], ids=[t.id for t in TRIPS] or ["none"])
@pytest.mark.parametrize("flavor", [SYNC, ASYNC], ids=str)
def test_recorded_square_root_through_the_loop(trip: wire.RoundTrip, flavor: Flavor) -> None:
    first, second = wire.load_interaction(trip.first), wire.load_interaction(trip.second)
    call1 = wire.call_from_request(first.request_body)
    outputs = [m["content"] for m in second.request_json["messages"] if m.get("role") == "tool"]
    assert call1.text is not None
    tool_def = next(t for t in call1.text.tools if t.name == "square_root")

    def square_root_tool(args: dict[str, Any]) -> str:
        # The recorded turn 2 carries what the reference client's tool returned.
        assert args == {"number": 132413}
        return str(outputs[0])

    tool = ToolDef(
        name=tool_def.name,
        description=tool_def.description,
        parameters=tool_def.parameters,
        callback=square_root_tool,
    )
    text = call1.text.model_copy(update={"tools": [tool]})
    seen: list[httpx.Request] = []
    replies = [first, second]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return replies[len(seen) - 1].response()

    options = [o for o in (text, call1.options) if o is not None]
    fragments: list[Reply] = []
    kw: dict[str, Any] = {"on_fragment": fragments.append} if call1.stream else {}
    client = chat_client(flavor, handler, model=call1.model, base_url=first.base_url)
    out = flavor.run(lambda: loop(Mode(flavor, False), client, call1.messages, *options, **kw))
    if call1.stream:
        assert fragments
    assert out.turns == 2
    assert len(seen) == 2
    # Both requests are the recorded ones, except that turn 2's tool choice is relaxed to
    # "auto" by the loop where the reference client sent "none".
    for sent, recorded in zip(seen, replies, strict=True):
        body = json.loads(sent.content)
        want = recorded.request_json
        if sent is seen[1]:
            assert body.pop("tool_choice") == "auto"
            want = {k: v for k, v in want.items() if k != "tool_choice"}
        assert body == want
    args = next(c for m in second.request_json["messages"] for c in m.get("tool_calls") or ())
    assert json.dumps(args["function"]["arguments"], ensure_ascii=False) in seen[1].content.decode()


@each_mode
async def test_api_error_mid_loop_keeps_the_conversation(anyio_backend: str, mode: Mode) -> None:
    server = ChatServer(
        ChatAnswer(tool_calls=[("c1", "square_root", '{"number": 4}')], finish="tool_calls"),
        ChatAnswer(status=400, error={"error": {"code": 400, "message": "context too long"}}),
    )
    opts = TextOptions(tools=[square_root])
    with pytest.raises(BadRequestError, match="context too long") as info:
        await loop(mode, chat_client(mode, server), [Message.user("x")], opts)
    messages = info.value.messages
    assert messages is not None
    assert [m.role for m in messages] == ["user", "assistant", "tool"]
    assert messages[2].tool_call_results[0].result == "2.00"


@pytest.mark.anyio
async def test_async_loop_awaits_a_coroutine_callback(anyio_backend: str) -> None:
    server = ChatServer(ChatAnswer(content="Hello there", pieces=3))
    client = chat_client(Mode(ASYNC, True), server)
    assert isinstance(client, genai_baseten.AsyncClient)
    seen: list[str] = []

    async def show(fragment: Reply) -> None:
        await anyio.lowlevel.checkpoint()
        seen.append(fragment.text)

    out = await arun_tool_loop(
        client, [Message.user("hi")], TextOptions(tools=[square_root]), on_fragment=show
    )
    assert "".join(seen) == out.text == "Hello there"
    assert out.turns == 1


@each_mode
async def test_three_turns_with_parallel_calls(anyio_backend: str, mode: Mode) -> None:
    # Turn 1 calls two tools at once, turn 2 one more, turn 3 answers. The async loop runs the
    # two calls of turn 1 concurrently (each waits for the other to start).
    started: list[str] = []
    both = threading.Barrier(2, timeout=5) if mode.is_async else None

    def weather(city: str) -> str:
        """The weather in a city."""
        started.append(city)
        if both is not None:
            both.wait()  # the two calls of one answer overlap, or this times out
        return {"Oslo": "snow", "Rome": "sun"}[city]

    def advice(sky: str) -> str:
        """What to wear."""
        return f"coat for {sky}"

    server = ChatServer(
        ChatAnswer(
            tool_calls=[
                ("w1", "weather", '{"city": "Oslo"}'),
                ("w2", "weather", '{"city":"Rome"}'),
            ],
            finish="tool_calls",
        ),
        ChatAnswer(tool_calls=[("a1", "advice", '{"sky": "snow"}')], finish="tool_calls"),
        ChatAnswer(content="Take a coat to Oslo."),
    )
    opts = TextOptions(tools=[weather, advice])
    out = await loop(mode, chat_client(mode, server), [Message.user("trip?")], opts)
    assert out.text == "Take a coat to Oslo."
    assert out.turns == 3
    assert sorted(started) == ["Oslo", "Rome"]
    second, third = server.bodies[1], server.bodies[2]
    # Both calls go back as one assistant turn, arguments text unchanged, then their results in
    # call order.
    assert second["messages"][1] == {
        "role": "assistant",
        "tool_calls": [
            {
                "type": "function",
                "id": "w1",
                "function": {"name": "weather", "arguments": '{"city": "Oslo"}'},
            },
            {
                "type": "function",
                "id": "w2",
                "function": {"name": "weather", "arguments": '{"city":"Rome"}'},
            },
        ],
    }
    assert second["messages"][2:] == [
        {"role": "tool", "content": "snow", "tool_call_id": "w1", "name": "weather"},
        {"role": "tool", "content": "sun", "tool_call_id": "w2", "name": "weather"},
    ]
    assert third["messages"][:4] == second["messages"]
    assert third["messages"][4:] == [
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "type": "function",
                    "id": "a1",
                    "function": {"name": "advice", "arguments": '{"sky": "snow"}'},
                }
            ],
        },
        {"role": "tool", "content": "coat for snow", "tool_call_id": "a1", "name": "advice"},
    ]


@each_mode
async def test_err_messages_resume_the_loop(anyio_backend: str, mode: Mode) -> None:
    # A tool fails once (raised); passing err.messages back runs the pending call again, then
    # asks the model with the result, exactly as an uninterrupted loop would have.
    failures = [RuntimeError("flaky network")]

    def fetch(url: str) -> str:
        """Fetch a page."""
        if failures:
            raise failures.pop()
        return "page text"

    args = '{"url": "https://example.com"}'
    server = ChatServer(
        ChatAnswer(tool_calls=[("f1", "fetch", args)], finish="tool_calls"),
        ChatAnswer(content="The page says: page text."),
    )
    client = chat_client(mode, server)
    opts = TextOptions(tools=[fetch])
    with pytest.raises(ToolExecutionError) as info:
        await loop(mode, client, [Message.user("read it")], opts, on_error="raise")
    assert len(server.requests) == 1
    out = await loop(mode, client, info.value.messages, opts, on_error="raise")
    assert out.text == "The page says: page text."
    assert out.turns == 1
    assert [m.role for m in out.messages] == ["user", "assistant", "tool", "assistant"]
    assert server.bodies[1]["messages"][1:] == [
        {
            "role": "assistant",
            "tool_calls": [
                {"type": "function", "id": "f1", "function": {"name": "fetch", "arguments": args}}
            ],
        },
        {"role": "tool", "content": "page text", "tool_call_id": "f1", "name": "fetch"},
    ]


@each_mode
async def test_resume_after_max_turns(anyio_backend: str, mode: Mode) -> None:
    calls = [("c1", "square_root", '{"number": 4}')]
    server = ChatServer(
        ChatAnswer(tool_calls=calls, finish="tool_calls"),
        ChatAnswer(content="The square root is 2."),
    )
    client = chat_client(mode, server)
    opts = TextOptions(tools=[square_root])
    with pytest.raises(MaxTurnsError) as info:
        await loop(mode, client, [Message.user("sqrt 4?")], opts, max_turns=1)
    out = await loop(mode, client, info.value.messages, opts, max_turns=1)
    assert out.text == "The square root is 2."
    assert server.bodies[1]["messages"][-1] == {
        "role": "tool",
        "content": "2.00",
        "tool_call_id": "c1",
        "name": "square_root",
    }


def test_on_fragment_may_return_a_value() -> None:
    # mypy runs on this file: a callback like `sys.stdout.write` (it returns an int) type-checks.
    server = ChatServer(ChatAnswer(content="Done."))
    client = chat_client(Mode(SYNC, True), server)
    assert isinstance(client, genai_baseten.Client)
    seen: list[str] = []

    def show(fragment: Reply) -> int:
        seen.append(fragment.text)
        return len(fragment.text)

    out = run_tool_loop(
        client, [Message.user("x")], TextOptions(tools=[square_root]), on_fragment=show
    )
    assert out.text == "".join(seen) == "Done."
