"""``GET /models`` → :class:`~genai_core.types.Model`, tolerant of whatever a server leaves out.

OpenAI answers ``{"object": "list", "data": [{id, object, created, owned_by}]}``; Baseten's Model
APIs add ``name``, ``context_length``, ``max_completion_tokens``, ``supported_features``,
``pricing`` (per-token prices as strings such as ``"0.0000001"``) and, on newer entries,
``input_modalities`` / ``output_modalities``; vLLM and SGLang give the context length as
``max_model_len``. Every field but ``id`` may be absent.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from ..types import Model, trusted

__all__ = ["parse_model", "parse_models"]


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _int(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.isdigit():
        return int(v)
    return None


def _strs(v: Any) -> list[str]:
    return [x for x in v if isinstance(x, str)] if isinstance(v, list) else []


def _prices(v: Any) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    if not isinstance(v, dict):
        return out
    for key, raw in v.items():
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            continue
        try:
            price = Decimal(str(raw))
        except InvalidOperation:
            continue
        if price.is_finite():
            out[str(key)] = price
    return out


def parse_model(entry: dict[str, Any]) -> Model:
    return trusted(
        Model,
        id=entry["id"],
        name=_str(entry.get("name")),
        description=_str(entry.get("description")),
        owned_by=_str(entry.get("owned_by")),
        created=_int(entry.get("created")),
        context_length=_int(entry.get("context_length")) or _int(entry.get("max_model_len")),
        max_completion_tokens=_int(entry.get("max_completion_tokens")),
        quantization=_str(entry.get("quantization")),
        supported_features=_strs(entry.get("supported_features")),
        supported_sampling_parameters=_strs(entry.get("supported_sampling_parameters")),
        input_modalities=_strs(entry.get("input_modalities")),
        output_modalities=_strs(entry.get("output_modalities")),
        pricing=_prices(entry.get("pricing")),
        raw=entry,
    )


def parse_models(body: Any) -> list[Model]:
    """The models of a list response, in the server's order; entries without an id are skipped.

    Raises ValueError when the body is not a model list at all.
    """
    data = body.get("data") if isinstance(body, dict) else body
    if not isinstance(data, list):
        raise ValueError("expected {'data': [...]} listing models")
    return [parse_model(e) for e in data if isinstance(e, dict) and isinstance(e.get("id"), str)]
