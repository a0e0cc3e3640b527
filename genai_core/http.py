"""The HTTP policy shared by every provider: timeouts, retries, request ids and header redaction.

Everything that decides is a pure function or a small sans-IO object (:class:`RetryState`), so the
policy is tested without a network and without waiting. Two thin loops apply it:
:func:`send_with_retries` (``httpx.Client``) and :func:`asend_with_retries` (``httpx.AsyncClient``),
which only do the steps of one plan of the loop (``_send_plan``, see :mod:`genai_core.plans`).

What is retried:

* a request that got no HTTP answer (connection refused or reset, DNS, TLS, any timeout);
* an answer the server marks ``x-should-retry: true``, or else whose status is in
  :data:`RETRYABLE_STATUS` (429, 500, 502, 503, 504, 529). A 4xx other than 429 never is: the same
  request would fail the same way.

How long to wait: the server's ``retry-after-ms`` / ``Retry-After`` when it gives one up to
:data:`MAX_RETRY_AFTER`; otherwise exponential backoff from :data:`INITIAL_RETRY_DELAY`, capped at
:data:`MAX_RETRY_DELAY`, with up to 25% jitter taken off. When the server asks for more than
:data:`MAX_RETRY_AFTER`, nothing is retried: the error is raised at once and carries the server's
delay (``RateLimitError.retry_after``) so the caller decides.

Each attempt re-sends the same :class:`httpx.Request`, so headers the caller set once (such as
``X-Request-Id`` from :func:`new_request_id`) are identical on every attempt and the provider can
de-duplicate. The request body must therefore be re-sendable (bytes, not a one-shot generator).
"""

from __future__ import annotations

import contextlib
import email.utils
import math
import random
import re
import secrets
import threading
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import aclosing
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timezone
from typing import Any, NoReturn, TypeVar, cast

import httpx

from . import _log
from ._log import safe_url
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    DeadlineExceededError,
    GenAIError,
    MalformedResponseError,
    MalformedStreamError,
    StreamConnectionError,
    StreamTimeoutError,
    ValidationError,
    redact,
)
from .plans import Plan, adrive, drive

T = TypeVar("T")

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "INITIAL_RETRY_DELAY",
    "MAX_API_KEY_LENGTH",
    "MAX_RETRY_AFTER",
    "MAX_RETRY_DELAY",
    "RETRYABLE_STATUS",
    "SENSITIVE_HEADERS",
    "Deadline",
    "Interrupter",
    "RetryPolicy",
    "RetryState",
    "aread_body",
    "asend_with_retries",
    "body_error",
    "build_request",
    "check_api_key",
    "check_deadline",
    "current_interrupter",
    "deadline_seconds",
    "interrupting",
    "new_request_id",
    "parse_retry_after",
    "read_body",
    "redact_headers",
    "redirect_request",
    "retry_delay",
    "safe_url",
    "send_with_retries",
    "should_retry",
    "transport_error",
    "within",
]

# Two retries (three attempts) ride out a brief overload or a dropped connection without making a
# caller wait long on a provider that is really down.
DEFAULT_MAX_RETRIES = 2

# First backoff delay in seconds: long enough for a load balancer to route around a bad replica.
INITIAL_RETRY_DELAY = 0.5

# Backoff doubles per retry up to this many seconds, so a high max_retries never sleeps for minutes.
MAX_RETRY_DELAY = 8.0

# A server-requested delay above this many seconds is not waited for: the error is raised with its
# retry_after instead, so a caller is never silently blocked for an hour on a rate limit window.
MAX_RETRY_AFTER = 60.0

# Statuses that mean "try again later": rate limited (429), transient server failures (500, 502,
# 503, 504) and Anthropic-style "overloaded" (529).
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504, 529})

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=600.0, write=60.0, pool=30.0)
"""Per-phase timeouts for LLM API requests.

* ``connect=10``: a host that cannot be reached fails fast (and is retried) instead of hanging.
* ``read=600``: reasoning models can think for minutes before the first byte of a non-streamed
  answer, and a streamed answer can pause as long between chunks; a short read timeout would cut
  off answers that are on their way.
* ``write=60``: request bodies are small, but may carry images or documents.
* ``pool=30``: waiting for a free connection from the client's pool under heavy concurrency.
"""

# Headers whose values are secrets: never logged, never stored in an error.
SENSITIVE_HEADERS = frozenset(
    {"authorization", "api-key", "x-api-key", "proxy-authorization", "cookie", "set-cookie"}
)

