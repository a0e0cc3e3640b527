"""ToolDef from functions and pydantic models, strict argument decoding, and tools on the wire."""

from __future__ import annotations

import enum
import functools
import json
from typing import Annotated, Any, Literal

import pytest
from harness.chat import ChatAnswer, ChatServer, chat_client
from harness.flavors import Mode, each_mode
from pydantic import BaseModel, ConfigDict, Field

import genai_core as genai
from genai_core.errors import ToolArgumentsError, ToolError, ToolExecutionError, ValidationError
from genai_core.options import TextOptions
from genai_core.tools import ToolDef, parse_docstring, tool_output_text
from genai_core.types import Message, ToolCall


class Unit(enum.Enum):
    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


class Place(BaseModel):
    city: str
    country: str | None = None


class Weather(BaseModel):
    """The weather at a place."""

    place: Place
    unit: Unit = Unit.CELSIUS


def get_weather(
    place: Place,
    unit: Unit = Unit.CELSIUS,
    days: Annotated[int, Field(ge=1, le=7, description="Days of forecast")] = 1,
    tags: list[Literal["wind", "rain"]] | None = None,
) -> str:
    """Get the weather forecast.

    Args:
        place: Where to look.
        unit: Temperature unit,
            celsius or fahrenheit.
        days: Overridden by the Annotated description.
    """
    return f"{place.city}: sunny, {days} day(s) in {unit.value}, {tags}"


def walk(node: Any) -> list[dict[str, Any]]:
    """Every schema object inside ``node``."""
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        out.append(node)
        for v in node.values():
            out.extend(walk(v))
    elif isinstance(node, list):
        for v in node:
            out.extend(walk(v))
    return out


# --- from_function ----------------------------------------------------------------------------


def test_from_function_schema() -> None:
    tool = ToolDef.from_function(get_weather)
    assert tool.name == "get_weather"
    assert tool.description == "Get the weather forecast."
    params = tool.parameters
    assert params["type"] == "object"
    assert params["required"] == ["place"]
    assert params["additionalProperties"] is False
    props = params["properties"]
    assert list(props) == ["place", "unit", "days", "tags"]
    # The nested model is inlined, closed, and carries the docstring's description.
    assert props["place"]["type"] == "object"
    assert props["place"]["additionalProperties"] is False
    assert props["place"]["required"] == ["city"]
    assert props["place"]["description"] == "Where to look."
    assert props["unit"]["enum"] == ["celsius", "fahrenheit"]
    assert props["unit"]["default"] == "celsius"
    assert props["unit"]["description"] == "Temperature unit, celsius or fahrenheit."
    assert props["days"] == {
        "default": 1,
        "description": "Days of forecast",
        "maximum": 7,
        "minimum": 1,
        "type": "integer",
    }
    tags = props["tags"]["anyOf"]
    assert {"type": "null"} in tags
    assert {"items": {"enum": ["wind", "rain"], "type": "string"}, "type": "array"} in tags
    # No $ref, no $defs, no generated titles anywhere; every object with properties is closed.
    text = json.dumps(params)
    assert "$ref" not in text
    assert "$defs" not in text
    assert '"title"' not in text
    for node in walk(params):
        if "properties" in node:
            assert node["additionalProperties"] is False, node


def test_from_function_name_and_description_overrides() -> None:
    tool = ToolDef.from_function(get_weather, name="weather-v2", description="Forecast.")
    assert (tool.name, tool.description) == ("weather-v2", "Forecast.")


def test_from_function_runs_with_decoded_arguments() -> None:
    tool = ToolDef.from_function(get_weather)
    call = ToolCall(id="c1", name="get_weather", arguments='{"place": {"city": "Oslo"}, "days": 3}')
    assert tool.run(call) == "Oslo: sunny, 3 day(s) in celsius, None"
    args = tool.parse_arguments(call)
    assert args == {"place": Place(city="Oslo"), "unit": Unit.CELSIUS, "days": 3, "tags": None}


def test_single_model_parameter_takes_the_model_fields() -> None:
    def report(weather: Weather) -> str:
        """Report the weather."""
        return f"{weather.place.city} in {weather.unit.value}"

    tool = ToolDef.from_function(report)
    assert set(tool.parameters["properties"]) == {"place", "unit"}
    assert tool.parameters["description"] == "The weather at a place."
    assert tool.run('{"place": {"city": "Lima"}, "unit": "fahrenheit"}') == "Lima in fahrenheit"


