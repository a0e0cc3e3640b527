"""The provider-neutral data model: what goes into a model and what comes out.

A conversation is a list of :class:`Message`. Each message is exactly one of:

* a **user** turn: ``requests``, a list of :class:`Request` (text or a :class:`Doc`);
* an **assistant** turn: ``replies``, a list of :class:`Reply` (text, reasoning, a tool call, a
  document, a citation, or provider-specific ``opaque`` data);
* a **tool** turn: ``tool_call_results``, a list of :class:`ToolCallResult` computed locally.

A call returns a :class:`Result`: the assistant message plus :class:`Usage` and logprobs. A result
can be appended to the conversation as it is to continue it.

Objects built by users are validated strictly at construction. Objects built from parsed wire data
go through :func:`trusted` instead: the parser has already checked what it read, and building a
validated model per streamed chunk would cost more than decoding the chunk.
"""

# No ``from __future__ import annotations`` in the modules defining models: pydantic would then
# evaluate each field's annotation from its string when the class is built, at import.
import json
import mimetypes
import posixpath
import typing
import urllib.parse
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, TypeVar, cast

import pydantic
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .errors import ValidationError, pydantic_message
from .openenum import OpenStrEnum

__all__ = [
    "Citation",
    "CitationSource",
    "Doc",
    "Embeddings",
    "FinishReason",
    "Logprob",
    "Message",
    "Messages",
    "Model",
    "RateLimit",
    "Reply",
    "Request",
    "Result",
    "Role",
    "ToolCall",
    "ToolCallResult",
    "Usage",
]

Role = Literal["user", "assistant", "tool"]


# Strict, immutable, no unknown fields; validators are built on first use, not at import.
STRICT_CONFIG = ConfigDict(strict=True, frozen=True, extra="forbid", defer_build=True)
#: The same, for models holding callables or classes (tools, decode targets).
STRICT_ARBITRARY_CONFIG = ConfigDict(
    strict=True, frozen=True, extra="forbid", defer_build=True, arbitrary_types_allowed=True
)


class _Strict(BaseModel):
    model_config = STRICT_CONFIG

    def __init__(self, **data: Any) -> None:
        # Turn pydantic's error into ours so callers catch one class; keep pydantic's text, it
        # names the field and what was wrong.
        try:
            super().__init__(**data)
        except pydantic.ValidationError as exc:
            raise ValidationError(pydantic_message(type(self).__name__, exc)) from None


_M = TypeVar("_M", bound=BaseModel)


# The slots every pydantic model instance has, set through their descriptors: the cheapest way
# to make an instance without running validation (see build_trusted).
_SET_DICT = BaseModel.__dict__["__dict__"].__set__
_SET_FIELDS_SET = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_SET_EXTRA = BaseModel.__dict__["__pydantic_extra__"].__set__
_SET_PRIVATE = BaseModel.__dict__["__pydantic_private__"].__set__


def build_trusted(cls: type[_M], data: dict[str, Any], fields_set: set[str]) -> _M:
    """An instance of ``cls`` whose ``__dict__`` is ``data`` (every field), unvalidated.

    Several times cheaper than validating (``Reply(text="hi")``) and than pydantic's
    ``model_construct``, which still walks the fields; see docs/performance.md.
    """
    obj = object.__new__(cls)
    _SET_DICT(obj, data)
    _SET_FIELDS_SET(obj, fields_set)
    _SET_EXTRA(obj, None)
    _SET_PRIVATE(obj, None)
    return obj


def fragment_builder(field: Literal["text", "reasoning"]) -> Callable[[str], "Reply"]:
    """A function making the :class:`Reply` whose ``field`` is the given string, unvalidated.

    The stream hot path builds one per content chunk: the same as :func:`build_trusted` with the
    dict and the fields set written out, and no call to it.
    """
    new = object.__new__
    set_dict, set_fields = _SET_DICT, _SET_FIELDS_SET
    set_extra, set_private = _SET_EXTRA, _SET_PRIVATE
    # Copying a dict of the same keys costs less than building one from a literal; the values
    # that differ (the string, a fresh ``opaque``) then replace the template's in place.
    template: dict[str, Any] = {
        "text": "",
        "reasoning": "",
        "tool_call": None,
        "doc": None,
        "citation": None,
        "opaque": None,
    }

    def build(value: str) -> Reply:
        obj = new(Reply)
        data = template.copy()
        data[field] = value
        data["opaque"] = {}
        set_dict(obj, data)
        set_fields(obj, {field})
        set_extra(obj, None)
        set_private(obj, None)
        return obj

    return build


