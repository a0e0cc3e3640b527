"""Helpers for the conformance tests over the real wire recordings in ``GENAI_WIRE_DIR``.

The recordings (``../shared/wire``, see its README) are read at run time and never copied into
this repository. Layout: ``<GENAI_WIRE_DIR>/<provider>/EXPECTED.json`` maps a recording's path,
relative to the provider directory, to what a correct client extracts from it. A recording is
``{"interactions": [{"request": {method, url, headers, body}, "response": {status_code, headers,
body}}]}`` with byte-exact string bodies and list-valued headers.

Three things live here, none of them tied to one recording, model or count:

* loading: :func:`wire_dir`, :func:`load_cases`, :func:`tool_round_trips`, :class:`Interaction`;
* serving: :func:`mock_transport` replays one recorded response (streams in several pieces, so
  the SSE decoder sees real splits) and checks the request line and auth headers;
* rebuilding: :func:`call_from_request` turns a recorded request body back into the neutral call
  (messages and options) that makes the client send it.
"""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
import os
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import httpx
from harness.bodies import split_bytes
from harness.scripted import ScriptedBody
from harness.scripted import pieces as harness_pieces

import genai_baseten
from genai_core.options import GenOption, TextOptions
from genai_core.tools import ToolDef
from genai_core.types import (
    Doc,
    Message,
    Request,
    ToolCall,
    ToolCallResult,
    mime_from_name,
)

__all__ = [
    "API_KEY",
    "ENV_VAR",
    "SKIP_REASON",
    "Case",
    "Interaction",
    "NeutralCall",
    "RoundTrip",
    "call_from_request",
    "chunked_body",
    "load_cases",
    "mock_transport",
    "pieces",
    "replay_handler",
    "tool_round_trips",
    "wire_dir",
]

ENV_VAR = "GENAI_WIRE_DIR"
SKIP_REASON = "GENAI_WIRE_DIR not set: the real recordings (../shared/wire) are needed"
API_KEY = "wire-test-key-0123456789"
"""The key every replayed client is given; the mock checks it is sent as ``Api-Key <key>``."""

# The endpoints a recording may hit; the client's base URL is the recorded URL minus one of them.
ENDPOINTS = ("/chat/completions", "/models")
# A tool round trip: turn 1 asks for a call, turn 2 (same directory and mode) sends the result.
ROUND_TRIP_FIRST = "-Tools-SquareRoot-1.json"
ROUND_TRIP_SECOND = "-Tools-SquareRoot-2.json"


def wire_dir() -> Path | None:
    """The recordings directory from ``GENAI_WIRE_DIR``; None when unset or not a directory."""
    raw = os.environ.get(ENV_VAR)
    if not raw:
        return None
    path = Path(raw)
    return path if path.is_dir() else None


def _provider_dirs(root: Path) -> list[Path]:
    return sorted(p.parent for p in root.glob("*/EXPECTED.json"))


# --- recordings -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Interaction:
    """One recorded HTTP exchange."""

    method: str
    url: str
    request_body: str
    status: int
    headers: tuple[tuple[str, str], ...]
    """Response headers in recorded order; a header recorded with several values repeats."""
    body: bytes

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Interaction:
        req, resp = raw["request"], raw["response"]
        headers = tuple(
            (name, value)
            for name, values in (resp.get("headers") or {}).items()
            for value in (values if isinstance(values, list) else [values])
        )
        return cls(
            method=req["method"],
            url=req["url"],
            request_body=req.get("body") or "",
            status=int(resp["status_code"]),
            headers=headers,
            body=(resp.get("body") or "").encode("utf-8"),
        )

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.url).path

    @property
    def request_json(self) -> Any:
        """The recorded request body parsed as JSON (None when there is no body)."""
        return json.loads(self.request_body) if self.request_body.strip() else None

    @property
    def is_list_models(self) -> bool:
        return self.method == "GET" and self.path.endswith("/models")

    @property
    def is_stream(self) -> bool:
        body = self.request_json
        return isinstance(body, dict) and body.get("stream") is True

    @property
    def base_url(self) -> str:
        for endpoint in ENDPOINTS:
            if self.url.endswith(endpoint):
                return self.url[: -len(endpoint)]
        raise AssertionError(f"recorded URL {self.url} is not one of the endpoints {ENDPOINTS}")

    def header(self, name: str) -> str | None:
        """The first recorded value of a response header (case-insensitive), or None."""
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def response(self) -> httpx.Response:
        """The recorded response; a stream request's body arrives in several pieces."""
        if self.is_stream:
            return httpx.Response(self.status, headers=self.headers, stream=chunked_body(self.body))
        return httpx.Response(self.status, headers=self.headers, content=self.body)


