"""Real servers on 127.0.0.1 for tests, each in a daemon thread with a bounded lifetime.

:class:`Loopback` is the lifecycle every loopback server shares: bind an ephemeral port when
built, serve from a thread after :meth:`~Loopback.start` (or on entering ``with``), stop on
:meth:`~Loopback.stop` (or leaving ``with``), and stop by itself after ``lifetime`` seconds so a
forgotten server cannot outlive its test run. Two kinds:

* :class:`HTTPLoopback`: an HTTP/1.1 (or 1.0) server that hands each request to a function,
  ``Incoming -> Outgoing``; the answer's body is written whole (with Content-Length), or piece
  by piece with a flush after each (ended by closing the connection, or HTTP chunked), possibly
  cut short. Used by the fake OpenAI server, the recording tests' chat server and the Baseten
  fakes, which clients reach through :class:`LoopbackTransport` / :class:`AsyncLoopbackTransport`
  (every URL sent to the loopback port, its Host kept).
* :class:`AsyncioLoopback`: raw asyncio streams, for byte-level faults: each connection goes
  to a coroutine ``(reader, writer) -> None``; connections still open at the end are cancelled.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, TypeVar

import httpx

HOST = "127.0.0.1"
LIFETIME = 300.0
"""Seconds a loopback server serves at most (long enough for a benchmark run)."""

L = TypeVar("L", bound="Loopback")
Out = TypeVar("Out", bound="Outgoing")


@dataclass
class Incoming:
    """One request as the server read it."""

    method: str
    target: str
    """The request target as sent: a path, or an absolute URL through a proxy."""
    headers: dict[str, str]
    """Header names lower-cased."""
    body: bytes

    @property
    def path(self) -> str:
        """The target's path, without query."""
        return urllib.parse.urlsplit(self.target).path

    @property
    def host(self) -> str:
        return self.headers.get("host", "")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Outgoing:
    """One answer. ``body`` bytes are sent whole with a Content-Length; an iterable of pieces is
    written (and flushed) one at a time, framed by ``framing``: ``"close"`` (the body ends when
    the connection closes) or ``"chunked"``. ``cut`` closes the connection after the pieces
    without ending the body; ``delay`` waits before answering (at most 3 s)."""

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    framing: Literal["close", "chunked"] = "close"
    cut: bool = False
    drop: bool = False
    delay: float = 0.0

    @classmethod
    def json(cls: type[Out], status: int, data: Any, headers: dict[str, str] | None = None) -> Out:
        """A JSON answer (``Content-Type: application/json``, then ``headers``)."""
        return cls(
            status,
            json.dumps(data).encode(),
            {"Content-Type": "application/json", **(headers or {})},
        )


class Loopback:
    """The lifecycle shared by the loopback servers (see the module docstring)."""

    def __init__(self, *, lifetime: float = LIFETIME) -> None:
        self.lifetime = lifetime
        self.port = 0
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None
        self._stopped = False

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{HOST}:{self.port}"

    def start(self: L) -> L:
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._timer is not None and self._timer is not threading.current_thread():
            self._timer.cancel()
        self._shutdown()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self: L) -> L:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what a kind of server provides ------------------------------------------------------

    def _serve(self) -> None:
        raise NotImplementedError

    def _shutdown(self) -> None:
        raise NotImplementedError