def test_from_function_without_parameters() -> None:
    def now() -> str:
        """The current time."""
        return "12:00"

    tool = ToolDef.from_function(now)
    assert tool.parameters == {"additionalProperties": False, "properties": {}, "type": "object"}
    # Some servers send "" for a call without arguments.
    assert tool.run(ToolCall(id="1", name="now", arguments="")) == "12:00"
    assert tool.run(ToolCall(id="1", name="now", arguments="{}")) == "12:00"


def test_bound_method_and_callable_object() -> None:
    class Calculator:
        def __init__(self, offset: int) -> None:
            self.offset = offset

        def add(self, x: int) -> int:
            """Add the offset."""
            return x + self.offset

    class Doubler:
        """Double a number."""

        def __call__(self, x: float) -> float:
            return x * 2

    assert ToolDef.from_function(Calculator(10).add).run('{"x": 5}') == "15"
    assert ToolDef.from_function(Doubler(), name="double").run('{"x": 2.5}') == "5.0"


def test_partial() -> None:
    def convert(amount: float, rate: float) -> str:
        """Convert an amount of money.

        Args:
            amount: How much.
            rate: The exchange rate.
        """
        return f"{amount * rate:.2f}"

    tool = ToolDef.from_function(functools.partial(convert, rate=2.0))
    assert tool.name == "convert"
    assert tool.description == "Convert an amount of money."
    assert tool.parameters["required"] == ["amount"]
    assert tool.parameters["properties"]["rate"]["default"] == 2.0
    assert tool.run('{"amount": 3}') == "6.00"


def test_parameter_names_that_pydantic_reserves() -> None:
    def lookup(json: str, copy: int, model_config: int = 1) -> str:
        """Names a pydantic field could not have."""
        return f"{json} {copy} {model_config}"

    tool = ToolDef.from_function(lookup)
    assert list(tool.parameters["properties"]) == ["json", "copy", "model_config"]
    assert tool.run('{"json": "a", "copy": 2}') == "a 2 1"
    with pytest.raises(ToolArgumentsError) as info:
        tool.parse_arguments('{"json": "a", "copy": 2, "arg0": "x"}')
    assert info.value.problems == ("arg0: unknown key (allowed: json, copy, model_config)",)


def test_string_annotations_are_resolved() -> None:
    # This module uses `from __future__ import annotations`: every hint is a string.
    tool = ToolDef.from_function(get_weather)
    assert tool.parameters["properties"]["days"]["type"] == "integer"


@pytest.mark.anyio
async def test_async_function(anyio_backend: str) -> None:
    async def square_root(number: float) -> str:
        """Square root."""
        return f"{number**0.5:.2f}"

    tool = ToolDef.from_function(square_root)
    assert tool.is_async
    assert await tool.arun('{"number": 132413}') == "363.89"
    with pytest.raises(ValidationError, match="async"):
        tool.run('{"number": 4}')
    # A sync tool also runs through arun (in a worker thread).
    assert await ToolDef.from_function(get_weather).arun('{"place": {"city": "X"}}') == (
        "X: sunny, 1 day(s) in celsius, None"
    )


def no_hint(x, y: int) -> str:  # type: ignore[no-untyped-def]
    """A tool."""
    return ""


def var_args(*values: int) -> str:
    """A tool."""
    return ""


def var_kwargs(**values: int) -> str:
    """A tool."""
    return ""


def positional_only(x: int, /) -> str:
    """A tool."""
    return ""


def no_doc(x: int) -> str:
    return ""


class Node(BaseModel):
    value: int
    children: list[Node] = []


def recursive(tree: Node, depth: int) -> str:
    """Walk a tree."""
    return ""


class Calculator:
    def double(self, x: int) -> int:
        """Double a number."""
        return 2 * x


def with_local_type() -> Any:
    class Local(BaseModel):
        a: int

    def uses_local(v: Local) -> str:  # the annotation is a string (future import)
        """A tool."""
        return ""

    return uses_local


