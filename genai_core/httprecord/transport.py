"""An httpx transport (sync and async) that answers from a cassette and records through.

Why not vcrpy's httpx stubs: when recording they read the whole response before handing it to
the client (a streamed answer reaches the application only once the server has finished), and on
replay they return the body as one read, so the SSE decoder and the stream assembler never see an
event cut across reads, the way a network delivers it; their async streaming replay has had open
bugs (vcrpy #597, #989). This transport keeps vcrpy's model (a cassette, matchers, record modes,
hooks; see :mod:`.recorder`) but moves the bytes itself:

* replay: an event-stream body is served in many reads, one per SSE event by default
  (``split="events"``) or cut at random byte offsets (``split="bytes"``, from ``seed``, so a
  failure reproduces); other bodies in one read;
* record: the real response is handed to the client as it arrives, read by read, while a copy
  is kept; when the body ends the interaction is stored. A body the client stops reading early is
  drained, so the cassette always holds the whole answer.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Literal

import anyio.lowlevel
import httpx

from ..errors import ValidationError
from ..plans import Plan, adrive, drive
from .cassette import (
    CassetteError,
    InteractionStore,
    RecordedRequest,
    RecordedResponse,
)

__all__ = ["ReplayTransport", "Split", "split_bytes", "split_events"]

Split = Literal["events", "bytes"]

# Response headers that describe how the recorded bytes travelled, not what they are: the body is
# stored decoded, so they would be wrong on replay.
_TRANSPORT_HEADERS = frozenset({"content-length", "content-encoding", "transfer-encoding"})


class ReplayTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Serve a cassette's responses to an httpx client, sync or async.

    ``store`` is a :class:`~.cassette.Cassette` (replay only) or a recorder's store. ``real`` /
    ``real_async`` are the transports a request goes to when the store says to record it; without
    them, such a request is an error.
    """

    def __init__(
        self,
        store: InteractionStore,
        *,
        split: Split = "events",
        seed: int = 0,
        real: httpx.BaseTransport | None = None,
        real_async: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if split not in ("events", "bytes"):
            raise ValidationError(f"split must be 'events' or 'bytes', got {split!r}")
        self.store = store
        self.split = split
        self.seed = seed
        self.real = real
        self.real_async = real_async

    # -- httpx transports ------------------------------------------------------------------

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        real = self.real

        def act(step: str) -> Any:
            if step is _READ:
                return request.read()
            assert real is not None  # the plan checked
            return real.handle_request(request)

        return drive(self._exchange(request, real, _SyncChunks, _SyncTee), act)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        real = self.real_async

        async def act(step: str) -> Any:
            if step is _READ:
                return await request.aread()
            assert real is not None  # the plan checked
            return await real.handle_async_request(request)

        return await adrive(self._exchange(request, real, _AsyncChunks, _AsyncTee), act)

    def _exchange(
        self,
        request: httpx.Request,
        real: httpx.BaseTransport | httpx.AsyncBaseTransport | None,
        chunks: Callable[[list[bytes]], httpx.SyncByteStream | httpx.AsyncByteStream],
        tee: Callable[[Any, _Sink], httpx.SyncByteStream | httpx.AsyncByteStream],
    ) -> Plan[httpx.Response]:
        """One request as a plan (:mod:`genai_core.plans`), for both twins: answered from the
        store, or sent through ``real`` and recorded. Its steps: ``_READ`` (the outcome: the
        request's body) and ``_SEND`` (the real transport's response)."""
        recorded = RecordedRequest.from_httpx(request, (yield _READ))
        found = self.store.play(recorded)
        if found is not None:
            return self._replayed(*found, chunks(self._chunks(*found)))
        if real is None:
            raise self._cannot_record()
        _ask_for_identity(request)
        response: httpx.Response = yield _SEND
        is_async = tee is _AsyncTee
        if not isinstance(
            response.stream, httpx.AsyncByteStream if is_async else httpx.SyncByteStream
        ):
            what = "an async byte stream" if is_async else "a sync byte stream"
            raise TypeError(f"{real!r} returned a response without {what}")
        return self._record(recorded, response, tee)

    def close(self) -> None:
        if self.real is not None:
            self.real.close()

    async def aclose(self) -> None:
        if self.real_async is not None:
            await self.real_async.aclose()

    # -- replay ----------------------------------------------------------------------------

    def _replayed(
        self,
        index: int,
        recorded: RecordedResponse,
        stream: httpx.SyncByteStream | httpx.AsyncByteStream,
    ) -> httpx.Response:
        headers = [
            (name, value)
            for name, values in recorded.headers.items()
            if name.lower() not in _TRANSPORT_HEADERS
            for value in values
        ]
        if not recorded.is_event_stream:
            headers.append(("Content-Length", str(len(recorded.body))))
        extensions: dict[str, object] = {"replayed_interaction": index}
        if recorded.reason:
            extensions["reason_phrase"] = recorded.reason.encode("ascii", "replace")
        return httpx.Response(
            recorded.status_code, headers=headers, stream=stream, extensions=extensions
        )

    def _chunks(self, index: int, recorded: RecordedResponse) -> list[bytes]:
        body = recorded.body
        if not body:
            return []
        if not recorded.is_event_stream:
            return [body]
        if self.split == "events":
            return split_events(body)
        return split_bytes(body, random.Random(f"{self.seed}:{index}"))

    # -- record ----------------------------------------------------------------------------

    def _cannot_record(self) -> CassetteError:
        return CassetteError(
            f"{self.store.path}: this request must be recorded, but the transport has no "
            "real transport to send it to"
        )

    def _record(
        self,
        request: RecordedRequest,
        response: httpx.Response,
        tee: Callable[[Any, _Sink], httpx.SyncByteStream | httpx.AsyncByteStream],
    ) -> httpx.Response:
        """Store the interaction once the client has read the body (at once if it is in memory)."""
        sink = self._recorder(request, response)
        if isinstance(response.stream, httpx.ByteStream):
            # A body already in memory (a MockTransport's answer): httpx has read it when the
            # response was made and will not read the stream again.
            sink(b"".join(response.stream))
        else:
            response.stream = tee(response.stream, sink)
        return response

    def _recorder(self, request: RecordedRequest, response: httpx.Response) -> _Sink:
        headers: dict[str, list[str]] = {}
        for name, value in response.headers.multi_items():
            headers.setdefault(name, []).append(value)
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        reason = response.reason_phrase

        def done(raw: bytes) -> None:
            body = _decode(raw, encoding, self.store.path)
            kept = {k: v for k, v in headers.items() if k.lower() not in _TRANSPORT_HEADERS}
            self.store.record(request, RecordedResponse(response.status_code, kept, body, reason))

        return done


_Sink = Callable[[bytes], None]
_READ, _SEND = "read the request body", "send it through the real transport"


def _ask_for_identity(request: httpx.Request) -> None:
    # Bodies are stored as text: ask the server not to compress what is being recorded.
    request.headers["Accept-Encoding"] = "identity"


def _decode(raw: bytes, encoding: str, path: str) -> bytes:
    if encoding in ("", "identity"):
        return raw
    if encoding in ("gzip", "x-gzip", "deflate"):
        # wbits 47: zlib or gzip header, detected. A raw deflate stream needs -15.
        try:
            return zlib.decompress(raw, 47)
        except zlib.error:
            return zlib.decompress(raw, -15)
    raise CassetteError(
        f"{path}: the server sent a body with Content-Encoding {encoding!r} although asked for "
        "identity; it cannot be stored as text"
    )


class _Capture:
    """Keeps a copy of each read handed on; reports the whole body once, when it ended."""

    def __init__(self, done: _Sink) -> None:
        self._done: _Sink | None = done
        self._parts: list[bytes] = []

    def _finish(self) -> None:
        if self._done is not None:
            done, self._done = self._done, None
            done(b"".join(self._parts))

    def _drop(self) -> None:
        # The rest of a body the client gave up on could not be read: a partial answer must
        # not be stored as if it were the whole one.
        self._done = None


class _SyncTee(_Capture, httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, done: _Sink) -> None:
        super().__init__(done)
        self._inner = inner
        self._iterator: Iterator[bytes] | None = None

    def __iter__(self) -> Iterator[bytes]:
        self._iterator = iter(self._inner)
        for part in self._iterator:
            self._parts.append(part)
            yield part
        self._finish()

    def close(self) -> None:
        try:
            if self._done is not None:
                # The client stopped early: read the rest so the cassette holds the whole body.
                try:
                    self._parts.extend(self._iterator or self._inner)
                except Exception:
                    self._drop()
                self._finish()
        finally:
            self._inner.close()


class _AsyncTee(_Capture, httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, done: _Sink) -> None:
        super().__init__(done)
        self._inner = inner
        self._iterator: AsyncIterator[bytes] | None = None

    # An iterator object, not an async generator: one the client abandons has nothing to be
    # finalised by the garbage collector (trio warns about such generators).
    def __aiter__(self) -> _AsyncTee:
        self._iterator = self._inner.__aiter__()
        return self

    async def __anext__(self) -> bytes:
        if self._iterator is None:
            self._iterator = self._inner.__aiter__()
        try:
            part = await self._iterator.__anext__()
        except StopAsyncIteration:
            self._finish()
            raise
        self._parts.append(part)
        return part

    async def aclose(self) -> None:
        try:
            if self._done is not None:
                iterator = self._iterator or self._inner.__aiter__()
                try:
                    self._parts.extend([part async for part in iterator])
                except Exception:
                    self._drop()
                self._finish()
        finally:
            await self._inner.aclose()


_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")


def split_events(body: bytes) -> list[bytes]:
    """``body`` cut after each blank line that ends an SSE event (LF, CRLF or CR; kept)."""
    pieces = []
    start = 0
    for end in _EVENT_END.finditer(body):
        pieces.append(body[start : end.end()])
        start = end.end()
    if start < len(body):
        pieces.append(body[start:])
    return pieces


def split_bytes(body: bytes, rng: random.Random, max_size: int = 32) -> list[bytes]:
    """``body`` cut into pieces of random sizes from 1 to ``max_size`` bytes."""
    pieces = []
    start = 0
    while start < len(body):
        end = start + rng.randint(1, max_size)
        pieces.append(body[start:end])
        start = end
    return pieces


class _SyncChunks(httpx.SyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks


class _AsyncChunks(httpx.AsyncByteStream):
    # An iterator object rather than an async generator, for the reason given in _AsyncTee.
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = iter(chunks)

    def __aiter__(self) -> _AsyncChunks:
        return self

    async def __anext__(self) -> bytes:
        chunk = next(self._chunks, None)
        if chunk is None:
            raise StopAsyncIteration
        # Let other tasks run between reads, as they would while waiting on a socket.
        await anyio.lowlevel.checkpoint()
        return chunk
