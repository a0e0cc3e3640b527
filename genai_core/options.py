"""Options of a generation call that every provider understands.

Provider-specific options are separate classes (``genai_baseten.Options``); calls take any number
of option objects, at most one of each class.
"""

# No ``from __future__ import annotations``: see genai_core/types.py.
import typing
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from .errors import NotSupportedError, ValidationError
from .json_schema import type_schema
from .tools import ToolDef
from .types import STRICT_ARBITRARY_CONFIG, _Strict

__all__ = ["GenOption", "TextOptions", "ToolCallRequest", "split_options"]

#: ``auto``: the model decides; ``required``: it must call a tool; ``none``: it must not;
#: any other string: the name of the one tool it must call.
ToolCallRequest = Literal["auto", "required", "none"] | str


class GenOption(_Strict):
    """Base of every option class a ``gen_*`` call accepts."""

    model_config = STRICT_ARBITRARY_CONFIG


class TextOptions(GenOption):
    """Generation options shared by every text model. ``None`` means "the provider's default".

    Ranges are checked here, before any request: temperature 0-100 (providers narrow it
    further), top_p in (0, 1], top_k 1-1024, top_logprobs 0-20, max_tokens >= 1.
    """

    system_prompt: str | None = None
    max_tokens: int | None = Field(default=None, ge=1, le=1 << 30)
    temperature: float | None = Field(default=None, ge=0, le=100)
    top_p: float | None = Field(default=None, gt=0, le=1)
    top_k: int | None = Field(default=None, ge=1, le=1024)
    seed: int | None = Field(default=None, ge=0)
    stop: list[str] | None = None
    top_logprobs: int | None = Field(default=None, ge=0, le=20)
    reply_as_json: bool = False
    decode_as: type[BaseModel] | dict[str, Any] | None = None
    tools: list[ToolDef] = Field(default_factory=list)
    """Tools the model may call: ToolDefs, typed functions or pydantic model classes."""
    tool_call_request: ToolCallRequest | None = None
    parallel_tool_calls: bool | None = None
    think_tags: Literal["auto", "open", "off"] | None = None
    """How to read ``<think>…</think>`` written inline in the answer's text: ``auto`` splits it
    into the reasoning only when the text begins with ``<think>``; ``open`` when the answer
    starts inside the block (the chat template opened it); ``off`` keeps the text as it is.
    None: the provider's default for the model (normally ``auto``)."""

    if TYPE_CHECKING:
        # What type checkers see of the constructor: ``tools`` also takes typed functions and
        # model classes (the validator turns them into ToolDefs), which the field's own type,
        # list[ToolDef], would refuse. Keep in step with the fields (tests/test_options.py).
        def __init__(
            self,
            *,
            system_prompt: str | None = None,
            max_tokens: int | None = None,
            temperature: float | None = None,
            top_p: float | None = None,
            top_k: int | None = None,
            seed: int | None = None,
            stop: list[str] | None = None,
            top_logprobs: int | None = None,
            reply_as_json: bool = False,
            decode_as: type[BaseModel] | dict[str, Any] | None = None,
            tools: Sequence[ToolDef | Callable[..., Any] | type[BaseModel]] = (),
            tool_call_request: ToolCallRequest | None = None,
            parallel_tool_calls: bool | None = None,
            think_tags: Literal["auto", "open", "off"] | None = None,
        ) -> None: ...

    @field_validator("stop")
    @classmethod
    def _check_stop(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and any(not s for s in v):
            raise ValueError("stop sequences must not be empty strings")
        return v

    @field_validator("tools", mode="before")
    @classmethod
    def _coerce_tools(cls, v: Any) -> Any:
        # Plain functions and pydantic model classes become ToolDefs here, so every later step
        # (validation, the request, the tool loop) sees one kind of object.
        if isinstance(v, (list, tuple)):
            return [ToolDef.coerce(t) for t in v]
        if isinstance(v, ToolDef) or callable(v):
            raise ValueError(f"tools is a list: write tools=[{_label(v)}]")
        return v

    @field_validator("decode_as", mode="before")
    @classmethod
    def _check_decode_as(cls, v: Any) -> Any:
        if v is None or isinstance(v, dict):
            return v
        if isinstance(v, type) and issubclass(v, BaseModel):
            return v
        if isinstance(v, type) or typing.get_origin(v) is not None:
            what = f"the class {v.__name__}" if isinstance(v, type) else f"the type {v}"
            hint = (
                "; wrap it in a model (class Answer(BaseModel): value: ...) since structured "
                "output asks for a JSON object, and Result.decode takes the same model"
            )
        else:
            what, hint = type(v).__name__, ""
        raise ValueError(
            f"decode_as takes a pydantic model class or a JSON Schema dict, got {what}{hint}"
        )

    @model_validator(mode="after")
    def _check_combinations(self) -> "TextOptions":
        if self.reply_as_json and self.decode_as is not None:
            raise ValueError(
                "reply_as_json and decode_as exclude each other: decode_as already "
                "asks for JSON, matching the schema"
            )
        names = [t.name for t in self.tools]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate tool names: {', '.join(dupes)}")
        req = self.tool_call_request
        if req is not None and req not in ("auto", "none") and not self.tools:
            raise ValueError(f"tool_call_request={req!r} needs tools")
        if req is not None and req not in ("auto", "required", "none") and req not in names:
            raise ValueError(
                f"tool_call_request names {req!r}, which is not one of the tools "
                f"({', '.join(names)})"
            )
        if self.parallel_tool_calls is not None and not self.tools:
            raise ValueError("parallel_tool_calls needs tools")
        return self

    def decode_schema(self) -> dict[str, Any] | None:
        """The JSON Schema that ``decode_as`` stands for, or None.

        A dict is returned as given. A model's schema is closed and self-contained (``$ref``
        inlined, ``additionalProperties: false`` on every object), as strict structured output
        requires.
        """
        if self.decode_as is None:
            return None
        if isinstance(self.decode_as, dict):
            return self.decode_as
        return type_schema(self.decode_as)[0]


def _label(tool: Any) -> str:
    return str(getattr(tool, "name", None) or getattr(tool, "__name__", None) or "tool")


def split_options(
    options: Iterable[object], accepted: tuple[type[GenOption], ...], provider: str
) -> dict[type[GenOption], GenOption]:
    """Index the option objects of a call by class, rejecting duplicates and foreign options.

    A :class:`GenOption` of a class the provider does not take raises NotSupportedError; any
    other object raises ValidationError.
    """
    out: dict[type[GenOption], GenOption] = {}
    for opt in options:
        if opt is None:
            continue
        if not isinstance(opt, GenOption):
            raise ValidationError(
                f"options must be option objects such as TextOptions, got {type(opt).__name__}"
            )
        cls = next((c for c in accepted if isinstance(opt, c)), None)
        if cls is None:
            raise NotSupportedError(
                f"{provider} does not take {type(opt).__name__}", [type(opt).__name__]
            )
        if cls in out:
            raise ValidationError(f"{cls.__name__} given twice; merge them into one")
        out[cls] = opt
    return out