@cache
def load_interaction(path: Path) -> Interaction:
    """The exchange a recording's EXPECTED entry describes: its last (normally only) one."""
    data = json.loads(path.read_text(encoding="utf-8"))
    interactions = data["interactions"]
    assert interactions, f"{path}: no interactions"
    return Interaction.from_json(interactions[-1])


@dataclass(frozen=True, eq=False)
class Case:
    """One EXPECTED.json entry: a recording and what a correct client extracts from it."""

    provider: str
    root: Path
    key: str
    expected: Mapping[str, Any]

    @property
    def id(self) -> str:
        return self.key if self.provider == "baseten" else f"{self.provider}/{self.key}"

    def interaction(self) -> Interaction:
        return load_interaction(self.root / self.key)


def load_cases(root: Path) -> list[Case]:
    """Every entry of every ``<provider>/EXPECTED.json`` under ``root``, in file order."""
    cases: list[Case] = []
    for pdir in _provider_dirs(root):
        expected = json.loads((pdir / "EXPECTED.json").read_text(encoding="utf-8"))
        cases.extend(Case(pdir.name, pdir, key, exp) for key, exp in expected.items())
    return cases


@dataclass(frozen=True)
class RoundTrip:
    """A two-turn tool conversation: turn 1 asks for a tool call, turn 2 answers it."""

    id: str
    first: Path
    second: Path


def tool_round_trips(root: Path) -> list[RoundTrip]:
    """Every ``*-Tools-SquareRoot-1.json`` with its ``-2`` sibling, per model directory and mode."""
    out: list[RoundTrip] = []
    for pdir in _provider_dirs(root):
        for first in sorted(pdir.rglob("*" + ROUND_TRIP_FIRST)):
            second = first.with_name(first.name.removesuffix(ROUND_TRIP_FIRST) + ROUND_TRIP_SECOND)
            if second.is_file():
                rel = first.relative_to(root).as_posix().removesuffix("-1.json")
                out.append(RoundTrip(rel, first, second))
    return out


# --- serving ----------------------------------------------------------------------------------


def pieces(body: bytes, size: int) -> Iterator[bytes]:
    """``body`` cut every ``size`` bytes (splits fall inside events and UTF-8 sequences)."""
    yield from split_bytes(body, max(1, size))


