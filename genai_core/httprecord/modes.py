"""Record modes, by argument or from the ``RECORD`` environment variable (no vcrpy needed)."""

from __future__ import annotations

import enum
import os

from ..errors import ValidationError

__all__ = ["ENV_VAR", "RecordMode", "mode_from_env", "parse_mode"]

ENV_VAR = "RECORD"


class RecordMode(str, enum.Enum):
    REPLAY = "replay"
    """Answer from the cassette only; no request reaches the network."""
    NEW = "new"
    """Replay recorded interactions; send and record the others."""
    ALL = "all"
    """Send every request and rewrite the cassette with what comes back."""


_MODE_WORDS = {
    "": RecordMode.REPLAY,
    "0": RecordMode.REPLAY,
    "false": RecordMode.REPLAY,
    "no": RecordMode.REPLAY,
    "none": RecordMode.REPLAY,
    "replay": RecordMode.REPLAY,
    "1": RecordMode.NEW,
    "true": RecordMode.NEW,
    "yes": RecordMode.NEW,
    "new": RecordMode.NEW,
    "new_episodes": RecordMode.NEW,
    "all": RecordMode.ALL,
    "rewrite": RecordMode.ALL,  # pytest-recording's name for it
}


def mode_from_env(value: str | None = None) -> RecordMode:
    """The mode a ``RECORD`` value asks for (``os.environ`` when ``value`` is None)."""
    raw = os.environ.get(ENV_VAR, "") if value is None else value
    return parse_mode(raw, source=f"{ENV_VAR}={raw!r}")


def parse_mode(value: str | RecordMode, *, source: str = "record mode") -> RecordMode:
    if isinstance(value, RecordMode):
        return value
    mode = _MODE_WORDS.get(value.strip().lower())
    if mode is None:
        raise ValidationError(
            f"{source}: not a record mode; use replay (or unset/0), new (or 1) or all"
        )
    return mode
