"""The JSON of a chat completion → :class:`~genai_core.types.Result`.

Rules (each one seen on a real server):

* ``message.content`` may be absent (only reasoning or tool calls), null, a string, or a list of
  ``{"type": "text", "text": ...}`` parts.
* Reasoning comes in ``reasoning`` or ``reasoning_content``; some servers send both with the same
  text. Take the first non-empty one, never both. It is kept verbatim (gpt-oss starts it with a
  space).
* ``content`` and ``tool_calls`` may both be present. ``tool_calls`` is absent, never ``[]``, when
  there are none; ``arguments`` is kept as the exact text received.
* ``finish_reason`` may be missing; unknown values are kept. A reply with tool calls that says
  ``stop`` is reported as ``tool_calls`` (several hosts get it wrong); ``raw_finish_reason`` keeps
  what the wire said.
* ``usage`` details may be null; ``stop_reason`` may be an integer (a token id): neither is an
  error.
* Logprobs are in ``choices[0].logprobs.content``: one entry per token, alternatives in
  ``top_logprobs``.
* ``<think>…</think>`` inline at the start of the text is moved to the reasoning (see
  :mod:`.think`), unless the server already sent reasoning; other text is kept byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import MalformedResponseError
from ..types import FinishReason, Logprob, RateLimit, Reply, Result, ToolCall, Usage, trusted
from .error_body import error_from_json, excerpt
from .think import ThinkTags, split_think_text

__all__ = [
    "content_text",
    "parse_chat_response",
    "parse_finish_reason",
    "parse_logprobs",
    "parse_usage",
]


def content_text(content: Any) -> str:
    """The text of a ``content`` field: a string, or the text parts of a list (or one part)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        content = [content]
    if isinstance(content, list):
        return "".join(
            p.get("text") or ""
            for p in content
            if isinstance(p, dict) and p.get("type", "text") == "text"
        )
    return ""


def arguments_text(arguments: Any) -> str:
    """Tool-call arguments as text: kept verbatim when a string, encoded when an object."""
    if arguments is None:
        return ""
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments, ensure_ascii=False)


def _int(v: Any) -> int:
    return v if type(v) is int else 0


def parse_usage(
    raw: Mapping[str, Any] | None,
    finish_reason: FinishReason | None = None,
    limits: Sequence[RateLimit] = (),
) -> Usage:
    """Token counters from an OpenAI ``usage`` object (any part may be null or absent).

    ``limits`` are the rate limits read from the response headers.
    """
    if not raw:
        return trusted(Usage, finish_reason=finish_reason, limits=list(limits))
    ptd = raw.get("prompt_tokens_details") or {}
    ctd = raw.get("completion_tokens_details") or {}
    return trusted(
        Usage,
        input_tokens=_int(raw.get("prompt_tokens")),
        input_cached_tokens=_int(ptd.get("cached_tokens")),
        reasoning_tokens=_int(ctd.get("reasoning_tokens")),
        output_tokens=_int(raw.get("completion_tokens")),
        total_tokens=_int(raw.get("total_tokens")),
        finish_reason=finish_reason,
        limits=list(limits),
    )


def parse_finish_reason(raw: Any, has_tool_calls: bool) -> FinishReason | None:
    """The normalised finish reason; ``stop`` with tool calls becomes ``tool_calls``."""
    if not raw or not isinstance(raw, str):
        return None
    reason = FinishReason(raw)
    if reason is FinishReason.STOP and has_tool_calls:
        return FinishReason.TOOL_CALLS
    return reason


def parse_logprobs(entries: Sequence[Any]) -> list[list[Logprob]]:
    """``logprobs.content`` entries → one list per token: the chosen token, then alternatives."""
    out: list[list[Logprob]] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        row = [_logprob(entry)]
        row.extend(
            _logprob(alt) for alt in entry.get("top_logprobs") or () if isinstance(alt, dict)
        )
        out.append(row)
    return out


def _logprob(entry: Mapping[str, Any]) -> Logprob:
    lp = entry.get("logprob")
    return trusted(
        Logprob,
        text=entry.get("token") or "",
        logprob=float(lp) if isinstance(lp, (int, float)) else float("-inf"),
        id=entry.get("id") if type(entry.get("id")) is int else None,
    )


