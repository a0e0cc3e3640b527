"""The smoke scenarios as code: the requests they make the Baseten client send, the image the
project draws, the judgements and the error classification (pure; no network)."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import httpx
import pytest
from harness.bodies import DONE

import genai_baseten
from genai_core.errors import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
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
from genai_core.types import Doc, FinishReason, Reply, Result, ToolCall, Usage
from scoreboard import scenarios as sc

MODEL = "openai/gpt-oss-120b"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def sent_body(call: sc.Call) -> dict[str, Any]:
    """The body genai_baseten.Client sends for ``call`` (answered with an empty completion)."""
    bodies: list[dict[str, Any]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        if call.mode == "stream":
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=DONE)
        message = {"role": "assistant", "content": "ok"}
        return httpx.Response(200, json={"choices": [{"message": message}]})

    client = genai_baseten.Client(
        model=MODEL, api_key="k" * 16, transport=httpx.MockTransport(handle), max_retries=0
    )
    if call.mode == "sync":
        client.gen_sync(list(call.messages), *call.options)
    else:
        with client.gen_stream(list(call.messages), *call.options) as stream:
            stream.result()
    return bodies[0]


def test_square_root_request_is_the_go_smoke_tests_one() -> None:
    body = sent_body(sc.square_root_call("sync", "required"))
    assert body == {
        "model": MODEL,
        "messages": [
            {
                "role": "user",
                "content": "Use the square_root tool to calculate the square root of 132413 and "
                "reply with only the result. Do not give an explanation.",
            }
        ],
        "tool_choice": "required",
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "square_root",
                    "description": "Calculates and return the square root of a number",
                    "parameters": {
                        "$schema": DRAFT,
                        "properties": {"number": {"type": "number"}},
                        "additionalProperties": False,
                        "type": "object",
                        "required": ["number"],
                    },
                },
            }
        ],
        "parallel_tool_calls": True,
    }


def test_bias_questions_list_the_first_named_country_first() -> None:
    forced = sent_body(sc.bias_call("sync", "USA", forced=True))
    assert forced["tool_choice"] == "required"
    params = forced["tools"][0]["function"]["parameters"]
    assert params["properties"]["country"]["enum"] == ["USA", "Canada"]
    assert forced["messages"][0]["content"].startswith("I wonder if the USA is a better country")
    free = sent_body(sc.bias_call("sync", "Canada", forced=False))
    assert "tool_choice" not in free
    assert free["tools"][0]["function"]["parameters"]["properties"]["country"]["enum"] == [
        "Canada",
        "USA",
    ]


def test_citations_send_the_document_then_the_question_as_two_user_messages() -> None:
    plain, markdown = sc.citation_calls("stream")
    body = sent_body(markdown)
    assert body["messages"] == [
        {
            "role": "user",
            "content": "# Quackiland\n\nThe capital of Quackiland is Quack. The Big Canard Statue "
            "is located in Quack.",
        },
        {"role": "user", "content": "What is the capital of Quackiland?"},
    ]
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert sent_body(plain)["messages"][0]["content"].startswith("The capital of Quackiland")


def test_the_image_scenario_sends_the_question_then_the_image() -> None:
    body = sent_body(sc.image_call("sync", sc.DEFAULT_IMAGES[0]))
    question, image = body["messages"]
    assert question == {"role": "user", "content": "What fruit is it? Reply with only one word."}
    url = image["content"][0]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    by_url = sent_body(sc.image_call("sync", sc.DEFAULT_IMAGES[1]))
    assert by_url["messages"][1]["content"][0]["image_url"]["url"] == sc.DEFAULT_IMAGE_URL


def test_text_scenarios_options() -> None:
    bodies = {c.scenario: sent_body(c) for c in sc.text_calls("sync")}
    assert bodies["Seed"]["seed"] == 42
    assert (bodies["TopLogprobs"]["logprobs"], bodies["TopLogprobs"]["top_logprobs"]) == (True, 2)
    assert bodies["MaxTokens"]["max_completion_tokens"] == 16
    assert bodies["Stop"]["stop"] == ["is"]
    assert bodies["JSON"]["response_format"] == {"type": "json_object"}
    schema = bodies["JSONSchema"]["response_format"]["json_schema"]
    assert schema["schema"] == {
        "$schema": DRAFT,
        "properties": {"is_fruit": {"type": "boolean"}},
        "additionalProperties": False,
        "type": "object",
        "required": ["is_fruit"],
    }
    assert schema["strict"] is True
    assert schema["name"]  # never empty: Baseten refuses an empty name with a 400
    assert set(bodies["Text"]) == {"model", "messages"}


def test_cassette_names() -> None:
    assert sc.cassette_name("sync", "Text") == "GenSync-Text"
    assert sc.cassette_name("stream", "Image-png-URL", multimodal=True) == (
        "GenStreamMultiModal-Image-png-URL"
    )


# --- the project's own image ------------------------------------------------------------------


def test_banana_png_is_a_valid_png_with_a_yellow_shape() -> None:
    data = sc.banana_png()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = {}, 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
        chunks[kind] = body
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (width, height, depth, color) == (192, 192, 8, 2)
    raw = zlib.decompress(chunks[b"IDAT"])
    assert len(raw) == height * (1 + 3 * width)
    pixels = [raw[r * (1 + 3 * width) + 1 :][: 3 * width] for r in range(height)]
    yellow = sum(row[i : i + 3] == b"\xf5\xd3\x2a" for row in pixels for i in range(0, len(row), 3))
    assert 0.05 < yellow / (width * height) < 0.5
    assert Doc.from_bytes(data, "image.png").mime() == "image/png"


def test_image_inputs() -> None:
    assert sc.ImageInput.from_url("https://x/a/b.JPG?x=1").scenario == "Image-jpg-URL"
    assert sc.ImageInput.inline(b"\xff\xd8\xff", ".jpeg").scenario == "Image-jpeg-Inline"
    with pytest.raises(ValidationError, match="exactly one"):
        sc.ImageInput(ext="png")
    with pytest.raises(ValidationError, match="exactly one"):
        sc.ImageInput(ext="png", data=b"x", url="https://x/y.png")
    assert "bytes" in repr(sc.DEFAULT_IMAGES[0])


# --- judgements -------------------------------------------------------------------------------


def result(text: str = "", reasoning: str = "") -> Result:
    replies = [Reply(reasoning=reasoning)] if reasoning else []
    replies += [Reply(text=text)] if text else []
    return Result(replies=replies, usage=Usage(finish_reason=FinishReason.STOP))


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("Canada ", True),
        ("Canada", True),
        ("Canada is a country", False),  # went past the stop word
        ("word " * 30, False),  # far too long for an answer cut at "is"
    ],
)
def test_judge_stop(text: str, ok: bool) -> None:
    assert bool(sc.judge_stop(result(text))) is ok


def test_judge_max_tokens() -> None:
    assert sc.judge_max_tokens(result("Relativity is"))
    assert sc.judge_max_tokens(result(reasoning="The user asks"))
    assert not sc.judge_max_tokens(result())
    assert not sc.judge_max_tokens(result("a " * 25))


def test_judge_json_and_schema() -> None:
    assert sc.judge_json(result('{"is_fruit": true}'))
    assert not sc.judge_json(result("true"))
    assert not sc.judge_json(result("```json\n{}\n```"))
    assert sc.judge_json_schema(result('{"is_fruit": true}'))
    assert not sc.judge_json_schema(result('{"is_fruit": false}'))
    assert not sc.judge_json_schema(result('{"is_fruit": true, "why": "sweet"}'))


@pytest.mark.parametrize(
    ("text", "ok"), [("Banana", True), (" banana.\n", True), ("BANANA", True), ("A banana", False)]
)
def test_judge_image(text: str, ok: bool) -> None:
    assert bool(sc.judge_image(result(text))) is ok


def call(name: str, args: str) -> ToolCall:
    return ToolCall(id="c", name=name, arguments=args)


def test_square_root_tool() -> None:
    assert sc.run_square_root(call("square_root", '{\n  "number": 132413\n}')) == "363.89"
    assert sc.run_square_root(call("square_root", '{"number": 132413.0}')) == "363.89"
    for bad in ('{"number": "132413"}', '{"number": 4}', "{}", '{"number": true}'):
        with pytest.raises(ValidationError):
            sc.run_square_root(call("square_root", bad))


def test_best_country_tool() -> None:
    assert sc.run_best_country(call("best_country", '{"country": "USA"}')) == "USA"
    for bad in ('{"country": "Mexico"}', '{"country": "USA", "also": 1}', '{"country": null}'):
        with pytest.raises(ValidationError):
            sc.run_best_country(call("best_country", bad))


def test_distinct_tool_calls() -> None:
    one = Reply(tool_call=ToolCall(id="a", name="f", arguments="{}"))
    other = Reply(tool_call=ToolCall(id="b", name="f", arguments="{}"))
    assert not sc.distinct_tool_calls(Result(replies=[one, one]))
    assert sc.distinct_tool_calls(Result(replies=[one, other]))


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (BadRequestError("no", status_code=400), "unsupported"),
        (NotSupportedError("no", ["TextOptions.seed"]), "unsupported"),
        (ServerError("boom", status_code=503), "transient"),
        (RateLimitError("slow down", status_code=429), "transient"),
        (StreamError("broken", status_code=200), "transient"),
        (MalformedResponseError("not JSON", status_code=200), "transient"),
        (APIConnectionError("reset"), "transient"),
        (ReplayMismatchError("differs"), "mismatch"),
        (AuthenticationError("denied", status_code=403), "fatal"),
        (NotFoundError("no such model", status_code=404), "fatal"),
        (MissingAPIKeyError("baseten", "BASETEN_API_KEY"), "fatal"),
        (CassetteError("broken cassette"), "fatal"),
        (RuntimeError("a bug"), "fatal"),
    ],
)
def test_classify_error(error: BaseException, kind: str) -> None:
    assert sc.classify_error(error) == kind


def test_describe_error_is_stable() -> None:
    err = BadRequestError(
        "image_url is not supported", status_code=400, request_id="req-123", provider="baseten"
    )
    assert sc.describe_error(err) == "HTTP 400: image_url is not supported"
    long = BadRequestError("x" * 500, status_code=400)
    assert len(sc.describe_error(long)) == 200
