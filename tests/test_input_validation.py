"""Bad input is a ValidationError naming the argument, raised before any request, sync and async."""

from __future__ import annotations

import inspect
import math
from typing import Any

import httpx
import pytest
from harness.flavors import ASYNC, SYNC, Flavor, Mode, each_mode
from harness.scripted import ScriptedServer, raw_answer

import genai_baseten
import genai_core as genai
from genai_core.errors import RequestTooLargeError
from genai_core.openai_chat.compatible import AsyncOpenAICompatibleClient, OpenAICompatibleClient

KEY = "sk-validation-test-0123456789"
HI = [genai.Message.user("hi")]


def counting() -> ScriptedServer:
    """A server that must not be reached: it records what it is asked and answers 500."""
    return ScriptedServer(raw_answer(500, b""))


def client_for(flavor: Flavor, server: ScriptedServer, **kw: Any) -> Any:
    cls = flavor.pick(genai_baseten.Client, genai_baseten.AsyncClient)
    return cls(**{"model": "m", "api_key": KEY, "transport": httpx.MockTransport(server), **kw})


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
@pytest.mark.parametrize("flavor", [SYNC, ASYNC], ids=str)
def test_bad_construction_arguments(flavor: Flavor, kw: dict[str, Any], match: str) -> None:
    server = counting()
    with pytest.raises(genai.ValidationError, match=match):
        client_for(flavor, server, **kw)
    assert server.requests == []


def test_generic_provider_validates_too() -> None:
    with pytest.raises(genai.ValidationError, match="timeout"):
        OpenAICompatibleClient(model="m", base_url="http://127.0.0.1:9/v1", timeout=-1)
    with pytest.raises(genai.ValidationError, match="whitespace"):
        AsyncOpenAICompatibleClient(model="m m", base_url="http://127.0.0.1:9/v1")


def test_good_timeouts_are_accepted() -> None:
    for timeout in (None, 1, 2.5, httpx.Timeout(10.0, read=None)):
        client_for(SYNC, counting(), timeout=timeout)


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


@each_mode
@pytest.mark.parametrize("case", BAD_CALLS, ids=_call_ids())
async def test_bad_call(mode: Mode, case: Case) -> None:
    _, args, kw, exc, match = case
    server = counting()
    client = client_for(mode.flavor, server)
    with pytest.raises(exc, match=match):
        await mode.generate(client, *args, **kw)
    assert server.requests == []


@pytest.mark.parametrize("bad", [None, 5, {"role": "user"}])
def test_tool_loop_refuses_messages_that_are_not_a_list(bad: Any) -> None:
    def double(x: int) -> int:
        """Double x."""
        return 2 * x

    server = counting()
    tools = genai.TextOptions(tools=[genai.ToolDef.from_function(double)])
    with pytest.raises(genai.ValidationError, match="messages must be a Message or a list"):
        genai.run_tool_loop(client_for(SYNC, server), bad, tools)
    assert server.requests == []


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


@each_mode
async def test_request_size_limit(mode: Mode) -> None:
    server = counting()
    limit = 100_000
    client = client_for(mode.flavor, server, max_request_bytes=limit)
    with pytest.raises(RequestTooLargeError) as info:
        await mode.generate(client, _big_document(200_000))
    err = info.value
    assert isinstance(err, genai.ValidationError)
    assert err.limit == limit
    # base64 turns 200,008 bytes into 266,680 characters, plus the JSON around them.
    assert 266_000 < err.size < 268_000
    assert f"{err.size:,} bytes" in str(err) and "100,000 bytes" in str(err)
    assert "max_request_bytes" in str(err)
    assert server.requests == []


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