def trusted(cls: type[_M], **values: Any) -> _M:
    """Build ``cls`` from values the library produced itself, without validation.

    Fields not given take their declared defaults; used for objects built from parsed wire data.
    """
    entry = _DEFAULTS.get(cls)
    if entry is None:
        entry = _defaults(cls)
    defaults, factories = entry
    data = defaults.copy()
    for name, factory in factories:
        # A factory default (a list, a dict) is made fresh, unless a value replaces it.
        data[name] = values[name] if name in values else factory()
    data.update(values)
    return build_trusted(cls, data, set(values))


# Per model class: its plain defaults, and its factory defaults as (name, factory) pairs, in
# field order (which is the order of the instance's __dict__, hence of repr and model_dump).
_DEFAULTS: dict[
    type[BaseModel], tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...]]
] = {}


def _defaults(
    cls: type[BaseModel],
) -> tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...]]:
    fields = cls.model_fields
    factories: list[tuple[str, Callable[[], Any]]] = [
        (n, cast("Callable[[], Any]", f.default_factory))  # no model here takes validated data
        for n, f in fields.items()
        if f.default_factory is not None
    ]
    entry = (
        {n: f.default for n, f in fields.items() if f.default_factory is None},
        tuple(factories),
    )
    _DEFAULTS[cls] = entry
    return entry


# --- documents --------------------------------------------------------------------------------

# Extensions whose MIME type the platform table gets wrong or lacks.
_MIME_OVERRIDES = {
    ".aac": "audio/aac",
    ".flac": "audio/flac",
    ".wav": "audio/wav",
    ".webm": "video/webm",
    ".md": "text/markdown",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".txt": "text/plain",
    ".pdf": "application/pdf",
    ".json": "application/json",
    ".csv": "text/csv",
    ".html": "text/html",
    ".mp3": "audio/mpeg",
    ".mp4": "video/mp4",
}


def mime_from_name(name: str) -> str | None:
    """The MIME type for a file name or URL path, from its extension only (no sniffing)."""
    ext = posixpath.splitext(name.lower())[1]
    if not ext:
        return None
    return _MIME_OVERRIDES.get(ext) or mimetypes.types_map.get(ext)


def mime_from_data(data: bytes) -> str | None:
    """The MIME type the first bytes announce (PNG, JPEG, GIF, WebP, PDF, WAV, MP3, FLAC, Ogg).

    Only formats with an unambiguous signature are recognised; anything else is None.
    """
    head = data[:16]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    # MP3: an ID3v2 tag, or an MPEG-1/2 layer III frame header (11 sync bits, then 01 or 11 for
    # the version, 01 for the layer).
    if head.startswith(b"ID3") or (
        len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE6) in (0xE2, 0xF2)
    ):
        return "audio/mpeg"
    return None


_TEXT_MIMES = frozenset(
    {
        "application/json",
        "application/xml",
        "application/yaml",
        "application/x-yaml",
        "application/toml",
        "application/javascript",
        "application/x-sh",
        "application/sql",
    }
)

#: What a document is, for a model: the input modality it needs.
DocKind = Literal["text", "image", "audio", "video", "document"]


def kind_of_mime(mime: str | None) -> DocKind:
    """The modality of a MIME type: ``text`` (sent inline), ``image``, ``audio``, ``video`` or
    ``document`` (PDF and any other binary file)."""
    if not mime:
        return "document"
    mime = mime.split(";", 1)[0].strip().lower()
    major = mime.split("/", 1)[0]
    if major == "text" or mime in _TEXT_MIMES or mime.endswith(("+json", "+xml")):
        return "text"
    if major in ("image", "audio", "video"):
        return major  # type: ignore[return-value]
    return "document"


ImageDetail = Literal["auto", "low", "high"]


