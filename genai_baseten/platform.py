"""Baseten beyond chat: :class:`PlatformClient` and :class:`AsyncPlatformClient`.

One client per account (one API key) reaches every endpoint family that is not OpenAI chat:
predict and wake on dedicated models, chains, and the read-only management API. Each method
builds a :class:`~genai_baseten.calls.Call` with a sans-IO function of its family's module
(:mod:`.predict`, :mod:`.chains`, :mod:`.management`), sends it here, and decodes the answer with
another. Both clients share everything but the few lines that send (``_open``), so they behave
the same.

The HTTP policy is the chat client's (:mod:`genai_core.http`): retries with backoff and
``Retry-After``, per-phase timeouts, an ``X-Request-Id`` per call, typed errors
(:mod:`genai_core.errors`) whose text never holds the key. On top of it, a 503 from a
deployment scaling up is waited out for ``cold_start_timeout`` seconds (:class:`.calls.ColdStart`).

Calls that run the model (``predict``, ``predict_stream``, ``run_remote``) are retried only where
it cannot have run twice: a 429, a 503 (scaling up) and a connection that failed before the
request was sent. A 500 (``predict`` raised), a 502 (the container crashed during the request),
a 504 (it ran for 1200 s) or a read timeout is raised at once; pass ``retry_unsafe=True`` to
retry those too, accepting that the model may run more than once (:class:`.calls.Retries`).
``async_run_remote`` is a submit like ``async_predict``: retried on a 429 only.

::

    client = genai_baseten.PlatformClient()          # key from BASETEN_API_KEY
    target = genai_baseten.Target.model("abcd1234", environment="staging")
    print(client.predict(target, {"prompt": "hello"}))
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypedDict, TypeVar

import httpx

from genai_core._log import register_secrets
from genai_core.errors import (
    APIConnectionError,
    APIError,
    GenAIError,
    MissingAPIKeyError,
    RateLimitError,
    ValidationError,
)
from genai_core.http import (
    DEFAULT_MAX_RETRIES,
    HTTPX_ERRORS,
    RetryPolicy,
    aread_body,
    asend_with_retries,
    body_error,
    build_request,
    check_api_key,
    new_request_id,
    parse_retry_after,
    read_body,
    send_with_retries,
)
from genai_core.http_setup import (
    USE_CLIENT_DEFAULT,
    ProxyTypes,
    TimeoutTypes,
    UseClientDefault,
    base_headers,
    merge_headers,
    new_http_client,
    open_http_client,
    per_call_policy,
    per_call_timeout,
)
from genai_core.http_setup import retry_policy as retry_policy_for
from genai_core.openai_chat.error_body import api_error
from genai_core.plans import Plan, adrive, drive

from . import chains, management, queue
from .calls import (
    DEFAULT_COLD_START_TIMEOUT,
    Call,
    ColdStart,
    Retries,
    check_budget,
    decode_body,
    error_hint,
)
from .predict import (
    PREDICT_TIMEOUT,
    PredictStreamCore,
    Readiness,
    StreamKind,
    predict_call,
    wake_call,
    wake_lookup_call,
    wake_target,
)
from .targets import Target

if TYPE_CHECKING:
    # Only for annotations (never evaluated at run time): typing.Unpack is Python 3.11+.
    from typing_extensions import Unpack

__all__ = [
    "AsyncPlatformClient",
    "AsyncPredictStream",
    "CallOptions",
    "PlatformClient",
    "PredictStream",
]

log = logging.getLogger("genai.baseten")

ENV_VAR = "BASETEN_API_KEY"
KEY_URL = "https://app.baseten.co/settings/api_keys"
PROVIDER = "baseten"

_H = TypeVar("_H", httpx.Client, httpx.AsyncClient)
_CALL = "genai_baseten_call"  # request extension: the Call a request was built from
_T = TypeVar("_T")
_Sync = TypeVar("_Sync", bound="PlatformClient")
_Async = TypeVar("_Async", bound="AsyncPlatformClient")


class CallOptions(TypedDict, total=False):
    """Per-call settings every method takes as keyword arguments."""

    timeout: TimeoutTypes
    """httpx timeout for this call (seconds or an ``httpx.Timeout``; None: no limit)."""
    max_retries: int
    """Retries of the HTTP policy for this call."""
    cold_start_timeout: float
    """Seconds to keep retrying 503 while the deployment starts (0: not at all)."""
    retry_unsafe: bool
    """predict / run_remote only: also retry 500, 502, 504 and read timeouts, although the
    model may then run more than once (default False: 429, 503 and unsent requests only)."""


# Readiness polling: how long wait_until_ready waits by default, and how often it asks.
DEFAULT_READY_TIMEOUT = 900.0
DEFAULT_READY_INTERVAL = 5.0
MIN_READY_INTERVAL = 0.5


def _poll_interval(value: float) -> float:
    # 0 would poll the management API as fast as it answers; it rate-limits, and nothing changes
    # that fast.
    seconds = check_budget(value, argument="interval")
    if seconds < MIN_READY_INTERVAL:
        raise ValidationError(
            f"interval must be at least {MIN_READY_INTERVAL:g} s between polls, got {value!r}"
        )
    return seconds


class _PlatformBase(Generic[_H]):
    """Configuration, request building and error mapping; no I/O.

    A client created without ``http_client`` owns its httpx client (closed by ``close()`` /
    ``aclose()`` or the ``with`` block); an injected one is left open.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        http_client: _H | None = None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        proxy: ProxyTypes = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        timeout: TimeoutTypes | UseClientDefault = USE_CLIENT_DEFAULT,
        cold_start_timeout: float = DEFAULT_COLD_START_TIMEOUT,
        retry_policy: RetryPolicy | None = None,
        default_headers: Mapping[str, str | None] | None = None,
    ) -> None:
        if api_key is not None and not isinstance(api_key, str):
            raise ValidationError(f"api_key must be a string, got {type(api_key).__name__}")
        self.__api_key = api_key or os.environ.get(ENV_VAR) or None
        check_api_key(self.__api_key, type(self).__name__)
        # httpx's and httpcore's debug records can echo what a server sent back.
        self._unregister_secrets = register_secrets(self, (self.__api_key,))
        self._policy = retry_policy_for(max_retries, retry_policy)
        self._cold_start_timeout = check_budget(cold_start_timeout, argument="cold_start_timeout")
        self._timeout = timeout
        self._default_headers = base_headers(default_headers)
        self._http: _H
        # The chat client's construction, shared: the same arguments mean the same thing.
        self._http, self._owns_http = open_http_client(
            self._new_http_client,
            http_client,
            timeout=timeout,
            default_timeout=PREDICT_TIMEOUT,
            transport=transport,
            proxy=proxy,
        )

    @staticmethod
    def _new_http_client(timeout: TimeoutTypes, transport: Any, proxy: ProxyTypes) -> _H:
        raise NotImplementedError

    @property
    def http_client(self) -> _H:
        return self._http

    def __repr__(self) -> str:
        key = "set" if self.__api_key else "missing"
        return f"{type(self).__name__}(api_key={key})"

    # -- requests ----------------------------------------------------------------------------

    def _request(self, call: Call, timeout: TimeoutTypes | UseClientDefault) -> httpx.Request:
        if self.__api_key is None:
            raise MissingAPIKeyError(PROVIDER, ENV_VAR, KEY_URL)
        base = {"Accept": call.accept, "X-Request-Id": new_request_id()}
        if call.content_type is not None:
            base["Content-Type"] = call.content_type
        headers = merge_headers(base, self._default_headers)
        headers["Authorization"] = f"Api-Key {self.__api_key}"
        request = build_request(
            self._http,
            self._secrets(),
            method=call.method,
            url=call.url,
            headers=headers,
            content=call.content,
            timeout=per_call_timeout(timeout, self._timeout),
        )
        request.extensions[_CALL] = call
        log.debug("%s %s (%s)", call.method, call.url, call.what)
        return request

    def _prepare(self, call: Call, kw: CallOptions) -> tuple[httpx.Request, RetryPolicy, Retries]:
        """The request for ``call``, the retry policy and the retries beyond it."""
        request = self._request(call, kw.get("timeout", USE_CLIENT_DEFAULT))
        policy = self._policy_for(kw.get("max_retries", USE_CLIENT_DEFAULT))
        cold = self._cold_start(kw.get("cold_start_timeout", USE_CLIENT_DEFAULT))
        unsafe = kw.get("retry_unsafe", False)
        if not isinstance(unsafe, bool):
            raise ValidationError(f"retry_unsafe must be True or False, got {unsafe!r}")
        return request, policy, Retries(call, policy, cold, unsafe=unsafe)

    def _policy_for(self, max_retries: int | UseClientDefault) -> RetryPolicy:
        return per_call_policy(self._policy, max_retries)

    def _cold_start(self, budget: float | UseClientDefault) -> ColdStart:
        seconds = (
            self._cold_start_timeout
            if isinstance(budget, UseClientDefault)
            else check_budget(budget, argument="cold_start_timeout")
        )
        return ColdStart(seconds, self._policy.clock)

    def _raise_for_status(self, response: httpx.Response) -> NoReturn:
        """Raise the typed error for an error answer whose body has been read."""
        status = response.status_code
        call = response.request.extensions.get(_CALL)
        hint = error_hint(call, status, ENV_VAR, KEY_URL) if isinstance(call, Call) else None
        request_id = response.headers.get("x-baseten-request-id") or response.headers.get(
            "x-request-id"
        )
        raise api_error(
            status,
            response.content,
            response.headers,
            provider=PROVIDER,
            request_id=request_id,
            secrets=(self.__api_key,),
            hint=hint,
            retry_after=parse_retry_after(response.headers, self._policy.clock())
            if status == 429
            else None,
            reason=response.reason_phrase,
            cls=RateLimitError if status == 429 else None,
        )

    def _decode(self, response: httpx.Response) -> Any:
        log.debug(
            "%s %s: HTTP %d, %d bytes",
            response.request.method,
            response.request.url,
            response.status_code,
            len(response.content),
        )
        return decode_body(response, provider=PROVIDER, secrets=(self.__api_key,))

    def _secrets(self) -> tuple[str | None, ...]:
        """What must never appear in errors, logs or a redirect to another origin."""
        return (self.__api_key,)

    def _body_error(self, exc: Exception, response: httpx.Response) -> GenAIError:
        """The typed error for a success answer whose body could not be read or decoded."""
        return body_error(exc, status_code=response.status_code, provider=PROVIDER, streamed=False)

    def _loop_options(self) -> dict[str, Any]:
        return {"raise_for_status": self._raise_for_status, "secrets": self._secrets()}

    # -- plans (genai_core.plans): each operation once; a step names the method that does it --

    def _act(self, step: tuple[Any, ...]) -> Any:
        """Do one step with this client's I/O: a value, or an awaitable for the async client."""
        name, *args = step
        return getattr(self, name)(*args)

    def _open_plan(self, call: Call, kw: CallOptions) -> Plan[httpx.Response]:
        """Send ``call`` under the policy, and again while the deployment starts (503 within
        the cold-start budget); a call that runs the model only where it cannot have run
        (:class:`.calls.Retries`). Returns the success answer still streaming."""
        request, policy, retries = self._prepare(call, kw)
        while True:
            try:
                response: httpx.Response = yield "_send_round", request, retries.round_policy()
            except (APIError, APIConnectionError) as err:
                delay = retries.after_error(err)
                if delay is None:
                    raise
                self._waiting(call, err, delay)
            else:
                return response
            yield "_sleep", policy, delay

    def _call_plan(self, call: Call, kw: CallOptions) -> Plan[Any]:
        """:meth:`_open_plan`, then the whole body, decoded by its content type."""
        response = yield from self._open_plan(call, kw)
        try:
            response = yield "_read", response
        except HTTPX_ERRORS as exc:
            raise self._body_error(exc, response) from exc
        return self._decode(response)

    def _ready_plan(
        self, target: Target | str, timeout: float, interval: float, wake: bool
    ) -> Plan[management.DeploymentStatus]:
        where = Target.of(target)
        ready = Readiness(
            where,
            timeout=check_budget(timeout, argument="timeout"),
            interval=_poll_interval(interval),
            clock=self._policy.clock,
        )
        # Each call is capped at the time left and does not wait out a cold start of its own
        # (its default budget of 900 s would overrun timeout=).
        if wake:
            yield from self._wake_plan(
                where, {"cold_start_timeout": 0, "timeout": ready.time_left()}
            )
        call = management.deployment_of_target_call(where)
        while True:
            once: CallOptions = {"cold_start_timeout": 0, "timeout": ready.time_left()}
            data = yield from self._call_plan(call, once)
            status = management.status_of(data, call) or management.DeploymentStatus.INACTIVE
            delay = ready.after_status(status)
            if delay is None:
                return status
            yield "_sleep", self._policy, delay

    def _wake_plan(self, target: Target | str, kw: CallOptions) -> Plan[None]:
        """Wake ``target``; an environment through its current deployment, looked up first
        (Baseten's wake takes a deployment id or development)."""
        where = Target.of(target)
        if (lookup := wake_lookup_call(where)) is not None:
            where = wake_target(where, (yield from self._call_plan(lookup, kw)))
        yield from self._call_plan(wake_call(where), kw)

    def _parsed_plan(self, call: Call, parse: Callable[[Any], _T], kw: CallOptions) -> Plan[_T]:
        """``call``'s answer, read by ``parse`` (one of the endpoint modules' parsers)."""
        return parse((yield from self._call_plan(call, kw)))

    def _list_plan(self, kind: str, parent: str | None, kw: CallOptions) -> Plan[list[Any]]:
        """A management list (``GET /v1/{kind}``, or below the model ``parent``)."""
        data = yield from self._call_plan(management.list_call(kind, parent), kw)
        return management.parse_list(kind, data)

    def _status_plan(
        self, target: Target | str, kw: CallOptions
    ) -> Plan[management.DeploymentStatus]:
        call = management.deployment_of_target_call(target)
        status = management.status_of((yield from self._call_plan(call, kw)), call)
        return status or management.DeploymentStatus.INACTIVE

    def _run_remote_submit_plan(
        self, target: Target | str, inputs: Mapping[str, Any], kw: CallOptions
    ) -> Plan[chains.AsyncSubmission]:
        from .async_client import submit_plan  # it builds on this module

        call = chains.async_run_remote_call(target, inputs)
        retries = kw.get("max_retries", self._policy.max_retries)
        return (yield from submit_plan(self, call, retries, kw.get("timeout", USE_CLIENT_DEFAULT)))

    def _waiting(self, call: Call, err: GenAIError, delay: float) -> None:
        if isinstance(err, APIError):
            what = f"HTTP {err.status_code}"
            what += " while the deployment starts" if err.status_code == 503 else ""
        else:
            what = f"{type(err).__name__} before the request was sent"
        log.warning("%s %s: %s; trying again in %.1f s", call.what, call.target, what, delay)


