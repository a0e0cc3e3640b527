"""The OpenTelemetry side of :mod:`genai_core.tracing`; imported only by ``instrument()``.

Span attributes follow the OpenTelemetry GenAI semantic conventions (client spans): they are
read from the request the client built (its URL and JSON body) and from the Result, so that this
module knows nothing of any provider. Nothing here runs per stream chunk: a stream's span starts
when its request is sent and ends with the stream (its end, its error, or its close).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

import httpx
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from ._version import __version__
from .errors import APIError, GenAIError
from .types import Embeddings, Model, Result

__all__ = ["CallSpan", "Instrumentation", "StreamCall"]

# Request body field -> attribute, for the numbers and strings copied as they are.
_REQUEST_FIELDS = {
    "max_tokens": "gen_ai.request.max_tokens",
    "max_completion_tokens": "gen_ai.request.max_tokens",
    "temperature": "gen_ai.request.temperature",
    "top_p": "gen_ai.request.top_p",
    "top_k": "gen_ai.request.top_k",
    "frequency_penalty": "gen_ai.request.frequency_penalty",
    "presence_penalty": "gen_ai.request.presence_penalty",
    "seed": "gen_ai.request.seed",
    "n": "gen_ai.request.choice.count",
}


class Instrumentation:
    """The tracer and the settings ``instrument()`` was given."""

    def __init__(self, tracer_provider: Any, *, capture_content: bool) -> None:
        self.tracer = trace.get_tracer("genai_core", __version__, tracer_provider=tracer_provider)
        self.capture_content = capture_content

    def call(self, provider: str, operation: str, request: httpx.Request) -> CallSpan:
        """The span of one call (a context manager: current while the call runs)."""
        return CallSpan(self, provider, operation, request)

    def stream_call(self, provider: str) -> StreamCall:
        """The span of one stream, started when its request is sent."""
        return StreamCall(self, provider)


class CallSpan:
    """One call's span. ``succeeded`` records the answer; an error is recorded by ``failed``."""

    span: Span | None = None

    def __init__(
        self,
        inst: Instrumentation,
        provider: str,
        operation: str,
        request: httpx.Request | None = None,
    ) -> None:
        self._inst = inst
        self._provider = provider
        self._operation = operation
        self._scope: Any = None
        self._ended = False
        if request is not None:
            self.start(request)

    # -- start ---------------------------------------------------------------------------------

    def start(self, request: httpx.Request) -> None:
        body = _json_body(request)
        attrs: dict[str, Any] = {
            "gen_ai.operation.name": self._operation,
            "gen_ai.provider.name": self._provider,
            "gen_ai.system": self._provider,  # the name before semconv 1.37, still widely read
            "server.address": request.url.host,
            "server.port": request.url.port or (443 if request.url.scheme == "https" else 80),
        }
        model = body.get("model") if isinstance(body, dict) else None
        if isinstance(model, str):
            attrs["gen_ai.request.model"] = model
        if isinstance(body, dict):
            _request_options(body, attrs)
            if self._inst.capture_content and isinstance(body.get("messages"), list):
                attrs["gen_ai.input.messages"] = _dumps(_input_messages(body["messages"]))
        name = f"{self._operation} {model}" if isinstance(model, str) else self._operation
        self.span = self._inst.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attrs)

    def __enter__(self) -> CallSpan:
        assert self.span is not None
        self._scope = trace.use_span(self.span, end_on_exit=False, record_exception=False)
        self._scope.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            self.failed(exc)
        self._scope.__exit__(exc_type, exc, tb)
        self.end()

    # -- outcome -------------------------------------------------------------------------------

    def succeeded(self, value: Result | Embeddings | list[Model]) -> None:
        if self.span is None or self._ended:
            return
        if isinstance(value, Result):
            self._result(value)
        elif isinstance(value, Embeddings):
            self._embeddings(value)
        else:
            self.span.set_attribute("genai.models.count", len(value))

    def failed(self, exc: BaseException) -> None:
        span = self.span
        if span is None or self._ended:
            return
        span.set_attribute("error.type", type(exc).__qualname__)
        if isinstance(exc, APIError) and exc.status_code:
            span.set_attribute("http.response.status_code", exc.status_code)
        partial = getattr(exc, "partial_result", None) if isinstance(exc, GenAIError) else None
        if isinstance(partial, Result):
            self._result(partial)
        span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, str(exc)))
        self.end()

    def end(self) -> None:
        if self.span is not None and not self._ended:
            self._ended = True
            self.span.end()

    def _result(self, res: Result) -> None:
        span = self.span
        assert span is not None
        attrs: dict[str, Any] = {}
        if res.model:
            attrs["gen_ai.response.model"] = res.model
        if res.id:
            attrs["gen_ai.response.id"] = res.id
        if res.request_id:
            attrs["genai.request_id"] = res.request_id
        finish = res.raw_finish_reason or (str(res.finish_reason) if res.finish_reason else None)
        if finish:
            attrs["gen_ai.response.finish_reasons"] = [finish]
        usage = res.usage
        if usage.input_tokens or usage.output_tokens or usage.total_tokens:
            attrs["gen_ai.usage.input_tokens"] = usage.input_tokens
            attrs["gen_ai.usage.output_tokens"] = usage.output_tokens
            if usage.input_cached_tokens:
                attrs["gen_ai.usage.cache_read.input_tokens"] = usage.input_cached_tokens
            if usage.reasoning_tokens:
                attrs["gen_ai.usage.reasoning.output_tokens"] = usage.reasoning_tokens
        cost = res.cost
        if cost is not None:
            attrs["genai.cost.usd"] = float(cost)
        if self._inst.capture_content:
            attrs["gen_ai.output.messages"] = _dumps([_output_message(res, finish)])
        span.set_attributes(attrs)

    def _embeddings(self, emb: Embeddings) -> None:
        span = self.span
        assert span is not None
        if emb.model:
            span.set_attribute("gen_ai.response.model", emb.model)
        if emb.usage.input_tokens:
            span.set_attribute("gen_ai.usage.input_tokens", emb.usage.input_tokens)
        if emb.vectors:
            span.set_attribute("gen_ai.embeddings.dimension.count", len(emb.vectors[0]))