@pytest.mark.parametrize(
    ("fn", "kwargs", "match"),
    [
        (no_hint, {}, r"parameter 'x' has no type hint; annotate it"),
        (Calculator.double, {}, r"'self' is .* pass the bound method \(instance.method\)"),
        (with_local_type(), {}, r"'Local' is not defined \(.*define the type at module level"),
        (var_args, {}, r"\*values cannot be described"),
        (var_kwargs, {}, r"\*values cannot be described"),
        (positional_only, {}, r"positional-only parameter 'x'"),
        (no_doc, {}, r"no docstring; add one or pass description="),
        (lambda x: x, {}, r"'<lambda>' is not a valid tool name .*pass name="),
        (get_weather, {"name": "has space"}, r"tool name 'has space' must be"),
        (get_weather, {"name": "x" * 65}, r"must be 1 to 64"),
        (recursive, {}, r"Node refers to itself"),
        (Weather, {}, r"use ToolDef.from_model"),
        (42, {}, r"from_function takes a function, got a int"),
    ],
)
def test_from_function_rejects(fn: Any, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        ToolDef.from_function(fn, **kwargs)


# --- docstrings -------------------------------------------------------------------------------


def test_docstring_styles() -> None:
    google = parse_docstring(
        """Find a book.

        Longer description.

        Args:
            title (str): The title,
                or part of it.
            year: Publication year.

        Returns:
            The book.
        """
    )
    assert google == (
        "Find a book.\n\nLonger description.",
        {"title": "The title, or part of it.", "year": "Publication year."},
    )
    sphinx = parse_docstring(
        """Find a book.

        :param title: The title.
        :param int year: Publication year.
        :returns: The book.
        """
    )
    assert sphinx == ("Find a book.", {"title": "The title.", "year": "Publication year."})
    numpy = parse_docstring(
        """Find a book.

        Parameters
        ----------
        title : str
            The title.
        year : int
            Publication year.

        Returns
        -------
        Book
        """
    )
    assert numpy == ("Find a book.", {"title": "The title.", "year": "Publication year."})
    assert parse_docstring("Just text.\nOn two lines.") == ("Just text.\nOn two lines.", {})


# --- from_model -------------------------------------------------------------------------------


def test_from_model() -> None:
    seen: list[Weather] = []

    def record(w: Weather) -> str:
        seen.append(w)
        return "ok"

    tool = ToolDef.from_model(Weather, callback=record)
    assert (tool.name, tool.description) == ("Weather", "The weather at a place.")
    assert tool.input_type is Weather
    assert tool.parameters["properties"]["place"]["additionalProperties"] is False
    assert tool.run('{"place": {"city": "Rome"}}') == "ok"
    assert seen == [Weather(place=Place(city="Rome"))]


def test_from_model_rejects() -> None:
    class NoDoc(BaseModel):
        x: int

    with pytest.raises(ValidationError, match="no docstring; add one or pass description="):
        ToolDef.from_model(NoDoc)
    assert ToolDef.from_model(NoDoc, description="d").name == "NoDoc"
    with pytest.raises(ValidationError, match="from_model takes a pydantic model class"):
        ToolDef.from_model(get_weather)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="has no callback"):
        ToolDef.from_model(Weather).run('{"place": {"city": "x"}}')


def test_from_model_is_strict_even_for_a_lenient_model() -> None:
    class Lenient(BaseModel):
        """Lenient."""

        model_config = ConfigDict(extra="ignore")
        n: int

    tool = ToolDef.from_model(Lenient)
    assert tool.parameters["additionalProperties"] is False
    with pytest.raises(ToolArgumentsError, match=r"extra: unknown key \(allowed: n\)"):
        tool.parse_arguments('{"n": 1, "extra": 2}')


# --- strict decoding of arguments -------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "field", "reason"),
    [
        ('{"place": {"city": "Paris", "zip": "75001"}}', "place.zip", "unknown key"),
        ('{"place": {"city": "Paris"}, "when": 1}', "when", "unknown key"),
        ('{"place": {"city": 75}}', "place.city", "valid string"),
        ('{"place": {"city": "P"}, "days": "2"}', "days", "valid integer"),
        ('{"place": {"city": "P"}, "days": 9}', "days", "less than or equal to 7"),
        ('{"place": {"city": "P"}, "unit": "kelvin"}', "unit", "'celsius' or 'fahrenheit'"),
        ('{"place": {"city": "P"}, "tags": ["snow"]}', "tags[0]", "'wind' or 'rain'"),
        ("{}", "place", "Field required"),
        ('{"place": ', "", "not valid JSON"),
        ("[1, 2]", "", "should be an object"),
    ],
)
def test_bad_arguments_name_the_tool_and_the_field(arguments: str, field: str, reason: str) -> None:
    tool = ToolDef.from_function(get_weather)
    call = ToolCall(id="call_1", name="get_weather", arguments="{}")
    call = call.model_copy(update={"arguments": arguments})  # the model may send anything
    with pytest.raises(ToolArgumentsError) as info:
        tool.parse_arguments(call)
    err = info.value
    assert isinstance(err, ValidationError)
    assert isinstance(err, ToolError)
    assert err.tool == "get_weather"
    assert err.call_id == "call_1"
    assert err.arguments == arguments
    assert "tool 'get_weather'" in str(err)
    assert any(p.startswith(f"{field}: " if field else "") and reason in p for p in err.problems)
    assert reason in str(err)