class PlatformClient(_PlatformBase[httpx.Client]):
    """Synchronous client for Baseten's predict, wake, chains and management endpoints.

    ``api_key`` defaults to ``$BASETEN_API_KEY``; ``http_client`` (or ``transport``) is the seam
    for proxies and tests; ``max_retries`` and ``timeout`` are the chat client's; a 503
    from a deployment scaling up is retried for ``cold_start_timeout`` seconds (0: not at all).
    Every method takes ``timeout=`` and ``max_retries=`` for one call.
    """

    @staticmethod
    def _new_http_client(timeout: TimeoutTypes, transport: Any, proxy: ProxyTypes) -> httpx.Client:
        return new_http_client(httpx.Client, timeout, transport, proxy)

    def _send_round(self, request: httpx.Request, policy: RetryPolicy) -> httpx.Response:
        return send_with_retries(self._http, request, policy, **self._loop_options())

    _read = staticmethod(read_body)

    @staticmethod
    def _sleep(policy: RetryPolicy, delay: float) -> None:
        policy.sleep(delay)

    def _open(self, call: Call, **kw: Unpack[CallOptions]) -> httpx.Response:
        """Send ``call`` under the policy; the success answer is returned still streaming."""
        return drive(self._open_plan(call, kw), self._act)

    def _call(self, call: Call, **kw: Unpack[CallOptions]) -> Any:
        return drive(self._call_plan(call, kw), self._act)

    # -- predict and wake ---------------------------------------------------------------------

    def predict(self, target: Target | str, payload: Any, **kw: Unpack[CallOptions]) -> Any:
        """``POST /{target}/predict``: run a dedicated model once.

        ``payload`` is any JSON value, or bytes sent as ``application/octet-stream``. The answer
        is decoded by its content type: JSON → the value, ``text/*`` → str, else bytes.
        """
        return self._call(predict_call(target, payload), **kw)

    def predict_stream(
        self, target: Target | str, payload: Any, *, keep: bool = True, **kw: Unpack[CallOptions]
    ) -> PredictStream:
        """A :class:`PredictStream` of a streaming model's answer; sent when first iterated.

        The input is checked now. ``keep=False`` does not keep the items that arrived (for long
        audio streams); an error mid-stream then carries none.
        """
        call = predict_call(target, payload, stream=True)
        return PredictStream(lambda: self._open(call, **kw), keep=keep)

    def wake(self, target: Target | str, **kw: Unpack[CallOptions]) -> None:
        """``POST /{target}/wake``: start a deployment scaled to zero (Baseten answers 202).

        An environment (production included) is woken through its current deployment, looked
        up with the management API first: Baseten's wake takes a deployment id or development.
        """
        drive(self._wake_plan(target, kw), self._act)

    def deployment_status(
        self, target: Target | str, **kw: Unpack[CallOptions]
    ) -> management.DeploymentStatus:
        """The status of the deployment ``target`` names (management API); for an environment,
        its current deployment's (``INACTIVE`` when it has none)."""
        return drive(self._status_plan(target, kw), self._act)

    def wait_until_ready(
        self,
        target: Target | str,
        *,
        timeout: float = DEFAULT_READY_TIMEOUT,
        interval: float = DEFAULT_READY_INTERVAL,
        wake: bool = True,
    ) -> management.DeploymentStatus:
        """Wake the deployment (unless ``wake=False``), then poll its status every ``interval``
        seconds until it is ``ACTIVE``; at most ``timeout`` seconds (APITimeoutError after).

        A status waiting cannot fix (a failed build, deactivated) raises
        :class:`~genai_baseten.predict.DeploymentFailedError` at once.
        """
        return drive(self._ready_plan(target, timeout, interval, wake), self._act)

    def async_queue_status(
        self, target: Target | str, **kw: Unpack[CallOptions]
    ) -> queue.QueueStatus:
        """``GET /{target}/async_queue_status``: requests queued and in progress."""
        call = queue.queue_status_call(target)
        return drive(self._parsed_plan(call, queue.parse_queue_status, kw), self._act)

    # -- chains -------------------------------------------------------------------------------

    def run_remote(
        self, target: Target | str, inputs: Mapping[str, Any], **kw: Unpack[CallOptions]
    ) -> Any:
        """``POST /{target}/run_remote``: run a chain; ``inputs`` are the entrypoint's
        ``run_remote`` arguments by name. Returns the chain's output."""
        return self._call(chains.run_remote_call(target, inputs), **kw)

    def async_run_remote(
        self, target: Target | str, inputs: Mapping[str, Any], **kw: Unpack[CallOptions]
    ) -> chains.AsyncSubmission:
        """``POST /{target}/async_run_remote``: queue a chain run; returns its request id.

        A submit: retried on a 429 only (``max_retries`` times), never after a 5xx or a lost
        connection, where Baseten may have queued it already. At most 256 KiB of inputs."""
        return drive(self._run_remote_submit_plan(target, inputs, kw), self._act)

    # -- management (read-only) ---------------------------------------------------------------

    def list_models(self, **kw: Unpack[CallOptions]) -> list[management.ManagedModel]:
        """The account's dedicated models (management API ``GET /v1/models``)."""
        return drive(self._list_plan("models", None, kw), self._act)

    def list_chains(self, **kw: Unpack[CallOptions]) -> list[management.Chain]:
        """The account's chains (``GET /v1/chains``)."""
        return drive(self._list_plan("chains", None, kw), self._act)

    def get_model(self, model_id: str, **kw: Unpack[CallOptions]) -> management.ManagedModel:
        call = management.model_call(model_id)
        return drive(self._parsed_plan(call, management.parse_model, kw), self._act)

    def list_deployments(
        self, model_id: str, **kw: Unpack[CallOptions]
    ) -> list[management.Deployment]:
        """A model's deployments (``GET /v1/models/{id}/deployments``)."""
        return drive(self._list_plan("deployments", model_id, kw), self._act)

    def get_deployment(
        self, model_id: str, deployment_id: str, **kw: Unpack[CallOptions]
    ) -> management.Deployment:
        """One deployment: an id, ``"production"`` or ``"development"``."""
        call = management.deployment_call(model_id, deployment_id)
        return drive(self._parsed_plan(call, management.parse_deployment, kw), self._act)

    def list_environments(
        self, model_id: str, **kw: Unpack[CallOptions]
    ) -> list[management.Environment]:
        """A model's environments (``GET /v1/models/{id}/environments``)."""
        return drive(self._list_plan("environments", model_id, kw), self._act)

    def get_environment(
        self, model_id: str, name: str, **kw: Unpack[CallOptions]
    ) -> management.Environment:
        call = management.environment_call(model_id, name)
        return drive(self._parsed_plan(call, management.parse_environment, kw), self._act)

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


