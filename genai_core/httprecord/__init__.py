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

from typing import TYPE_CHECKING, Any

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
from .transport import ReplayTransport, split_bytes, split_events

if TYPE_CHECKING:
    from .recorder import Recorder, SecretLeakError, UnplayedInteractionsError

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

# Imported on first use: they need vcrpy, which replaying a cassette does not.
_LAZY = {"Recorder", "SecretLeakError", "UnplayedInteractionsError"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        try:
            from . import recorder
        except ImportError as exc:
            if exc.name not in ("vcr", "yaml", "wrapt"):
                raise
            raise ImportError(
                f"genai_core.httprecord.{name} needs vcrpy; install it with "
                "pip install 'genai-baseten[record]'"
            ) from exc
        return getattr(recorder, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