class Doc(_Strict):
    """A document: raw bytes or a URL, with a file name whose extension gives the type.

    The type is, in order: ``mime_type`` when given; for bytes, the file name's extension, or the
    bytes' own signature when the extension says nothing (an image whose signature names another
    image type is sent as what it is); for a URL, its path's extension or a ``data:`` URL's type.
    ``detail`` asks a vision model for ``low`` or ``high`` fidelity (images only).
    """

    filename: str | None = None
    data: bytes | None = None
    url: str | None = None
    mime_type: str | None = None
    detail: ImageDetail | None = None

    @model_validator(mode="after")
    def _check(self) -> "Doc":
        if self.data is not None and self.url is not None:
            raise ValueError("give data or url, not both")
        if self.data is None and self.url is None:
            raise ValueError("give data (with a filename) or url")
        if self.data is not None and not self.data:
            raise ValueError("data is empty")
        if self.filename is not None and ("/" in self.filename or "\\" in self.filename):
            raise ValueError("filename must be a bare name, without directories")
        mime = self.mime()
        if self.data is not None and mime is None:
            raise ValueError(
                "cannot tell the document's type: pass a filename with a known extension "
                "(e.g. 'photo.jpg') or mime_type="
            )
        if self.url is not None:
            scheme = urllib.parse.urlsplit(self.url).scheme
            if scheme not in ("http", "https", "data"):
                raise ValueError(f"url must be http(s) or data:, got {self.url[:40]!r}")
        if self.detail is not None and mime is not None and kind_of_mime(mime) != "image":
            raise ValueError(f"detail applies to images only, and this document is {mime}")
        return self

    @classmethod
    def from_path(
        cls, path: str | Path, *, mime_type: str | None = None, detail: ImageDetail | None = None
    ) -> "Doc":
        """Read a local file; its extension (or, failing that, its first bytes) gives the type."""
        p = Path(path)
        return cls(filename=p.name, data=p.read_bytes(), mime_type=mime_type, detail=detail)

    @classmethod
    def from_bytes(
        cls,
        data: bytes,
        filename: str | None = None,
        *,
        mime_type: str | None = None,
        detail: ImageDetail | None = None,
    ) -> "Doc":
        """Bytes in memory. Without a filename or mime_type the bytes' signature gives the type."""
        return cls(filename=filename, data=data, mime_type=mime_type, detail=detail)

    @classmethod
    def from_url(
        cls, url: str, *, mime_type: str | None = None, detail: ImageDetail | None = None
    ) -> "Doc":
        """A remote document (the model's server fetches it) or a ``data:`` URL."""
        return cls(url=url, mime_type=mime_type, detail=detail)

    def mime(self) -> str | None:
        """The MIME type (see the class docstring for the order of the sources), or None."""
        if self.mime_type:
            return self.mime_type
        if self.data is not None:
            named = mime_from_name(self.filename) if self.filename else None
            if named is not None and not named.startswith("image/"):
                return named
            # No extension, or an image extension: trust the signature when it names an image
            # (a PNG saved as .jpg is still a PNG). Signatures never override a non-image
            # extension: a notes.txt starting with "ID3" is text.
            sniffed = mime_from_data(self.data)
            if named is None or (sniffed is not None and sniffed.startswith("image/")):
                return sniffed or named
            return named
        if self.filename:
            named = mime_from_name(self.filename)
            if named is not None:
                return named
        if self.url:
            if self.url.startswith("data:"):
                # RFC 2397: a data: URL without a type is text/plain.
                head = self.url[5:].split(",", 1)[0]
                return head.split(";", 1)[0] or "text/plain"
            return mime_from_name(urllib.parse.urlsplit(self.url).path)
        return None

    @property
    def kind(self) -> DocKind:
        """The input modality the document needs. A URL of unknown type counts as an image."""
        mime = self.mime()
        if mime is None and self.url is not None:
            return "image"
        return kind_of_mime(mime)

    def __repr__(self) -> str:
        # Never dump megabytes of document into a log line.
        what = f"url={self.url[:60]!r}" if self.url else f"data=<{len(self.data or b'')} bytes>"
        extra = f", detail={self.detail!r}" if self.detail else ""
        return f"Doc(filename={self.filename!r}, {what}, mime_type={self.mime_type!r}{extra})"

    __str__ = __repr__