def test_long_arguments_are_quoted_in_part() -> None:
    tool = ToolDef.from_function(get_weather)
    arguments = json.dumps({"place": {"city": "x" * 5000}, "nope": 1})
    with pytest.raises(ToolArgumentsError) as info:
        tool.parse_arguments(arguments)
    assert len(str(info.value)) < 600
    assert info.value.arguments == arguments


def test_hand_written_schema_decodes_to_a_dict() -> None:
    schema = {
        "type": "object",
        "properties": {"number": {"type": "number"}},
        "required": ["number"],
        "additionalProperties": False,
    }
    tool = ToolDef(name="square_root", description="d", parameters=schema, callback=lambda a: a)
    assert tool.input_type is None
    assert tool.parse_arguments('{"number": 4}') == {"number": 4}
    assert tool.run('{"number": 4}') == '{"number": 4}'
    with pytest.raises(ToolArgumentsError, match="other: unknown key"):
        tool.parse_arguments('{"number": 4, "other": 1}')
    with pytest.raises(ToolArgumentsError, match="number: required key missing"):
        tool.parse_arguments("{}")
    with pytest.raises(ToolArgumentsError, match="expected a JSON object, got an array"):
        tool.parse_arguments("[]")


class Stop(BaseModel):
    city: str


def plan_trip(stops: list[Stop] | None = None, start: Stop | None = None) -> str:
    """Plan a trip."""
    return "ok"


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ('{"stops": [{"city": "Oslo", "days": 2}]}', "stops[0].days: unknown key"),
        ('{"start": {"city": "Oslo", "days": 2}}', "start.days: unknown key"),
    ],
)
def test_unknown_keys_inside_optional_parameters(arguments: str, problem: str) -> None:
    tool = ToolDef.from_function(plan_trip)
    with pytest.raises(ToolArgumentsError) as info:
        tool.parse_arguments(arguments)
    assert any(p.startswith(problem) for p in info.value.problems), info.value.problems
    assert tool.parse_arguments('{"stops": [{"city": "Oslo"}]}') == {
        "stops": [Stop(city="Oslo")],
        "start": None,
    }


def test_hand_written_schema_checks_nested_types() -> None:
    schema = {
        "type": "object",
        "properties": {"steps": {"type": "array", "items": {"type": "integer"}}},
        "additionalProperties": False,
    }
    tool = ToolDef(name="walk", description="d", parameters=schema, callback=lambda a: a)
    with pytest.raises(ToolArgumentsError, match=r"steps\[1\]: expected an integer, got a string"):
        tool.parse_arguments('{"steps": [1, "2"]}')


def test_tool_that_raises() -> None:
    def fails(x: int) -> str:
        """Always fails."""
        raise RuntimeError(f"boom {x}")

    with pytest.raises(ToolExecutionError, match=r"tool 'fails' raised RuntimeError: boom 3") as i:
        ToolDef.from_function(fails).run(ToolCall(id="c9", name="fails", arguments='{"x": 3}'))
    assert isinstance(i.value.__cause__, RuntimeError)
    assert i.value.call_id == "c9"


def test_tool_output_text() -> None:
    assert tool_output_text("363.89") == "363.89"
    assert tool_output_text(363.89) == "363.89"
    assert tool_output_text(None) == "null"
    assert tool_output_text({"a": [1, "é"]}) == '{"a": [1, "é"]}'
    assert tool_output_text(Place(city="Oslo")) == '{"city":"Oslo","country":null}'
    with pytest.raises(ValueError, match="empty"):
        tool_output_text("")
    with pytest.raises(TypeError, match="bytes"):
        tool_output_text(b"x")


def test_equality_ignores_the_input_type() -> None:
    a, b = ToolDef.from_function(get_weather), ToolDef.from_function(get_weather)
    assert a == b
    assert a.model_dump() == b.model_dump()
    assert set(a.model_dump()) == {"name", "description", "parameters"}
    assert a != ToolDef.from_function(get_weather, name="other")