class HTTPLoopback(Loopback):
    """An HTTP server answering every request with ``handler(Incoming) -> Outgoing``.

    ``socket_timeout`` bounds how long a silent client may hold a server thread.
    """

    def __init__(
        self,
        handler: Callable[[Incoming], Outgoing],
        *,
        protocol: str = "HTTP/1.1",
        socket_timeout: float = 10.0,
        lifetime: float = LIFETIME,
    ) -> None:
        super().__init__(lifetime=lifetime)
        request_handler = type(
            "Handler",
            (_RequestHandler,),
            {
                "answer": staticmethod(handler),
                "protocol_version": protocol,
                "timeout": socket_timeout,
            },
        )
        self._server = http.server.ThreadingHTTPServer((HOST, 0), request_handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])

    def _serve(self) -> None:
        self._server.serve_forever(poll_interval=0.05)

    def _shutdown(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
        self._server.server_close()


class _RequestHandler(http.server.BaseHTTPRequestHandler):
    answer: Callable[[Incoming], Outgoing]
    # One write per answer, sent at once: headers and body written separately meet the peer's
    # delayed ACK and cost ~40 ms per request. Streamed pieces are flushed one by one.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _any(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        out = self.answer(Incoming(self.command, self.path, headers, body))
        if out.delay:
            time.sleep(min(out.delay, 3.0))
        if out.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(out.status)
        for name, value in out.headers.items():
            self.send_header(name, value)
        if isinstance(out.body, bytes):
            self.send_header("Content-Length", str(len(out.body)))
            self.end_headers()
            self.wfile.write(out.body)
            return
        chunked = out.framing == "chunked"
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif self.protocol_version != "HTTP/1.0":
            # No length: the end of the body is the end of the connection.
            self.send_header("Connection", "close")
        if not chunked:
            self.close_connection = True
        self.end_headers()
        for piece in out.body:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            self.wfile.flush()
        if out.cut:
            # Close without ending the body: the client sees it cut short.
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif chunked:
            self.wfile.write(b"0\r\n\r\n")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any


def _to_loopback(request: httpx.Request, port: int) -> None:
    # The Host header (say model-{id}.api.baseten.co) is already set from the original URL and
    # is kept; only where the bytes go changes.
    request.url = request.url.copy_with(scheme="http", host=HOST, port=port)


class LoopbackTransport(httpx.HTTPTransport):
    """An httpx transport sending every request to 127.0.0.1:``port``, whatever its URL, with
    its ``Host`` header kept: a client builds the real service's URLs and reaches a fake."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _to_loopback(request, self.port)
        return super().handle_request(request)


class AsyncLoopbackTransport(httpx.AsyncHTTPTransport):
    """The async twin of :class:`LoopbackTransport`."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _to_loopback(request, self.port)
        return await super().handle_async_request(request)


ConnectionHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


A = TypeVar("A", bound="AsyncioLoopback")


class AsyncioLoopback(Loopback):
    """A raw TCP server on asyncio streams: every connection goes to ``handler``, given at most
    ``handler_limit`` seconds; connections still open when the server stops are cancelled.

    ``connections`` counts the connections accepted, ``open_connections`` those not yet closed
    by the server (a connection counts as closed once its socket is)."""

    def __init__(
        self,
        handler: ConnectionHandler,
        *,
        handler_limit: float = 20.0,
        lifetime: float = LIFETIME,
    ) -> None:
        super().__init__(lifetime=lifetime)
        self.handler = handler
        self.handler_limit = handler_limit
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self.connections = 0
        self.open_connections = 0

    def wait_closed(self, limit: float = 2.0) -> bool:
        """Whether every connection is closed, waiting up to ``limit`` seconds for the server to
        notice the client's close."""
        end = time.monotonic() + limit
        while self.open_connections and time.monotonic() < end:
            time.sleep(0.005)
        return self.open_connections == 0

    def start(self: A) -> A:
        Loopback.start(self)
        if not self._ready.wait(5):
            raise RuntimeError("the loopback server did not start")
        return self

    def _serve(self) -> None:
        try:
            self._loop.run_until_complete(self._main())
        finally:
            self._loop.close()

    def _shutdown(self) -> None:
        stop = self._stop
        if stop is not None:
            with suppress(RuntimeError):  # the loop is already closed
                self._loop.call_soon_threadsafe(stop.set)

    async def _main(self) -> None:
        handlers: set[asyncio.Task[None]] = set()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            handlers.add(task)
            self.connections += 1
            self.open_connections += 1
            try:
                with suppress(asyncio.TimeoutError, ConnectionError, asyncio.IncompleteReadError):
                    await asyncio.wait_for(self.handler(reader, writer), self.handler_limit)
            finally:
                handlers.discard(task)
                writer.close()
                with suppress(Exception):
                    await writer.wait_closed()
                self.open_connections -= 1

        server = await asyncio.start_server(handle, HOST, 0)
        self.port = int(server.sockets[0].getsockname()[1])
        self._stop = asyncio.Event()
        self._ready.set()
        async with server:
            await self._stop.wait()
            # Connections still being answered (a stall) end now, their sockets closed.
            for task in list(handlers):
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)
