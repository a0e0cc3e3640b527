"""Bad input is a ValidationError naming the argument, raised before any request, sync and async."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest

import genai_baseten
import genai_core as genai
from genai_core.errors import RequestTooLargeError
from genai_core.openai_chat.provider import AsyncOpenAICompatibleClient, OpenAICompatibleClient

KEY = "sk-validation-test-0123456789"
HI = [genai.Message.user("hi")]


class Counting:
    """A MockTransport handler that records every request it is asked to answer."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(500)


def _sync(handler: Counting, **kw: Any) -> genai_baseten.Client:
    return genai_baseten.Client(
        **{"model": "m", "api_key": KEY, "transport": httpx.MockTransport(handler), **kw}
    )


def _async(handler: Counting, **kw: Any) -> genai_baseten.AsyncClient:
    return genai_baseten.AsyncClient(
        **{"model": "m", "api_key": KEY, "transport": httpx.MockTransport(handler), **kw}
    )


# --- construction --------------------------------------------------------------------------------

BAD_CONSTRUCTION = [
    ({"timeout": -5}, "timeout must be a number of seconds > 0.*got -5"),
    ({"timeout": 0}, "timeout must be .* got 0"),
    ({"timeout": "abc"}, "timeout must be .* got 'abc'"),
    ({"timeout": math.nan}, "timeout must be .* got nan"),
    ({"timeout": [1]}, "timeout must be .* got list"),
    ({"timeout": httpx.Timeout(5.0, read=-1.0)}, "timeout must be .* got read=-1.0"),
    ({"max_retries": -1}, "max_retries must be an integer >= 0, got -1"),
    ({"max_retries": "3"}, "max_retries must be an integer >= 0, got '3'"),
    ({"max_retries": 1.5}, "max_retries must be an integer >= 0, got 1.5"),
    ({"model": ""}, "model is empty"),
    ({"model": " openai/gpt-oss-120b"}, "model ' openai/gpt-oss-120b' contains whitespace"),
    ({"model": "openai/gpt-oss-120b\n"}, "contains whitespace"),
    ({"model": "a model"}, "contains whitespace"),
    ({"max_request_bytes": 0}, "max_request_bytes must be an integer > 0"),
    ({"max_request_bytes": "1MB"}, "max_request_bytes must be an integer > 0"),
]


@pytest.mark.parametrize(("kw", "match"), BAD_CONSTRUCTION)
@pytest.mark.parametrize("make", [_sync, _async], ids=["sync", "async"])
def test_bad_construction_arguments(
    make: Callable[..., Any], kw: dict[str, Any], match: str
) -> None:
    handler = Counting()
    with pytest.raises(genai.ValidationError, match=match):
        make(handler, **kw)
    assert handler.requests == []


def test_generic_provider_validates_too() -> None:
    with pytest.raises(genai.ValidationError, match="timeout"):
        OpenAICompatibleClient(model="m", base_url="http://127.0.0.1:9/v1", timeout=-1)
    with pytest.raises(genai.ValidationError, match="whitespace"):
        AsyncOpenAICompatibleClient(model="m m", base_url="http://127.0.0.1:9/v1")


def test_good_timeouts_are_accepted() -> None:
    for timeout in (None, 1, 2.5, httpx.Timeout(10.0, read=None)):
        _sync(Counting(), timeout=timeout)


# --- per call ------------------------------------------------------------------------------------

TOOL_WITH_SET: dict[str, Any] = {
    "type": "object",
    "properties": {"colour": {"type": "string", "enum": {"red", "green"}}},
}

Case = tuple[str, tuple[Any, ...], dict[str, Any], type[Exception], str]
BAD_CALLS: list[Case] = [
    (
        "None",
        (None,),
        {},
        genai.ValidationError,
        "messages must be a Message or a list.*got a NoneType",
    ),
    ("str", ("hello",), {}, genai.ValidationError, r"got a str: pass \[Message.user"),
    ("int", (5,), {}, genai.ValidationError, "messages must be .* got an int"),
    ("dict", ({"role": "user"},), {}, genai.ValidationError, "messages must be .* got a dict"),
    ("timeout", (HI,), {"timeout": -5}, genai.ValidationError, "timeout must be .* got -5"),
    ("timeout-str", (HI,), {"timeout": "abc"}, genai.ValidationError, "timeout must be"),
    ("retries", (HI,), {"max_retries": -2}, genai.ValidationError, "max_retries must be"),
    (
        "set-in-extra-body",
        (HI, genai_baseten.Options(extra_body={"metadata": {"tags": {"a"}}})),
        {},
        genai.ValidationError,
        r"metadata\.tags is a set, which JSON cannot hold \(it comes from extra_body",
    ),
]


def _call_ids() -> list[str]:
    return [c[0] for c in BAD_CALLS]


