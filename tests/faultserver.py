"""A loopback HTTP server for fault injection: every byte, delay and close is the test's choice.

It listens on 127.0.0.1 (:class:`harness.loopback.AsyncioLoopback`: raw asyncio streams, in a
thread of its own) and answers each request
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
import socket
import struct
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from harness.loopback import AsyncioLoopback

__all__ = [
    "CLOSE",
    "RESET",
    "Action",
    "FaultServer",
    "Script",
    "Sleep",
    "fault_server",
    "http_response",
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


class FaultServer(AsyncioLoopback):
    """The fault server: answers each request with the next script (the last one repeats)."""

    def __init__(self) -> None:
        super().__init__(self.answer, handler_limit=HANDLER_LIMIT, lifetime=LIFETIME)
        self.scripts: list[Script] = []
        self.requests: list[Seen] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        """The base URL a client is given, ``http://127.0.0.1:<port>/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *scripts: Script) -> None:
        """Answer the next requests with these scripts, in order (the last one repeats)."""
        with self.lock:
            self.scripts = list(scripts)
            self.requests.clear()

    def next_script(self) -> Script:
        with self.lock:
            return self.scripts.pop(0) if len(self.scripts) > 1 else self.scripts[0]

    async def answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            seen = await read_request(reader)
            if seen is None:
                return
            self.requests.append(seen)
            for action in self.next_script():
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


async def read_request(reader: asyncio.StreamReader) -> Seen | None:
    """The next request's head and body, or None when the client closed."""
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


@contextmanager
def fault_server() -> Iterator[FaultServer]:
    """Start a :class:`FaultServer` in a thread; stop it when the block ends."""
    with FaultServer() as server:
        yield server


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


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)
