"""A loopback HTTP server for fault injection: every byte, delay and close is the test's choice.

It listens on 127.0.0.1 (raw asyncio streams, in a thread of its own) and answers each request
with the next *script* of its queue (the last one is repeated): a list of actions

* ``b"..."``: write these bytes (and drain);
* ``Sleep(s)``: wait ``s`` seconds (a stall);
* ``CLOSE``: close the connection cleanly (FIN);
* ``RESET``: abort it with a TCP reset (``SO_LINGER`` 0).

A script that neither closes nor resets leaves the connection open for the next request
(keep-alive). The server counts open connections and keeps each request's head and body, so
tests can check that nothing was left open and what was sent. It is bounded: every connection
handler gives up after :data:`HANDLER_LIMIT` seconds and the server stops when its ``with``
block ends (or after :data:`LIFETIME` seconds, whichever comes first).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CLOSE",
    "RESET",
    "Action",
    "FaultServer",
    "Script",
    "Sleep",
    "chunk",
    "fault_server",
    "http_response",
    "sse",
]

HANDLER_LIMIT = 20.0
LIFETIME = 120.0


@dataclass(frozen=True)
class Sleep:
    seconds: float


CLOSE = "close"
RESET = "reset"

Action = bytes | Sleep | str
Script = Sequence[Action]


@dataclass
class Seen:
    """One request as the server read it."""

    head: str
    body: bytes

    @property
    def headers(self) -> dict[str, str]:
        lines = self.head.split("\r\n")[1:]
        return {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines if x)}


@dataclass
class FaultServer:
    url: str
    scripts: list[Script] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    open_connections: int = 0
    connections: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def script(self, *scripts: Script) -> None:
        """Answer the next requests with these scripts, in order (the last one repeats)."""
        with self._lock:
            self.scripts = list(scripts)
            self.requests.clear()

    def _next(self) -> Script:
        with self._lock:
            return self.scripts.pop(0) if len(self.scripts) > 1 else self.scripts[0]

    def wait_closed(self, limit: float = 2.0) -> bool:
        """Whether every connection is closed, waiting up to ``limit`` seconds for the server to
        notice the client's close."""
        end = time.monotonic() + limit
        while self.open_connections and time.monotonic() < end:
            time.sleep(0.005)
        return self.open_connections == 0


async def _read_request(reader: asyncio.StreamReader) -> Seen | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    text = head.decode("latin-1")
    seen = Seen(text.rstrip("\r\n"), b"")
    length = int(seen.headers.get("content-length", "0"))
    if length:
        seen.body = await reader.readexactly(length)
    return seen


async def _answer(server: FaultServer, reader: asyncio.StreamReader, writer: Any) -> None:
    while True:
        seen = await _read_request(reader)
        if seen is None:
            return
        server.requests.append(seen)
        for action in server._next():
            if isinstance(action, bytes):
                writer.write(action)
                await writer.drain()
            elif isinstance(action, Sleep):
                # A stall that ends early when the client hangs up (it timed out or closed).
                try:
                    if not await asyncio.wait_for(reader.read(1), action.seconds):
                        return
                except asyncio.TimeoutError:
                    pass
            elif action == RESET:
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()
                return
            else:
                return


async def _serve(server: FaultServer, reader: asyncio.StreamReader, writer: Any) -> None:
    server.open_connections += 1
    server.connections += 1
    try:
        await asyncio.wait_for(_answer(server, reader, writer), HANDLER_LIMIT)
    except (asyncio.TimeoutError, ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()
        with suppress(Exception):
            await writer.wait_closed()
        server.open_connections -= 1


@contextmanager
def fault_server() -> Iterator[FaultServer]:
    """Start a :class:`FaultServer` in a thread; stop it when the block ends."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, Any] = {}

    async def main() -> None:
        srv = FaultServer(url="")

        handlers: set[asyncio.Task[None]] = set()

        async def handle(reader: asyncio.StreamReader, writer: Any) -> None:
            task = asyncio.current_task()
            assert task is not None
            handlers.add(task)
            try:
                await _serve(srv, reader, writer)
            finally:
                handlers.discard(task)

        aserver = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = aserver.sockets[0].getsockname()[1]
        srv.url = f"http://127.0.0.1:{port}/v1"
        holder["server"] = srv
        holder["stop"] = stop = asyncio.Event()
        started.set()
        async with aserver:
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), LIFETIME)
            # Connections still being answered (a stall) end now, their sockets closed.
            for task in list(handlers):
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    started.wait(5)
    try:
        yield holder["server"]
    finally:
        loop.call_soon_threadsafe(holder["stop"].set)
        thread.join(5)
        loop.close()


# -- building answers -------------------------------------------------------------------------


def http_response(
    status: int,
    body: bytes = b"",
    *,
    headers: Sequence[tuple[str, str]] = (),
    content_type: str = "application/json",
    length: bool = True,
    reason: str = "",
) -> bytes:
    """The bytes of an HTTP/1.1 answer (with Content-Length unless ``length=False``: then the
    body ends when the connection closes)."""
    lines = [f"HTTP/1.1 {status} {reason or _REASONS.get(status, 'Status')}"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    if length:
        lines.append(f"Content-Length: {len(body)}")
    else:
        lines.append("Connection: close")
    lines += [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


_REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    529: "Overloaded",
}


def chunk(delta: dict[str, Any] | None = None, *, finish: str | None = None, **extra: Any) -> str:
    """One chat.completion.chunk event's JSON (choices omitted when ``delta`` is None)."""
    data: dict[str, Any] = {"id": "chatcmpl-f", "object": "chat.completion.chunk", "model": "m"}
    if delta is not None:
        choice: dict[str, Any] = {"index": 0, "delta": delta}
        if finish:
            choice["finish_reason"] = finish
        data["choices"] = [choice]
    data.update(extra)
    return json.dumps(data)


def sse(*events: str) -> bytes:
    """SSE bytes: one ``data:`` event per item, each ended by a blank line."""
    return b"".join(f"data: {e}\n\n".encode() for e in events)


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)
