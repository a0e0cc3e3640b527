"""Tool definitions: what the model may call, described by a JSON Schema.

A :class:`ToolDef` is built three ways:

* ``ToolDef.from_function(fn)``: from a typed function, sync or async. The parameters' type hints
  give the schema (pydantic types, ``Annotated[..., Field(description=...)]``, ``Literal``, enums,
  lists, nested models, optional parameters with defaults), the docstring gives the description,
  and an ``Args:`` (Google), ``:param x:`` (Sphinx) or ``Parameters`` (NumPy) section gives the
  parameters' descriptions. A function whose only parameter is a pydantic model takes the
  model's fields as its arguments (no wrapping object).
* ``ToolDef.from_model(Model, callback=...)``: the arguments are the fields of a pydantic model;
  the callback receives the validated instance.
* ``ToolDef(name=..., description=..., parameters={...})``: a hand-written JSON Schema; the
  arguments decode to a dict.

Schemas are closed and self-contained (see :mod:`genai_core.json_schema`). Arguments decode
strictly: :meth:`ToolDef.parse_arguments` raises :class:`~genai_core.errors.ToolArgumentsError`
naming the tool and the field, never a crash.
"""

# No ``from __future__ import annotations``: see genai_core/types.py.
import functools
import inspect
import json
import re
import typing
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import pydantic
import pydantic_core
from pydantic import BaseModel, Field, PrivateAttr, field_validator

from ._validate import non_json_path
from .errors import ToolArgumentsError, ToolExecutionError, ValidationError
from .json_schema import excerpt, type_schema, validate_json
from .types import STRICT_ARBITRARY_CONFIG, ToolCall, _Strict

