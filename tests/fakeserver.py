"""A small OpenAI-chat-like HTTP server on 127.0.0.1, in-process, for recording tests.

It answers ``POST /v1/chat/completions`` (streamed as SSE when the body says ``"stream": true``,
one event per write with a flush in between, else one JSON body) and ``GET /v1/models``. Every
response carries the noise a real server adds (``Date``, ``Set-Cookie``, ``X-Request-Id``) so
tests can check it is scrubbed. The answers are written here, for these tests. The server is a
:class:`harness.loopback.HTTPLoopback` speaking HTTP/1.0 (a streamed body ends when the
connection closes; no chunked encoding).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from harness import bodies
from harness.loopback import HTTPLoopback, Incoming, Outgoing

__all__ = ["FakeServer", "chat_events", "fake_server"]

MODEL = "fake/model-1"
REASONING = ["Think", "ing."]
TEXT = ["Hel", "lo ", "there", "!"]
USAGE = bodies.usage(5, 7)
NOISE = {
    "Set-Cookie": "session=abc123; Path=/",
    "X-Request-Id": "req-0001",
    "X-Ratelimit-Remaining-Tokens": "999",
}


def chat_events(prompt: str) -> list[dict[str, Any]]:
    """The JSON chunks of a streamed answer: reasoning, text, a finish, a usage-only chunk."""
    deltas = [{"reasoning_content": p} for p in REASONING]
    deltas += [{"content": p} for p in [*TEXT, f" ({prompt})"]]
    kw: dict[str, Any] = {"id": "chatcmpl-fake", "model": MODEL, "created": None}
    chunks = [bodies.chunk(d, **kw) for d in deltas]
    chunks.append(bodies.chunk({}, finish="stop", **kw))
    chunks.append(bodies.chunk(None, usage=USAGE, **kw))
    return chunks


def chat_body(prompt: str) -> dict[str, Any]:
    return bodies.completion(
        "".join(TEXT) + f" ({prompt})",
        reasoning="".join(REASONING),
        usage=USAGE,
        id="chatcmpl-fake",
        model=MODEL,
        created=None,
    )


class FakeServer(HTTPLoopback):
    """The server; ``requests`` keeps what arrived."""

    def __init__(self) -> None:
        super().__init__(self.handle, protocol="HTTP/1.0")
        self.requests: list[Incoming] = []
        self.echo_auth = False
        """Put the request's Authorization header in the answer (a careless server)."""
        self.gate: threading.Event | None = None
        """When set, a stream waits for it after its first event (bounded by a timeout)."""
        self.gate_timed_out = False

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:<port>/v1``."""
        return super().url + "/v1"

    def handle(self, req: Incoming) -> Outgoing:
        self.requests.append(req)
        if req.method == "GET":
            return Outgoing.json(200, {"data": [{"id": MODEL, "object": "model"}]}, NOISE)
        body = req.json()
        prompt = body["messages"][-1]["content"]
        if self.echo_auth:
            prompt = f"{prompt} [{req.headers.get('authorization')}]"
        if not body.get("stream"):
            return Outgoing.json(200, chat_body(prompt), NOISE)
        headers = {"Content-Type": "text/event-stream; charset=utf-8", **NOISE}
        return Outgoing(200, self.stream(prompt), headers)

    def stream(self, prompt: str) -> Iterator[bytes]:
        for i, chunk in enumerate(chat_events(prompt)):
            yield bodies.event(chunk)
            if i == 0 and self.gate is not None and not self.gate.wait(timeout=10):
                self.gate_timed_out = True
        yield bodies.DONE


@contextmanager
def fake_server() -> Iterator[FakeServer]:
    """Serve on 127.0.0.1 (an ephemeral port) until the block ends."""
    with FakeServer() as server:
        yield server
