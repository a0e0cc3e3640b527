"""Baseten (``https://inference.baseten.co/v1`` and dedicated deployments): the generic
``openaicompatible`` provider with Baseten's configuration and extensions, and nothing else:

* auth is ``Authorization: Api-Key <key>`` (Baseten also takes ``Bearer``; ``Api-Key`` works for
  every key type, federated gateway keys included), key from ``BASETEN_API_KEY``;
* the token limit is sent as ``max_completion_tokens``;
* extensions (:class:`~genai_baseten.Options`): ``top_k``, ``min_p``, ``top_p_min``,
  ``repetition_penalty``, ``chat_template_args`` and its ``thinking`` switch (on by default for
  the models listed in :mod:`.thinking`);
* the request id is in ``X-Baseten-Request-Id``;
* each part of a user turn is its own ``user`` message (as the recorded traffic shows), and a
  model takes text and images unless its ``list_models()`` entry lists more input modalities;
* endpoints: Model APIs by default; :func:`deployment_url` for a dedicated deployment's
  OpenAI-compatible routes (chat, models, and ``embed`` on BEI embedding deployments).

Reference: https://docs.baseten.co/reference/inference-api/chat-completions
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, cast

from genai_core.errors import ValidationError
from genai_core.openai_chat.chat_options import Options as ChatOptions
from genai_core.openai_chat.client import ProviderConfig
from genai_core.openai_chat.compatible import AsyncOpenAICompatibleClient, OpenAICompatibleClient
from genai_core.openai_chat.request import ChatDialect, ContentRules
from genai_core.options import GenOption, TextOptions
from genai_core.types import Model

from .baseten_options import Options
from .thinking import thinking_default

if TYPE_CHECKING:
    from scoreboard import ProviderScore, Status

    from .targets import Target

__all__ = ["API_KEY_URL", "BASE_URL", "AsyncClient", "Client", "deployment_url"]

# Model APIs (targets.MODEL_APIS_URL is this): the target parser is loaded on first use.
BASE_URL = "https://inference.baseten.co/v1"
API_KEY_URL = "https://app.baseten.co/settings/api_keys"


def scoreboard() -> ProviderScore:
    """Baseten's capability table (``genai_baseten/scoreboard.json``); entry point of group
    ``genai.scoreboards``."""
    from scoreboard.tables import load_resource

    return load_resource("genai_baseten")


CONFIG = ProviderConfig(
    name="baseten",
    base_url=BASE_URL,
    dialect=ChatDialect(
        provider="baseten",
        max_tokens_field="max_completion_tokens",
        content=ContentRules(
            split_user_parts=True, default_modalities=frozenset({"text", "image"})
        ),
    ),
    env_var="BASETEN_API_KEY",
    key_url=API_KEY_URL,
    auth_scheme="Api-Key",
    request_id_headers=("x-baseten-request-id", "x-request-id"),
    # The generic provider's Options are taken too; genai_baseten.Options has all their fields.
    option_types=(TextOptions, Options, ChatOptions),
    capabilities=scoreboard,
)


def deployment_url(
    model_id: str, *, environment: str | None = None, deployment_id: str | None = None
) -> str:
    """The OpenAI-compatible API root of a dedicated deployment, to pass as ``base_url``.

    ``https://model-{model_id}.api.baseten.co/environments/{environment}/sync/v1`` (production
    by default); with ``deployment_id``, that deployment's ``/deployment/{id}/sync/v1``;
    ``environment="development"`` gives the development deployment's ``/development/sync/v1``.
    The same as ``Target.model(model_id, ...).openai_base_url()``.
    """
    from .targets import Target

    return Target.model(
        model_id, environment=environment, deployment_id=deployment_id
    ).openai_base_url()


def _target_kw(target: Target, kw: dict[str, Any]) -> dict[str, Any]:
    """The constructor arguments with ``base_url`` set from ``target``."""
    if kw.get("base_url") is not None:
        raise ValidationError("for_target() sets base_url from the target; pass only one of them")
    return {**kw, "base_url": target.openai_base_url()}


class _Baseten:
    """Baseten's configuration and request extensions, shared by both clients."""

    config: ClassVar[ProviderConfig] = CONFIG
    _model: str | None
    _known_models: dict[str, Model]

    if TYPE_CHECKING:
        # Baseten's table is a scoreboard.ProviderScore: narrowed for type checkers only, so
        # that the chat engine never imports the scoreboard package.
        def scoreboard(self) -> ProviderScore: ...

        def supports(self, feature: str, mode: str = "sync") -> Status: ...

    def _body_extensions(
        self, body: Mapping[str, Any], options: Mapping[type[GenOption], GenOption]
    ) -> dict[str, Any]:
        # At most one of the two: the engine refuses both in one call.
        opts = options.get(Options)
        if opts is None:
            opts = options.get(ChatOptions)
        assert opts is None or isinstance(opts, ChatOptions)
        fields: dict[str, Any] = {}
        template: dict[str, Any] = {}
        if isinstance(opts, Options):
            if opts.top_k is not None:
                if "top_k" in body and body["top_k"] != opts.top_k:
                    raise ValidationError(
                        f"top_k given twice with different values ({body['top_k']} in "
                        f"TextOptions, {opts.top_k} in baseten.Options)"
                    )
                fields["top_k"] = opts.top_k
            for name in ("min_p", "top_p_min", "repetition_penalty"):
                value = getattr(opts, name)
                if value is not None:
                    fields[name] = value
            template.update(opts.chat_template_args or {})
            if opts.thinking is not None:
                template["enable_thinking"] = opts.thinking
        # The thinking default applies only when the call did not say: not with ``thinking``,
        # nor ``chat_template_args``, nor ``extra_body={"chat_template_args": {"enable_thinking":
        # ...}}`` (extra_body is merged later and never overwrites, so a default set here would
        # silently win over it). See :func:`.thinking.thinking_default` for which models.
        extra = (opts.extra_body or {}) if opts is not None else {}
        extra_template = extra.get("chat_template_args")
        if (
            "enable_thinking" not in template
            and not (isinstance(extra_template, Mapping) and "enable_thinking" in extra_template)
            and self._model
            and thinking_default(self._model, self._known_models)
        ):
            template["enable_thinking"] = True
        if template:
            fields["chat_template_args"] = template
        return fields