__all__ = ["TOOL_NAME_PATTERN", "ToolDef", "tool_output_text"]

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
    to the model, and the caller handles the calls). Definitions built by :meth:`from_function`
    or :meth:`from_model` also keep the Python input type, used by :meth:`parse_arguments`; it
    takes no part in equality or serialisation.
    """

    model_config = STRICT_ARBITRARY_CONFIG

    name: str
    description: str
    parameters: dict[str, Any] = Field(default_factory=lambda: dict(_EMPTY_OBJECT_SCHEMA))
    callback: Callable[..., Any] | None = Field(default=None, repr=False, exclude=True)

    # How a decoded input reaches the callback: "dict" (the JSON object itself, for a
    # hand-written schema), "model" (the instance, for from_model and single-model functions)
    # or "kwargs" (by parameter name). A single-model function gets the instance by the name of
    # its parameter (_model_param); from_model's callback gets it positionally.
    _input: pydantic.TypeAdapter[Any] | None = PrivateAttr(default=None)
    _input_type: Any = PrivateAttr(default=None)
    _pass_as: Literal["dict", "model", "kwargs"] = PrivateAttr(default="dict")
    _model_param: str | None = PrivateAttr(default=None)

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
        found = non_json_path(v)
        if found is not None:
            # Caught here, not when the request is encoded, so the error names the tool.
            path, kind = found
            raise ValueError(
                f"parameters.{path} is a {kind}, which JSON cannot hold; use a list, dict, "
                "string, number, bool or None"
            )
        return v

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ToolDef):
            return NotImplemented
        return (self.name, self.description, self.parameters, self.callback) == (
            other.name,
            other.description,
            other.parameters,
            other.callback,
        )

    __hash__ = None  # type: ignore[assignment]

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def from_function(
        cls,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> "ToolDef":
        """A tool that runs ``fn`` (sync or async); see the module docstring for the rules.

        Raises ValidationError when ``fn`` cannot be described: a parameter without a type hint,
        ``*args``/``**kwargs``, a name that is not a valid tool name (pass ``name=``), or no
        docstring (pass ``description=``).
        """
        if not callable(fn) or isinstance(fn, type):
            raise ValidationError(
                f"from_function takes a function, got {_describe(fn)}; for a pydantic model "
                "use ToolDef.from_model"
            )
        inner = fn
        while isinstance(inner, functools.partial):
            inner = inner.func  # a partial is named and documented by its function
        label = getattr(inner, "__name__", None) or type(inner).__name__
        tool_name = name or label
        if name is None and not TOOL_NAME_PATTERN.fullmatch(tool_name):
            raise ValidationError(
                f"the function name {tool_name!r} is not a valid tool name (1 to 64 letters, "
                "digits, '_' or '-'); pass name="
            )
        doc = inspect.getdoc(inner) or ""
        summary, param_docs = parse_docstring(doc)
        if description is None:
            description = summary
        if not description.strip():
            raise ValidationError(
                f"tool {tool_name!r}: the function has no docstring; add one or pass "
                "description= (it is how the model decides to call the tool)"
            )
        try:
            sig = inspect.signature(fn)
            hints = typing.get_type_hints(_hinted(inner), include_extras=True)
        except (TypeError, ValueError, NameError) as exc:
            hint = (
                " (a string annotation is resolved in the function's module: define the type "
                "at module level, not inside a function)"
                if isinstance(exc, NameError)
                else ""
            )
            raise ValidationError(
                f"tool {tool_name!r}: cannot read the signature: {exc}{hint}"
            ) from None
        params = list(sig.parameters.values())
        fields: dict[str, Any] = {}
        for p in params:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise ValidationError(
                    f"tool {tool_name!r}: *{p.name} cannot be described to a model; name every "
                    "parameter"
                )
            if p.kind is p.POSITIONAL_ONLY:
                raise ValidationError(
                    f"tool {tool_name!r}: positional-only parameter {p.name!r}; arguments are "
                    "passed by name"
                )
            if p.name not in hints and p.name in ("self", "cls") and p is params[0]:
                raise ValidationError(
                    f"tool {tool_name!r}: {p.name!r} is the first parameter; that is a method "
                    "taken from its class: pass the bound method (instance.method) instead"
                )
            if p.name not in hints:
                raise ValidationError(
                    f"tool {tool_name!r}: parameter {p.name!r} has no type hint; annotate it "
                    f"(e.g. `{p.name}: str`) so its JSON Schema can be derived"
                )
            default = ... if p.default is p.empty else p.default
            fields[p.name] = (hints[p.name], default)
        return cls._from_fields(fn, tool_name, description, fields, param_docs)

    @classmethod
    def _from_fields(
        cls,
        fn: Callable[..., Any],
        name: str,
        description: str,
        fields: dict[str, Any],
        param_docs: dict[str, str],
    ) -> "ToolDef":
        single = None
        if len(fields) == 1:
            ((pname, (ann, default)),) = fields.items()
            base = _strip_annotated(ann)
            if isinstance(base, type) and issubclass(base, BaseModel) and default is ...:
                single = pname
        if single is not None:
            target: Any = fields[single][0]
        else:
            # Fields get neutral names and the parameter names as aliases: a parameter may be
            # called `json`, `copy` or `model_config`, which a pydantic field cannot.
            aliased: dict[str, Any] = {
                f"arg{i}": (ann, pydantic.Field(default, alias=pname))
                for i, (pname, (ann, default)) in enumerate(fields.items())
            }
            try:
                target = pydantic.create_model(
                    f"{name}_arguments",
                    __config__=pydantic.ConfigDict(extra="forbid"),
                    **aliased,
                )
            except (pydantic.PydanticUserError, TypeError, NameError) as exc:
                raise ValidationError(
                    f"tool {name!r}: cannot describe the parameters: {exc}"
                ) from None
        schema, adapter = type_schema(target)
        props = schema.get("properties")
        if isinstance(props, dict):
            for pname, text in param_docs.items():
                prop = props.get(pname)
                if isinstance(prop, dict) and "description" not in prop:
                    prop["description"] = text
        tool = cls(name=name, description=description, parameters=schema, callback=fn)
        tool._input = adapter
        tool._input_type = target
        tool._pass_as = "model" if single is not None else "kwargs"
        tool._model_param = single
        return tool

    @classmethod
    def from_model(
        cls,
        model: type[BaseModel],
        *,
        name: str | None = None,
        description: str | None = None,
        callback: Callable[[Any], Any] | None = None,
    ) -> "ToolDef":
        """A tool whose arguments are the fields of ``model``.

        The name defaults to the class name, the description to its docstring. ``callback``
        (sync or async) receives the validated instance.
        """
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise ValidationError(
                f"from_model takes a pydantic model class, got {_describe(model)}; for a "
                "function use ToolDef.from_function"
            )
        tool_name = name or model.__name__
        if name is None and not TOOL_NAME_PATTERN.fullmatch(tool_name):
            raise ValidationError(
                f"the class name {tool_name!r} is not a valid tool name; pass name="
            )
        if description is None:
            description = inspect.cleandoc(model.__doc__ or "")
        if not description.strip():
            raise ValidationError(
                f"tool {tool_name!r}: the model {model.__name__} has no docstring; add one or "
                "pass description="
            )
        schema, adapter = type_schema(model)
        tool = cls(name=tool_name, description=description, parameters=schema, callback=callback)
        tool._input = adapter
        tool._input_type = model
        tool._pass_as = "model"
        return tool

    @classmethod
    def coerce(cls, value: Any) -> "ToolDef":
        """``value`` as a ToolDef: a ToolDef, a pydantic model class or a typed function."""
        if isinstance(value, ToolDef):
            return value
        if isinstance(value, type) and issubclass(value, BaseModel):
            return cls.from_model(value)
        if callable(value) and not isinstance(value, type):
            return cls.from_function(value)
        raise ValidationError(
            "a tool is a ToolDef, a typed function or a pydantic model class, got "
            + _describe(value)
        )

    # -- use -------------------------------------------------------------------------------

    @property
    def input_type(self) -> Any:
        """The Python type arguments decode into (None for a hand-written schema)."""
        return self._input_type

    @property
    def is_async(self) -> bool:
        """True when the callback is a coroutine function (await :meth:`arun`)."""
        cb = self.callback
        if cb is None:
            return False
        return inspect.iscoroutinefunction(cb) or inspect.iscoroutinefunction(
            getattr(cb, "__call__", None)  # noqa: B004 - an object with an async __call__
        )

    def parse_arguments(self, call: ToolCall | str) -> Any:
        """Decode a call's arguments strictly into the tool's input type.

        Returns the model instance (``from_model``, single-model functions), the function's
        arguments by parameter name with defaults filled in (``from_function``), or the JSON
        object (hand-written schema). Raises
        :class:`ToolArgumentsError` when the text is not JSON, has keys the schema does not
        declare, or values of the wrong type.
        """
        text = call.arguments if isinstance(call, ToolCall) else call
        call_id = call.id if isinstance(call, ToolCall) else ""
        # Some servers send "" for a call without arguments.
        value, problems = validate_json(
            text if text.strip() else "{}", self.parameters, self._input
        )
        if problems:
            lines = [str(p) for p in problems]
            raise ToolArgumentsError(
                f"tool {self.name!r} called with invalid arguments: {'; '.join(lines)} "
                f"(arguments: {excerpt(text)})",
                tool=self.name,
                call_id=call_id,
                arguments=text,
                problems=lines,
            )
        if self._pass_as == "kwargs":
            # The validated parameters, by name (defaults filled in).
            fields = type(value).model_fields
            return {f.alias or k: getattr(value, k) for k, f in fields.items()}
        return value

    def _require_callback(self) -> Callable[..., Any]:
        if self.callback is None:
            raise ValidationError(
                f"tool {self.name!r} has no callback: pass callback= (or build it with "
                "ToolDef.from_function) to run it locally"
            )
        return self.callback

    def invoke(self, value: Any) -> Any:
        """Call the callback with a value from :meth:`parse_arguments` (an awaitable if async)."""
        cb = self._require_callback()
        if self._pass_as == "kwargs":
            return cb(**value)
        if self._model_param is not None:
            return cb(**{self._model_param: value})
        return cb(value)

    def run(self, call: ToolCall | str) -> str:
        """Decode the arguments, call the (sync) callback and return its output as text.

        Raises ToolArgumentsError for bad arguments and ToolExecutionError when the callback
        raises (the original exception is ``__cause__``).
        """
        self._require_callback()
        if self.is_async:
            raise ValidationError(f"tool {self.name!r} is async: use `await tool.arun(call)`")
        value = self.parse_arguments(call)
        call_id = call.id if isinstance(call, ToolCall) else ""
        try:
            out = self.invoke(value)
        except Exception as exc:
            raise self._failed(exc, call_id) from exc
        return self.output_text(out, call_id)

    async def arun(self, call: ToolCall | str) -> str:
        """:meth:`run` for any callback: async ones are awaited, sync ones run in a thread."""
        self._require_callback()
        value = self.parse_arguments(call)
        call_id = call.id if isinstance(call, ToolCall) else ""
        try:
            if self.is_async:
                out = await self.invoke(value)
            else:
                import anyio.to_thread

                out = await anyio.to_thread.run_sync(self.invoke, value)
        except Exception as exc:
            raise self._failed(exc, call_id) from exc
        return self.output_text(out, call_id)

    def _failed(self, exc: Exception, call_id: str) -> ToolExecutionError:
        return ToolExecutionError(
            f"tool {self.name!r} raised {type(exc).__name__}: {exc}",
            tool=self.name,
            call_id=call_id,
        )

    def output_text(self, out: Any, call_id: str = "") -> str:
        """What the callback returned, as the result text (see :func:`tool_output_text`).

        Raises ToolExecutionError when it cannot be sent (bytes, an empty string...).
        """
        try:
            return tool_output_text(out)
        except (TypeError, ValueError) as exc:
            raise ToolExecutionError(
                f"tool {self.name!r}: {exc}", tool=self.name, call_id=call_id
            ) from None


def tool_output_text(value: Any) -> str:
    """What a tool returned, as the text sent to the model.

    Text is sent as is; a pydantic model as its JSON; None, numbers, lists and dicts as JSON.
    An empty string is refused: providers reject an empty tool result.
    """
    if isinstance(value, str):
        text = value
    elif isinstance(value, BaseModel):
        text = value.model_dump_json()
    elif isinstance(value, (bytes, bytearray)):
        raise TypeError("returned bytes; return text (decode it, or base64 it)")
    elif isinstance(value, Awaitable):
        raise TypeError("returned an awaitable; make the function `async def` or await it inside")
    else:
        text = json.dumps(pydantic_core.to_jsonable_python(value), ensure_ascii=False)
    if not text:
        raise ValueError("returned an empty string; providers reject an empty tool result")
    return text


# --- docstrings -------------------------------------------------------------------------------

# Patterns as strings: the re module compiles (and caches) each on its first use.
_SECTION = (
    r"^(Args|Arguments|Parameters|Params|Returns?|Yields?|Raises|Examples?|Notes?|See Also)"
    r"\s*:?\s*$"
)
_SPHINX_PARAM = r"^:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$"
_GOOGLE_PARAM = r"^(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$"


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """The description (text before any section) and per-parameter descriptions.

    Understands Google (``Args:``), Sphinx (``:param x:``) and NumPy (``Parameters`` + dashes)
    styles; anything else is all description.
    """
    lines = inspect.cleandoc(doc).splitlines() if doc else []
    summary: list[str] = []
    params: dict[str, str] = {}
    section: str | None = None
    numpy = False
    current: str | None = None
    indent = 0
    for i, line in enumerate(lines):
        stripped = line.strip()
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        head = re.match(_SECTION, stripped)
        if head and (stripped.endswith(":") or set(nxt) == {"-"}):
            section = head.group(1).lower()
            numpy = set(nxt) == {"-"}
            current = None
            continue
        if set(stripped) == {"-"} and section is not None:
            continue
        sphinx = re.match(_SPHINX_PARAM, stripped)
        if sphinx:
            section, current = "sphinx", sphinx.group(1)
            params[current] = sphinx.group(2).strip()
            continue
        if stripped.startswith(":") and section == "sphinx":
            current = None  # :returns:, :raises: ...
            continue
        if section is None:
            summary.append(line)
            continue
        if section not in ("args", "arguments", "parameters", "params", "sphinx"):
            continue
        this_indent = len(line) - len(line.lstrip())
        google = None if numpy else re.match(_GOOGLE_PARAM, stripped)
        if google and (current is None or this_indent <= indent):
            current, indent = google.group(1).lstrip("*"), this_indent
            params[current] = google.group(2).strip()
        elif numpy and stripped and (current is None or this_indent <= indent):
            # "name : type" heads a parameter; its description is indented below.
            current, indent = stripped.split(":", 1)[0].strip(), this_indent
            params[current] = ""
        elif current is not None and stripped:
            params[current] = (params[current] + " " + stripped).strip()
    return "\n".join(summary).strip(), {k: v for k, v in params.items() if v}


def _hinted(fn: Callable[..., Any]) -> Any:
    """Where the type hints of a callable (not a partial) live: itself, or its ``__call__``."""
    if inspect.isroutine(fn):
        return fn
    return type(fn).__call__


def _strip_annotated(ann: Any) -> Any:
    while typing.get_origin(ann) is typing.Annotated:
        ann = typing.get_args(ann)[0]
    return ann


def _describe(value: Any) -> str:
    if isinstance(value, type):
        return f"the class {value.__name__}"
    return f"a {type(value).__name__}"
