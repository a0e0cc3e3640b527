"""User input (text and :class:`~genai_core.types.Doc`) → OpenAI-chat ``content``; no I/O.

The parts of the chat wire format, and what each document becomes:

=========  ==========================================================================
text       a plain string when the message has one part, else ``{"type": "text"}``;
           text documents (``text/*``, JSON, YAML, ...) are inlined as text
image      ``{"type": "image_url", "image_url": {"url", "detail"?}}``: the URL as given,
           or the bytes as a ``data:`` URL with their MIME type
audio      ``{"type": "input_audio", "input_audio": {"data": <base64>, "format"}}``:
           bytes only; the format is the MIME subtype (``wav``, ``mp3``)
document   ``{"type": "file", "file": {"filename", "file_data": <data: URL>}}``:
           PDFs and other binary files, bytes only
video      no part exists for it: always refused
=========  ==========================================================================

Two questions are answered before any of that, each with :class:`NotSupportedError` (nothing is
sent) when the answer is no:

1. Does the **model** take this modality? When its input modalities are known (``model_info=``,
   or the model's entry in ``models=`` or ``list_models()``) they decide; otherwise the target's
   :attr:`ContentRules.default_modalities` do (``None``: send it and let the server decide).
2. Can the **target** carry it (:attr:`ContentRules.parts`, ``audio_formats``)?

Targets differ in one more way: Baseten's recorded traffic sends each part of a user turn as its
own ``user`` message (:attr:`ContentRules.split_user_parts`); the OpenAI format, and the default,
is one message whose ``content`` is the array of parts.
"""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputRef, NotSupportedError, ValidationError
from ..types import Doc, Message

__all__ = [
    "MODALITIES",
    "ContentRules",
    "doc_label",
    "doc_to_part",
    "input_refs",
    "normalise_modalities",
    "user_message_to_wire",
]

#: The input modalities, as :attr:`Doc.kind` names them.
MODALITIES = frozenset({"text", "image", "audio", "video", "document"})

# What model lists call the modalities (Baseten and OpenRouter say "file" for documents).
_MODALITY_NAMES = {
    "text": "text",
    "image": "image",
    "images": "image",
    "audio": "audio",
    "video": "video",
    "file": "document",
    "files": "document",
    "document": "document",
    "pdf": "document",
}

# input_audio formats by MIME type; OpenAI takes wav and mp3, some servers more.
_AUDIO_FORMATS = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/vnd.wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/flac": "flac",
    "audio/x-flac": "flac",
    "audio/ogg": "ogg",
    "audio/aac": "aac",
    "audio/webm": "webm",
}


@dataclass(frozen=True)
class ContentRules:
    """What one target accepts in user content, and how it wants it laid out."""

    split_user_parts: bool = False
    """Send each part of a user turn as its own ``user`` message (Baseten, as recorded)."""
    parts: frozenset[str] = field(default_factory=lambda: MODALITIES - {"video"})
    """The modalities the target's wire format can carry at all."""
    default_modalities: frozenset[str] | None = None
    """What a model takes when its own list is unknown; None: send anything, the server decides."""
    audio_formats: frozenset[str] = frozenset({"wav", "mp3"})
    """``input_audio.format`` values the target takes."""


def normalise_modalities(values: Iterable[str] | None) -> frozenset[str] | None:
    """A model list's input modalities as :data:`MODALITIES` names; None when it lists none.

    Unknown names are kept as they are (they never match a document, so they do no harm).
    """
    if values is None:
        return None
    out = frozenset(_MODALITY_NAMES.get(v.strip().lower(), v.strip().lower()) for v in values)
    return out or None


def doc_label(doc: Doc) -> str:
    """A short name for a document in messages: its file name, URL, or type and size."""
    if doc.filename:
        return doc.filename
    if doc.url is not None:
        if doc.url.startswith("data:"):
            head, _, payload = doc.url.partition(",")
            return f"{head.split(';', 1)[0]} URL ({len(payload)} characters)"
        return doc.url if len(doc.url) <= 80 else doc.url[:79] + "…"
    return f"{doc.mime() or 'unknown type'}, {len(doc.data or b'')} bytes"


def input_refs(messages: Sequence[Message]) -> list[InputRef]:
    """Every non-text document of the user turns, where it is; text documents are left out."""
    out: list[InputRef] = []
    for i, msg in enumerate(messages):
        for j, req in enumerate(msg.requests):
            doc = req.doc
            if doc is not None and doc.kind != "text":
                out.append(InputRef(i, j, doc.kind, doc_label(doc)))
    return out


def _data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _base64_payload(doc: Doc) -> str | None:
    """The document's bytes in base64: from ``data``, or from a ``data:`` URL; None for a URL."""
    if doc.data is not None:
        return base64.b64encode(doc.data).decode("ascii")
    assert doc.url is not None
    if not doc.url.startswith("data:"):
        return None
    head, _, payload = doc.url[5:].partition(",")
    if ";base64" in head:
        return payload
    return base64.b64encode(urllib.parse.unquote_to_bytes(payload)).decode("ascii")


