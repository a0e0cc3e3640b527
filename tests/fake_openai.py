"""An OpenAI-compatible server for tests: in-process, on 127.0.0.1, over real sockets.

It behaves, by default, like a tiny model server, so tests can compute what a correct client
must get without copying it from the client's output:

* ``POST /v1/chat/completions`` answers ``"echo: <last user text>"``; with ``"stream": true`` it
  sends one SSE event per word (flushed one by one), a finish event, a usage event and
  ``[DONE]``. Usage counts words: prompt tokens are the words of the user messages, completion
  tokens the words of the answer. A user message's text is its ``content`` string, or the
  ``text`` parts of its ``content`` array joined by a space (other parts are not echoed).
* A request for :data:`TEXT_ONLY_MODEL` that carries a part other than text is refused the way
  vLLM refuses it: HTTP 400, ``"<model> is not a multimodal model"``.
* ``GET /v1/models`` lists :attr:`FakeOpenAI.models`, by default :data:`MODELS` (the text-only
  model with its input modalities).
* ``POST /v1/embeddings`` embeds each input text ``t`` at position ``i`` as
  ``[len(t), ord(t[0]), i]`` (cut to ``dimensions`` when given), as JSON floats or, when
  ``encoding_format`` is ``"base64"``, as little-endian float32 bytes in base64.

:meth:`FakeOpenAI.enqueue` scripts the next answers instead (status, headers, body pieces, a
delay), ``headers`` adds headers to every answer, and ``requests`` records what arrived. The
server answers requests in threads and is bounded: sockets time out after a few seconds and the
fixture shuts it down.

A request whose target is an absolute URL (``POST http://host/...``) is how a client talks to
an HTTP proxy; it is recorded as it arrived, so a test can check that ``proxy=`` was used.
"""

from __future__ import annotations

import base64
import struct
import threading
from collections import deque
from collections.abc import Iterator
from typing import Any

from harness import bodies
from harness.loopback import HTTPLoopback, Incoming, Outgoing

MODELS = [
    {"id": "fake/echo-1", "object": "model", "created": 1700000000, "owned_by": "tests"},
    {"id": "fake/embed-1", "object": "model", "created": 1700000001, "owned_by": "tests"},
    {
        "id": "fake/text-only-1",
        "object": "model",
        "created": 1700000002,
        "owned_by": "tests",
        "input_modalities": ["text"],
    },
]
TEXT_ONLY_MODEL = "fake/text-only-1"


def _words(text: str) -> int:
    return len(text.split())


def _text_of(content: Any) -> str | None:
    """The text of a message's ``content``: the string, or its text parts joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [p["text"] for p in content if isinstance(p, dict) and p.get("type") == "text"]
        return " ".join(texts) if texts else None
    return None


def _user_text(messages: list[dict[str, Any]]) -> list[str]:
    texts = (_text_of(m.get("content")) for m in messages if m.get("role") == "user")
    return [t for t in texts if t is not None]


def _has_non_text_part(messages: list[dict[str, Any]]) -> bool:
    return any(
        isinstance(part, dict) and part.get("type") != "text"
        for m in messages
        if isinstance(m.get("content"), list)
        for part in m["content"]
    )


def fake_vector(text: str, index: int, dimensions: int | None) -> list[float]:
    """The vector the fake server gives ``text`` at ``index`` (see the module docstring)."""
    vector = [float(len(text)), float(ord(text[0])), float(index)]
    return vector[:dimensions] if dimensions else vector


class FakeOpenAI(HTTPLoopback):
    """The fake server (see the module docstring); a :class:`harness.loopback.HTTPLoopback`."""

    def __init__(self) -> None:
        super().__init__(self.handle, socket_timeout=5.0)
        self.requests: list[Incoming] = []
        self.headers: dict[str, str] = {}
        self.models: list[dict[str, Any]] = list(MODELS)
        self.script: deque[Outgoing] = deque()
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.headers.clear()
            self.script.clear()
            self.models = list(MODELS)

    def enqueue(self, *answers: Outgoing) -> None:
        with self.lock:
            self.script.extend(answers)

    def handle(self, req: Incoming) -> Outgoing:
        out = self.answer(req)
        out.headers = {**self.headers, **out.headers}
        return out

    # -- answers ---------------------------------------------------------------------------

    def answer(self, req: Incoming) -> Outgoing:
        with self.lock:
            self.requests.append(req)
            if self.script:
                return self.script.popleft()
        path = req.path
        if req.method == "GET" and path == "/v1/models":
            return Outgoing.json(200, {"object": "list", "data": self.models})
        if req.method == "POST" and path == "/v1/chat/completions":
            return self.chat(req.json())
        if req.method == "POST" and path == "/v1/embeddings":
            return self.embeddings(req.json())
        return Outgoing.json(404, {"error": {"message": f"no route {req.method} {path}"}})

    def chat(self, body: dict[str, Any]) -> Outgoing:
        messages = body.get("messages") or []
        if body.get("model") == TEXT_ONLY_MODEL and _has_non_text_part(messages):
            refusal = f"{TEXT_ONLY_MODEL} is not a multimodal model"
            error = {"message": refusal, "type": "BadRequestError", "param": None, "code": 400}
            return Outgoing.json(400, {"object": "error", **error})
        users = _user_text(messages)
        answer = "echo: " + (users[-1] if users else "")
        usage = bodies.usage(sum(_words(u) for u in users), _words(answer))
        kw: dict[str, Any] = {
            "id": "chatcmpl-fake",
            "model": body.get("model"),
            "created": 1,
            "system_fingerprint": "fp-fake",
        }
        if not body.get("stream"):
            return Outgoing.json(200, bodies.completion(answer, usage=usage, **kw))
        words = answer.split(" ")
        pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
        # Each word in a chunk of its own, then the finish, a usage-only chunk and [DONE].
        events = bodies.text_stream(*pieces, usage=usage, **kw)
        return Outgoing(200, events, {"Content-Type": "text/event-stream"})

    def embeddings(self, body: dict[str, Any]) -> Outgoing:
        raw = body.get("input")
        texts = [raw] if isinstance(raw, str) else list(raw or [])
        dims = body.get("dimensions")
        data = []
        for i, text in enumerate(texts):
            vector = fake_vector(text, i, dims)
            embedding: Any = vector
            if body.get("encoding_format") == "base64":
                packed = struct.pack(f"<{len(vector)}f", *vector)
                embedding = base64.b64encode(packed).decode()
            data.append({"object": "embedding", "index": i, "embedding": embedding})
        data.reverse()  # nothing promises the order; the client sorts by index
        tokens = sum(_words(t) for t in texts)
        return Outgoing.json(
            200,
            {
                "object": "list",
                "model": body.get("model"),
                "data": data,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )


def serve() -> Iterator[FakeOpenAI]:
    """Generator for a pytest fixture: a started server, stopped afterwards."""
    fake = FakeOpenAI()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
