"""Option objects: ranges and combinations rejected before any request, and how calls index them.

Ranges come from the documented contract (TextOptions docstring, issue 3, Baseten's API reference).
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

import genai_baseten
from genai_core.errors import GenAIError, NotSupportedError, ValidationError
from genai_core.options import GenOption, TextOptions, split_options
from genai_core.tools import ToolDef


def tool(name: str = "get_weather") -> ToolDef:
    return ToolDef(
        name=name,
        description="Current weather in a city.",
        parameters={
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    )


class Weather(BaseModel):
    city: str
    celsius: float


class PlainClass:
    city: str = ""


# --- TextOptions ranges -----------------------------------------------------------------------


def test_defaults_mean_provider_default() -> None:
    o = TextOptions()
    assert o.system_prompt is None
    assert o.max_tokens is None
    assert o.temperature is None
    assert o.top_p is None
    assert o.top_k is None
    assert o.seed is None
    assert o.stop is None
    assert o.top_logprobs is None
    assert o.reply_as_json is False
    assert o.decode_as is None
    assert o.tools == []
    assert o.tool_call_request is None
    assert o.parallel_tool_calls is None
    assert o.decode_schema() is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("temperature", -0.1),
        ("temperature", 100.5),
        ("temperature", 101),
        ("top_p", 0),
        ("top_p", 0.0),
        ("top_p", 1.01),
        ("top_p", -0.5),
        ("top_k", 0),
        ("top_k", -1),
        ("top_logprobs", 21),
        ("top_logprobs", -1),
        ("max_tokens", 0),
        ("max_tokens", -5),
        ("seed", -1),
    ],
)
def test_text_options_out_of_range(field: str, value: Any) -> None:
    with pytest.raises(ValidationError, match=field):
        TextOptions(**{field: value})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("temperature", 0),
        ("temperature", 0.7),
        ("temperature", 2),
        ("temperature", 100),
        ("top_p", 1),
        ("top_p", 0.01),
        ("top_k", 1),
        ("top_k", 40),
        ("top_logprobs", 0),
        ("top_logprobs", 20),
        ("max_tokens", 1),
        ("max_tokens", 50),
        ("seed", 0),
        ("seed", 1),
    ],
)
def test_text_options_in_range(field: str, value: Any) -> None:
    assert getattr(TextOptions(**{field: value}), field) == value


@pytest.mark.parametrize("stop", [[""], ["END", ""]])
def test_stop_with_empty_string_rejected(stop: list[str]) -> None:
    with pytest.raises(ValidationError, match="stop"):
        TextOptions(stop=stop)


def test_stop_ok() -> None:
    assert TextOptions(stop=["\n\n", "END"]).stop == ["\n\n", "END"]


def test_stop_must_be_a_list() -> None:
    with pytest.raises(ValidationError, match="stop"):
        TextOptions(stop="END")  # type: ignore[arg-type]


def test_text_options_strict_and_closed() -> None:
    with pytest.raises(ValidationError, match="temperature"):
        TextOptions(temperature="0.5")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="max_token"):
        TextOptions(max_token=5)  # type: ignore[call-arg]


def test_text_options_frozen() -> None:
    o = TextOptions(max_tokens=5)
    with pytest.raises(ValueError):
        o.max_tokens = 6
    assert o.max_tokens == 5


# --- JSON replies -----------------------------------------------------------------------------


def test_reply_as_json_and_decode_as_exclude_each_other() -> None:
    with pytest.raises(ValidationError) as info:
        TextOptions(reply_as_json=True, decode_as=Weather)
    assert "reply_as_json" in str(info.value)
    assert "decode_as" in str(info.value)
    with pytest.raises(ValidationError):
        TextOptions(reply_as_json=True, decode_as={"type": "object"})


def test_reply_as_json_alone() -> None:
    assert TextOptions(reply_as_json=True).reply_as_json is True


@pytest.mark.parametrize("bad", [PlainClass(), Weather(city="Paris", celsius=20.0), "Weather", 3])
def test_decode_as_rejects_non_schema_values(bad: object) -> None:
    with pytest.raises(ValidationError) as info:
        TextOptions(decode_as=bad)  # type: ignore[arg-type]
    msg = str(info.value)
    assert "decode_as" in msg
    assert "pydantic model class" in msg
    assert "dict" in msg


def test_decode_as_rejects_a_plain_class() -> None:
    with pytest.raises(ValidationError) as info:
        TextOptions(decode_as=PlainClass)  # type: ignore[arg-type]
    assert "pydantic model class" in str(info.value)


def test_decode_as_plain_class_message_names_the_class() -> None:
    with pytest.raises(ValidationError, match="PlainClass"):
        TextOptions(decode_as=PlainClass)  # type: ignore[arg-type]


def test_decode_schema_from_pydantic_model() -> None:
    schema = TextOptions(decode_as=Weather).decode_schema()
    assert schema is not None
    assert schema["type"] == "object"
    assert set(schema["properties"]) == {"city", "celsius"}
    assert schema["properties"]["city"]["type"] == "string"
    assert schema["properties"]["celsius"]["type"] == "number"
    assert sorted(schema["required"]) == ["celsius", "city"]


def test_decode_schema_from_dict() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {"answer": {"type": "integer"}},
        "required": ["answer"],
        "additionalProperties": False,
    }
    assert TextOptions(decode_as=schema).decode_schema() == schema


# --- tools ------------------------------------------------------------------------------------


def test_duplicate_tool_names_rejected() -> None:
    with pytest.raises(ValidationError, match="get_weather"):
        TextOptions(tools=[tool(), tool("other"), tool()])


def test_distinct_tools_ok() -> None:
    o = TextOptions(tools=[tool("a"), tool("b")], tool_call_request="b", parallel_tool_calls=False)
    assert [t.name for t in o.tools] == ["a", "b"]
    assert o.tool_call_request == "b"


def test_tool_call_request_required_without_tools() -> None:
    with pytest.raises(ValidationError, match="tools"):
        TextOptions(tool_call_request="required")


@pytest.mark.parametrize("req", ["auto", "none"])
def test_tool_call_request_auto_none_without_tools_ok(req: str) -> None:
    assert TextOptions(tool_call_request=req).tool_call_request == req


@pytest.mark.parametrize("req", ["auto", "required", "none", "get_weather"])
def test_tool_call_request_with_tools_ok(req: str) -> None:
    assert TextOptions(tools=[tool()], tool_call_request=req).tool_call_request == req


def test_tool_call_request_named_tool_must_exist() -> None:
    with pytest.raises(ValidationError, match="get_time"):
        TextOptions(tools=[tool()], tool_call_request="get_time")
    with pytest.raises(ValidationError):
        TextOptions(tool_call_request="get_time")


@pytest.mark.parametrize("value", [True, False])
def test_parallel_tool_calls_without_tools(value: bool) -> None:
    with pytest.raises(ValidationError, match="parallel_tool_calls"):
        TextOptions(parallel_tool_calls=value)


# --- ToolDef ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "get weather",
        "a" * 65,
        "",
        "get.weather",
        "wetter_für",
        "a/b",
        pytest.param(
            "tool\n",
        ),
    ],
)
def test_tool_name_rejected(name: str) -> None:
    with pytest.raises(ValidationError) as info:
        ToolDef(name=name, description="d")
    msg = str(info.value)
    assert "name" in msg
    assert "64" in msg  # says how long a name may be
    assert "letters" in msg  # and which characters it may use


@pytest.mark.parametrize("name", ["a", "a" * 64, "get_weather", "get-weather", "Tool2", "_x"])
def test_tool_name_ok(name: str) -> None:
    assert ToolDef(name=name, description="d").name == name


@pytest.mark.parametrize("description", ["", "   ", "\n"])
def test_tool_empty_description_rejected(description: str) -> None:
    with pytest.raises(ValidationError, match="description"):
        ToolDef(name="f", description=description)


@pytest.mark.parametrize("schema", [{"type": "array"}, {"type": "string"}, {"type": "null"}])
def test_tool_non_object_parameters_rejected(schema: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="parameters"):
        ToolDef(name="f", description="d", parameters=schema)


def test_tool_parameters_kept_as_given() -> None:
    schema = {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}
    assert ToolDef(name="sqrt", description="d", parameters=schema).parameters == schema


def test_tool_default_parameters_is_empty_object_schema() -> None:
    t = ToolDef(name="now", description="The current time.")
    assert t.parameters == {"type": "object", "properties": {}, "additionalProperties": False}
    assert t.callback is None
    # A fresh dict per tool.
    t.parameters["properties"] = {"x": {}}
    assert ToolDef(name="now", description="d").parameters == {
        "type": "object",
        "properties": {},
        "additionalProperties": False,
    }


def test_tool_callback() -> None:
    def now() -> str:
        return "noon"

    t = ToolDef(name="now", description="The current time.", callback=now)
    assert t.callback is now
    assert "noon" not in repr(t)


# --- genai_baseten.Options --------------------------------------------------------------------


def test_baseten_options_is_a_gen_option() -> None:
    assert issubclass(genai_baseten.Options, GenOption)
    assert isinstance(genai_baseten.Options(), GenOption)
    assert not issubclass(genai_baseten.Options, TextOptions)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("top_k", -2),
        ("min_p", -0.1),
        ("min_p", 1.5),
        ("top_p_min", -0.1),
        ("top_p_min", 1.1),
        ("repetition_penalty", 0),
        ("repetition_penalty", -1.0),
        ("presence_penalty", 2.5),
        ("presence_penalty", -2.5),
        ("frequency_penalty", 2.1),
        ("frequency_penalty", -2.1),
        ("reasoning_effort", "max"),
    ],
)
def test_baseten_options_out_of_range(field: str, value: Any) -> None:
    with pytest.raises(ValidationError, match=field):
        genai_baseten.Options(**{field: value})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("top_k", -1),
        ("top_k", 20),
        ("min_p", 0),
        ("min_p", 1),
        ("top_p_min", 0.5),
        ("repetition_penalty", 1.1),
        ("presence_penalty", -2),
        ("presence_penalty", 2),
        ("frequency_penalty", 0.5),
        ("thinking", False),
        ("reasoning_effort", "high"),
        ("chat_template_args", {"enable_thinking": True}),
        ("extra_body", {"foo": 1}),
    ],
)
def test_baseten_options_in_range(field: str, value: Any) -> None:
    assert getattr(genai_baseten.Options(**{field: value}), field) == value


def test_baseten_options_strict_and_closed() -> None:
    with pytest.raises(ValidationError, match="top_k"):
        genai_baseten.Options(top_k="20")
    with pytest.raises(ValidationError):
        genai_baseten.Options(temperature=0.5)


# --- split_options ----------------------------------------------------------------------------

ACCEPTED: tuple[type[GenOption], ...] = (TextOptions, genai_baseten.Options)


def test_split_options_indexes_by_class() -> None:
    t = TextOptions(max_tokens=5)
    b = genai_baseten.Options(top_k=20)
    out = split_options([b, t], ACCEPTED, "baseten")
    assert out == {TextOptions: t, genai_baseten.Options: b}
    assert out[TextOptions] is t
    assert split_options([], ACCEPTED, "baseten") == {}


def test_split_options_skips_none() -> None:
    t = TextOptions()
    assert split_options([None, t, None], ACCEPTED, "baseten") == {TextOptions: t}


def test_split_options_rejects_duplicates() -> None:
    with pytest.raises(ValidationError, match="TextOptions"):
        split_options([TextOptions(seed=1), TextOptions(seed=2)], ACCEPTED, "baseten")
    with pytest.raises(ValidationError, match="Options"):
        split_options([genai_baseten.Options(), genai_baseten.Options()], ACCEPTED, "baseten")


@pytest.mark.parametrize(
    "foreign", ["max_tokens=5", {"max_tokens": 5}, 5, TextOptions, Weather(city="x", celsius=1)]
)
def test_split_options_rejects_non_option_objects(foreign: object) -> None:
    with pytest.raises(ValidationError) as info:
        split_options([TextOptions(), foreign], ACCEPTED, "baseten")
    assert isinstance(info.value, GenAIError)


def test_split_options_rejects_option_of_another_provider() -> None:
    class OtherOptions(GenOption):
        depth: int = 1

    with pytest.raises(NotSupportedError) as info:
        split_options([TextOptions(), OtherOptions()], ACCEPTED, "baseten")
    assert "baseten" in str(info.value)
    assert "OtherOptions" in str(info.value)
    assert "OtherOptions" in info.value.options

    with pytest.raises(NotSupportedError):
        split_options([genai_baseten.Options()], (TextOptions,), "other")


def test_typed_constructor_stub_matches_the_fields() -> None:
    # TextOptions declares its constructor for type checkers only (so `tools=` takes functions);
    # it must list every field, with the field's default.
    import ast
    import inspect

    import genai_core.options as module

    tree = ast.parse(inspect.getsource(module))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "TextOptions")
    init = next(n for n in ast.walk(cls) if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    names = [a.arg for a in init.args.kwonlyargs]
    assert names == list(TextOptions.model_fields)
    defaults = [ast.literal_eval(d) for d in init.args.kw_defaults if d is not None]
    expected = [f.get_default(call_default_factory=True) for f in TextOptions.model_fields.values()]
    assert [list(d) if isinstance(d, tuple) else d for d in defaults] == expected


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


class Lookup(BaseModel):
    """Look a word up."""

    word: str


def test_tools_take_functions_and_models_for_type_checkers_too() -> None:
    # mypy runs on this file: a list mixing a function, a model class and a ToolDef type-checks.
    opts = TextOptions(tools=[add, Lookup, ToolDef.from_function(add, name="plus")])
    assert [t.name for t in opts.tools] == ["add", "Lookup", "plus"]


@pytest.mark.parametrize("target", [list[Weather], int, dict[str, int]])
def test_decode_as_a_type_that_is_not_a_model_says_to_wrap_it(target: Any) -> None:
    with pytest.raises(ValidationError, match=r"wrap it in a model \(class Answer\(BaseModel\)"):
        TextOptions(decode_as=target)
