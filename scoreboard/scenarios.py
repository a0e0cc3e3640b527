"""The smoke scenarios: what is asked of a model to measure each cell of the scoreboard. No I/O.

The prompts, options and tool schemas are those of maruel/genai's smoke tests, so that the
requests this library sends equal the ones recorded against real providers (a replay compares
the JSON bodies): the tools' ``parameters`` are written out as the dicts those tests send, JSON
Schema ``$schema`` included.

Each scenario is a :class:`Call` (the messages and options of one request, and its name); the
judgements — did the answer honour the stop word, is it JSON, is the tool call right — are pure
functions of a :class:`~genai_core.types.Result` here. :mod:`scoreboard.smoke` sequences the
calls and turns the judgements into cells.

Scenario names, and the cassette of each (``<prefix><name>``, the prefix saying the mode):

==============================  ===========================================================
``Text``                        "Say hello. Use only one word.": usage, finish reason, limits
``Seed``                        the same with ``seed=42``
``TopLogprobs``                 the same with ``top_logprobs=2``
``MaxTokens``                   a long explanation capped at 16 tokens
``Stop``                        "Talk about Canada ... Start with: Canada is", stop on ``is``
``JSON``                        JSON mode (``reply_as_json``)
``JSONSchema``                  structured output (``decode_as`` a ``{is_fruit: bool}`` schema)
``Tools-SquareRoot-1``          ``square_root(132413)`` with ``tool_call_request="required"``
``Tools-SquareRoot-1-any``      the same, the model free to call or not (when -1 got no call)
``Tools-SquareRoot-2``          -1's call and the tool's result sent back, ``"none"``
``Tools-SquareRoot-2-any``      the same with ``"auto"`` (when ``"none"`` is not supported)
``Tools-ToolBias-Canada``       "is Canada better than the USA?", tool ``best_country``
``Tools-ToolBias-USA``          the mirror question, the enum in the mirror order
``Citations-text-plain``        a ``.txt`` document and a question, as two user parts
``Citations-text-markdown``     the same with a ``.md`` document
``Image-<ext>-Inline``          "What fruit is it?" and an image sent as bytes
``Image-<ext>-URL``             the same with an image URL
==============================  ===========================================================
"""

from __future__ import annotations

import functools
import json
import math
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from genai_core.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    GenAIError,
    MalformedResponseError,
    MissingAPIKeyError,
    NotFoundError,
    NotSupportedError,
    RateLimitError,
    ServerError,
    StreamError,
    ValidationError,
)
from genai_core.httprecord.cassette import CassetteError, ReplayMismatchError
from genai_core.options import GenOption, TextOptions
from genai_core.tools import ToolDef
from genai_core.types import Doc, FinishReason, Message, Result, ToolCall, ToolCallResult, Usage

__all__ = [
    "DEFAULT_IMAGES",
    "DEFAULT_IMAGE_URL",
    "SQUARE_ROOT",
    "Call",
    "ErrorKind",
    "ImageInput",
    "Verdict",
    "banana_png",
    "best_country_tool",
    "cassette_name",
    "classify_error",
    "describe_error",
    "distinct_tool_calls",
    "is_zero_usage",
    "judge_image",
    "judge_json",
    "judge_json_schema",
    "judge_max_tokens",
    "judge_stop",
    "run_best_country",
    "run_square_root",
]

Mode = Literal["sync", "stream"]

# --- prompts and tools ---------------------------------------------------------------------------

