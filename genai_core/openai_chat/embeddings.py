"""``POST /embeddings``: the request body and the response parser, no I/O.

Wire rules (OpenAI's embeddings API, which vLLM, llama.cpp, TEI and Baseten's BEI deployments
follow):

* ``input`` is a string or a list of strings; the response has one entry per input in ``data``,
  each with its ``index`` (sorted here, since nothing promises the order) and ``embedding``.
* ``encoding_format: "float"`` (the default) sends each vector as a JSON list of numbers;
  ``"base64"`` sends the little-endian float32 bytes base64-encoded: about a third of the size and
  much faster to decode, at float32 precision (which is all the model computed). Either form is
  decoded whatever was asked for, since some servers ignore the field.
* ``dimensions`` asks a model trained for it (Matryoshka) for shorter vectors.
* ``usage`` has ``prompt_tokens`` and ``total_tokens``; servers may leave it out.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from array import array
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from ..errors import MalformedResponseError, ValidationError
from ..types import Embeddings, RateLimit, trusted
from .chat_options import merge_extra_body
from .error_body import excerpt
from .response import parse_usage

__all__ = [
    "EncodingFormat",
    "build_embeddings_body",
    "decode_base64_vector",
    "parse_embeddings_response",
]

EncodingFormat = Literal["float", "base64"]


def _inputs(value: object) -> list[str]:
    if isinstance(value, str):
        items: list[object] = [value]
    elif isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        items = list(value)
        if not items:
            raise ValidationError("embeddings input is an empty list; give at least one string")
    else:
        raise ValidationError(
            f"embeddings input must be a string or a list of strings, got {type(value).__name__}"
        )
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise ValidationError(
                f"embeddings input[{i}] must be a string, got {type(item).__name__}"
            )
        if not item:
            raise ValidationError(f"embeddings input[{i}] is an empty string; servers reject it")
    return items  # type: ignore[return-value]  # every item was checked to be a str


def build_embeddings_body(
    model: str,
    input: str | Sequence[str],
    *,
    encoding_format: EncodingFormat = "float",
    dimensions: int | None = None,
    user: str | None = None,
    extra_body: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The request body; raises ValidationError before anything is sent on bad input.

    A single string is sent as a string (one vector comes back), a list as a list.
    """
    if not isinstance(model, str) or not model:
        raise ValidationError(f"model must be a non-empty string, got {model!r}")
    if user is not None and not isinstance(user, str):
        raise ValidationError(f"user must be a string, got {type(user).__name__}")
    items = _inputs(input)
    if encoding_format not in ("float", "base64"):
        raise ValidationError(
            f"encoding_format must be 'float' or 'base64', got {encoding_format!r}"
        )
    body: dict[str, Any] = {
        "model": model,
        "input": input if isinstance(input, str) else items,
        "encoding_format": encoding_format,
    }
    if dimensions is not None:
        if isinstance(dimensions, bool) or not isinstance(dimensions, int) or dimensions < 1:
            raise ValidationError(f"dimensions must be an integer >= 1, got {dimensions!r}")
        body["dimensions"] = dimensions
    if user is not None:
        body["user"] = user
    if extra_body:
        merge_extra_body(body, extra_body)
    return body


def decode_base64_vector(text: str) -> list[float]:
    """Floats from base64 text holding little-endian float32 values; ValueError if it does not."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("an embedding is not valid base64") from None
    if len(data) % 4:
        raise ValueError(f"a base64 embedding holds {len(data)} bytes, not a multiple of 4")
    vector = array("f")
    vector.frombytes(data)
    if sys.byteorder == "big":
        vector.byteswap()
    return vector.tolist()


def _vector(raw: Any) -> list[float]:
    if isinstance(raw, str):
        return decode_base64_vector(raw)
    if isinstance(raw, list):
        # array("d") converts in C, turning the integers JSON gives for whole numbers into
        # floats and rejecting anything that is not a number.
        try:
            return array("d", raw).tolist()
        except TypeError:
            raise ValueError("an embedding holds something other than numbers") from None
    raise ValueError(f"an embedding is a {type(raw).__name__}, not a list or base64 text")


def parse_embeddings_response(
    body: Any,
    *,
    count: int,
    provider: str,
    request_id: str | None = None,
    limits: Sequence[RateLimit] = (),
) -> Embeddings:
    """The vectors of a decoded response, in input order; ``count`` is how many were asked for.

    A body of the wrong shape, or with a number of vectors other than ``count``, raises
    :class:`MalformedResponseError` quoting an excerpt of it.
    """

    def malformed(why: str) -> MalformedResponseError:
        return MalformedResponseError(
            f"malformed embeddings response ({why}): {excerpt(json.dumps(body)[:400])}",
            status_code=200,
            provider=provider,
            request_id=request_id,
        )

    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise malformed("expected {'data': [...]}")
    if len(data) != count:
        raise malformed(f"expected {count} vectors, got {len(data)}")
    entries = [e for e in data if isinstance(e, dict)]
    if len(entries) != count:
        raise malformed("an entry of 'data' is not an object")
    if all(type(e.get("index")) is int for e in entries):
        entries.sort(key=lambda e: e["index"])
        if [e["index"] for e in entries] != list(range(count)):
            raise malformed(f"the indexes are not 0 to {count - 1}")
    try:
        vectors = [_vector(e.get("embedding")) for e in entries]
    except ValueError as exc:
        raise malformed(str(exc)) from None
    raw_usage = body.get("usage")
    usage = parse_usage(raw_usage if isinstance(raw_usage, dict) else None, limits=limits)
    model = body.get("model")
    return trusted(
        Embeddings,
        vectors=vectors,
        model=model if isinstance(model, str) and model else None,
        usage=usage,
        request_id=request_id,
        raw=body,
    )
