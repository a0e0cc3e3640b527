"""JSON Schemas for tool inputs and structured output, and strict decoding against them.

Providers are uneven about JSON Schema: many reject ``$ref``, and a schema that allows unknown
keys lets a model invent fields. So every schema this library derives from a Python type is

* self-contained: ``$defs`` are inlined where they are referenced (a recursive type, which cannot
  be inlined, is refused with a ValidationError);
* closed: every object that lists ``properties`` gets ``additionalProperties: false``;
* quiet: pydantic's generated ``title`` keys, which only repeat the field names, are dropped.

Decoding is strict to match: JSON that is not valid, keys the schema does not declare, or values
of the wrong type (no ``"3"`` for ``3``) are errors. A schema given as a dict is sent as is;
decoding against it checks unknown keys in its ``additionalProperties: false`` objects, and the
JSON types, required keys, enums and constants it declares (not formats, bounds or patterns).

Nothing here builds a validator at import time; adapters are made on first use.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pydantic

from .errors import ValidationError

__all__ = [
    "SchemaProblem",
    "cached_type_schema",
    "closed_schema",
    "excerpt",
    "type_schema",
    "unknown_keys",
    "validate_json",
]

# Keys whose value maps names to schemas (so a property named "title" is not a title).
_NAMED_SCHEMAS = ("properties", "patternProperties", "$defs", "definitions")
# Keys whose value is one schema or a list of schemas.
_SUB_SCHEMA = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then")
_SUB_SCHEMAS = ("anyOf", "oneOf", "allOf", "prefixItems")

#: How much of an offending text error messages quote.
EXCERPT_CHARS = 300


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` quoted for an error message, cut in the middle when long (never mid-character)."""
    if len(text) <= limit:
        return repr(text)
    head = limit * 2 // 3
    tail = limit - head
    return f"{text[:head]!r} … ({len(text) - limit} characters) … {text[-tail:]!r}"


def type_schema(target: Any) -> tuple[dict[str, Any], pydantic.TypeAdapter[Any]]:
    """The closed, ``$ref``-free JSON Schema of a Python type, and the adapter that decodes it.

    ``target`` is a pydantic model class or anything pydantic can validate (a dataclass, a
    TypedDict, ``list[Model]``...). Raises ValidationError when pydantic cannot describe it.
    """
    try:
        adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(target)
        raw = adapter.json_schema()
    except (pydantic.PydanticSchemaGenerationError, pydantic.PydanticUserError, TypeError) as exc:
        name = getattr(target, "__name__", repr(target))
        raise ValidationError(
            f"cannot derive a JSON Schema from {name}: {exc}. Use a pydantic model, a dataclass "
            "or a JSON Schema dict"
        ) from None
    return closed_schema(raw, generated=True), adapter


_CACHE: dict[Any, tuple[dict[str, Any], pydantic.TypeAdapter[Any]]] = {}
_CACHE_MAX = 256


def cached_type_schema(target: Any) -> tuple[dict[str, Any], pydantic.TypeAdapter[Any]]:
    """:func:`type_schema`, remembered per target (building an adapter costs milliseconds).

    The schema returned is shared: do not modify it.
    """
    try:
        hit = _CACHE.get(target)
    except TypeError:  # an unhashable target
        return type_schema(target)
    if hit is None:
        hit = type_schema(target)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[target] = hit
    return hit


def closed_schema(schema: dict[str, Any], *, generated: bool = False) -> dict[str, Any]:
    """A copy of ``schema`` with ``$ref`` inlined and ``additionalProperties: false`` added.

    ``generated`` also drops the ``title`` keys pydantic writes on every node.
    """
    defs = {**schema.get("definitions", {}), **schema.get("$defs", {})}
    out: dict[str, Any] = _inline(schema, defs, (), generated)
    out.pop("$defs", None)
    out.pop("definitions", None)
    return out