# Names that look like a vendor's own secret header (e.g. ``x-goog-api-key``) are masked too.
_SENSITIVE_SUFFIXES = ("-api-key", "-token", "-secret")

# Headers whose value may start with an auth scheme worth keeping ("Bearer", "Api-Key", "Basic").
_SCHEME_HEADERS = frozenset({"authorization", "proxy-authorization"})
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_REDACTED = "<redacted>"


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """The delay in seconds the server asked for, or ``None`` when it gave no usable one.

    ``retry-after-ms`` (milliseconds) is read first, then ``Retry-After`` as seconds or as an HTTP
    date, measured from ``now`` (epoch seconds; a date in the past gives ``0.0``). Header names are
    case-insensitive. Unparsable, negative, NaN or infinite values give ``None``.
    """
    lowered = {name.lower(): value for name, value in headers.items()}

    ms = lowered.get("retry-after-ms")
    if ms is not None:
        delay = non_negative_float(ms)
        if delay is not None:
            return delay / 1000.0

    value = lowered.get("retry-after")
    if value is None:
        return None
    delay = non_negative_float(value)
    if delay is not None:
        return delay
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
        if when.tzinfo is None:  # "-0000" means UTC with no known local zone
            when = when.replace(tzinfo=timezone.utc)
        delta = when.timestamp() - now
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if not math.isfinite(delta):
        return None
    return max(delta, 0.0)


def non_negative_float(text: str) -> float | None:
    """A header value read as a finite number >= 0, or None when it is anything else."""
    try:
        value = float(text.strip())
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return value


def should_retry(status_code: int, headers: Mapping[str, str]) -> bool:
    """Whether an error answer is worth sending again.

    A 4xx other than 429 never is (the same request fails the same way, whatever the headers say),
    nor is a status below 400. Otherwise the server's ``x-should-retry: true|false`` decides, and
    without it the status must be in :data:`RETRYABLE_STATUS`.
    """
    if status_code < 400 or (status_code < 500 and status_code != 429):
        return False
    for name, value in headers.items():
        if name.lower() == "x-should-retry":
            flag = value.strip().lower()
            if flag == "true":
                return True
            if flag == "false":
                return False
    return status_code in RETRYABLE_STATUS


def retry_delay(retries_taken: int, retry_after: float | None, rand: Callable[[], float]) -> float:
    """Seconds to wait before retry number ``retries_taken + 1``.

    A server-given ``retry_after`` in ``(0, MAX_RETRY_AFTER]`` is honoured as it is. Otherwise:
    ``INITIAL_RETRY_DELAY * 2**retries_taken`` capped at ``MAX_RETRY_DELAY``, times
    ``1 - 0.25 * rand()`` (jitter takes off up to 25%, so clients that failed together do not all
    come back together). ``rand`` returns a float in ``[0, 1]``.
    """
    if retry_after is not None and 0 < retry_after <= MAX_RETRY_AFTER:
        return retry_after
    exponent = min(max(retries_taken, 0), 32)  # 2**32 * 0.5 is far past the cap; avoids overflow
    base = min(INITIAL_RETRY_DELAY * 2.0**exponent, MAX_RETRY_DELAY)
    return base * (1.0 - 0.25 * rand())