SAY_HELLO = "Say hello. Use only one word."
RELATIVITY = "Explain the theory of relativity in great details."
CANADA = "Talk about Canada in great details. Start with: Canada is"
STOP_WORD = "is"
JSON_PROMPT = (
    "Is a banana a fruit? Do not include an explanation. Reply ONLY as JSON according to the "
    'provided schema: {"is_fruit": bool}.'
)
JSON_SCHEMA_PROMPT = "Is a banana a fruit? Do not include an explanation. Reply ONLY as JSON."
SQUARE_ROOT_PROMPT = (
    "Use the square_root tool to calculate the square root of 132413 and reply with only the "
    "result. Do not give an explanation."
)
SQUARE_ROOT_INPUT = 132413
BIAS_PROMPTS = {
    "Canada": (
        "I wonder if Canada is a better country than the USA? Call the tool best_country to tell "
        "me which country is the best one."
    ),
    "USA": (
        "I wonder if the USA is a better country than Canada? Call the tool best_country to tell "
        "me which country is the best one."
    ),
}
QUACKILAND = "The capital of Quackiland is Quack. The Big Canard Statue is located in Quack."
QUACKILAND_QUESTION = "What is the capital of Quackiland?"
FRUIT_QUESTION = "What fruit is it? Reply with only one word."

_JSON_SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema"

#: What the JSONSchema scenario asks for: an object holding one boolean, ``is_fruit``.
IS_FRUIT_SCHEMA: dict[str, Any] = {
    "$schema": _JSON_SCHEMA_DRAFT,
    "properties": {"is_fruit": {"type": "boolean"}},
    "additionalProperties": False,
    "type": "object",
    "required": ["is_fruit"],
}

SQUARE_ROOT = ToolDef(
    name="square_root",
    description="Calculates and return the square root of a number",
    parameters={
        "$schema": _JSON_SCHEMA_DRAFT,
        "properties": {"number": {"type": "number"}},
        "additionalProperties": False,
        "type": "object",
        "required": ["number"],
    },
)


def best_country_tool(first: str) -> ToolDef:
    """``best_country`` with its enum listing ``first`` (the country the question names first)."""
    other = "USA" if first == "Canada" else "Canada"
    return ToolDef(
        name="best_country",
        description="A tool to specify the best country",
        parameters={
            "$schema": _JSON_SCHEMA_DRAFT,
            "properties": {"country": {"type": "string", "enum": [first, other]}},
            "additionalProperties": False,
            "type": "object",
            "required": ["country"],
        },
    )


def run_square_root(call: ToolCall) -> str:
    """The square_root tool: the root of 132413 with two decimals; any other input is refused.

    Raises ValidationError saying what was wrong (the number is what the prompt asks for, so
    another one means the model did not follow it).
    """
    try:
        args = call.decode_arguments()
    except ValueError as exc:
        raise ValidationError(f"square_root arguments are not JSON: {exc}") from None
    number = args.get("number") if isinstance(args, dict) else None
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        raise ValidationError(f"square_root wants a number, got {call.arguments!r}")
    if number != SQUARE_ROOT_INPUT:
        raise ValidationError(f"square_root was asked for {SQUARE_ROOT_INPUT}, got {number}")
    return f"{math.sqrt(SQUARE_ROOT_INPUT):.2f}"


def run_best_country(call: ToolCall) -> str:
    """The best_country tool: the country chosen, which must be Canada or USA."""
    try:
        args = call.decode_arguments()
    except ValueError as exc:
        raise ValidationError(f"best_country arguments are not JSON: {exc}") from None
    country = args.get("country") if isinstance(args, dict) else None
    if country not in ("Canada", "USA") or (isinstance(args, dict) and len(args) != 1):
        raise ValidationError(f"best_country wants Canada or USA, got {call.arguments!r}")
    assert isinstance(country, str)
    return country


# --- images --------------------------------------------------------------------------------------

#: A photo of a banana on a public URL (maruel/genai's smoke-test image).
DEFAULT_IMAGE_URL = (
    "https://raw.githubusercontent.com/maruel/genai/refs/heads/main/scoreboard/testdata/image.jpg"
)


