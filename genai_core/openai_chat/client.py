"""The OpenAI-chat client engine every OpenAI-compatible provider is built on.

:class:`ChatClientBase` holds everything that does no I/O: configuration, the API key, request
building, error mapping and parsing. :class:`ChatClient` and :class:`AsyncChatClient` add an httpx
client and short send methods of identical shape. A provider is a subclass that sets
:attr:`ChatClientBase.config` (URLs, auth scheme, key variable, dialect) and, for extensions,
overrides :meth:`ChatClientBase._extend_body`. The generic provider
(:mod:`genai_core.openai_chat.provider`) is the engine with an empty configuration; Baseten's
client is that provider with Baseten's configuration and extensions.

Per request, in order: the neutral inputs become the body (``build_chat_body``), the fields of
:class:`~genai_core.openai_chat.options.Options` are added, then the provider's extensions, then
``extra_body`` (which never overwrites). Per response: rate-limit headers become
``Usage.limits``; the decoded body (or, on request, the stream's chunks) is ``Result.raw``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NamedTuple, NoReturn, TypeVar, cast

import httpx

from .. import tracing
from .._log import register_secrets
from .._validate import (
    DEFAULT_MAX_REQUEST_BYTES,
    check_max_request_bytes,
    check_messages,
    check_model,
    check_request_size,
    check_timeout,
    non_json_path,
)
from .._version import __version__
from ..capabilities import CapabilityStatus, CapabilityTable, TableSource, TierChoice, tier_of
from ..errors import (
    APIError,
    GenAIError,
    MissingAPIKeyError,
    NotSupportedError,
    RateLimitError,
    RedirectError,
    StreamError,
    ValidationError,
    redact,
    redact_error,
)
from ..http import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    HTTPX_ERRORS,
    Deadline,
    Interrupter,
    RetryPolicy,
    aread_body,
    asend_with_retries,
    body_error,
    build_request,
    check_api_key,
    deadline_seconds,
    new_request_id,
    parse_retry_after,
    read_body,
    send_with_retries,
    within,
)
from ..options import GenOption, TextOptions, split_options
from ..provider import AsyncStream, Stream
from ..types import Embeddings, Message, Messages, Model, RateLimit, Reply, Result
from .errors import api_error, excerpt, looks_like_html, note_inputs, noted_inputs
from .models import parse_models
from .options import Options, apply_chat_options, merge_extra_body
from .ratelimits import parse_rate_limits
from .request import ChatDialect, build_chat_body
from .response import parse_chat_response
from .stream import ChatStreamAssembler
from .stream_core import ChatStreamCore
from .think import ThinkTags

if TYPE_CHECKING:
    from .._otel import CallSpan, StreamCall
    from .embeddings import EncodingFormat

__all__ = [
    "USE_CLIENT_DEFAULT",
    "AsyncChatClient",
    "ChatClient",
    "ChatClientBase",
    "ProviderConfig",
    "UseClientDefault",
    "merge_headers",
    "normalize_base_url",
    "public_url",
]


class _ReadPlan(NamedTuple):
    """How to read the answer of one chat call, decided when the request is built."""

    keep_raw: bool
    """Keep the JSON text of every stream chunk (``Options.raw_chunks``)."""
    think_tags: ThinkTags
    """How to read inline ``<think>`` tags."""


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
ProxyTypes = str | httpx.URL | httpx.Proxy | None

_SCHEMES = ("http", "https")
_USERINFO = re.compile(r"(://)[^/@]*@")


def public_url(url: str) -> str:
    """``url`` safe to show: a user and password in it (``https://user:pw@host``) are masked."""
    return _USERINFO.sub(r"\1***@", url)


def normalize_base_url(url: str, provider: str) -> str:
    """The API root for ``url``: no trailing ``/``, no trailing ``/chat/completions``.

    Raises ValidationError, quoting the URL, when it is not an absolute http(s) URL with a host:
    ``localhost:8000/v1`` must be written ``http://localhost:8000/v1``.
    """
    if not isinstance(url, str):
        raise ValidationError(f"{provider}: base_url must be a string, got {type(url).__name__}")
    stripped = url.strip()
    if not stripped:
        raise ValidationError(
            f"{provider}: base_url is empty: give the API root of the server, such as "
            "'http://localhost:8000/v1'"
        )
    text = stripped.rstrip("/").removesuffix("/chat/completions").rstrip("/")
    shown = excerpt(public_url(url), 120)
    if "://" not in stripped:
        raise ValidationError(
            f"{provider}: base_url {shown!r} has no scheme; write it in full, such as "
            f"'http://{excerpt(public_url(text), 100)}'"
        )
    if "://" not in text:  # only slashes after the scheme: "https://"
        text = stripped
    try:
        parsed = httpx.URL(text)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise ValidationError(f"{provider}: base_url {shown!r} is not a valid URL: {exc}") from None
    if parsed.scheme not in _SCHEMES or not parsed.host:
        raise ValidationError(
            f"{provider}: base_url {shown!r} must be an http:// or https:// URL with a host"
        )
    if parsed.query or parsed.fragment:
        raise ValidationError(
            f"{provider}: base_url {shown!r} must not have a query or fragment; "
            "send extra parameters as headers or extra_body"
        )
    return text


def _fold_headers(
    base: Mapping[str, str | None], extra: Mapping[str, str | None]
) -> dict[str, str | None]:
    """``base`` updated by ``extra``, names compared case-insensitively, None values kept."""
    out = dict(base)
    names = {name.lower(): name for name in out}
    for name, value in extra.items():
        old = names.pop(name.lower(), None)
        if old is not None:
            del out[old]
        out[name] = value
        names[name.lower()] = name
    return out


def merge_headers(
    base: Mapping[str, str], extra: Mapping[str, str | None] | None
) -> dict[str, str]:
    """``base`` with ``extra`` applied, names compared case-insensitively.

    A value in ``extra`` replaces the header of the same name; ``None`` removes it.
    """
    folded = _fold_headers(base, extra or {})
    return {name: value for name, value in folded.items() if value is not None}


@dataclass(frozen=True)
class ProviderConfig:
    """What makes one OpenAI-compatible provider different from another."""

    name: str
    base_url: str
    """The default API root; empty when every client must be given one."""
    dialect: ChatDialect
    env_var: str | None = None
    """Environment variable holding the API key (None: the provider needs no key)."""
    key_url: str | None = None
    """Where a user gets a key; quoted in authentication errors."""
    auth_scheme: str | None = "Bearer"
    """Word before the key in ``Authorization`` (None: no header)."""
    request_id_headers: tuple[str, ...] = ("x-request-id",)
    """Response headers holding the provider's request id, most specific first."""
    option_types: tuple[type[GenOption], ...] = (TextOptions, Options)
    """The option classes a call takes; subclasses of :class:`Options` are matched exactly (a
    subclass is another provider's, whose fields this one would drop)."""
    key_required: bool = True
    extra_headers: Mapping[str, str] = field(default_factory=dict)
    capabilities: TableSource | None = None
    """Returns the provider's capability table (called when first needed, so that building a
    client loads no table); None: the provider has none, and the tier names (``"sota"``,
    ``"good"``, ``"cheap"``) are ordinary model ids."""


_H = TypeVar("_H", httpx.Client, httpx.AsyncClient)
# `with Subclass(...) as c` gives a Subclass, not the base class.
_Sync = TypeVar("_Sync", bound="ChatClient")
_Async = TypeVar("_Async", bound="AsyncChatClient")


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
        api_key_env: str | UseClientDefault | None = USE_CLIENT_DEFAULT,
        base_url: str | None = None,
        http_client: _H | None = None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        proxy: ProxyTypes = None,
        auth_scheme: str | UseClientDefault | None = USE_CLIENT_DEFAULT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        default_headers: Mapping[str, str | None] | None = None,
        user_agent: str | None = None,
        retry_policy: RetryPolicy | None = None,
        model_info: Model | None = None,
        models: Iterable[Model | str] | None = None,
        deadline: float | None = None,
        max_request_bytes: int | None = DEFAULT_MAX_REQUEST_BYTES,
    ) -> None:
        name = self.config.name
        check_model(model)
        if not isinstance(timeout, UseClientDefault):
            check_timeout(timeout)
        check_max_request_bytes(max_request_bytes)
        self._max_request_bytes = max_request_bytes
        self._model = model or None
        # model="sota" | "good" | "cheap" (any case) on a provider with a scoreboard names a tier:
        # the model is picked from the provider's model list when first needed (resolve_model).
        tier = tier_of(model) if self.config.capabilities is not None else None
        self._choice = TierChoice(tier) if tier is not None else None
        if self._choice is not None:
            self._model = None
            if model_info is not None:
                raise ValidationError(
                    f"{name}: model_info= describes one model, but model={model!r} is a tier "
                    "picked at run time; pass the model id with model_info=, or drop model_info="
                )
        model_info = _check_model_info(model_info, self._model)
        self._model_info_given = model_info is not None
        if self._model is None and model_info is not None:
            self._model = model_info.id
        env_var = self.config.env_var if isinstance(api_key_env, UseClientDefault) else api_key_env
        self._env_var = env_var
        # Naming a variable says a key is expected: its absence is an error, not "no auth".
        self._key_required = self.config.key_required or (
            not isinstance(api_key_env, UseClientDefault) and bool(api_key_env)
        )
        if api_key is not None and not isinstance(api_key, str):
            raise ValidationError(f"{name}: api_key must be a string, got {type(api_key).__name__}")
        if api_key is None and env_var:
            api_key = os.environ.get(env_var) or None
        self.__api_key = api_key or None
        check_api_key(self.__api_key, name)
        url = base_url if base_url is not None else self.config.base_url
        if not url:
            raise ValidationError(
                f"{name}: base_url is required: the API root of the server, such as "
                "'http://localhost:8000/v1'"
            )
        self._base_url = normalize_base_url(url, name)
        # httpx's and httpcore's debug records can echo what a server sent back, and httpx logs
        # each request's URL, with a password in it (sent as Basic auth): keep both out, until
        # close().
        self._unregister_secrets = register_secrets(
            self, (self.__api_key, httpx.URL(self._base_url).password or None)
        )
        self._auth_scheme = (
            self.config.auth_scheme if isinstance(auth_scheme, UseClientDefault) else auth_scheme
        )
        if self.__api_key and self._auth_scheme and httpx.URL(self._base_url).userinfo:
            # httpx turns a user and password in the URL into Basic auth, which would silently
            # replace the key's Authorization header.
            raise ValidationError(
                f"{name}: base_url {public_url(self._base_url)!r} holds a user and password, "
                "sent as Basic auth in the Authorization header the API key also needs; "
                "give one of them (or auth_scheme=None to send only the URL's)"
            )
        # RetryPolicy validates max_retries (an integer >= 0). An explicit max_retries wins over
        # the one inside an injected retry_policy.
        if retry_policy is None:
            retry_policy = RetryPolicy(max_retries=max_retries)
        elif max_retries != DEFAULT_MAX_RETRIES:
            retry_policy = dataclasses.replace(retry_policy, max_retries=max_retries)
        self._policy = retry_policy
        self._timeout = timeout
        # A total limit in seconds per call (retries and the whole body included), on top of
        # httpx's per-phase timeouts; None for none.
        self._deadline = deadline_seconds(deadline)
        if user_agent is not None and (not isinstance(user_agent, str) or not user_agent):
            raise ValidationError(f"user_agent must be a non-empty string, got {user_agent!r}")
        # Kept with their None values: None removes a header the library would send.
        overrides: dict[str, str | None] = {"User-Agent": f"genai-baseten/{__version__}"}
        _check_headers(default_headers)
        for extra in (self.config.extra_headers, default_headers or {}):
            overrides = _fold_headers(overrides, extra)
        if user_agent is not None:
            overrides = _fold_headers(overrides, {"User-Agent": user_agent})
        self._default_headers = overrides
        self._owns_http = http_client is None
        if http_client is None:
            try:
                http_client = self._new_http_client(
                    DEFAULT_TIMEOUT if isinstance(timeout, UseClientDefault) else timeout,
                    transport,
                    proxy,
                )
            except (httpx.InvalidURL, TypeError, ValueError) as exc:
                # httpx's own check of proxy= or timeout=; ValidationError is a ValueError.
                if isinstance(exc, ValidationError):
                    raise
                raise ValidationError(
                    f"{name}: {public_url(str(exc))} (check proxy= and timeout=)"
                ) from None
        elif transport is not None or proxy is not None:
            raise ValidationError(
                f"{name}: give transport= and proxy= to the http_client you pass, not beside it"
            )
        self._http: _H = http_client
        # What the model list says, by id: given as models= (a list fetched earlier, so no
        # request is needed) and refreshed by every list_models(). Providers read it for
        # per-model defaults. The client's own entry is :attr:`model_info`.
        self._known_models: dict[str, Model] = {}
        if model_info is not None:
            self._known_models[model_info.id] = model_info
        if models is not None:
            self._remember_models(models)
            if self._choice is not None:
                self._resolve_tier()  # a list is at hand: no request needed

    def _remember_models(self, given: Iterable[Model | str]) -> None:
        """Learn from a model list; this client's own entry becomes :attr:`model_info` unless
        ``model_info=`` was given (which always wins). A bare id stands for a model known by its
        id alone (enough to pick a tier, nothing to learn defaults from)."""
        models: list[Model] = []
        for item in given:
            m = Model(id=item.strip()) if isinstance(item, str) and item.strip() else item
            if not isinstance(m, Model):
                raise ValidationError(
                    f"models= takes Model objects or model ids, got {type(m).__name__}"
                )
            models.append(m)
        for m in models:
            if self._model_info_given and m.id == self._model:
                continue
            self._known_models[m.id] = m
        if self._choice is not None:
            self._choice.remember([m.id for m in models])

    @staticmethod
    def _new_http_client(timeout: TimeoutTypes, transport: Any, proxy: ProxyTypes) -> _H:
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
        """The model id; with a tier (``model="cheap"``), None until :meth:`resolve_model` (or the
        first request, or ``models=``) has picked it."""
        return self._model

    @property
    def tier(self) -> str | None:
        """The tier the client was asked for (``"sota"``, ``"good"``, ``"cheap"``), or None."""
        return self._choice.tier if self._choice is not None else None

    # -- capability table --------------------------------------------------------------------

    def scoreboard(self) -> CapabilityTable:
        """This provider's capability table (what each model does, sync and stream, and how that
        is known). A provider without one raises NotSupportedError."""
        source = self.config.capabilities
        if source is None:
            # Only the names of the published tables (entry points), nothing of them is loaded.
            from importlib.metadata import entry_points

            names = sorted({ep.name for ep in entry_points(group="genai.scoreboards")})
            raise NotSupportedError(
                f"{self.config.name} has no capability scoreboard: what a server behind it does "
                "depends on that server; providers with one: " + (", ".join(names) or "none"),
                ["scoreboard"],
            )
        return source()

    def supports(self, feature: str, mode: str = "sync") -> CapabilityStatus:
        """How well the client's model does ``feature`` in ``mode`` (``"sync"`` for gen_sync,
        ``"stream"`` for gen_stream), per the provider's scoreboard.

        The status is true only for ``yes``; ``flaky``, ``no`` and ``unknown`` are false. An
        unknown feature or mode, or a model the table does not list, raises the table's
        ``UnknownEntryError`` listing what exists.

        With a tier (``model="sota"``), the model must be resolved first (:meth:`resolve_model`
        or a request). A tier that picked a release newer than the table knows (the family's
        next version) is answered from the tier's entry, the release it supersedes: that is the
        bet the tier makes.
        """
        table = self.scoreboard()
        if self._model is None:
            if self._choice is not None:
                raise ValidationError(
                    f"{self.config.name}: the {self._choice.tier!r} tier is not resolved to a "
                    "model yet; call resolve_model() first (it lists the provider's models once)"
                )
            raise ValidationError(f"{self.config.name}: the client has no model; pass model=")
        tier = self._choice.tier if self._choice is not None else None
        return table.status(self._model, feature, mode, tier=tier)

    @property
    def _tier_pending(self) -> bool:
        return self._choice is not None and self._choice.pending

    def _resolve_tier(self) -> str | None:
        """Pick the tier's model from the latest model list (the caller made sure there is one)."""
        if self._choice is not None and self._choice.pending:
            self._model = self._choice.pick(self.scoreboard())
        return self._model

    def _tier_stand_in(self) -> str:
        """The model the table names for the pending tier: inputs are checked against it before
        the list is fetched, so that bad input fails before any request."""
        assert self._choice is not None
        return self.scoreboard().tier_model(self._choice.tier)

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def model_info(self) -> Model | None:
        """What the client knows of its model: ``model_info=`` when given (it always wins), else
        the model's entry in the latest model list (``models=``, then each ``list_models()``).
        Its input modalities decide which documents are sent.
        """
        return self._known_models.get(self._model) if self._model else None

    def __repr__(self) -> str:
        key = "set" if self.__api_key else "missing"
        name = type(self).__name__
        url = public_url(self._base_url)
        tier = f", tier={self._choice.tier!r}" if self._choice is not None else ""
        return f"{name}(model={self._model!r}{tier}, base_url={url!r}, api_key={key})"

    # -- per call: prices and tracing --------------------------------------------------------

    def _pricing(self) -> dict[str, Decimal] | None:
        """The prices of the client's model, when its model list entry (or ``model_info=``)
        gave any; they go on every Result so that ``result.cost`` needs no argument."""
        info = self._known_models.get(self._model) if self._model else None
        return info.pricing if info is not None and info.pricing else None

    def _priced(self, result: Result) -> Result:
        return _with_pricing(result, self._pricing())

    def _span(
        self, operation: str, request: httpx.Request
    ) -> AbstractContextManager[CallSpan | None]:
        """The tracing span of one call, or a no-op when tracing is off."""
        inst = tracing.active()
        if inst is None:
            return _NO_SPAN
        return inst.call(self.config.name, operation, request)

    def _stream_call(self) -> StreamCall | None:
        inst = tracing.active()
        return None if inst is None else inst.stream_call(self.config.name)

    # -- requests ----------------------------------------------------------------------------

    def _key(self) -> str | None:
        if self.__api_key is None and self._key_required:
            raise MissingAPIKeyError(
                self.config.name, self._env_var or "api_key=", self.config.key_url
            )
        return self.__api_key

    def _headers(self, accept: str) -> dict[str, str]:
        # The defaults merged at construction go over Accept and X-Request-Id too, so a caller
        # can replace them or (with None) drop them; the key is added last.
        headers = merge_headers(
            {"Accept": accept, "X-Request-Id": new_request_id()}, self._default_headers
        )
        key = self._key()
        if key is not None and self._auth_scheme:
            headers["Authorization"] = f"{self._auth_scheme} {key}"
        return headers

    def _timeout_for(self, timeout: TimeoutTypes | UseClientDefault) -> Any:
        if not isinstance(timeout, UseClientDefault):
            check_timeout(timeout)
        if isinstance(timeout, UseClientDefault):
            timeout = self._timeout
        return httpx.USE_CLIENT_DEFAULT if isinstance(timeout, UseClientDefault) else timeout

    def _deadline_for(self, deadline: float | UseClientDefault | None) -> float | None:
        return (
            self._deadline if isinstance(deadline, UseClientDefault) else deadline_seconds(deadline)
        )

    def _start_deadline(self, deadline: float | UseClientDefault | None) -> Deadline | None:
        seconds = self._deadline_for(deadline)
        return None if seconds is None else Deadline(seconds)

    def _secrets(self) -> tuple[str | None, ...]:
        return (self.__api_key,)

    def _body_error(
        self, exc: Exception, response: httpx.Response, deadline: Deadline | None
    ) -> APIError:
        """The error for a failure while the body of a success answer was read (not retried:
        the server did answer)."""
        kw: dict[str, Any] = {
            "status_code": response.status_code,
            "provider": self.config.name,
            "request_id": self._request_id(response),
        }
        if deadline is not None and deadline.remaining() <= 0:
            err = deadline.error(after_200=True, **kw)
        else:
            err = body_error(exc, **kw)
        assert isinstance(err, APIError)
        return cast(APIError, redact_error(err, (self.__api_key,)))

    def _policy_for(self, max_retries: int | UseClientDefault) -> RetryPolicy:
        if isinstance(max_retries, UseClientDefault) or max_retries == self._policy.max_retries:
            return self._policy
        return dataclasses.replace(self._policy, max_retries=max_retries)

    def _chat_body(
        self, messages: Messages, options: Sequence[object], *, stream: bool
    ) -> dict[str, Any]:
        """Validate the call's inputs and build the JSON body; nothing is sent."""
        return self._chat_inputs(messages, options, stream=stream)[0]

    def _chat_inputs(
        self, messages: Messages, options: Sequence[object], *, stream: bool
    ) -> tuple[dict[str, Any], _ReadPlan]:
        """The JSON body, and how to read its answer; raises on bad input."""
        check_messages(messages)
        if isinstance(messages, Message):
            messages = [messages]
        by_class = split_options(options, self.config.option_types, self.config.name)
        chat_opts = self._chat_options(by_class)
        model = self._model or (self._tier_stand_in() if self._choice is not None else None)
        if not model:
            raise ValidationError(
                f"{self.config.name}: a model is required to generate; pass model="
            )
        text = by_class.get(TextOptions)
        assert text is None or isinstance(text, TextOptions)
        info = self._known_models.get(model)
        body = build_chat_body(
            model,
            list(messages),
            text,
            self.config.dialect,
            stream=stream,
            input_modalities=info.input_modalities if info is not None else None,
        )
        if chat_opts is not None:
            apply_chat_options(body, chat_opts)
        self._extend_body(body, by_class)
        if chat_opts is not None and chat_opts.extra_body:
            merge_extra_body(body, chat_opts.extra_body)
        plan = _ReadPlan(
            keep_raw=chat_opts is not None and chat_opts.raw_chunks,
            think_tags=(text.think_tags if text is not None else None) or "auto",
        )
        return body, plan

    def _chat_options(self, by_class: Mapping[type[GenOption], GenOption]) -> Options | None:
        """The one :class:`Options` of a call; another provider's subclass is refused."""
        found: list[Options] = []
        for opt in by_class.values():
            if not isinstance(opt, Options):
                continue
            cls = type(opt)
            if cls not in self.config.option_types:
                # A subclass adds fields this provider would silently drop.
                raise NotSupportedError(
                    f"{self.config.name} does not take {cls.__module__}.{cls.__qualname__}, "
                    "another provider's options",
                    [cls.__name__],
                )
            found.append(opt)
        if len(found) > 1:
            names = " and ".join(type(o).__name__ for o in found)
            raise ValidationError(
                f"{names} given together; use one ({type(found[-1]).__name__} has every field)"
            )
        return found[0] if found else None

    def _extend_body(
        self, body: dict[str, Any], options: Mapping[type[GenOption], GenOption]
    ) -> None:
        """Hook for provider extensions: add fields to ``body``, never overwrite set ones."""

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
            try:
                text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise ValidationError(_not_json_message(self.config.name, body, exc)) from None
            content = text.encode()
            check_request_size(len(content), self._max_request_bytes, self.config.name)
        return build_request(
            self._http,
            self._secrets(),
            method=method,
            url=self._base_url + path,
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
    ) -> tuple[httpx.Request, _ReadPlan]:
        """The request, and how to read its answer."""
        body, plan = self._chat_inputs(messages, options, stream=stream)
        accept = "text/event-stream" if stream else "application/json"
        request = self._build(
            "POST", "/chat/completions", body=body, accept=accept, timeout=timeout
        )
        note_inputs(request, self._model, [messages] if isinstance(messages, Message) else messages)
        return request, plan

    def _build_embed(
        self,
        input: str | Sequence[str],
        *,
        model: str | None,
        encoding_format: EncodingFormat,
        dimensions: int | None,
        user: str | None,
        extra_body: Mapping[str, Any] | None,
        timeout: TimeoutTypes | UseClientDefault,
    ) -> tuple[httpx.Request, int]:
        """The embeddings request, and how many vectors must come back."""
        from .embeddings import build_embeddings_body  # only clients that embed pay for it

        if isinstance(model, str) and model:  # other values: build_embeddings_body says why
            check_model(model)
        model = model or self._model
        if not model:
            raise ValidationError(f"{self.config.name}: embed needs a model; pass model=")
        body = build_embeddings_body(
            model,
            input,
            encoding_format=encoding_format,
            dimensions=dimensions,
            user=user,
            extra_body=extra_body,
        )
        count = 1 if isinstance(input, str) else len(input)
        return self._build("POST", "/embeddings", body=body, timeout=timeout), count

    # -- responses ---------------------------------------------------------------------------

    def _request_id(self, response: httpx.Response) -> str | None:
        for name in self.config.request_id_headers:
            value: str | None = response.headers.get(name)
            if value:
                # It lands in Results and errors: a server echoing the key there must not.
                return redact(value, (self.__api_key,))
        return None

    def _raise_for_status(self, response: httpx.Response) -> NoReturn:
        """Raise the typed error for an error response whose body has been read."""
        status = response.status_code
        if 300 <= status < 400:
            raise self._redirect_error(response)
        hint = None
        if status in (401, 403) and self.config.key_url:
            where = f"${self._env_var} or api_key=" if self._env_var else "api_key="
            hint = f"check the key given in {where}; get one at {self.config.key_url}"
        elif status == 404:
            # A base URL missing its "/v1" and a misspelt model both end here.
            sent = response.request
            hint = (
                f"{sent.method} {public_url(str(sent.url))}: check that base_url is the API "
                "root and the model name is one the server lists"
            )
        retry_after = None
        limits: list[RateLimit] = []
        if status == 429:
            retry_after = parse_retry_after(response.headers, time.time())
            limits = self._limits(response)
        model, inputs = noted_inputs(response)
        raise api_error(
            status,
            response.content,
            response.headers,
            provider=self.config.name,
            request_id=self._request_id(response),
            secrets=(self.__api_key,),
            hint=hint,
            retry_after=retry_after,
            limits=limits,
            reason=response.reason_phrase,
            cls=RateLimitError if status == 429 else None,
            inputs=inputs,
            model=model,
        )

    def _redirect_error(self, response: httpx.Response) -> RedirectError:
        location = response.headers.get("location")
        secrets = (self.__api_key,)
        shown = public_url(redact(location, secrets)) if location else None
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
            body=excerpt(redact(response.text, secrets), 2000),
            headers={k: redact(v, secrets) for k, v in response.headers.items()},
            request_id=self._request_id(response),
            provider=self.config.name,
            hint=hint,
        )

    def _json(self, response: httpx.Response) -> Any:
        """The decoded body of a success answer; StreamError quoting it when it is not JSON."""
        try:
            return json.loads(response.content)
        except ValueError:
            text = redact(response.text, (self.__api_key,))
            kind = "an HTML page" if looks_like_html(text) else "a body that is not JSON"
            shown = excerpt(text) if text.strip() else "(empty)"
            raise StreamError(
                f"expected JSON, got {kind}: {shown!r}",
                status_code=response.status_code,
                body=excerpt(text, 2000),
                headers=response.headers,
                request_id=self._request_id(response),
                provider=self.config.name,
                hint=f"is {public_url(self._base_url)} the API root of an OpenAI-compatible API?",
            ) from None

    def _limits(self, response: httpx.Response) -> list[RateLimit]:
        return parse_rate_limits(response.headers, self._policy.clock())

    def _parse_chat(self, response: httpx.Response, plan: _ReadPlan) -> Result:
        try:
            return parse_chat_response(
                self._json(response),
                provider=self.config.name,
                request_id=self._request_id(response),
                status_code=response.status_code,
                limits=self._limits(response),
                think_tags=plan.think_tags,
            )
        except APIError as exc:
            raise redact_error(exc, (self.__api_key,)) from None

    def _parse_embeddings(self, response: httpx.Response, count: int) -> Embeddings:
        from .embeddings import parse_embeddings_response

        try:
            return parse_embeddings_response(
                self._json(response),
                count=count,
                provider=self.config.name,
                request_id=self._request_id(response),
                limits=self._limits(response),
            )
        except APIError as exc:
            raise redact_error(exc, (self.__api_key,)) from None

    def _parse_models(self, response: httpx.Response) -> list[Model]:
        try:
            models = parse_models(self._json(response))
        except ValueError as exc:
            # A 200 whose body breaks the protocol, like a malformed chat answer.
            raise StreamError(
                f"{exc}: {excerpt(redact(response.text, (self.__api_key,)))!r}",
                status_code=response.status_code,
                provider=self.config.name,
                request_id=self._request_id(response),
            ) from None
        self._remember_models(models)
        return models

    def _stream_core(
        self, response: httpx.Response, plan: _ReadPlan, call: StreamCall | None = None
    ) -> ChatStreamCore:
        assembler = ChatStreamAssembler(
            provider=self.config.name,
            request_id=self._request_id(response),
            limits=self._limits(response),
            keep_raw=plan.keep_raw,
            think_tags=plan.think_tags,
        )
        return _CallStreamCore(assembler, (self.__api_key,), self._pricing(), call)


