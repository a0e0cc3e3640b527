"""The library's loggers: the stdlib tree under ``genai``.

* ``genai.http``: one DEBUG line per request sent and per answer (or failure), with the method,
  the URL (user, password and key-like query values masked), the status, the request id, the
  elapsed time and the attempt number; a WARNING before each retry with the delay and the reason.

No record holds a credential or a body. The library adds no handler (only a NullHandler on
``genai``): the application decides where records go, as with any library.

httpx logs each request at INFO on ``httpx``, httpcore logs response headers at DEBUG on
``httpcore.*`` and hpack (HTTP/2) every header at DEBUG on ``hpack.*``; a server echoing the key in
a header would put it there. :func:`register_secrets` (called by every client made with a key,
undone by its ``close()``) adds a filter to those loggers that redacts the registered keys, in any
encoding, from their records.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from ._redact import REDACTED, Compiled, compiled, redact_compiled

__all__ = [
    "body_logger",
    "http_logger",
    "logger",
    "register_secret",
    "register_secrets",
    "safe_url",
]

logger = logging.getLogger("genai")
logger.addHandler(logging.NullHandler())
http_logger = logging.getLogger("genai.http")
# Bodies are logged only when this logger itself is set to DEBUG: an explicit opt-in that turning
# on "genai" does not imply (prompts and answers can be private).
body_logger = logging.getLogger("genai.http.body")

# The longest part of a body quoted in one record.
BODY_EXCERPT = 4000

# Query parameter names that carry a credential (Google's ``?key=``, ``?api_key=``, tokens).
_KEY_PARAMS = ("key", "api_key", "apikey", "api-key", "token", "access_token", "secret", "sig")

# Loggers of the HTTP stack a record may come from (a filter applies only to the logger it is
# attached to, not its children).
_FOREIGN_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    # With HTTP/2, hpack logs every header it encodes or decodes (values included) at DEBUG.
    "hpack",
    "hpack.hpack",
    "hpack.table",
    "h2",
    "h2.connection",
    "genai",
    "genai.http",
    "genai.http.body",
)


def safe_url(url: object) -> str:
    """``url`` as text safe to log: user and password, and key-like query values, masked."""
    text = str(url)
    try:
        parts = urlsplit(text)
    except ValueError:
        return REDACTED
    if "@" in parts.netloc:
        parts = parts._replace(netloc=f"{REDACTED}@{parts.netloc.rsplit('@', 1)[1]}")
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        masked = [(k, REDACTED if k.lower() in _KEY_PARAMS else v) for k, v in pairs]
        parts = parts._replace(query=urlencode(masked, safe="<>"))
    return urlunsplit(parts)


class _SecretFilter(logging.Filter):
    """Redacts the registered secrets from records of the HTTP stack's loggers.

    Each secret's patterns are built once, for the first record that needs them (a client made
    while nothing logs pays nothing), and kept here: a shared bounded cache would rebuild them on
    every record once more clients than it holds are alive.
    Registrations are counted, so two clients with the same key keep it until both are closed.
    """

    def __init__(self) -> None:
        super().__init__("genai-secrets")
        self.counts: dict[str, int] = {}
        self.patterns: dict[str, Compiled | None] = {}
        self.lock = threading.Lock()

    @property
    def secrets(self) -> set[str]:
        return set(self.patterns)

    def filter(self, record: logging.LogRecord) -> bool:
        entries = self.patterns
        if not entries:
            return True
        try:
            text = record.getMessage()
        except Exception:  # a record whose arguments do not format: leave it to logging
            return True
        patterns = [c if c is not None else self._build(s) for s, c in entries.items()]
        redacted = redact_compiled(text, patterns)
        if redacted is not text:
            record.msg = redacted
            record.args = None
        return True

    def _build(self, secret: str) -> Compiled:
        built = compiled(secret)
        with self.lock:
            if secret in self.patterns:
                self.patterns = {**self.patterns, secret: built}
        return built

    def add(self, secret: str) -> None:
        with self.lock:
            self.counts[secret] = self.counts.get(secret, 0) + 1
            if secret in self.patterns:
                return
            if not self.patterns:
                for name in _FOREIGN_LOGGERS:
                    logging.getLogger(name).addFilter(self)
            # A new dict, so that a filter running in another thread iterates a stable one.
            self.patterns = {**self.patterns, secret: None}

    def remove(self, secret: str) -> None:
        with self.lock:
            left = self.counts.get(secret, 0) - 1
            if left > 0:
                self.counts[secret] = left
                return
            self.counts.pop(secret, None)
            self.patterns = {k: v for k, v in self.patterns.items() if k != secret}
            if not self.patterns:
                for name in _FOREIGN_LOGGERS:
                    logging.getLogger(name).removeFilter(self)


_FILTER = _SecretFilter()


def register_secret(secret: str | None) -> None:
    """Have the HTTP stack's log records redacted of ``secret`` (any encoding) from now on."""
    if secret:
        _FILTER.add(secret)


