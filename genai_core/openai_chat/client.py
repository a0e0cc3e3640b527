"""The OpenAI-chat client engine every OpenAI-compatible provider is built on.

:class:`ChatClientBase` holds everything that does no I/O: configuration, the API key, request
building, error mapping and parsing. :class:`ChatClient` and :class:`AsyncChatClient` add an httpx
client and short send methods of identical shape. A provider is a subclass that sets
:attr:`ChatClientBase.config` (URLs, auth scheme, key variable, dialect) and, for extensions,
overrides :meth:`ChatClientBase._extend_body`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType
from typing import Any, ClassVar, Generic, NoReturn, TypeVar

import httpx

from .._version import __version__
from ..errors import (
    APIError,
    MissingAPIKeyError,
    RateLimitError,
    ValidationError,
    redact,
    redact_error,
)
from ..http import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    RetryPolicy,
    asend_with_retries,
    new_request_id,
    parse_retry_after,
    send_with_retries,
    transport_error,
)
from ..options import GenOption, TextOptions, split_options
from ..provider import AsyncStream, Stream, StreamCore
from ..types import Message, Messages, Model, Result
from .errors import api_error, excerpt
from .models import parse_models
from .request import ChatDialect, build_chat_body
from .response import parse_chat_response
from .stream import ChatStreamAssembler
from .think import ThinkTags

__all__ = [
    "USE_CLIENT_DEFAULT",
    "AsyncChatClient",
    "ChatClient",
    "ChatClientBase",
    "ProviderConfig",
    "UseClientDefault",
]


class UseClientDefault:
    """Type of :data:`USE_CLIENT_DEFAULT`: "not passed, use the client's setting".

    Distinct from ``None``, which for ``timeout`` means "no timeout".
    """

    _instance: ClassVar[UseClientDefault | None] = None

    def __new__(cls) -> UseClientDefault:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "USE_CLIENT_DEFAULT"


USE_CLIENT_DEFAULT = UseClientDefault()

TimeoutTypes = float | httpx.Timeout | None


@dataclass(frozen=True)
class ProviderConfig:
    """What makes one OpenAI-compatible provider different from another."""

    name: str
    base_url: str
    dialect: ChatDialect
    env_var: str | None = None
    """Environment variable holding the API key (None: the provider needs no key)."""
    key_url: str | None = None
    """Where a user gets a key; quoted in authentication errors."""
    auth_scheme: str | None = "Bearer"
    """Word before the key in ``Authorization`` (None: no header)."""
    request_id_headers: tuple[str, ...] = ("x-request-id",)
    """Response headers holding the provider's request id, most specific first."""
    option_types: tuple[type[GenOption], ...] = (TextOptions,)
    key_required: bool = True
    extra_headers: Mapping[str, str] = field(default_factory=dict)


_H = TypeVar("_H", httpx.Client, httpx.AsyncClient)


