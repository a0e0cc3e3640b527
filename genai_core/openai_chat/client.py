"""The OpenAI-chat client engine every OpenAI-compatible provider is built on.

The engine is split by concern, one module each:

* :mod:`.config`: what a provider is (:class:`ProviderConfig`) and what a client was built with
  (:class:`~.config.ClientSettings`), every argument checked once, in one error style;
* :mod:`.prepare`: a call's inputs → the finished JSON body, one pipeline of steps returning
  values (the neutral body, the fields of ``Options``, the provider's extensions, ``extra_body``);
* :mod:`.exchange`: answers → results and typed errors, the one place secrets are removed;
* this module: :class:`ChatClientBase` ties them together and describes each call as a *plan*, a
  generator that yields what it needs done (pick the tier's model, send a request) and gets the
  outcome back; :class:`ChatClient` and :class:`AsyncChatClient` only drive plans, so each of
  their methods is a line or two.

A provider is a subclass that sets :attr:`ChatClientBase.config` (URLs, auth scheme, key
variable, dialect) and, for extensions, overrides :meth:`ChatClientBase._body_extensions`. The
generic provider (:mod:`genai_core.openai_chat.compatible`) is the engine with an empty
configuration; Baseten's client is that provider with Baseten's configuration and extensions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NamedTuple, TypeVar

import httpx

from .. import tracing
from .._log import register_secrets
from .._validate import DEFAULT_MAX_REQUEST_BYTES, check_model, check_timeout
from ..capabilities import CapabilityStatus, CapabilityTable
from ..errors import MissingAPIKeyError, NotSupportedError, ValidationError
from ..http import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    HTTPX_ERRORS,
    Deadline,
    Interrupter,
    RetryPolicy,
    aread_body,
    asend_with_retries,
    build_request,
    deadline_seconds,
    interrupting,
    new_request_id,
    parse_url,
    read_body,
    send_with_retries,
    within,
)
from ..http_setup import (
    USE_CLIENT_DEFAULT,
    ProxyTypes,
    TimeoutTypes,
    UseClientDefault,
    merge_headers,
    new_http_client,
    open_http_client,
    per_call_policy,
    per_call_timeout,
    public_url,
)
from ..options import GenOption
from ..plans import Plan, adrive, drive
from ..provider import AsyncStream, Stream
from ..types import Embeddings, Message, Messages, Model, Result
from .config import ClientSettings, ProviderConfig, check_models, configure, normalize_base_url
from .error_body import note_inputs
from .exchange import Exchange
from .prepare import ReadPlan, encode_body, prepare_chat_body
from .stream_core import ChatStreamCore

if TYPE_CHECKING:
    from .._otel import CallSpan, StreamCall
    from .embeddings import EncodingFormat

__all__ = [
    "USE_CLIENT_DEFAULT",
    "AsyncChatClient",
    "ChatClient",
    "ChatClientBase",
    "ProviderConfig",
    "ProxyTypes",
    "TimeoutTypes",
    "UseClientDefault",
    "merge_headers",
    "normalize_base_url",
    "public_url",
]

_H = TypeVar("_H", httpx.Client, httpx.AsyncClient)
_T = TypeVar("_T")
_Answer = TypeVar("_Answer", Result, Embeddings, list[Model])  # what a traced call returns
# `with Subclass(...) as c` gives a Subclass, not the base class.
_Sync = TypeVar("_Sync", bound="ChatClient")
_Async = TypeVar("_Async", bound="AsyncChatClient")

_NO_SPAN: AbstractContextManager[None] = nullcontext()

# Stands for the X-Request-Id value in a client's header template: a fresh id per request.
_NEW_ID = "\x00a new request id"
#: A request's headers in order, None standing for the request id.
_HeaderTemplate = tuple[tuple[str, str | None], ...]


# -- plans: what a call needs done, without doing it --------------------------------------------


class _Send(NamedTuple):
    """A step of a plan: send ``request`` and read the whole answer; the plan gets the
    ``httpx.Response`` back (or the error, thrown into it)."""

    request: httpx.Request
    max_retries: int | UseClientDefault
    deadline: float | UseClientDefault | None


_RESOLVE = "resolve the tier"
"""A step of a plan: pick the tier's model (one model listing at most); the plan gets None."""


