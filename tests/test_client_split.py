"""The chat engine split by concern: configuration, request preparation, the answer exchange.

Each test drives the public client over httpx.MockTransport and checks one promise of a part:
the body pipeline's order (Options fields, then the provider's extensions, then ``extra_body``,
which never overwrites), that a malformed answer is a MalformedResponseError for a whole body and
a MalformedStreamError (still a StreamError) for a stream, that the key never reaches those
errors, and that construction errors name the provider and the argument.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

import genai_baseten
from genai_core.errors import (
    MalformedResponseError,
    MalformedStreamError,
    StreamError,
    ValidationError,
)
from genai_core.openai_chat import OpenAICompatibleClient
from genai_core.options import TextOptions
from genai_core.types import Message

KEY = "sk-split-secret-0123456789abcdef"
MSGS = [Message.user("hi")]
ANSWER = {
    "id": "c1",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
    ],
}


def capture(sent: list[dict[str, Any]], reply: httpx.Response) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return reply

    return httpx.MockTransport(handler)


def test_extensions_come_after_options_and_extra_body_never_overwrites() -> None:
    sent: list[dict[str, Any]] = []
    client = genai_baseten.Client(
        "openai/gpt-oss-120b",
        api_key=KEY,
        transport=capture(sent, httpx.Response(200, json=ANSWER)),
    )
    opts = genai_baseten.Options(
        top_k=7,
        presence_penalty=0.5,
        chat_template_args={"a": 1},
        extra_body={"top_k": 99, "presence_penalty": 2.0, "chat_template_args": {"b": 2}, "x": 1},
    )
    client.gen_sync(MSGS, opts)
    body = sent[0]
    # Worked out from the documented rule: what the library set stays, extra_body only adds.
    assert body["top_k"] == 7
    assert body["presence_penalty"] == 0.5
    assert body["chat_template_args"] == {"a": 1, "b": 2}
    assert body["x"] == 1
    # The caller's objects are not written into.
    assert opts.extra_body == {
        "top_k": 99,
        "presence_penalty": 2.0,
        "chat_template_args": {"b": 2},
        "x": 1,
    }
    assert opts.chat_template_args == {"a": 1}


def test_a_whole_body_that_is_not_json_is_malformed_not_a_stream_error() -> None:
    page = f"<html>proxy error for Bearer {KEY}</html>"
    client = OpenAICompatibleClient(
        base_url="http://127.0.0.1:9/v1",
        model="m",
        api_key=KEY,
        transport=httpx.MockTransport(lambda r: httpx.Response(200, text=page)),
    )
    with pytest.raises(MalformedResponseError) as info:
        client.gen_sync(MSGS)
    err = info.value
    assert not isinstance(err, StreamError)
    assert err.status_code == 200
    assert "HTML page" in err.message
    assert KEY not in str(err) and KEY not in err.body


def test_a_stream_answered_with_a_malformed_completion_is_still_a_stream_error() -> None:
    client = OpenAICompatibleClient(
        base_url="http://127.0.0.1:9/v1",
        model="m",
        api_key=KEY,
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"choices": []})),
    )
    with pytest.raises(StreamError) as info, client.gen_stream(MSGS) as stream:
        for _ in stream:
            pass
    assert isinstance(info.value, MalformedStreamError)
    assert isinstance(info.value, MalformedResponseError)
    assert "exactly one choice" in info.value.message


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"default_headers": {"X-A": 1}}, "default_headers['X-A'] must be a string"),
        ({"user_agent": ""}, "user_agent must be a non-empty string"),
        ({"transport": object()}, "transport must be an httpx.BaseTransport"),
        ({"models": [3]}, "models= takes Model objects or model ids"),
        ({"http_client": httpx.Client(), "proxy": "http://p:1"}, "give transport= and proxy="),
    ],
)
def test_construction_errors_name_the_provider_and_the_argument(
    kwargs: dict[str, Any], says: str
) -> None:
    with pytest.raises(ValidationError) as info:
        genai_baseten.Client("openai/gpt-oss-120b", api_key=KEY, **kwargs)
    assert str(info.value).startswith("baseten: ")
    assert says in str(info.value)


def test_the_bridge_sends_its_token_limit_as_max_tokens() -> None:
    sent: list[dict[str, Any]] = []
    client = genai_baseten.Client.for_target(
        genai_baseten.Target.bridge("abcd1234"),
        "m",
        api_key=KEY,
        transport=capture(sent, httpx.Response(200, json=ANSWER)),
    )
    client.gen_sync(MSGS, TextOptions(max_tokens=5))
    assert sent[0]["max_tokens"] == 5
    assert "max_completion_tokens" not in sent[0]
