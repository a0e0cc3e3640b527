"""A string enum that keeps values it does not know: providers add values before libraries do.

``Status("NEW_VALUE")`` returns a member whose value is ``"NEW_VALUE"`` instead of raising; it
compares equal to the string like every member does. Used by :class:`~genai_core.FinishReason`
and by providers' status enums.
"""

from __future__ import annotations

import enum
from typing import TypeVar

__all__ = ["OpenStrEnum"]

_E = TypeVar("_E", bound="OpenStrEnum")


class OpenStrEnum(str, enum.Enum):
    """Base of string enums whose unknown values are kept verbatim (``_name_`` upper-cased)."""

    @classmethod
    def _missing_(cls: type[_E], value: object) -> _E | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper()
        member._value_ = value
        return member