class Request(_Strict):
    """One piece of user input: ``text`` or ``doc``, exactly one."""

    text: str = ""
    doc: Doc | None = None

    @model_validator(mode="after")
    def _check(self) -> "Request":
        if self.text and self.doc is not None:
            raise ValueError("give text or doc, not both")
        if not self.text and self.doc is None:
            raise ValueError("empty request: give text or doc")
        return self


# --- tool calls -------------------------------------------------------------------------------


class ToolCall(_Strict):
    """A tool call requested by the model.

    ``arguments`` is the JSON text exactly as the model sent it: it is echoed back byte for byte
    when the conversation continues, and decoded only when the tool runs.
    """

    id: str = ""
    name: str = ""
    arguments: str = ""
    opaque: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> "ToolCall":
        if not self.id and not self.name:
            raise ValueError("a tool call needs an id or a name")
        if self.arguments.strip():
            try:
                json.loads(self.arguments)
            except ValueError as exc:
                raise ValueError(f"arguments are not JSON: {exc}") from None
        return self

    def decode_arguments(self) -> Any:
        """The arguments parsed as JSON (``{}`` when the model sent none)."""
        return json.loads(self.arguments) if self.arguments.strip() else {}


class ToolCallResult(_Strict):
    """The local result of a tool call, sent back to the model."""

    id: str = ""
    name: str = ""
    result: str

    @model_validator(mode="after")
    def _check(self) -> "ToolCallResult":
        if not self.id and not self.name:
            raise ValueError("a tool call result needs the call's id or name")
        if not self.result:
            raise ValueError("result is empty")
        return self


# --- citations --------------------------------------------------------------------------------


class CitationSource(_Strict):
    """Where a citation comes from."""

    type: Literal["web_query", "web", "web_image", "document", "tool"] = "document"
    id: str = ""
    title: str = ""
    url: str = ""
    snippet: str = ""

    @model_validator(mode="after")
    def _check(self) -> "CitationSource":
        if self.type != "web_query" and not self.id and not self.url:
            raise ValueError("a citation source needs an id or a url")
        return self


class Citation(_Strict):
    """A span of the answer (character offsets, end exclusive) backed by sources."""

    cited_text: str = ""
    start_index: int = Field(default=0, ge=0)
    end_index: int = Field(default=0, ge=0)
    sources: list[CitationSource] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> "Citation":
        if self.end_index and self.end_index <= self.start_index:
            raise ValueError("end_index must be greater than start_index")
        return self


# --- replies ----------------------------------------------------------------------------------


class Reply(_Strict):
    """One block of model output, or one streamed fragment of it.

    Normally exactly one of ``text``, ``reasoning``, ``tool_call``, ``doc``, ``citation`` is set;
    ``opaque`` carries provider continuity data and may accompany any of them (or stand alone).
    """

    text: str = ""
    reasoning: str = ""
    tool_call: ToolCall | None = None
    doc: Doc | None = None
    citation: Citation | None = None
    opaque: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> "Reply":
        set_fields = [
            name
            for name, value in (
                ("text", self.text),
                ("reasoning", self.reasoning),
                ("tool_call", self.tool_call),
                ("doc", self.doc),
                ("citation", self.citation),
            )
            if value
        ]
        if len(set_fields) > 1:
            raise ValueError(f"a reply holds one kind of content, got {', '.join(set_fields)}")
        if not set_fields and not self.opaque:
            raise ValueError("empty reply")
        return self

    @property
    def kind(self) -> str:
        """``text``, ``reasoning``, ``tool_call``, ``doc``, ``citation`` or ``opaque``."""
        if self.text:
            return "text"
        if self.reasoning:
            return "reasoning"
        if self.tool_call is not None:
            return "tool_call"
        if self.doc is not None:
            return "doc"
        if self.citation is not None:
            return "citation"
        return "opaque"


# --- messages ---------------------------------------------------------------------------------

UserPart = str | Doc | Request
AssistantPart = str | ToolCall | Reply


