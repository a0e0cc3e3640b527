"""A scripted OpenAI-chat server for the feature tests (tools, structured output, reasoning,
logprobs), and one way to call it from the four client modes.

Every answer is authored here from the documented wire format (shared/wire/README.md): a
``chat.completion`` object, or SSE ``data: <json>`` chunks ending with ``data: [DONE]``, with
Baseten's cumulative per-chunk usage. Nothing is copied from the recordings.

:data:`MODES` is the parametrization every feature test uses: the sync and the async client, each
through ``gen_sync`` and ``gen_stream``; :func:`generate` hides the differences.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import wire

import genai_baseten
from genai_core.provider import AsyncStream
from genai_core.types import Messages, Reply, Result

MODEL = "openai/gpt-oss-120b"
KEY = "feature-test-key-0123456789"
USAGE = {"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25}

AnyClient = genai_baseten.Client | genai_baseten.AsyncClient


# --- authored wire bodies ---------------------------------------------------------------------


def tool_call_wire(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


@dataclass
class Answer:
    """One scripted reply, served as a completion or as a stream depending on the request."""

    content: str | None = None
    reasoning: str | None = None
    tool_calls: Sequence[tuple[str, str, str]] = ()
    """(id, name, arguments text) of each call."""
    finish: str | None = "stop"
    logprobs: list[dict[str, Any]] | None = None
    """``logprobs.content`` entries, as the wire has them."""
    usage: dict[str, int] | None = None
    status: int = 200
    error: dict[str, Any] | None = None
    pieces: int = 3
    """How many chunks each text field is cut into when streamed."""

    def completion(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant"}
        if self.content is not None:
            message["content"] = self.content
        if self.reasoning is not None:
            message["reasoning_content"] = self.reasoning
        if self.tool_calls:
            message["tool_calls"] = [tool_call_wire(*c) for c in self.tool_calls]
        choice: dict[str, Any] = {"index": 0, "message": message, "finish_reason": self.finish}
        if self.logprobs is not None:
            choice["logprobs"] = {"content": self.logprobs}
        return {
            "id": "chatcmpl-feature",
            "object": "chat.completion",
            "created": 1,
            "model": MODEL,
            "choices": [choice],
            "usage": self.usage or USAGE,
        }

    def chunks(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []

        def add(delta: dict[str, Any], **choice: Any) -> None:
            out.append(
                {
                    "id": "chatcmpl-feature",
                    "object": "chat.completion.chunk",
                    "created": 1,
                    "model": MODEL,
                    "choices": [{"index": 0, "delta": delta, **choice}],
                    "usage": self.usage or USAGE,
                }
            )

        add({"role": "assistant", "content": ""})
        for piece in cut(self.reasoning or "", self.pieces):
            add({"reasoning_content": piece})
        lps = list(self.logprobs or [])
        text_pieces = cut(self.content or "", self.pieces)
        per = -(-len(lps) // len(text_pieces)) if text_pieces else 0
        for i, piece in enumerate(text_pieces):
            # Logprobs ride on the content chunks, spread over them.
            share = lps[i * per : (i + 1) * per]
            extra = {"logprobs": {"content": share}} if share else {}
            add({"content": piece}, **extra)
        for index, (call_id, name, args) in enumerate(self.tool_calls):
            arg_pieces = cut(args, 2) or [""]
            add(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": call_id,
                            "type": "function",
                            "function": {"name": name, "arguments": arg_pieces[0]},
                        }
                    ]
                }
            )
            for piece in arg_pieces[1:]:
                add(
                    {
                        "tool_calls": [
                            {"index": index, "id": call_id, "function": {"arguments": piece}}
                        ]
                    }
                )
        add({}, finish_reason=self.finish)
        usage_only = {
            "id": "chatcmpl-feature",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": MODEL,
            "choices": [],
            "usage": self.usage or USAGE,
        }
        out.append(usage_only)
        return out

    def response(self, stream: bool) -> httpx.Response:
        if self.status != 200:
            return httpx.Response(self.status, json=self.error or {"error": "failed"})
        if not stream:
            return httpx.Response(200, json=self.completion())
        body = b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in self.chunks())
        body += b"data: [DONE]\n\n"
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, stream=Pieces(body, 7)
        )


def failing_midway(answer: Answer, events: int) -> Callable[[httpx.Request], httpx.Response]:
    """A handler streaming the first ``events`` events of ``answer``, then an SSE error event."""
    server = Server(answer)

    def handler(request: httpx.Request) -> httpx.Response:
        full = server(request)
        head = full.read().split(b"\n\n")[:events]
        error = b'event: error\ndata: {"error": {"message": "overloaded"}}'
        return httpx.Response(
            200, headers=full.headers, content=b"\n\n".join([*head, error]) + b"\n\n"
        )

    return handler


def cut(text: str, n: int) -> list[str]:
    """``text`` in ``n`` roughly equal pieces (fewer when shorter); [] for ""."""
    if not text:
        return []
    size = max(1, -(-len(text) // n))
    return [text[i : i + size] for i in range(0, len(text), size)]


class Pieces(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body delivered ``size`` bytes at a time (SSE events and UTF-8 sequences get cut)."""

    def __init__(self, body: bytes, size: int) -> None:
        self.body = body
        self.size = size

    def __iter__(self) -> Any:
        for i in range(0, len(self.body), self.size):
            yield self.body[i : i + self.size]

    async def __aiter__(self) -> Any:
        for i in range(0, len(self.body), self.size):
            yield self.body[i : i + self.size]


