"""The sans-IO parts of the OpenAI-compatible provider, as tables: no client, no server.

Rate-limit headers, durations, the extra_body merge rule, base URLs, header merging, embeddings
bodies and responses, and body excerpts.
"""

from __future__ import annotations

import base64
import struct
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import genai_baseten
from genai_core.errors import MalformedResponseError, ValidationError
from genai_core.openai_chat import OpenAICompatibleClient
from genai_core.openai_chat.chat_options import merge_extra_body
from genai_core.openai_chat.client import merge_headers, normalize_base_url
from genai_core.openai_chat.embeddings import (
    build_embeddings_body,
    decode_base64_vector,
    parse_embeddings_response,
)
from genai_core.openai_chat.error_body import excerpt, looks_like_html
from genai_core.openai_chat.ratelimits import parse_duration, parse_rate_limits, parse_reset
from genai_core.openai_chat.stream import ChatStreamAssembler, RawChunks
from genai_core.types import RateLimit

NOW = 1_750_000_000.0
EPOCH = datetime.fromtimestamp(NOW, tz=timezone.utc)


# --- durations and resets -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1.0),
        ("6m0s", 360.0),
        ("1m30s", 90.0),
        ("6ms", 0.006),
        ("2m59.56s", 179.56),
        ("1h2m3s", 3723.0),
        ("1.5h", 5400.0),
        ("250us", 0.00025),
        ("0s", 0.0),
        (".5s", 0.5),
        (" 7s ", 7.0),
        ("", None),
        ("7", None),  # a bare number is not a duration (parse_reset reads it as seconds)
        ("1x", None),
        ("s", None),
        ("1m 30s", None),
        ("-1s", None),
        ("1s1", None),
    ],
)
def test_parse_duration(text: str, seconds: float | None) -> None:
    got = parse_duration(text)
    if seconds is None:
        assert got is None
    else:
        assert got == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1s", EPOCH + timedelta(seconds=1)),
        ("6m0s", EPOCH + timedelta(minutes=6)),
        ("20", EPOCH + timedelta(seconds=20)),
        ("0.5", EPOCH + timedelta(seconds=0.5)),
        ("1750000600", datetime.fromtimestamp(1_750_000_600, tz=timezone.utc)),  # epoch s
        ("1750000600000", datetime.fromtimestamp(1_750_000_600, tz=timezone.utc)),  # epoch ms
        ("2025-06-15T15:10:00Z", datetime(2025, 6, 15, 15, 10, tzinfo=timezone.utc)),
        ("2025-06-15T15:10:00", datetime(2025, 6, 15, 15, 10, tzinfo=timezone.utc)),
        ("soon", None),
        ("-5", None),
        ("nan", None),
        ("inf", None),
        ("1e400", None),
    ],
)
def test_parse_reset(text: str, expected: datetime | None) -> None:
    assert parse_reset(text, NOW) == expected


# --- rate-limit headers ---------------------------------------------------------------------


