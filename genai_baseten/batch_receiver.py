"""The webhook receiver that collects a batch's async outputs into its SQLite state.

Baseten POSTs each output to the ``webhook_endpoint`` given at submit time. The batch engine
gives every item the endpoint ``{public_url}/{token}/{index}``: ``token`` names the batch (a
delivery meant for another batch is refused) and ``index`` the item, so an output is filed even
when the process stopped before it could record the request id.

One decision function, :func:`handle_delivery`, and two shells around it: :class:`WebhookReceiver`
(stdlib ``http.server`` in a background thread) and :func:`webhook_asgi_app` (any ASGI server).
Deliveries are idempotent: the first output recorded for an item wins; a retry or a replay of
the same delivery is answered 200 and changes nothing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol

from .batch_store import BatchStore
from .webhooks import WebhookError, WebhookPayloadError, verify_webhook

__all__ = ["Delivery", "WebhookReceiver", "handle_delivery", "webhook_asgi_app"]

# Baseten's webhook bodies are the model's output: generous, but a bound so a hostile client
# cannot make the receiver buffer without limit.
MAX_DELIVERY_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Delivery:
    """What the receiver answers (``status``, ``text``) and what it did (``recorded``)."""

    status: int
    text: str
    recorded: bool = False


def _item_index(path: str, token: str) -> int | Delivery | None:
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    if len(parts) < 2 or parts[-2] != token:
        return Delivery(404, "not a delivery for this batch")
    try:
        return int(parts[-1])
    except ValueError:
        return Delivery(404, "no item index in the path")


def handle_delivery(
    store: BatchStore,
    path: str,
    body: bytes,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    *,
    token: str,
    secrets: str | Iterable[str] | None,
) -> Delivery:
    """Verify one delivery and record it; the HTTP answer to give.

    401 for a bad or missing signature (the body is not parsed), 400 for a payload of the wrong
    shape, 404 for a path that is not this batch's, 409 when the request id belongs to another
    item; 200 otherwise, including for a repeated delivery (which changes nothing).
    """
    where = _item_index(path, token)
    if isinstance(where, Delivery):
        return where
    try:
        result = verify_webhook(body, headers, secrets)
    except WebhookPayloadError as exc:
        return Delivery(400, str(exc))
    except WebhookError as exc:
        return Delivery(401, str(exc))
    index = where
    if index is None or store.item(index) is None:
        return Delivery(404, "unknown item")
    owner = store.index_of_request(result.request_id)
    if owner is not None and owner != index:
        return Delivery(409, "request id belongs to another item")
    if result.errors:
        error = {
            "type": "AsyncRequestFailed",
            "message": "; ".join(f"{e.code}: {e.message}" for e in result.errors),
            "codes": [e.code for e in result.errors],
        }
        recorded = store.mark_failed(index, error, request_id=result.request_id)
    else:
        recorded = store.mark_done(index, json.dumps(result.data), request_id=result.request_id)
    return Delivery(200, "recorded" if recorded else "already recorded", recorded)


class _Reader(Protocol):
    def read(self, n: int, /) -> bytes: ...
    def readline(self, limit: int, /) -> bytes: ...


def _read_chunked(rfile: _Reader) -> bytes | Delivery:
    """A ``Transfer-Encoding: chunked`` body (RFC 9112 section 7.1), trailers skipped."""
    parts: list[bytes] = []
    size = 0
    while True:
        line = rfile.readline(1024)
        try:
            n = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            return Delivery(400, "malformed chunked body")
        if n < 0:
            return Delivery(400, "malformed chunked body")
        if n == 0:
            while rfile.readline(1024).strip():
                pass  # trailer fields: nothing the receiver needs
            return b"".join(parts)
        size += n
        if size > MAX_DELIVERY_BYTES:
            return Delivery(413, "delivery too large")
        chunk = rfile.read(n)
        if len(chunk) != n or rfile.readline(1024).strip():
            return Delivery(400, "malformed chunked body")
        parts.append(chunk)


def read_request_body(
    rfile: _Reader, transfer_encoding: str | None, content_length: str | None
) -> bytes | Delivery:
    """The body of a request read from ``rfile``: by ``Content-Length``, or chunked (a sender
    streaming its body has no length to give); the error answer when it cannot be read."""
    coding = (transfer_encoding or "").strip().lower()
    if coding:
        if coding != "chunked":
            return Delivery(501, f"transfer coding {coding!r} not supported")
        return _read_chunked(rfile)
    try:
        length = int(content_length or 0)
    except ValueError:
        return Delivery(400, "malformed Content-Length")
    if length < 0:
        return Delivery(400, "malformed Content-Length")
    if length > MAX_DELIVERY_BYTES:
        return Delivery(413, "delivery too large")
    return rfile.read(length)


class WebhookReceiver:
    """A stdlib HTTP server on ``host:port`` (0: any free port) filing deliveries into the state
    at ``state_path``; runs in a daemon thread between :meth:`start` and :meth:`stop`.

    ``on_delivery`` is called (in the server's thread) after each recorded output.
    """

    def __init__(
        self,
        state_path: str | Path,
        *,
        token: str,
        secrets: str | Iterable[str] | None,
        host: str = "127.0.0.1",
        port: int = 0,
        on_delivery: Callable[[Delivery], None] | None = None,
    ) -> None:
        self.state_path = str(state_path)
        self.token = token
        self._secrets = secrets if secrets is None or isinstance(secrets, str) else list(secrets)
        # One connection for every handler thread, used under a lock: a connection per thread
        # (ThreadingHTTPServer starts a thread per TCP connection) would keep a file descriptor
        # or two per delivery until stop(), and a low ulimit would then refuse deliveries.
        self._db: BatchStore | None = None
        self._lock = threading.Lock()
        self.on_delivery = on_delivery
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # One write per answer, sent at once: headers and body written separately meet the
            # peer's delayed ACK and cost ~40 ms per request.
            wbufsize = 1 << 16
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = read_request_body(
                    self.rfile,
                    self.headers.get("Transfer-Encoding"),
                    self.headers.get("Content-Length"),
                )
                if isinstance(body, Delivery):
                    self.close_connection = True  # the rest of the body was not read
                    self._answer(body)
                    return
                self._answer(receiver.handle(self.path, body, self.headers.items()))

            def _answer(self, d: Delivery) -> None:
                data = d.text.encode()
                self.send_response(d.status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # deliveries are counted in the state, not printed

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The local base URL (``http://127.0.0.1:PORT``)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def handle(self, path: str, body: bytes, headers: Iterable[tuple[str, str]]) -> Delivery:
        with self._lock:
            if self._db is None:
                self._db = BatchStore(self.state_path, check_same_thread=False)
            d = handle_delivery(
                self._db, path, body, list(headers), token=self.token, secrets=self._secrets
            )
        if d.recorded and self.on_delivery is not None:
            self.on_delivery(d)
        return d

    def start(self) -> WebhookReceiver:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


ASGIReceive = Callable[[], Awaitable[dict[str, Any]]]
ASGISend = Callable[[dict[str, Any]], Awaitable[None]]


def webhook_asgi_app(
    state_path: str | Path, *, token: str, secrets: str | Iterable[str] | None
) -> Callable[[dict[str, Any], ASGIReceive, ASGISend], Awaitable[None]]:
    """An ASGI app filing deliveries into the state at ``state_path`` (mount it anywhere; the
    last two path segments must be ``{token}/{index}``)."""
    keys = secrets if secrets is None or isinstance(secrets, str) else list(secrets)
    local = threading.local()

    def store() -> BatchStore:
        s: BatchStore | None = getattr(local, "store", None)
        if s is None:
            s = local.store = BatchStore(state_path)
        return s

    async def app(scope: dict[str, Any], receive: ASGIReceive, send: ASGISend) -> None:
        if scope["type"] != "http":
            return
        if scope.get("method") != "POST":
            d = Delivery(405, "POST only")
        else:
            chunks: list[bytes] = []
            size = 0
            more = True
            while more:
                message = await receive()
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > MAX_DELIVERY_BYTES:
                    break
                chunks.append(chunk)
                more = bool(message.get("more_body"))
            if size > MAX_DELIVERY_BYTES:
                d = Delivery(413, "delivery too large")
            else:
                headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
                d = handle_delivery(
                    store(), scope["path"], b"".join(chunks), headers, token=token, secrets=keys
                )
        await send(
            {
                "type": "http.response.start",
                "status": d.status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")],
            }
        )
        await send({"type": "http.response.body", "body": d.text.encode()})

    return app
