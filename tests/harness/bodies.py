"""Wire bodies for tests, written from the documented format (shared/wire/README.md).

Chat answers are ``chat.completion`` objects, or SSE ``data: <json>`` events of
``chat.completion.chunk`` objects ending with ``data: [DONE]``; errors are OpenAI-style
``{"error": {...}}`` objects. Builders return plain dicts (JSON bodies) or bytes (SSE), so a test
can still change any field by hand. Nothing here is copied from the recordings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

ID = "chatcmpl-test"
MODEL = "openai/gpt-oss-120b"
DONE = b"data: [DONE]\n\n"
"""The stream's end marker, as one SSE event."""

ABSENT: Any = object()
"""Marks a field left out of the JSON (as opposed to an explicit null)."""


def usage(
    prompt: int = 10, completion: int = 2, *, cached: Any = ABSENT, reasoning: Any = ABSENT
) -> dict[str, Any]:
    """A cumulative ``usage`` object; the total is the sum, as the wire has it. ``cached`` /
    ``reasoning`` add ``prompt_tokens_details`` / ``completion_tokens_details`` (None: null)."""
    out: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if cached is not ABSENT:
        out["prompt_tokens_details"] = None if cached is None else {"cached_tokens": cached}
    if reasoning is not ABSENT:
        details = None if reasoning is None else {"reasoning_tokens": reasoning}
        out["completion_tokens_details"] = details
    return out


USAGE = usage(10, 2)


def event(data: Mapping[str, Any] | str, *, name: str | None = None) -> bytes:
    """One SSE event: ``event: <name>`` when given, ``data: <json or text>``, a blank line.
    JSON keeps non-ASCII characters raw (UTF-8), as real servers send it."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {text}\n\n".encode()


def sse(*events: Mapping[str, Any] | str | bytes) -> bytes:
    """SSE bytes: one ``data:`` event per item (bytes items are taken as ready-made events)."""
    return b"".join(e if isinstance(e, bytes) else event(e) for e in events)


def tool_call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    """A complete ``tool_calls`` entry of a message."""
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def tool_call_delta(
    index: Any = 0, *, id: Any = ABSENT, name: Any = ABSENT, args: Any = ABSENT
) -> dict[str, Any]:
    """One streamed tool-call fragment (fields left out unless given; ``id`` adds the type)."""
    frag: dict[str, Any] = {} if index is ABSENT else {"index": index}
    if id is not ABSENT:
        frag["id"] = id
        frag["type"] = "function"
    fn: dict[str, Any] = {}
    if name is not ABSENT:
        fn["name"] = name
    if args is not ABSENT:
        fn["arguments"] = args
    frag["function"] = fn
    return frag


def chunk(
    delta: Mapping[str, Any] | None = None,
    *,
    finish: str | None = ABSENT,
    usage: Mapping[str, Any] | None = ABSENT,
    logprobs: Any = ABSENT,
    id: str = ID,
    model: str | None = MODEL,
    created: int | None = 1,
    nulls: bool = False,
    choice_extra: Mapping[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ``chat.completion.chunk`` object with one choice carrying ``delta`` (no choice when
    ``delta`` is None). ``finish``, ``usage`` and ``logprobs`` are left out unless given (None
    gives an explicit null); ``nulls=True`` writes the nulls Baseten sends (``finish_reason``
    and ``logprobs`` on every choice, ``usage`` on every chunk). ``choice_extra`` fields go into
    the choice, ``extra`` fields last into the chunk (``choices=[...]`` replaces the choices)."""
    body: dict[str, Any] = {"id": id, "object": "chat.completion.chunk"}
    if created is not None:
        body["created"] = created
    if model is not None:
        body["model"] = model
    body["choices"] = []
    if delta is not None:
        choice: dict[str, Any] = {"index": 0, "delta": dict(delta)}
        if logprobs is not ABSENT or nulls:
            choice["logprobs"] = None if logprobs is ABSENT else logprobs
        if finish is not ABSENT or nulls:
            choice["finish_reason"] = None if finish is ABSENT else finish
        choice.update(choice_extra or {})
        body["choices"] = [choice]
    if usage is not ABSENT or nulls:
        body["usage"] = None if usage is ABSENT else usage
    body.update(extra)
    return body