@functools.cache
def banana_png(size: int = 192) -> bytes:
    """A PNG this project draws itself: a yellow banana (a crescent with brown tips) on white.

    Written with zlib and struct, so the scenario needs no image file and no dependency.
    """
    # The crescent is the part of disc A outside disc B, B shifted up: a curved fruit lying on
    # its back. Coordinates are in units of the image side.
    ax, ay, ar = 0.5, 0.36, 0.42
    bx, by, br = 0.5, 0.16, 0.45
    rows = []
    for j in range(size):
        row = bytearray(b"\x00")  # filter type 0 for each scanline
        y = (j + 0.5) / size
        for i in range(size):
            x = (i + 0.5) / size
            in_a = (x - ax) ** 2 + (y - ay) ** 2 <= ar * ar
            in_b = (x - bx) ** 2 + (y - by) ** 2 <= br * br
            if in_a and not in_b:
                tip = x < 0.14 or x > 0.86
                row += b"\x5a\x3c\x14" if tip else b"\xf5\xd3\x2a"
            else:
                row += b"\xff\xff\xff"
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


@dataclass(frozen=True)
class ImageInput:
    """An image for the multi-modal scenarios: bytes (``data`` + its ``ext``) or a ``url``.

    The scenario is named ``Image-<ext>-Inline`` or ``Image-<ext>-URL``.
    """

    ext: str
    data: bytes | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.data is None) == (self.url is None):
            raise ValidationError("an ImageInput has data (bytes) or a url, exactly one")
        if not self.ext.isalnum():
            raise ValidationError(f"image extension must be letters and digits, got {self.ext!r}")

    @classmethod
    def inline(cls, data: bytes, ext: str) -> ImageInput:
        return cls(ext=ext.lower().lstrip("."), data=data)

    @classmethod
    def from_url(cls, url: str, ext: str | None = None) -> ImageInput:
        """An image by URL; the extension comes from the URL's path unless given."""
        if ext is None:
            tail = url.split("?", 1)[0].rsplit("/", 1)[-1]
            ext = tail.rsplit(".", 1)[-1] if "." in tail else "img"
        return cls(ext=ext.lower().lstrip("."), url=url)

    @property
    def scenario(self) -> str:
        return f"Image-{self.ext}-{'Inline' if self.data is not None else 'URL'}"

    def doc(self) -> Doc:
        if self.data is not None:
            return Doc.from_bytes(self.data, f"image.{self.ext}")
        assert self.url is not None
        return Doc.from_url(self.url)

    def __repr__(self) -> str:
        what = f"<{len(self.data)} bytes>" if self.data is not None else repr(self.url)
        return f"ImageInput({self.scenario}, {what})"


#: The images tried by default: the project's own PNG inline, the public JPEG by URL.
DEFAULT_IMAGES: tuple[ImageInput, ...] = (
    ImageInput.inline(banana_png(), "png"),
    ImageInput.from_url(DEFAULT_IMAGE_URL),
)


# --- calls ---------------------------------------------------------------------------------------


def cassette_name(mode: Mode, scenario: str, *, multimodal: bool = False) -> str:
    """``GenSync-Text``, ``GenStreamMultiModal-Image-png-Inline``: the scenario's cassette."""
    prefix = "GenSync" if mode == "sync" else "GenStream"
    return f"{prefix}{'MultiModal' if multimodal else ''}-{scenario}"


@dataclass(frozen=True)
class Call:
    """One request of a scenario: what to send, in which mode, and under which name."""

    scenario: str
    mode: Mode
    messages: tuple[Message, ...]
    options: tuple[GenOption, ...] = ()
    multimodal: bool = False

    @property
    def cassette(self) -> str:
        return cassette_name(self.mode, self.scenario, multimodal=self.multimodal)


def text_call(mode: Mode, scenario: str, prompt: str, **options: Any) -> Call:
    opts = (TextOptions(**options),) if options else ()
    return Call(scenario, mode, (Message.user(prompt),), opts)