class Message(_Strict):
    """One turn of a conversation: user ``requests``, assistant ``replies`` or tool results."""

    requests: list[Request] = Field(default_factory=list)
    replies: list[Reply] = Field(default_factory=list)
    tool_call_results: list[ToolCallResult] = Field(default_factory=list)

    _allow_empty: ClassVar[bool] = False

    @model_validator(mode="after")
    def _check(self) -> "Message":
        filled = sum(bool(x) for x in (self.requests, self.replies, self.tool_call_results))
        if filled > 1:
            raise ValueError("a message holds requests, replies or tool_call_results, not several")
        if filled == 0 and not self._allow_empty:
            raise ValueError("empty message")
        return self

    @classmethod
    def user(cls, *parts: UserPart) -> "Message":
        """A user turn: ``Message.user("Describe this", Doc.from_path("cat.jpg"))``."""
        return cls(requests=[_to_request(p) for p in parts])

    @classmethod
    def assistant(cls, *parts: AssistantPart) -> "Message":
        """An assistant turn from text, tool calls or replies (to replay a conversation)."""
        return cls(replies=[_to_reply(p) for p in parts])

    @classmethod
    def tool_results(cls, *results: ToolCallResult) -> "Message":
        """A tool turn: the results of the previous assistant turn's tool calls."""
        for r in results:
            if not isinstance(r, ToolCallResult):
                raise ValidationError(
                    f"tool results are ToolCallResult objects, got {type(r).__name__}"
                )
        return cls(tool_call_results=list(results))

    @property
    def role(self) -> Role:
        if self.requests:
            return "user"
        if self.tool_call_results:
            return "tool"
        return "assistant"

    @property
    def text(self) -> str:
        """All text of the message joined, without separator; reasoning is not included."""
        parts = [r.text for r in self.requests if r.text]
        parts.extend(r.text for r in self.replies if r.text)
        return "".join(parts)

    @property
    def reasoning(self) -> str:
        """All reasoning of the message joined, without separator."""
        return "".join(r.reasoning for r in self.replies if r.reasoning)

    @property
    def tool_calls(self) -> list[ToolCall]:
        return [r.tool_call for r in self.replies if r.tool_call is not None]


#: What ``gen_*`` calls take: a conversation, or a single message.
Messages = Message | Sequence[Message]


def _to_request(part: UserPart) -> Request:
    if isinstance(part, Request):
        return part
    if isinstance(part, Doc):
        return Request(doc=part)
    if isinstance(part, str):
        return Request(text=part)
    raise ValidationError(f"a user part is text, a Doc or a Request, got {type(part).__name__}")


def _to_reply(part: AssistantPart) -> Reply:
    if isinstance(part, Reply):
        return part
    if isinstance(part, ToolCall):
        return Reply(tool_call=part)
    if isinstance(part, str):
        return Reply(text=part)
    raise ValidationError(
        f"an assistant part is text, a ToolCall or a Reply, got {type(part).__name__}"
    )


# --- results ----------------------------------------------------------------------------------


class FinishReason(OpenStrEnum):
    """Why the model stopped. A value the library does not know is kept verbatim.

    ``FinishReason("eos")`` returns a member whose value is ``"eos"``; it compares equal to the
    string like every member does.
    """

    STOP = "stop"
    """Natural end, or a stop sequence was hit (providers do not tell the two apart)."""
    LENGTH = "length"
    """The max_tokens limit or the context window was reached."""
    TOOL_CALLS = "tool_calls"
    """The model wants tool results before it goes on."""
    CONTENT_FILTER = "content_filter"
    """The provider filtered the output."""
    PENDING = "pending"
    """An asynchronous job that has not finished yet."""

    @property
    def is_known(self) -> bool:
        return self._name_ in type(self).__members__

    def __str__(self) -> str:
        return self.value


class RateLimit(_Strict):
    """A rate limit reported by the provider's response headers."""

    kind: Literal["requests", "tokens"]
    period: Literal["other", "minute", "day", "month"] = "other"
    limit: int
    remaining: int
    reset: datetime | None = None


class Usage(_Strict):
    """Token counts of one call, why it finished, and the rate limits the provider reported."""

    input_tokens: int = 0
    input_cached_tokens: int = 0
    reasoning_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    finish_reason: Annotated[FinishReason | None, Field(strict=False)] = None
    limits: list[RateLimit] = Field(default_factory=list)

    def __add__(self, other: "Usage") -> "Usage":
        """Sum the counters; the finish reason and limits are the later call's."""
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            input_cached_tokens=self.input_cached_tokens + other.input_cached_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            finish_reason=other.finish_reason,
            limits=other.limits,
        )