def register_secrets(owner: object, secrets: Iterable[str | None]) -> Callable[[], None]:
    """Register ``secrets`` (as :func:`register_secret`) for as long as ``owner`` lives.

    Returns the function that unregisters them, for ``owner``'s ``close()``: it runs once,
    whether called or when ``owner`` is collected unclosed.
    """
    kept = tuple(s for s in secrets if s)
    for secret in kept:
        _FILTER.add(secret)
    return weakref.finalize(owner, _unregister, kept)


def _unregister(secrets: tuple[str, ...]) -> None:
    for secret in secrets:
        _FILTER.remove(secret)


def request_id_of(headers: Mapping[str, str]) -> str | None:
    """The first header whose name ends in ``request-id`` (``x-request-id``...), or None."""
    for name, value in headers.items():
        if name.lower().endswith("request-id"):
            return value
    return None


# --- the lines of genai.http (called by the send loops of genai_core.http) ----------------------


def _ids(request_headers: Mapping[str, str], response_headers: Mapping[str, str] | None) -> str:
    sent = request_id_of(request_headers)
    got = request_id_of(response_headers) if response_headers is not None else None
    text = f" request_id={sent}" if sent else ""
    if got and got != sent:
        text += f" server_request_id={got}"
    return text


def sent(request: httpx.Request, attempt: int, attempts: int) -> float:
    """Log a request about to be sent; returns the start time for :func:`answered`."""
    if http_logger.isEnabledFor(logging.DEBUG):
        http_logger.debug(
            "request %s %s attempt %d/%d%s",
            request.method,
            safe_url(request.url),
            attempt,
            attempts,
            _ids(request.headers, None),
        )
    if _bodies_on() and request.content:
        _log_body("request body", request, request.content)
    return time.perf_counter()


def _bodies_on() -> bool:
    # Its own level, not the one inherited from "genai".
    return logging.NOTSET < body_logger.level <= logging.DEBUG


def _log_body(what: str, request: httpx.Request, body: bytes) -> None:
    text = body[: BODY_EXCERPT * 4].decode("utf-8", "replace")
    more = len(text) > BODY_EXCERPT or len(body) > BODY_EXCERPT * 4
    text = text[:BODY_EXCERPT] + (f"... ({len(body):,} bytes)" if more else "")
    # The secret filter on this logger redacts the keys of every client made with one.
    body_logger.debug("%s %s %s: %s", what, request.method, safe_url(request.url), text)


def answered(
    request: httpx.Request, response: httpx.Response, attempt: int, started: float
) -> None:
    """Log the status line of an answer (its headers have arrived)."""
    if http_logger.isEnabledFor(logging.DEBUG):
        http_logger.debug(
            "response %s %s status %d after %.3fs attempt %d%s",
            request.method,
            safe_url(request.url),
            response.status_code,
            time.perf_counter() - started,
            attempt,
            _ids(request.headers, response.headers),
        )


def failed(request: httpx.Request, exc: BaseException, attempt: int, started: float) -> None:
    """Log a request that got no answer (the exception's type only: its text may be long)."""
    if http_logger.isEnabledFor(logging.DEBUG):
        http_logger.debug(
            "no response %s %s: %s after %.3fs attempt %d%s",
            request.method,
            safe_url(request.url),
            type(exc).__name__,
            time.perf_counter() - started,
            attempt,
            _ids(request.headers, None),
        )


def retrying(
    request: httpx.Request,
    cause: httpx.Response | BaseException,
    next_attempt: int,
    attempts: int,
    delay: float,
) -> None:
    """The WARNING before a retry: why, and how long until it."""
    if isinstance(cause, httpx.Response):
        reason = f"HTTP {cause.status_code}"
    else:
        reason = type(cause).__name__
    if isinstance(cause, httpx.Response) and _bodies_on() and cause.is_stream_consumed:
        _log_body(f"error body (HTTP {cause.status_code})", request, cause.content)
    http_logger.warning(
        "retrying %s %s in %.2fs (attempt %d/%d) after %s%s",
        request.method,
        safe_url(request.url),
        delay,
        next_attempt,
        attempts,
        reason,
        _ids(request.headers, cause.headers if isinstance(cause, httpx.Response) else None),
    )
