"""``x-ratelimit-*`` response headers → :class:`~genai_core.types.RateLimit`; no I/O.

Servers name the same facts in a few ways; all are read:

* OpenAI, Groq, vLLM-based gateways: ``x-ratelimit-{limit,remaining,reset}-{requests,tokens}``,
  the reset as a Go-style duration (``"1s"``, ``"6m0s"``, ``"2m59.56s"``, ``"6ms"``).
* Cerebras: the same with the period appended (``x-ratelimit-limit-tokens-minute``,
  ``x-ratelimit-reset-requests-day``), the reset in seconds (``"33011.38"``).
* OpenRouter, Together: ``x-ratelimit-{limit,remaining,reset}`` with no kind (requests are
  meant), the reset as epoch milliseconds, epoch seconds or seconds from now.

A reset is turned into the moment it happens (``now`` plus the delay, or the epoch given). A plain
number is read as epoch milliseconds from 10^12 up, epoch seconds from 10^9 up (both are after
2001), and seconds from now below that. A limit is reported only when both its ``limit`` and
``remaining`` headers are integers; a reset that cannot be read is reported as None. Nothing here
raises: a server's odd header never fails a call that succeeded.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from ..http import non_negative_float
from ..types import RateLimit, trusted

__all__ = ["parse_duration", "parse_rate_limits", "parse_reset"]

_HEADER = re.compile(
    r"x-ratelimit-(limit|remaining|reset)(?:-(requests|tokens))?"
    r"(?:-(second|minute|hour|day|month))?"
)
# Periods RateLimit names; an hour or a second is reported as "other".
_PERIODS = {"minute": "minute", "day": "day", "month": "month"}
_DURATION = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_EPOCH_MS = 1e12
_EPOCH_S = 1e9
_KIND_ORDER = {"requests": 0, "tokens": 1}
_PERIOD_ORDER = {"minute": 0, "day": 1, "month": 2, "other": 3}


def parse_duration(text: str) -> float | None:
    """Seconds in a Go-style duration (``"1m30s"``, ``"6ms"``, ``"2m59.56s"``); None if not one."""
    text = text.strip()
    if not text or _DURATION.sub("", text):
        return None
    total = 0.0
    for piece in _DURATION.findall(text):
        unit = piece.lstrip("0123456789.")
        total += float(piece[: len(piece) - len(unit)]) * _UNIT_SECONDS[unit]
    return total


def parse_reset(text: str, now: float) -> datetime | None:
    """When a limit resets (UTC), from a duration, a number or an ISO 8601 time; else None."""
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        delay = parse_duration(text)
        return _iso_time(text) if delay is None else _at(now + delay)
    if not math.isfinite(value) or value < 0:
        return None
    if value >= _EPOCH_MS:
        return _at(value / 1000.0)
    if value >= _EPOCH_S:
        return _at(value)
    return _at(now + value)


def _at(epoch: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(epoch, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _iso_time(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def _count(text: str) -> int | None:
    value = non_negative_float(text)
    return None if value is None else int(value)


def parse_rate_limits(headers: Mapping[str, str], now: float) -> list[RateLimit]:
    """The rate limits stated in ``headers`` (names are case-insensitive), requests first.

    ``now`` is the current time in epoch seconds, from which relative resets are measured.
    """
    groups: dict[tuple[str, str], dict[str, str]] = {}
    for name, value in headers.items():
        lowered = name.lower()
        if not lowered.startswith("x-ratelimit-"):
            continue
        m = _HEADER.fullmatch(lowered)
        if m is None:
            continue
        field, kind, period = m.groups()
        key = (kind or "requests", _PERIODS.get(period or "", "other"))
        groups.setdefault(key, {})[field] = value
    out: list[RateLimit] = []
    for (kind, period), fields in sorted(
        groups.items(), key=lambda kv: (_KIND_ORDER[kv[0][0]], _PERIOD_ORDER[kv[0][1]])
    ):
        limit = _count(fields.get("limit", ""))
        remaining = _count(fields.get("remaining", ""))
        if limit is None or remaining is None:
            continue
        reset_text = fields.get("reset")
        values: dict[str, Any] = {
            "kind": kind,
            "period": period,
            "limit": limit,
            "remaining": remaining,
            "reset": parse_reset(reset_text, now) if reset_text else None,
        }
        out.append(trusted(RateLimit, **values))
    return out