def build_result(
    replies: list[Reply],
    *,
    usage_raw: Mapping[str, Any] | None,
    finish_raw: Any,
    logprobs_raw: Sequence[Any],
    completion_id: Any,
    model: Any,
    request_id: str | None,
    limits: Sequence[RateLimit] = (),
    raw: Any = None,
) -> Result:
    """Assemble the one typed Result of a call (shared by the sync parser and the stream)."""
    has_calls = any(r.tool_call is not None for r in replies)
    usage = parse_usage(usage_raw, parse_finish_reason(finish_raw, has_calls), limits)
    return trusted(
        Result,
        replies=replies,
        usage=usage,
        logprobs=parse_logprobs(logprobs_raw),
        id=completion_id if isinstance(completion_id, str) else None,
        model=model if isinstance(model, str) else None,
        request_id=request_id,
        raw_finish_reason=finish_raw if isinstance(finish_raw, str) and finish_raw else None,
        raw=raw,
    )


def parse_chat_response(
    body: Any,
    *,
    provider: str,
    request_id: str | None = None,
    status_code: int = 200,
    limits: Sequence[RateLimit] = (),
    think_tags: ThinkTags = "auto",
) -> Result:
    """Parse a decoded non-streamed response body; ``Result.raw`` is ``body`` itself.

    A body that is an error object (some proxies answer 200 with one) or that has no usable
    choice raises :class:`MalformedResponseError` quoting it. ``limits`` come from the response
    headers.
    """
    if not isinstance(body, dict):
        raise MalformedResponseError(
            f"expected a JSON object, got {excerpt(json.dumps(body))}",
            status_code=status_code,
            provider=provider,
            request_id=request_id,
        )
    choices = body.get("choices")
    if not isinstance(choices, list) or len(choices) != 1 or not isinstance(choices[0], dict):
        found = error_from_json(body) if body.get("error") else None
        if found is not None:
            msg = found.message
        else:
            if not isinstance(choices, list):
                got = "no 'choices' list"
            elif len(choices) != 1:
                got = f"{len(choices)}"
            else:
                got = "a choice that is not an object"
            msg = f"expected exactly one choice, got {got}: {excerpt(json.dumps(body))}"
        raise MalformedResponseError(
            msg, status_code=status_code, provider=provider, request_id=request_id
        )
    try:
        return _parse_choice(body, choices[0], request_id, limits, think_tags)
    except (AttributeError, TypeError, ValueError) as exc:
        raise MalformedResponseError(
            f"malformed response ({exc}): {excerpt(json.dumps(body))}",
            status_code=status_code,
            provider=provider,
            request_id=request_id,
        ) from None


def _parse_choice(
    body: dict[str, Any],
    choice: dict[str, Any],
    request_id: str | None,
    limits: Sequence[RateLimit],
    think_tags: ThinkTags,
) -> Result:
    message = choice.get("message") or choice.get("delta") or {}
    replies: list[Reply] = []
    reasoning = message.get("reasoning") or message.get("reasoning_content")
    has_reasoning = isinstance(reasoning, str) and bool(reasoning)
    if has_reasoning:
        replies.append(trusted(Reply, reasoning=reasoning))
    text = content_text(message.get("content"))
    if text and think_tags != "off" and not (has_reasoning and think_tags == "auto"):
        inline, text = split_think_text(text, think_tags)
        if inline:
            replies.append(trusted(Reply, reasoning=inline))
    if text:
        replies.append(trusted(Reply, text=text))
    for call in message.get("tool_calls") or ():
        fn = call.get("function") or {}
        replies.append(
            trusted(
                Reply,
                tool_call=trusted(
                    ToolCall,
                    id=str(call.get("id") or ""),
                    name=str(fn.get("name") or ""),
                    arguments=arguments_text(fn.get("arguments")),
                ),
            )
        )
    logprobs = choice.get("logprobs")
    return build_result(
        replies,
        usage_raw=body.get("usage"),
        finish_raw=choice.get("finish_reason"),
        logprobs_raw=(logprobs.get("content") or ()) if logprobs else (),
        completion_id=body.get("id"),
        model=body.get("model"),
        request_id=request_id,
        limits=limits,
        raw=body,
    )
