"""Every exception this library raises on purpose.

The tree::

    GenAIError
    ├── ValidationError           bad input, found before anything is sent (also a ValueError)
    │   ├── RequestTooLargeError  the body is above the client's max_request_bytes
    │   └── DecodeError           Result.decode: the answer does not fit the requested type
    ├── ToolError                 a tool call could not be run (``messages``: the conversation)
    │   ├── ToolArgumentsError    the model's arguments do not fit the tool (also a ValidationError)
    │   ├── UnknownToolError      the model called a tool that was not offered
    │   ├── ToolExecutionError    the tool's own code raised (the exception is ``__cause__``)
    │   └── MaxTurnsError         the tool loop reached max_turns and the model still calls tools
    ├── NotSupportedError         an option or input the provider or model cannot take; nothing sent
    ├── MissingAPIKeyError        no key given and none in the environment; nothing sent
    ├── APIConnectionError        the request did not get an HTTP answer
    │   ├── APITimeoutError       ... because a timeout expired
    │   │   └── DeadlineExceededError  ... because the call's own ``deadline=`` passed
    │   └── (StreamConnectionError, below)
    └── APIError                  the server answered, and the answer is an error
        ├── BadRequestError       400, 422
        │   └── UnsupportedInputError  ... because the model refused an image, audio or file
        ├── AuthenticationError   401, 403
        ├── NotFoundError         404
        ├── RateLimitError        429 (``retry_after`` in seconds when the server said)
        ├── ServerError           5xx
        ├── RedirectError         3xx: the answer points elsewhere (``location``); not followed
        ├── MalformedResponseError  HTTP 200, but the body is not the answer the protocol
        │                         promises (not JSON, the wrong shape, an error object, a
        │                         Content-Encoding that does not decode), streamed or not
        └── StreamError           HTTP 200, but a streamed answer broke afterwards
            ├── MalformedStreamError    a chunk or event of the wrong shape, an error event
            │                           (also a MalformedResponseError)
            ├── IncompleteStreamError   the stream ended in the middle of a tool call
            ├── StreamClosedError       the caller closed the stream before its end
            └── StreamConnectionError   the connection failed after HTTP 200 (also an
                │                       APIConnectionError)
                └── StreamTimeoutError  ... because a read stalled past the timeout or the
                                        deadline passed (also an APITimeoutError)

``except StreamError`` catches every failure of a stream after the 200 status, whatever its
cause; ``except MalformedResponseError`` catches every answer of the wrong shape, streamed or
not; ``except APIConnectionError`` still catches every connection failure, before or after it.

Any of them raised while a stream was being read carries the part of the answer received so far in
``partial_result``; nothing that arrived is lost.

``str(err)`` is one line: who answered, the status and the provider's own message. The API key is
never part of an error: messages and bodies go through :func:`redact` before they are stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import _redact

if TYPE_CHECKING:
    import pydantic

    from .types import RateLimit, Result

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "DeadlineExceededError",
    "DecodeError",
    "GenAIError",
    "IncompleteStreamError",
    "InputRef",
    "MalformedResponseError",
    "MalformedStreamError",
    "MaxTurnsError",
    "MissingAPIKeyError",
    "NotFoundError",
    "NotSupportedError",
    "RateLimitError",
    "RedirectError",
    "RequestTooLargeError",
    "ServerError",
    "StreamClosedError",
    "StreamConnectionError",
    "StreamError",
    "StreamTimeoutError",
    "ToolArgumentsError",
    "ToolError",
    "ToolExecutionError",
    "UnknownToolError",
    "UnsupportedInputError",
    "ValidationError",
    "error_class_for_status",
    "pydantic_message",
    "redact",
    "redact_error",
]


class GenAIError(Exception):
    """Base of every error raised by genai_core and its providers."""

    #: The answer received before a streaming error: text, reasoning, tool calls and usage so far.
    partial_result: Result | None = None
    #: The conversation up to the failure, when a tool loop raised the error (None otherwise):
    #: pass it back, with the same options, to resume.
    messages: list[Any] | None = None


class ValidationError(GenAIError, ValueError):
    """The input cannot be sent as it is: the message says what to change.

    Raised by constructors of messages and options, and by ``gen_*`` before any request.
    """


class RequestTooLargeError(ValidationError):
    """The request body is larger than the client's ``max_request_bytes``; nothing was sent.

    ``size`` is the body's size in bytes and ``limit`` the limit.
    """

    def __init__(self, message: str, *, size: int, limit: int) -> None:
        super().__init__(message)
        self.size = size
        self.limit = limit


class DecodeError(ValidationError):
    """The answer's text does not decode into the requested type (:meth:`Result.decode`).

    ``text`` is the whole text that was decoded and ``problems`` the reasons, one per field
    (``"items[0].price: Input should be a valid number"``); the message quotes an excerpt of
    the text. ``in_reasoning`` is True when the text was empty but the reasoning holds JSON:
    the model answered in the wrong channel.
    """

    def __init__(
        self,
        message: str,
        *,
        text: str = "",
        problems: Iterable[str] = (),
        in_reasoning: bool = False,
    ) -> None:
        super().__init__(message)
        self.text = text
        self.problems: tuple[str, ...] = tuple(problems)
        self.in_reasoning = in_reasoning


class ToolError(GenAIError):
    """A tool call requested by the model could not be run.

    ``messages`` is the conversation up to the failure when a tool loop raised it (the answer
    with the tool calls included, so it can be inspected or resumed); empty otherwise.
    """

    def __init__(self, message: str, *, tool: str = "", call_id: str = "") -> None:
        super().__init__(message)
        self.tool = tool
        self.call_id = call_id
        self.messages: list[Any] = []


class ToolArgumentsError(ToolError, ValidationError):
    """The model called a tool with arguments that do not fit its input type.

    ``arguments`` is the text the model sent; ``problems`` one reason per field
    (``"number: Input should be a valid number"``).
    """

    def __init__(
        self,
        message: str,
        *,
        tool: str = "",
        call_id: str = "",
        arguments: str = "",
        problems: Iterable[str] = (),
    ) -> None:
        super().__init__(message, tool=tool, call_id=call_id)
        self.arguments = arguments
        self.problems: tuple[str, ...] = tuple(problems)


class UnknownToolError(ToolError):
    """The model called a tool that is not among those offered (``available``)."""

    def __init__(
        self, message: str, *, tool: str = "", call_id: str = "", available: Iterable[str] = ()
    ) -> None:
        super().__init__(message, tool=tool, call_id=call_id)
        self.available: tuple[str, ...] = tuple(available)


class ToolExecutionError(ToolError):
    """The tool's own code raised; the original exception is ``__cause__``."""