# --- TextOptions takes functions and models ---------------------------------------------------


def test_text_options_coerce_functions_and_models() -> None:
    opts = TextOptions(tools=[get_weather, Weather])
    assert [t.name for t in opts.tools] == ["get_weather", "Weather"]
    assert all(isinstance(t, ToolDef) for t in opts.tools)
    assert opts.tools[0].callback is get_weather


@pytest.mark.parametrize(
    ("tools", "match"),
    [
        ([get_weather, get_weather], "duplicate tool names: get_weather"),
        ([get_weather, ToolDef.from_function(get_weather)], "duplicate tool names"),
        ([no_hint], "parameter 'x' has no type hint"),
        ([42], "a tool is a ToolDef, a typed function or a pydantic model class, got a int"),
        (["get_weather"], "got a str"),
        (get_weather, r"tools is a list: write tools=\[get_weather\]"),
        (ToolDef.from_function(get_weather, name="w"), r"write tools=\[w\]"),
    ],
)
def test_text_options_reject_bad_tools(tools: Any, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        TextOptions(tools=tools)


# --- on the wire, every client mode -----------------------------------------------------------

SQRT_ARGS = '{\n  "number": 132413\n}'


def square_root(number: float) -> str:
    """Compute the square root of a number."""
    return f"{number**0.5:.2f}"


@each_mode
@pytest.mark.parametrize(
    ("request_", "wire"),
    [
        (None, None),
        ("auto", "auto"),
        ("required", "required"),
        ("none", "none"),
        ("square_root", {"type": "function", "function": {"name": "square_root"}}),
    ],
)
async def test_tool_choice_and_parallel_on_the_wire(
    anyio_backend: str, mode: Mode, request_: str | None, wire: Any
) -> None:
    server = ChatServer(
        ChatAnswer(tool_calls=[("call_1", "square_root", SQRT_ARGS)], finish="tool_calls")
    )
    client = chat_client(mode, server)
    opts = TextOptions(tools=[square_root, get_weather], tool_call_request=request_)
    result = await mode.generate(client, [Message.user("sqrt?")], opts)
    body = server.bodies[0]
    if wire is None:
        assert "tool_choice" not in body
    else:
        assert body["tool_choice"] == wire
    assert body["parallel_tool_calls"] is True
    assert [t["function"]["name"] for t in body["tools"]] == ["square_root", "get_weather"]
    assert body["tools"][0] == {
        "type": "function",
        "function": {
            "name": "square_root",
            "description": "Compute the square root of a number.",
            "parameters": {
                "additionalProperties": False,
                "properties": {"number": {"type": "number"}},
                "required": ["number"],
                "type": "object",
            },
        },
    }
    # The call comes back with its arguments text exactly as sent.
    assert result.tool_calls == [ToolCall(id="call_1", name="square_root", arguments=SQRT_ARGS)]
    assert result.finish_reason == genai.FinishReason.TOOL_CALLS


@each_mode
@pytest.mark.parametrize("parallel", [True, False])
async def test_parallel_tool_calls_flag(anyio_backend: str, mode: Mode, parallel: bool) -> None:
    server = ChatServer(
        ChatAnswer(
            tool_calls=[
                ("a", "get_weather", '{"place": {"city": "Oslo"}}'),
                ("b", "get_weather", '{"place": {"city": "Rome"}}'),
            ],
            finish="tool_calls",
        )
    )
    opts = TextOptions(tools=[get_weather], parallel_tool_calls=parallel)
    result = await mode.generate(chat_client(mode, server), [Message.user("weather?")], opts)
    assert server.bodies[0]["parallel_tool_calls"] is parallel
    assert [c.id for c in result.tool_calls] == ["a", "b"]
    tool = opts.tools[0]
    assert [tool.parse_arguments(c)["place"].city for c in result.tool_calls] == ["Oslo", "Rome"]


@each_mode
async def test_bad_tool_setup_fails_before_any_request(anyio_backend: str, mode: Mode) -> None:
    server = ChatServer()
    client = chat_client(mode, server)
    with pytest.raises(ValidationError, match="needs tools"):
        await mode.generate(client, [Message.user("x")], TextOptions(tool_call_request="required"))
    with pytest.raises(ValidationError, match="not one of the tools"):
        TextOptions(tools=[square_root], tool_call_request="cube_root")
    with pytest.raises(ValidationError, match="has no type hint"):
        TextOptions(tools=[no_hint])
    assert server.requests == []
