"""Reasoning control: the thinking switch and its per-model default, reasoning effort, and
``<think>`` blocks split out of the text (whole answers and streams cut anywhere)."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import pytest
import wire
from harness.chat import ChatAnswer, ChatServer, chat_client, replay_recording
from harness.flavors import SYNC, Flavor, Mode, each_flavor, each_mode
from hypothesis import given, settings
from hypothesis import strategies as st

import genai_baseten
from genai_baseten.thinking import THINKING_DEFAULTS, thinking_default
from genai_core.errors import ValidationError
from genai_core.openai_chat.response import parse_chat_response
from genai_core.openai_chat.stream import ChatStreamAssembler
from genai_core.openai_chat.think import ThinkSplitter, split_think_text
from genai_core.options import TextOptions
from genai_core.types import Message, Model, Reply

# --- the thinking switch ----------------------------------------------------------------------


def body_for(model: str, *options: object, **client_kw: Any) -> dict[str, Any]:
    server = ChatServer(ChatAnswer(content="ok"))
    client = chat_client(SYNC, server, model=model, **client_kw)
    assert isinstance(client, genai_baseten.Client)
    client.gen_sync([Message.user("hi")], *options)
    return server.bodies[0]


@pytest.mark.parametrize(
    ("model", "on"),
    [
        ("zai-org/GLM-4.7", True),
        ("zai-org/GLM-5.1", True),
        ("zai-org/GLM-5.2", True),  # a newer version of the family
        ("moonshotai/Kimi-K2.5", True),
        ("moonshotai/Kimi-K2.6", True),
        ("deepseek-ai/DeepSeek-V4-Pro", False),
        ("deepseek-ai/DeepSeek-V4-Flash-0731", False),
        ("openai/gpt-oss-120b", False),
        ("MiniMaxAI/MiniMax-M2.5", False),
        ("nvidia/NVIDIA-Nemotron-3-Ultra-550B-A55B", False),
        ("acme/unknown-model", False),
    ],
)
def test_thinking_default_by_model(model: str, on: bool) -> None:
    body = body_for(model)
    if on:
        assert body["chat_template_args"] == {"enable_thinking": True}
        assert list(body)[-1] == "chat_template_args"
    else:
        assert "chat_template_args" not in body
    assert thinking_default(model) is on


def test_explicit_thinking_always_wins() -> None:
    off = genai_baseten.Options(thinking=False)
    on = genai_baseten.Options(thinking=True)
    assert body_for("zai-org/GLM-5.1", off)["chat_template_args"] == {"enable_thinking": False}
    assert body_for("deepseek-ai/DeepSeek-V4-Pro", on)["chat_template_args"] == {
        "enable_thinking": True
    }
    via_template = genai_baseten.Options(chat_template_args={"enable_thinking": False})
    assert body_for("zai-org/GLM-5.1", via_template)["chat_template_args"] == {
        "enable_thinking": False
    }


def test_default_merges_with_other_template_args() -> None:
    opts = genai_baseten.Options(chat_template_args={"reasoning_budget": 512}, top_k=20)
    body = body_for("zai-org/GLM-5.1", opts)
    assert body["chat_template_args"] == {"reasoning_budget": 512, "enable_thinking": True}
    assert body["top_k"] == 20
    assert "chat_template_args" not in body_for("openai/gpt-oss-120b", genai_baseten.Options())


REASONING_MODEL = Model(id="acme/thinker", supported_features=["tools", "reasoning"])
PLAIN_MODEL = Model(id="acme/plain", supported_features=["tools"])


def test_default_from_a_given_model_list() -> None:
    models = [REASONING_MODEL, PLAIN_MODEL]
    assert body_for("acme/thinker", models=models)["chat_template_args"] == {
        "enable_thinking": True
    }
    assert "chat_template_args" not in body_for("acme/plain", models=models)
    # The table wins over the list: DeepSeek lists "reasoning" but must not get the switch.
    deepseek = Model(id="deepseek-ai/DeepSeek-V4-Pro", supported_features=["reasoning"])
    assert "chat_template_args" not in body_for(deepseek.id, models=[deepseek])
    assert thinking_default("acme/thinker", {"acme/thinker": REASONING_MODEL})
    with pytest.raises(ValidationError, match="models= takes Model objects or model ids"):
        genai_baseten.Client(model="m", models=[{"id": "x"}])  # type: ignore[list-item]


@each_flavor
async def test_default_learned_from_list_models(flavor: Flavor) -> None:
    listing = {
        "data": [
            {"id": "acme/thinker", "object": "model", "supported_features": ["reasoning"]},
            {"id": "acme/plain", "object": "model", "supported_features": ["tools"]},
        ]
    }
    bodies: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json=listing)
        bodies.append(json.loads(request.content))
        return ChatAnswer(content="ok").response(False)

    msgs = [Message.user("hi")]
    client = chat_client(flavor, handler, model="acme/thinker")
    await flavor.gen_sync(client, msgs)
    await flavor.list_models(client)
    await flavor.gen_sync(client, msgs)
    assert "chat_template_args" not in bodies[0]  # nothing known yet
    assert bodies[1]["chat_template_args"] == {"enable_thinking": True}


def test_table_is_consistent() -> None:
    assert all(isinstance(k, str) and "/" in k for k in THINKING_DEFAULTS)


def test_reasoning_effort() -> None:
    body = body_for("openai/gpt-oss-120b", genai_baseten.Options(reasoning_effort="high"))
    assert body["reasoning_effort"] == "high"
    assert "chat_template_args" not in body
    with pytest.raises(ValidationError, match="thinking=False with reasoning_effort='low'"):
        genai_baseten.Options(thinking=False, reasoning_effort="low")
    with pytest.raises(ValidationError, match="disagree"):
        genai_baseten.Options(thinking=True, chat_template_args={"enable_thinking": False})
    with pytest.raises(ValidationError, match="reasoning_effort"):
        genai_baseten.Options(reasoning_effort="extreme")


@each_mode
@pytest.mark.parametrize(
    ("model", "options", "template", "effort"),
    [
        ("zai-org/GLM-4.7", (), {"enable_thinking": True}, None),
        (
            "zai-org/GLM-4.7",
            (genai_baseten.Options(thinking=False),),
            {"enable_thinking": False},
            None,
        ),
        ("openai/gpt-oss-120b", (), None, None),
        (
            "openai/gpt-oss-120b",
            (genai_baseten.Options(reasoning_effort="low"),),
            None,
            "low",
        ),
        (
            "deepseek-ai/DeepSeek-V4-Pro",
            (genai_baseten.Options(thinking=True, reasoning_effort="medium"),),
            {"enable_thinking": True},
            "medium",
        ),
    ],
)
async def test_thinking_and_effort_in_every_mode(  # noqa: PLR0917 - one per column
    anyio_backend: str,
    mode: Mode,
    model: str,
    options: tuple[object, ...],
    template: dict[str, bool] | None,
    effort: str | None,
) -> None:
    server = ChatServer(ChatAnswer(reasoning="Let me see.", content="ok"))
    client = chat_client(mode, server, model=model)
    res = await mode.generate(client, [Message.user("hi")], *options)
    body = server.bodies[0]
    assert body.get("chat_template_args") == template
    assert body.get("reasoning_effort") == effort
    assert (res.reasoning, res.text) == ("Let me see.", "ok")


WIRE = wire.wire_dir()
CHAT_CASES = [
    c
    for c in (wire.load_cases(WIRE) if WIRE is not None else [])
    if c.interaction().method == "POST"
]


@pytest.mark.wire
@pytest.mark.skipif(WIRE is None, reason=wire.SKIP_REASON)
@pytest.mark.parametrize("case", CHAT_CASES or [None], ids=[c.id for c in CHAT_CASES] or ["none"])
def test_default_reproduces_the_recorded_switch(case: wire.Case) -> None:
    """Without any thinking option, the default sends exactly what each recording sent."""
    it = case.interaction()
    call = wire.call_from_request(it.request_body)
    opts = call.options
    if opts is not None and opts.thinking is not None:
        rest = opts.model_dump(exclude_unset=True, exclude={"thinking"})
        opts = genai_baseten.Options(**rest) if rest else None
    args = [o for o in (call.text, opts) if o is not None]
    # Recorded error answers replay as errors; only the request matters here.
    sent = anyio.run(replay_recording, it, call, args).body
    assert sent.get("chat_template_args") == it.request_json.get("chat_template_args")


# --- <think> splitting: the state machine -----------------------------------------------------


def run_splitter(mode: Any, pieces: list[str]) -> tuple[str, str]:
    s = ThinkSplitter(mode)
    out = [p for piece in pieces for p in s.feed(piece)] + s.flush()
    assert all(text for _, text in out), "no empty pieces"
    return (
        "".join(t for k, t in out if k == 1),
        "".join(t for k, t in out if k == 0),
    )


def cuts(text: str, points: list[int]) -> list[str]:
    points = sorted({p % (len(text) + 1) for p in points})
    return [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True) if b > a]


blank = st.text(alphabet=" \n\t", max_size=3)
body = st.text(alphabet=st.sampled_from("ab <>/think\n"), min_size=1, max_size=30).filter(
    # A block whose reasoning itself starts with "<think>" is ambiguous; not generated.
    lambda t: "</think>" not in t and t.strip() == t and not t.startswith("<think>")
)


@settings(max_examples=300, deadline=None)
@given(
    lead=blank,
    gap1=blank,
    reasoning=body,
    gap2=blank,
    gap3=blank,
    answer=st.text(min_size=1, max_size=30).filter(lambda t: t.strip() == t),
    points=st.lists(st.integers(min_value=0, max_value=200), max_size=8),
)
def test_think_block_split_anywhere(  # noqa: PLR0917 - one argument per strategy
    lead: str, gap1: str, reasoning: str, gap2: str, gap3: str, answer: str, points: list[int]
) -> None:
    text = f"{lead}<think>{gap1}{reasoning}{gap2}</think>{gap3}{answer}"
    assert run_splitter("auto", cuts(text, points)) == (reasoning, answer)
    assert split_think_text(text) == (reasoning, answer)
    # "open": the template opened the block, the text starts inside it.
    opened = f"{gap1}{reasoning}{gap2}</think>{gap3}{answer}"
    assert run_splitter("open", cuts(opened, points)) == (reasoning, answer)


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=40).filter(lambda t: not t.lstrip().startswith("<think>")),
    points=st.lists(st.integers(min_value=0, max_value=200), max_size=8),
)
def test_text_without_a_leading_block_is_untouched(text: str, points: list[int]) -> None:
    assert run_splitter("auto", cuts(text, points)) == ("", text)
    assert split_think_text(text) == ("", text)
    assert run_splitter("off", cuts(text, points)) == ("", text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<think>unfinished", ("unfinished", "")),
        ("<think></think>answer", ("", "answer")),
        ("<think>a</think>b<think>c</think>", ("a", "b<think>c</think>")),
        ("Answer <think>x</think>", ("", "Answer <think>x</think>")),
        ("<thinking>x</thinking>", ("", "<thinking>x</thinking>")),
        ("   ", ("", "   ")),
    ],
)
def test_think_edge_cases(text: str, expected: tuple[str, str]) -> None:
    assert split_think_text(text) == expected
    for size in (1, 2, 3, 7):
        assert run_splitter("auto", [text[i : i + size] for i in range(0, len(text), size)]) == (
            expected
        )


def test_splitter_retires_on_plain_text() -> None:
    s = ThinkSplitter("auto")
    assert s.feed("  ") == []
    assert s.active
    assert s.feed("Hello") == [(0, "  Hello")]
    assert not s.active
    with pytest.raises(ValueError, match="think_tags"):
        ThinkSplitter("on")


# --- <think> splitting through the client ---------------------------------------------------

INLINE = "\n<think>\nThe user greets me.\nI greet back.\n</think>\n\nHello!"


@each_mode
@pytest.mark.parametrize("pieces", [1, 3, 17, 60])
async def test_inline_think_block(anyio_backend: str, mode: Mode, pieces: int) -> None:
    server = ChatServer(ChatAnswer(content=INLINE, pieces=pieces))
    fragments: list[Reply] = []
    res = await mode.generate(chat_client(mode, server), [Message.user("hi")], fragments=fragments)
    assert res.reasoning == "The user greets me.\nI greet back."
    assert res.text == "Hello!"
    assert [r.kind for r in res.replies] == ["reasoning", "text"]
    if mode.stream:
        assert "".join(f.reasoning for f in fragments) == res.reasoning
        assert "".join(f.text for f in fragments) == res.text


@each_mode
@pytest.mark.parametrize("mode_opt", ["off", None])
async def test_text_kept_verbatim(anyio_backend: str, mode: Mode, mode_opt: Any) -> None:
    # With think_tags="off", or when the text does not begin with <think>, nothing changes.
    text = INLINE if mode_opt == "off" else "  Hello <think>not reasoning</think>\n"
    server = ChatServer(ChatAnswer(content=text, pieces=9))
    opts = TextOptions(think_tags=mode_opt)
    res = await mode.generate(chat_client(mode, server), [Message.user("hi")], opts)
    assert res.text == text
    assert res.reasoning == ""


@each_mode
async def test_reasoning_channel_wins_over_inline_tags(anyio_backend: str, mode: Mode) -> None:
    # The server already splits reasoning: a <think> in the text is the model's text.
    server = ChatServer(
        ChatAnswer(reasoning="real reasoning", content="<think>quoted</think>", pieces=4)
    )
    res = await mode.generate(chat_client(mode, server), [Message.user("hi")])
    assert res.reasoning == "real reasoning"
    assert res.text == "<think>quoted</think>"


@each_mode
async def test_open_mode(anyio_backend: str, mode: Mode) -> None:
    server = ChatServer(ChatAnswer(content="I should say hi.\n</think>\n\nHi!", pieces=5))
    opts = TextOptions(think_tags="open")
    res = await mode.generate(chat_client(mode, server), [Message.user("hi")], opts)
    assert (res.reasoning, res.text) == ("I should say hi.", "Hi!")


@pytest.mark.parametrize(
    ("think_tags", "reasoning", "text"),
    [
        ("off", "", INLINE),
        ("auto", "The user greets me.\nI greet back.", "Hello!"),
        ("open", "I should say hi.", "Hi!"),
    ],
)
def test_stream_answered_with_json_reads_think_tags_as_asked(
    think_tags: Any, reasoning: str, text: str
) -> None:
    # A server may answer a stream request with one plain JSON completion; the call's
    # think_tags still decide how that answer is read.
    content = "I should say hi.\n</think>\n\nHi!" if think_tags == "open" else INLINE
    answer = ChatAnswer(content=content)
    client = chat_client(Mode(SYNC, True), lambda request: answer.response(stream=False))
    assert isinstance(client, genai_baseten.Client)
    with client.gen_stream([Message.user("hi")], TextOptions(think_tags=think_tags)) as stream:
        list(stream)
        res = stream.result()
    assert (res.reasoning, res.text) == (reasoning, text)


def test_think_tags_option_is_validated() -> None:
    with pytest.raises(ValidationError, match="think_tags"):
        TextOptions(think_tags="always")  # type: ignore[arg-type]


def test_stream_partial_result_keeps_held_text() -> None:
    # A stream that breaks while a tag might be starting still reports the text it got.
    asm = ChatStreamAssembler(provider="p")
    chunk = {"choices": [{"index": 0, "delta": {"content": "  <thi"}}]}
    assert asm.feed(json.dumps(chunk)) == []
    assert asm.result().text == "  <thi"


def test_parse_chat_response_modes() -> None:
    body = {"choices": [{"message": {"content": INLINE}, "finish_reason": "stop"}]}
    assert parse_chat_response(body, provider="p").text == "Hello!"
    assert parse_chat_response(body, provider="p", think_tags="off").text == INLINE