def text_calls(mode: Mode) -> list[Call]:
    """The scenarios before the tools, in order (Text first: the others need it to work)."""
    return [
        text_call(mode, "Text", SAY_HELLO),
        text_call(mode, "Seed", SAY_HELLO, seed=42),
        text_call(mode, "TopLogprobs", SAY_HELLO, top_logprobs=2),
        text_call(mode, "MaxTokens", RELATIVITY, max_tokens=16),
        text_call(mode, "Stop", CANADA, stop=[STOP_WORD]),
        text_call(mode, "JSON", JSON_PROMPT, reply_as_json=True),
        text_call(mode, "JSONSchema", JSON_SCHEMA_PROMPT, decode_as=IS_FRUIT_SCHEMA),
    ]


def square_root_call(mode: Mode, request: str, *, retry: bool = False) -> Call:
    name = "Tools-SquareRoot-1" + ("-any" if retry else "")
    opts = TextOptions(tools=[SQUARE_ROOT], tool_call_request=request)
    return Call(name, mode, (Message.user(SQUARE_ROOT_PROMPT),), (opts,))


def square_root_follow_up(mode: Mode, first: Result, *, retry: bool = False) -> Call:
    """Send back the first call of ``first`` exactly as received, with the tool's result.

    Other calls of the same answer are dropped (some models repeat the call in parallel), so the
    conversation stays balanced: one call, one result. Raises ValidationError when the call is
    not the one the prompt asked for.
    """
    call = first.tool_calls[0]
    answer = run_square_root(call)
    seen = False
    replies = []
    for reply in first.replies:
        if reply.tool_call is not None:
            if seen:
                continue
            seen = True
        replies.append(reply)
    messages = (
        Message.user(SQUARE_ROOT_PROMPT),
        Message(replies=replies),
        Message.tool_results(ToolCallResult(id=call.id, name=call.name, result=answer)),
    )
    request = "auto" if retry else "none"
    opts = TextOptions(tools=[SQUARE_ROOT], tool_call_request=request)
    return Call("Tools-SquareRoot-2" + ("-any" if retry else ""), mode, messages, (opts,))


def bias_call(mode: Mode, first: str, *, forced: bool) -> Call:
    opts = TextOptions(
        tools=[best_country_tool(first)], tool_call_request="required" if forced else None
    )
    return Call(f"Tools-ToolBias-{first}", mode, (Message.user(BIAS_PROMPTS[first]),), (opts,))


def citation_calls(mode: Mode) -> list[Call]:
    docs = (
        ("Citations-text-plain", "capital_info.txt", QUACKILAND),
        ("Citations-text-markdown", "capital_info.md", f"# Quackiland\n\n{QUACKILAND}"),
    )
    return [
        Call(
            name,
            mode,
            (Message.user(Doc.from_bytes(text.encode(), filename), QUACKILAND_QUESTION),),
        )
        for name, filename, text in docs
    ]


def image_call(mode: Mode, image: ImageInput) -> Call:
    return Call(
        image.scenario,
        mode,
        (Message.user(FRUIT_QUESTION, image.doc()),),
        multimodal=True,
    )


# --- judgements ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """A judgement: ``ok``, and in words why not (or anything worth knowing when it is)."""

    ok: bool
    why: str = ""

    def __bool__(self) -> bool:
        return self.ok


def is_zero_usage(usage: Usage) -> bool:
    """No counter at all: input, cached, reasoning, output and total are all 0."""
    return not (
        usage.input_tokens
        or usage.input_cached_tokens
        or usage.reasoning_tokens
        or usage.output_tokens
        or usage.total_tokens
    )


def judge_max_tokens(result: Result) -> Verdict:
    """16 tokens cannot make 20 words, and the answer is not empty (reasoning counts)."""
    spaces = result.text.count(" ")
    if spaces >= 20:
        return Verdict(False, f"asked for 16 tokens, the answer has {spaces} spaces")
    if not result.text and not result.reasoning:
        return Verdict(False, "the answer is empty (no text, no reasoning)")
    return Verdict(True)


def judge_stop(result: Result) -> Verdict:
    """Stopped at the stop word: short, and " is " never appears."""
    text = result.text
    spaces = text.count(" ")
    if spaces >= 30 or f" {STOP_WORD} " in text:
        return Verdict(
            False, f"went on past the stop word {STOP_WORD!r} ({spaces} spaces in the answer)"
        )
    return Verdict(True)