class PreparedChat:
    """One chat call, ready to send: its request and how to read the answer.

    Built when the call is made, so bad input fails before anything is sent (a pending tier is
    checked against the model its table entry names); built again, once, when the client's tier
    has picked its model by the time the request goes out.
    """

    __slots__ = (
        "_client",
        "_inputs",
        "_model",
        "deadline",
        "max_retries",
        "plan",
        "request",
        "trace",
    )

    def __init__(
        self,
        client: ChatClientBase[Any],
        messages: Messages,
        options: Sequence[object],
        *,
        stream: bool,
        timeout: TimeoutTypes | UseClientDefault,
        max_retries: int | UseClientDefault,
        deadline: float | UseClientDefault | None,
    ) -> None:
        self._client = client
        self._inputs = (messages, options, stream, timeout)
        self.max_retries = max_retries
        self.deadline = deadline
        self._build()
        self.trace: StreamCall | None = client._stream_call() if stream else None

    def _build(self) -> None:
        messages, options, stream, timeout = self._inputs
        self._model = self._client.model
        self.request, self.plan = self._client._build_chat(
            messages, options, stream=stream, timeout=timeout
        )

    def current(self) -> httpx.Request:
        """The request for the client's model now (built again if the tier has picked it)."""
        if self._client.model != self._model:
            self._build()
        return self.request

    def stream_core(self, response: httpx.Response) -> ChatStreamCore:
        return self._client._stream_core(response, self.plan, self.trace)