class Logprob(_Strict):
    """One token with its log probability. ``id`` is the token id when the provider gives it."""

    text: str = ""
    logprob: float
    id: int | None = None


_D = TypeVar("_D")


class Result(Message):
    """The answer of one call: the assistant message, with usage, logprobs and identifiers.

    A result can be appended to the conversation as the assistant turn.
    ``logprobs`` has one list per generated token: the chosen token first, then alternatives.
    """

    usage: Usage = Field(default_factory=Usage)
    logprobs: list[list[Logprob]] = Field(default_factory=list)
    id: str | None = None
    """The provider's id for the completion (``chatcmpl-...``)."""
    model: str | None = None
    """The model that answered, as the provider names it."""
    request_id: str | None = None
    """The provider's request id from the response headers (quote it to support)."""
    raw_finish_reason: str | None = None
    """``finish_reason`` exactly as the wire said, before normalisation; None when absent."""
    raw: Any = Field(default=None, repr=False, exclude=True)
    """The decoded response, for fields this model does not name: the JSON body of a
    non-streamed call; for a stream, a read-only list of its decoded chunks when asked for (the
    ``raw_chunks`` option of OpenAI-compatible providers), else None. Not serialised with the
    conversation."""
    maybe_truncated: bool = Field(default=False, exclude=True)
    """True when a stream stopped with no end marker at all (neither ``[DONE]`` nor a finish
    reason): nothing says the answer is whole, so it may have been cut short. Some servers end
    complete answers that way, so it is a flag, not an error; a tool call cut in the middle of
    its arguments raises :class:`~genai_core.errors.IncompleteStreamError` instead."""
    pricing: dict[str, Decimal] | None = Field(default=None, repr=False, exclude=True)
    """The per-token prices of the model that answered, when the client knew them (its
    ``model_info=``, ``models=`` or an earlier ``list_models()``); what :attr:`cost` uses."""

    _allow_empty: ClassVar[bool] = True

    @model_validator(mode="after")
    def _check_result(self) -> "Result":
        if self.requests or self.tool_call_results:
            raise ValueError("a result holds replies only")
        return self

    @property
    def cost(self) -> Decimal | None:
        """What this call cost in US dollars, from :attr:`usage` and :attr:`pricing`; None when
        either is unknown (never 0 for unknown). See :func:`genai_core.cost`."""
        from .pricing import cost

        return cost(self, self.pricing)

    def cost_for(self, model: "Model | dict[str, Decimal]") -> Decimal | None:
        """What this call cost at the prices of ``model`` (a :class:`Model` from a model list, or
        its ``pricing``); None when unknown."""
        from .pricing import cost

        return cost(self, model)

    @property
    def finish_reason(self) -> FinishReason | None:
        return self.usage.finish_reason

    @typing.overload
    def decode(self, target: type[_D], *, strict: bool = True) -> _D: ...
    @typing.overload
    def decode(self, target: dict[str, Any], *, strict: bool = True) -> Any: ...
    @typing.overload
    def decode(self, target: Any, *, strict: bool = True) -> Any: ...
    def decode(self, target: Any, *, strict: bool = True) -> Any:
        """Parse the answer's text as JSON into ``target``.

        ``target`` is a pydantic model class (returns an instance), any other type pydantic can
        validate (``list[Item]``, a dataclass, a TypedDict...), or a JSON Schema dict (returns the
        parsed JSON after checking it).

        ``strict`` (the default) matches what ``decode_as`` asks of the model: keys the schema
        does not declare are rejected even when the model class itself would ignore them, and
        values are not coerced (``"3"`` is not an int). ``strict=False`` uses the model's own
        rules and also accepts an answer wrapped in a Markdown code fence.

        Raises :class:`~genai_core.errors.DecodeError` (a ValidationError) quoting the offending
        text; when the text is empty but the reasoning holds JSON, the message says the model
        answered in the reasoning channel.
        """
        from .errors import DecodeError
        from .json_schema import cached_type_schema, excerpt, validate_json

        if isinstance(target, dict):
            schema, adapter = target, None
        elif isinstance(target, type) or typing.get_origin(target) is not None:
            schema, adapter = cached_type_schema(target)
        else:
            raise ValidationError(
                "decode takes a pydantic model class, a type or a JSON Schema dict, got "
                f"{type(target).__name__}"
            )
        name = getattr(target, "__name__", None) or ("the schema" if adapter is None else "type")
        text = self.text
        if not text.strip():
            reasoning = self.reasoning
            if _holds_json(reasoning):
                raise DecodeError(
                    f"cannot decode {name}: the text is empty and the reasoning holds JSON "
                    f"({excerpt(reasoning.strip(), 120)}); the model put its answer in the "
                    "reasoning channel. Decode the reasoning yourself, or turn thinking off",
                    text=text,
                    problems=["empty text"],
                    in_reasoning=True,
                )
            why = (
                " (finish reason: length; raise max_tokens)"
                if self.finish_reason == "length"
                else ""
            )
            raise DecodeError(f"cannot decode {name}: the answer has no text{why}", text=text)
        source = text if strict else _strip_fence(text)
        value, problems = validate_json(source, schema, adapter, strict=strict)
        if problems:
            lines = [str(p) for p in problems]
            raise DecodeError(
                f"cannot decode {name}: {'; '.join(lines[:5])}"
                + (f" (and {len(lines) - 5} more)" if len(lines) > 5 else "")
                + f"; text: {excerpt(text)}",
                text=text,
                problems=lines,
            )
        return value