class StreamCall(CallSpan):
    """A stream's span: started by the wrapped ``send``, ended by the stream core
    (``succeeded`` at the last fragment, ``failed`` on an error) or, for a stream closed before
    its end, by the response's close."""

    def __init__(self, inst: Instrumentation, provider: str) -> None:
        super().__init__(inst, provider, "chat")

    @contextmanager
    def _sending(self, request: httpx.Request) -> Iterator[None]:
        """Start the span and make it current while ``request`` is sent (with its retries, up
        to the response headers); a failure to get an answer ends it with the error."""
        self.start(request)
        assert self.span is not None
        try:
            with trace.use_span(self.span, end_on_exit=False, record_exception=False):
                yield
        except BaseException as exc:
            self.failed(exc)
            raise

    def wrap_send(
        self, send: Callable[[httpx.Request], httpx.Response]
    ) -> Callable[[httpx.Request], httpx.Response]:
        def traced(request: httpx.Request) -> httpx.Response:
            with self._sending(request):
                response = send(request)
            self._watch(response)
            return response

        return traced

    def wrap_asend(
        self, send: Callable[[httpx.Request], Awaitable[httpx.Response]]
    ) -> Callable[[httpx.Request], Awaitable[httpx.Response]]:
        async def traced(request: httpx.Request) -> httpx.Response:
            with self._sending(request):
                response = await send(request)
            self._watch(response)
            return response

        return traced

    def _watch(self, response: httpx.Response) -> None:
        inner = response.stream
        if isinstance(inner, httpx.AsyncByteStream):
            response.stream = _AsyncClosing(inner, self.end)
        elif isinstance(inner, httpx.SyncByteStream):
            response.stream = _Closing(inner, self.end)


class _EndsEarlyClose:
    """A response body that ends the span when it is closed before its end (the caller closed
    the stream, or reading stopped on an error). Read to its end, it leaves the span to the stream
    core, which ends it with the Result right after. Only traced streams pay for this wrapper."""

    def __init__(self, on_early_close: Callable[[], None]) -> None:
        self._on_early_close = on_early_close
        self._exhausted = False

    def _closed(self) -> None:
        if not self._exhausted:
            self._on_early_close()


