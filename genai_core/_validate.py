"""Checks of a client's arguments made before anything is sent: pure functions.

Each raises :class:`~genai_core.errors.ValidationError` naming the argument and what to pass, so
that bad input never reaches the network nor escapes as a ``TypeError`` from deep inside.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from .errors import RequestTooLargeError, ValidationError

__all__ = [
    "DEFAULT_MAX_REQUEST_BYTES",
    "check_max_request_bytes",
    "check_messages",
    "check_model",
    "check_request_size",
    "check_timeout",
    "non_json_path",
]

DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024
"""The largest request body sent by default: 32 MiB.

Baseten's reference documents no body limit for Model APIs; 32 MiB holds a long conversation with
several inline images or a large PDF (base64 adds a third), and stops a runaway input (a video
or a file read by mistake) before minutes of upload end in a 413.
"""

_TIMEOUT_FIELDS = ("connect", "read", "write", "pool")


def _positive_seconds(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def check_timeout(value: object, argument: str = "timeout") -> None:
    """``value`` must be None (no timeout), seconds > 0, or an :class:`httpx.Timeout` whose
    phases are each None or seconds > 0."""
    if value is None or _positive_seconds(value):
        return
    if isinstance(value, httpx.Timeout):
        bad = [
            f"{name}={getattr(value, name)!r}"
            for name in _TIMEOUT_FIELDS
            if getattr(value, name) is not None and not _positive_seconds(getattr(value, name))
        ]
        if not bad:
            return
        shown = ", ".join(bad)
    else:
        shown = repr(value) if isinstance(value, (int, float, str)) else type(value).__name__
    raise ValidationError(
        f"{argument} must be a number of seconds > 0, an httpx.Timeout, or None for no "
        f"timeout; got {shown}"
    )


def check_model(value: object, argument: str = "model") -> None:
    """A model id is a non-empty string without whitespace (``"openai/gpt-oss-120b"``)."""
    if value is None:
        return
    if not isinstance(value, str):
        raise ValidationError(f"{argument} must be a string, got {type(value).__name__}")
    if not value:
        raise ValidationError(f"{argument} is empty: pass a model id, or leave {argument} out")
    if any(c.isspace() for c in value):
        raise ValidationError(
            f"{argument} {value[:100]!r} contains whitespace: model ids have none "
            "(strip it, or check for a stray newline from a file or variable)"
        )


def check_messages(messages: object) -> None:
    """``messages`` must be one Message or a list (or tuple) of them; items are checked later."""
    if type(messages) is list:  # the usual case, and never a Message
        return
    from .types import Message

    if isinstance(messages, Message):
        return
    if isinstance(messages, (str, bytes, Mapping)) or not isinstance(messages, Sequence):
        name = type(messages).__name__
        article = "an" if name[:1].lower() in "aeiou" else "a"
        raise ValidationError(
            f"messages must be a Message or a list of Message objects, got {article} {name}: "
            "pass [Message.user(...)]"
        )


def check_max_request_bytes(value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationError(
            f"max_request_bytes must be an integer > 0 (bytes), or None for no limit; got {value!r}"
        )


def check_request_size(size: int, limit: int | None, provider: str) -> None:
    """Refuse a request body of ``size`` bytes above ``limit`` (None: no limit)."""
    if limit is not None and size > limit:
        raise RequestTooLargeError(
            f"{provider}: the request body is {size:,} bytes, above the limit of {limit:,} "
            "bytes (max_request_bytes=); send large documents by URL, make them smaller, or "
            "raise max_request_bytes",
            size=size,
            limit=limit,
        )


def non_json_path(value: Any, where: str = "") -> tuple[str, str] | None:
    """Where ``value`` holds something JSON cannot encode, and its type: ``("tools[0].x",
    "set")``; None when it is all JSON (dicts with string keys, lists, tuples, str, int, float,
    bool, None)."""
    if value is None or isinstance(value, (str, bool, int)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else (where or "$", repr(value))
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                return (f"{where}[{key!r}]" if where else f"[{key!r}]", f"{type(key).__name__} key")
            found = non_json_path(item, f"{where}.{key}" if where else str(key))
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = non_json_path(item, f"{where}[{i}]")
            if found:
                return found
        return None
    return (where or "$", type(value).__name__)
