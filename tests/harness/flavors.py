"""The one sync/async abstraction of the tests.

A :class:`Flavor` is the sync client, or the async client on asyncio or on trio. Its helpers are
all awaitable, so one ``async def`` test body runs every flavor: for the sync flavor they call
the sync client (blocking, inside the asyncio loop the anyio plugin runs the test in). A
:class:`Mode` is a flavor through ``gen_sync`` or through ``gen_stream``.

Parametrize with :func:`each_flavor` / :func:`each_mode` (they also set the anyio backend), or,
for a plain ``def`` test, loop over :data:`FLAVORS` and call :meth:`Flavor.run`.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
import httpx
import pytest

import genai_baseten
from genai_core.provider import AsyncStream, Stream
from genai_core.types import Embeddings, Model, Reply, Result

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
Handler = Callable[[httpx.Request], httpx.Response]


async def resolve(value: T | Awaitable[T]) -> T:
    """``value``, awaited when it is awaitable (a sync client's answer is returned as is)."""
    if inspect.isawaitable(value):
        return await value
    return value


@dataclass(frozen=True)
class Flavor:
    """The sync client (``is_async=False``) or the async client on ``backend``."""

    is_async: bool
    backend: str = "asyncio"

    def __str__(self) -> str:
        return f"async-{self.backend}" if self.is_async else "sync"

    __repr__ = __str__

    def pick(self, sync_obj: Any, async_obj: Any) -> Any:
        """This flavor's member of a sync/async pair (classes, functions...)."""
        return async_obj if self.is_async else sync_obj

    def mock_client(
        self,
        handler: Handler,
        *,
        sync_cls: type[Any] = genai_baseten.Client,
        async_cls: type[Any] = genai_baseten.AsyncClient,
        **kw: Any,
    ) -> Any:
        """A client of this flavor whose httpx client sends every request to ``handler``."""
        http = self.http_client(transport=httpx.MockTransport(handler))
        return self.pick(sync_cls, async_cls)(http_client=http, **kw)

    def http_client(self, **kw: Any) -> httpx.Client | httpx.AsyncClient:
        """An httpx client of this flavor."""
        return httpx.AsyncClient(**kw) if self.is_async else httpx.Client(**kw)

    def run(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Run ``fn`` to completion in a fresh event loop of this flavor's backend."""
        return anyio.run(fn, backend=self.backend)

    # -- calls, the same for both clients ---------------------------------------------------

    async def gen_sync(self, client: Any, *args: Any, **kw: Any) -> Result:
        result: Result = await resolve(client.gen_sync(*args, **kw))
        return result

    async def stream(self, client: Any, *args: Any, **kw: Any) -> tuple[list[Reply], Result]:
        """Every fragment of a streamed answer, and its Result."""
        return await self.collect(client.gen_stream(*args, **kw))

    async def collect(self, stream: Stream | AsyncStream) -> tuple[list[Reply], Result]:
        """Read ``stream`` to its end inside its context: the fragments and the Result."""
        async with self.opened(stream) as s:
            fragments = await self.drain(s)
            return fragments, s.result()

    @contextlib.asynccontextmanager
    async def opened(self, stream: Any) -> AsyncIterator[Any]:
        """``with stream`` / ``async with stream`` (any stream of this flavor)."""
        if self.is_async:
            async with stream as s:
                yield s
        else:
            with stream as t:
                yield t

    async def take(self, stream: Stream | AsyncStream, n: int) -> list[Reply]:
        """The next ``n`` fragments."""
        if isinstance(stream, AsyncStream):
            it = stream.__aiter__()
            return [await it.__anext__() for _ in range(n)]
        it_sync = iter(stream)
        return [next(it_sync) for _ in range(n)]

    async def drain(self, stream: Any, into: list[Any] | None = None) -> list[Any]:
        """Every remaining item of ``stream`` (fragments, for a chat stream), appended to
        ``into`` (when given) as it comes: a stream that fails leaves there what it gave before
        the error."""
        out = [] if into is None else into
        if self.is_async:
            async for item in stream:
                out.append(item)
        else:
            for item in stream:
                out.append(item)
        return out

    async def result(self, stream: Stream | AsyncStream) -> Result:
        """The Result, reading the rest of the stream first: ``result()`` / ``await aresult()``."""
        if isinstance(stream, AsyncStream):
            return await stream.aresult()
        return stream.result()

    async def list_models(self, client: Any) -> list[Model]:
        models: list[Model] = await resolve(client.list_models())
        return models

    async def embed(self, client: Any, *args: Any, **kw: Any) -> Embeddings:
        out: Embeddings = await resolve(client.embed(*args, **kw))
        return out

    async def close(self, obj: Any) -> None:
        """Close a client or a stream of this flavor (``close()`` / ``await aclose()``)."""
        await resolve(obj.aclose() if self.is_async else obj.close())


SYNC = Flavor(False)
ASYNC = Flavor(True, "asyncio")
TRIO = Flavor(True, "trio")
FLAVORS = (SYNC, ASYNC, TRIO)
"""The sync client, the async client on asyncio, the async client on trio."""


@dataclass
class Outcome:
    """What one call gave: the Result or the error, and the fragments seen before either."""

    result: Result | None = None
    error: Exception | None = None
    fragments: list[Reply] = field(default_factory=list)


@dataclass(frozen=True)
class Mode:
    """A flavor through ``gen_sync`` (``stream=False``) or ``gen_stream``."""

    flavor: Flavor
    stream: bool

    @property
    def is_async(self) -> bool:
        return self.flavor.is_async

    def __str__(self) -> str:
        return f"{self.flavor}-{'stream' if self.stream else 'gen'}"

    __repr__ = __str__

    def mock_client(self, handler: Handler, **kw: Any) -> Any:
        return self.flavor.mock_client(handler, **kw)

    async def generate(
        self, client: Any, *args: Any, fragments: list[Reply] | None = None, **kw: Any
    ) -> Result:
        """One call in this mode; streamed fragments are appended to ``fragments`` as they come
        (so a failing stream leaves there what it gave before the error)."""
        if not self.stream:
            return await self.flavor.gen_sync(client, *args, **kw)
        stream: Stream | AsyncStream = client.gen_stream(*args, **kw)
        async with self.flavor.opened(stream) as s:
            await self.flavor.drain(s, fragments)
            result: Result = s.result()
            return result

    async def generate_checked(self, client: Any, *args: Any, **kw: Any) -> Result:
        """One call in this mode; a stream's fragments must add up to its Result's text."""
        fragments: list[Reply] = []
        result = await self.generate(client, *args, fragments=fragments, **kw)
        if self.stream:
            assert "".join(f.text for f in fragments) == result.text
        return result

    async def outcome(self, client: Any, *args: Any, **kw: Any) -> Outcome:
        """One call in this mode that may fail: the Result or the exception, and the fragments
        read before it."""
        out = Outcome()
        try:
            out.result = await self.generate(client, *args, fragments=out.fragments, **kw)
        except Exception as exc:
            out.error = exc
        return out


MODES = tuple(Mode(f, s) for f in FLAVORS for s in (False, True))
"""Every flavor through ``gen_sync`` and ``gen_stream``."""


def _parametrize(names: tuple[str, str], items: Sequence[Flavor | Mode]) -> pytest.MarkDecorator:
    params = [
        pytest.param(i.backend if isinstance(i, Flavor) else i.flavor.backend, i, id=str(i))
        for i in items
    ]
    return pytest.mark.parametrize(names, params)


def each_flavor(fn: F) -> F:
    """Run an ``async def`` test once per flavor, with the ``flavor`` argument."""
    marked: F = pytest.mark.anyio(_parametrize(("anyio_backend", "flavor"), FLAVORS)(fn))
    return marked


def each_mode(fn: F) -> F:
    """Run an ``async def`` test once per mode (flavor × gen_sync/gen_stream), with ``mode``."""
    marked: F = pytest.mark.anyio(_parametrize(("anyio_backend", "mode"), MODES)(fn))
    return marked
