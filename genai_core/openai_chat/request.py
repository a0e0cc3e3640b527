"""Neutral messages and options → the JSON body of ``POST /chat/completions``.

Conventions of the wire (checked against real recordings):

* One text part is sent as a plain string ``content``. A user message with several parts is one
  message with an array of parts, or, for targets that want it (Baseten, as recorded), several
  consecutive ``user`` messages, one per part. Documents become parts in ``content.py``.
* An assistant turn is sent back with its text as ``content`` (omitted when there is none) and its
  tool calls exactly as received: same ``id``, ``arguments`` text unchanged. Reasoning is not sent
  back.
* Tool results are ``{"role": "tool", "content", "tool_call_id", "name"}``, one per result.
* ``stream: true`` always comes with ``stream_options.include_usage``: without it most servers
  send no usage in streams.

Key order follows the order servers document (model, messages, limits, sampling, format, stream,
tools); it does not matter to servers but keeps request logs and cassettes readable.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import NotSupportedError, ValidationError
from ..options import TextOptions
from ..types import Message
from .content import ContentRules, doc_to_part, user_message_to_wire

__all__ = ["ChatDialect", "ContentRules", "build_chat_body", "doc_to_part", "messages_to_wire"]


@dataclass(frozen=True)
class ChatDialect:
    """How one OpenAI-compatible server differs from the others.

    ``unsupported`` lists option names (``"TextOptions.top_k"``) the server rejects; they raise
    NotSupportedError before anything is sent. ``content`` says which documents the server takes
    and how user turns are laid out.
    """

    provider: str
    max_tokens_field: str = "max_tokens"
    unsupported: frozenset[str] = field(default_factory=frozenset)
    content: ContentRules = field(default_factory=ContentRules)


def messages_to_wire(
    messages: Sequence[Message],
    system_prompt: str | None,
    dialect: ChatDialect,
    *,
    model: str | None = None,
    input_modalities: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """The ``messages`` array, system prompt first.

    ``input_modalities`` are the model's, when known: documents of any other modality raise
    NotSupportedError naming ``model``.
    """
    out: list[dict[str, Any]] = []
    if system_prompt:
        out.append({"role": "system", "content": system_prompt})
    for i, msg in enumerate(messages):
        if not isinstance(msg, Message):
            raise ValidationError(f"messages[{i}] is a {type(msg).__name__}, not a Message")
        if msg.requests:
            out.extend(
                user_message_to_wire(
                    msg,
                    i,
                    dialect.content,
                    provider=dialect.provider,
                    model=model,
                    modalities=input_modalities,
                )
            )
        elif msg.tool_call_results:
            for res in msg.tool_call_results:
                wire: dict[str, Any] = {"role": "tool", "content": res.result}
                if res.id:
                    wire["tool_call_id"] = res.id
                if res.name:
                    wire["name"] = res.name
                out.append(wire)
        else:
            out.append(_assistant_to_wire(msg, i))
    return out


def _assistant_to_wire(msg: Message, index: int) -> dict[str, Any]:
    wire: dict[str, Any] = {"role": "assistant"}
    text = "".join(r.text for r in msg.replies if r.text)
    if text:
        wire["content"] = text
    calls = [
        {
            "type": "function",
            "id": r.tool_call.id,
            "function": {"name": r.tool_call.name, "arguments": r.tool_call.arguments},
        }
        for r in msg.replies
        if r.tool_call is not None
    ]
    if calls:
        wire["tool_calls"] = calls
    if len(wire) == 1:
        if any(r.doc is not None for r in msg.replies):
            raise NotSupportedError(
                f"messages[{index}]: assistant documents cannot be sent back", ["Reply.doc"]
            )
        # Only reasoning (or opaque data): nothing the server takes. Send an empty turn rather
        # than dropping it, so the roles keep alternating as the caller built them.
        wire["content"] = ""
    return wire


def _schema_name(opts: TextOptions) -> str:
    """A non-empty name for ``response_format.json_schema`` (servers reject an empty one)."""
    target = opts.decode_as
    if isinstance(target, dict):
        title = target.get("title")
        raw = title if isinstance(title, str) and title else "response"
    else:
        assert target is not None
        raw = target.__name__
    name = re.sub(r"[^a-zA-Z0-9_-]", "_", raw)[:64]
    return name or "response"


def build_chat_body(
    model: str,
    messages: Sequence[Message],
    opts: TextOptions | None,
    dialect: ChatDialect,
    *,
    stream: bool,
    input_modalities: Collection[str] | None = None,
) -> dict[str, Any]:
    """The request body for the neutral inputs; raises before anything is sent on bad input.

    ``input_modalities``: the model's, when the caller knows them (see :func:`messages_to_wire`).
    """
    opts = opts or TextOptions()
    _reject_unsupported(opts, dialect)
    if not messages:
        raise ValidationError("no messages to send")
    body: dict[str, Any] = {
        "model": model,
        "messages": messages_to_wire(
            messages,
            opts.system_prompt,
            dialect,
            model=model,
            input_modalities=input_modalities,
        ),
    }
    if opts.max_tokens is not None:
        body[dialect.max_tokens_field] = opts.max_tokens
    if opts.top_logprobs is not None:
        body["logprobs"] = True
        body["top_logprobs"] = opts.top_logprobs
    if opts.reply_as_json:
        body["response_format"] = {"type": "json_object"}
    elif opts.decode_as is not None:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {
                "name": _schema_name(opts),
                "schema": opts.decode_schema(),
                "strict": True,
            },
        }
    if opts.seed is not None:
        body["seed"] = opts.seed
    if opts.stop:
        body["stop"] = list(opts.stop)
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    if opts.temperature is not None:
        body["temperature"] = opts.temperature
    if opts.top_p is not None:
        body["top_p"] = opts.top_p
    if opts.top_k is not None:
        body["top_k"] = opts.top_k
    if opts.tools:
        req = opts.tool_call_request
        if req in ("auto", "required", "none"):
            body["tool_choice"] = req
        elif req is not None:
            body["tool_choice"] = {"type": "function", "function": {"name": req}}
        body["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                },
            }
            for t in opts.tools
        ]
        body["parallel_tool_calls"] = (
            True if opts.parallel_tool_calls is None else opts.parallel_tool_calls
        )
    return body


_OPTION_FIELDS = (
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "seed",
    "stop",
    "top_logprobs",
    "reply_as_json",
    "decode_as",
    "tools",
    "tool_call_request",
)


def _reject_unsupported(opts: TextOptions, dialect: ChatDialect) -> None:
    if not dialect.unsupported:
        return
    names = [
        f"TextOptions.{f}"
        for f in _OPTION_FIELDS
        if f"TextOptions.{f}" in dialect.unsupported and getattr(opts, f) not in (None, False, [])
    ]
    if names:
        raise NotSupportedError(f"{dialect.provider} does not support {', '.join(names)}", names)