def limit(kind: str, period: str, lim: int, rem: int, reset: datetime | None) -> RateLimit:
    return RateLimit(kind=kind, period=period, limit=lim, remaining=rem, reset=reset)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({}, [], id="none"),
        pytest.param({"content-type": "application/json"}, [], id="unrelated"),
        pytest.param(
            {
                "X-RateLimit-Limit-Tokens": "150000",
                "X-RateLimit-Remaining-Tokens": "149984",
                "X-RateLimit-Reset-Tokens": "6m0s",
                "X-RateLimit-Limit-Requests": "60",
                "X-RateLimit-Remaining-Requests": "59",
                "X-RateLimit-Reset-Requests": "1s",
            },
            [
                limit("requests", "other", 60, 59, EPOCH + timedelta(seconds=1)),
                limit("tokens", "other", 150000, 149984, EPOCH + timedelta(minutes=6)),
            ],
            id="openai-style-requests-first",
        ),
        pytest.param(
            {
                "x-ratelimit-limit-requests-day": "14400",
                "x-ratelimit-remaining-requests-day": "14399",
                "x-ratelimit-reset-requests-day": "33011.5",
                "x-ratelimit-limit-tokens-minute": "60000",
                "x-ratelimit-remaining-tokens-minute": "59000",
                "x-ratelimit-reset-tokens-minute": "11.25",
            },
            [
                limit("requests", "day", 14400, 14399, EPOCH + timedelta(seconds=33011.5)),
                limit("tokens", "minute", 60000, 59000, EPOCH + timedelta(seconds=11.25)),
            ],
            id="period-suffixes",
        ),
        pytest.param(
            {
                "X-RateLimit-Limit": "20",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": "1750000600000",
            },
            [
                limit(
                    "requests", "other", 20, 0, datetime.fromtimestamp(1_750_000_600, timezone.utc)
                )
            ],
            id="no-kind-epoch-ms",
        ),
        pytest.param(
            {"x-ratelimit-limit-requests": "60", "x-ratelimit-remaining-requests": "59"},
            [limit("requests", "other", 60, 59, None)],
            id="no-reset",
        ),
        pytest.param(
            {
                "x-ratelimit-limit-requests": "60",
                "x-ratelimit-remaining-requests": "59",
                "x-ratelimit-reset-requests": "whenever",
            },
            [limit("requests", "other", 60, 59, None)],
            id="unreadable-reset",
        ),
        pytest.param(
            {"x-ratelimit-limit-requests-hour": "100", "x-ratelimit-remaining-requests-hour": "9"},
            [limit("requests", "other", 100, 9, None)],
            id="hour-is-other",
        ),
        pytest.param(
            {"x-ratelimit-remaining-requests": "59", "x-ratelimit-reset-requests": "1s"},
            [],
            id="no-limit-no-entry",
        ),
        pytest.param(
            {"x-ratelimit-limit-requests": "lots", "x-ratelimit-remaining-requests": "59"},
            [],
            id="non-numeric",
        ),
        pytest.param(
            {"x-ratelimit-limit-requests": "-1", "x-ratelimit-remaining-requests": "0"},
            [],
            id="negative",
        ),
        pytest.param(
            {"x-ratelimit-limit-widgets": "5", "x-ratelimit-remaining-widgets": "4"},
            [],
            id="unknown-kind",
        ),
    ],
)
def test_parse_rate_limits(headers: dict[str, str], expected: list[RateLimit]) -> None:
    assert parse_rate_limits(headers, NOW) == expected


# --- extra_body -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "extra", "expected"),
    [
        ({"a": 1}, {"b": 2}, {"a": 1, "b": 2}),
        ({"a": 1}, {"a": 2}, {"a": 1}),
        ({"a": None}, {"a": 2}, {"a": None}),  # set, even to null: the library wrote it
        ({"o": {"x": 1}}, {"o": {"x": 9, "y": 2}}, {"o": {"x": 1, "y": 2}}),
        ({"o": {"x": {"d": 1}}}, {"o": {"x": {"e": 2}}}, {"o": {"x": {"d": 1, "e": 2}}}),
        ({"o": 1}, {"o": {"y": 2}}, {"o": 1}),
        ({"o": {"x": 1}}, {"o": 5}, {"o": {"x": 1}}),
        ({"l": [1]}, {"l": [2, 3]}, {"l": [1]}),
        ({}, {}, {}),
    ],
)
def test_merge_extra_body(
    body: dict[str, Any], extra: dict[str, Any], expected: dict[str, Any]
) -> None:
    merge_extra_body(body, extra)
    assert body == expected


def test_merge_extra_body_shares_nothing_with_either_side() -> None:
    schema = {"type": "object"}
    body: dict[str, Any] = {"response_format": {"schema": schema}}
    extra: dict[str, Any] = {"response_format": {"schema": {"title": "T"}}, "new": {"k": [1]}}
    merge_extra_body(body, extra)
    assert schema == {"type": "object"}  # the caller's nested object is not written into
    assert body["response_format"]["schema"] == {"type": "object", "title": "T"}
    body["new"]["k"].append(2)
    assert extra["new"] == {"k": [1]}


# --- base URLs and headers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://localhost:8000/v1", "http://localhost:8000/v1"),
        ("http://localhost:8000/v1/", "http://localhost:8000/v1"),
        ("https://h.example/v1/chat/completions", "https://h.example/v1"),
        ("https://h.example/v1/chat/completions/", "https://h.example/v1"),
        ("  https://h.example/openai/v1  ", "https://h.example/openai/v1"),
        ("https://h.example", "https://h.example"),
    ],
)
def test_normalize_base_url(url: str, expected: str) -> None:
    assert normalize_base_url(url, "p") == expected


def test_normalize_base_url_quotes_a_short_excerpt_of_a_long_url() -> None:
    with pytest.raises(ValidationError) as info:
        normalize_base_url("example.com/" + "x" * 500, "p")
    assert "example.com/xxx" in str(info.value)
    assert len(str(info.value)) < 400


def test_credentials_in_a_base_url_are_never_shown() -> None:
    with pytest.raises(ValidationError) as info:
        normalize_base_url("ftp://bob:hunter2secret@h.example/v1", "p")
    assert "hunter2secret" not in str(info.value)
    assert "ftp://***@h.example/v1" in str(info.value)
    client = OpenAICompatibleClient(base_url="https://bob:hunter2secret@h.example/v1")
    with client:
        assert "hunter2secret" not in repr(client)
        assert client.base_url == "https://bob:hunter2secret@h.example/v1"  # still used


