"""OpenTelemetry tracing: one span per call with the GenAI semantic-convention attributes,
checked with the SDK's in-memory exporter, in the four client modes (async on asyncio and trio).

Expected values come from the scripted answers (harness.chat: id ``chatcmpl-feature``, 20 input
and 5 output tokens unless told otherwise) and from the conventions' attribute names.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import bodies
from harness.chat import KEY, MODEL, ChatAnswer, ChatServer, chat_client, failing_midway
from harness.flavors import ASYNC, SYNC, Flavor, Mode, each_mode

import genai_baseten
import genai_core as genai
from genai_core import Model, TextOptions, tracing
from genai_core.openai_chat import OpenAICompatibleClient
from genai_core.types import Doc, ToolCall, ToolCallResult

pytest.importorskip("opentelemetry.sdk")

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind, StatusCode

HI = [genai.Message.user("Hi")]


@pytest.fixture
def provider() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(exporter))
    yield tp, exporter
    tracing.uninstrument()


@pytest.fixture
def spans(provider: tuple[TracerProvider, InMemorySpanExporter]) -> InMemorySpanExporter:
    tracing.instrument(tracer_provider=provider[0], capture_content=False)
    return provider[1]


def only(exporter: InMemorySpanExporter) -> ReadableSpan:
    finished = exporter.get_finished_spans()
    assert len(finished) == 1, [s.name for s in finished]
    return finished[0]


@each_mode
async def test_one_chat_span_per_call(
    anyio_backend: str, mode: Mode, spans: InMemorySpanExporter
) -> None:
    usage = {
        "prompt_tokens": 100,
        "completion_tokens": 30,
        "total_tokens": 130,
        "prompt_tokens_details": {"cached_tokens": 64},
        "completion_tokens_details": {"reasoning_tokens": 12},
    }
    server = ChatServer(ChatAnswer(content="Hello", reasoning="greet", usage=usage))  # type: ignore[arg-type]
    client = chat_client(mode, server)
    opts = TextOptions(max_tokens=50, temperature=0.5, top_p=0.9, seed=7, stop=["END"])
    await mode.generate(client, HI, opts)
    span = only(spans)
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attrs = dict(span.attributes or {})
    assert attrs == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "baseten",
        "gen_ai.system": "baseten",
        "server.address": "inference.baseten.co",
        "server.port": 443,
        "gen_ai.request.model": MODEL,
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.temperature": 0.5,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.seed": 7,
        "gen_ai.request.stop_sequences": ("END",),
        "gen_ai.response.model": MODEL,
        "gen_ai.response.id": "chatcmpl-feature",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 100,
        "gen_ai.usage.output_tokens": 30,
        "gen_ai.usage.cache_read.input_tokens": 64,
        "gen_ai.usage.reasoning.output_tokens": 12,
    }


@each_mode
async def test_content_is_recorded_only_when_asked(
    anyio_backend: str, mode: Mode, provider: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    tracing.instrument(tracer_provider=provider[0], capture_content=True)
    server = ChatServer(ChatAnswer(content="Hello", tool_calls=[("call_1", "f", '{"x": 1}')]))
    client = chat_client(mode, server)
    msgs = [genai.Message.user("Hi")]
    await mode.generate(client, msgs)
    attrs = dict(only(provider[1]).attributes or {})
    assert json.loads(str(attrs["gen_ai.input.messages"])) == [
        {"role": "user", "parts": [{"type": "text", "content": "Hi"}]}
    ]
    assert json.loads(str(attrs["gen_ai.output.messages"])) == [
        {
            "role": "assistant",
            "parts": [
                {"type": "text", "content": "Hello"},
                {"type": "tool_call", "id": "call_1", "name": "f", "arguments": '{"x": 1}'},
            ],
            # The wire said "stop"; the raw value is what the span carries.
            "finish_reason": "stop",
        }
    ]


def test_content_capture_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, provider: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    monkeypatch.setenv(tracing.CAPTURE_CONTENT_ENV, "true")
    tracing.instrument(tracer_provider=provider[0])
    client = chat_client(SYNC, ChatServer(ChatAnswer(content="Hello")))
    assert isinstance(client, genai_baseten.Client)
    client.gen_sync(HI)
    assert "gen_ai.input.messages" in dict(only(provider[1]).attributes or {})


def test_no_content_by_default(spans: InMemorySpanExporter) -> None:
    client = chat_client(SYNC, ChatServer(ChatAnswer(content="a secret answer")))
    assert isinstance(client, genai_baseten.Client)
    client.gen_sync([genai.Message.user("a secret question")])
    span = only(spans)
    flat = json.dumps({k: str(v) for k, v in (span.attributes or {}).items()})
    assert "secret" not in flat
    assert not span.events


def test_the_stream_span_ends_at_the_last_fragment(spans: InMemorySpanExporter) -> None:
    client = chat_client(Mode(SYNC, True), ChatServer(ChatAnswer(content="Hello there", pieces=4)))
    assert isinstance(client, genai_baseten.Client)
    with client.gen_stream(HI) as stream:
        it = iter(stream)
        next(it)
        assert spans.get_finished_spans() == ()  # open while fragments arrive
        rest = list(it)
        assert rest  # the final fragments were yielded ...
        # ... and the span ended with them, before the stream was closed.
        span = only(spans)
        assert dict(span.attributes or {})["gen_ai.usage.output_tokens"] == 5
        assert stream.result().text == "Hello there"
    assert len(spans.get_finished_spans()) == 1


def test_a_stream_closed_early_ends_its_span(spans: InMemorySpanExporter) -> None:
    client = chat_client(Mode(SYNC, True), ChatServer(ChatAnswer(content="Hello there", pieces=4)))
    assert isinstance(client, genai_baseten.Client)
    with client.gen_stream(HI) as stream:
        next(iter(stream))
    span = only(spans)
    assert span.status.status_code is StatusCode.UNSET
    assert "gen_ai.usage.input_tokens" not in (span.attributes or {})


async def test_an_async_stream_closed_early_ends_its_span(
    anyio_backend: str, spans: InMemorySpanExporter
) -> None:
    client = chat_client(Mode(ASYNC, True), ChatServer(ChatAnswer(content="Hello there", pieces=4)))
    assert isinstance(client, genai_baseten.AsyncClient)
    async with client.gen_stream(HI) as stream:
        await stream.__anext__()
    assert only(spans).name == f"chat {MODEL}"


def test_a_stream_never_read_has_no_span(spans: InMemorySpanExporter) -> None:
    client = chat_client(Mode(SYNC, True), ChatServer())
    assert isinstance(client, genai_baseten.Client)
    with client.gen_stream(HI):
        pass
    assert spans.get_finished_spans() == ()


@each_mode
async def test_an_api_error_is_recorded(
    anyio_backend: str, mode: Mode, spans: InMemorySpanExporter
) -> None:
    error = {"error": {"message": "bad request: max_tokens", "code": 400}}
    client = chat_client(mode, ChatServer(ChatAnswer(status=400, error=error)))
    with pytest.raises(genai.BadRequestError):
        await mode.generate(client, HI)
    span = only(spans)
    assert span.status.status_code is StatusCode.ERROR
    attrs = dict(span.attributes or {})
    assert attrs["error.type"] == "BadRequestError"
    assert attrs["http.response.status_code"] == 400
    assert attrs["gen_ai.request.model"] == MODEL
    assert [e.name for e in span.events] == ["exception"]


@pytest.mark.parametrize("flavor", [SYNC, ASYNC], ids=str)
async def test_a_stream_error_keeps_the_partial_result_on_the_span(
    anyio_backend: str, flavor: Flavor, spans: InMemorySpanExporter
) -> None:
    usage = {"prompt_tokens": 20, "completion_tokens": 2, "total_tokens": 22}
    answer = ChatAnswer(content="Hello there", pieces=4, usage=usage)
    mode = Mode(flavor, True)
    client = chat_client(mode, failing_midway(answer, 3))
    with pytest.raises(genai.StreamError) as info:
        await mode.generate(client, HI)
    assert info.value.partial_result is not None
    span = only(spans)
    assert span.status.status_code is StatusCode.ERROR
    attrs = dict(span.attributes or {})
    assert attrs["error.type"] == "MalformedStreamError"
    # What had arrived before the error: the chunks carry the id and the usage so far.
    assert attrs["gen_ai.response.id"] == "chatcmpl-feature"
    assert attrs["gen_ai.usage.output_tokens"] == 2


def test_list_models_and_embed_spans(spans: InMemorySpanExporter) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"data": [{"id": "a"}, {"id": "b"}]})
        return httpx.Response(
            200,
            json={
                "object": "list",
                "model": "emb-model",
                "data": [{"object": "embedding", "index": 0, "embedding": [0.5, 0.25, 0.0]}],
                "usage": {"prompt_tokens": 3, "total_tokens": 3},
            },
        )

    client = genai_baseten.Client(
        model=MODEL, api_key=KEY, http_client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    client.list_models()
    client.embed("some text", model="emb-model", dimensions=3)
    listed, embedded = spans.get_finished_spans()
    assert listed.name == "list_models"
    assert dict(listed.attributes or {})["genai.models.count"] == 2
    assert embedded.name == "embeddings emb-model"
    attrs = dict(embedded.attributes or {})
    assert attrs["gen_ai.operation.name"] == "embeddings"
    assert attrs["gen_ai.request.encoding_formats"] == ("float",)
    assert attrs["gen_ai.usage.input_tokens"] == 3
    assert attrs["gen_ai.embeddings.dimension.count"] == 3


def test_the_span_is_a_child_of_the_current_span_and_carries_the_cost(
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    tracing.instrument(tracer_provider=provider[0])
    priced = Model(id=MODEL, pricing={"prompt": Decimal("0.001"), "completion": Decimal("0.002")})
    client = chat_client(SYNC, ChatServer(ChatAnswer(content="Hi")), model_info=priced)
    assert isinstance(client, genai_baseten.Client)
    with provider[0].get_tracer("app").start_as_current_span("handle request") as parent:
        client.gen_sync(HI)
    chat, outer = provider[1].get_finished_spans()
    assert outer is not None and chat.parent is not None
    assert chat.parent.span_id == parent.get_span_context().span_id
    # 20 input tokens at 0.001 and 5 output tokens at 0.002.
    assert dict(chat.attributes or {})["genai.cost.usd"] == pytest.approx(20 * 0.001 + 5 * 0.002)


def test_uninstrument_stops_tracing(spans: InMemorySpanExporter) -> None:
    assert tracing.is_instrumented()
    tracing.uninstrument()
    assert not tracing.is_instrumented()
    client = chat_client(SYNC, ChatServer(ChatAnswer(content="Hi")))
    assert isinstance(client, genai_baseten.Client)
    client.gen_sync(HI)
    assert spans.get_finished_spans() == ()


def test_bad_capture_content_is_a_validation_error() -> None:
    with pytest.raises(genai.ValidationError, match="capture_content"):
        tracing.instrument(capture_content="yes")  # type: ignore[arg-type]
    assert not tracing.is_instrumented()


def test_the_global_tracer_provider_is_the_default() -> None:
    # With no SDK configured globally the API's no-op tracer is used: calls still work.
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider | TracerProvider)
    tracing.instrument()
    try:
        client = chat_client(SYNC, ChatServer(ChatAnswer(content="Hi")))
        assert isinstance(client, genai_baseten.Client)
        assert client.gen_sync(HI).text == "Hi"
    finally:
        tracing.uninstrument()


def test_opentelemetry_is_not_imported_unless_instrumented() -> None:
    code = (
        "import sys, httpx, genai_baseten, genai_core as genai\n"
        "def answer(request):\n"
        "    return httpx.Response(200, json={'id': 'x', 'model': 'm', 'choices': [{'index': 0,"
        " 'message': {'role': 'assistant', 'content': 'Hi'}, 'finish_reason': 'stop'}]})\n"
        "c = genai_baseten.Client(model='m', api_key='fake-key-for-test',"
        " http_client=httpx.Client(transport=httpx.MockTransport(answer)))\n"
        "assert c.gen_sync([genai.Message.user('Hi')]).text == 'Hi'\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
    )
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == "[]"


def test_captured_messages_follow_the_conventions_and_leave_out_image_bytes(
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    tracing.instrument(tracer_provider=provider[0], capture_content=True)
    sent: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content)["messages"])
        return httpx.Response(200, json=bodies.completion("ok"))

    png = base64.b64decode("iVBORw0KGgo=")
    messages = [
        genai.Message.user(
            "What is this?",
            Doc.from_bytes(png, "x.png"),
            Doc.from_url("https://example.test/cat.jpg"),
        ),
        genai.Message.assistant(ToolCall(id="c1", name="f", arguments="{}")),
        genai.Message.tool_results(ToolCallResult(id="c1", name="f", result="42")),
    ]
    client = SYNC.mock_client(
        handler,
        sync_cls=OpenAICompatibleClient,
        model="m",
        base_url="http://127.0.0.1:9/v1",
        api_key="k",
    )
    client.gen_sync(messages, TextOptions(system_prompt="Be brief."))
    # The wire messages the span describes: an inline image (bytes) and an image by URL.
    parts = sent[0][1]["content"]
    assert [p["type"] for p in parts] == ["text", "image_url", "image_url"]
    assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,")
    attrs = dict(only(provider[1]).attributes or {})
    assert json.loads(str(attrs["gen_ai.input.messages"])) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {
            "role": "user",
            "parts": [
                {"type": "text", "content": "What is this?"},
                {"type": "blob", "modality": "image", "mime_type": "image/png"},
                {"type": "uri", "modality": "image", "uri": "https://example.test/cat.jpg"},
            ],
        },
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "c1", "name": "f", "arguments": "{}"}],
        },
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "42"}]},
    ]


def test_without_opentelemetry_instrument_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As in a fresh process without the otel extra: no module that imports it is loaded yet.
    for name in [n for n in sys.modules if n.startswith("genai_core.") and "otel" in n]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # import opentelemetry fails
    with pytest.raises(genai.ValidationError, match=r"pip install 'genai-baseten\[otel\]'"):
        tracing.instrument()
    assert not tracing.is_instrumented()
