"""What a provider is, and the streams its ``gen_stream`` returns.

A :class:`Provider` answers ``gen_sync`` with a :class:`~genai_core.types.Result` and
``gen_stream`` with a :class:`Stream`: an iterator of :class:`~genai_core.types.Reply` fragments
that sends nothing until it is iterated, releases the connection when closed or exhausted, and
keeps the accumulated Result for :meth:`Stream.result`. :class:`AsyncProvider` and
:class:`AsyncStream` are the same with ``await``.

All protocol work of a stream (SSE decoding, chunk assembly, error mapping) is in
:class:`StreamCore`, a sans-IO object; the two stream classes only move bytes into it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from contextlib import aclosing
from types import TracebackType
from typing import Protocol, cast, runtime_checkable

import httpx

from .errors import GenAIError, StreamError, redact_error
from .http import transport_error
from .openai_chat.errors import excerpt, parse_error_body
from .openai_chat.response import parse_chat_response
from .openai_chat.stream import ChatStreamAssembler
from .sse import SSEDecodeError, SSEDecoder
from .types import Messages, Model, Reply, Result

# How much of a body that is not an event stream is kept to quote in the error.
_HEAD = 512

__all__ = [
    "AsyncProvider",
    "AsyncStream",
    "Provider",
    "Stream",
    "StreamCore",
]


@runtime_checkable
class Provider(Protocol):
    """A synchronous LLM provider bound to one model (which may be None for listing only).

    Implementations may take more keyword arguments (``max_retries=``, ``timeout=``...).
    ``isinstance`` checks only that the members exist: it cannot tell a sync client from an
    async one, so use the static types (or :func:`inspect.iscoroutinefunction`) for that.
    """

    @property
    def name(self) -> str: ...

    @property
    def model(self) -> str | None: ...

    def gen_sync(self, messages: Messages, *options: object) -> Result: ...

    def gen_stream(self, messages: Messages, *options: object) -> Stream: ...

    def list_models(self) -> list[Model]: ...

    def close(self) -> None:
        """Release the connections the provider owns (an injected HTTP client is left open)."""

    def __enter__(self) -> Provider: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


@runtime_checkable
class AsyncProvider(Protocol):
    """The asynchronous twin of :class:`Provider`."""

    @property
    def name(self) -> str: ...

    @property
    def model(self) -> str | None: ...

    async def gen_sync(self, messages: Messages, *options: object) -> Result: ...

    def gen_stream(self, messages: Messages, *options: object) -> AsyncStream: ...

    async def list_models(self) -> list[Model]: ...

    async def aclose(self) -> None:
        """Release the connections the provider owns (an injected HTTP client is left open)."""

    async def __aenter__(self) -> AsyncProvider: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class StreamCore:
    """Bytes of one streamed response in, fragments out; no I/O.

    ``feed`` and ``finish`` return the fragments to yield; ``fail`` attaches the partial Result to
    an error; ``result`` is the final Result.
    """

    __slots__ = ("_assembler", "_decoder", "_head", "_json_result", "_secrets")

    def __init__(
        self, assembler: ChatStreamAssembler, secrets: tuple[str | None, ...] = ()
    ) -> None:
        self._assembler = assembler
        self._secrets = secrets
        self._decoder = SSEDecoder()
        self._json_result: Result | None = None
        # The first bytes of a body that gave no event yet, to quote when it never does.
        self._head = b""

    @property
    def done(self) -> bool:
        return self._assembler.done

    def feed(self, data: bytes) -> list[Reply]:
        try:
            events = self._decoder.feed(data)
        except SSEDecodeError as exc:
            raise self._protocol_error(str(exc)) from None
        if not events:
            if len(self._head) < _HEAD and not self._assembler.chunks:
                self._head += data[: _HEAD - len(self._head)]
            return []
        feed = self._assembler.feed
        if len(events) == 1 and not events[0].event:
            return feed(events[0].data)
        out: list[Reply] = []
        for ev in events:
            if ev.event == "error":
                raise self._protocol_error(parse_error_body(ev.data).message)
            out.extend(feed(ev.data))
        return out

    def finish(self) -> list[Reply]:
        """End of the body: flush what is buffered."""
        out: list[Reply] = []
        if not self._assembler.done:
            try:
                events = self._decoder.close()
            except SSEDecodeError as exc:
                raise self._protocol_error(str(exc)) from None
            for ev in events:
                out.extend(self._assembler.feed(ev.data))
            if not self._assembler.chunks and not self._assembler.done:
                # Not one event: an HTML page, plain text or nothing at all was sent with a
                # success status. Saying so beats returning an empty answer.
                head = self._head.decode("utf-8", "replace")
                lines = [line for line in head.splitlines() if line.strip()]
                raise self._protocol_error(
                    f"expected an event stream, got: {excerpt(head)!r}"
                    if any(not line.startswith(":") for line in lines)  # not only SSE comments
                    else "the server ended the stream without sending any event"
                )
        out.extend(self._assembler.end())
        return out

    def feed_json(self, body: bytes) -> list[Reply]:
        """The server answered a stream request with a plain JSON completion: take it whole."""
        try:
            data = json.loads(body)
        except ValueError:
            raise self._protocol_error(
                f"expected an event stream, got: {excerpt(body.decode('utf-8', 'replace'))!r}"
            ) from None
        a = self._assembler
        self._json_result = parse_chat_response(
            data,
            provider=a.provider,
            request_id=a.request_id,
            limits=a.limits,
            think_tags=a.think_tags,
        )
        a.done = True
        return list(self._json_result.replies)

    def fail(self, exc: GenAIError) -> GenAIError:
        """Attach the partial Result to ``exc`` and remove secrets from its text."""
        exc.partial_result = self.result()
        return redact_error(exc, self._secrets)

    def result(self) -> Result:
        return self._json_result or self._assembler.result()

    def _protocol_error(self, message: str) -> StreamError:
        a = self._assembler
        return StreamError(message, status_code=200, provider=a.provider, request_id=a.request_id)


def _is_json(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "")
    return content_type.startswith("application/json")


class _StreamBase:
    """State shared by the two stream classes: the outcome, and how ``result()`` reports it."""

    def __init__(self, make_core: Callable[[httpx.Response], StreamCore]) -> None:
        self._make_core = make_core
        self._core: StreamCore | None = None
        self._result: Result | None = None
        self._error: GenAIError | None = None
        self._closed = False

    def _failed(self, exc: BaseException) -> GenAIError:
        err = transport_error(exc) if isinstance(exc, httpx.TransportError) else exc
        assert isinstance(err, GenAIError)
        if self._core is not None:
            self._core.fail(err)
        self._error = err
        return err

    def _check_open(self) -> None:
        # A stream closed before its end must not look like a complete, shorter answer.
        if self._closed and self._result is None and self._error is None:
            raise RuntimeError("the stream was closed before its end; its answer is incomplete")

    def _outcome(self) -> Result:
        if self._error is not None:
            raise self._error
        if self._result is None:
            raise RuntimeError("the stream was closed before it ended; no result")
        return self._result


_CAUGHT = (GenAIError, httpx.TransportError)


class Stream(_StreamBase):
    """Fragments of a streamed answer, as they arrive. Nothing is sent before iteration.

    ::

        with client.gen_stream(msgs) as stream:
            for fragment in stream:
                print(fragment.text, end="")
            result = stream.result()

    An error raised during iteration carries the partial Result (``err.partial_result``);
    :meth:`result` raises it again. Leaving the ``with`` block closes the connection.
    """

    def __init__(
        self,
        open_response: Callable[[], httpx.Response],
        make_core: Callable[[httpx.Response], StreamCore],
    ) -> None:
        super().__init__(make_core)
        self._open = open_response
        self._iter: Iterator[Reply] | None = None

    def _run(self) -> Iterator[Reply]:
        response: httpx.Response | None = None
        try:
            response = self._open()
            core = self._core = self._make_core(response)
            if _is_json(response):
                yield from core.feed_json(response.read())
            else:
                for data in response.iter_bytes():
                    fragments = core.feed(data)
                    if fragments:
                        yield from fragments
            yield from core.finish()
            self._result = core.result()
        except _CAUGHT as exc:
            raise self._failed(exc) from (exc if isinstance(exc, httpx.TransportError) else None)
        finally:
            if response is not None:
                response.close()

    def __iter__(self) -> Iterator[Reply]:
        self._check_open()
        if self._iter is None:
            self._iter = self._run()
        return self._iter

    def __next__(self) -> Reply:
        return next(iter(self))

    def result(self) -> Result:
        """The accumulated Result; reads the rest of the stream first if needed."""
        if self._result is None and self._error is None and not self._closed:
            for _ in self:
                pass
        return self._outcome()

    def close(self) -> None:
        """Stop reading and release the connection."""
        self._closed = True
        if self._iter is not None:
            self._iter.close()  # type: ignore[attr-defined]

    def __enter__(self) -> Stream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncStream(_StreamBase):
    """The asynchronous twin of :class:`Stream` (``async with`` / ``async for``)."""

    def __init__(
        self,
        open_response: Callable[[], Awaitable[httpx.Response]],
        make_core: Callable[[httpx.Response], StreamCore],
    ) -> None:
        super().__init__(make_core)
        self._open = open_response
        self._iter: AsyncIterator[Reply] | None = None

    async def _run(self) -> AsyncIterator[Reply]:
        response: httpx.Response | None = None
        try:
            response = await self._open()
            core = self._core = self._make_core(response)
            if _is_json(response):
                for fragment in core.feed_json(await response.aread()):
                    yield fragment
            else:
                # aclosing: when reading stops early (an error, or the caller closed the
                # stream), httpx's byte iterator is finalised now, not by the garbage collector
                # (trio warns about that). Reading goes on to EOF after [DONE]: the body ends there.
                chunks = cast(AsyncGenerator[bytes, None], response.aiter_bytes())
                async with aclosing(chunks):
                    async for data in chunks:
                        for fragment in core.feed(data):
                            yield fragment
            for fragment in core.finish():
                yield fragment
            self._result = core.result()
        except _CAUGHT as exc:
            raise self._failed(exc) from (exc if isinstance(exc, httpx.TransportError) else None)
        finally:
            if response is not None:
                await response.aclose()

    def __aiter__(self) -> AsyncIterator[Reply]:
        self._check_open()
        if self._iter is None:
            self._iter = self._run()
        return self._iter

    async def __anext__(self) -> Reply:
        return await self.__aiter__().__anext__()

    def result(self) -> Result:
        """The accumulated Result, once the stream has been read to its end.

        Not a coroutine, so that ``res = stream.result()`` reads the same in sync and async code;
        to read the rest of the stream and get the Result, ``await stream.aresult()``.
        """
        if self._result is None and self._error is None:
            raise RuntimeError(
                "the stream has not been read to its end: iterate it, or use await aresult()"
            )
        return self._outcome()

    async def aresult(self) -> Result:
        """Read the rest of the stream (if any) and return the accumulated Result."""
        if self._result is None and self._error is None and not self._closed:
            async for _ in self:
                pass
        return self._outcome()

    async def aclose(self) -> None:
        """Stop reading and release the connection."""
        self._closed = True
        if self._iter is not None:
            await self._iter.aclose()  # type: ignore[attr-defined]

    async def __aenter__(self) -> AsyncStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
