"""The scripted chat server of the feature tests (tools, structured output, reasoning, logprobs,
cost...), and a replay of one real recording through any mode.

A :class:`ChatAnswer` is one reply, served as a ``chat.completion`` or as an SSE stream (each
text field cut into ``pieces`` chunks, Baseten's cumulative usage on every chunk, delivered 7
bytes at a time) depending on the request's ``"stream"``; :class:`ChatServer` plays them in
order, checks the path and the key, and refuses a request past the script.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import wire

from genai_core.types import Result
from harness import bodies
from harness.bodies import cut
from harness.flavors import SYNC, Flavor, Mode
from harness.scripted import ScriptedServer, pieces

MODEL = "openai/gpt-oss-120b"
KEY = "feature-test-key-0123456789"
USAGE = bodies.usage(20, 5)
ID = "chatcmpl-feature"


@dataclass
class ChatAnswer:
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
        return bodies.completion(
            self.content,
            reasoning=self.reasoning,
            tool_calls=self.tool_calls,
            finish=self.finish,
            logprobs=self.logprobs,
            usage=self.usage or USAGE,
            id=ID,
            model=MODEL,
        )

    def chunks(self) -> list[dict[str, Any]]:
        use = self.usage or USAGE
        out: list[dict[str, Any]] = []

        def add(delta: dict[str, Any] | None, **kw: Any) -> None:
            out.append(bodies.chunk(delta, usage=use, id=ID, model=MODEL, **kw))

        add({"role": "assistant", "content": ""})
        for piece in cut(self.reasoning or "", self.pieces):
            add({"reasoning_content": piece})
        lps = list(self.logprobs or [])
        text_pieces = cut(self.content or "", self.pieces)
        per = -(-len(lps) // len(text_pieces)) if text_pieces else 0
        for i, piece in enumerate(text_pieces):
            # Logprobs ride on the content chunks, spread over them.
            share = lps[i * per : (i + 1) * per]
            if share:
                add({"content": piece}, logprobs={"content": share})
            else:
                add({"content": piece})
        for index, (call_id, name, args) in enumerate(self.tool_calls):
            arg_pieces = cut(args, 2) or [""]
            first = {"index": index, **bodies.tool_call(call_id, name, arg_pieces[0])}
            add({"tool_calls": [first]})
            for piece in arg_pieces[1:]:
                more = {"index": index, "id": call_id, "function": {"arguments": piece}}
                add({"tool_calls": [more]})
        add({}, finish=self.finish)
        add(None)
        return out

    def response(self, stream: bool) -> httpx.Response:
        if self.status != 200:
            return httpx.Response(self.status, json=self.error or {"error": "failed"})
        if not stream:
            return httpx.Response(200, json=self.completion())
        body = bodies.events_of(self.chunks())
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, stream=pieces(body, 7)
        )

    def __call__(self, request: httpx.Request) -> httpx.Response:
        return self.response(json.loads(request.content).get("stream") is True)


def _check_chat_request(request: httpx.Request) -> None:
    assert request.url.path.endswith("/chat/completions"), request.url
    assert request.headers["authorization"] == f"Api-Key {KEY}"


class ChatServer(ScriptedServer):
    """Serves ``answers`` in order to chat requests carrying :data:`KEY`; one request more than
    the script is a test failure."""

    def __init__(self, *answers: Callable[[httpx.Request], httpx.Response]) -> None:
        super().__init__(*answers, repeat_last=False, check=_check_chat_request)


def failing_midway(answer: ChatAnswer, events: int) -> Callable[[httpx.Request], httpx.Response]:
    """A handler streaming the first ``events`` events of ``answer``, then an SSE error event."""

    def handler(request: httpx.Request) -> httpx.Response:
        full = answer(request)
        head = full.read().split(b"\n\n")[:events]
        error = b'event: error\ndata: {"error": {"message": "overloaded"}}'
        return httpx.Response(
            200, headers=full.headers, content=b"\n\n".join([*head, error]) + b"\n\n"
        )

    return handler


def chat_client(
    mode: Mode | Flavor, server: Callable[[httpx.Request], httpx.Response], **kw: Any
) -> Any:
    """A Baseten client of ``mode`` on ``server``, with :data:`MODEL` and :data:`KEY` by default."""
    kw.setdefault("model", MODEL)
    kw.setdefault("api_key", KEY)
    return mode.mock_client(server, **kw)


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
    flavor: Flavor = SYNC,
) -> Replayed:
    """Send ``call`` (with ``options``, by default its own) to a server replaying ``it``."""
    opts = call.option_args if options is None else tuple(options)
    seen: list[httpx.Request] = []
    handler = wire.replay_handler(it, seen)
    kw: dict[str, Any] = {"model": call.model, "api_key": wire.API_KEY, "base_url": it.base_url}
    out = await Mode(flavor, call.stream).outcome(
        flavor.mock_client(handler, **kw), call.messages, *opts
    )
    assert len(seen) == 1
    return Replayed(out.result, out.error, json.loads(seen[0].content))
