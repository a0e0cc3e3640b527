"""Options of the OpenAI chat API that :class:`~genai_core.options.TextOptions` does not name.

:class:`Options` is what every OpenAI-compatible provider takes on top of TextOptions; a
provider's own options class (``genai_baseten.Options``) subclasses it and adds its extensions.
``extra_body`` is the escape hatch for fields nobody modelled yet; :func:`merge_extra_body` is its
one merge rule.
"""

# No ``from __future__ import annotations``: see genai_core/types.py.
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from ..options import GenOption

__all__ = ["Options", "chat_option_fields", "merge_extra_body", "with_extra_body"]


class Options(GenOption):
    """OpenAI chat request fields beyond TextOptions, and two escape hatches.

    ``None`` leaves the server's default. ``extra_body`` is merged into the JSON body last and
    never overwrites a field the library has set (objects are merged key by key with the same
    rule), so it can add ``{"stream_options": {"continuous_usage_stats": True}}`` but cannot
    change ``model`` or ``stream``. ``raw_chunks=True`` keeps every chunk of a stream for
    ``Result.raw`` (a :class:`~genai_core.openai_chat.stream.RawChunks`, decoded on access; off by
    default since it keeps the whole stream's text in memory).
    """

    presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high"] | None = None
    user: str | None = None
    """An id of the end user, for the provider's abuse monitoring."""
    extra_body: dict[str, Any] | None = None
    raw_chunks: bool = False


# Fields of Options sent as they are under the same name.
_PLAIN_FIELDS = ("presence_penalty", "frequency_penalty", "reasoning_effort", "user")


def chat_option_fields(opts: Options) -> dict[str, Any]:
    """The body fields ``opts`` sets (``extra_body`` excepted: it goes last)."""
    return {name: value for name in _PLAIN_FIELDS if (value := getattr(opts, name)) is not None}


def with_extra_body(body: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``body`` with ``extra`` merged by :func:`merge_extra_body`'s rule."""
    out = dict(body)
    merge_extra_body(out, extra)
    return out


def merge_extra_body(body: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """Merge ``extra`` into ``body`` in place; a key already set in ``body`` is never replaced.

    When both sides hold an object under the same key, the objects are merged by the same rule,
    so extra members reach a nested object the library also writes (``stream_options``,
    ``chat_template_args``). Nothing is shared with, or written into, the caller's objects.
    """
    for key, value in extra.items():
        have = body.get(key)
        if key not in body:
            body[key] = _copy(value)
        elif isinstance(have, dict) and isinstance(value, Mapping):
            # Copied first: a nested object may be the caller's own (a decode_as schema).
            body[key] = have = dict(have)
            merge_extra_body(have, value)


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