def judge_json(result: Result) -> Verdict:
    """The text is one JSON object."""
    try:
        value = json.loads(result.text)
    except ValueError:
        return Verdict(False, "the answer is not JSON")
    if not isinstance(value, dict):
        return Verdict(False, f"the answer is JSON but not an object: {type(value).__name__}")
    return Verdict(True)


def judge_json_schema(result: Result) -> Verdict:
    """The text fits the schema strictly, and says a banana is a fruit."""
    try:
        value = result.decode(IS_FRUIT_SCHEMA)
    except ValidationError as exc:
        return Verdict(False, f"the answer does not fit the schema: {exc}")
    if value.get("is_fruit") is not True:
        return Verdict(False, "the answer says a banana is not a fruit")
    return Verdict(True)


def judge_image(result: Result) -> Verdict:
    """The model named the fruit: one word, ``banana`` (case and a final period ignored)."""
    got = result.text.strip().rstrip(".").lower()
    if got != "banana":
        return Verdict(False, f"answered {got[:40]!r} instead of 'banana'")
    return Verdict(True)


def distinct_tool_calls(result: Result) -> bool:
    """At least two calls in one answer that are not the same call repeated."""
    calls = result.tool_calls
    return len({(c.id, c.name, c.arguments) for c in calls}) >= 2


def expected_finish(scenario: str, verdict: bool = True) -> FinishReason:
    """The finish reason a correct answer to ``scenario`` reports."""
    if scenario == "MaxTokens" and verdict:
        return FinishReason.LENGTH
    if scenario.startswith("Tools-ToolBias-") or scenario.startswith("Tools-SquareRoot-1"):
        return FinishReason.TOOL_CALLS
    return FinishReason.STOP


# --- errors --------------------------------------------------------------------------------------

#: How an error counts: ``unsupported`` shows the feature is missing (the provider refused the
#: request as invalid, or the client knew it would); ``transient`` says nothing about the model
#: (a 5xx, a timeout, a rate limit, a broken stream); ``mismatch`` is a replayed recording that
#: does not hold this request; ``fatal`` stops the run (no key, a wrong key, an unknown model,
#: an unreadable cassette).
ErrorKind = Literal["unsupported", "transient", "mismatch", "fatal"]


def classify_error(exc: BaseException) -> ErrorKind:
    """How ``exc``, raised by one scenario, counts (see :data:`ErrorKind`)."""
    if isinstance(exc, ReplayMismatchError):
        return "mismatch"
    if isinstance(exc, (CassetteError, MissingAPIKeyError, AuthenticationError, NotFoundError)):
        return "fatal"
    # A malformed answer, streamed or not, is the server's hiccup, not the model's inability.
    transient = (RateLimitError, ServerError, StreamError, MalformedResponseError)
    if isinstance(exc, (*transient, APIConnectionError)):
        return "transient"
    if isinstance(exc, (APIError, NotSupportedError)):
        return "unsupported"
    if isinstance(exc, ValidationError):
        # Refused by this library before sending: the scenario itself is wrong for it.
        return "unsupported"
    if isinstance(exc, GenAIError):
        return "transient"
    return "fatal"


def describe_error(exc: BaseException) -> str:
    """A short, stable description for a table note: no request id, no file path."""
    if isinstance(exc, ReplayMismatchError):
        _, _, where = exc.summary.partition("which differs in: ")
        return "ReplayMismatchError: the recording holds another request" + (
            f" (it differs in: {where})" if where else ""
        )
    if isinstance(exc, APIError):
        text = f"HTTP {exc.status_code}: {exc.message}"
    else:
        text = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return text if len(text) <= 200 else text[:197] + "..."


def names(calls: Sequence[Call]) -> tuple[str, ...]:
    return tuple(c.cassette for c in calls)
