"""Baseten Model APIs (``https://inference.baseten.co/v1``): an OpenAI-compatible chat API.

What differs from the generic OpenAI-compatible provider, and nothing else, is here:

* auth is ``Authorization: Api-Key <key>`` (Baseten also takes ``Bearer``; ``Api-Key`` works for
  every key type, federated gateway keys included), key from ``BASETEN_API_KEY``;
* the token limit is sent as ``max_completion_tokens``;
* extensions: ``top_k``, ``min_p``, penalties, ``reasoning_effort``, ``chat_template_args``
  (thinking switch, on by default for the models listed in :mod:`.thinking`);
* the request id is in ``X-Baseten-Request-Id``.

Reference: https://docs.baseten.co/reference/inference-api/chat-completions
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from genai_core.errors import ValidationError
from genai_core.openai_chat.client import AsyncChatClient, ChatClient, ProviderConfig
from genai_core.openai_chat.request import ChatDialect
from genai_core.options import GenOption, TextOptions
from genai_core.types import Model

from .options import Options
from .thinking import thinking_default

__all__ = ["API_KEY_URL", "BASE_URL", "AsyncClient", "Client"]

BASE_URL = "https://inference.baseten.co/v1"
API_KEY_URL = "https://app.baseten.co/settings/api_keys"

CONFIG = ProviderConfig(
    name="baseten",
    base_url=BASE_URL,
    dialect=ChatDialect(provider="baseten", max_tokens_field="max_completion_tokens"),
    env_var="BASETEN_API_KEY",
    key_url=API_KEY_URL,
    auth_scheme="Api-Key",
    request_id_headers=("x-baseten-request-id", "x-request-id"),
    option_types=(TextOptions, Options),
)


class _Baseten:
    """Baseten's configuration and request extensions, shared by both clients."""

    config: ClassVar[ProviderConfig] = CONFIG
    _model: str | None
    _known_models: dict[str, Model]

    def _extend_body(
        self, body: dict[str, Any], options: Mapping[type[GenOption], GenOption]
    ) -> None:
        opts = options.get(Options)
        if opts is None:
            self._thinking_default(body, {})
            return
        assert isinstance(opts, Options)
        if opts.top_k is not None:
            if "top_k" in body and body["top_k"] != opts.top_k:
                raise ValidationError(
                    f"top_k given twice with different values ({body['top_k']} in TextOptions, "
                    f"{opts.top_k} in baseten.Options)"
                )
            body["top_k"] = opts.top_k
        for name in (
            "min_p",
            "top_p_min",
            "repetition_penalty",
            "presence_penalty",
            "frequency_penalty",
            "reasoning_effort",
        ):
            value = getattr(opts, name)
            if value is not None:
                body[name] = value
        template = dict(opts.chat_template_args or {})
        if opts.thinking is not None:
            template["enable_thinking"] = opts.thinking
        self._thinking_default(body, template)
        for key, value in (opts.extra_body or {}).items():
            body.setdefault(key, value)

    def _thinking_default(self, body: dict[str, Any], template: dict[str, Any]) -> None:
        """Set ``chat_template_args``; switch thinking on when the call did not say and the
        model thinks by default (see :func:`.thinking.thinking_default`)."""
        if (
            "enable_thinking" not in template
            and self._model
            and thinking_default(self._model, self._known_models)
        ):
            template["enable_thinking"] = True
        if template:
            body["chat_template_args"] = template


class Client(_Baseten, ChatClient):
    """Synchronous Baseten client.

    ::

        client = genai_baseten.Client(model="openai/gpt-oss-120b")  # key from BASETEN_API_KEY
        result = client.gen_sync([genai.Message.user("Say hello")])
    """


class AsyncClient(_Baseten, AsyncChatClient):
    """Asynchronous Baseten client: the arguments of :class:`Client`, an httpx.AsyncClient."""