class AsyncPlatformClient(_PlatformBase[httpx.AsyncClient]):
    """Asynchronous twin of :class:`PlatformClient` (asyncio or trio, through anyio)."""

    @staticmethod
    def _new_http_client(
        timeout: TimeoutTypes, transport: Any, proxy: ProxyTypes
    ) -> httpx.AsyncClient:
        return new_http_client(httpx.AsyncClient, timeout, transport, proxy)

    def _send_round(self, request: httpx.Request, policy: RetryPolicy) -> Awaitable[httpx.Response]:
        return asend_with_retries(self._http, request, policy, **self._loop_options())

    _read = staticmethod(aread_body)

    @staticmethod
    def _sleep(policy: RetryPolicy, delay: float) -> Awaitable[None]:
        return policy.async_sleep(delay)

    async def _open(self, call: Call, **kw: Unpack[CallOptions]) -> httpx.Response:
        return await adrive(self._open_plan(call, kw), self._act)

    async def _call(self, call: Call, **kw: Unpack[CallOptions]) -> Any:
        return await adrive(self._call_plan(call, kw), self._act)

    async def predict(self, target: Target | str, payload: Any, **kw: Unpack[CallOptions]) -> Any:
        """See :meth:`PlatformClient.predict`."""
        return await self._call(predict_call(target, payload), **kw)

    def predict_stream(
        self, target: Target | str, payload: Any, *, keep: bool = True, **kw: Unpack[CallOptions]
    ) -> AsyncPredictStream:
        """See :meth:`PlatformClient.predict_stream`; iterate with ``async for``."""
        call = predict_call(target, payload, stream=True)
        return AsyncPredictStream(lambda: self._open(call, **kw), keep=keep)

    async def wake(self, target: Target | str, **kw: Unpack[CallOptions]) -> None:
        """See :meth:`PlatformClient.wake`."""
        await adrive(self._wake_plan(target, kw), self._act)

    async def deployment_status(
        self, target: Target | str, **kw: Unpack[CallOptions]
    ) -> management.DeploymentStatus:
        """See :meth:`PlatformClient.deployment_status`."""
        return await adrive(self._status_plan(target, kw), self._act)

    async def wait_until_ready(
        self,
        target: Target | str,
        *,
        timeout: float = DEFAULT_READY_TIMEOUT,
        interval: float = DEFAULT_READY_INTERVAL,
        wake: bool = True,
    ) -> management.DeploymentStatus:
        """See :meth:`PlatformClient.wait_until_ready`."""
        return await adrive(self._ready_plan(target, timeout, interval, wake), self._act)

    async def async_queue_status(
        self, target: Target | str, **kw: Unpack[CallOptions]
    ) -> queue.QueueStatus:
        call = queue.queue_status_call(target)
        return await adrive(self._parsed_plan(call, queue.parse_queue_status, kw), self._act)

    async def run_remote(
        self, target: Target | str, inputs: Mapping[str, Any], **kw: Unpack[CallOptions]
    ) -> Any:
        return await self._call(chains.run_remote_call(target, inputs), **kw)

    async def async_run_remote(
        self, target: Target | str, inputs: Mapping[str, Any], **kw: Unpack[CallOptions]
    ) -> chains.AsyncSubmission:
        """See :meth:`PlatformClient.async_run_remote`."""
        return await adrive(self._run_remote_submit_plan(target, inputs, kw), self._act)

    async def list_models(self, **kw: Unpack[CallOptions]) -> list[management.ManagedModel]:
        return await adrive(self._list_plan("models", None, kw), self._act)

    async def list_chains(self, **kw: Unpack[CallOptions]) -> list[management.Chain]:
        return await adrive(self._list_plan("chains", None, kw), self._act)

    async def get_model(self, model_id: str, **kw: Unpack[CallOptions]) -> management.ManagedModel:
        call = management.model_call(model_id)
        return await adrive(self._parsed_plan(call, management.parse_model, kw), self._act)

    async def list_deployments(
        self, model_id: str, **kw: Unpack[CallOptions]
    ) -> list[management.Deployment]:
        return await adrive(self._list_plan("deployments", model_id, kw), self._act)

    async def get_deployment(
        self, model_id: str, deployment_id: str, **kw: Unpack[CallOptions]
    ) -> management.Deployment:
        call = management.deployment_call(model_id, deployment_id)
        return await adrive(self._parsed_plan(call, management.parse_deployment, kw), self._act)

    async def list_environments(
        self, model_id: str, **kw: Unpack[CallOptions]
    ) -> list[management.Environment]:
        return await adrive(self._list_plan("environments", model_id, kw), self._act)

    async def get_environment(
        self, model_id: str, name: str, **kw: Unpack[CallOptions]
    ) -> management.Environment:
        call = management.environment_call(model_id, name)
        return await adrive(self._parsed_plan(call, management.parse_environment, kw), self._act)

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