class _Closing(_EndsEarlyClose, httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, on_early_close: Callable[[], None]) -> None:
        super().__init__(on_early_close)
        self._inner = inner
        self._iter: Iterator[bytes] | None = None

    def __iter__(self) -> Iterator[bytes]:
        self._iter = iter(self._inner)
        return self

    def __next__(self) -> bytes:
        assert self._iter is not None
        try:
            return next(self._iter)
        except StopIteration:
            self._exhausted = True
            raise

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._closed()


class _AsyncClosing(_EndsEarlyClose, httpx.AsyncByteStream):
    # An iterator class, not an async generator: nothing left for the garbage collector to
    # finalise (trio warns about that).
    def __init__(self, inner: httpx.AsyncByteStream, on_early_close: Callable[[], None]) -> None:
        super().__init__(on_early_close)
        self._inner = inner
        self._iter: AsyncIterator[bytes] | None = None

    def __aiter__(self) -> AsyncIterator[bytes]:
        self._iter = self._inner.__aiter__()
        return self

    async def __anext__(self) -> bytes:
        assert self._iter is not None
        try:
            return await self._iter.__anext__()
        except StopAsyncIteration:
            self._exhausted = True
            raise

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._closed()


# --- attributes from the request body ------------------------------------------------------------


def _json_body(request: httpx.Request) -> Any:
    content = request.content if request.method == "POST" else b""
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None


def _request_options(body: dict[str, Any], attrs: dict[str, Any]) -> None:
    for field, name in _REQUEST_FIELDS.items():
        value = body.get(field)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if field == "n" and value == 1:
                continue
            attrs[name] = value
    stop = body.get("stop")
    if isinstance(stop, str):
        attrs["gen_ai.request.stop_sequences"] = [stop]
    elif isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        attrs["gen_ai.request.stop_sequences"] = stop
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema"):
        attrs["gen_ai.output.type"] = "json"
    encoding = body.get("encoding_format")
    if isinstance(encoding, str):
        attrs["gen_ai.request.encoding_formats"] = [encoding]


# --- contents (only with capture_content) ---------------------------------------------------------


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _input_messages(messages: list[Any]) -> list[dict[str, Any]]:
    """OpenAI chat messages as the conventions' ``{role, parts}`` messages."""
    out: list[dict[str, Any]] = []
    for msg in messages:
        if not isinstance(msg, dict):
            continue
        role = msg.get("role", "user")
        parts: list[dict[str, Any]] = []
        content = msg.get("content")
        if role == "tool":
            parts.append(
                {"type": "tool_call_response", "id": msg.get("tool_call_id"), "response": content}
            )
        elif isinstance(content, str):
            parts.append({"type": "text", "content": content})
        elif isinstance(content, list):
            parts.extend(_content_part(p) for p in content if isinstance(p, dict))
        for call in msg.get("tool_calls") or []:
            fn = call.get("function") or {}
            parts.append(
                {
                    "type": "tool_call",
                    "id": call.get("id"),
                    "name": fn.get("name"),
                    "arguments": fn.get("arguments"),
                }
            )
        out.append({"role": role, "parts": parts})
    return out


def _content_part(part: dict[str, Any]) -> dict[str, Any]:
    kind = part.get("type")
    if kind == "text":
        return {"type": "text", "content": part.get("text", "")}
    if kind == "image_url":
        url = (part.get("image_url") or {}).get("url", "")
        if isinstance(url, str) and url.startswith("data:"):
            return {"type": "blob", "modality": "image", "mime_type": url[5:].split(";")[0]}
        return {"type": "uri", "modality": "image", "uri": url}
    return {"type": str(kind)}


def _output_message(res: Result, finish: str | None) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    if res.reasoning:
        parts.append({"type": "reasoning", "content": res.reasoning})
    if res.text:
        parts.append({"type": "text", "content": res.text})
    parts.extend(
        {"type": "tool_call", "id": c.id, "name": c.name, "arguments": c.arguments}
        for c in res.tool_calls
    )
    return {"role": "assistant", "parts": parts, "finish_reason": finish or ""}
