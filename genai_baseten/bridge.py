"""The legacy OpenAI bridge (``https://bridge.baseten.co/{model_id}/v1``).

The bridge routes OpenAI chat requests to the production deployment of a dedicated model. Its
answers have documented quirks (docs.baseten.co, "OpenAI bridge"): ``id`` is a random
``chatcmpl-<uuid>`` (requests are stateless), ``usage`` is all zeros (billing is per compute
time, not per token) and ``finish_reason`` may be null. :func:`bridge_result` (pure) turns them
into what genai_core uses for "not reported": no id, zero usage counters with no meaning
attached, no finish reason. Never derive cost or limits from a bridge answer.

:class:`BridgeClient` and :class:`AsyncBridgeClient` are Baseten's chat clients with that
applied to every answer, and the token limit sent as ``max_tokens`` (the name the bridge
documents). ``Client.for_target(Target.bridge(model_id), ...)`` returns one.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import httpx

from genai_core.openai_chat.config import ProviderConfig
from genai_core.openai_chat.stream_core import ChatStreamCore as StreamCore
from genai_core.types import Result, Usage

from .client import AsyncClient, Client

__all__ = ["AsyncBridgeClient", "BridgeClient", "BridgeStreamCore", "bridge_result"]


def bridge_result(result: Result) -> Result:
    """``result`` without the bridge's meaningless values: the random id is dropped, and the
    token counters are reset to genai_core's "not reported" (the rate limits and a finish reason
    the bridge did report are kept)."""
    usage = Usage(finish_reason=result.usage.finish_reason, limits=result.usage.limits)
    return result.model_copy(update={"id": None, "usage": usage})


class BridgeStreamCore(StreamCore):
    """Mixed into the engine's stream core (whatever its class): its Result, the one the
    stream returns, attaches to errors and reports to tracing, goes through
    :func:`bridge_result`."""

    __slots__ = ()

    def result(self) -> Result:
        return bridge_result(super().result())


_BRIDGED: dict[type[StreamCore], type[StreamCore]] = {}


def _bridged(core_class: type[StreamCore]) -> type[StreamCore]:
    # Same slots as core_class, so an instance's __class__ can be switched to it.
    found = _BRIDGED.get(core_class)
    if found is None:
        name = f"Bridge{core_class.__name__}"
        found = _BRIDGED[core_class] = type(name, (BridgeStreamCore, core_class), {"__slots__": ()})
    return found


# Baseten's configuration, but the bridge documents only the older name of the token limit.
BRIDGE_CONFIG = dataclasses.replace(
    Client.config, dialect=dataclasses.replace(Client.config.dialect, max_tokens_field="max_tokens")
)


class _Bridge:
    """The bridge's differences, shared by both clients (placed before the client in the MRO)."""

    config: ClassVar[ProviderConfig] = BRIDGE_CONFIG

    def _parse_chat(self, response: httpx.Response, plan: Any) -> Result:
        return bridge_result(super()._parse_chat(response, plan))  # type: ignore[misc]

    def _stream_core(self, response: httpx.Response, plan: Any, call: Any = None) -> StreamCore:
        core: StreamCore = super()._stream_core(response, plan, call)  # type: ignore[misc]
        # The engine's core carries per-call behaviour (prices, tracing); keep it and override
        # only result(), by giving the instance a subclass of its own class.
        core.__class__ = _bridged(type(core))
        return core


class BridgeClient(_Bridge, Client):
    """Baseten's chat client for the legacy bridge: ``base_url`` is
    ``https://bridge.baseten.co/{model_id}/v1`` (``Target.bridge(model_id).openai_base_url()``)."""


class AsyncBridgeClient(_Bridge, AsyncClient):
    """Asynchronous twin of :class:`BridgeClient`."""