async def _anyio_sleep(seconds: float) -> None:
    # anyio (and sniffio) are imported on the first retry of an async client, not by
    # ``import genai_core``: a sync application never needs them.
    import anyio

    await anyio.sleep(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry, and the clock, sleep and randomness to do it with.

    The callables are injectable so tests neither sleep nor depend on chance.
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    sleep: Callable[[float], None] = time.sleep
    async_sleep: Callable[[float], Awaitable[None]] = _anyio_sleep
    clock: Callable[[], float] = time.time
    rand: Callable[[], float] = random.random

    def __post_init__(self) -> None:
        if (
            isinstance(self.max_retries, bool)
            or not isinstance(self.max_retries, int)
            or self.max_retries < 0
        ):
            raise ValidationError(f"max_retries must be an integer >= 0, got {self.max_retries!r}")

    def start(self, secrets: tuple[str | None, ...] = ()) -> RetryState:
        """A fresh :class:`RetryState` for one request (all of its attempts); ``secrets`` are
        redacted from the errors it raises."""
        return RetryState(self, secrets)


class RetryState:
    """The retry decisions for one request, free of I/O: the loops report, it answers.

    ``retries_taken`` counts the retries granted so far (attempts made minus one, once the next
    attempt is under way).
    """

    def __init__(self, policy: RetryPolicy, secrets: tuple[str | None, ...] = ()) -> None:
        self.policy = policy
        self.retries_taken = 0
        self.secrets = secrets

    @property
    def retries_left(self) -> int:
        return self.policy.max_retries - self.retries_taken

    def after_response(self, response: httpx.Response) -> float | None:
        """The delay before the next attempt after an error answer, or ``None`` not to retry.

        ``None`` when the answer is not retryable, when no retry is left, or when the server asked
        to wait more than :data:`MAX_RETRY_AFTER`; the caller then raises the error for it.
        """
        if self.retries_left <= 0 or not should_retry(response.status_code, response.headers):
            return None
        retry_after = parse_retry_after(response.headers, self.policy.clock())
        if retry_after is not None and retry_after > MAX_RETRY_AFTER:
            return None
        return self._grant(retry_after)

    def after_exception(self, exc: httpx.TransportError) -> float:
        """The delay before the next attempt after a request got no answer.

        When no retry is left (or the error cannot heal: an unsupported URL scheme, a request httpx
        refused to send), raises :class:`APITimeoutError` for a timeout and
        :class:`APIConnectionError` otherwise, chained from ``exc``.
        """
        if self.retries_left <= 0 or isinstance(
            exc, (httpx.UnsupportedProtocol, httpx.LocalProtocolError)
        ):
            raise self._mapped(exc) from exc
        return self._grant(None)

    def _grant(self, retry_after: float | None) -> float:
        delay = retry_delay(self.retries_taken, retry_after, self.policy.rand)
        self.retries_taken += 1
        return delay

    def _mapped(self, exc: httpx.TransportError) -> APIConnectionError:
        return transport_error(exc, attempts=self.retries_taken + 1, secrets=self.secrets)


# Every exception httpx raises on its own (``httpx.StreamError`` and ``InvalidURL`` are not
# ``HTTPError``s); the stream drivers and send loops turn each into a GenAIError.
HTTPX_ERRORS = (httpx.HTTPError, httpx.StreamError, httpx.InvalidURL, httpx.CookieConflict)


def _detail(exc: BaseException) -> str:
    # str(exc) is the transport's own message (no request headers); keep the first line only.
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def transport_error(
    exc: Exception, *, attempts: int = 1, secrets: tuple[str | None, ...] = ()
) -> APIConnectionError:
    """The library's error for an httpx failure before any answer: one line, no headers, no URL.

    ``secrets`` are redacted from it and, in place, from ``exc`` and the exceptions chained to it
    (h11 quotes a header value it refuses, key included).
    """
    _scrub(exc, secrets)
    detail = _detail(exc)
    tail = f" (after {attempts} attempts)" if attempts > 1 else ""
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"request timed out: {detail}{tail}")
    return APIConnectionError(f"connection failed: {detail}{tail}")


def _scrub(exc: BaseException, secrets: tuple[str | None, ...]) -> None:
    """Redact ``secrets`` from the arguments of ``exc`` and of every exception chained to it."""
    if not any(secrets):
        return
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        with contextlib.suppress(Exception):  # an exception type whose args are read-only
            current.args = tuple(
                redact(a, secrets) if isinstance(a, str) else a for a in current.args
            )
        current = current.__cause__ or current.__context__


def body_error(
    exc: Exception,
    *,
    status_code: int,
    provider: str = "",
    request_id: str | None = None,
    streamed: bool = True,
) -> APIError:
    """The library's error for an httpx failure while the body of a success answer was read.

    A body whose ``Content-Encoding`` does not decode is malformed: a
    :class:`MalformedStreamError` when ``streamed``, else a :class:`MalformedResponseError`. A
    timeout is a :class:`StreamTimeoutError`; any other failure a
    :class:`StreamConnectionError`.
    """
    kw: dict[str, object] = {
        "status_code": status_code,
        "provider": provider,
        "request_id": request_id,
    }
    detail = _detail(exc)
    if isinstance(exc, httpx.DecodingError):
        malformed = MalformedStreamError if streamed else MalformedResponseError
        return malformed(
            f"the body does not decode as its Content-Encoding says: {detail}",
            **kw,  # type: ignore[arg-type]
        )
    if isinstance(exc, httpx.TimeoutException):
        return StreamTimeoutError(f"reading the answer timed out: {detail}", **kw)  # type: ignore[arg-type]
    return StreamConnectionError(f"the connection broke during the answer: {detail}", **kw)  # type: ignore[arg-type]


