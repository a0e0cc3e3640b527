"""How a provider's client is set up: its httpx client, retry policy, timeouts and headers.

The OpenAI chat engine and Baseten's platform client take the same construction arguments
(``http_client=``, ``transport=``, ``proxy=``, ``timeout=``, ``max_retries=``,
``retry_policy=``, ``default_headers=``) and give them the same meaning; this module is that one
meaning, checked once, with the library's one error style (:class:`ValidationError` naming the
argument and what to pass). Nothing here sends a request.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

import httpx

from ._version import __version__
from .errors import ValidationError
from .http import DEFAULT_MAX_RETRIES, RetryPolicy

__all__ = [
    "USE_CLIENT_DEFAULT",
    "ProxyTypes",
    "TimeoutTypes",
    "UseClientDefault",
    "base_headers",
    "check_headers",
    "fold_headers",
    "merge_headers",
    "new_http_client",
    "open_http_client",
    "per_call_policy",
    "per_call_timeout",
    "public_url",
    "retry_policy",
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
ProxyTypes = str | httpx.URL | httpx.Proxy | None

_H = TypeVar("_H", httpx.Client, httpx.AsyncClient)
_USERINFO = re.compile(r"(://)[^/@]*@")


def public_url(url: str) -> str:
    """``url`` safe to show: a user and password in it (``https://user:pw@host``) are masked."""
    return _USERINFO.sub(r"\1***@", url)


def _prefix(provider: str) -> str:
    return f"{provider}: " if provider else ""


# -- the httpx client ------------------------------------------------------------------------


def new_http_client(kind: type[_H], timeout: TimeoutTypes, transport: Any, proxy: ProxyTypes) -> _H:
    """A new httpx client of ``kind`` (sync or async), its transport checked to be of that kind."""
    wanted = httpx.BaseTransport if kind is httpx.Client else httpx.AsyncBaseTransport
    if transport is not None and not isinstance(transport, wanted):
        raise ValidationError(
            f"transport must be an httpx.{wanted.__name__}, got {type(transport).__name__}"
        )
    checked: Any = transport
    return kind(timeout=timeout, transport=checked, proxy=proxy)


def open_http_client(
    factory: Any,
    http_client: _H | None,
    *,
    timeout: TimeoutTypes | UseClientDefault,
    default_timeout: TimeoutTypes,
    transport: Any,
    proxy: ProxyTypes,
    provider: str = "",
) -> tuple[_H, bool]:
    """The httpx client to send through, and whether the caller owns it (must close it).

    ``factory(timeout, transport, proxy)`` builds one when none is given; an injected client
    carries its own transport and proxy, so giving them beside it is refused.
    """
    if http_client is not None:
        if transport is not None or proxy is not None:
            raise ValidationError(
                f"{_prefix(provider)}give transport= and proxy= to the http_client you pass, "
                "not beside it"
            )
        return http_client, False
    try:
        made: _H = factory(
            default_timeout if isinstance(timeout, UseClientDefault) else timeout, transport, proxy
        )
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        if isinstance(exc, ValidationError):  # ours (the transport's kind): name the provider
            raise ValidationError(f"{_prefix(provider)}{exc}") from None
        # httpx's own check of proxy= or timeout=, without the proxy's password.
        raise ValidationError(
            f"{_prefix(provider)}{public_url(str(exc))} (check proxy= and timeout=)"
        ) from None
    return made, True


# -- retries and timeouts --------------------------------------------------------------------


def retry_policy(max_retries: int, given: RetryPolicy | None) -> RetryPolicy:
    """The client's policy: ``given`` (or the default one), an explicit ``max_retries`` winning
    over the one inside it. RetryPolicy validates max_retries (an integer >= 0)."""
    if given is None:
        return RetryPolicy(max_retries=max_retries)
    if max_retries != DEFAULT_MAX_RETRIES:
        return dataclasses.replace(given, max_retries=max_retries)
    return given


def per_call_policy(policy: RetryPolicy, max_retries: int | UseClientDefault) -> RetryPolicy:
    """The client's policy with one call's ``max_retries=``."""
    if isinstance(max_retries, UseClientDefault) or max_retries == policy.max_retries:
        return policy
    return dataclasses.replace(policy, max_retries=max_retries)


def per_call_timeout(
    timeout: TimeoutTypes | UseClientDefault, client_timeout: TimeoutTypes | UseClientDefault
) -> Any:
    """What to give httpx for one call: its ``timeout=``, else the client's, else httpx's."""
    if isinstance(timeout, UseClientDefault):
        timeout = client_timeout
    return httpx.USE_CLIENT_DEFAULT if isinstance(timeout, UseClientDefault) else timeout


# -- headers ---------------------------------------------------------------------------------


def fold_headers(
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
    folded = fold_headers(base, extra or {})
    return {name: value for name, value in folded.items() if value is not None}


def check_headers(headers: Mapping[str, str | None] | None, provider: str = "") -> None:
    """Refuse, when the client is made, a header httpx would refuse at the first request."""
    if headers is None:
        return
    who = _prefix(provider)
    if not isinstance(headers, Mapping):
        raise ValidationError(
            f"{who}default_headers must be a mapping of names to values, got "
            f"{type(headers).__name__}"
        )
    for name, value in headers.items():
        if not isinstance(name, str) or not name:
            raise ValidationError(
                f"{who}default_headers: a header name must be a string, got {name!r}"
            )
        if value is not None and not isinstance(value, str):
            raise ValidationError(
                f"{who}default_headers[{name!r}] must be a string (or None to drop the header), "
                f"got {type(value).__name__}"
            )


def base_headers(
    *layers: Mapping[str, str | None] | None, user_agent: str | None = None, provider: str = ""
) -> dict[str, str | None]:
    """The headers every request of a client starts from: the library's User-Agent, then each
    layer in turn (the provider's, then the caller's ``default_headers=``), then
    ``user_agent=``. ``None`` values are kept: they remove a header the library would send."""
    if user_agent is not None and (not isinstance(user_agent, str) or not user_agent):
        raise ValidationError(
            f"{_prefix(provider)}user_agent must be a non-empty string, got {user_agent!r}"
        )
    out: dict[str, str | None] = {"User-Agent": f"genai-baseten/{__version__}"}
    for layer in layers:
        check_headers(layer, provider)
        out = fold_headers(out, layer or {})
    if user_agent is not None:
        out = fold_headers(out, {"User-Agent": user_agent})
    return out
