"""The chat stream core: bytes of one streamed chat completion in, fragments out; no I/O.

:class:`~genai_core.provider.Stream` and :class:`~genai_core.provider.AsyncStream` move bytes
into it; SSE decoding, chunk assembly (:class:`~.stream.ChatStreamAssembler`), the end-of-stream
rules and error mapping are here, next to the assembler, so the provider-neutral
``genai_core.provider`` knows nothing of the OpenAI wire format.
"""

from __future__ import annotations

import json

from ..errors import (
    GenAIError,
    IncompleteStreamError,
    MalformedResponseError,
    MalformedStreamError,
    StreamError,
    redact_error,
)
from ..sse import SSEDecodeError, SSEDecoder
from ..types import Reply, Result
from .error_body import excerpt, parse_error_body
from .response import parse_chat_response
from .stream import ChatStreamAssembler

__all__ = ["ChatStreamCore"]

# How much of a body that is not an event stream is kept to quote in the error.
_HEAD = 512


class ChatStreamCore:
    """Bytes of one streamed response in, fragments out; no I/O.

    ``feed`` and ``finish`` return the fragments to yield; ``fail`` attaches the partial Result to
    an error; ``result`` is the final Result.
    """

    __slots__ = (
        "_assembler",
        "_decoder",
        "_head",
        "_json_result",
        "_pending",
        "_secrets",
        "_unterminated",
    )

    def __init__(
        self, assembler: ChatStreamAssembler, secrets: tuple[str | None, ...] = ()
    ) -> None:
        self._assembler = assembler
        self._secrets = secrets
        self._decoder = SSEDecoder()
        self._json_result: Result | None = None
        # The first bytes of a body that gave no event yet, to quote when it never does.
        self._head = b""
        # An error met after other events of the same read: raised by the next call, once the
        # fragments before it were handed over (the fragments seen must add up to the partial
        # result).
        self._pending: StreamError | None = None
        # The body ended with no end marker at all ([DONE] or a finish reason).
        self._unterminated = False

    @property
    def done(self) -> bool:
        return self._assembler.done

    @property
    def provider(self) -> str:
        return self._assembler.provider

    @property
    def request_id(self) -> str | None:
        return self._assembler.request_id

    def feed(self, data: bytes) -> list[Reply]:
        if self._pending is not None:
            raise self._pending
        try:
            # Reads made only of plain data events are the common case: no event objects.
            texts = self._decoder.feed_plain(data)
            if texts is None:
                events = self._decoder.feed(data)
        except SSEDecodeError as exc:
            raise self._protocol_error(str(exc)) from None
        if texts is not None:
            out: list[Reply] = []
            try:
                self._assembler.feed_all(texts, out)
            except StreamError as exc:
                if not out:
                    raise
                self._pending = exc
            return out
        if not events:
            if len(self._head) < _HEAD and not self._assembler.chunks:
                self._head += data[: _HEAD - len(self._head)]
            return []
        feed_all = self._assembler.feed_all
        out = []
        try:
            for ev in events:
                if ev.event == "error":
                    raise self._protocol_error(parse_error_body(ev.data).message)
                feed_all((ev.data,), out)
        except StreamError as exc:
            if not out:
                raise
            self._pending = exc
        return out

    def finish(self) -> list[Reply]:
        """End of the body: flush what is buffered."""
        if self._pending is not None:
            raise self._pending
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
        a = self._assembler
        if not a.done and a.finish_reason is None:
            # EOF at an event boundary with neither [DONE] nor a finish reason. Some servers end
            # a whole answer that way (recorded: GLM-5 JSON streams), so the text is handed over
            # with Result.maybe_truncated set; but a tool call whose arguments are not whole
            # JSON was certainly cut, and never passes as a complete call.
            self._unterminated = True
            if a.cut_tool_call():
                out.extend(a.end())
                raise IncompleteStreamError(
                    "the stream ended in the middle of a tool call (no [DONE], no finish "
                    "reason, arguments not whole JSON); partial_result holds what arrived",
                    status_code=200,
                    provider=a.provider,
                    request_id=a.request_id,
                )
        out.extend(a.end())
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
        try:
            self._json_result = parse_chat_response(
                data,
                provider=a.provider,
                request_id=a.request_id,
                limits=a.limits,
                think_tags=a.think_tags,
            )
        except MalformedResponseError as exc:
            # Still a stream to the caller: ``except StreamError`` must catch it.
            raise self._protocol_error(exc.message) from None
        a.done = True
        return list(self._json_result.replies)

    def fail(self, exc: GenAIError) -> GenAIError:
        """Attach the partial Result to ``exc`` and remove secrets from its text."""
        exc.partial_result = self.result()
        return redact_error(exc, self._secrets)

    def result(self) -> Result:
        if self._json_result is not None:
            return self._json_result
        result = self._assembler.result()
        if self._unterminated:
            result = result.model_copy(update={"maybe_truncated": True})
        return result

    def _protocol_error(self, message: str) -> MalformedStreamError:
        a = self._assembler
        return MalformedStreamError(
            message, status_code=200, provider=a.provider, request_id=a.request_id
        )