def _inline(node: Any, defs: dict[str, Any], stack: tuple[str, ...], generated: bool) -> Any:
    if isinstance(node, list):
        return [_inline(n, defs, stack, generated) for n in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if not ref.startswith(("#/$defs/", "#/definitions/")) or name not in defs:
            raise ValidationError(f"schema reference {ref!r} cannot be resolved")
        if name in stack:
            raise ValidationError(
                f"the type {name} refers to itself; a recursive schema cannot be inlined "
                "(providers reject $ref). Bound the nesting with a non-recursive type"
            )
        target = _inline(defs[name], defs, (*stack, name), generated)
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return {**target, **_inline(siblings, defs, stack, generated)}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("$defs", "definitions"):
            continue
        if generated and key == "title" and isinstance(value, str):
            continue
        if key in _NAMED_SCHEMAS and isinstance(value, dict):
            out[key] = {k: _inline(v, defs, stack, generated) for k, v in value.items()}
        else:
            out[key] = _inline(value, defs, stack, generated)
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


@dataclass(frozen=True)
class SchemaProblem:
    """One reason a value does not fit: where (``a.b[0]``) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def unknown_keys(value: Any, schema: Any, path: str = "") -> list[SchemaProblem]:
    """Keys of ``value`` that a closed object of ``schema`` does not declare.

    Only ``additionalProperties: false`` objects are checked; for ``anyOf``/``oneOf`` a value
    fits when it fits one branch.
    """
    return list(_unknown(value, schema, path))


def _unknown(value: Any, schema: Any, path: str) -> Iterator[SchemaProblem]:
    if not isinstance(schema, dict):
        return
    branches = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(branches, list) and branches:
        # Only the branches of the value's JSON type count: `Model | None` given an object with
        # an unknown key must not pass because `null` has no keys to check.
        results = [list(_unknown(value, b, path)) for b in branches if _may_be(value, b)]
        if results and all(results):
            yield from min(results, key=len)
        return
    for sub in schema.get("allOf") or ():
        yield from _unknown(value, sub, path)
    if isinstance(value, dict):
        props = schema.get("properties")
        props = props if isinstance(props, dict) else {}
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if key in props:
                yield from _unknown(item, props[key], where)
            elif extra is False:
                allowed = ", ".join(props) or "none"
                yield SchemaProblem(where, f"unknown key (allowed: {allowed})")
            elif isinstance(extra, dict):
                yield from _unknown(item, extra, where)
    elif isinstance(value, list):
        for item, sub, where in _items(value, schema, path):
            yield from _unknown(item, sub, where)


def _items(value: list[Any], schema: dict[str, Any], path: str) -> Iterator[tuple[Any, Any, str]]:
    """Each item of an array with its schema (``prefixItems``, then ``items``) and its path."""
    prefix = schema.get("prefixItems")
    items = schema.get("items")
    for i, item in enumerate(value):
        sub = prefix[i] if isinstance(prefix, list) and i < len(prefix) else items
        yield item, sub, f"{path}[{i}]"


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "null": (type(None),),
}


_TYPE_NAMES = {
    "object": "a JSON object",
    "array": "a JSON array",
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
    "null": "null",
}


def _may_be(value: Any, schema: Any) -> bool:
    """False when ``schema`` names JSON types and ``value`` is none of them."""
    if not isinstance(schema, dict):
        return True
    kinds = schema.get("type")
    if kinds is None and "properties" in schema:
        kinds = "object"
    elif kinds is None and ("items" in schema or "prefixItems" in schema):
        kinds = "array"
    if isinstance(kinds, str):
        kinds = [kinds]
    if not isinstance(kinds, list):
        return True
    is_bool = isinstance(value, bool)
    for kind in kinds:
        types = _JSON_TYPES.get(kind) if isinstance(kind, str) else None
        if types is None:
            return True  # a type we do not know: let it be checked
        if isinstance(value, types) and (kind == "boolean" or not is_bool):
            return True
    return False


def validate_json(
    text: str,
    schema: dict[str, Any],
    adapter: pydantic.TypeAdapter[Any] | None,
    *,
    strict: bool = True,
) -> tuple[Any, list[SchemaProblem]]:
    """Decode ``text``; the value and the problems found (empty when it fits).

    With an adapter, the value is the validated Python object; without, the parsed JSON (checked
    for unknown keys, and at every level for the JSON types, required keys, enums and constants
    the schema declares).
    """
    try:
        data = json.loads(text)
    except ValueError as exc:
        return None, [SchemaProblem("", f"not valid JSON ({exc})")]
    problems = unknown_keys(data, schema) if strict else []
    if adapter is None:
        problems.extend(_structure(data, schema))
        return (data if not problems else None), problems
    try:
        value = (
            adapter.validate_json(text, strict=True) if strict else adapter.validate_python(data)
        )
    except pydantic.ValidationError as exc:
        # pydantic reports unknown keys too when the model forbids them: keep one report each.
        unknown = {p.path for p in problems}
        problems.extend(
            p
            for p in _pydantic_problems(exc)
            if not (p.message == "unknown key" and p.path in unknown)
        )
        return None, problems
    return (value if not problems else None), problems


def _structure(value: Any, schema: Any, path: str = "") -> Iterator[SchemaProblem]:
    """Where ``value`` breaks ``schema``'s types, required keys, enums and constants.

    The common subset models are asked to follow (``type``, ``properties``, ``required``,
    ``items``, ``prefixItems``, ``enum``, ``const``, ``anyOf``/``oneOf``/``allOf``), at every
    level; other keywords (formats, bounds, patterns) are not checked.
    """
    if not isinstance(schema, dict):
        return
    branches = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(branches, list) and branches:
        if not any(_may_be(value, b) for b in branches):
            wanted = " or ".join(_type_name(b) for b in branches)
            yield SchemaProblem(path, f"expected {wanted}, got {_json_type(value)}")
            return
        results = [list(_structure(value, b, path)) for b in branches]
        if all(results):
            yield from min(results, key=len)
            return
    for sub in schema.get("allOf") or ():
        yield from _structure(value, sub, path)
    if not _may_be(value, schema):
        yield SchemaProblem(path, f"expected {_type_name(schema)}, got {_json_type(value)}")
        return
    if "enum" in schema and isinstance(schema["enum"], list) and value not in schema["enum"]:
        allowed = ", ".join(json.dumps(v) for v in schema["enum"])
        yield SchemaProblem(path, f"must be one of {allowed}")
    if "const" in schema and value != schema["const"]:
        yield SchemaProblem(path, f"must be {json.dumps(schema['const'])}")
    if isinstance(value, dict):
        props = schema.get("properties")
        props = props if isinstance(props, dict) else {}
        for key in schema.get("required") or ():
            if key not in value:
                yield SchemaProblem(f"{path}.{key}" if path else str(key), "required key missing")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            yield from _structure(item, sub, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for item, sub, where in _items(value, schema, path):
            yield from _structure(item, sub, where)


def _type_name(schema: dict[str, Any]) -> str:
    """The JSON types ``schema`` allows, in words (only called when it names some)."""
    kinds = schema.get("type") or ("object" if "properties" in schema else "array")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return " or ".join(_TYPE_NAMES.get(k, str(k)) for k in kinds)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _pydantic_problems(exc: pydantic.ValidationError) -> list[SchemaProblem]:
    out = []
    for err in exc.errors(include_url=False):
        path = ""
        for part in err["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        out.append(SchemaProblem(path, msg))
    return out