def test_merge_headers_is_case_insensitive_and_none_removes() -> None:
    base = {"Accept": "a", "User-Agent": "u", "X-Request-Id": "r"}
    out = merge_headers(base, {"user-agent": "mine", "X-REQUEST-ID": None, "X-New": "n"})
    assert out == {"Accept": "a", "user-agent": "mine", "X-New": "n"}
    assert merge_headers(base, None) == base


# --- embeddings -------------------------------------------------------------------------------


def test_decode_base64_vector_is_little_endian_float32() -> None:
    values = [1.0, -2.5, 0.15625, 2.0**100]  # all exact in float32
    text = base64.b64encode(struct.pack("<4f", *values)).decode()
    assert decode_base64_vector(text) == values
    assert decode_base64_vector("") == []


@pytest.mark.parametrize(
    ("text", "match"),
    [("not base64!", "not valid base64"), (base64.b64encode(b"12345").decode(), "multiple of 4")],
)
def test_decode_base64_vector_rejects_garbage(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        decode_base64_vector(text)


def test_build_embeddings_body() -> None:
    assert build_embeddings_body("m", "hi") == {
        "model": "m",
        "input": "hi",
        "encoding_format": "float",
    }
    body = build_embeddings_body(
        "m",
        ("a", "b"),
        encoding_format="base64",
        dimensions=256,
        user="u",
        extra_body={"model": "x", "truncate": True},
    )
    assert body == {
        "model": "m",
        "input": ["a", "b"],
        "encoding_format": "base64",
        "dimensions": 256,
        "user": "u",
        "truncate": True,
    }


@pytest.mark.parametrize("dimensions", [0, -3, True, 2.0])
def test_build_embeddings_body_rejects_bad_dimensions(dimensions: Any) -> None:
    with pytest.raises(ValidationError, match="dimensions"):
        build_embeddings_body("m", "hi", dimensions=dimensions)


def entry(i: int, embedding: Any) -> dict[str, Any]:
    return {"object": "embedding", "index": i, "embedding": embedding}


def test_parse_embeddings_sorts_by_index_and_reads_both_encodings() -> None:
    b64 = base64.b64encode(struct.pack("<2f", 0.5, 4.0)).decode()
    body = {
        "model": "e",
        "data": [entry(1, b64), entry(0, [1, 2.5])],
        "usage": {"prompt_tokens": 3, "total_tokens": 3},
    }
    out = parse_embeddings_response(body, count=2, provider="p", request_id="r")
    assert out.vectors == [[1.0, 2.5], [0.5, 4.0]]
    assert all(type(x) is float for v in out.vectors for x in v)
    assert (out.model, out.request_id) == ("e", "r")
    assert (out.usage.input_tokens, out.usage.total_tokens, out.usage.output_tokens) == (3, 3, 0)
    assert out.raw is body
    assert "2 vectors of 2 dimensions" in repr(out)


def test_parse_embeddings_without_usage_or_indexes() -> None:
    out = parse_embeddings_response(
        {"data": [{"embedding": [1.0]}, {"embedding": [2.0]}]}, count=2, provider="p"
    )
    assert out.vectors == [[1.0], [2.0]]
    assert out.usage.total_tokens == 0
    assert out.model is None


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ([], r"expected \{'data'"),
        ({"data": {}}, r"expected \{'data'"),
        ({"data": [entry(0, [1.0])]}, "expected 2 vectors, got 1"),
        ({"data": [entry(0, [1.0]), "x"]}, "not an object"),
        ({"data": [entry(0, [1.0]), entry(0, [2.0])]}, "indexes are not 0 to 1"),
        ({"data": [entry(0, [1.0]), entry(1, ["a"])]}, "other than numbers"),
        ({"data": [entry(0, [1.0]), entry(1, None)]}, "NoneType, not a list"),
        ({"data": [entry(0, [1.0]), entry(1, "@@")]}, "not valid base64"),
    ],
)
def test_parse_embeddings_malformed(body: Any, match: str) -> None:
    with pytest.raises(MalformedResponseError, match=match) as info:
        parse_embeddings_response(body, count=2, provider="p")
    assert info.value.status_code == 200


