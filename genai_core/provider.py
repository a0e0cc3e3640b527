"""What a provider is, and the streams its ``gen_stream`` returns.

A :class:`Provider` answers ``gen_sync`` with a :class:`~genai_core.types.Result` and
``gen_stream`` with a :class:`Stream`: an iterator of :class:`~genai_core.types.Reply` fragments
that sends nothing until it is iterated, releases the connection when closed or exhausted, and
keeps the accumulated Result for :meth:`Stream.result`. :class:`AsyncProvider` and
:class:`AsyncStream` are the same with ``await``.

All protocol work of a stream (decoding, assembly, error mapping) is in a sans-IO object
meeting :class:`StreamCoreProtocol` (the OpenAI chat one is
:class:`genai_core.openai_chat.stream_core.ChatStreamCore`); the two stream classes only move
bytes into it, and own the connection's life:

* no reference cycle: the generator that reads holds a small state object, not the stream, so a
  stream dropped without ``close()`` is closed at once by reference counting (never by the cycle
  collector, which can run inside httpcore's pool while it holds its lock);
* ``Stream.close()`` may be called from another thread: it wakes a blocked read;
* ``deadline=`` (seconds) bounds the whole call: every attempt, the waits between them and the body;
* an :class:`AsyncStream` dropped without ``aclose()`` warns (ResourceWarning) and is closed by the
  event loop's async generator hook as soon as it runs.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from contextlib import aclosing
from types import AsyncGeneratorType, TracebackType
from typing import TYPE_CHECKING, Protocol, cast, runtime_checkable

import httpx

from .errors import GenAIError, StreamClosedError
from .http import (
    HTTPX_ERRORS,
    Deadline,
    Interrupter,
    body_error,
    deadline_seconds,
    interrupting,
    transport_error,
    within,
)
from .types import Messages, Model, Reply, Result

if TYPE_CHECKING:
    from anyio import CancelScope

__all__ = [
    "AsyncProvider",
    "AsyncStream",
    "Provider",
    "Stream",
    "StreamCoreProtocol",
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


class StreamCoreProtocol(Protocol):
    """What a stream class asks of the sans-IO object that reads one streamed answer."""

    @property
    def provider(self) -> str: ...

    @property
    def request_id(self) -> str | None: ...

    def feed(self, data: bytes) -> list[Reply]:
        """Bytes of the body in; the fragments they complete out."""

    def feed_json(self, body: bytes) -> list[Reply]:
        """The whole body of a plain JSON answer to a stream request."""

    def finish(self) -> list[Reply]:
        """End of the body: the fragments only the end completes (raises if the answer was cut)."""

    def fail(self, exc: GenAIError) -> GenAIError:
        """Attach the partial Result to ``exc`` and remove secrets from its text."""

    def result(self) -> Result: ...


MakeCore = Callable[[httpx.Response], StreamCoreProtocol]

# What the stream classes turn into a GenAIError: their own errors, and anything httpx raises.
_CAUGHT = (GenAIError, *HTTPX_ERRORS)


def _is_json(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "")
    return content_type.startswith("application/json")


def _is_raw(response: httpx.Response) -> bool:
    """The body needs no decoding (no Content-Encoding) and is still to be read: it can be
    read with ``iter_raw()``, one generator layer and two method calls per read fewer than
    ``iter_bytes()``, which reads through it. (A body httpx already holds, as a response made
    with ``content=`` does, is read by ``iter_bytes()`` only.)"""
    return not response.is_stream_consumed and "content-encoding" not in response.headers


class _State:
    """What a stream and its reading generator share. The generator holds this, never the stream,
    so dropping the stream drops the generator by reference counting, which closes the response."""

    __slots__ = (
        "closed",
        "core",
        "deadline",
        "error",
        "interrupter",
        "opening",
        "response",
        "result",
    )

    def __init__(self, deadline: float | None) -> None:
        self.deadline = deadline
        self.core: StreamCoreProtocol | None = None
        self.response: httpx.Response | None = None
        self.result: Result | None = None
        self.error: GenAIError | None = None
        self.closed = False
        self.interrupter = Interrupter()
        # An async stream's cancel scope while it waits for its answer, for aclose() from
        # another task to cancel.
        self.opening: CancelScope | None = None

    def failed(self, exc: BaseException, deadline: Deadline | None) -> GenAIError:
        """The GenAIError for ``exc`` (raised during open or reading), partial result attached."""
        core = self.core
        if isinstance(exc, GenAIError):
            err = exc
        elif core is None or self.response is None:
            err = transport_error(cast(Exception, exc))
        elif deadline is not None and (
            self.interrupter.reason == "deadline" or deadline.remaining() <= 0
        ):
            err = deadline.error(
                after_200=True,
                status_code=self.response.status_code,
                provider=core.provider,
                request_id=core.request_id,
            )
        else:
            err = body_error(
                cast(Exception, exc),
                status_code=self.response.status_code,
                provider=core.provider,
                request_id=core.request_id,
            )
        if core is not None:
            core.fail(err)
        self.error = err
        return err

    def check_open(self) -> None:
        # A stream closed before its end must not look like a complete, shorter answer.
        if self.closed and self.result is None and self.error is None:
            raise self.closed_error()

    def outcome(self) -> Result:
        if self.error is not None:
            raise self.error
        if self.result is None:
            raise self.closed_error()
        return self.result

    def closed_error(self) -> StreamClosedError:
        """The error for a stream closed before its end, with what had arrived."""
        core, response = self.core, self.response
        err = StreamClosedError(
            "the stream was closed before its end; its answer is incomplete "
            "(err.partial_result holds what arrived)",
            status_code=response.status_code if response is not None else 0,
            provider=core.provider if core is not None else "",
            request_id=core.request_id if core is not None else None,
        )
        if core is not None:
            core.fail(err)
        return err


def _run(
    state: _State,
    open_response: Callable[[Deadline | None], httpx.Response],
    make_core: MakeCore,
) -> Iterator[Reply]:
    """Open, read and close one streamed answer (the body of :class:`Stream`)."""
    deadline = Deadline(state.deadline) if state.deadline is not None else None
    interrupter = state.interrupter
    response: httpx.Response | None = None
    try:
        with interrupting(interrupter):
            response = state.response = open_response(deadline)
        core = state.core = make_core(response)
        interrupter.watch(response, deadline)
        if _is_json(response):
            yield from core.feed_json(response.read())
        else:
            for data in response.iter_raw() if _is_raw(response) else response.iter_bytes():
                fragments = core.feed(data)
                if fragments:
                    yield from fragments
        if interrupter.reason is not None:
            # The socket was shut from another thread and the body ended there: not an answer.
            raise httpx.ReadError(f"interrupted ({interrupter.reason})")
        yield from core.finish()
        state.result = core.result()
    except _CAUGHT as exc:
        if interrupter.reason == "closed":
            return  # close() from another thread: iteration ends, result() says it was cut
        err = state.failed(exc, deadline)
        if err is exc:
            raise
        raise err from exc
    finally:
        interrupter.done()
        if response is not None:
            response.close()


async def _arun(
    state: _State,
    open_response: Callable[[Deadline | None], Awaitable[httpx.Response]],
    make_core: MakeCore,
) -> AsyncGenerator[Reply, None]:
    """The body of :class:`AsyncStream`: :func:`_run` with ``await``."""
    deadline = Deadline(state.deadline) if state.deadline is not None else None
    response: httpx.Response | None = None
    try:
        from anyio import CancelScope

        with CancelScope() as state.opening:
            response = state.response = await open_response(deadline)
        state.opening = None
        if response is None:  # cancelled by aclose() from another task
            return
        core = state.core = make_core(response)
        if _is_json(response):
            for fragment in core.feed_json(await within(deadline, response.aread())):
                yield fragment
        else:
            # aclosing: when reading stops early (an error, or the caller closed the stream),
            # httpx's byte iterator is finalised now, not by the garbage collector (trio warns
            # about that). Reading goes on to EOF after [DONE]: the body ends there.
            # (Not aiter_raw(), as the sync twin does: closed early, it leaves httpcore's body
            # iterator to the garbage collector, which trio warns about.)
            chunks = cast(AsyncGenerator[bytes, None], response.aiter_bytes())
            async with aclosing(chunks):
                while True:
                    try:
                        # (Without a deadline, no wrapper coroutine per read.)
                        data = await (
                            chunks.__anext__()
                            if deadline is None
                            else within(deadline, chunks.__anext__())
                        )
                    except StopAsyncIteration:
                        break
                    for fragment in core.feed(data):
                        yield fragment
        for fragment in core.finish():
            yield fragment
        state.result = core.result()
    except (*_CAUGHT, TimeoutError) as exc:
        if state.closed:
            return  # aclose() from another task closed the response under the read
        err = state.failed(exc, deadline)
        if err is exc:
            raise
        raise err from exc
    except GeneratorExit:
        if not state.closed and state.result is None:
            # Collected by the event loop's async generator hook: the caller dropped the stream
            # without aclose(). Say so, as httpx does for its responses.
            warnings.warn(
                "an AsyncStream was dropped before its end without aclose(); use "
                "'async with client.gen_stream(...) as stream' to release the connection at once",
                ResourceWarning,
                stacklevel=1,
            )
        raise
    finally:
        if response is not None:
            from anyio import CancelScope

            # Shielded: after aclose() from another task cancelled the read, this must still run.
            with CancelScope(shield=True):
                await response.aclose()


class Stream:
    """Fragments of a streamed answer, as they arrive. Nothing is sent before iteration.

    ::

        with client.gen_stream(msgs) as stream:
            for fragment in stream:
                print(fragment.text, end="")
            result = stream.result()

    An error raised during iteration carries the partial Result (``err.partial_result``);
    :meth:`result` raises it again. Leaving the ``with`` block closes the connection; so does
    dropping the stream (``break`` out of a bare ``for``), at once. :meth:`close` may be called
    from another thread: a read blocked in the iterating thread is woken and iteration ends.
    """

    def __init__(
        self,
        open_response: Callable[[Deadline | None], httpx.Response],
        make_core: MakeCore,
        *,
        deadline: float | None = None,
    ) -> None:
        self._open = open_response
        self._state, self._make_core = _State(deadline_seconds(deadline)), make_core
        self._iter: Iterator[Reply] | None = None
        # The thread iterating the stream: only it may close the reading generator (closing it
        # from another thread races its next(): "generator already executing").
        self._reader: int | None = None

    def __iter__(self) -> Iterator[Reply]:
        self._state.check_open()
        self._reader = threading.get_ident()
        if self._iter is None:
            self._iter = _run(self._state, self._open, self._make_core)
        return self._iter

    def __next__(self) -> Reply:
        return next(iter(self))

    def result(self) -> Result:
        """The accumulated Result; reads the rest of the stream first if needed."""
        s = self._state
        if s.result is None and s.error is None and not s.closed:
            for _ in self:
                pass
        return s.outcome()

    def close(self) -> None:
        """Stop reading and release the connection (safe from another thread)."""
        self._state.closed = True
        it = self._iter
        if it is None:
            return
        if self._reader in (None, threading.get_ident()):
            it.close()  # type: ignore[attr-defined]
        else:
            # Another thread iterates: it may be inside next(), maybe blocked reading. Shut the
            # connection to wake it; it then closes the response itself and its iteration ends
            # (at its next step, if it is between two).
            self._state.interrupter.fire("closed")

    def __enter__(self) -> Stream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncStream:
    """The asynchronous twin of :class:`Stream` (``async with`` / ``async for``)."""

    def __init__(
        self,
        open_response: Callable[[Deadline | None], Awaitable[httpx.Response]],
        make_core: MakeCore,
        *,
        deadline: float | None = None,
    ) -> None:
        self._open = open_response
        self._state, self._make_core = _State(deadline_seconds(deadline)), make_core
        self._iter: AsyncGeneratorType[Reply, None] | None = None

    def __aiter__(self) -> AsyncIterator[Reply]:
        # The reading generator itself, as Stream.__iter__ does: ``async for`` then steps it
        # with no wrapper coroutine per fragment.
        self._state.check_open()
        if self._iter is None:
            self._iter = cast(
                AsyncGeneratorType[Reply, None], _arun(self._state, self._open, self._make_core)
            )
        return self._iter

    def __anext__(self) -> Awaitable[Reply]:
        return self.__aiter__().__anext__()

    def result(self) -> Result:
        """The accumulated Result, once the stream has been read to its end.

        Not a coroutine, so that ``res = stream.result()`` reads the same in sync and async code;
        to read the rest of the stream and get the Result, ``await stream.aresult()``.
        """
        s = self._state
        if s.result is None and s.error is None:
            raise RuntimeError(
                "the stream has not been read to its end: iterate it, or use await aresult()"
            )
        return s.outcome()

    async def aresult(self) -> Result:
        """Read the rest of the stream (if any) and return the accumulated Result."""
        s = self._state
        if s.result is None and s.error is None and not s.closed:
            async for _ in self:
                pass
        return s.outcome()

    async def aclose(self) -> None:
        """Stop reading and release the connection."""
        self._state.closed = True
        if self._iter is not None and self._iter.ag_running:
            # A step is under way in another task (an async generator cannot be closed while it
            # runs). Waiting for the answer: cancel the wait. Reading it: close the response
            # under the read, which then ends quietly.
            state = self._state
            if state.opening is not None:
                state.opening.cancel()
            elif state.response is not None:
                await state.response.aclose()
        elif self._iter is not None:
            await self._iter.aclose()

    async def __aenter__(self) -> AsyncStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
