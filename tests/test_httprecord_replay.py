"""Replaying cassettes without vcrpy: matching, mismatch reports, streamed reads, file errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness.flavors import Flavor, each_flavor

import genai_baseten
from genai_core import Message, TextOptions, ValidationError
from genai_core.httprecord import (
    Cassette,
    CassetteError,
    ReplayMismatchError,
    ReplayTransport,
    split_events,
)

URL = "https://api.example.test/v1/echo"
DEMO_DIR = Path(__file__).resolve().parent.parent / "testdata" / "demo"

SSE_BODY = (
    'data: {"n": 1}\n\ndata: {"n": 2}\n\n: a comment line\n\ndata: {"n": 3}\n\ndata: [DONE]\n\n'
)


def interaction(
    body: Any,
    response_body: str,
    *,
    method: str = "POST",
    url: str = URL,
    status: int = 200,
    content_type: str = "application/json",
) -> dict[str, Any]:
    return {
        "request": {
            "method": method,
            "uri": url,
            "body": body if isinstance(body, str) else json.dumps(body),
            "headers": {"Content-Type": ["application/json"]} if body else {},
        },
        "response": {
            "status": {"code": status, "message": ""},
            "headers": {"Content-Type": [content_type]},
            "body": {"string": response_body},
        },
    }


def cassette(*interactions: dict[str, Any]) -> Cassette:
    data = {
        "version": 1,
        "metadata": {"authored": True, "description": "test", "written": "2026-11-24"},
        "interactions": list(interactions),
    }
    return Cassette.from_dict(data, path="test-cassette.json")


def write_cassette(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


# --- matching ---------------------------------------------------------------------------------


def test_matches_method_url_and_body() -> None:
    c = cassette(
        interaction({"q": "a"}, '{"answer": "A"}'),
        interaction({"q": "b"}, '{"answer": "B"}'),
    )
    with httpx.Client(transport=ReplayTransport(c)) as http:
        assert http.post(URL, json={"q": "b"}).json() == {"answer": "B"}
        assert http.post(URL, json={"q": "a"}).json() == {"answer": "A"}


def test_json_body_matching_ignores_key_order_whitespace_and_headers() -> None:
    recorded = '{\n  "model": "m",\n  "messages": [{"role": "user", "content": "hi"}]\n}\n'
    c = cassette(interaction(recorded, "{}"))
    sent = b'{"messages":[{"content":"hi","role":"user"}],   "model":"m"}'
    with httpx.Client(transport=ReplayTransport(c)) as http:
        response = http.post(
            URL,
            content=sent,
            headers={"Authorization": "Api-Key anything", "X-Request-Id": "r-1"},
        )
    assert response.status_code == 200


def test_numbers_match_by_value_but_true_is_not_one() -> None:
    c = cassette(interaction('{"t": 1, "flag": true}', "{}"))
    with httpx.Client(transport=ReplayTransport(c)) as http:
        assert http.post(URL, content=b'{"t": 1.0, "flag": true}').status_code == 200
    with (
        httpx.Client(transport=ReplayTransport(c)) as http,
        pytest.raises(ReplayMismatchError, match=r"\$\.flag: sent 1, recorded true"),
    ):
        http.post(URL, content=b'{"t": 1, "flag": 1}')


def test_empty_body_matches_get_without_body() -> None:
    c = cassette(interaction("", '{"data": []}', method="GET"))
    with httpx.Client(transport=ReplayTransport(c)) as http:
        assert http.get(URL).json() == {"data": []}


def test_same_request_served_in_recorded_order_then_exhausted() -> None:
    c = cassette(
        interaction({"q": 1}, '{"try": 1}', status=503),
        interaction({"q": 1}, '{"try": 2}'),
    )
    transport = ReplayTransport(c)
    with httpx.Client(transport=transport) as http:
        first = http.post(URL, json={"q": 1})
        second = http.post(URL, json={"q": 1})
        assert (first.status_code, first.json()) == (503, {"try": 1})
        assert (second.status_code, second.json()) == (200, {"try": 2})
        assert c.unplayed == []
        with pytest.raises(ReplayMismatchError, match=r"interaction 1, which was already replayed"):
            http.post(URL, json={"q": 1})


def test_mismatch_names_the_closest_recorded_request() -> None:
    c = cassette(
        interaction({"model": "m", "messages": [{"role": "user", "content": "Tell a joke"}]}, "{}"),
        interaction(
            {"model": "m", "messages": [{"role": "user", "content": "What is 2+2?"}]}, "{}"
        ),
        interaction("", "{}", method="GET", url="https://api.example.test/v1/models"),
    )
    sent = {"model": "m", "messages": [{"role": "user", "content": "What is 2+3?"}]}
    with (
        httpx.Client(transport=ReplayTransport(c)) as http,
        pytest.raises(ReplayMismatchError) as info,
    ):
        http.post(URL, json=sent)
    message = str(info.value)
    assert "test-cassette.json" in message
    assert f"POST {URL}" in message
    assert "closest is interaction 1" in message
    summary = info.value.summary
    assert '$.messages[0].content: sent "What is 2+3?", recorded "What is 2+2?"' in summary
    assert "\n" not in summary
    # Then a diff of the two bodies, recorded first.
    assert message.startswith(summary + "\n--- recorded body (interaction 1)\n+++ this request's")
    assert '-      "content": "What is 2+2?",' in message
    assert '+      "content": "What is 2+3?",' in message


def test_mismatch_on_url_is_reported() -> None:
    c = cassette(interaction({"q": 1}, "{}"))
    with (
        httpx.Client(transport=ReplayTransport(c)) as http,
        pytest.raises(ReplayMismatchError) as info,
    ):
        http.post("https://api.example.test/v1/other", json={"q": 1})
    assert f"differs in: URL: sent https://api.example.test/v1/other, recorded {URL}" in str(
        info.value
    )


def test_mismatch_is_not_retried_by_the_client() -> None:
    # A ValidationError, not a transport error: the client's retry loop must not sleep on it.
    c = cassette(interaction({"q": 1}, "{}"))
    client = genai_baseten.Client(
        model="m", api_key="replay-no-key", http_client=httpx.Client(transport=ReplayTransport(c))
    )
    with pytest.raises(ValidationError, match="closest is interaction 0"):
        client.gen_sync([Message.user("hi")])


# --- responses and streamed reads -------------------------------------------------------------


def test_plain_body_is_one_read_with_content_length() -> None:
    c = cassette(interaction({"q": 1}, '{"a": "ok"}'))
    with (
        httpx.Client(transport=ReplayTransport(c)) as http,
        http.stream("POST", URL, json={"q": 1}) as response,
    ):
        reads = list(response.iter_raw())
        assert reads == [b'{"a": "ok"}']
        assert response.headers["content-length"] == str(len(reads[0]))
        assert response.headers["content-type"] == "application/json"


def test_headers_of_how_the_bytes_travelled_are_not_replayed() -> None:
    # Bodies are stored decoded: a recorded Content-Encoding (or a length of the compressed
    # body) replayed as is would make the client decode the text again, or cut it.
    recorded = interaction({"q": 1}, '{"a": "ok"}')
    recorded["response"]["headers"].update(
        {"Content-Encoding": ["gzip"], "Content-Length": ["3"], "Transfer-Encoding": ["chunked"]}
    )
    with httpx.Client(transport=ReplayTransport(cassette(recorded))) as http:
        response = http.post(URL, json={"q": 1})
    assert response.json() == {"a": "ok"}
    assert "content-encoding" not in response.headers
    assert "transfer-encoding" not in response.headers
    assert response.headers["content-length"] == str(len(b'{"a": "ok"}'))


def test_a_key_in_the_query_matches_its_scrubbed_recording() -> None:
    # A recorder stores key-like query parameters as REDACTED; replay must still match them.
    c = cassette(interaction("", '{"data": []}', method="GET", url=URL + "?api_key=REDACTED&n=1"))
    with httpx.Client(transport=ReplayTransport(c)) as http:
        assert http.get(URL, params={"api_key": "sk-some-real-key", "n": 1}).json() == {"data": []}


def test_event_stream_arrives_one_event_per_read() -> None:
    c = cassette(interaction({"q": 1}, SSE_BODY, content_type="text/event-stream; charset=utf-8"))
    with (
        httpx.Client(transport=ReplayTransport(c)) as http,
        http.stream("POST", URL, json={"q": 1}) as response,
    ):
        reads = list(response.iter_raw())
    assert reads == [
        b'data: {"n": 1}\n\n',
        b'data: {"n": 2}\n\n',
        b": a comment line\n\n",
        b'data: {"n": 3}\n\n',
        b"data: [DONE]\n\n",
    ]
    assert "content-length" not in response.headers


def _byte_reads(seed: int) -> list[bytes]:
    c = cassette(interaction({"q": 1}, SSE_BODY, content_type="text/event-stream"))
    with (
        httpx.Client(transport=ReplayTransport(c, split="bytes", seed=seed)) as http,
        http.stream("POST", URL, json={"q": 1}) as response,
    ):
        return list(response.iter_raw())


def test_event_stream_split_at_seeded_byte_offsets() -> None:
    reads = _byte_reads(seed=7)
    assert b"".join(reads) == SSE_BODY.encode()
    assert len(reads) >= 3
    assert any(not r.endswith(b"\n\n") for r in reads)  # cuts inside events, not between them
    assert all(1 <= len(r) <= 32 for r in reads)
    assert _byte_reads(seed=7) == reads  # reproducible
    assert _byte_reads(seed=8) != reads


def test_invalid_split_is_rejected() -> None:
    with pytest.raises(ValidationError, match="split"):
        ReplayTransport(cassette(), split="lines")  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_async_client_replays_streams_in_several_reads() -> None:
    c = cassette(
        interaction({"q": 1}, SSE_BODY, content_type="text/event-stream"),
        interaction({"q": 2}, '{"a": 2}'),
    )
    async with httpx.AsyncClient(transport=ReplayTransport(c)) as http:
        async with http.stream("POST", URL, json={"q": 1}) as response:
            reads = [chunk async for chunk in response.aiter_raw()]
        assert len(reads) == 5
        assert b"".join(reads) == SSE_BODY.encode()
        assert (await http.post(URL, json={"q": 2})).json() == {"a": 2}
        with pytest.raises(
            ReplayMismatchError, match=r"closest is interaction 1 \(already replayed\)"
        ):
            await http.post(URL, json={"q": 22})


# --- the library over a replayed stream -------------------------------------------------------


def _demo_turn_one() -> tuple[list[Message], TextOptions]:
    from genai_core.cli import DEMO_PROMPT, SQUARE_ROOT_TOOL

    opts = TextOptions(tools=[SQUARE_ROOT_TOOL], tool_call_request="required")
    return [Message.user(DEMO_PROMPT)], opts


@each_flavor
@pytest.mark.parametrize(("split", "seed"), [("events", 3), ("bytes", 3), ("bytes", 11)])
async def test_client_streams_the_demo_cassette(flavor: Flavor, split: str, seed: int) -> None:
    demo = Cassette.load(DEMO_DIR / "demo.json")
    transport = ReplayTransport(demo, split=split, seed=seed)  # type: ignore[arg-type]
    client = flavor.pick(genai_baseten.Client, genai_baseten.AsyncClient)(
        model="openai/gpt-oss-120b",
        api_key="replay-no-key",
        http_client=flavor.http_client(transport=transport),
    )
    msgs, opts = _demo_turn_one()
    fragments, result = await flavor.stream(client, msgs, opts)
    # Expected values are what the authored cassette says (testdata/demo/demo.json, turn 1).
    assert sum(1 for f in fragments if f.reasoning) == 18
    assert result.reasoning.startswith(" The user wants the square root of 2025")
    assert [(c.name, c.arguments) for c in result.tool_calls] == [
        ("square_root", '{\n  "number": 2025\n}')
    ]
    assert result.tool_calls[0].decode_arguments() == {"number": 2025}
    assert result.tool_calls[0].id == "chatcmpl-tool-4d1c7a9e2b3f4860a5c6d7e8f9012345"
    assert result.usage.finish_reason == "tool_calls"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (151, 28)
    assert result.usage.total_tokens == 179
    assert result.request_id == "authored-demo-turn-1"
    assert demo.unplayed == [1]
    await flavor.close(client)


# --- cassette files ---------------------------------------------------------------------------


def test_load_reads_meta_and_interactions(tmp_path: Path) -> None:
    path = write_cassette(
        tmp_path / "ok.json",
        {
            "version": 1,
            "metadata": {"authored": True, "description": "d", "written": "2026-11-24"},
            "interactions": [interaction({"q": 1}, "{}")],
        },
    )
    c = Cassette.load(path)
    assert c.metadata["authored"] is True
    assert c.path == str(path)
    assert c.interactions[0].request.method == "POST"
    assert c.interactions[0].response.headers == {"Content-Type": ["application/json"]}


@pytest.mark.parametrize(
    ("broken", "complaint"),
    [
        ({"request": {"method": "POST", "uri": URL, "body": "{"}}, "request.body is not JSON"),
        ({"request": {"method": "POST", "uri": "ftp://x", "body": ""}}, "request.uri"),
        ({"request": {"method": "", "uri": URL}}, "request.method"),
        ("not an object", "must be a mapping"),
        ({"request": None}, "'request' must be a mapping"),
        ({"response": {"status": {"code": 200}, "body": {"base64": "%%"}}}, "base64"),
        ({"response": {"status": {"code": 200}, "body": 12}}, "response.body must be text"),
    ],
)
def test_corrupt_interaction_names_file_and_index(
    tmp_path: Path, broken: Any, complaint: str
) -> None:
    good = interaction({"q": 1}, "{}")
    if isinstance(broken, dict):
        broken = {**good, **broken}
    path = write_cassette(
        tmp_path / "corrupt.json", {"version": 1, "interactions": [good, broken, good]}
    )
    with pytest.raises(ValidationError) as info:
        Cassette.load(path)
    message = str(info.value)
    assert str(path) in message
    assert "interaction 1" in message
    assert complaint in message


def test_bad_response_fields_name_the_index(tmp_path: Path) -> None:
    good = interaction({"q": 1}, "{}")
    bad = interaction({"q": 2}, "{}")
    bad["response"]["headers"] = {"Content-Type": "application/json"}  # not a list
    path = write_cassette(tmp_path / "headers.json", {"version": 1, "interactions": [good, bad]})
    with pytest.raises(ValidationError, match=r"headers\.json: interaction 1: response\.headers"):
        Cassette.load(path)
    bad["response"]["headers"] = {}
    bad["response"]["status"] = {"code": "200"}
    write_cassette(path, {"version": 1, "interactions": [good, bad]})
    with pytest.raises(CassetteError, match=r"interaction 1: response\.status\.code"):
        Cassette.load(path)


@pytest.mark.parametrize("version", [2, None, "1"])
def test_wrong_version_names_the_file(tmp_path: Path, version: Any) -> None:
    path = write_cassette(tmp_path / "v.json", {"version": version, "interactions": []})
    with pytest.raises(CassetteError, match=r"v\.json: unsupported cassette version") as info:
        Cassette.load(path)
    assert "re-record" in str(info.value)


def test_not_json_names_the_file(tmp_path: Path) -> None:
    path = write_cassette(tmp_path / "garbage.json", '{"version": 1, "interactions": [')
    with pytest.raises(ValidationError, match=r"garbage\.json: not a valid cassette"):
        Cassette.load(path)


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Cassette.load(tmp_path / "absent.json")


def test_plain_recordings_and_the_first_format_are_read(tmp_path: Path) -> None:
    # maruel/genai's converted recordings and this project's first cassettes: request.url and
    # response.status_code, bodies as plain strings.
    plain = {
        "source": "somewhere",
        "interactions": [
            {
                "request": {"method": "post", "url": URL, "headers": {}, "body": '{"q": 1}\n'},
                "response": {
                    "status_code": 200,
                    "headers": {"Content-Type": ["text/event-stream"]},
                    "body": SSE_BODY,
                },
            }
        ],
    }
    old = {"version": 1, "meta": {"authored": True}, "interactions": plain["interactions"]}
    for name, data in (("plain.json", plain), ("old.json", old)):
        c = Cassette.load(write_cassette(tmp_path / name, data))
        with (
            httpx.Client(transport=ReplayTransport(c)) as http,
            http.stream("POST", URL, json={"q": 1}) as response,
        ):
            assert len(list(response.iter_raw())) == 5
        assert c.interactions[0].request.method == "POST"
    assert Cassette.load(tmp_path / "plain.json").metadata == {"source": "somewhere"}
    assert Cassette.load(tmp_path / "old.json").metadata == {"authored": True}


def test_binary_bodies_round_trip_as_base64(tmp_path: Path) -> None:
    c = cassette(interaction({"q": 1}, "x"))
    png = bytes(range(256))
    it = c.interactions[0]
    c.interactions[0] = type(it)(it.request, type(it.response)(200, {}, png))
    c.save(tmp_path / "bin.json")
    assert '"base64"' in (tmp_path / "bin.json").read_text()
    assert Cassette.load(tmp_path / "bin.json").interactions[0].response.body == png


def test_every_cassette_in_testdata_says_where_it_came_from() -> None:
    root = DEMO_DIR.parent
    paths = sorted(p for p in root.rglob("*") if p.suffix in (".json", ".yaml"))
    assert len(paths) >= 8
    for path in paths:
        meta = Cassette.load(path).metadata
        if meta.get("authored") is True:
            assert "authored" in meta["description"].lower(), path
            assert meta["written"], path
        else:  # recorded by the project's own recorder: when, and which model
            assert meta["recorded"], path
            assert meta["models"], path


def test_replaying_imports_neither_vcrpy_nor_yaml() -> None:
    import subprocess
    import sys

    code = (
        "import sys, genai_core.httprecord, genai_core.cli; "
        "print(sorted(m for m in ('vcr', 'yaml', 'wrapt') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"


def test_the_runnable_example_of_the_docs_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = (DEMO_DIR.parent.parent / "docs" / "record-replay.md").read_text()
    section = doc.split("## Replay a cassette (runnable)", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(DEMO_DIR.parent.parent)
    exec(compile(code, "docs/record-replay.md", "exec"), {})
    assert capsys.readouterr().out == "Hello there!\n"  # what the doc says it prints
    # And the mismatch the doc shows.
    code = code.replace("Say hello in one short sentence.", "Say goodbye")
    with pytest.raises(ReplayMismatchError) as info:
        exec(compile(code, "docs/record-replay.md", "exec"), {})
    shown = next(line for line in section.splitlines() if line.startswith("no unused"))
    assert info.value.summary == shown


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_events_are_split_whatever_the_line_ending(newline: str) -> None:
    body = SSE_BODY.replace("\n", newline).encode()
    pieces = split_events(body)
    assert b"".join(pieces) == body
    assert len(pieces) == 5
    assert all(p.endswith((newline * 2).encode()) for p in pieces)


def test_plain_vcrpy_yaml_with_binary_bodies_is_read(tmp_path: Path) -> None:
    path = tmp_path / "vcrpy.yaml"
    path.write_text(
        "interactions:\n"
        "- request:\n"
        "    body: null\n"
        "    headers: {}\n"
        "    method: GET\n"
        "    uri: https://api.example.test/v1/models\n"
        "  response:\n"
        "    body:\n"
        "      string: !!binary |\n"
        "        H4sIAAAAAAAA\n"
        "    headers: {}\n"
        "    status: {code: 200, message: OK}\n"
        "version: 1\n"
    )
    c = Cassette.load(path)
    assert c.interactions[0].response.body.startswith(b"\x1f\x8b")