class MaxTurnsError(ToolError):
    """The tool loop made ``max_turns`` requests and the last answer still calls tools.

    ``result`` is that last answer; ``messages`` the whole conversation so far.
    """

    def __init__(self, message: str, *, max_turns: int, result: Any = None) -> None:
        super().__init__(message)
        self.max_turns = max_turns
        self.result = result


class NotSupportedError(GenAIError):
    """The provider or model cannot honour ``options`` (names like ``"TextOptions.top_logprobs"``).

    Raised before anything is sent, so the caller may retry without them.
    """

    def __init__(self, message: str, options: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.options: tuple[str, ...] = tuple(options)


class MissingAPIKeyError(GenAIError):
    """No API key: neither passed as ``api_key=`` nor found in the environment variable."""

    def __init__(self, provider: str, env_var: str, key_url: str | None = None) -> None:
        msg = f"{provider}: no API key; pass api_key=... or set the environment variable {env_var}"
        if key_url:
            msg += f" (get a key at {key_url})"
        super().__init__(msg)
        self.provider = provider
        self.env_var = env_var
        self.key_url = key_url


class APIConnectionError(GenAIError):
    """The request got no HTTP answer (DNS, refused connection, TLS, connection reset...)."""


class APITimeoutError(APIConnectionError):
    """A connect, read, write or pool timeout expired."""


class DeadlineExceededError(APITimeoutError):
    """The call's total ``deadline=`` (seconds, retries and the whole stream included) passed.

    Raised instead of starting a retry that could not finish in time, or when the deadline
    passes while waiting for the answer; ``deadline`` is the limit in seconds. (When it passes
    while the answer is read, the error is a :class:`StreamTimeoutError` carrying the partial
    result; ``except APITimeoutError`` catches both.)
    """

    #: The call's deadline in seconds.
    deadline: float | None = None


class APIError(GenAIError):
    """The server answered with an error.

    ``status_code`` is the HTTP status (200 for an error that arrived inside a stream), ``message``
    the provider's own words, ``body`` the raw body text (redacted), ``headers`` the response
    headers and ``request_id`` the provider's request id when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: str = "",
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
        provider: str = "",
        error_type: str | None = None,
        code: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.status_code = status_code
        self.body = body
        self.headers: dict[str, str] = dict(headers or {})
        self.request_id = request_id
        self.provider = provider
        self.error_type = error_type
        self.code = code
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        who = f"{self.provider}: " if self.provider else ""
        text = f"{who}HTTP {self.status_code}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        return text


class BadRequestError(APIError):
    """400 or 422: the provider refused the request as malformed or unsupported."""


@dataclass(frozen=True, slots=True)
class InputRef:
    """Where one non-text input (a :class:`~genai_core.types.Doc`) sits in a conversation.

    ``message`` and ``part`` index the conversation and the message's ``requests``; ``kind`` is the
    modality (``image``, ``audio``, ``video``, ``document``); ``label`` names the input: its file
    name, its URL, or its type and size.
    """

    message: int
    part: int
    kind: str
    label: str

    def __str__(self) -> str:
        return f"{self.kind} {self.label} at messages[{self.message}].requests[{self.part}]"


class UnsupportedInputError(BadRequestError):
    """The provider refused an input the model cannot take (an image sent to a text-only model).

    ``inputs`` are the inputs the refusal is about, as far as the provider's message tells; the
    message quotes the provider's own words and names them, so the caller knows what to drop.
    """

    def __init__(
        self, message: str, *, inputs: Iterable[InputRef], model: str | None = None, **kw: Any
    ) -> None:
        self.inputs: tuple[InputRef, ...] = tuple(inputs)
        self.model = model
        who = f"model {model!r}" if model else "the model"
        refused = "; ".join(str(i) for i in self.inputs) or "a non-text input"
        kinds = " and ".join(sorted({i.kind for i in self.inputs})) or "it"
        advice = (
            f"{who} refused {refused}; send it to a model whose input modalities include "
            f"{kinds}, or leave it out"
        )
        hint = kw.pop("hint", None)
        super().__init__(message, hint=f"{hint}; {advice}" if hint else advice, **kw)


class AuthenticationError(APIError):
    """401 or 403: the key is missing, wrong or not allowed to use this model."""


class NotFoundError(APIError):
    """404: unknown model or route (a deactivated deployment also answers 404)."""


class RateLimitError(APIError):
    """429: too many requests. ``retry_after`` is the server's requested delay in seconds
    (``Retry-After`` / ``retry-after-ms``); ``limits`` are the rate limits the answer's
    ``x-ratelimit-*`` headers state (which one ran out, when it resets), as in ``Usage.limits``.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        limits: Iterable[RateLimit] = (),
        **kw: Any,
    ) -> None:
        self.retry_after = retry_after
        self.limits: list[RateLimit] = list(limits)
        super().__init__(message, **kw)