class Server:
    """MockTransport handler: serves ``answers`` in order and keeps each request body."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith("/chat/completions"), request.url
        assert request.headers["authorization"] == f"Api-Key {KEY}"
        self.requests.append(request)
        if len(self.requests) > len(self.answers):
            raise AssertionError(f"unexpected request #{len(self.requests)}")
        body = json.loads(request.content)
        return self.answers[len(self.requests) - 1].response(body.get("stream") is True)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]


# --- the four modes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Mode:
    is_async: bool
    stream: bool

    def __str__(self) -> str:
        return ("async" if self.is_async else "sync") + ("-stream" if self.stream else "-gen")

    def client(self, handler: Callable[[httpx.Request], httpx.Response], **kw: Any) -> AnyClient:
        kw.setdefault("model", MODEL)
        kw.setdefault("api_key", KEY)
        transport = httpx.MockTransport(handler)
        if self.is_async:
            return genai_baseten.AsyncClient(
                http_client=httpx.AsyncClient(transport=transport), **kw
            )
        return genai_baseten.Client(http_client=httpx.Client(transport=transport), **kw)


MODES = [Mode(False, False), Mode(False, True), Mode(True, False), Mode(True, True)]


def modes() -> pytest.MarkDecorator:
    """Parametrize a test over the four modes (async ones on asyncio and trio)."""
    params: list[Any] = []
    for mode in MODES:
        backends = ["asyncio", "trio"] if mode.is_async else ["asyncio"]
        params.extend(pytest.param(b, mode, id=f"{mode}-{b}") for b in backends)
    return pytest.mark.parametrize(("anyio_backend", "mode"), params)


async def generate(
    mode: Mode,
    client: AnyClient,
    messages: Messages,
    *options: object,
    fragments: list[Reply] | None = None,
) -> Result:
    """One call in ``mode``; streamed fragments are appended to ``fragments`` when given."""
    seen = fragments if fragments is not None else []
    if isinstance(client, genai_baseten.AsyncClient):
        if not mode.stream:
            return await client.gen_sync(messages, *options)
        async_stream: AsyncStream = client.gen_stream(messages, *options)
        async with async_stream as s:
            seen.extend([f async for f in s])
            return s.result()
    if not mode.stream:
        return client.gen_sync(messages, *options)
    with client.gen_stream(messages, *options) as stream:
        seen.extend(stream)
        return stream.result()


# --- replaying one real recording -------------------------------------------------------------


@dataclass
class Replayed:
    """What replaying a recording gave: the Result or the error, and the body our client sent."""

    result: Result | None
    error: Exception | None
    body: dict[str, Any]


async def replay_recording(
    it: wire.Interaction,
    call: wire.NeutralCall,
    options: Sequence[object] | None = None,
    is_async: bool = False,
) -> Replayed:
    """Send ``call`` (with ``options``, by default its own) to a server replaying ``it``."""
    opts = call.option_args if options is None else tuple(options)
    seen: list[httpx.Request] = []
    transport = wire.mock_transport(it, seen)
    kw: dict[str, Any] = {"model": call.model, "api_key": wire.API_KEY, "base_url": it.base_url}
    mode = Mode(is_async, call.stream)
    if is_async:
        client: AnyClient = genai_baseten.AsyncClient(
            http_client=httpx.AsyncClient(transport=transport), **kw
        )
    else:
        client = genai_baseten.Client(http_client=httpx.Client(transport=transport), **kw)
    result: Result | None = None
    error: Exception | None = None
    try:
        result = await generate(mode, client, call.messages, *opts)
    except Exception as exc:  # the recording may be an error answer
        error = exc
    assert len(seen) == 1
    return Replayed(result, error, json.loads(seen[0].content))
