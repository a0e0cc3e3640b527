"""What a chat client reads back: request ids, typed errors, results and stream cores.

:class:`Exchange` is built once per client with the client's secrets, and it is the one place
they are removed from what the client raises or returns: every error leaves through
:meth:`Exchange.safe` (or is built from text that went through :meth:`Exchange.redact`, or by
:func:`~.error_body.api_error` given :attr:`Exchange.secrets`), the
send loops get :attr:`Exchange.secrets`, and a stream core gets them for its errors. The client
itself never redacts. No I/O: each method takes an ``httpx.Response`` already read.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NoReturn, cast

import httpx

from .._redact import Compiled, compiled, redact_compiled
from ..errors import (
    APIError,
    GenAIError,
    MalformedResponseError,
    RateLimitError,
    RedirectError,
    redact,
    redact_error,
)
from ..http import Deadline, body_error, parse_retry_after
from ..http_setup import public_url
from ..types import Embeddings, Model, RateLimit, Reply, Result
from .config import ProviderConfig
from .error_body import api_error, excerpt, looks_like_html, noted_inputs
from .models import parse_models
from .prepare import ReadPlan
from .ratelimits import parse_rate_limits
from .response import parse_chat_response
from .stream import ChatStreamAssembler
from .stream_core import ChatStreamCore

if TYPE_CHECKING:
    from .._otel import StreamCall

__all__ = ["Exchange", "with_pricing"]


class Exchange:
    """How one client turns answers into results and errors, its secrets removed here."""

    __slots__ = ("_clock", "_config", "_env_var", "_id_headers", "_patterns", "_root", "secrets")

    def __init__(
        self,
        config: ProviderConfig,
        *,
        secrets: tuple[str | None, ...],
        base_url: str,
        env_var: str | None,
        clock: Callable[[], float],
    ) -> None:
        self._config = config
        self.secrets = secrets
        """What must never appear in errors, logs or a redirect to another origin."""
        self._root = base_url
        self._env_var = env_var
        self._clock = clock
        self._id_headers = tuple(name.lower() for name in config.request_id_headers)
        self._patterns: tuple[Compiled, ...] | None = None

    # -- the one redaction point ---------------------------------------------------------------

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def safe(self, err: GenAIError) -> GenAIError:
        """``err`` with the secrets removed from its message, body and headers."""
        return redact_error(err, self.secrets)

    # -- per response --------------------------------------------------------------------------

    def request_id(self, response: httpx.Response) -> str | None:
        return self._request_id(_header_values(response))

    def _request_id(self, headers: Mapping[str, str]) -> str | None:
        for name in self._id_headers:
            value = headers.get(name)
            if value:
                # It lands in Results and errors: a server echoing the key there must not.
                # Read from every answer: the secrets' patterns are looked up once, not per call.
                patterns = self._patterns
                if patterns is None:
                    patterns = self._patterns = tuple(compiled(s) for s in set(self.secrets) if s)
                return redact_compiled(value, patterns)
        return None

    def limits(self, response: httpx.Response) -> list[RateLimit]:
        return parse_rate_limits(response.headers, self._clock())

    def facts(self, response: httpx.Response) -> tuple[str | None, list[RateLimit]]:
        """The request id and the rate limits of an answer, its headers read once."""
        headers = _header_values(response)
        return self._request_id(headers), parse_rate_limits(headers, self._clock())

    def raise_for_status(self, response: httpx.Response) -> NoReturn:
        """Raise the typed error for an error response whose body has been read."""
        status = response.status_code
        if 300 <= status < 400:
            raise self.redirect_error(response)
        config = self._config
        hint = None
        if status in (401, 403) and config.key_url:
            where = f"${self._env_var} or api_key=" if self._env_var else "api_key="
            hint = f"check the key given in {where}; get one at {config.key_url}"
        elif status == 404:
            # A base URL missing its "/v1" and a misspelt model both end here.
            sent = response.request
            hint = (
                f"{sent.method} {public_url(str(sent.url))}: check that base_url is the API "
                "root and the model name is one the server lists"
            )
        model, inputs = noted_inputs(response)
        raise api_error(
            status,
            response.content,
            response.headers,
            provider=config.name,
            request_id=self.request_id(response),
            secrets=self.secrets,
            hint=hint,
            retry_after=parse_retry_after(response.headers, time.time()) if status == 429 else None,
            limits=self.limits(response) if status == 429 else [],
            reason=response.reason_phrase,
            cls=RateLimitError if status == 429 else None,
            inputs=inputs,
            model=model,
        )

    def redirect_error(self, response: httpx.Response) -> RedirectError:
        location = response.headers.get("location")
        shown = public_url(self.redact(location)) if location else None
        sent = public_url(str(response.request.url))
        if shown is None:
            hint = "the answer has no Location header"
        elif sent.startswith("http://") and shown.startswith("https://"):
            hint = "the server wants HTTPS: write base_url with https://"
        else:
            hint = "the API moved: set base_url to the new address"
        return RedirectError(
            f"redirected to {shown!r} (HTTP {response.status_code} {response.reason_phrase}); "
            "redirects are not followed",
            location=shown,
            status_code=response.status_code,
            body=excerpt(self.redact(response.text), 2000),
            headers={k: self.redact(v) for k, v in response.headers.items()},
            request_id=self.request_id(response),
            provider=self._config.name,
            hint=hint,
        )

    def body_error(
        self, exc: Exception, response: httpx.Response, deadline: Deadline | None
    ) -> APIError:
        """The error for a failure while the body of a success answer was read (not retried:
        the server did answer)."""
        kw: dict[str, Any] = {
            "status_code": response.status_code,
            "provider": self._config.name,
            "request_id": self.request_id(response),
        }
        if deadline is not None and deadline.remaining() <= 0:
            err = deadline.error(after_200=True, **kw)
        else:
            err = body_error(exc, streamed=False, **kw)
        assert isinstance(err, APIError)
        return cast(APIError, self.safe(err))

    def json(self, response: httpx.Response) -> Any:
        """The decoded body of a success answer; MalformedResponseError quoting it when it is
        not JSON."""
        try:
            return json.loads(response.content)
        except ValueError:
            text = self.redact(response.text)
            kind = "an HTML page" if looks_like_html(text) else "a body that is not JSON"
            shown = excerpt(text) if text.strip() else "(empty)"
            raise MalformedResponseError(
                f"expected JSON, got {kind}: {shown!r}",
                status_code=response.status_code,
                body=excerpt(text, 2000),
                headers=response.headers,
                request_id=self.request_id(response),
                provider=self._config.name,
                hint=f"is {public_url(self._root)} the API root of an OpenAI-compatible API?",
            ) from None

    # -- results -------------------------------------------------------------------------------

    def chat(
        self, response: httpx.Response, plan: ReadPlan, pricing: dict[str, Decimal] | None
    ) -> Result:
        request_id, limits = self.facts(response)
        try:
            result = parse_chat_response(
                self.json(response),
                provider=self._config.name,
                request_id=request_id,
                status_code=response.status_code,
                limits=limits,
                think_tags=plan.think_tags,
            )
        except APIError as exc:  # the body it quotes is the server's: redacted here
            raise self.safe(exc) from None
        return with_pricing(result, pricing)

    def embeddings(self, response: httpx.Response, count: int) -> Embeddings:
        from .embeddings import parse_embeddings_response  # only clients that embed pay for it

        request_id, limits = self.facts(response)
        try:
            return parse_embeddings_response(
                self.json(response),
                count=count,
                provider=self._config.name,
                request_id=request_id,
                limits=limits,
            )
        except APIError as exc:
            raise self.safe(exc) from None

    def models(self, response: httpx.Response) -> list[Model]:
        data = self.json(response)
        try:
            return parse_models(data)
        except ValueError as exc:
            # A 200 whose body breaks the protocol, like a malformed chat answer.
            raise MalformedResponseError(
                f"{exc}: {excerpt(self.redact(response.text))!r}",
                status_code=response.status_code,
                provider=self._config.name,
                request_id=self.request_id(response),
            ) from None

    def stream_core(
        self,
        response: httpx.Response,
        plan: ReadPlan,
        pricing: dict[str, Decimal] | None,
        call: StreamCall | None,
    ) -> ChatStreamCore:
        request_id, limits = self.facts(response)
        assembler = ChatStreamAssembler(
            provider=self._config.name,
            request_id=request_id,
            limits=limits,
            keep_raw=plan.keep_raw,
            think_tags=plan.think_tags,
        )
        return _CallStreamCore(assembler, self.secrets, pricing, call)


def _header_values(response: httpx.Response) -> dict[str, str]:
    """An answer's headers in one pass: lower-case names, the values of a repeated header
    joined with ", " (as ``response.headers[name]`` gives them)."""
    return dict(response.headers.items())


def with_pricing(result: Result, pricing: dict[str, Decimal] | None) -> Result:
    """``result`` with the model's prices, so that ``result.cost`` needs no argument."""
    if pricing is None or result.pricing is not None:
        return result
    return result.model_copy(update={"pricing": pricing})


class _CallStreamCore(ChatStreamCore):
    """A :class:`ChatStreamCore` with what the client adds per call: its model's prices on the
    Result, and the end of the tracing span at the last fragment (or at the error). Nothing is
    added per chunk: ``feed`` is the base class's."""

    __slots__ = ("_call", "_pricing")

    def __init__(
        self,
        assembler: ChatStreamAssembler,
        secrets: tuple[str | None, ...],
        pricing: dict[str, Decimal] | None,
        call: StreamCall | None,
    ) -> None:
        super().__init__(assembler, secrets)
        self._pricing = pricing
        self._call = call

    def result(self) -> Result:
        return with_pricing(super().result(), self._pricing)

    def finish(self) -> list[Reply]:
        return self._ended(super().finish())

    def feed_json(self, body: bytes) -> list[Reply]:
        return self._ended(super().feed_json(body))

    def fail(self, exc: GenAIError) -> GenAIError:
        exc = super().fail(exc)
        if self._call is not None:
            self._call.failed(exc)
        return exc

    def _ended(self, fragments: list[Reply]) -> list[Reply]:
        if self._call is not None:
            self._call.succeeded(self.result())
            self._call.end()
        return fragments