class Client(_Baseten, OpenAICompatibleClient):
    """Synchronous Baseten client: an OpenAICompatibleClient configured for Baseten.

    ::

        client = genai_baseten.Client(model="openai/gpt-oss-120b")  # key from BASETEN_API_KEY
        result = client.gen_sync([genai.Message.user("Say hello")])

    ``model="sota" | "good" | "cheap"`` picks the newest model of the family the scoreboard marks
    with that tier, from the model list (``models=``, or one ``list_models()`` on the first
    request or :meth:`resolve_model`). :meth:`scoreboard` is Baseten's capability table and
    :meth:`supports` the status of one feature for the client's model.
    """

    @classmethod
    def for_target(cls, target: Target | str, model: str | None = None, **kw: Any) -> Client:
        """A client whose calls go to ``target``: a :class:`Target` (Model APIs, a dedicated
        model's environment or deployment, the legacy bridge) or a Baseten URL as pasted; the
        other arguments are the constructor's (``base_url`` comes from the target). For the
        bridge, the client is a :class:`~genai_baseten.bridge.BridgeClient` (or its async twin),
        which drops the bridge's meaningless answer fields."""
        return cast(Client, _for_target(cls, Client, target, model, kw))


class AsyncClient(_Baseten, AsyncOpenAICompatibleClient):
    """Asynchronous Baseten client: the arguments of :class:`Client`, an httpx.AsyncClient."""

    @classmethod
    def for_target(cls, target: Target | str, model: str | None = None, **kw: Any) -> AsyncClient:
        """A client whose calls go to ``target``; see :meth:`Client.for_target` (for the bridge,
        an :class:`~genai_baseten.bridge.AsyncBridgeClient`)."""
        return cast(AsyncClient, _for_target(cls, AsyncClient, target, model, kw))


def _for_target(
    cls: type[Any], plain: type[Any], target: Target | str, model: str | None, kw: dict[str, Any]
) -> Any:
    """``cls`` built for ``target``; the bridge gets the bridge twin of the plain client class
    (a subclass of it asked for the bridge keeps its own class)."""
    from .targets import Target  # the URL parser: loaded on first use

    where = Target.of(target)
    if where.kind == "bridge" and cls is plain:
        from . import bridge

        cls = bridge.BridgeClient if plain is Client else bridge.AsyncBridgeClient
    return cls(model, **_target_kw(where, kw))
