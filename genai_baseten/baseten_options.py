"""Baseten's extensions to the OpenAI chat request."""

# No ``from __future__ import annotations``: see genai_core/types.py.
from typing import Any, Literal

from pydantic import Field, model_validator

from genai_core.openai_chat.chat_options import Options as ChatOptions

__all__ = ["Options"]


class Options(ChatOptions):
    """Options of Baseten's Model APIs: the OpenAI ones (penalties, ``reasoning_effort``,
    ``user``, ``extra_body``, ``raw_chunks``) plus Baseten's sampling extensions. ``None`` leaves
    the server's default.

    ``thinking`` switches reasoning on or off for models whose chat template has the switch
    (sent as ``chat_template_args.enable_thinking``); left as None, models known to think by
    default (GLM, Kimi K2.5+, or listed with the ``reasoning`` feature) get it switched on, see
    :mod:`genai_baseten.thinking`. ``reasoning_effort`` is for models that take it (gpt-oss).
    ``extra_body`` is merged into the request last and never overwrites a field the library has
    set.
    """

    top_k: int | None = Field(default=None, ge=-1)
    """Sample from the k most likely tokens; -1 disables (server default 50)."""
    min_p: float | None = Field(default=None, ge=0, le=1)
    top_p_min: float | None = Field(default=None, ge=0, le=1)
    repetition_penalty: float | None = Field(default=None, gt=0)
    thinking: bool | None = None
    reasoning_effort: Literal["low", "medium", "high"] | None = None
    chat_template_args: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _check_thinking(self) -> "Options":
        if self.thinking is False and self.reasoning_effort is not None:
            raise ValueError(
                f"thinking=False with reasoning_effort={self.reasoning_effort!r}: an effort only "
                "means something when the model reasons; drop one of them"
            )
        template = self.chat_template_args or {}
        if (
            self.thinking is not None
            and "enable_thinking" in template
            and template["enable_thinking"] != self.thinking
        ):
            raise ValueError(
                "thinking and chat_template_args['enable_thinking'] disagree; give one of them"
            )
        return self