def completion(
    content: str | None = None,
    *,
    reasoning: str | None = None,
    tool_calls: Iterable[tuple[str, str, str]] = (),
    message: Mapping[str, Any] | None = None,
    finish: Any = "stop",
    usage: Any = USAGE,
    logprobs: list[dict[str, Any]] | None = None,
    choice_extra: Mapping[str, Any] | None = None,
    id: str = ID,
    model: str | None = MODEL,
    created: int | None = 1,
    **extra: Any,
) -> dict[str, Any]:
    """A non-streamed ``chat.completion`` object with one choice. The assistant ``message`` is
    built from ``content``/``reasoning``/``tool_calls`` unless given whole; ``finish`` and
    ``usage`` are left out when :data:`ABSENT` (None gives an explicit null)."""
    if message is None:
        built: dict[str, Any] = {"role": "assistant"}
        if content is not None:
            built["content"] = content
        if reasoning is not None:
            built["reasoning_content"] = reasoning
        calls = [tool_call(*c) for c in tool_calls]
        if calls:
            built["tool_calls"] = calls
        message = built
    choice: dict[str, Any] = {"index": 0, "message": dict(message)}
    if finish is not ABSENT:
        choice["finish_reason"] = finish
    if logprobs is not None:
        choice["logprobs"] = {"content": logprobs}
    choice.update(choice_extra or {})
    body: dict[str, Any] = {"id": id, "object": "chat.completion"}
    if created is not None:
        body["created"] = created
    if model is not None:
        body["model"] = model
    body["choices"] = [choice]
    if usage is not ABSENT:
        body["usage"] = None if usage is None else dict(usage)
    body.update(extra)
    return body


def text_stream(
    *pieces: str, finish: str = "stop", usage: Mapping[str, int] = USAGE, **chunk_kw: Any
) -> list[bytes]:
    """The events of a whole streamed text answer: one chunk per piece, the finish chunk, a
    usage-only chunk and ``[DONE]``."""
    return [
        *(event(chunk({"content": p}, **chunk_kw)) for p in pieces),
        event(chunk({}, finish=finish, **chunk_kw)),
        event(chunk(None, usage=usage, **chunk_kw)),
        DONE,
    ]


def error(
    message: str, *, code: int | str | None = 400, type: str | None = "Bad Request"
) -> dict[str, Any]:
    """An OpenAI-style error object, ``{"error": {"code", "message", "type"}}``."""
    inner: dict[str, Any] = {}
    if code is not None:
        inner["code"] = code
    inner["message"] = message
    if type is not None:
        inner["type"] = type
    return {"error": inner}


def cut(text: str, n: int) -> list[str]:
    """``text`` in ``n`` roughly equal pieces (fewer when shorter); [] for ""."""
    if not text:
        return []
    size = max(1, -(-len(text) // n))
    return [text[i : i + size] for i in range(0, len(text), size)]


def split_bytes(body: bytes, size: int) -> list[bytes]:
    """``body`` in pieces of ``size`` bytes (SSE events and UTF-8 sequences get cut)."""
    return [body[i : i + size] for i in range(0, len(body), size)]


def json_bytes(data: Any) -> bytes:
    """``data`` as a JSON body."""
    return json.dumps(data).encode()


def events_of(chunks: Sequence[Mapping[str, Any]], *, done: bool = True) -> bytes:
    """An SSE body of ``chunks`` (one event each), ended by ``[DONE]`` unless ``done=False``."""
    return sse(*chunks) + (DONE if done else b"")