def chunked_body(body: bytes) -> ScriptedBody:
    """A response body delivered in pieces of at most 1 KB, and at least four pieces."""
    return harness_pieces(body, max(1, min(1024, -(-len(body) // 4))))


def replay_handler(
    interaction: Interaction, seen: list[httpx.Request]
) -> Callable[[httpx.Request], httpx.Response]:
    """Serve ``interaction``'s response to a request for the same method and path.

    Every request is appended to ``seen``. The recording has no auth headers (the recorder
    strips them), so the handler checks what our client must send instead.
    """

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        assert request.method == interaction.method, (request.method, interaction.method)
        assert request.url.path == interaction.path, (str(request.url), interaction.url)
        assert request.headers.get("authorization") == f"Api-Key {API_KEY}", request.headers
        assert request.headers.get("x-request-id"), "no X-Request-Id header"
        return interaction.response()

    return handler


def mock_transport(interaction: Interaction, seen: list[httpx.Request]) -> httpx.MockTransport:
    """:func:`replay_handler` as an ``httpx.MockTransport``."""
    return httpx.MockTransport(replay_handler(interaction, seen))


# --- rebuilding the neutral call --------------------------------------------------------------


class NeutralCall(NamedTuple):
    """What a caller passes to ``gen_sync`` / ``gen_stream`` to produce a recorded request."""

    model: str
    messages: list[Message]
    text: TextOptions | None
    options: genai_baseten.Options | None
    stream: bool

    @property
    def option_args(self) -> tuple[GenOption, ...]:
        return tuple(o for o in (self.text, self.options) if o is not None)


# Request fields copied as they are into genai_baseten.Options.
_BASETEN_FIELDS = (
    "min_p",
    "top_p_min",
    "repetition_penalty",
    "presence_penalty",
    "frequency_penalty",
    "reasoning_effort",
)
# Every request field the neutral API can express (Go client's order, then Baseten's extras).
_TOP_LEVEL = frozenset(
    (
        *("model", "messages", "max_completion_tokens", "logprobs", "top_logprobs"),
        *("response_format", "seed", "stop", "temperature", "top_p", "top_k"),
        *("stream", "stream_options", "tool_choice", "tools", "parallel_tool_calls"),
        "chat_template_args",
        *_BASETEN_FIELDS,
    )
)
_MESSAGE_KEYS = {
    "system": {"role", "content"},
    "user": {"role", "content"},
    "assistant": {"role", "content", "tool_calls"},
    "tool": {"role", "content", "tool_call_id", "name"},
}


def call_from_request(body: str | Mapping[str, Any], *, strict: bool = True) -> NeutralCall:
    """The neutral call that makes the Baseten client send ``body`` (a recorded request).

    With ``strict`` (the default), anything the neutral API cannot express — an unknown key, a
    value shape our client never sends — raises AssertionError listing every such problem;
    otherwise it is left out, for tests that only need a call of the same kind.
    """
    data: dict[str, Any] = json.loads(body) if isinstance(body, str) else dict(body)
    problems: list[str] = []
    unknown = sorted(set(data) - _TOP_LEVEL)
    if unknown:
        problems.append(f"unknown top-level keys: {', '.join(unknown)}")
    system, messages = _messages(data.get("messages") or [], problems)
    text: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    if system is not None:
        text["system_prompt"] = system
    if "max_completion_tokens" in data:
        text["max_tokens"] = data["max_completion_tokens"]
    for key in ("seed", "temperature", "top_p"):
        if key in data:
            text[key] = data[key]
    if "stop" in data:
        stop = data["stop"]
        if isinstance(stop, str):
            problems.append("stop is a string; the client always sends a list")
            stop = [stop]
        text["stop"] = stop
    if "top_k" in data:
        # TextOptions takes 1..1024; Baseten's own Options also takes -1 ("disabled").
        top_k = data["top_k"]
        (text if isinstance(top_k, int) and 1 <= top_k <= 1024 else extra)["top_k"] = top_k
    if "logprobs" in data or "top_logprobs" in data:
        if data.get("logprobs") is True and isinstance(data.get("top_logprobs"), int):
            text["top_logprobs"] = data["top_logprobs"]
        else:
            problems.append(
                f"logprobs={data.get('logprobs')!r} with top_logprobs="
                f"{data.get('top_logprobs')!r}: the client sends both or neither"
            )
    if "response_format" in data:
        _response_format(data["response_format"], text, problems)
    if "tools" in data:
        text["tools"] = [_tool(t, problems) for t in data["tools"]]
    if "tool_choice" in data:
        text["tool_call_request"] = _tool_choice(data["tool_choice"], problems)
    if "parallel_tool_calls" in data:
        text["parallel_tool_calls"] = data["parallel_tool_calls"]
    if "chat_template_args" in data:
        template = dict(data["chat_template_args"])
        if "enable_thinking" in template:
            extra["thinking"] = template.pop("enable_thinking")
        if template:
            extra["chat_template_args"] = template
    for key in _BASETEN_FIELDS:
        if key in data:
            extra[key] = data[key]
    stream = data.get("stream") is True
    if "stream" in data and not stream:
        problems.append(f"stream={data['stream']!r}: the client sends stream only when true")
    if stream and data.get("stream_options") != {"include_usage": True}:
        problems.append(
            f"stream_options={data.get('stream_options')!r}: the client always asks "
            "for usage in streams"
        )
    if not stream and "stream_options" in data:
        problems.append("stream_options without stream: true")
    if strict and problems:
        raise AssertionError(
            "the recorded request cannot be rebuilt from the neutral API:\n- "
            + "\n- ".join(problems)
        )
    return NeutralCall(
        model=data["model"],
        messages=messages,
        text=TextOptions(**text) if text else None,
        options=genai_baseten.Options(**extra) if extra else None,
        stream=stream,
    )


def _messages(wire: list[Any], problems: list[str]) -> tuple[str | None, list[Message]]:
    """The system prompt and the neutral messages; consecutive user (or tool) turns merge."""
    system: str | None = None
    out: list[Message] = []
    for i, msg in enumerate(wire):
        role = msg.get("role")
        allowed = _MESSAGE_KEYS.get(role)
        if allowed is None:
            problems.append(f"messages[{i}]: unknown role {role!r}")
            continue
        if set(msg) - allowed:
            problems.append(f"messages[{i}] ({role}): unknown keys {sorted(set(msg) - allowed)}")
        content = msg.get("content")
        prev = out[-1] if out else None
        if role == "system":
            if i != 0:
                problems.append(f"messages[{i}]: a system message that is not first")
            system = _text_content(content, f"messages[{i}]", problems)
        elif role == "user":
            requests = _user_requests(content, f"messages[{i}]", problems)
            if prev is not None and prev.role == "user":
                out[-1] = Message(requests=[*prev.requests, *requests])
            else:
                out.append(Message(requests=requests))
        elif role == "assistant":
            turn = _assistant(msg, f"messages[{i}]", problems)
            if turn is not None:
                out.append(turn)
        else:
            result = ToolCallResult(
                id=msg.get("tool_call_id") or "",
                name=msg.get("name") or "",
                result=_text_content(content, f"messages[{i}]", problems),
            )
            if prev is not None and prev.role == "tool":
                out[-1] = Message.tool_results(*prev.tool_call_results, result)
            else:
                out.append(Message.tool_results(result))
    return system, out


def _text_content(content: Any, where: str, problems: list[str]) -> str:
    if isinstance(content, str):
        return content
    problems.append(f"{where}: content is {type(content).__name__}; the client sends a string")
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _user_requests(content: Any, where: str, problems: list[str]) -> list[Request]:
    if isinstance(content, str):
        return [Request(text=content)]
    if not isinstance(content, list):
        problems.append(f"{where}: user content is {type(content).__name__}")
        return []
    # The client sends one part per message: text as a plain string, an image as a
    # one-element list. Anything else cannot come out of it.
    if len(content) != 1 or not (
        isinstance(content[0], dict) and content[0].get("type") == "image_url"
    ):
        problems.append(
            f"{where}: user content is a list of {len(content)} part(s); the client "
            "sends text as a string and one image per message"
        )
    out: list[Request] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            out.append(Request(text=part["text"]))
        elif kind == "image_url":
            out.append(Request(doc=_doc(part["image_url"]["url"])))
        else:
            problems.append(f"{where}: unknown content part {part!r:.80}")
    return out


def _doc(url: str) -> Doc:
    """An ``image_url``: a data: URL becomes the bytes it holds, anything else a URL document."""
    if not url.startswith("data:"):
        return Doc.from_url(url)
    header, _, payload = url[len("data:") :].partition(",")
    mime, *params = header.split(";")
    assert "base64" in params, f"data: URL without base64: {url[:60]!r}"
    try:
        data = base64.b64decode(payload, validate=True)
    except binascii.Error as exc:
        raise AssertionError(f"bad base64 in a data: URL: {exc}") from None
    stem = "image" if mime.startswith("image/") else "document"
    filename = stem + (mimetypes.guess_extension(mime) or ".bin")
    # The extension gives the type; say it explicitly only where the extension would not.
    explicit = None if mime_from_name(filename) == mime else mime
    return Doc.from_bytes(data, filename, mime_type=explicit)


def _assistant(msg: Mapping[str, Any], where: str, problems: list[str]) -> Message | None:
    parts: list[str | ToolCall] = []
    content = msg.get("content")
    if content is not None:
        text = _text_content(content, where, problems)
        if text:
            parts.append(text)
        else:
            problems.append(f"{where}: empty assistant content; the client omits it")
    for call in msg.get("tool_calls") or ():
        fn = call.get("function") or {}
        if set(call) - {"type", "id", "function"} or set(fn) - {"name", "arguments"}:
            problems.append(f"{where}: unknown keys in a tool call {sorted(call)}")
        parts.append(
            ToolCall(
                id=call.get("id") or "",
                name=fn.get("name") or "",
                arguments=fn.get("arguments") or "",
            )
        )
    if not parts:
        problems.append(f"{where}: assistant turn with neither content nor tool calls")
        return None
    return Message.assistant(*parts)


def _response_format(fmt: Any, text: dict[str, Any], problems: list[str]) -> None:
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind == "json_object" and set(fmt) == {"type"}:
        text["reply_as_json"] = True
    elif kind == "json_schema" and set(fmt) == {"type", "json_schema"}:
        spec = fmt["json_schema"]
        if set(spec) - {"name", "schema", "strict"} or spec.get("strict") is not True:
            problems.append(
                f"json_schema {sorted(spec)} (strict={spec.get('strict')!r}): the "
                "client sends name, schema and strict: true"
            )
        text["decode_as"] = spec["schema"]
    else:
        problems.append(f"unknown response_format {fmt!r:.80}")


def _tool(tool: Any, problems: list[str]) -> ToolDef:
    fn = tool.get("function") or {}
    if tool.get("type") != "function" or set(tool) != {"type", "function"}:
        problems.append(f"tool {sorted(tool)}: the client sends type function and function")
    if set(fn) - {"name", "description", "parameters"}:
        problems.append(f"tool {fn.get('name')!r}: unknown keys {sorted(set(fn))}")
    return ToolDef(
        name=fn["name"], description=fn.get("description", ""), parameters=fn["parameters"]
    )


def _tool_choice(choice: Any, problems: list[str]) -> str | None:
    if isinstance(choice, str):
        return choice
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        if isinstance(name, str):
            if choice.get("type") != "function":
                problems.append(f"tool_choice {choice!r}: the client sends type function")
            return name
    problems.append(f"unknown tool_choice {choice!r:.80}")
    return None