class Deadline:
    """A total time limit for one call: every attempt, every wait between them, the whole body.

    ``seconds`` counts from construction on ``clock`` (monotonic). The send loops cap each
    attempt's httpx timeouts to the time left and refuse a retry that could not start in time;
    the body readers check it between reads (and interrupt a blocked sync read, see
    :class:`Interrupter`).
    """

    __slots__ = ("_clock", "at", "seconds")

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self.at = clock() + seconds

    def remaining(self) -> float:
        return self.at - self._clock()

    def error(self, after_200: bool = False, **kw: object) -> GenAIError:
        """The error for a passed deadline: before the answer, or during its body."""
        message = f"the call's deadline of {self.seconds:g} s passed"
        err: StreamTimeoutError | DeadlineExceededError
        if after_200:
            err = StreamTimeoutError(message + " while the answer was read", **kw)  # type: ignore[arg-type]
        else:
            err = DeadlineExceededError(message)
        err.deadline = self.seconds
        return err

    def cap(self, request: httpx.Request) -> None:
        """Bound each of ``request``'s httpx timeouts by the time left; raise if none is left."""
        left = self.remaining()
        if left <= 0:
            raise self.error()
        timeouts = dict(request.extensions.get("timeout") or {})
        for phase in ("connect", "read", "write", "pool"):
            value = timeouts.get(phase)
            timeouts[phase] = left if value is None else min(value, left)
        request.extensions["timeout"] = timeouts


async def within(deadline: Deadline | None, step: Awaitable[T]) -> T:
    """Await ``step`` within the time ``deadline`` leaves (no limit without one); anyio's
    ``TimeoutError`` when it passes."""
    if deadline is None:
        return await step
    import anyio  # only calls with a deadline pay for it

    with anyio.fail_after(max(deadline.remaining(), 0.0)):
        return await step


def deadline_seconds(deadline: object) -> float | None:
    """``deadline=`` checked: a number of seconds > 0, or None for no deadline."""
    if deadline is None:
        return None
    if isinstance(deadline, bool) or not isinstance(deadline, (int, float)) or not deadline > 0:
        raise ValidationError(
            f"deadline must be a number of seconds > 0 (or None for no deadline), got {deadline!r}"
        )
    if not math.isfinite(deadline) or deadline > _LONGEST_WAIT:
        # Longer than a timer thread can wait (centuries): the same as no deadline.
        return None
    return float(deadline)


# The longest wait the threading module accepts (a longer one raises OverflowError).
_LONGEST_WAIT = threading.TIMEOUT_MAX


def check_deadline(
    deadline: Deadline | None,
    delay: float,
    cause: BaseException | httpx.Response | None,
    raise_for_status: Callable[[httpx.Response], NoReturn] | None = None,
) -> None:
    """Raise :class:`DeadlineExceededError` when a retry ``delay`` seconds away could not start
    before the deadline. ``cause`` is what failed: an exception, or an error response (chained
    as the error ``raise_for_status`` makes of it)."""
    if deadline is None or delay < deadline.remaining():
        return
    if isinstance(cause, httpx.Response):
        what = f"HTTP {cause.status_code}"
        chained: BaseException | None = None
        if raise_for_status is not None:
            try:
                raise_for_status(cause)
            except GenAIError as exc:
                chained = exc
    else:
        what, chained = (type(cause).__name__ if cause is not None else "a failure"), cause
    # Not "the deadline passed": time is left, but less than the wait before the retry.
    err = DeadlineExceededError(
        f"the call's deadline of {deadline.seconds:g} s leaves no time to retry after {what} "
        f"(the retry was due in {delay:.3g} s, {max(deadline.remaining(), 0.0):.3g} s were left)"
    )
    err.deadline = deadline.seconds
    raise err from chained