class _Target:
    """The facts one conversion needs, gathered once per user message."""

    __slots__ = ("modalities", "model", "provider", "rules")

    def __init__(
        self,
        rules: ContentRules,
        provider: str,
        model: str | None,
        modalities: Collection[str] | None,
    ) -> None:
        self.rules = rules
        self.provider = provider
        self.model = model
        self.modalities = normalise_modalities(modalities)

    def refuse(self, message: str, doc: Doc) -> NotSupportedError:
        return NotSupportedError(f"{self.provider}: {message}", [f"Doc[{doc.mime() or 'url'}]"])

    def check(self, doc: Doc, ref: InputRef) -> None:
        kind = ref.kind
        who = f"model {self.model!r}" if self.model else "the model"
        if self.modalities is not None:
            if kind not in self.modalities:
                listed = ", ".join(sorted(self.modalities))
                raise self.refuse(
                    f"{who} does not take {kind} input ({ref}); its input modalities are {listed}",
                    doc,
                )
        elif (
            self.rules.default_modalities is not None and kind not in self.rules.default_modalities
        ):
            assumed = " and ".join(sorted(self.rules.default_modalities))
            raise self.refuse(
                f"{who} is not known to take {kind} input ({ref}): without the model's own "
                f"list of input modalities, only {assumed} inputs are sent; if the model takes "
                f"{kind}, call list_models() on this client first or pass model_info=",
                doc,
            )
        if kind not in self.rules.parts:
            raise self.refuse(f"{kind} input cannot be sent in a chat message ({ref})", doc)


def doc_to_part(
    doc: Doc,
    rules: ContentRules | None = None,
    *,
    provider: str = "",
    model: str | None = None,
    modalities: Collection[str] | None = None,
    ref: InputRef | None = None,
) -> str | dict[str, Any]:
    """One document as wire content: a string for text, a content part for anything else.

    Raises NotSupportedError when the model or the target cannot take it, ValidationError when
    the document itself is unusable (text that is not UTF-8).
    """
    target = _Target(rules or ContentRules(), provider, model, modalities)
    return _doc_part(doc, target, ref or InputRef(0, 0, doc.kind, doc_label(doc)))


def _doc_part(doc: Doc, target: _Target, ref: InputRef) -> str | dict[str, Any]:
    kind = doc.kind
    if kind == "text":
        if doc.data is None:
            assert doc.url is not None
            if doc.url.startswith("data:"):
                payload = _base64_payload(doc)
                assert payload is not None
                return _utf8(base64.b64decode(payload), ref)
            raise target.refuse(
                f"a text document must be given as data, not a URL ({ref}); fetch it and pass "
                "its bytes, or paste the text",
                doc,
            )
        return _utf8(doc.data, ref)
    target.check(doc, ref)
    mime = doc.mime() or ""
    if kind == "image":
        url = doc.url if doc.url is not None else _data_url(mime, doc.data or b"")
        image: dict[str, Any] = {"url": url}
        if doc.detail is not None:
            image["detail"] = doc.detail
        return {"type": "image_url", "image_url": image}
    payload = _base64_payload(doc)
    if payload is None:
        raise target.refuse(
            f"{kind} input must be given as bytes, not a URL ({ref}); download it and pass "
            "Doc.from_bytes()",
            doc,
        )
    if kind == "audio":
        fmt = _AUDIO_FORMATS.get(mime.lower())
        if fmt is None or fmt not in target.rules.audio_formats:
            formats = ", ".join(sorted(target.rules.audio_formats))
            raise target.refuse(
                f"audio of type {mime} cannot be sent ({ref}); convert it to one of: {formats}",
                doc,
            )
        return {"type": "input_audio", "input_audio": {"data": payload, "format": fmt}}
    # A document. OpenAI requires a file name and a data: URL with the MIME type.
    filename = doc.filename or "document" + _extension(mime)
    return {
        "type": "file",
        "file": {"filename": filename, "file_data": f"data:{mime};base64,{payload}"},
    }


def _extension(mime: str) -> str:
    return {"application/pdf": ".pdf"}.get(mime, "")


def _utf8(data: bytes, ref: InputRef) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"text document {ref.label} at messages[{ref.message}].requests[{ref.part}] is not "
            f"valid UTF-8 ({exc}); decode it yourself and pass the text"
        ) from None


def user_message_to_wire(
    msg: Message,
    index: int,
    rules: ContentRules,
    *,
    provider: str,
    model: str | None = None,
    modalities: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """The wire ``user`` message(s) for one user turn (several with ``split_user_parts``)."""
    target = _Target(rules, provider, model, modalities)
    parts: list[str | dict[str, Any]] = []
    for j, req in enumerate(msg.requests):
        doc = req.doc
        if doc is None:
            parts.append(req.text)
        else:
            parts.append(_doc_part(doc, target, InputRef(index, j, doc.kind, doc_label(doc))))
    if rules.split_user_parts or len(parts) == 1:
        return [{"role": "user", "content": p if isinstance(p, str) else [p]} for p in parts]
    content = [{"type": "text", "text": p} if isinstance(p, str) else p for p in parts]
    return [{"role": "user", "content": content}]
