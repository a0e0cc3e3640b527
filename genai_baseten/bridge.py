"""The legacy OpenAI bridge (``https://bridge.baseten.co/{model_id}/v1``), sans-IO.

The bridge routes OpenAI chat requests to the production deployment of a dedicated model. Its
answers have documented quirks (docs.baseten.co, "OpenAI bridge"): ``id`` is a random
``chatcmpl-<uuid>`` (requests are stateless), ``usage`` is all zeros (billing is per compute
time, not per token) and ``finish_reason`` may be null. :func:`bridge_result` turns them into
what genai_core uses for "not reported": no id, zero usage counters with no meaning attached,
no finish reason. Never derive cost or limits from a bridge answer.
"""

from __future__ import annotations

import httpx

from genai_core.provider import StreamCore
from genai_core.types import Result, Usage

__all__ = ["BridgeStreamCore", "bridge_result", "is_bridge_url"]

BRIDGE_HOST = "bridge.baseten.co"


def is_bridge_url(url: str) -> bool:
    """Whether ``url`` is on the bridge's host."""
    try:
        return httpx.URL(url).host == BRIDGE_HOST
    except (httpx.InvalidURL, TypeError, ValueError):
        return False


def bridge_result(result: Result) -> Result:
    """``result`` without the bridge's meaningless values: the random id is dropped, and the
    token counters are reset to genai_core's "not reported" (the rate limits and a finish reason
    the bridge did report are kept)."""
    usage = Usage(finish_reason=result.usage.finish_reason, limits=result.usage.limits)
    return result.model_copy(update={"id": None, "usage": usage})


class BridgeStreamCore(StreamCore):
    """A chat stream from the bridge: its Result goes through :func:`bridge_result`."""

    __slots__ = ()

    def result(self) -> Result:
        return bridge_result(super().result())