class ChatClientBase(Generic[_H]):
    """Configuration, request building and response handling; no I/O.

    Generic over the httpx client type so that the constructor is written once for both twins.
    A client created without ``http_client`` owns its httpx client (closed by ``close()`` /
    ``aclose()`` or the ``with`` block); an injected one is left open.
    """

    config: ClassVar[ProviderConfig]

    def __init__(
        self,
        model: str | None = None,
        *,
        api_key: str | None = None,
        http_client: _H | None = None,
        base_url: str | None = None,
        auth_scheme: str | UseClientDefault | None = USE_CLIENT_DEFAULT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        default_headers: Mapping[str, str] | None = None,
        retry_policy: RetryPolicy | None = None,
        models: Iterable[Model] | None = None,
    ) -> None:
        if model is not None and not isinstance(model, str):
            raise ValidationError(f"model must be a string, got {type(model).__name__}")
        self._model = model or None
        if api_key is None and self.config.env_var:
            api_key = os.environ.get(self.config.env_var) or None
        self.__api_key = api_key or None
        url = (base_url or self.config.base_url).rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ValidationError(f"base_url must start with http:// or https://, got {url!r}")
        self._base_url = url
        self._auth_scheme = (
            self.config.auth_scheme if isinstance(auth_scheme, UseClientDefault) else auth_scheme
        )
        # RetryPolicy validates max_retries (an integer >= 0). An explicit max_retries wins over
        # the one inside an injected retry_policy.
        if retry_policy is None:
            retry_policy = RetryPolicy(max_retries=max_retries)
        elif max_retries != DEFAULT_MAX_RETRIES:
            retry_policy = dataclasses.replace(retry_policy, max_retries=max_retries)
        self._policy = retry_policy
        self._timeout = timeout
        self._default_headers = dict(default_headers or {})
        self._owns_http = http_client is None
        if http_client is None:
            http_client = self._new_http_client(
                DEFAULT_TIMEOUT if isinstance(timeout, UseClientDefault) else timeout
            )
        self._http: _H = http_client
        # What the model list says, by id: given as models= (a list fetched earlier, so no
        # request is needed) and refreshed by every list_models(). Providers read it for
        # per-model defaults.
        self._known_models: dict[str, Model] = {}
        if models is not None:
            self._remember_models(models)

    def _remember_models(self, models: Iterable[Model]) -> None:
        for m in models:
            if not isinstance(m, Model):
                raise ValidationError(f"models= takes Model objects, got {type(m).__name__}")
            self._known_models[m.id] = m

    @staticmethod
    def _new_http_client(timeout: TimeoutTypes) -> _H:
        raise NotImplementedError

    @property
    def http_client(self) -> _H:
        """The httpx client requests go through (with its transport, proxies, limits)."""
        return self._http

    # -- identity ----------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def model(self) -> str | None:
        return self._model

    @property
    def base_url(self) -> str:
        return self._base_url

    def __repr__(self) -> str:
        key = "set" if self.__api_key else "missing"
        name = type(self).__name__
        return f"{name}(model={self._model!r}, base_url={self._base_url!r}, api_key={key})"

    # -- requests ----------------------------------------------------------------------------

    def _key(self) -> str | None:
        if self.__api_key is None and self.config.key_required:
            raise MissingAPIKeyError(
                self.config.name, self.config.env_var or "api_key=", self.config.key_url
            )
        return self.__api_key

    def _headers(self, accept: str) -> dict[str, str]:
        headers = {
            "Accept": accept,
            "User-Agent": f"genai-baseten/{__version__}",
            "X-Request-Id": new_request_id(),
            **self.config.extra_headers,
            **self._default_headers,
        }
        key = self._key()
        if key is not None and self._auth_scheme:
            headers["Authorization"] = f"{self._auth_scheme} {key}"
        return headers

    def _timeout_for(self, timeout: TimeoutTypes | UseClientDefault) -> Any:
        if isinstance(timeout, UseClientDefault):
            timeout = self._timeout
        return httpx.USE_CLIENT_DEFAULT if isinstance(timeout, UseClientDefault) else timeout

    def _policy_for(self, max_retries: int | UseClientDefault) -> RetryPolicy:
        if isinstance(max_retries, UseClientDefault) or max_retries == self._policy.max_retries:
            return self._policy
        return dataclasses.replace(self._policy, max_retries=max_retries)

    def _chat_body(
        self, messages: Messages, options: Sequence[object], *, stream: bool
    ) -> dict[str, Any]:
        """Validate the call's inputs and build the JSON body; nothing is sent."""
        if isinstance(messages, Message):
            messages = [messages]
        by_class = split_options(options, self.config.option_types, self.config.name)
        if not self._model:
            raise ValidationError(
                f"{self.config.name}: a model is required to generate; pass model="
            )
        text = by_class.get(TextOptions)
        assert text is None or isinstance(text, TextOptions)
        body = build_chat_body(
            self._model, list(messages), text, self.config.dialect, stream=stream
        )
        self._extend_body(body, by_class)
        return body

    def _extend_body(
        self, body: dict[str, Any], options: Mapping[type[GenOption], GenOption]
    ) -> None:
        """Hook for provider extensions: add fields to ``body``, never overwrite set ones."""

    def _think_tags(self, options: Sequence[object]) -> ThinkTags:
        """How to read inline ``<think>`` tags for a call: TextOptions.think_tags, else the
        model's default (:meth:`_default_think_tags`)."""
        for opt in options:
            if isinstance(opt, TextOptions) and opt.think_tags is not None:
                return opt.think_tags
        return self._default_think_tags()

    def _default_think_tags(self) -> ThinkTags:
        """Hook: the mode for this client's model when the call does not say (``auto``)."""
        return "auto"

    def _build(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        accept: str = "application/json",
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
    ) -> httpx.Request:
        headers = self._headers(accept)
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        return self._http.build_request(
            method,
            self._base_url + path,
            headers=headers,
            content=content,
            timeout=self._timeout_for(timeout),
        )

    def _build_chat(
        self,
        messages: Messages,
        options: Sequence[object],
        *,
        stream: bool,
        timeout: TimeoutTypes | UseClientDefault,
    ) -> httpx.Request:
        body = self._chat_body(messages, options, stream=stream)
        accept = "text/event-stream" if stream else "application/json"
        return self._build("POST", "/chat/completions", body=body, accept=accept, timeout=timeout)

    # -- responses ---------------------------------------------------------------------------

    def _request_id(self, response: httpx.Response) -> str | None:
        for name in self.config.request_id_headers:
            value: str | None = response.headers.get(name)
            if value:
                return value
        return None

    def _raise_for_status(self, response: httpx.Response) -> NoReturn:
        """Raise the typed error for an error response whose body has been read."""
        status = response.status_code
        hint = None
        if status in (401, 403) and self.config.key_url:
            where = f"${self.config.env_var} or api_key=" if self.config.env_var else "api_key="
            hint = f"check the key given in {where}; get one at {self.config.key_url}"
        retry_after = None
        if status == 429:
            retry_after = parse_retry_after(response.headers, time.time())
        raise api_error(
            status,
            response.content,
            response.headers,
            provider=self.config.name,
            request_id=self._request_id(response),
            secrets=(self.__api_key,),
            hint=hint,
            retry_after=retry_after,
            reason=response.reason_phrase,
            cls=RateLimitError if status == 429 else None,
        )

    def _json(self, response: httpx.Response) -> Any:
        try:
            return json.loads(response.content)
        except ValueError:
            raise APIError(
                f"expected JSON, got {excerpt(redact(response.text, (self.__api_key,)))!r}",
                status_code=response.status_code,
                headers=response.headers,
                request_id=self._request_id(response),
                provider=self.config.name,
            ) from None

    def _parse_chat(self, response: httpx.Response, think_tags: ThinkTags = "auto") -> Result:
        try:
            return parse_chat_response(
                self._json(response),
                provider=self.config.name,
                request_id=self._request_id(response),
                status_code=response.status_code,
                think_tags=think_tags,
            )
        except APIError as exc:
            raise redact_error(exc, (self.__api_key,)) from None

    def _parse_models(self, response: httpx.Response) -> list[Model]:
        try:
            models = parse_models(self._json(response))
        except ValueError as exc:
            raise APIError(
                f"{exc}: {excerpt(redact(response.text, (self.__api_key,)))!r}",
                status_code=response.status_code,
                provider=self.config.name,
                request_id=self._request_id(response),
            ) from None
        self._remember_models(models)
        return models

    def _stream_core(self, response: httpx.Response, think_tags: ThinkTags = "auto") -> StreamCore:
        assembler = ChatStreamAssembler(
            provider=self.config.name,
            request_id=self._request_id(response),
            think_tags=think_tags,
        )
        return StreamCore(assembler, secrets=(self.__api_key,))


