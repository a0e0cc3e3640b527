"""One scripted server for ``httpx.MockTransport``: it plays answers in order and keeps every
request, and response bodies played part by part (for the sync and the async client alike).

An *answer* is any ``Callable[[httpx.Request], httpx.Response]``: :func:`sse_answer`,
:func:`json_answer`, :func:`raw_answer`, or a :class:`harness.chat.ChatAnswer`, which serves
itself as a completion or a stream depending on the request.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

import httpx
import pytest

from genai_core.http import RetryPolicy
from harness.bodies import split_bytes

Answer = Callable[[httpx.Request], httpx.Response]


Part = bytes | Exception


class ScriptedBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body played part by part, for both clients.

    An exception in ``parts`` is raised at its turn (e.g. ``httpx.RemoteProtocolError`` for a
    connection cut mid-body). ``yielded`` counts the parts handed out, ``ended`` is set once
    the reader asked past the last part, ``closed`` once httpx closed the body.
    """

    def __init__(self, parts: Sequence[Part]) -> None:
        self.parts = list(parts)
        self.yielded = 0
        self.ended = False
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        for part in self.parts:
            if isinstance(part, Exception):
                raise part
            self.yielded += 1
            yield part
        self.ended = True

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self:  # the same play, one part per await
            yield part

    @property
    def all_read(self) -> bool:
        """Every byte part was handed out (a reader may stop at ``[DONE]`` without asking more)."""
        return self.yielded == sum(isinstance(p, bytes) for p in self.parts)

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def pieces(body: bytes, size: int) -> ScriptedBody:
    """``body`` delivered ``size`` bytes at a time."""
    return ScriptedBody(split_bytes(body, size))


def sse_answer(
    body: ScriptedBody | Sequence[Part], headers: dict[str, str] | None = None
) -> Answer:
    """A 200 ``text/event-stream`` answer without Content-Length (like Baseten's). A sequence
    of parts is played afresh for each request; a :class:`ScriptedBody` is served as is."""
    stream = body if isinstance(body, ScriptedBody) else None
    parts = list(body) if stream is None else []

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            headers={"content-type": "text/event-stream", **(headers or {})},
            stream=stream or ScriptedBody(parts),
        )

    return answer


def json_answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Answer:
    """An ``application/json`` answer with Content-Length."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers=headers)

    return answer


def raw_answer(status: int, content: bytes, headers: dict[str, str] | None = None) -> Answer:
    """An answer of exactly these bytes and headers."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers=headers)

    return answer


class ScriptedServer:
    """A MockTransport handler: plays ``answers`` in order and keeps every request.

    By default the last answer repeats; with ``repeat_last=False`` a request past the script is
    a test failure. ``check`` runs on every request first (e.g. to assert the path and key).
    """

    def __init__(
        self,
        *answers: Answer,
        repeat_last: bool = True,
        check: Callable[[httpx.Request], None] | None = None,
    ) -> None:
        self.answers = list(answers)
        self.repeat_last = repeat_last
        self.check = check
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.check is not None:
            self.check(request)
        self.requests.append(request)
        n = len(self.requests)
        if n > len(self.answers) and not self.repeat_last:
            raise AssertionError(f"unexpected request #{n}")
        return self.answers[min(n, len(self.answers)) - 1](request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    @property
    def calls(self) -> int:
        return len(self.requests)

    def body(self, i: int = -1) -> Any:
        """The JSON body of request ``i`` (the last by default)."""
        return json.loads(self.requests[i].content)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies of every request, in order."""
        return [json.loads(r.content) for r in self.requests]

    def bodies_for(self, path_suffix: str) -> list[dict[str, Any]]:
        """The JSON bodies of the requests whose path ends with ``path_suffix``."""
        return [json.loads(r.content) for r in self.requests if r.url.path.endswith(path_suffix)]


def serve_default_transport(monkeypatch: pytest.MonkeyPatch, handler: Answer) -> None:
    """Send every request of an httpx client built on httpx's default transport to ``handler``
    (as ``httpx.MockTransport`` would), sync and async, until the test ends. For code that
    builds its own clients, such as the examples of the docs."""
    mock = httpx.MockTransport(handler)

    def handle(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        return mock.handle_request(request)

    async def handle_async(
        self: httpx.AsyncHTTPTransport, request: httpx.Request
    ) -> httpx.Response:
        return await mock.handle_async_request(request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle)
    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", handle_async)


class Sleeps:
    """Fake sleeps for a ``RetryPolicy``: record the delays, never wait."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def sleep(self, delay: float) -> None:
        self.delays.append(delay)

    async def async_sleep(self, delay: float) -> None:
        self.delays.append(delay)

    def policy(self, **kw: Any) -> RetryPolicy:
        """A retry policy sleeping through this object (other settings from ``kw``)."""
        return RetryPolicy(sleep=self.sleep, async_sleep=self.async_sleep, **kw)