# -- streamed predict ------------------------------------------------------------------------


class _StreamBase:
    def __init__(self, keep: bool) -> None:
        self._keep = keep
        self._core: PredictStreamCore | None = None
        self._consumed = False

    @property
    def kind(self) -> StreamKind:
        """``"events"``, ``"lines"`` or ``"bytes"``, from the answer's Content-Type (the stream
        must be open: iterate first, or use it as a context manager)."""
        return self._opened().kind

    @property
    def content_type(self) -> str:
        return self._opened().content_type

    @property
    def received(self) -> list[Any]:
        """Every item that arrived so far (empty with ``keep=False``)."""
        return self._core.received if self._core is not None else []

    def _opened(self) -> PredictStreamCore:
        if self._core is None:
            raise ValidationError("the stream is not open yet: iterate it (or enter it) first")
        return self._core

    def _start(self) -> None:
        if self._consumed:
            raise ValidationError("a predict stream can be iterated once")
        self._consumed = True


class PredictStream(_StreamBase):
    """A streamed predict answer: iterate for items typed by content type (:attr:`kind`):
    :class:`~genai_core.sse.ServerSentEvent`, ``str`` lines, or ``bytes`` chunks.

    Nothing is sent until it is iterated or entered. A stream that breaks off raises
    :class:`~genai_baseten.predict.PredictStreamError` holding what arrived (``err.received``).
    """

    def __init__(self, opener: Callable[[], httpx.Response], *, keep: bool) -> None:
        super().__init__(keep)
        self._opener = opener
        self._response: httpx.Response | None = None

    def _open(self) -> httpx.Response:
        if self._response is None:
            self._response = self._opener()
            self._core = PredictStreamCore(self._response.headers, keep=self._keep)
        return self._response

    def __iter__(self) -> Iterator[Any]:
        self._start()
        response = self._open()
        core = self._opened()
        try:
            for chunk in response.iter_bytes():
                yield from core.feed(chunk)
            yield from core.finish()
        except HTTPX_ERRORS as exc:
            raise core.broken(exc) from exc
        finally:
            self.close()

    def close(self) -> None:
        if self._response is not None:
            self._response.close()

    def __enter__(self) -> PredictStream:
        self._open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncPredictStream(_StreamBase):
    """Async twin of :class:`PredictStream`: ``async with`` / ``async for``."""

    def __init__(self, opener: Callable[[], Awaitable[httpx.Response]], *, keep: bool) -> None:
        super().__init__(keep)
        self._opener = opener
        self._response: httpx.Response | None = None

    async def _open(self) -> httpx.Response:
        if self._response is None:
            self._response = await self._opener()
            self._core = PredictStreamCore(self._response.headers, keep=self._keep)
        return self._response

    async def __aiter__(self) -> AsyncIterator[Any]:
        self._start()
        response = await self._open()
        core = self._opened()
        try:
            async for chunk in response.aiter_bytes():
                for item in core.feed(chunk):
                    yield item
            for item in core.finish():
                yield item
        except HTTPX_ERRORS as exc:
            raise core.broken(exc) from exc
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        if self._response is not None:
            await self._response.aclose()

    async def __aenter__(self) -> AsyncPredictStream:
        await self._open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
