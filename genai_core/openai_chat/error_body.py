"""Error bodies of OpenAI-compatible servers, and the typed error built from them.

Shapes seen on the wire (Baseten's three first, then what proxies and frameworks add):

1. ``{"error": "please check the api-key you provided"}`` — the error is a string.
2. ``{"error": {"message": ..., "type": ..., "param": ..., "code": 400}}`` — OpenAI style;
   ``code`` is a number or a string. Baseten pretty-prints it with tabs.
3. ``{"message": ..., "type": ..., "code": 400}`` — the same fields at the top level.
4. ``{"detail": "..."}`` (FastAPI) or ``{"detail": [{"msg": ...}, ...]}`` (its validation errors).
5. Anything else — an HTML page from a proxy, plain text, empty: a short, safe excerpt.

A 400 that refuses a modality ("This model does not support multimodal (image/video/audio)
inputs.", "image_url is not supported") becomes :class:`UnsupportedInputError` naming the inputs
of the request it refused: :func:`note_inputs` records them on the request when it is built,
:func:`noted_inputs` reads them back when the error answer arrives, for :func:`api_error`.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import (
    APIError,
    BadRequestError,
    InputRef,
    RateLimitError,
    UnsupportedInputError,
    error_class_for_status,
    redact,
)
from ..types import Message, RateLimit
from .content import input_refs

if TYPE_CHECKING:
    import httpx

__all__ = [
    "ErrorBody",
    "api_error",
    "error_from_json",
    "excerpt",
    "looks_like_html",
    "note_inputs",
    "noted_inputs",
    "parse_error_body",
    "refused_inputs",
]

_EXCERPT = 200


@dataclass(frozen=True, slots=True)
class ErrorBody:
    """What an error body says: the message and, when given, type, param and code."""

    message: str
    type: str | None = None
    param: str | None = None
    code: str | None = None


def _text(v: Any) -> str | None:
    if v is None or v == "":
        return None
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


# Only the start of a body is looked at: an excerpt never needs more, and regexes over a
# multi-megabyte page would cost more than the request.
_SCAN = 65536
# Patterns as strings: the re module compiles (and caches) each on first use (an error body).
_HIDDEN = r"(?is)<(script|style|head)\b[^>]*>.*?</\1\s*>|<!--.*?-->"
_TITLE = r"(?is)<title\b[^>]*>(.*?)</title\s*>"
_TAG = r"<[^>]*>"


def looks_like_html(text: str) -> bool:
    """Whether ``text`` is an HTML page (a proxy's or load balancer's error page, a web UI)."""
    head = text[:1024].lstrip().lower()
    if not head.startswith("<"):
        return False
    return head.startswith(("<!doctype html", "<html", "<head", "<body")) or "<html" in head


def excerpt(text: str, limit: int = _EXCERPT) -> str:
    """A short, safe, one-line excerpt of a body, cut at ``limit`` characters.

    Markup is dropped (for an HTML page: scripts, styles and the head, keeping the title
    first), entities decoded, control characters removed and white space folded.
    """
    text = text[:_SCAN]
    if looks_like_html(text):
        found = re.search(_TITLE, text)
        title = " ".join(re.sub(_TAG, " ", found.group(1)).split()) if found else ""
        body = " ".join(re.sub(_TAG, " ", re.sub(_HIDDEN, " ", text)).split())
        text = f"{title}: {body}" if title and not body.startswith(title) else body
    else:
        text = re.sub(_TAG, " ", text)
    text = html.unescape(text)
    text = " ".join("".join(c if c.isprintable() else " " for c in text[: limit * 4]).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_from_json(data: Any) -> ErrorBody | None:
    """The error a decoded JSON value describes (shapes 1 to 4), or None if it is none of them."""
    if not isinstance(data, dict):
        return None
    err = data.get("error")
    if isinstance(err, str) and err:
        return ErrorBody(message=err)
    if isinstance(err, dict) and err.get("message"):
        return ErrorBody(
            message=str(err["message"]),
            type=_text(err.get("type")),
            param=_text(err.get("param")),
            code=_text(err.get("code")),
        )
    if data.get("message"):
        return ErrorBody(
            message=str(data["message"]),
            type=_text(data.get("type")),
            param=_text(data.get("param")),
            code=_text(data.get("code")),
        )
    detail = data.get("detail")
    if isinstance(detail, str) and detail:
        return ErrorBody(message=detail)
    if isinstance(detail, list) and detail:
        msgs = [str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail]
        return ErrorBody(message="; ".join(msgs))
    return None


def parse_error_body(body: bytes | str, *, reason: str = "") -> ErrorBody:
    """Extract the message from any of the shapes above; never raises."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError:
        data = None
    found = error_from_json(data)
    if found is not None:
        return found
    short = excerpt(text)
    if short:
        return ErrorBody(message=short)
    return ErrorBody(message=reason or "no error message in the response")