def _holds_json(text: str) -> bool:
    """True when ``text`` is JSON, or has a JSON object or array inside it."""
    text = text.strip()
    if not text:
        return False
    candidates = [text]
    for open_, close in (("{", "}"), ("[", "]")):
        start, end = text.find(open_), text.rfind(close)
        if 0 <= start < end:
            candidates.append(text[start : end + 1])
    for c in candidates:
        try:
            json.loads(c)
        except ValueError:
            continue
        return True
    return False


def _strip_fence(text: str) -> str:
    """The inside of a Markdown code fence around the whole text (``` or ```json)."""
    t = text.strip()
    if t.startswith("```") and t.endswith("```") and len(t) >= 6:
        body = t[3:-3]
        first, sep, rest = body.partition("\n")
        # The first line is a language tag ("json") or empty; anything else is content.
        tag = first.strip()
        return rest if sep and (not tag or tag.isalnum()) else body
    return text


# --- models -----------------------------------------------------------------------------------


class Model(_Strict):
    """A model as the provider's model list describes it. Absent facts are None or empty."""

    id: str
    name: str | None = None
    description: str | None = None
    owned_by: str | None = None
    created: int | None = None
    context_length: int | None = None
    max_completion_tokens: int | None = None
    quantization: str | None = None
    supported_features: list[str] = Field(default_factory=list)
    supported_sampling_parameters: list[str] = Field(default_factory=list)
    input_modalities: list[str] = Field(default_factory=list)
    output_modalities: list[str] = Field(default_factory=list)
    pricing: dict[str, Decimal] = Field(default_factory=dict)
    """Prices in US dollars per token, keyed as the provider keys them (``prompt``, ...)."""
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)
    """The provider's entry as received, for fields this model does not name."""

    def supports(self, feature: str) -> bool:
        return feature in self.supported_features

    def __str__(self) -> str:
        ctx = f" ({self.context_length} tokens)" if self.context_length else ""
        return f"{self.id}{ctx}"


# --- embeddings -------------------------------------------------------------------------------


class Embeddings(_Strict):
    """The vectors of one embeddings call, one per input, in the order of the inputs."""

    vectors: list[list[float]]
    model: str | None = None
    """The model that answered, as the provider names it."""
    usage: Usage = Field(default_factory=Usage)
    """``input_tokens`` / ``total_tokens`` when the server counts them; rate limits if sent."""
    request_id: str | None = None
    raw: Any = Field(default=None, repr=False, exclude=True)
    """The decoded response body, for fields this model does not name."""

    def __len__(self) -> int:
        return len(self.vectors)

    def __repr__(self) -> str:
        dims = len(self.vectors[0]) if self.vectors else 0
        return (
            f"Embeddings({len(self.vectors)} vectors of {dims} dimensions, model={self.model!r}, "
            f"input_tokens={self.usage.input_tokens})"
        )