_NO_SPAN: AbstractContextManager[None] = nullcontext()


def _with_pricing(result: Result, pricing: dict[str, Decimal] | None) -> Result:
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
        return _with_pricing(super().result(), self._pricing)

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


def _not_json_message(provider: str, body: Mapping[str, Any], exc: Exception) -> str:
    """Why the body is not JSON, naming the value at fault and the argument it came from."""
    found = non_json_path(body)
    if found is None:
        return f"{provider}: the request body cannot be sent as JSON ({exc})"
    path, kind = found
    top = path.split(".", 1)[0].split("[", 1)[0]
    source = {
        "tools": "a tool's parameters schema (ToolDef.parameters)",
        "messages": "the messages",
        "response_format": "the response format (the schema given)",
    }.get(top, "extra_body or the options")
    return (
        f"{provider}: the request body cannot be sent as JSON: {path} is a {kind}, which JSON "
        f"cannot hold (it comes from {source}); use lists, dicts, strings, numbers, bools or None"
    )


def _check_headers(headers: Mapping[str, str | None] | None) -> None:
    """Refuse, when the client is made, a header httpx would refuse at the first request."""
    if headers is None:
        return
    if not isinstance(headers, Mapping):
        raise ValidationError(
            f"default_headers must be a mapping of names to values, got {type(headers).__name__}"
        )
    for name, value in headers.items():
        if not isinstance(name, str) or not name:
            raise ValidationError(f"default_headers: a header name must be a string, got {name!r}")
        if value is not None and not isinstance(value, str):
            raise ValidationError(
                f"default_headers[{name!r}] must be a string (or None to drop the header), "
                f"got {type(value).__name__}"
            )