class ServerError(APIError):
    """5xx: the provider failed; retried automatically before it is raised."""


class MalformedResponseError(APIError):
    """HTTP 200, but the body is not the answer the protocol promises.

    Not JSON (an HTML page from a proxy, an empty body), JSON of the wrong shape (no usable
    choice, a missing field), an error object sent with a success status, or a body whose
    ``Content-Encoding`` does not decode. Raised as it is by calls that read a whole body
    (``gen_sync``, ``list_models``, ``embed``, the platform calls); a stream raises
    :class:`MalformedStreamError`, which is one too. ``status_code`` is the HTTP status; the
    message quotes a short excerpt of what arrived.
    """


class StreamError(APIError):
    """HTTP 200, but the streamed answer broke afterwards.

    The base of every failure of a stream after its success status: a malformed chunk or an
    error event (:class:`MalformedStreamError`), a stream cut in a tool call
    (:class:`IncompleteStreamError`), a broken or stalled connection
    (:class:`StreamConnectionError`). ``status_code`` is the HTTP status (200).
    """


class MalformedStreamError(StreamError, MalformedResponseError):
    """A stream sent something that breaks the protocol: a chunk that is not JSON or not of the
    documented shape, an event that is not UTF-8 or too large, an error event, or no event at
    all. Both a :class:`StreamError` and a :class:`MalformedResponseError`; the message quotes a
    short excerpt of what arrived and ``partial_result`` holds what came before it.
    """


