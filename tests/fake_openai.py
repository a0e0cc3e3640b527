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
* ``GET /v1/models`` lists :data:`MODELS` (the text-only model with its input modalities).
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
import http.server
import json
import struct
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

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


@dataclass
class Canned:
    """One scripted answer. ``body`` pieces are written (and flushed) one at a time."""

    status: int = 200
    body: bytes | list[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering (bounded by the socket timeout)."""


def json_canned(status: int, body: Any, headers: dict[str, str] | None = None) -> Canned:
    return Canned(
        status,
        json.dumps(body).encode(),
        {"Content-Type": "application/json", **(headers or {})},
    )


def sse_event(data: dict[str, Any] | str) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data)
    return f"data: {text}\n\n".encode()


@dataclass
class Recorded:
    method: str
    target: str
    """The request target as sent: a path, or an absolute URL through a proxy."""
    headers: dict[str, str]
    """Header names lower-cased."""
    body: bytes

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.target).path

    def json(self) -> Any:
        return json.loads(self.body)


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


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.headers: dict[str, str] = {}
        self._script: deque[Canned] = deque()
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.headers.clear()
            self._script.clear()

    def enqueue(self, *answers: Canned) -> None:
        with self._lock:
            self._script.extend(answers)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    # -- answers ---------------------------------------------------------------------------

    def answer(self, req: Recorded) -> Canned:
        with self._lock:
            self.requests.append(req)
            if self._script:
                return self._script.popleft()
        path = req.path
        if req.method == "GET" and path == "/v1/models":
            return json_canned(200, {"object": "list", "data": MODELS})
        if req.method == "POST" and path == "/v1/chat/completions":
            return self._chat(req.json())
        if req.method == "POST" and path == "/v1/embeddings":
            return self._embeddings(req.json())
        return json_canned(404, {"error": {"message": f"no route {req.method} {path}"}})

    def _chat(self, body: dict[str, Any]) -> Canned:
        messages = body.get("messages") or []
        if body.get("model") == TEXT_ONLY_MODEL and _has_non_text_part(messages):
            refusal = f"{TEXT_ONLY_MODEL} is not a multimodal model"
            error = {"message": refusal, "type": "BadRequestError", "param": None, "code": 400}
            return json_canned(400, {"object": "error", **error})
        users = _user_text(messages)
        answer = "echo: " + (users[-1] if users else "")
        usage = {
            "prompt_tokens": sum(_words(u) for u in users),
            "completion_tokens": _words(answer),
            "total_tokens": sum(_words(u) for u in users) + _words(answer),
        }
        base = {"id": "chatcmpl-fake", "created": 1, "model": body.get("model")}
        if not body.get("stream"):
            completion = {
                **base,
                "object": "chat.completion",
                "system_fingerprint": "fp-fake",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer},
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage,
            }
            return json_canned(200, completion)
        words = answer.split(" ")
        pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
        chunk = {**base, "object": "chat.completion.chunk", "system_fingerprint": "fp-fake"}
        events = [
            sse_event(
                {**chunk, "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]}
            )
            for p in pieces
        ]
        events.append(
            sse_event({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        )
        events.append(sse_event({**chunk, "choices": [], "usage": usage}))
        events.append(sse_event("[DONE]"))
        return Canned(200, events, {"Content-Type": "text/event-stream"})

    def _embeddings(self, body: dict[str, Any]) -> Canned:
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
        return json_canned(
            200,
            {
                "object": "list",
                "model": body.get("model"),
                "data": data,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )


class _Handler(http.server.BaseHTTPRequestHandler):
    fake: FakeOpenAI
    protocol_version = "HTTP/1.1"
    timeout = 5  # seconds a socket may stay silent: a stuck test fails instead of hanging

    def _handle(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Recorded(self.command, self.path, headers, body)
        canned = self.fake.answer(req)
        if canned.delay:
            time.sleep(min(canned.delay, 3.0))
        self.send_response(canned.status)
        for name, value in {**self.fake.headers, **canned.headers}.items():
            self.send_header(name, value)
        if isinstance(canned.body, bytes):
            self.send_header("Content-Length", str(len(canned.body)))
            self.end_headers()
            self.wfile.write(canned.body)
            return
        # Pieces: no length, the end of the body is the end of the connection.
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        for piece in canned.body:
            self.wfile.write(piece)
            self.wfile.flush()

    do_GET = _handle
    do_POST = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve() -> Iterator[FakeOpenAI]:
    """Generator for a pytest fixture: a started server, stopped afterwards."""
    fake = FakeOpenAI()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