class ChatClientBase(Generic[_H]):
    """Configuration, request building and the plans of every call; no I/O.

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
        s = configure(
            self.config,
            model=model,
            api_key=api_key,
            api_key_env=api_key_env,
            base_url=base_url,
            auth_scheme=auth_scheme,
            max_retries=max_retries,
            retry_policy_=retry_policy,
            timeout=timeout,
            deadline=deadline,
            max_request_bytes=max_request_bytes,
            default_headers=default_headers,
            user_agent=user_agent,
            model_info=model_info,
        )
        self._settings: ClientSettings = s
        # httpx's and httpcore's debug records can echo what a server sent back, and httpx logs
        # each request's URL, with a password in it (sent as Basic auth): keep both out, until
        # close().
        self._unregister_secrets = register_secrets(
            self, (s.key.value, httpx.URL(s.base_url).password or None)
        )
        self._model = s.model
        self._choice = s.choice
        self._policy = s.policy
        self._exchange = Exchange(
            self.config,
            secrets=(s.key.value,),
            base_url=s.base_url,
            env_var=s.key.env_var,
            clock=s.policy.clock,
        )
        # Per client, worked out on first use: the parsed URL of each path, and the fixed
        # headers of each kind of request (see _headers).
        self._urls: dict[str, httpx.URL] = {}
        self._header_templates: dict[tuple[str, str | None], _HeaderTemplate] = {}
        self._http: _H
        self._http, self._owns_http = open_http_client(
            self._new_http_client,
            http_client,
            timeout=timeout,
            default_timeout=DEFAULT_TIMEOUT,
            transport=transport,
            proxy=proxy,
            provider=self.config.name,
        )
        # What the model list says, by id: given as models= (a list fetched earlier, so no
        # request is needed) and refreshed by every list_models(). Providers read it for
        # per-model defaults. The client's own entry is :attr:`model_info`.
        self._known_models: dict[str, Model] = {}
        if s.model_info is not None:
            self._known_models[s.model_info.id] = s.model_info
        if models is not None:
            self._remember_models(models)
            if self._choice is not None:
                self._resolve_tier()  # a list is at hand: no request needed

    def _remember_models(self, given: Iterable[Model | str]) -> None:
        """Learn from a model list; this client's own entry becomes :attr:`model_info` unless
        ``model_info=`` was given (which always wins). A bare id stands for a model known by its
        id alone (enough to pick a tier, nothing to learn defaults from)."""
        models = check_models(given, self.config.name)
        for m in models:
            if self._settings.model_info is not None and m.id == self._model:
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

    @property
    def base_url(self) -> str:
        return self._settings.base_url

    @property
    def model_info(self) -> Model | None:
        """What the client knows of its model: ``model_info=`` when given (it always wins), else
        the model's entry in the latest model list (``models=``, then each ``list_models()``).
        Its input modalities decide which documents are sent.
        """
        return self._known_models.get(self._model) if self._model else None

    def __repr__(self) -> str:
        key = "set" if self._settings.key.value else "missing"
        name = type(self).__name__
        url = public_url(self._settings.base_url)
        tier = f", tier={self._choice.tier!r}" if self._choice is not None else ""
        return f"{name}(model={self._model!r}{tier}, base_url={url!r}, api_key={key})"

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

    # -- per call: prices and tracing --------------------------------------------------------

    def _pricing(self) -> dict[str, Decimal] | None:
        """The prices of the client's model, when its model list entry (or ``model_info=``)
        gave any; they go on every Result so that ``result.cost`` needs no argument."""
        info = self._known_models.get(self._model) if self._model else None
        return info.pricing if info is not None and info.pricing else None

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

    # -- per call: settings ------------------------------------------------------------------

    def _timeout_for(self, timeout: TimeoutTypes | UseClientDefault) -> Any:
        if not isinstance(timeout, UseClientDefault):
            check_timeout(timeout)
        return per_call_timeout(timeout, self._settings.timeout)

    def _deadline_for(self, deadline: float | UseClientDefault | None) -> float | None:
        if isinstance(deadline, UseClientDefault):
            return self._settings.deadline
        return deadline_seconds(deadline)

    def _start_deadline(self, deadline: float | UseClientDefault | None) -> Deadline | None:
        seconds = self._deadline_for(deadline)
        return None if seconds is None else Deadline(seconds)

    def _policy_for(self, max_retries: int | UseClientDefault) -> RetryPolicy:
        return per_call_policy(self._policy, max_retries)

    def _send_options(self, deadline: Deadline | None) -> dict[str, Any]:
        """What the send loops need besides the request and the policy."""
        x = self._exchange
        return {"raise_for_status": x.raise_for_status, "deadline": deadline, "secrets": x.secrets}

    # -- requests ----------------------------------------------------------------------------

    def _headers(self, accept: str, content_type: str | None) -> list[tuple[str, str]]:
        """The headers of one request: the client's fixed ones (worked out once per ``accept``
        and content type) with a fresh ``X-Request-Id``."""
        s = self._settings
        if s.key.value is None and s.key.required:
            raise MissingAPIKeyError(
                self.config.name, s.key.env_var or "api_key=", self.config.key_url
            )
        template = self._header_templates.get((accept, content_type))
        if template is None:
            template = self._header_templates[accept, content_type] = self._header_template(
                accept, content_type
            )
        return [(name, new_request_id() if value is None else value) for name, value in template]

    def _header_template(self, accept: str, content_type: str | None) -> _HeaderTemplate:
        # The defaults merged at construction go over Accept and X-Request-Id too, so a caller
        # can replace them or (with None) drop them; the key is added last. None stands for the
        # request id, made anew for each request.
        s = self._settings
        headers: dict[str, str | None] = dict(
            merge_headers({"Accept": accept, "X-Request-Id": _NEW_ID}, s.headers)
        )
        if s.key.value is not None and s.auth_scheme:
            headers["Authorization"] = f"{s.auth_scheme} {s.key.value}"
        if content_type is not None:
            headers["Content-Type"] = content_type
        return tuple((name, None if value is _NEW_ID else value) for name, value in headers.items())

    def _chat_inputs(
        self, messages: Messages, options: Sequence[object], *, stream: bool
    ) -> tuple[dict[str, Any], ReadPlan]:
        """The finished JSON body, and how to read its answer; raises on bad input."""
        return prepare_chat_body(
            self.config,
            messages,
            options,
            model=lambda: self._model or (self._tier_stand_in() if self._choice else None),
            known=self._known_models,
            stream=stream,
            extension=self._body_extensions,
        )

    def _chat_body(
        self, messages: Messages, options: Sequence[object], *, stream: bool
    ) -> dict[str, Any]:
        """Validate the call's inputs and build the JSON body; nothing is sent."""
        return self._chat_inputs(messages, options, stream=stream)[0]

    def _body_extensions(
        self, body: Mapping[str, Any], options: Mapping[type[GenOption], GenOption]
    ) -> dict[str, Any]:
        """Hook for provider extensions: the fields to add to ``body`` (the body so far, read
        only). The fields of ``Options`` are in it already; ``extra_body`` comes after."""
        return {}

    def _build(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        accept: str = "application/json",
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
    ) -> httpx.Request:
        headers = self._headers(accept, None if body is None else "application/json")
        content = None
        if body is not None:
            content = encode_body(body, self.config.name, self._settings.max_request_bytes)
        secrets = (self._settings.key.value,)
        url = self._urls.get(path)
        if url is None:  # parsed once per path: httpx would parse the string on every request
            url = self._urls[path] = parse_url(self._settings.base_url + path, secrets)
        return build_request(
            self._http,
            secrets,
            method=method,
            url=url,
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
    ) -> tuple[httpx.Request, ReadPlan]:
        """The request, and how to read its answer."""
        body, plan = self._chat_inputs(messages, options, stream=stream)
        accept = "text/event-stream" if stream else "application/json"
        request = self._build(
            "POST", "/chat/completions", body=body, accept=accept, timeout=timeout
        )
        note_inputs(request, self._model, [messages] if isinstance(messages, Message) else messages)
        return request, plan

    def _prepare_chat(  # noqa: PLR0917 (the call's own arguments, in their order)
        self,
        messages: Messages,
        options: Sequence[object],
        stream: bool,
        timeout: TimeoutTypes | UseClientDefault,
        max_retries: int | UseClientDefault,
        deadline: float | UseClientDefault | None,
    ) -> PreparedChat:
        return PreparedChat(
            self,
            messages,
            options,
            stream=stream,
            timeout=timeout,
            max_retries=max_retries,
            deadline=deadline,
        )

    # -- answers (hooks: a provider may post-process what the exchange reads) ----------------

    def _parse_chat(self, response: httpx.Response, plan: ReadPlan) -> Result:
        return self._exchange.chat(response, plan, self._pricing())

    def _stream_core(
        self, response: httpx.Response, plan: ReadPlan, call: StreamCall | None = None
    ) -> ChatStreamCore:
        return self._exchange.stream_core(response, plan, self._pricing(), call)

    # -- plans: each call once, for both twins -----------------------------------------------

    def _exchange_plan(
        self,
        operation: str,
        request: httpx.Request,
        read: Callable[[httpx.Response], _Answer],
        max_retries: int | UseClientDefault = USE_CLIENT_DEFAULT,
        deadline: float | UseClientDefault | None = USE_CLIENT_DEFAULT,
    ) -> Plan[_Answer]:
        """Send ``request`` inside the call's tracing span and read the answer with ``read``."""
        with self._span(operation, request) as span:
            out = read((yield _Send(request, max_retries, deadline)))
            if span is not None:
                span.succeeded(out)
        return out

    def _chat_plan(self, call: PreparedChat) -> Plan[Result]:
        if self._tier_pending:
            yield _RESOLVE
        return (
            yield from self._exchange_plan(
                "chat",
                call.current(),
                lambda response: self._parse_chat(response, call.plan),
                call.max_retries,
                call.deadline,
            )
        )

    def _models_plan(self) -> Plan[list[Model]]:
        models = yield from self._exchange_plan(
            "list_models", self._build("GET", "/models"), self._exchange.models
        )
        self._remember_models(models)
        return models

    def _embed_plan(  # noqa: PLR0917 (embed's own arguments, in their order)
        self,
        input: str | Sequence[str],
        model: str | None,
        encoding_format: EncodingFormat,
        dimensions: int | None,
        user: str | None,
        extra_body: Mapping[str, Any] | None,
        max_retries: int | UseClientDefault,
        timeout: TimeoutTypes | UseClientDefault,
    ) -> Plan[Embeddings]:
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
        request = self._build("POST", "/embeddings", body=body, timeout=timeout)
        return (
            yield from self._exchange_plan(
                "embeddings",
                request,
                lambda response: self._exchange.embeddings(response, count),
                max_retries,
            )
        )