class Interrupter:
    """Stops a blocked synchronous read from another thread (``close()``, a deadline's timer).

    Shutting the socket down wakes the reading thread, which then closes the response itself:
    the connection pool is only ever touched by the thread that uses it.
    """

    __slots__ = ("_connected", "_response", "_timer", "_woken", "reason")

    def __init__(self) -> None:
        self._response: httpx.Response | None = None
        # The network stream of a connection opened for the request, before any answer (from
        # httpcore's trace): shutting it wakes a wait for the headers.
        self._connected: Any = None
        self._timer: Any = None
        self._woken = threading.Event()
        #: Why the read was interrupted: "closed", "deadline", or None.
        self.reason: str | None = None

    def arm(self, deadline: Deadline | None) -> None:
        """Start the deadline's timer (once)."""
        if deadline is not None and self._timer is None:
            wait = min(max(deadline.remaining(), 0.0), _LONGEST_WAIT)
            self._timer = threading.Timer(wait, self.fire, ("deadline",))
            self._timer.daemon = True
            self._timer.start()

    def watch(self, response: httpx.Response, deadline: Deadline | None) -> None:
        self._response = response
        if self.reason is not None:
            self._shutdown()
        else:
            self.arm(deadline)

    def fire(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
        self._woken.set()
        self._shutdown()

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds``, or less when :meth:`fire` is called meanwhile."""
        self._woken.wait(seconds)

    def trace(self, name: str, info: Mapping[str, Any]) -> None:
        """httpcore's ``trace`` extension: note the stream of each connection opened."""
        if name in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            self._connected = info.get("return_value")
            if self.reason is not None:
                self._shutdown()

    def _shutdown(self) -> None:
        response = self._response
        if response is not None:
            stream = response.extensions.get("network_stream")
        else:
            stream = self._connected
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            import socket

            with contextlib.suppress(OSError):  # already closed: nothing left to wake
                sock.shutdown(socket.SHUT_RDWR)

    def done(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._response = self._connected = None


#: The :class:`Interrupter` of the sync stream whose request is being sent (set by the stream
#: around its ``open_response``): :func:`send_with_retries` arms it, lets it see new connections,
#: checks it before each attempt and waits on it between retries, so ``close()`` from another
#: thread or the deadline stops a stream still waiting for its answer.
current_interrupter: ContextVar[Interrupter | None] = ContextVar(
    "genai_current_interrupter", default=None
)


@contextlib.contextmanager
def interrupting(interrupter: Interrupter) -> Iterator[Interrupter]:
    """Make ``interrupter`` the :data:`current_interrupter` of the requests sent in the block."""
    token = current_interrupter.set(interrupter)
    try:
        yield interrupter
    finally:
        current_interrupter.reset(token)


def _stopped(interrupter: Interrupter, deadline: Deadline | None) -> GenAIError:
    if interrupter.reason == "deadline" and deadline is not None:
        return deadline.error()
    return APIConnectionError("the stream was closed before its answer came")


def redirect_request(
    request: httpx.Request, response: httpx.Response, secrets: tuple[str | None, ...] = ()
) -> httpx.Request:
    """The request to send after a redirect ``response``, for a client that follows redirects.

    As browsers and httpx do: 303 (and 301/302 after a POST) becomes a GET without a body. On a
    hop to another origin (scheme, host or port; http to https on the same host excepted, as httpx
    allows), every credential header is dropped: the sensitive names of :func:`redact_headers`
    and any header whose value holds one of ``secrets``.
    """
    location = response.headers.get("location", "")
    url = request.url.join(location)
    method = request.method
    if response.status_code == 303 and method != "HEAD":
        method = "GET"
    if response.status_code in (301, 302) and method == "POST":
        method = "GET"
    headers = httpx.Headers(request.headers)
    if not _same_origin(request.url, url):
        for name in list(headers.keys()):
            value = headers[name]
            if _is_sensitive(name) or any(s and s in value for s in secrets):
                del headers[name]
    headers["Host"] = url.netloc.decode("ascii")
    content = request.content
    if method != request.method:
        content = b""
        for name in ("content-length", "content-type", "transfer-encoding"):
            headers.pop(name, None)
    return httpx.Request(
        method, url, headers=headers, content=content, extensions=request.extensions
    )


def _same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    if a.host != b.host:
        return False
    if a.scheme == b.scheme and a.port == b.port:
        return True
    # http://host → https://host on the default ports: an upgrade, not another site.
    return (
        a.scheme == "http"
        and b.scheme == "https"
        and a.port in (None, 80)
        and b.port in (None, 443)
    )


def _is_sensitive(name: str) -> bool:
    lowered = name.lower()
    return lowered in SENSITIVE_HEADERS or lowered.endswith(_SENSITIVE_SUFFIXES)


def _in_memory(response: httpx.Response, raw: bytes, *, decode: bool = True) -> httpx.Response:
    """A closed copy of ``response`` holding ``raw``, its body decoded (``httpx.DecodingError``
    when it does not decode as its Content-Encoding says) or, with ``decode=False``, dropped."""
    headers = response.headers
    if not decode:
        headers = httpx.Headers(
            [(k, v) for k, v in headers.multi_items() if k.lower() != "content-encoding"]
        )
        raw = b""
    copy = httpx.Response(
        response.status_code,
        headers=headers,
        content=raw,
        request=response.request,
        extensions=response.extensions,
    )
    copy.read()
    return copy


def read_body(response: httpx.Response) -> httpx.Response:
    """Read and close ``response``; ``httpx.DecodingError`` when its body does not decode."""
    try:
        response.read()
    finally:
        response.close()
    return response


async def aread_body(response: httpx.Response) -> httpx.Response:
    """The async twin of :func:`read_body`: an in-memory copy with the decoded body.

    The raw bytes are read first and decoded after, in memory: a body that does not decode then
    raises ``httpx.DecodingError`` with the connection already released (httpx's own decoding
    raises inside its chain of async byte iterators and leaves them to the garbage collector,
    which trio reports).
    """
    if response.is_stream_consumed:  # an answer made in memory (a mock transport): read already
        await response.aread()
        return response
    try:
        chunks = cast(AsyncGenerator[bytes, None], response.aiter_raw())
        async with aclosing(chunks):
            raw = b"".join([c async for c in chunks])
    finally:
        await response.aclose()
    return _in_memory(response, raw)


# The most of an error answer's body kept in memory: enough for any error message; the rest is
# not read (the connection is closed instead), so a huge or endless error body costs nothing.
MAX_ERROR_BODY = 1 << 20


class _ErrorBody:
    """The raw bytes of an error answer's body as they arrive, up to :data:`MAX_ERROR_BODY`."""

    __slots__ = ("chunks", "size")

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0

    def add(self, chunk: bytes) -> bool:
        """Keep ``chunk`` (cut at the limit); False once the limit is reached: stop reading."""
        room = MAX_ERROR_BODY - self.size
        self.chunks.append(chunk[:room])
        self.size += min(len(chunk), room)
        return self.size < MAX_ERROR_BODY


def _read_error_body(response: httpx.Response, deadline: Deadline | None) -> httpx.Response:
    """Read an error answer's body (at most :data:`MAX_ERROR_BODY` bytes) into an in-memory
    copy, then close it. The deadline is checked after each piece: a server dripping bytes
    resets httpx's read timeout each time, never this."""
    if response.is_stream_consumed:  # an answer made in memory (a mock transport)
        return read_body(response)
    body = _ErrorBody()
    try:
        for chunk in response.iter_raw():
            if deadline is not None and deadline.remaining() <= 0:
                raise deadline.error()
            if not body.add(chunk):
                break
    finally:
        response.close()
    return _in_memory(response, b"".join(body.chunks))


async def _aread_error_body(response: httpx.Response) -> httpx.Response:
    """The async twin of :func:`_read_error_body`; the caller bounds it with the deadline."""
    if response.is_stream_consumed:
        return await aread_body(response)
    body = _ErrorBody()
    try:
        chunks = cast(AsyncGenerator[bytes, None], response.aiter_raw())
        async with aclosing(chunks):
            async for chunk in chunks:
                if not body.add(chunk):
                    break
    finally:
        await _aclose_shielded(response)
    return _in_memory(response, b"".join(body.chunks))


async def _aclose_shielded(response: httpx.Response) -> None:
    # Shielded: when the deadline cancelled the read, the connection must still be released.
    import anyio

    with anyio.CancelScope(shield=True):
        await response.aclose()


def _undecodable(response: httpx.Response) -> httpx.Response:
    """An error answer whose body does not decode, with the body dropped: a 503 whose gzip is
    corrupt is still retried and reported as a 503."""
    return _in_memory(response, b"", decode=False)


def _next_hop(
    request: httpx.Request,
    response: httpx.Response,
    secrets: tuple[str | None, ...],
    raise_for_status: Callable[[httpx.Response], NoReturn],
) -> httpx.Request:
    try:
        return redirect_request(request, response, secrets)
    except httpx.InvalidURL:  # a Location that is no URL: report the redirect as it is
        raise_for_status(response)


def _auth_for(origin: httpx.URL, request: httpx.Request) -> httpx._client.UseClientDefault | None:
    """The client's own ``auth=`` on the first request's origin; none on a hop elsewhere (each hop
    is a fresh ``send``, which would apply it again after :func:`redirect_request` dropped it)."""
    return httpx.USE_CLIENT_DEFAULT if _same_origin(origin, request.url) else None


def _traced(interrupter: Interrupter, prior: Any) -> Callable[[str, Mapping[str, Any]], None]:
    """A ``trace`` extension feeding ``interrupter``, then the caller's own (if any)."""

    def trace(name: str, info: Mapping[str, Any]) -> None:
        interrupter.trace(name, info)
        if prior is not None:
            prior(name, info)

    return trace


def _follows(client: httpx.Client | httpx.AsyncClient, response: httpx.Response, hops: int) -> bool:
    return bool(client.follow_redirects and response.is_redirect and hops < client.max_redirects)


_SEND, _READ, _SLEEP = "send", "read the error body", "sleep"


def send_with_retries(
    client: httpx.Client,
    request: httpx.Request,
    policy: RetryPolicy,
    *,
    raise_for_status: Callable[[httpx.Response], NoReturn],
    deadline: Deadline | None = None,
    secrets: tuple[str | None, ...] = (),
) -> httpx.Response:
    """Send ``request`` until it succeeds or the policy gives up; return the open response.

    A success (status < 300) is returned still streaming: the caller reads and closes it. An error
    answer (a redirect included) is read in full and closed, then retried or handed to
    ``raise_for_status``, which must raise the typed error for it. A request that got no answer is
    retried or raised as :class:`APIConnectionError` / :class:`APITimeoutError`. Redirects are
    followed only when ``client.follow_redirects`` is set, by :func:`redirect_request` (which
    keeps credentials from another origin). ``deadline`` bounds the whole loop. The decisions
    are :func:`_send_plan`'s; this only does its steps.
    """
    origin = request.url
    interrupter = current_interrupter.get()

    def act(step: tuple[str, Any]) -> Any:
        kind, arg = step
        if kind is _SEND:
            return client.send(
                arg, stream=True, follow_redirects=False, auth=_auth_for(origin, arg)
            )
        if kind is _READ:
            return _read_error_body(arg, deadline)
        if interrupter is not None and policy.sleep is time.sleep:
            return interrupter.wait(arg)  # close() wakes it (an injected sleep is a test's clock)
        return policy.sleep(arg)

    if interrupter is not None:
        interrupter.arm(deadline)
        request.extensions["trace"] = _traced(interrupter, request.extensions.get("trace"))
    plan = _send_plan(client, request, policy, raise_for_status, deadline, secrets, interrupter)
    return drive(plan, act)


async def asend_with_retries(
    client: httpx.AsyncClient,
    request: httpx.Request,
    policy: RetryPolicy,
    *,
    raise_for_status: Callable[[httpx.Response], NoReturn],
    deadline: Deadline | None = None,
    secrets: tuple[str | None, ...] = (),
) -> httpx.Response:
    """The async twin of :func:`send_with_retries`, sleeping with ``policy.async_sleep``."""
    origin = request.url

    async def act(step: tuple[str, Any]) -> Any:
        kind, arg = step
        # Bounded by the deadline as a whole: headers or an error body that arrive a byte at a
        # time reset httpx's read timeout with each byte.
        if kind is _SEND:
            send = client.send(
                arg, stream=True, follow_redirects=False, auth=_auth_for(origin, arg)
            )
            return await within(deadline, send)
        if kind is _READ:
            return await within(deadline, _aread_error_body(arg))
        return await policy.async_sleep(arg)

    return await adrive(
        _send_plan(client, request, policy, raise_for_status, deadline, secrets), act
    )


def _send_plan(  # noqa: PLR0917 (private; both drivers pass the same arguments)
    client: httpx.Client | httpx.AsyncClient,
    request: httpx.Request,
    policy: RetryPolicy,
    raise_for_status: Callable[[httpx.Response], NoReturn],
    deadline: Deadline | None,
    secrets: tuple[str | None, ...],
    interrupter: Interrupter | None = None,
) -> Plan[httpx.Response]:
    """The send loop as a plan (:mod:`genai_core.plans`): yields ``(_SEND, request)`` (gets the
    open response, or the transport's exception), ``(_READ, response)`` (gets it read) and
    ``(_SLEEP, seconds)``; returns the open success response. ``interrupter`` (a sync stream's)
    stops it between steps once fired."""
    state = policy.start(secrets)
    attempts = policy.max_retries + 1
    hops = 0
    while True:
        cause: BaseException | None = None
        if interrupter is not None and interrupter.reason is not None:
            raise _stopped(interrupter, deadline)
        if deadline is not None:
            deadline.cap(request)
        attempt = state.retries_taken + 1
        started = _log.sent(request, attempt, attempts)
        try:
            response: httpx.Response = yield _SEND, request
            _log.answered(request, response, attempt, started)
            if response.status_code < 300:
                return response
            try:
                response = yield _READ, response
            except httpx.DecodingError:
                response = _undecodable(response)
        except TimeoutError as exc:  # the deadline, from within()
            if deadline is None:
                raise
            raise deadline.error() from exc
        except httpx.TransportError as exc:
            _log.failed(request, exc, attempt, started)
            cause = exc
            if interrupter is not None and interrupter.reason is not None:
                raise _stopped(interrupter, deadline) from exc
            if deadline is not None and deadline.remaining() <= 0:
                raise deadline.error() from exc
            delay = state.after_exception(exc)
        except HTTPX_ERRORS as exc:  # nothing a retry can heal (an invalid URL...)
            raise transport_error(exc, secrets=secrets) from exc
        else:
            if _follows(client, response, hops):
                request, hops = _next_hop(request, response, secrets, raise_for_status), hops + 1
                continue
            retry_in = state.after_response(response)
            if retry_in is None:
                raise_for_status(response)
                raise TypeError("raise_for_status returned instead of raising")
            delay = retry_in
        check_deadline(deadline, delay, response if cause is None else cause, raise_for_status)
        _log.retrying(request, response if cause is None else cause, attempt + 1, attempts, delay)
        yield _SLEEP, delay


def new_request_id() -> str:
    """A random URL-safe id (16 characters) for the ``X-Request-Id`` header of one request."""
    return secrets.token_urlsafe(12)


def redact_headers(
    headers: Mapping[str, str], secrets: Iterable[str | None] = ()
) -> dict[str, str]:
    """A copy of ``headers`` safe to log: secret values become ``<redacted>``.

    The auth scheme of ``Authorization`` is kept (``"Bearer <redacted>"``, ``"Api-Key
    <redacted>"``) because it helps debugging and is no secret. Any other value holding one of
    ``secrets`` (in any encoding, see :func:`~genai_core.errors.redact`) has it replaced too.
    """
    secrets = tuple(secrets)
    return {name: redact(_redacted_value(name, value), secrets) for name, value in headers.items()}


def _redacted_value(name: str, value: str) -> str:
    lowered = name.lower()
    if lowered not in SENSITIVE_HEADERS and not lowered.endswith(_SENSITIVE_SUFFIXES):
        return value
    if lowered in _SCHEME_HEADERS:
        parts = value.strip().split(None, 1)
        if len(parts) == 2 and _SCHEME.fullmatch(parts[0]):
            return f"{parts[0]} {_REDACTED}"
    return _REDACTED


# --- API keys and the requests that carry them ---------------------------------------------------

# Longer than any provider's key by far; bounds the cost of building the key's redaction pattern.
MAX_API_KEY_LENGTH = 1024


def check_api_key(key: str | None, owner: str) -> None:
    """Refuse a key no HTTP header can carry as it is, without quoting it.

    White space (a trailing newline read from a file), control and non-ASCII characters would make
    httpx raise an error quoting the whole header, key included; they are never part of a real
    key. ``owner`` names the client in the message.
    """
    if key is None:
        return
    if len(key) > MAX_API_KEY_LENGTH:
        raise ValidationError(
            f"{owner}: api_key is {len(key)} characters long, more than the "
            f"{MAX_API_KEY_LENGTH} any API key has: check what was passed as the key"
        )
    for index, char in enumerate(key):
        if not "!" <= char <= "~":  # the printable ASCII characters but the space
            what = "white space or a control character" if char.isascii() else "non-ASCII"
            raise ValidationError(
                f"{owner}: api_key holds {what} (character {index + 1} of {len(key)}), which no "
                "API key has: check for a stray newline or space where the key came from"
            )


def build_request(
    client: httpx.Client | httpx.AsyncClient, secrets: tuple[str | None, ...], **kw: Any
) -> httpx.Request:
    """``client.build_request(**kw)``, a header or URL httpx cannot encode raised as
    :class:`ValidationError` with the secrets redacted from httpx's message."""
    try:
        return client.build_request(**kw)
    except (UnicodeError, httpx.LocalProtocolError, httpx.InvalidURL, ValueError) as exc:
        raise ValidationError(
            "the request cannot be sent as it is: " + redact(_detail(exc), secrets)
        ) from None
