"""Tool definitions: what the model may call, described by a JSON Schema."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import Field, field_validator

from .types import STRICT_ARBITRARY_CONFIG, _Strict

__all__ = ["TOOL_NAME_PATTERN", "ToolDef"]

#: What every provider we know accepts as a function name.
TOOL_NAME_PATTERN = re.compile(r"[a-zA-Z0-9_-]{1,64}")

_EMPTY_OBJECT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {},
    "additionalProperties": False,
}


class ToolDef(_Strict):
    """A tool the model may call.

    ``parameters`` is the JSON Schema of the arguments object, sent as is; ``callback`` is the
    local function that runs the call (optional: a definition without one can still be offered
    to the model, and the caller handles the calls).
    """

    model_config = STRICT_ARBITRARY_CONFIG

    name: str
    description: str
    parameters: dict[str, Any] = Field(default_factory=lambda: dict(_EMPTY_OBJECT_SCHEMA))
    callback: Callable[..., Any] | None = Field(default=None, repr=False, exclude=True)

    @field_validator("name")
    @classmethod
    def _check_name(cls, v: str) -> str:
        if not TOOL_NAME_PATTERN.fullmatch(v):
            raise ValueError(
                f"tool name {v!r} must be 1 to 64 letters, digits, '_' or '-' (providers reject "
                "anything else)"
            )
        return v

    @field_validator("description")
    @classmethod
    def _check_description(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("a tool needs a description: it is how the model decides to call it")
        return v

    @field_validator("parameters")
    @classmethod
    def _check_parameters(cls, v: dict[str, Any]) -> dict[str, Any]:
        if v.get("type", "object") != "object":
            raise ValueError("the parameters schema must describe a JSON object")
        return v