def api_error(
    status_code: int,
    body: bytes | str,
    headers: Mapping[str, str],
    *,
    provider: str,
    request_id: str | None,
    secrets: tuple[str | None, ...] = (),
    hint: str | None = None,
    retry_after: float | None = None,
    limits: Sequence[RateLimit] = (),
    reason: str = "",
    cls: type[APIError] | None = None,
    inputs: Sequence[InputRef] = (),
    model: str | None = None,
) -> APIError:
    """The typed error for an error response; message and body are redacted of ``secrets``.

    ``retry_after`` and ``limits`` go to a :class:`RateLimitError`. ``inputs`` are the request's
    non-text inputs: a bad request refusing some of them is an :class:`UnsupportedInputError`
    naming those and ``model``.
    """
    parsed = parse_error_body(body, reason=reason)
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    cls = cls or error_class_for_status(status_code)
    kw: dict[str, Any] = {
        "status_code": status_code,
        "body": redact(text, secrets),
        "headers": {k: redact(v, secrets) for k, v in headers.items()},
        # Whatever else the server chose to say can echo the key as well. Each field is redacted
        # here once (redact_error would scan the whole body a second time).
        "request_id": _redacted(request_id, secrets),
        "provider": provider,
        "error_type": _redacted(parsed.type, secrets),
        "code": _redacted(parsed.code, secrets),
        "hint": _redacted(hint, secrets),
    }
    message = redact(parsed.message, secrets)
    if issubclass(cls, RateLimitError):
        err: APIError = cls(message, retry_after=retry_after, limits=limits, **kw)
    elif (
        cls is BadRequestError
        and inputs
        and (refused := refused_inputs(message, inputs)) is not None
    ):
        err = UnsupportedInputError(message, inputs=refused, model=model, **kw)
    else:
        err = cls(message, **kw)
    return err


def _redacted(value: str | None, secrets: tuple[str | None, ...]) -> str | None:
    return None if value is None else redact(value, secrets)


# --- refused inputs ---------------------------------------------------------------------------

# A provider refusing a modality, in the words servers use: Baseten ("does not support multimodal
# (image/video/audio) inputs", "image_url is not supported"), OpenAI ("image_url is only
# supported by certain models"), vLLM ("is not a multimodal model"), llama.cpp ("image input is
# not supported").
_KIND = r"(?:image|audio|video|file|pdf|document)s?"
_REFUSAL = (
    r"(?i)multi-?modal|image_url|input_audio|only supported by certain models"
    rf"|\b{_KIND}\b[\w\s/()-]{{0,40}}?\bnot\s+(?:be\s+)?supported"
    rf"|(?:does\s+not|doesn't|cannot|can't)\s+(?:support|accept|process|handle)"
    rf"[\w\s/()-]{{0,40}}?\b{_KIND}\b"
)
_KIND_WORDS = r"(?i)image_url|input_audio|image|audio|video|file|pdf|document"
_KIND_OF_WORD = {
    "image_url": "image",
    "image": "image",
    "input_audio": "audio",
    "audio": "audio",
    "video": "video",
    "file": "document",
    "pdf": "document",
    "document": "document",
}
_INPUTS_EXTENSION = "genai_inputs"


def refused_inputs(message: str, inputs: Sequence[InputRef]) -> list[InputRef] | None:
    """The inputs a provider's error message refuses; None when it refuses none of them.

    When the message names modalities, the inputs of those modalities; when it names none (or
    none that was sent), every non-text input.
    """
    if not inputs or not re.search(_REFUSAL, message):
        return None
    kinds = {_KIND_OF_WORD[w.lower()] for w in re.findall(_KIND_WORDS, message)}
    named = [i for i in inputs if i.kind in kinds]
    return named or list(inputs)


def note_inputs(request: httpx.Request, model: str | None, messages: Sequence[Message]) -> None:
    """Record on ``request`` the non-text inputs it carries, for :func:`noted_inputs`."""
    refs = input_refs(messages)
    if refs:
        request.extensions[_INPUTS_EXTENSION] = (model, tuple(refs))


def noted_inputs(response: httpx.Response) -> tuple[str | None, tuple[InputRef, ...]]:
    """The model and the non-text inputs :func:`note_inputs` recorded on the response's request;
    ``(None, ())`` when none were."""
    try:
        noted = response.request.extensions.get(_INPUTS_EXTENSION)
    except RuntimeError:  # a response built without a request
        return None, ()
    return noted if noted is not None else (None, ())
