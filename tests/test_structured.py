"""Structured output: reply_as_json / decode_as on the wire, and Result.decode."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
import wire
from harness.chat import ChatAnswer, ChatServer, chat_client, replay_recording
from harness.flavors import ASYNC, SYNC, Flavor, Mode, each_mode
from pydantic import BaseModel, ConfigDict
from typing_extensions import assert_type

from genai_core.errors import BadRequestError, DecodeError, ValidationError
from genai_core.options import TextOptions
from genai_core.types import FinishReason, Message, Reply, Result, Usage, trusted


class Item(BaseModel):
    name: str
    price: float


class Order(BaseModel):
    """An order."""

    customer: str
    items: list[Item]


class IsFruit(BaseModel):
    is_fruit: bool


def answer(text: str = "", reasoning: str = "", finish: str = "stop") -> Result:
    replies = []
    if reasoning:
        replies.append(trusted(Reply, reasoning=reasoning))
    if text:
        replies.append(trusted(Reply, text=text))
    return trusted(
        Result, replies=replies, usage=trusted(Usage, finish_reason=FinishReason(finish))
    )


ORDER_JSON = '{"customer": "Ada", "items": [{"name": "tea", "price": 3.5}]}'


# --- Result.decode ----------------------------------------------------------------------------


def test_decode_model() -> None:
    order = answer(ORDER_JSON).decode(Order)
    assert order == Order(customer="Ada", items=[Item(name="tea", price=3.5)])
    # mypy (which runs on the tests) checks that the result is typed from the target.
    assert_type(order, Order)
    assert_type(answer('[{"name": "a", "price": 1}]').decode(list[Item]), list[Item])


def test_decode_other_types_and_schemas() -> None:
    assert answer('[{"name": "a", "price": 1}]').decode(list[Item]) == [Item(name="a", price=1)]

    @dataclasses.dataclass
    class Point:
        x: int
        y: int

    assert answer('{"x": 1, "y": 2}').decode(Point) == Point(1, 2)
    schema = {
        "type": "object",
        "properties": {"is_fruit": {"type": "boolean"}},
        "required": ["is_fruit"],
        "additionalProperties": False,
    }
    assert answer('{"is_fruit": true}').decode(schema) == {"is_fruit": True}
    with pytest.raises(DecodeError, match="is_fruit: required key missing"):
        answer("{}").decode(schema)
    with pytest.raises(DecodeError, match=r"color: unknown key \(allowed: is_fruit\)"):
        answer('{"is_fruit": true, "color": "yellow"}').decode(schema)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"customer": "Ada", "items": [], "note": "x"}', "note: unknown key"),
        ('{"customer": "Ada", "items": [{"name": "t", "price": 1, "qty": 2}]}', "items[0].qty"),
        ('{"customer": "Ada", "items": [{"name": "t", "price": "1"}]}', "items[0].price"),
        ('{"customer": "Ada"}', "items: Field required"),
        ("Sure! Here is the order: {...}", "not valid JSON"),
        ('{"customer": "Ada", "items": []} trailing', "not valid JSON"),
    ],
)
def test_decode_is_strict(text: str, problem: str) -> None:
    with pytest.raises(DecodeError) as info:
        answer(text).decode(Order)
    err = info.value
    assert isinstance(err, ValidationError)
    assert err.text == text
    assert any(problem in p for p in err.problems), err.problems
    assert problem in str(err)
    assert "cannot decode Order" in str(err)
    assert repr(text)[:20] in str(err)  # the offending text is quoted


class Leaf(BaseModel):
    v: int


class Tree(BaseModel):
    leaf: Leaf | None = None
    leaves: list[Leaf] | None = None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"leaf": {"v": 1, "w": 2}}', "leaf.w: unknown key (allowed: v)"),
        ('{"leaves": [{"v": 1}, {"v": 2, "w": 3}]}', "leaves[1].w: unknown key (allowed: v)"),
    ],
)
def test_unknown_keys_inside_optional_nested_models(text: str, problem: str) -> None:
    # `Leaf | None` is an anyOf with a null branch: an object must still match Leaf's keys.
    with pytest.raises(DecodeError) as info:
        answer(text).decode(Tree)
    assert problem in info.value.problems
    assert answer('{"leaf": null, "leaves": [{"v": 1}]}').decode(Tree) == Tree(leaves=[Leaf(v=1)])


SCHEMA = {
    "type": "object",
    "properties": {
        "n": {"type": "integer"},
        "kind": {"enum": ["a", "b"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "sub": {
            "anyOf": [
                {
                    "type": "object",
                    "properties": {"k": {"type": "string"}},
                    "required": ["k"],
                    "additionalProperties": False,
                },
                {"type": "null"},
            ]
        },
    },
    "required": ["n"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"n": "1"}', "n: expected an integer, got a string"),
        ('{"n": 1.5}', "n: expected an integer, got a number"),
        ('{"n": true}', "n: expected an integer, got a boolean"),
        ('{"n": 1, "kind": "c"}', 'kind: must be one of "a", "b"'),
        ('{"n": 1, "tags": ["x", 2]}', "tags[1]: expected a string, got a number"),
        ('{"n": 1, "sub": {"k": "x", "z": 1}}', "sub.z: unknown key (allowed: k)"),
        ('{"n": 1, "sub": {}}', "sub.k: required key missing"),
        ('{"n": 1, "sub": 3}', "sub: expected a JSON object or null, got a number"),
    ],
)
def test_decode_with_a_schema_dict_checks_every_level(text: str, problem: str) -> None:
    with pytest.raises(DecodeError) as info:
        answer(text).decode(SCHEMA)
    assert problem in info.value.problems


def test_decode_with_a_schema_dict_returns_the_json() -> None:
    text = '{"n": 1, "kind": "b", "tags": ["x"], "sub": {"k": "y"}}'
    assert answer(text).decode(SCHEMA) == json.loads(text)
    assert answer('{"n": 1, "sub": null}').decode(SCHEMA) == {"n": 1, "sub": None}


def test_unknown_keys_rejected_even_for_a_lenient_model() -> None:
    class Lenient(BaseModel):
        model_config = ConfigDict(extra="ignore")
        n: int

    res = answer('{"n": 1, "m": 2}')
    with pytest.raises(DecodeError, match="m: unknown key"):
        res.decode(Lenient)
    # strict=False follows the model's own rules (and coerces "1").
    assert res.decode(Lenient, strict=False) == Lenient(n=1)
    assert answer('{"n": "1"}').decode(Lenient, strict=False) == Lenient(n=1)


def test_code_fences_only_without_strict() -> None:
    fenced = answer('```json\n{"is_fruit": true}\n```')
    with pytest.raises(DecodeError, match="not valid JSON"):
        fenced.decode(IsFruit)
    assert fenced.decode(IsFruit, strict=False) == IsFruit(is_fruit=True)
    assert answer('```\n{"is_fruit": false}\n```').decode(IsFruit, strict=False) == IsFruit(
        is_fruit=False
    )


def test_answer_in_the_reasoning_channel() -> None:
    res = answer("", reasoning='{"is_fruit": true}')
    with pytest.raises(DecodeError) as info:
        res.decode(IsFruit)
    assert info.value.in_reasoning
    assert "the model put its answer in the reasoning channel" in str(info.value)
    # Prose around the JSON counts too.
    res = answer("", reasoning='Let me answer. {"is_fruit": true} Done.')
    with pytest.raises(DecodeError, match="reasoning channel"):
        res.decode(IsFruit)


def test_empty_answer() -> None:
    with pytest.raises(DecodeError, match=r"has no text \(finish reason: length; raise"):
        answer("", reasoning="thinking about bananas", finish="length").decode(IsFruit)
    with pytest.raises(DecodeError, match=r"has no text$") as info:
        answer("").decode(IsFruit)
    assert not info.value.in_reasoning


def test_long_text_is_quoted_in_part() -> None:
    text = '{"customer": "' + "x" * 10_000 + '"}'
    with pytest.raises(DecodeError) as info:
        answer(text).decode(Order)
    assert len(str(info.value)) < 800
    assert info.value.text == text


@pytest.mark.parametrize("target", [Order(customer="a", items=[]), 42, "Order", None])
def test_decode_target_must_be_a_type_or_schema(target: Any) -> None:
    with pytest.raises(ValidationError, match="decode takes a pydantic model class"):
        answer(ORDER_JSON).decode(target)


def test_decode_recursive_type_is_refused() -> None:
    class Tree(BaseModel):
        children: list[Tree]

    with pytest.raises(ValidationError, match="refers to itself"):
        answer("{}").decode(Tree)


# --- decode_as / reply_as_json on the wire ----------------------------------------------------


@each_mode
async def test_decode_as_model(anyio_backend: str, mode: Mode) -> None:
    server = ChatServer(ChatAnswer(content=ORDER_JSON))
    opts = TextOptions(decode_as=Order)
    result = await mode.generate(chat_client(mode, server), [Message.user("order?")], opts)
    fmt = server.bodies[0]["response_format"]
    assert fmt["type"] == "json_schema"
    spec = fmt["json_schema"]
    assert spec["name"] == "Order"
    assert spec["strict"] is True
    schema = spec["schema"]
    assert "$defs" not in json.dumps(schema)
    assert "$ref" not in json.dumps(schema)
    assert schema["additionalProperties"] is False
    item = schema["properties"]["items"]["items"]
    assert item == {
        "additionalProperties": False,
        "properties": {"name": {"type": "string"}, "price": {"type": "number"}},
        "required": ["name", "price"],
        "type": "object",
    }
    assert result.decode(Order).items[0].name == "tea"


@each_mode
@pytest.mark.parametrize(
    ("schema", "name"),
    [
        ({"type": "object", "title": "fruit check!", "properties": {}}, "fruit_check_"),
        ({"type": "object", "properties": {}}, "response"),
        ({"type": "object", "title": "", "properties": {}}, "response"),
    ],
)
async def test_decode_as_schema_gets_a_non_empty_name(
    anyio_backend: str, mode: Mode, schema: dict[str, Any], name: str
) -> None:
    server = ChatServer(ChatAnswer(content="{}"))
    await mode.generate(
        chat_client(mode, server), [Message.user("x")], TextOptions(decode_as=schema)
    )
    spec = server.bodies[0]["response_format"]["json_schema"]
    assert spec == {"name": name, "schema": schema, "strict": True}


@each_mode
async def test_reply_as_json(anyio_backend: str, mode: Mode) -> None:
    server = ChatServer(ChatAnswer(content='{"is_fruit": true}'))
    opts = TextOptions(reply_as_json=True)
    result = await mode.generate(chat_client(mode, server), [Message.user("banana?")], opts)
    assert server.bodies[0]["response_format"] == {"type": "json_object"}
    assert result.decode(IsFruit).is_fruit is True


@each_mode
async def test_json_answer_in_reasoning_channel(anyio_backend: str, mode: Mode) -> None:
    # Seen with a model in JSON mode: no content at all, the JSON in the reasoning.
    server = ChatServer(ChatAnswer(reasoning='{"is_fruit": true}'))
    opts = TextOptions(reply_as_json=True)
    result = await mode.generate(chat_client(mode, server), [Message.user("banana?")], opts)
    with pytest.raises(DecodeError, match="reasoning channel"):
        result.decode(IsFruit)


@pytest.mark.parametrize(
    "bad", [42, "Order", Order(customer="a", items=[]), list[Item], dataclasses.dataclass]
)
def test_decode_as_target_must_be_a_model_or_schema(bad: Any) -> None:
    with pytest.raises(ValidationError, match="decode_as takes a pydantic model class or a JSON"):
        TextOptions(decode_as=bad)


# --- the real JSON recordings -----------------------------------------------------------------

WIRE = wire.wire_dir()
JSON_CASES = [
    c for c in (wire.load_cases(WIRE) if WIRE is not None else []) if c.key.endswith("-JSON.json")
]
SCHEMA_CASES = [
    c
    for c in (wire.load_cases(WIRE) if WIRE is not None else [])
    if c.key.endswith("-JSONSchema.json")
]


def replay(
    case: wire.Case, flavor: Flavor
) -> tuple[Result | None, Exception | None, dict[str, Any]]:
    it = case.interaction()
    call = wire.call_from_request(it.request_body)
    out = flavor.run(lambda: replay_recording(it, call, None, flavor))
    return out.result, out.error, out.body


@pytest.mark.wire
@pytest.mark.skipif(WIRE is None, reason=wire.SKIP_REASON)
@pytest.mark.parametrize("case", JSON_CASES or [None], ids=[c.id for c in JSON_CASES] or ["none"])
@pytest.mark.parametrize("flavor", [SYNC, ASYNC], ids=str)
def test_recorded_json_mode_decodes(case: wire.Case, flavor: Flavor) -> None:
    result, error, body = replay(case, flavor)
    assert error is None
    assert result is not None
    assert body["response_format"] == {"type": "json_object"}
    expected = case.expected["checks"].get("text_json_equals")
    decoded = result.decode(dict[str, Any])
    if expected is not None:
        assert decoded == expected
    assert result.decode(IsFruit) == IsFruit(**decoded)


@pytest.mark.wire
@pytest.mark.skipif(WIRE is None, reason=wire.SKIP_REASON)
@pytest.mark.parametrize(
    "case", SCHEMA_CASES or [None], ids=[c.id for c in SCHEMA_CASES] or ["none"]
)
@pytest.mark.parametrize("flavor", [SYNC, ASYNC], ids=str)
def test_recorded_json_schema_request(case: wire.Case, flavor: Flavor) -> None:
    # The reference client sent an empty schema name and got a 400; ours sends a name and
    # strict: true with the same schema (the replayed answer is still the recorded 400).
    it = case.interaction()
    recorded = it.request_json["response_format"]["json_schema"]
    result, error, body = replay(case, flavor)
    spec = body["response_format"]["json_schema"]
    assert spec["name"]
    assert spec["strict"] is True
    assert spec["schema"] == recorded["schema"]
    if it.status == 400:
        assert isinstance(error, BadRequestError)
        assert "json_schema.name" in str(error)
    else:
        assert error is None and result is not None