@pytest.mark.parametrize("case", BAD_CALLS, ids=_call_ids())
@pytest.mark.parametrize("method", ["gen_sync", "gen_stream"])
def test_bad_call_sync(case: Case, method: str) -> None:
    _, args, kw, exc, match = case
    handler = Counting()
    client = _sync(handler)
    with pytest.raises(exc, match=match):
        result = getattr(client, method)(*args, **kw)
        if method == "gen_stream":
            with result as stream:
                stream.result()
    assert handler.requests == []


@pytest.mark.parametrize("case", BAD_CALLS, ids=_call_ids())
@pytest.mark.parametrize("method", ["gen_sync", "gen_stream"])
def test_bad_call_async(case: Case, method: str) -> None:
    _, args, kw, exc, match = case
    handler = Counting()

    async def main() -> None:
        client = _async(handler)
        with pytest.raises(exc, match=match):
            if method == "gen_sync":
                await client.gen_sync(*args, **kw)
            else:
                async with client.gen_stream(*args, **kw) as stream:
                    await stream.aresult()

    anyio.run(main)
    assert handler.requests == []


@pytest.mark.parametrize("bad", [None, 5, {"role": "user"}])
def test_tool_loop_refuses_messages_that_are_not_a_list(bad: Any) -> None:
    def double(x: int) -> int:
        """Double x."""
        return 2 * x

    handler = Counting()
    tools = genai.TextOptions(tools=[genai.ToolDef.from_function(double)])
    with pytest.raises(genai.ValidationError, match="messages must be a Message or a list"):
        genai.run_tool_loop(_sync(handler), bad, tools)
    assert handler.requests == []


def test_set_in_tool_parameters_names_the_tool_schema() -> None:
    # A set in a hand-written schema was blamed on extra_body; it is refused where it is made.
    with pytest.raises(
        genai.ValidationError, match=r"parameters\.properties\.colour\.enum is a set"
    ):
        genai.ToolDef(name="paint", description="Paint it", parameters=TOOL_WITH_SET)


def _tool_refusal(parameters: dict[str, Any]) -> str | None:
    """The ValidationError a tool with ``parameters`` gets, or None when it is accepted."""
    try:
        genai.ToolDef(name="paint", description="Paint it", parameters=parameters)
    except genai.ValidationError as exc:
        return str(exc)
    return None


def test_non_json_value_in_a_built_body_names_its_path() -> None:
    nested = {"type": "object", "properties": {"c": {"enum": [[0, {1, 2}]]}}}
    assert "parameters.properties.c.enum[0][1] is a set," in (_tool_refusal(nested) or "")
    assert _tool_refusal({"type": "object", "a": [1, 2.5, None, True, "x", {"b": ()}]}) is None
    assert "parameters.x is a inf," in (_tool_refusal({"type": "object", "x": math.inf}) or "")
    assert "parameters.x is a bytes," in (_tool_refusal({"type": "object", "x": b"raw"}) or "")


# --- the request size limit ----------------------------------------------------------------------


def _big_document(size: int) -> list[genai.Message]:
    doc = genai.Doc(data=b"\x89PNG\r\n\x1a\n" + b"x" * size, mime_type="image/png")
    return [genai.Message.user("describe", doc)]


def test_request_size_limit_sync_and_async() -> None:
    handler = Counting()
    limit = 100_000
    client = _sync(handler, max_request_bytes=limit)
    with pytest.raises(RequestTooLargeError) as info:
        client.gen_sync(_big_document(200_000))
    err = info.value
    assert isinstance(err, genai.ValidationError)
    assert err.limit == limit
    # base64 turns 200,008 bytes into 266,680 characters, plus the JSON around them.
    assert 266_000 < err.size < 268_000
    assert f"{err.size:,} bytes" in str(err) and "100,000 bytes" in str(err)
    assert "max_request_bytes" in str(err)

    async def main() -> None:
        aclient = _async(handler, max_request_bytes=limit)
        with pytest.raises(RequestTooLargeError):
            await aclient.gen_sync(_big_document(200_000))
        with pytest.raises(RequestTooLargeError):
            async with aclient.gen_stream(_big_document(200_000)) as stream:
                await stream.aresult()

    anyio.run(main)
    assert handler.requests == []


def test_request_size_default_and_none() -> None:
    for cls in (genai_baseten.Client, genai_baseten.AsyncClient):
        default = inspect.signature(cls).parameters["max_request_bytes"].default
        assert default == 32 * 1024 * 1024, cls
    sent: list[int] = []

    def ok(request: httpx.Request) -> httpx.Response:
        sent.append(len(request.content))
        return httpx.Response(
            200,
            json={"choices": [{"message": {"role": "assistant", "content": "ok"}}]},
        )

    unlimited = genai_baseten.Client(
        model="m", api_key=KEY, transport=httpx.MockTransport(ok), max_request_bytes=None
    )
    assert unlimited.gen_sync(_big_document(200_000)).text == "ok"
    assert sent and sent[0] > 200_000