# --- excerpts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain text", "plain text"),
        ("line\n\n\tbreaks   folded", "line breaks folded"),
        ("nul\x00 and \x1b[31mescape", "nul and [31mescape"),
        ("<p>a &amp; b</p>", "a & b"),
        (
            "<html><head><title>Gateway Timeout</title><style>p{}</style></head>"
            "<body><script>x()</script><p>Try later</p></body></html>",
            "Gateway Timeout: Try later",
        ),
        ("<!doctype html><html><body><h1>Oops</h1><!-- debug --></body></html>", "Oops"),
        ("x" * 300, "x" * 199 + "…"),
    ],
)
def test_excerpt(text: str, expected: str) -> None:
    assert excerpt(text) == expected


def test_excerpt_of_a_huge_page_is_bounded() -> None:
    page = "<html><body>" + "<div>word</div>" * 200_000 + "</body></html>"
    out = excerpt(page)
    assert len(out) == 200
    assert out.startswith("word word")


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("<!DOCTYPE html><html>", True),
        ("  \n<html lang=en>", True),
        ("<?xml version='1.0'?>\n<html>", True),
        ('{"error": "<html> in a message"}', False),
        ("plain", False),
    ],
)
def test_looks_like_html(text: str, html: bool) -> None:
    assert looks_like_html(text) is html


# --- Baseten endpoints ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({}, "https://model-abc123.api.baseten.co/environments/production/sync/v1"),
        (
            {"environment": "staging"},
            "https://model-abc123.api.baseten.co/environments/staging/sync/v1",
        ),
        ({"environment": "development"}, "https://model-abc123.api.baseten.co/development/sync/v1"),
        ({"deployment_id": "q7x"}, "https://model-abc123.api.baseten.co/deployment/q7x/sync/v1"),
    ],
)
def test_deployment_url(kw: dict[str, str], expected: str) -> None:
    assert genai_baseten.deployment_url("abc123", **kw) == expected


@pytest.mark.parametrize(
    "kw",
    [{"model_id": "a/b"}, {"model_id": ""}, {"environment": "prod?x=1"}, {"deployment_id": "../x"}],
)
def test_deployment_url_rejects_ids_that_would_change_the_url(kw: dict[str, str]) -> None:
    args = {"model_id": "abc123", **kw}
    with pytest.raises(ValidationError):
        genai_baseten.deployment_url(**args)


# --- raw chunks -------------------------------------------------------------------------------


def test_raw_chunks_decode_on_access_and_keep_the_text() -> None:
    texts = ['{"a": 1}', '{"b": [2]}', ' {"c": null}']
    raw = RawChunks(texts)
    assert len(raw) == 3
    assert raw[0] == {"a": 1}
    assert raw[-1] == {"c": None}
    assert raw[0] is raw[0]  # decoded once
    assert raw[1:] == [{"b": [2]}, {"c": None}]
    assert list(raw) == [{"a": 1}, {"b": [2]}, {"c": None}]
    assert raw == [{"a": 1}, {"b": [2]}, {"c": None}]
    assert raw == RawChunks(list(texts))
    assert raw.text(2) == ' {"c": null}'
    assert repr(raw) == "RawChunks(3 chunks)"
    with pytest.raises(IndexError):
        raw[3]


def test_assembler_keeps_raw_chunks_only_when_asked() -> None:
    chunk = '{"choices": [{"delta": {"content": "hi"}, "finish_reason": "stop"}], "x_extra": 5}'
    plain = ChatStreamAssembler(provider="p")
    kept = ChatStreamAssembler(provider="p", keep_raw=True)
    for a in (plain, kept):
        a.feed(chunk)
        a.feed("[DONE]")
    assert plain.result().raw is None
    raw = kept.result().raw
    assert isinstance(raw, RawChunks)
    assert [c["x_extra"] for c in raw] == [5]
    assert kept.result().text == "hi"


# --- models -----------------------------------------------------------------------------------


def test_vllm_max_model_len_is_the_context_length() -> None:
    from genai_core.openai_chat.models import parse_models

    vllm = {"id": "Qwen/Qwen3-0.6B", "object": "model", "owned_by": "vllm", "max_model_len": 40960}
    models = parse_models({"object": "list", "data": [vllm, {"id": "x", "context_length": 8}]})
    assert [m.context_length for m in models] == [40960, 8]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"choices": "x"}, "got no 'choices' list"),
        ({"id": "c"}, "got no 'choices' list"),
        ({"choices": []}, "got 0"),
        ({"choices": [{}, {}]}, "got 2"),
        ({"choices": ["text"]}, "got a choice that is not an object"),
    ],
)
def test_a_body_without_one_choice_says_what_it_has(body: dict[str, Any], says: str) -> None:
    from genai_core.openai_chat.response import parse_chat_response

    with pytest.raises(
        MalformedResponseError, match=f"expected exactly one choice, {says}: "
    ) as info:
        parse_chat_response(body, provider="p", status_code=200)
    assert info.value.status_code == 200
