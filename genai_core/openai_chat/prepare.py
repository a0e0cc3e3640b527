"""Request preparation: a call's inputs → the finished JSON body of ``POST /chat/completions``.

One pipeline, each step returning what it adds (nothing is mutated by several hands):

1. the neutral inputs become the body (:func:`~.request.build_chat_body`);
2. the fields of the call's :class:`~.chat_options.Options` (:func:`chat_option_fields`);
3. the provider's extensions (a function of the body so far and the call's options, returning
   the fields to add; Baseten's sampling fields and thinking switch);
4. ``extra_body`` last, which never overwrites (:func:`~.chat_options.with_extra_body`).

Also how the answer must be read (:class:`ReadPlan`) and the body's bytes
(:func:`encode_body`, with the size limit). No I/O.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from .._validate import check_messages, check_request_size, non_json_path
from ..errors import NotSupportedError, ValidationError
from ..options import GenOption, TextOptions, split_options
from ..types import Message, Messages, Model
from .chat_options import Options, chat_option_fields, with_extra_body
from .config import ProviderConfig
from .request import build_chat_body
from .think import ThinkTags

__all__ = ["BodyExtension", "ReadPlan", "encode_body", "no_extension", "prepare_chat_body"]

#: A provider's extensions: (the body so far, the call's options by class) → the fields to add.
BodyExtension = Callable[[Mapping[str, Any], Mapping[type[GenOption], GenOption]], dict[str, Any]]


def no_extension(
    body: Mapping[str, Any], options: Mapping[type[GenOption], GenOption]
) -> dict[str, Any]:
    """The generic provider adds nothing."""
    return {}


class ReadPlan(NamedTuple):
    """How to read the answer of one chat call, decided when the request is built."""

    keep_raw: bool
    """Keep the JSON text of every stream chunk (``Options.raw_chunks``)."""
    think_tags: ThinkTags
    """How to read inline ``<think>`` tags."""


def prepare_chat_body(
    config: ProviderConfig,
    messages: Messages,
    options: Sequence[object],
    *,
    model: Callable[[], str | None],
    known: Mapping[str, Model],
    stream: bool,
    extension: BodyExtension,
) -> tuple[dict[str, Any], ReadPlan]:
    """The finished JSON body of a chat call, and how to read its answer; raises on bad input.

    ``model`` gives the model id once the inputs and options have been checked (a pending tier
    answers with the model its table entry names); ``known`` is what the client knows of each
    model (input modalities decide which documents are sent).
    """
    check_messages(messages)
    listed = [messages] if isinstance(messages, Message) else list(messages)
    by_class = split_options(options, config.option_types, config.name)
    chat_opts = _chat_options(config, by_class)
    model_id = model()
    if not model_id:
        raise ValidationError(f"{config.name}: a model is required to generate; pass model=")
    text = by_class.get(TextOptions)
    assert text is None or isinstance(text, TextOptions)
    info = known.get(model_id)
    body = build_chat_body(
        model_id,
        listed,
        text,
        config.dialect,
        stream=stream,
        input_modalities=info.input_modalities if info is not None else None,
    )
    if chat_opts is not None:
        body = {**body, **chat_option_fields(chat_opts)}
    added = extension(body, by_class)
    if added:
        body = {**body, **added}
    if chat_opts is not None and chat_opts.extra_body:
        body = with_extra_body(body, chat_opts.extra_body)
    plan = ReadPlan(
        keep_raw=chat_opts is not None and chat_opts.raw_chunks,
        think_tags=(text.think_tags if text is not None else None) or "auto",
    )
    return body, plan


def _chat_options(
    config: ProviderConfig, by_class: Mapping[type[GenOption], GenOption]
) -> Options | None:
    """The one :class:`Options` of a call; another provider's subclass is refused."""
    found: list[Options] = []
    for opt in by_class.values():
        if not isinstance(opt, Options):
            continue
        cls = type(opt)
        if cls not in config.option_types:
            # A subclass adds fields this provider would silently drop.
            raise NotSupportedError(
                f"{config.name} does not take {cls.__module__}.{cls.__qualname__}, "
                "another provider's options",
                [cls.__name__],
            )
        found.append(opt)
    if len(found) > 1:
        names = " and ".join(type(o).__name__ for o in found)
        raise ValidationError(
            f"{names} given together; use one ({type(found[-1]).__name__} has every field)"
        )
    return found[0] if found else None


# What json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False) makes for
# each call, made once.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def encode_body(body: Mapping[str, Any], provider: str, max_bytes: int | None) -> bytes:
    """The body's bytes (compact UTF-8 JSON); ValidationError for a value JSON cannot hold or a
    body above ``max_bytes``."""
    try:
        text = _ENCODER.encode(body)
    except (TypeError, ValueError) as exc:
        raise ValidationError(_not_json_message(provider, body, exc)) from None
    content = text.encode()
    check_request_size(len(content), max_bytes, provider)
    return content


def _not_json_message(provider: str, body: Mapping[str, Any], exc: Exception) -> str:
    """Why the body is not JSON, naming the value at fault and the argument it came from."""
    found = non_json_path(body)
    if found is None:
        return f"{provider}: the request body cannot be sent as JSON ({exc})"
    path, kind = found
    top = path.split(".", 1)[0].split("[", 1)[0]
    source = {
        "tools": "a tool's parameters schema (ToolDef.parameters)",
        "messages": "the messages",
        "response_format": "the response format (the schema given)",
    }.get(top, "extra_body or the options")
    return (
        f"{provider}: the request body cannot be sent as JSON: {path} is a {kind}, which JSON "
        f"cannot hold (it comes from {source}); use lists, dicts, strings, numbers, bools or None"
    )
