"""A small OpenAI-chat-like HTTP server on 127.0.0.1, in-process, for recording tests.

It answers ``POST /v1/chat/completions`` (streamed as SSE when the body says ``"stream": true``,
one event per write with a flush in between, else one JSON body) and ``GET /v1/models``. Every
response carries the noise a real server adds (``Date``, ``Set-Cookie``, ``X-Request-Id``) so
tests can check it is scrubbed. The answers are written here, for these tests.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeServer", "chat_events", "fake_server"]

MODEL = "fake/model-1"
REASONING = ["Think", "ing."]
TEXT = ["Hel", "lo ", "there", "!"]


def chat_events(prompt: str) -> list[dict[str, Any]]:
    """The JSON chunks of a streamed answer: reasoning, text, a finish, a usage-only chunk."""
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": MODEL}
    deltas = [{"reasoning_content": p} for p in REASONING]
    deltas += [{"content": p} for p in [*TEXT, f" ({prompt})"]]
    chunks: list[dict[str, Any]] = [{**base, "choices": [{"index": 0, "delta": d}]} for d in deltas]
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    usage = {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}
    chunks.append({**base, "choices": [], "usage": usage})
    return chunks


def chat_body(prompt: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "".join(TEXT) + f" ({prompt})",
                    "reasoning_content": "".join(REASONING),
                },
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
    }


@dataclass
class FakeServer:
    url: str
    """The base URL, ``http://127.0.0.1:<port>/v1``."""
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    echo_auth: bool = False
    """Put the request's Authorization header in the answer (a careless server)."""
    gate: threading.Event | None = None
    """When set, a stream waits for it after its first event (bounded by a timeout)."""
    gate_timed_out: bool = False


def _handler(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: a streamed body ends when the connection closes; no chunked encoding.
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _noise(self) -> None:
            self.send_header("Set-Cookie", "session=abc123; Path=/")
            self.send_header("X-Request-Id", "req-0001")
            self.send_header("X-Ratelimit-Remaining-Tokens", "999")

        def _json(self, status: int, data: Any) -> None:
            body = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self._noise()
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            server.requests.append(("GET", self.path, dict(self.headers), b""))
            self._json(200, {"data": [{"id": MODEL, "object": "model"}]})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            server.requests.append(("POST", self.path, dict(self.headers), raw))
            body = json.loads(raw)
            prompt = body["messages"][-1]["content"]
            if server.echo_auth:
                prompt = f"{prompt} [{self.headers.get('Authorization')}]"
            if not body.get("stream"):
                self._json(200, chat_body(prompt))
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self._noise()
            self.end_headers()
            for i, chunk in enumerate(chat_events(prompt)):
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
                if i == 0 and server.gate is not None and not server.gate.wait(timeout=10):
                    server.gate_timed_out = True
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    return Handler


@contextmanager
def fake_server() -> Iterator[FakeServer]:
    """Serve on 127.0.0.1 (an ephemeral port) until the block ends."""
    state = FakeServer(url="")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
