"""A chat client's configuration: what makes a provider (:class:`ProviderConfig`) and what one
client was built with (:class:`ClientSettings`), every argument checked here, once, with one
error style: a :class:`~genai_core.errors.ValidationError` that names the provider, the argument
and what to pass. Nothing here sends a request or holds an httpx client.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import httpx

from .._validate import check_max_request_bytes, check_model, check_timeout
from ..capabilities import TableSource, TierChoice, tier_of
from ..errors import ValidationError
from ..http import RetryPolicy, check_api_key, deadline_seconds
from ..http_setup import (
    TimeoutTypes,
    UseClientDefault,
    base_headers,
    public_url,
    retry_policy,
)
from ..options import GenOption, TextOptions
from ..types import Model
from .chat_options import Options
from .error_body import excerpt
from .request import ChatDialect

__all__ = [
    "APIKey",
    "ClientSettings",
    "ProviderConfig",
    "check_models",
    "configure",
    "normalize_base_url",
]

_SCHEMES = ("http", "https")


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


class APIKey:
    """The client's API key, where it came from, and whether one is needed; never shown."""

    __slots__ = ("env_var", "required", "value")

    def __init__(self, value: str | None, env_var: str | None, required: bool) -> None:
        self.value = value
        self.env_var = env_var
        self.required = required

    def __repr__(self) -> str:
        return f"APIKey({'set' if self.value else 'missing'}, env_var={self.env_var!r})"


@dataclass(frozen=True, repr=False)
class ClientSettings:
    """Everything one client was built with, checked. The API key is kept out of the repr."""

    model: str | None
    """The model id; None for a tier not picked yet (``choice``)."""
    choice: TierChoice | None
    """``model="sota" | "good" | "cheap"`` on a provider with a scoreboard: the tier's state."""
    model_info: Model | None
    key: APIKey
    base_url: str
    auth_scheme: str | None
    policy: RetryPolicy
    timeout: TimeoutTypes | UseClientDefault
    deadline: float | None
    """Total seconds per call (retries and the whole body included); None for none."""
    max_request_bytes: int | None
    headers: dict[str, str | None]
    """Sent with every request; a None value removes a header the library would send."""

    def __repr__(self) -> str:
        key = "set" if self.key.value else "missing"
        return f"ClientSettings(model={self.model!r}, base_url={self.base_url!r}, api_key={key})"


def configure(
    config: ProviderConfig,
    *,
    model: str | None,
    api_key: str | None,
    api_key_env: str | UseClientDefault | None,
    base_url: str | None,
    auth_scheme: str | UseClientDefault | None,
    max_retries: int,
    retry_policy_: RetryPolicy | None,
    timeout: TimeoutTypes | UseClientDefault,
    deadline: float | None,
    max_request_bytes: int | None,
    default_headers: Mapping[str, str | None] | None,
    user_agent: str | None,
    model_info: Model | None,
) -> ClientSettings:
    """Check every construction argument of a chat client and settle what it means."""
    name = config.name
    check_model(model)
    if not isinstance(timeout, UseClientDefault):
        check_timeout(timeout)
    check_max_request_bytes(max_request_bytes)
    # model="sota" | "good" | "cheap" (any case) on a provider with a scoreboard names a tier:
    # the model is picked from the provider's model list when first needed.
    tier = tier_of(model) if config.capabilities is not None else None
    choice = TierChoice(tier) if tier is not None else None
    if choice is not None:
        if model_info is not None:
            raise ValidationError(
                f"{name}: model_info= describes one model, but model={model!r} is a tier "
                "picked at run time; pass the model id with model_info=, or drop model_info="
            )
        model = None
    model_info = _check_model_info(model_info, model or None, name)
    key = _api_key(config, api_key, api_key_env)
    url = _base_url(config, base_url)
    scheme = config.auth_scheme if isinstance(auth_scheme, UseClientDefault) else auth_scheme
    if key.value and scheme and httpx.URL(url).userinfo:
        # httpx turns a user and password in the URL into Basic auth, which would silently
        # replace the key's Authorization header.
        raise ValidationError(
            f"{name}: base_url {public_url(url)!r} holds a user and password, sent as Basic "
            "auth in the Authorization header the API key also needs; give one of them (or "
            "auth_scheme=None to send only the URL's)"
        )
    return ClientSettings(
        model=(model or None) or (model_info.id if model_info is not None else None),
        choice=choice,
        model_info=model_info,
        key=key,
        base_url=url,
        auth_scheme=scheme,
        policy=retry_policy(max_retries, retry_policy_),
        timeout=timeout,
        deadline=deadline_seconds(deadline),
        max_request_bytes=max_request_bytes,
        headers=base_headers(
            config.extra_headers, default_headers, user_agent=user_agent, provider=name
        ),
    )


def _base_url(config: ProviderConfig, given: str | None) -> str:
    url = given if given is not None else config.base_url
    if not url:
        raise ValidationError(
            f"{config.name}: base_url is required: the API root of the server, such as "
            "'http://localhost:8000/v1'"
        )
    return normalize_base_url(url, config.name)


def _api_key(
    config: ProviderConfig, api_key: str | None, api_key_env: str | UseClientDefault | None
) -> APIKey:
    env_var = config.env_var if isinstance(api_key_env, UseClientDefault) else api_key_env
    # Naming a variable says a key is expected: its absence is an error, not "no auth".
    required = config.key_required or (
        not isinstance(api_key_env, UseClientDefault) and bool(api_key_env)
    )
    if api_key is not None and not isinstance(api_key, str):
        raise ValidationError(
            f"{config.name}: api_key must be a string, got {type(api_key).__name__}"
        )
    if api_key is None and env_var:
        api_key = os.environ.get(env_var) or None
    check_api_key(api_key or None, config.name)
    return APIKey(api_key or None, env_var, required)


def check_models(given: Iterable[Model | str], provider: str) -> list[Model]:
    """``models=``: Model objects or bare ids (a model known by its id alone: enough to pick a
    tier, nothing to learn defaults from)."""
    models: list[Model] = []
    for item in given:
        m = Model(id=item.strip()) if isinstance(item, str) and item.strip() else item
        if not isinstance(m, Model):
            raise ValidationError(
                f"{provider}: models= takes Model objects or model ids, got {type(m).__name__}"
            )
        models.append(m)
    return models


def _check_model_info(info: Model | None, model: str | None, provider: str) -> Model | None:
    if info is None:
        return None
    if not isinstance(info, Model):
        raise ValidationError(f"{provider}: model_info must be a Model, got {type(info).__name__}")
    if model is not None and info.id != model:
        raise ValidationError(
            f"{provider}: model_info describes {info.id!r}, but the model is {model!r}"
        )
    return info
