"""Record and replay HTTP traffic for httpx clients, with streams replayed as a network would.

* :class:`Recorder` (needs vcrpy: ``pip install 'genai-baseten[record]'``): one cassette file,
  replayed or recorded; mode from ``mode=`` or the ``RECORD`` environment variable; scrubs
  credentials and noise; refuses to write a cassette holding a key; strict mode.
* :class:`Cassette` and :class:`ReplayTransport` (no vcrpy): load a cassette and serve it to an
  ``httpx.Client`` / ``httpx.AsyncClient``; what ``genai demo`` and ``genai chat --replay`` use.
* a pytest plugin (:mod:`.pytest_plugin`, registered as ``genai_httprecord``): the
  ``genai_recorder`` fixture, ``--record-mode``, the network blocked while replaying.

See docs/record-replay.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cassette import (
        CASSETTE_VERSION,
        Cassette,
        CassetteError,
        Interaction,
        Matcher,
        RecordedRequest,
        RecordedResponse,
        ReplayMismatchError,
        match_json_body,
        match_method,
        match_url,
    )
    from .modes import ENV_VAR, RecordMode, mode_from_env
    from .recorder import Recorder, SecretLeakError, UnplayedInteractionsError
    from .transport import ReplayTransport, split_bytes, split_events

__all__ = [
    "CASSETTE_VERSION",
    "ENV_VAR",
    "Cassette",
    "CassetteError",
    "Interaction",
    "Matcher",
    "RecordMode",
    "RecordedRequest",
    "RecordedResponse",
    "Recorder",
    "ReplayMismatchError",
    "ReplayTransport",
    "SecretLeakError",
    "UnplayedInteractionsError",
    "match_json_body",
    "match_method",
    "match_url",
    "mode_from_env",
    "split_bytes",
    "split_events",
]

# Every name is imported on first use: the pytest plugin lives in this package, and a pytest run
# that never asks for its fixture should not pay for httpx, anyio or vcrpy.
_WHERE = {
    **dict.fromkeys(
        (
            "CASSETTE_VERSION",
            "Cassette",
            "CassetteError",
            "Interaction",
            "Matcher",
            "RecordedRequest",
            "RecordedResponse",
            "ReplayMismatchError",
            "match_json_body",
            "match_method",
            "match_url",
        ),
        "cassette",
    ),
    **dict.fromkeys(("ENV_VAR", "RecordMode", "mode_from_env"), "modes"),
    **dict.fromkeys(("ReplayTransport", "split_bytes", "split_events"), "transport"),
    # These need vcrpy, which replaying a cassette does not.
    **dict.fromkeys(("Recorder", "SecretLeakError", "UnplayedInteractionsError"), "recorder"),
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    except ImportError as exc:
        if module != "recorder" or exc.name not in ("vcr", "yaml", "wrapt"):
            raise
        raise ImportError(
            f"genai_core.httprecord.{name} needs vcrpy; install it with "
            "pip install 'genai-baseten[record]'"
        ) from exc
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
