"""Readable cassettes: JSON answers are stored indented, and replay still serves their bytes."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genai_core.httprecord import Cassette, CassetteError, ReplayTransport
from genai_core.httprecord.cassette import (
    Interaction,
    RecordedRequest,
    RecordedResponse,
    readable_json,
    restore_json,
)

pytest.importorskip("yaml")

URL = "https://api.example.test/v1/thing"
TESTDATA = Path(__file__).resolve().parent.parent / "testdata"

# Bodies whose exact spelling re-serialising parsed JSON would lose.
UNUSUAL = [
    '{"id":"x","n":1}',  # compact (what most servers send)
    '{"data": [{"id": "m", "price": "0.0000001"}]}',  # Python's spacing (Baseten's model list)
    '{"name":"caf\\u00e9","emoji":"\\ud83d\\ude00"}',  # escaped unicode stays escaped
    '{"z":1,"a":2,"m":3}',  # key order
    '{"f":1.0,"e":1e5,"E":2.5E-3,"neg":-0.0}',  # float spellings
    '{"big":123456789012345678901234567890123}',  # beyond 64 bits
    '{"dup":1,"dup":2}',  # duplicate keys
    '{"a":  1,\t"b" :2}',  # irregular whitespace: stored as it came
    '{\n\t"error": {\n\t\t"code": 400\n\t}\n}\n',  # tab-indented, trailing newline
    '{"error":"please check the api-key you provided"}\n',  # compact, trailing newline
    '{"s":"a \\"quoted\\" {brace} [bracket], colon: here","t":"\\\\"}',
    '[1,[],{},[{}],"x"]',
    "{}",
    '{"text":"naïve — ünïcode as UTF-8"}',
]


def _cassette(body: str, content_type: str = "application/json") -> Cassette:
    return Cassette(
        [
            Interaction(
                RecordedRequest("GET", URL),
                RecordedResponse(200, {"Content-Type": [content_type]}, body.encode("utf-8")),
            )
        ],
        metadata={"authored": True},
    )


def _stored_body(yaml_text: str) -> dict[str, object]:
    import yaml

    data = yaml.safe_load(yaml_text)
    body: dict[str, object] = data["interactions"][0]["response"]["body"]
    return body


@pytest.mark.parametrize("body", UNUSUAL)
def test_replay_serves_the_recorded_bytes_exactly(body: str, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    _cassette(body).save(path)
    http = httpx.Client(transport=ReplayTransport(Cassette.load(path)))
    assert http.get(URL).content == body.encode("utf-8")


def test_a_compact_answer_is_stored_on_several_lines(tmp_path: Path) -> None:
    body = '{"id":"chatcmpl-1","choices":[{"message":{"content":"Hi"}}],"usage":{"total":3}}'
    text = _cassette(body).dumps(yaml_format=True)
    stored = _stored_body(text)
    assert stored["json_layout"] == "compact"
    lines = str(stored["string"]).splitlines()
    # One line per key, value or bracket, indented two spaces per level.
    assert lines[0] == "{"
    assert '  "id": "chatcmpl-1",' in lines
    assert '        "content": "Hi"' in lines
    assert lines[-1] == "}"
    # In the file itself, a YAML literal block: the body reads as it would in an editor.
    assert '      "id": "chatcmpl-1",\n' in text


def test_python_spacing_is_restored_with_its_spaces() -> None:
    readable = readable_json('{"a": [1, 2]}')
    assert readable == ('{\n  "a": [\n    1,\n    2\n  ]\n}', "spaced")
    assert restore_json(*readable) == '{"a": [1, 2]}'


def test_irregular_whitespace_is_stored_verbatim() -> None:
    stored = _stored_body(_cassette('{"a":  1}').dumps(yaml_format=True))
    assert stored == {"string": '{"a":  1}'}


def test_event_streams_and_text_are_stored_as_they_are() -> None:
    sse = 'data: {"a":1}\n\ndata: [DONE]\n\n'
    assert _stored_body(_cassette(sse, "text/event-stream").dumps(yaml_format=True)) == {
        "string": sse
    }
    # A JSON-looking line sent as an event stream is still left alone.
    one = '{"a":1}'
    assert _stored_body(_cassette(one, "text/event-stream").dumps(yaml_format=True)) == {
        "string": one
    }
    assert _stored_body(_cassette("plain text").dumps(yaml_format=True)) == {"string": "plain text"}


def test_json_cassettes_keep_bodies_on_one_line() -> None:
    # A JSON string cannot show line breaks, so indenting would only add escaped noise.
    data = json.loads(_cassette('{"a":1}').dumps(yaml_format=False))
    assert data["interactions"][0]["response"]["body"] == {"string": '{"a":1}'}


def test_a_hand_written_json_layout_is_honoured_in_json_files_too(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    data = _cassette("{}").to_dict()
    data["interactions"][0]["response"]["body"] = {
        "string": '{\n  "a": [\n    1\n  ]\n}',
        "json_layout": "compact",
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    assert Cassette.load(path).interactions[0].response.body == b'{"a":[1]}'


def test_an_unknown_layout_is_a_cassette_error(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    data = _cassette("{}").to_dict()
    data["interactions"][0]["response"]["body"] = {"string": "{}", "json_layout": "tabs"}
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CassetteError, match=r"interaction 0: response\.body\.json_layout"):
        Cassette.load(path)


@pytest.mark.parametrize(
    "path", sorted(TESTDATA.glob("*/*.yaml")) + sorted(TESTDATA.glob("*/*.json")), ids=str
)
def test_shipped_cassettes_keep_their_bytes_through_the_new_format(
    path: Path, tmp_path: Path
) -> None:
    old = Cassette.load(path)
    rewritten = tmp_path / path.name
    old.save(rewritten)
    new = Cassette.load(rewritten)
    assert [it.response.body for it in new.interactions] == [
        it.response.body for it in old.interactions
    ]


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    value=st.dictionaries(st.text(max_size=5), _json_values, max_size=4) | st.lists(_json_values),
    ensure_ascii=st.booleans(),
    spaced=st.booleans(),
    tail=st.sampled_from(["", "\n", " \n"]),
)
def test_any_json_round_trips(value: object, ensure_ascii: bool, spaced: bool, tail: str) -> None:
    seps = (", ", ": ") if spaced else (",", ":")
    text = json.dumps(value, ensure_ascii=ensure_ascii, separators=seps) + tail
    readable = readable_json(text)
    if readable is not None:
        assert restore_json(*readable) == text
        assert json.loads(readable[0]) == json.loads(text)
