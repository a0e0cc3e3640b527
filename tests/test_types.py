"""The data model: construction rules, derived properties, and the trusted (unvalidated) path.

Expected values come from the contract (DESIGN.md, issue 3 item 2) and common MIME conventions,
not from the code's output.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from genai_core.errors import GenAIError, ValidationError
from genai_core.types import (
    Citation,
    CitationSource,
    Doc,
    FinishReason,
    Logprob,
    Message,
    Model,
    RateLimit,
    Reply,
    Request,
    Result,
    ToolCall,
    ToolCallResult,
    Usage,
    trusted,
)

PNG_URL = "https://example.com/cat.png"


def png_doc() -> Doc:
    return Doc(filename="cat.png", data=b"\x89PNG fake")


# --- Message constructors -------------------------------------------------------------------


def test_user_from_text_doc_and_request() -> None:
    doc = png_doc()
    req = Request(text="third")
    m = Message.user("first", doc, req)
    assert m.role == "user"
    assert m.requests == [Request(text="first"), Request(doc=doc), req]
    assert m.replies == []
    assert m.tool_call_results == []
    assert m.text == "firstthird"


def test_assistant_from_text_tool_call_and_reply() -> None:
    call = ToolCall(id="call_1", name="sqrt", arguments='{"x": 2}')
    m = Message.assistant(Reply(reasoning="think"), "Hello", call)
    assert m.role == "assistant"
    assert m.replies == [Reply(reasoning="think"), Reply(text="Hello"), Reply(tool_call=call)]
    assert m.requests == []


def test_tool_results_constructor() -> None:
    r1 = ToolCallResult(id="call_1", result="1.414")
    r2 = ToolCallResult(name="sqrt", result="2")
    m = Message.tool_results(r1, r2)
    assert m.role == "tool"
    assert m.tool_call_results == [r1, r2]


@pytest.mark.parametrize(
    ("part", "type_name"), [(42, "int"), (b"raw", "bytes"), (None, "NoneType"), (3.5, "float")]
)
def test_user_rejects_wrong_part_type(part: object, type_name: str) -> None:
    with pytest.raises(ValidationError, match=rf"\b{type_name}\b"):
        Message.user(part)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("part", "type_name"),
    [(42, "int"), (Doc(url=PNG_URL), "Doc"), (Request(text="x"), "Request")],
)
def test_assistant_rejects_wrong_part_type(part: object, type_name: str) -> None:
    with pytest.raises(ValidationError, match=rf"\b{type_name}\b"):
        Message.assistant(part)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("part", "type_name"), [("x", "str"), (ToolCall(id="c1", name="f"), "ToolCall")]
)
def test_tool_results_rejects_wrong_part_type_naming_it(part: object, type_name: str) -> None:
    with pytest.raises(ValidationError, match=rf"\b{type_name}\b"):
        Message.tool_results(part)  # type: ignore[arg-type]


def test_tool_results_rejects_wrong_part_type() -> None:
    with pytest.raises(ValidationError, match="ToolCallResult"):
        Message.tool_results("x")  # type: ignore[arg-type]


# --- Message: exactly one of requests / replies / tool_call_results ----------------------------


@pytest.mark.parametrize(
    "build", [Message, Message.user, Message.assistant, Message.tool_results], ids=repr
)
def test_empty_message_rejected(build: Any) -> None:
    with pytest.raises(ValidationError, match="empty"):
        build()


@pytest.mark.parametrize(
    ("fields", "names"),
    [
        ({"requests": [Request(text="a")], "replies": [Reply(text="b")]}, ("requests", "replies")),
        (
            {
                "requests": [Request(text="a")],
                "tool_call_results": [ToolCallResult(id="1", result="r")],
            },
            ("requests", "tool_call_results"),
        ),
        (
            {
                "replies": [Reply(text="b")],
                "tool_call_results": [ToolCallResult(id="1", result="r")],
            },
            ("replies", "tool_call_results"),
        ),
    ],
)
def test_mixed_message_rejected(fields: dict[str, Any], names: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as info:
        Message(**fields)
    for name in names:
        assert name in str(info.value)


def test_message_rejects_unknown_field() -> None:
    with pytest.raises(ValidationError, match="text"):
        Message(text="hi")


def test_message_strict_list_items() -> None:
    with pytest.raises(ValidationError, match="requests"):
        Message(requests=["hi"])


# --- Message properties -----------------------------------------------------------------------


def test_text_reasoning_tool_calls_properties() -> None:
    c1 = ToolCall(id="c1", name="f", arguments='{"a": 1}')
    c2 = ToolCall(id="c2", name="g", arguments="")
    m = Message.assistant(
        Reply(reasoning="think "),
        "Hello",
        c1,
        Reply(reasoning="more"),
        " world",
        Reply(citation=Citation(cited_text="x", sources=[CitationSource(url=PNG_URL)])),
        c2,
        Reply(opaque={"signature": "abc"}),
    )
    assert m.text == "Hello world"
    assert m.reasoning == "think more"
    assert m.tool_calls == [c1, c2]


def test_properties_of_a_user_message() -> None:
    m = Message.user("a", png_doc(), "b")
    assert m.text == "ab"
    assert m.reasoning == ""
    assert m.tool_calls == []


def test_properties_of_a_tool_message() -> None:
    m = Message.tool_results(ToolCallResult(id="1", result="r"))
    assert m.text == ""
    assert m.reasoning == ""
    assert m.tool_calls == []


# --- Request ----------------------------------------------------------------------------------


def test_request_text_or_doc() -> None:
    assert Request(text="hi").doc is None
    assert Request(doc=png_doc()).text == ""


def test_request_both_rejected() -> None:
    with pytest.raises(ValidationError, match="not both"):
        Request(text="hi", doc=png_doc())


def test_request_neither_rejected() -> None:
    with pytest.raises(ValidationError, match="empty"):
        Request()


# --- Reply ------------------------------------------------------------------------------------

_CONTENT: dict[str, Any] = {
    "text": "hello",
    "reasoning": "because",
    "tool_call": ToolCall(id="c1", name="f"),
    "doc": Doc(url=PNG_URL),
    "citation": Citation(cited_text="x", sources=[CitationSource(id="s1")]),
}


@pytest.mark.parametrize("kind", list(_CONTENT))
def test_reply_single_kind(kind: str) -> None:
    r = Reply(**{kind: _CONTENT[kind]})
    assert r.kind == kind


@pytest.mark.parametrize("kind", list(_CONTENT))
def test_reply_single_kind_with_opaque(kind: str) -> None:
    r = Reply(**{kind: _CONTENT[kind]}, opaque={"id": "x"})
    assert r.kind == kind
    assert r.opaque == {"id": "x"}


@pytest.mark.parametrize(
    ("a", "b"),
    [(a, b) for i, a in enumerate(_CONTENT) for b in list(_CONTENT)[i + 1 :]],
)
def test_reply_two_kinds_rejected(a: str, b: str) -> None:
    with pytest.raises(ValidationError) as info:
        Reply(**{a: _CONTENT[a], b: _CONTENT[b]})
    assert a in str(info.value)
    assert b in str(info.value)


def test_reply_text_and_reasoning_rejected() -> None:
    with pytest.raises(ValidationError):
        Reply(text="a", reasoning="b")


def test_reply_empty_rejected() -> None:
    with pytest.raises(ValidationError, match="empty"):
        Reply()


def test_reply_opaque_alone() -> None:
    r = Reply(opaque={"encrypted": "xyz"})
    assert r.kind == "opaque"


# --- ToolCall / ToolCallResult ----------------------------------------------------------------


def test_tool_call_id_or_name() -> None:
    assert ToolCall(id="c1").name == ""
    assert ToolCall(name="f").id == ""
    with pytest.raises(ValidationError, match="id or a name"):
        ToolCall(arguments="{}")


@pytest.mark.parametrize("args", ["", "   ", "{}", '{"x": 2}', "[1, 2]", '  {"a" :  "b"}  '])
def test_tool_call_arguments_json_or_empty(args: str) -> None:
    assert ToolCall(id="c1", arguments=args).arguments == args  # kept byte for byte


@pytest.mark.parametrize("args", ["{", "{'x': 2}", "x=2", '{"a": 1}}'])
def test_tool_call_arguments_not_json_rejected(args: str) -> None:
    with pytest.raises(ValidationError, match="JSON"):
        ToolCall(id="c1", arguments=args)


def test_tool_call_arguments_must_be_text() -> None:
    with pytest.raises(ValidationError, match="arguments"):
        ToolCall(id="c1", arguments={"x": 2})


def test_decode_arguments() -> None:
    assert ToolCall(id="c1", arguments='{"x": 2, "y": [1]}').decode_arguments() == {
        "x": 2,
        "y": [1],
    }
    assert ToolCall(id="c1").decode_arguments() == {}
    assert ToolCall(id="c1", arguments="  ").decode_arguments() == {}


def test_tool_call_result_rules() -> None:
    assert ToolCallResult(id="c1", result="ok").name == ""
    assert ToolCallResult(name="f", result="ok").id == ""
    with pytest.raises(ValidationError, match="id or name"):
        ToolCallResult(result="ok")
    with pytest.raises(ValidationError, match="empty"):
        ToolCallResult(id="c1", result="")
    with pytest.raises(ValidationError, match="result"):
        ToolCallResult(id="c1")  # type: ignore[call-arg]


# --- Doc --------------------------------------------------------------------------------------


def test_doc_data_xor_url() -> None:
    with pytest.raises(ValidationError, match="not both"):
        Doc(filename="a.png", data=b"x", url=PNG_URL)
    with pytest.raises(ValidationError):
        Doc(filename="a.png")
    with pytest.raises(ValidationError):
        Doc()


def test_doc_empty_data_rejected() -> None:
    with pytest.raises(ValidationError, match="empty"):
        Doc(filename="a.png", data=b"")


@pytest.mark.parametrize("name", ["dir/a.png", "/abs/a.png", "..\\a.png", "C:\\x\\a.png"])
def test_doc_filename_with_directory_rejected(name: str) -> None:
    with pytest.raises(ValidationError, match="filename"):
        Doc(filename=name, data=b"x")


@pytest.mark.parametrize("name", [None, "README", "blob.unknownext123"])
def test_doc_unknown_type_rejected_with_hint(name: str | None) -> None:
    with pytest.raises(ValidationError) as info:
        Doc(filename=name, data=b"x")
    msg = str(info.value)
    assert "filename" in msg
    assert "extension" in msg


def test_doc_unknown_extension_ok_with_mime_type() -> None:
    d = Doc(filename="blob.unknownext123", data=b"x", mime_type="application/x-thing")
    assert d.mime() == "application/x-thing"


@pytest.mark.parametrize(
    ("filename", "mime"),
    [
        ("photo.jpg", "image/jpeg"),
        ("PHOTO.JPG", "image/jpeg"),
        ("photo.jpeg", "image/jpeg"),
        ("cat.png", "image/png"),
        ("notes.md", "text/markdown"),
        ("notes.txt", "text/plain"),
        ("paper.pdf", "application/pdf"),
        ("archive.tar.pdf", "application/pdf"),
    ],
)
def test_doc_mime_from_filename(filename: str, mime: str) -> None:
    assert Doc(filename=filename, data=b"x").mime() == mime
    assert Doc.from_bytes(b"x", filename).mime() == mime


@pytest.mark.parametrize(
    ("url", "mime"),
    [
        ("https://example.com/files/photo.jpg", "image/jpeg"),
        ("https://example.com/paper.pdf?download=1&name=x.png", "application/pdf"),
        ("https://example.com/notes.md#section.txt", "text/markdown"),
        ("http://example.com/a/b/notes.txt", "text/plain"),
        ("data:image/png;base64,iVBORw0KGgo=", "image/png"),
        ("data:text/plain,hello", "text/plain"),
        ("data:application/pdf;base64,JVBERi0=", "application/pdf"),
    ],
)
def test_doc_mime_from_url(url: str, mime: str) -> None:
    assert Doc(url=url).mime() == mime
    assert Doc.from_url(url).mime() == mime


def test_doc_explicit_mime_type_overrides() -> None:
    assert Doc(filename="a.jpg", data=b"x", mime_type="image/png").mime() == "image/png"
    assert Doc.from_url("https://example.com/a.jpg", mime_type="image/webp").mime() == "image/webp"
    assert Doc.from_bytes(b"x", "a.txt", mime_type="text/csv").mime() == "text/csv"


def test_doc_data_must_be_bytes() -> None:
    with pytest.raises(ValidationError, match="data"):
        Doc(filename="a.txt", data="text")


def test_doc_repr_never_contains_the_bytes() -> None:
    data = b"\x00SECRETBYTES" * 100_000  # ~1.2 MB
    d = Doc(filename="big.pdf", data=data)
    r = repr(d)
    assert len(r) < 200
    assert "SECRETBYTES" not in r
    assert "big.pdf" in r
    # Nested in the containers too.
    assert len(repr(Request(doc=d))) < 300
    assert len(repr(Message.user(d))) < 400
    assert len(repr(Reply(doc=d))) < 400


def test_doc_repr_of_a_data_url_is_short() -> None:
    d = Doc(url="data:image/png;base64," + "A" * 1_000_000)
    assert len(repr(d)) < 200


def test_doc_str_never_contains_the_bytes() -> None:
    d = Doc(filename="big.pdf", data=b"\x00" * 1_000_000)
    assert len(str(d)) < 200
    assert len(f"{d}") < 200


def test_doc_from_path(tmp_path: Path) -> None:
    p = tmp_path / "cat.png"
    p.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    d = Doc.from_path(p)
    assert d.filename == "cat.png"
    assert d.data == b"\x89PNG\r\n\x1a\nfake"
    assert d.url is None
    assert d.mime() == "image/png"
    assert Doc.from_path(str(p)) == d


def test_doc_from_path_unknown_extension(tmp_path: Path) -> None:
    p = tmp_path / "blob.unknownext123"
    p.write_bytes(b"x")
    with pytest.raises(ValidationError, match="extension"):
        Doc.from_path(p)
    assert Doc.from_path(p, mime_type="text/plain").mime() == "text/plain"


def test_doc_from_path_empty_file_rejected(tmp_path: Path) -> None:
    p = tmp_path / "empty.txt"
    p.write_bytes(b"")
    with pytest.raises(ValidationError, match="empty"):
        Doc.from_path(p)


# --- Citation ---------------------------------------------------------------------------------


def test_citation_indices() -> None:
    c = Citation(cited_text="abc", start_index=3, end_index=6)
    assert (c.start_index, c.end_index) == (3, 6)
    assert Citation(cited_text="abc").end_index == 0
    with pytest.raises(ValidationError, match="start_index"):
        Citation(start_index=-1)
    with pytest.raises(ValidationError, match="end_index"):
        Citation(start_index=5, end_index=5)
    with pytest.raises(ValidationError, match="end_index"):
        Citation(start_index=5, end_index=2)


def test_citation_source_needs_id_or_url() -> None:
    assert CitationSource(id="doc-1").type == "document"
    assert CitationSource(type="web", url="https://example.com").url
    assert CitationSource(type="web_query", title="weather").id == ""
    with pytest.raises(ValidationError):
        CitationSource(type="web")


# --- Result -----------------------------------------------------------------------------------


def test_result_is_an_assistant_message() -> None:
    res = Result(
        replies=[Reply(text="Hi")],
        usage=Usage(input_tokens=3, output_tokens=1, finish_reason=FinishReason.STOP),
    )
    assert isinstance(res, Message)
    assert res.role == "assistant"
    conversation: list[Message] = [Message.user("Say hi"), res, Message.user("Again")]
    assert [m.role for m in conversation] == ["user", "assistant", "user"]
    assert res.text == "Hi"
    assert res.finish_reason == "stop"


def test_result_allows_empty_replies() -> None:
    res = Result()
    assert res.replies == []
    assert res.role == "assistant"
    assert res.text == ""
    assert res.usage == Usage()
    assert res.finish_reason is None


def test_result_rejects_requests_and_tool_results() -> None:
    with pytest.raises(ValidationError):
        Result(requests=[Request(text="x")])
    with pytest.raises(ValidationError):
        Result(tool_call_results=[ToolCallResult(id="1", result="r")])


# --- strictness and immutability --------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "values"),
    [
        (Usage, {"input_tokens": "3"}),
        (Usage, {"output_tokens": 1.0}),
        (Logprob, {"text": "a", "logprob": "-0.5"}),
        (Request, {"text": b"bytes"}),
        (Model, {"id": 5}),
        (RateLimit, {"kind": "requests", "limit": "10", "remaining": 1}),
        (Usage, {"bogus": 1}),
    ],
)
def test_strict_validation(cls: Any, values: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as info:
        cls(**values)
    assert isinstance(info.value, GenAIError)
    assert isinstance(info.value, ValueError)


def test_validation_error_names_the_field() -> None:
    with pytest.raises(ValidationError, match="input_tokens"):
        Usage(input_tokens="3")


@pytest.mark.parametrize(
    ("obj", "field", "value"),
    [
        (Message.user("hi"), "requests", []),
        (Usage(input_tokens=1), "input_tokens", 2),
        (ToolCall(id="c1"), "arguments", "{}"),
        (Doc(url=PNG_URL), "url", "https://example.com/dog.png"),
        (Result(), "id", "x"),
    ],
)
def test_frozen(obj: Any, field: str, value: object) -> None:
    before = getattr(obj, field)
    with pytest.raises(ValueError):
        setattr(obj, field, value)
    assert getattr(obj, field) == before


# --- FinishReason -----------------------------------------------------------------------------


def test_finish_reason_known_members() -> None:
    assert {m.value for m in FinishReason} == {
        "stop",
        "length",
        "tool_calls",
        "content_filter",
        "pending",
    }
    assert FinishReason("stop") is FinishReason.STOP
    assert FinishReason("tool_calls") is FinishReason.TOOL_CALLS
    for m in FinishReason:
        assert m.is_known
        assert m == m.value
        assert str(m) == m.value


def test_finish_reason_unknown_kept_verbatim() -> None:
    fr = FinishReason("eos_token")
    assert fr.value == "eos_token"
    assert str(fr) == "eos_token"
    assert fr == "eos_token"
    assert fr == FinishReason("eos_token")
    assert fr != "stop"
    assert not fr.is_known
    assert isinstance(fr, str)
    assert f"{fr}" == "eos_token"
    # Unknown values do not become members.
    assert "eos_token" not in {m.value for m in FinishReason}


@pytest.mark.parametrize(
    ("member", "value"),
    [
        (FinishReason.STOP, "stop"),
        (FinishReason.LENGTH, "length"),
        (FinishReason.TOOL_CALLS, "tool_calls"),
        (FinishReason.CONTENT_FILTER, "content_filter"),
        (FinishReason.PENDING, "pending"),
    ],
)
def test_finish_reason_equality_with_str(member: FinishReason, value: str) -> None:
    assert member == value
    assert value == member
    assert str(member) == value
    assert FinishReason(value) is member
    assert member != "other"
    assert hash(member) == hash(value)


def test_usage_finish_reason_accepts_a_member() -> None:
    u = Usage(finish_reason=FinishReason.LENGTH)
    assert u.finish_reason is FinishReason.LENGTH


# --- Usage ------------------------------------------------------------------------------------


def test_usage_add() -> None:
    a = Usage(
        input_tokens=1,
        input_cached_tokens=2,
        reasoning_tokens=3,
        output_tokens=4,
        total_tokens=5,
        finish_reason=FinishReason.TOOL_CALLS,
    )
    b = Usage(
        input_tokens=10,
        input_cached_tokens=20,
        reasoning_tokens=30,
        output_tokens=40,
        total_tokens=50,
        finish_reason=FinishReason.STOP,
    )
    s = a + b
    assert (
        s.input_tokens,
        s.input_cached_tokens,
        s.reasoning_tokens,
        s.output_tokens,
        s.total_tokens,
    ) == (11, 22, 33, 44, 55)
    assert s.finish_reason is FinishReason.STOP
    assert (b + a).finish_reason is FinishReason.TOOL_CALLS
    # Operands unchanged.
    assert a.input_tokens == 1
    assert b.input_tokens == 10


def test_usage_defaults_are_zero() -> None:
    u = Usage()
    assert (
        u.input_tokens,
        u.input_cached_tokens,
        u.reasoning_tokens,
        u.output_tokens,
        u.total_tokens,
    ) == (0, 0, 0, 0, 0)
    assert u.finish_reason is None
    assert u.limits == []


# --- trusted ----------------------------------------------------------------------------------


def test_trusted_equals_validated() -> None:
    usage_values: dict[str, Any] = {
        "input_tokens": 12,
        "output_tokens": 7,
        "total_tokens": 19,
        "finish_reason": FinishReason.STOP,
    }
    assert trusted(Usage, **usage_values) == Usage(**usage_values)

    call_values: dict[str, Any] = {"id": "call_1", "name": "sqrt", "arguments": '{"x": 2}'}
    assert trusted(ToolCall, **call_values) == ToolCall(**call_values)

    result_values: dict[str, Any] = {
        "replies": [Reply(reasoning="r"), Reply(text="t")],
        "usage": Usage(**usage_values),
        "logprobs": [[Logprob(text="t", logprob=-0.1)]],
        "id": "chatcmpl-1",
        "model": "openai/gpt-oss-120b",
        "request_id": "req-1",
        "raw_finish_reason": "stop",
    }
    t = trusted(Result, **result_values)
    v = Result(**result_values)
    assert t == v
    assert t.text == "t"
    assert t.reasoning == "r"
    assert t.finish_reason is FinishReason.STOP


def test_trusted_fills_defaults() -> None:
    assert trusted(Usage) == Usage()
    assert trusted(Result) == Result()
    assert trusted(Reply, text="x") == Reply(text="x")
    assert trusted(Model, id="m") == Model(id="m")


def test_trusted_default_lists_are_fresh() -> None:
    r1 = trusted(Result)
    r2 = trusted(Result)
    r1.replies.append(Reply(text="mine"))
    r1.logprobs.append([])
    assert r2.replies == []
    assert r2.logprobs == []
    assert trusted(Result).replies == []
    assert Result().replies == []

    u1 = trusted(Usage)
    u2 = trusted(Usage)
    u1.limits.append(RateLimit(kind="requests", limit=10, remaining=9))
    assert u2.limits == []

    c1 = trusted(ToolCall, id="a")
    c2 = trusted(ToolCall, id="b")
    c1.opaque["k"] = "v"
    assert c2.opaque == {}


# --- Model ------------------------------------------------------------------------------------


def test_model_supports() -> None:
    m = Model(id="deepseek-ai/DeepSeek-V3.1", supported_features=["tools", "json_mode"])
    assert m.supports("tools")
    assert m.supports("json_mode")
    assert not m.supports("vision")
    assert not Model(id="x").supports("tools")


def test_model_str() -> None:
    assert str(Model(id="openai/gpt-oss-120b")) == "openai/gpt-oss-120b"
    s = str(Model(id="openai/gpt-oss-120b", context_length=131072))
    assert s.startswith("openai/gpt-oss-120b")
    assert "131072" in s
    assert re.fullmatch(r"[^\n]+", s)  # one line