class ChatClient(ChatClientBase[httpx.Client]):
    """Synchronous client. ``http_client`` is the seam for transports, proxies and tests."""

    @staticmethod
    def _new_http_client(timeout: TimeoutTypes) -> httpx.Client:
        return httpx.Client(timeout=timeout)

    def _send(self, request: httpx.Request, max_retries: int | UseClientDefault) -> httpx.Response:
        response = send_with_retries(
            self._http,
            request,
            self._policy_for(max_retries),
            raise_for_status=self._raise_for_status,
        )
        try:
            response.read()
        except httpx.TransportError as exc:
            raise transport_error(exc) from exc
        finally:
            response.close()
        return response

    def gen_sync(
        self,
        messages: Messages,
        *options: object,
        max_retries: int | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
    ) -> Result:
        """Generate the whole answer in one request."""
        request = self._build_chat(messages, options, stream=False, timeout=timeout)
        return self._parse_chat(self._send(request, max_retries), self._think_tags(options))

    def gen_stream(
        self,
        messages: Messages,
        *options: object,
        max_retries: int | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
    ) -> Stream:
        """A :class:`Stream` of the answer. Inputs are checked now; the request is sent lazily."""
        request = self._build_chat(messages, options, stream=True, timeout=timeout)
        policy = self._policy_for(max_retries)

        def open_response() -> httpx.Response:
            return send_with_retries(
                self._http, request, policy, raise_for_status=self._raise_for_status
            )

        return Stream(
            open_response, partial(self._stream_core, think_tags=self._think_tags(options))
        )

    def list_models(self) -> list[Model]:
        """The models the provider serves, in its order."""
        request = self._build("GET", "/models")
        return self._parse_models(self._send(request, USE_CLIENT_DEFAULT))

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncChatClient(ChatClientBase[httpx.AsyncClient]):
    """Asynchronous twin of :class:`ChatClient` (asyncio or trio, through anyio)."""

    @staticmethod
    def _new_http_client(timeout: TimeoutTypes) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=timeout)

    async def _send(
        self, request: httpx.Request, max_retries: int | UseClientDefault
    ) -> httpx.Response:
        response = await asend_with_retries(
            self._http,
            request,
            self._policy_for(max_retries),
            raise_for_status=self._raise_for_status,
        )
        try:
            await response.aread()
        except httpx.TransportError as exc:
            raise transport_error(exc) from exc
        finally:
            await response.aclose()
        return response

    async def gen_sync(
        self,
        messages: Messages,
        *options: object,
        max_retries: int | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
    ) -> Result:
        """Generate the whole answer in one request."""
        request = self._build_chat(messages, options, stream=False, timeout=timeout)
        return self._parse_chat(await self._send(request, max_retries), self._think_tags(options))

    def gen_stream(
        self,
        messages: Messages,
        *options: object,
        max_retries: int | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
    ) -> AsyncStream:
        """An :class:`AsyncStream` of the answer. Inputs are checked now; sent lazily."""
        request = self._build_chat(messages, options, stream=True, timeout=timeout)
        policy = self._policy_for(max_retries)

        async def open_response() -> httpx.Response:
            return await asend_with_retries(
                self._http, request, policy, raise_for_status=self._raise_for_status
            )

        return AsyncStream(
            open_response, partial(self._stream_core, think_tags=self._think_tags(options))
        )

    async def list_models(self) -> list[Model]:
        """The models the provider serves, in its order."""
        request = self._build("GET", "/models")
        return self._parse_models(await self._send(request, USE_CLIENT_DEFAULT))

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncChatClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
