"""The ``openaicompatible`` provider: any server that speaks OpenAI's chat completions API.

A local vLLM, SGLang, llama.cpp or Ollama server, a gateway such as LiteLLM's proxy or
OpenRouter, OpenAI itself: give the API root and, when the server wants one, a key::

    client = OpenAICompatibleClient(base_url="http://localhost:8000/v1", model="qwen3-8b")
    client = genai_core.get_provider("openaicompatible", base_url=..., model=...)

It is the chat engine of :mod:`genai_core.openai_chat.client` with nothing added:

* ``base_url`` is required (a trailing ``/chat/completions`` or ``/`` is dropped);
* ``api_key`` is sent as ``Authorization: Bearer <key>``; without one no auth header is sent.
  No environment variable is read unless named with ``api_key_env=``: reading
  ``OPENAI_API_KEY`` by default would hand an OpenAI key to whatever server ``base_url`` names;
* calls take :class:`~genai_core.TextOptions` and :class:`~genai_core.openai_chat.Options`
  (penalties, ``reasoning_effort``, ``user``, ``extra_body``, ``raw_chunks``);
* ``gen_sync``, ``gen_stream``, ``list_models`` and ``embed`` (``POST /embeddings``).

Providers with extensions subclass these clients and change :attr:`config`
(``genai_baseten.Client`` does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ..options import TextOptions
from .chat_options import Options
from .client import AsyncChatClient, ChatClient, ProviderConfig
from .request import ChatDialect

if TYPE_CHECKING:
    from ..registry import Registrar

__all__ = ["CONFIG", "NAME", "AsyncOpenAICompatibleClient", "OpenAICompatibleClient", "register"]

NAME = "openaicompatible"

CONFIG = ProviderConfig(
    name=NAME,
    base_url="",
    dialect=ChatDialect(provider=NAME),
    env_var=None,
    key_required=False,
    auth_scheme="Bearer",
    request_id_headers=("x-request-id",),
    option_types=(TextOptions, Options),
)


class OpenAICompatibleClient(ChatClient):
    """Synchronous client of an OpenAI-compatible server.

    ::

        with OpenAICompatibleClient(base_url="http://localhost:8000/v1", model="m") as client:
            result = client.gen_sync([genai.Message.user("Say hello")])

    Keyword arguments: ``api_key``, ``api_key_env``, ``default_headers`` (merged over the
    defaults; ``None`` as a value drops a header), ``user_agent``, ``timeout``, ``max_retries``
    (0: one attempt), ``http_client`` (an ``httpx.Client`` of yours, left open) or ``transport``
    and ``proxy`` (given to the httpx client created here), ``auth_scheme``, ``retry_policy``,
    ``model_info`` (what the model takes, when known) and ``models`` (a model list fetched
    earlier, read for the same facts).
    """

    config: ClassVar[ProviderConfig] = CONFIG


class AsyncOpenAICompatibleClient(AsyncChatClient):
    """Asynchronous client of an OpenAI-compatible server; the arguments of the sync one."""

    config: ClassVar[ProviderConfig] = CONFIG


def register(registrar: Registrar) -> None:
    """Entry point of group ``genai.providers``: registers ``openaicompatible``."""
    from ..registry import ProviderDefaults

    # No default model, key variable or URL: each server behind this provider has its own.
    defaults = ProviderDefaults(options=Options)
    registrar.register(NAME, OpenAICompatibleClient, AsyncOpenAICompatibleClient, defaults=defaults)