def _check_model_info(info: Model | None, model: str | None) -> Model | None:
    if info is None:
        return None
    if not isinstance(info, Model):
        raise ValidationError(f"model_info must be a Model, got {type(info).__name__}")
    if model is not None and info.id != model:
        raise ValidationError(f"model_info describes {info.id!r}, but the model is {model!r}")
    return info


class ChatClient(ChatClientBase[httpx.Client]):
    """Synchronous client. ``http_client`` is the seam for transports, proxies and tests."""

    @staticmethod
    def _new_http_client(timeout: TimeoutTypes, transport: Any, proxy: ProxyTypes) -> httpx.Client:
        if transport is not None and not isinstance(transport, httpx.BaseTransport):
            raise ValidationError(
                f"transport must be an httpx.BaseTransport, got {type(transport).__name__}"
            )
        return httpx.Client(timeout=timeout, transport=transport, proxy=proxy)

    def _open(
        self, request: httpx.Request, policy: RetryPolicy, deadline: Deadline | None
    ) -> httpx.Response:
        return send_with_retries(
            self._http,
            request,
            policy,
            raise_for_status=self._raise_for_status,
            deadline=deadline,
            secrets=self._secrets(),
        )

    def _send(
        self,
        request: httpx.Request,
        max_retries: int | UseClientDefault,
        deadline: float | UseClientDefault | None = USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        limit = self._start_deadline(deadline)
        response = self._open(request, self._policy_for(max_retries), limit)
        interrupter = Interrupter()
        interrupter.watch(response, limit)
        try:
            return read_body(response)
        except HTTPX_ERRORS as exc:
            raise self._body_error(exc, response, limit) from exc
        finally:
            interrupter.done()

    def gen_sync(
        self,
        messages: Messages,
        *options: object,
        max_retries: int | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        deadline: float | UseClientDefault | None = USE_CLIENT_DEFAULT,
    ) -> Result:
        """Generate the whole answer in one request (``deadline``: total seconds, retries
        included; defaults to the client's)."""
        request, plan = self._build_chat(messages, options, stream=False, timeout=timeout)
        if self._tier_pending:
            self.resolve_model()
            request, plan = self._build_chat(messages, options, stream=False, timeout=timeout)
        with self._span("chat", request) as span:
            result = self._priced(
                self._parse_chat(self._send(request, max_retries, deadline), plan)
            )
            if span is not None:
                span.succeeded(result)
        return result

    def gen_stream(
        self,
        messages: Messages,
        *options: object,
        max_retries: int | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        deadline: float | UseClientDefault | None = USE_CLIENT_DEFAULT,
    ) -> Stream:
        """A :class:`Stream` of the answer. Inputs are checked now; the request is sent lazily."""
        # Inputs are checked now (a pending tier against the model its table entry names); the
        # tier is resolved when the stream opens, and the request is built again for the model
        # picked, together with how to read its answer.
        built = [self._build_chat(messages, options, stream=True, timeout=timeout)]
        policy = self._policy_for(max_retries)
        call = self._stream_call()

        seconds = self._deadline_for(deadline)

        def open_response(limit: Deadline | None) -> httpx.Response:
            if self._tier_pending:
                self.resolve_model()
                built[0] = self._build_chat(messages, options, stream=True, timeout=timeout)

            def send(request: httpx.Request) -> httpx.Response:
                return self._open(request, policy, limit)

            return (send if call is None else call.wrap_send(send))(built[0][0])

        return Stream(
            open_response,
            lambda response: self._stream_core(response, built[0][1], call),
            deadline=seconds,
        )

    def list_models(self) -> list[Model]:
        """The models the provider serves, in its order."""
        request = self._build("GET", "/models")
        with self._span("list_models", request) as span:
            models = self._parse_models(self._send(request, USE_CLIENT_DEFAULT))
            if span is not None:
                span.succeeded(models)
        return models

    def resolve_model(self) -> str | None:
        """The client's model id. With a tier (``model="cheap"``), pick it now: from the model
        list already known (``models=``, an earlier ``list_models()``) or else from one
        ``list_models()`` request; later calls return the same id without a request."""
        choice = self._choice
        if choice is not None and choice.needs_list:
            with choice.lock:
                if choice.needs_list:
                    self.list_models()
        return self._resolve_tier()

    def embed(
        self,
        input: str | Sequence[str],
        *,
        model: str | None = None,
        encoding_format: EncodingFormat = "float",
        dimensions: int | None = None,
        user: str | None = None,
        extra_body: Mapping[str, Any] | None = None,
        max_retries: int | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
    ) -> Embeddings:
        """Embed a string or a list of strings (``POST /embeddings``); one vector per input.

        ``model`` defaults to the client's; ``encoding_format="base64"`` asks for the compact
        float32 encoding (decoded here); ``dimensions`` asks for shorter vectors.
        """
        request, count = self._build_embed(
            input,
            model=model,
            encoding_format=encoding_format,
            dimensions=dimensions,
            user=user,
            extra_body=extra_body,
            timeout=timeout,
        )
        with self._span("embeddings", request) as span:
            embeddings = self._parse_embeddings(self._send(request, max_retries), count)
            if span is not None:
                span.succeeded(embeddings)
        return embeddings

    def close(self) -> None:
        self._unregister_secrets()
        if self._owns_http:
            self._http.close()

    def __enter__(self: _Sync) -> _Sync:
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
    def _new_http_client(
        timeout: TimeoutTypes, transport: Any, proxy: ProxyTypes
    ) -> httpx.AsyncClient:
        if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
            raise ValidationError(
                f"transport must be an httpx.AsyncBaseTransport, got {type(transport).__name__}"
            )
        return httpx.AsyncClient(timeout=timeout, transport=transport, proxy=proxy)

    async def _open(
        self, request: httpx.Request, policy: RetryPolicy, deadline: Deadline | None
    ) -> httpx.Response:
        return await asend_with_retries(
            self._http,
            request,
            policy,
            raise_for_status=self._raise_for_status,
            deadline=deadline,
            secrets=self._secrets(),
        )

    async def _send(
        self,
        request: httpx.Request,
        max_retries: int | UseClientDefault,
        deadline: float | UseClientDefault | None = USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        limit = self._start_deadline(deadline)
        response = await self._open(request, self._policy_for(max_retries), limit)
        try:
            return await within(limit, aread_body(response))
        except (*HTTPX_ERRORS, TimeoutError) as exc:
            raise self._body_error(exc, response, limit) from exc

    async def gen_sync(
        self,
        messages: Messages,
        *options: object,
        max_retries: int | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        deadline: float | UseClientDefault | None = USE_CLIENT_DEFAULT,
    ) -> Result:
        """Generate the whole answer in one request (``deadline``: total seconds, retries
        included; defaults to the client's)."""
        request, plan = self._build_chat(messages, options, stream=False, timeout=timeout)
        if self._tier_pending:
            await self.resolve_model()
            request, plan = self._build_chat(messages, options, stream=False, timeout=timeout)
        with self._span("chat", request) as span:
            result = self._priced(
                self._parse_chat(await self._send(request, max_retries, deadline), plan)
            )
            if span is not None:
                span.succeeded(result)
        return result

    def gen_stream(
        self,
        messages: Messages,
        *options: object,
        max_retries: int | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        deadline: float | UseClientDefault | None = USE_CLIENT_DEFAULT,
    ) -> AsyncStream:
        """An :class:`AsyncStream` of the answer. Inputs are checked now; sent lazily."""
        built = [self._build_chat(messages, options, stream=True, timeout=timeout)]
        policy = self._policy_for(max_retries)
        call = self._stream_call()

        seconds = self._deadline_for(deadline)

        async def open_response(limit: Deadline | None) -> httpx.Response:
            if self._tier_pending:
                await self.resolve_model()
                built[0] = self._build_chat(messages, options, stream=True, timeout=timeout)

            async def send(request: httpx.Request) -> httpx.Response:
                return await self._open(request, policy, limit)

            return await (send if call is None else call.wrap_asend(send))(built[0][0])

        return AsyncStream(
            open_response,
            lambda response: self._stream_core(response, built[0][1], call),
            deadline=seconds,
        )

    async def list_models(self) -> list[Model]:
        """The models the provider serves, in its order."""
        request = self._build("GET", "/models")
        with self._span("list_models", request) as span:
            models = self._parse_models(await self._send(request, USE_CLIENT_DEFAULT))
            if span is not None:
                span.succeeded(models)
        return models

    async def resolve_model(self) -> str | None:
        """The client's model id, a tier picked on first call; see
        :meth:`ChatClient.resolve_model`."""
        choice = self._choice
        if choice is not None and choice.needs_list:
            async with choice.alock():
                if choice.needs_list:
                    await self.list_models()
        return self._resolve_tier()

    async def embed(
        self,
        input: str | Sequence[str],
        *,
        model: str | None = None,
        encoding_format: EncodingFormat = "float",
        dimensions: int | None = None,
        user: str | None = None,
        extra_body: Mapping[str, Any] | None = None,
        max_retries: int | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
    ) -> Embeddings:
        """Embed a string or a list of strings; see :meth:`ChatClient.embed`."""
        request, count = self._build_embed(
            input,
            model=model,
            encoding_format=encoding_format,
            dimensions=dimensions,
            user=user,
            extra_body=extra_body,
            timeout=timeout,
        )
        with self._span("embeddings", request) as span:
            embeddings = self._parse_embeddings(await self._send(request, max_retries), count)
            if span is not None:
                span.succeeded(embeddings)
        return embeddings

    async def aclose(self) -> None:
        self._unregister_secrets()
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self: _Async) -> _Async:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