class ChatClient(ChatClientBase[httpx.Client]):
    """Synchronous client. ``http_client`` is the seam for transports, proxies and tests."""

    @staticmethod
    def _new_http_client(timeout: TimeoutTypes, transport: Any, proxy: ProxyTypes) -> httpx.Client:
        return new_http_client(httpx.Client, timeout, transport, proxy)

    def _run(self, plan: Plan[_T]) -> _T:
        return drive(plan, self._act)

    def _act(self, step: _Send | str) -> Any:
        return self.resolve_model() if isinstance(step, str) else self._send(*step)

    def _open(
        self, request: httpx.Request, policy: RetryPolicy, deadline: Deadline | None
    ) -> httpx.Response:
        return send_with_retries(self._http, request, policy, **self._send_options(deadline))

    def _send(
        self,
        request: httpx.Request,
        max_retries: int | UseClientDefault,
        deadline: float | UseClientDefault | None = USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        limit = self._start_deadline(deadline)
        # The interrupter's deadline timer runs from the send on (see send_with_retries). Only
        # that timer can interrupt this call: without a deadline there is none to run.
        with interrupting(None if limit is None else Interrupter()) as interrupter:
            try:
                response = self._open(request, self._policy_for(max_retries), limit)
                if interrupter is not None:
                    interrupter.watch(response, limit)
                try:
                    return read_body(response)
                except HTTPX_ERRORS as exc:
                    raise self._exchange.body_error(exc, response, limit) from exc
            finally:
                if interrupter is not None:
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
        call = self._prepare_chat(messages, options, False, timeout, max_retries, deadline)
        return self._run(self._chat_plan(call))

    def gen_stream(
        self,
        messages: Messages,
        *options: object,
        max_retries: int | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        deadline: float | UseClientDefault | None = USE_CLIENT_DEFAULT,
    ) -> Stream:
        """A :class:`Stream` of the answer. Inputs are checked now; the request is sent lazily
        (a pending tier is resolved when the stream opens)."""
        call = self._prepare_chat(messages, options, True, timeout, max_retries, deadline)
        policy = self._policy_for(max_retries)

        def open_response(limit: Deadline | None) -> httpx.Response:
            if self._tier_pending:
                self.resolve_model()

            def send(request: httpx.Request) -> httpx.Response:
                return self._open(request, policy, limit)

            return (send if call.trace is None else call.trace.wrap_send(send))(call.current())

        return Stream(open_response, call.stream_core, deadline=self._deadline_for(deadline))

    def list_models(self) -> list[Model]:
        """The models the provider serves, in its order."""
        return self._run(self._models_plan())

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
        return self._run(
            self._embed_plan(
                input, model, encoding_format, dimensions, user, extra_body, max_retries, timeout
            )
        )

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
        return new_http_client(httpx.AsyncClient, timeout, transport, proxy)

    async def _run(self, plan: Plan[_T]) -> _T:
        return await adrive(plan, self._act)

    def _act(self, step: _Send | str) -> Awaitable[Any]:
        return self.resolve_model() if isinstance(step, str) else self._send(*step)

    async def _open(
        self, request: httpx.Request, policy: RetryPolicy, deadline: Deadline | None
    ) -> httpx.Response:
        return await asend_with_retries(self._http, request, policy, **self._send_options(deadline))

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
            raise self._exchange.body_error(exc, response, limit) from exc

    async def gen_sync(
        self,
        messages: Messages,
        *options: object,
        max_retries: int | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        deadline: float | UseClientDefault | None = USE_CLIENT_DEFAULT,
    ) -> Result:
        """Generate the whole answer in one request; see :meth:`ChatClient.gen_sync`."""
        call = self._prepare_chat(messages, options, False, timeout, max_retries, deadline)
        return await self._run(self._chat_plan(call))

    def gen_stream(
        self,
        messages: Messages,
        *options: object,
        max_retries: int | UseClientDefault = USE_CLIENT_DEFAULT,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        deadline: float | UseClientDefault | None = USE_CLIENT_DEFAULT,
    ) -> AsyncStream:
        """An :class:`AsyncStream` of the answer. Inputs are checked now; sent lazily."""
        call = self._prepare_chat(messages, options, True, timeout, max_retries, deadline)
        policy = self._policy_for(max_retries)

        async def open_response(limit: Deadline | None) -> httpx.Response:
            if self._tier_pending:
                await self.resolve_model()

            async def send(request: httpx.Request) -> httpx.Response:
                return await self._open(request, policy, limit)

            return await (send if call.trace is None else call.trace.wrap_asend(send))(
                call.current()
            )

        return AsyncStream(open_response, call.stream_core, deadline=self._deadline_for(deadline))

    async def list_models(self) -> list[Model]:
        """The models the provider serves, in its order."""
        return await self._run(self._models_plan())

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
        return await self._run(
            self._embed_plan(
                input, model, encoding_format, dimensions, user, extra_body, max_retries, timeout
            )
        )

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
