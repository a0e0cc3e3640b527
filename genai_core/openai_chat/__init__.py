"""The OpenAI chat wire layer, sans-IO, and the generic ``openaicompatible`` provider on it.

``request`` builds bodies, ``response`` and ``stream`` parse answers, ``embeddings`` and
``ratelimits`` handle their routes and headers, ``client`` is the engine every OpenAI-compatible
provider shares and ``provider`` is that engine with no extensions.

The names below are imported on first use: ``genai_core`` itself imports parts of this package
(the stream parser), and must not pull in the clients with them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .options import Options
    from .provider import AsyncOpenAICompatibleClient, OpenAICompatibleClient

__all__ = ["AsyncOpenAICompatibleClient", "OpenAICompatibleClient", "Options"]

_HOMES = {
    "AsyncOpenAICompatibleClient": ".provider",
    "OpenAICompatibleClient": ".provider",
    "Options": ".options",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