class RedirectError(APIError):
    """3xx: the server sent the request elsewhere; the library does not follow on its own.

    ``location`` is the ``Location`` header (None when missing). The usual causes are a base URL
    written with ``http://`` for an ``https://`` API, or an API that moved: put the new address in
    ``base_url``. (An injected ``http_client`` with ``follow_redirects=True`` is followed, and the
    credentials are not sent to another origin.)
    """

    def __init__(self, message: str, *, location: str | None = None, **kw: Any) -> None:
        self.location = location
        super().__init__(message, **kw)


class IncompleteStreamError(StreamError):
    """The stream ended (the server closed it) in the middle of a tool call: neither ``[DONE]``
    nor a finish reason came, and the call's arguments are not whole JSON.

    ``partial_result`` holds what arrived, the cut call included. A stream that merely ends
    without an end marker, its last event whole, is handed over with
    ``Result.maybe_truncated`` set instead (some servers end complete answers that way).
    """


class StreamClosedError(StreamError, RuntimeError):
    """The stream was closed (``close()``, ``aclose()``, the ``with`` block left) before its end,
    and its Result or more of its fragments were asked for.

    ``partial_result`` holds what arrived before the close (None when nothing was received;
    ``status_code`` is then 0). Also a ``RuntimeError``, what earlier versions raised.
    """


class StreamConnectionError(StreamError, APIConnectionError):
    """The connection broke after the HTTP 200 status, while the answer was being read.

    A :class:`StreamError` (status 200, ``request_id``, ``partial_result``) and an
    :class:`APIConnectionError`; the transport's exception is ``__cause__``. Not retried: part of
    the answer was already handed over.
    """


class StreamTimeoutError(StreamConnectionError, APITimeoutError):
    """A read stalled past the read timeout (or the call's deadline) after HTTP 200."""

    #: The call's deadline in seconds when that is what passed; None for a read timeout.
    deadline: float | None = None


_STATUS_CLASSES: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    422: BadRequestError,
    429: RateLimitError,
}


def error_class_for_status(status_code: int) -> type[APIError]:
    """The most specific :class:`APIError` subclass for an HTTP status."""
    cls = _STATUS_CLASSES.get(status_code)
    if cls is not None:
        return cls
    if status_code >= 500:
        return ServerError
    if 300 <= status_code < 400:
        return RedirectError
    return APIError


def redact_error(err: GenAIError, secrets: Iterable[str | None]) -> GenAIError:
    """Remove the secrets from an error's message, body and headers, in place."""
    secrets = tuple(secrets)
    if isinstance(err, APIError):
        err.message = redact(err.message, secrets)
        err.body = redact(err.body, secrets)
        err.headers = {k: redact(v, secrets) for k, v in err.headers.items()}
        # Whatever else the server chose to say can echo the key as well.
        for name in ("request_id", "error_type", "code", "hint"):
            value = getattr(err, name)
            if isinstance(value, str):
                setattr(err, name, redact(value, secrets))
        err.args = (err._render(),)
    else:
        err.args = tuple(redact(a, secrets) if isinstance(a, str) else a for a in err.args)
    return err


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each secret in ``text`` with ``<redacted>``, in any encoding.

    Plain, JSON-escaped (``\\/``, ``\\u00XX``, mixed per character), percent-encoded, HTML
    references and base64 (Basic auth) are all found; keys of any length are redacted (see
    :mod:`genai_core._redact`).
    """
    return _redact.redact(text, secrets)


def pydantic_message(owner: str, exc: pydantic.ValidationError) -> str:
    """pydantic's complaint in one line naming each field (``invalid Owner: a.b: msg; ...``), for
    the library's own ValidationError subclasses: pydantic's text says what was wrong."""
    parts = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return f"invalid {owner}: " + "; ".join(parts)
