"""The vcrpy-backed Recorder: record against a loopback server, then replay without it."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fakeserver
import httpx
import pytest
import vcr.cassette
import yaml
from harness.flavors import SYNC, Flavor, each_flavor

import genai_baseten
from genai_core import Message, Result, StreamError, ValidationError
from genai_core.httprecord import (
    Cassette,
    CassetteError,
    Recorder,
    RecordMode,
    ReplayMismatchError,
    SecretLeakError,
    UnplayedInteractionsError,
    mode_from_env,
)

KEY = "sk-fake-recording-key-0123456789"
PROMPT = "Say hello"
# What fakeserver answers for PROMPT (its text pieces plus the echoed prompt).
ANSWER = "Hello there! (Say hello)"


@pytest.fixture
def server() -> Iterator[fakeserver.FakeServer]:
    with fakeserver.fake_server() as s:
        yield s


def client(base_url: str, http_client: httpx.Client | None = None) -> genai_baseten.Client:
    return genai_baseten.Client(
        model=fakeserver.MODEL,
        api_key=KEY,
        base_url=base_url,
        max_retries=0,
        http_client=http_client,
    )


def async_client(base_url: str) -> genai_baseten.AsyncClient:
    return genai_baseten.AsyncClient(
        model=fakeserver.MODEL, api_key=KEY, base_url=base_url, max_retries=0
    )


async def run(flavor: Flavor, base_url: str) -> tuple[Result, Result, list[str]]:
    """One gen_sync and one gen_stream of PROMPT: both Results and the streamed texts."""
    c = flavor.pick(client, async_client)(base_url)
    msgs = [Message.user(PROMPT)]
    whole = await flavor.gen_sync(c, msgs)
    fragments, streamed = await flavor.stream(c, msgs)
    await flavor.close(c)
    return whole, streamed, [f.text for f in fragments if f.text]


def without_request_id(result: Result) -> Result:
    return result.model_copy(update={"request_id": None})


def check_answer(whole: Result, streamed: Result) -> None:
    for result in (whole, streamed):
        assert result.text == ANSWER
        assert result.reasoning == "Thinking."
        assert result.usage.total_tokens == 12
        assert result.usage.finish_reason == "stop"


# --- record, then replay without the server ----------------------------------------------------


@each_flavor
async def test_record_then_replay(flavor: Flavor, tmp_path: Path) -> None:
    path = tmp_path / "cassettes" / "chat.yaml"
    with fakeserver.fake_server() as server, Recorder(path, mode="all") as rec:
        recorded = await run(flavor, server.url)
        assert len(server.requests) == 2
        base_url = server.url
    check_answer(*recorded[:2])
    assert rec.interaction_count == 2
    assert path.is_file()

    # The server is gone: everything now comes from the cassette (replay: the default mode).
    async with Recorder(path, strict=True) as rec:
        replayed = await run(flavor, base_url)
    # The server's X-Request-Id is noise, scrubbed on record: the only difference.
    assert [r.request_id for r in recorded[:2]] == ["req-0001", "req-0001"]
    assert [r.request_id for r in replayed[:2]] == [None, None]
    assert [without_request_id(r) for r in replayed[:2]] == [
        without_request_id(r) for r in recorded[:2]
    ]
    assert replayed[2] == recorded[2]
    assert rec.unplayed == []


def test_replayed_stream_arrives_in_several_reads(tmp_path: Path, server: Any) -> None:
    path = tmp_path / "reads.yaml"
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True}
    url = server.url + "/chat/completions"
    with (
        Recorder(path, mode="all") as rec,
        rec.client() as http,
        http.stream("POST", url, json=body) as response,
    ):
        live = b"".join(response.iter_raw())
    events = live.count(b"\n\n")
    assert events == len(fakeserver.chat_events("x")) + 1  # the chunks and [DONE]

    for split, check in (("events", "events"), ("bytes", "bytes")):
        with (
            Recorder(path, mode="replay", split=split, seed=5) as rec,  # type: ignore[arg-type]
            rec.client() as http,
            http.stream("POST", url, json=body) as response,
        ):
            reads = list(response.iter_raw())
        assert b"".join(reads) == live
        if check == "events":
            assert len(reads) == events
            assert all(r.endswith(b"\n\n") for r in reads)
        else:
            assert len(reads) > events
            assert any(not r.endswith(b"\n\n") for r in reads)


@pytest.mark.anyio
async def test_async_replayed_stream_arrives_in_several_reads(tmp_path: Path, server: Any) -> None:
    path = tmp_path / "reads.yaml"
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True}
    url = server.url + "/chat/completions"
    async with (
        Recorder(path, mode="all") as rec,
        rec.async_client() as http,
        http.stream("POST", url, json=body) as response,
    ):
        live = [r async for r in response.aiter_raw()]
    async with (
        Recorder(path, split="bytes", seed=2) as rec,
        rec.async_client() as http,
        http.stream("POST", url, json=body) as response,
    ):
        reads = [r async for r in response.aiter_raw()]
    assert b"".join(reads) == b"".join(live)
    assert len(reads) > b"".join(live).count(b"\n\n")


@pytest.mark.anyio
async def test_records_through_the_transport_given_as_real(tmp_path: Path) -> None:
    # transport(real=...) / async_transport(real=...) take any httpx transport, not only httpx's
    # own HTTPTransport.
    path = tmp_path / "real.yaml"
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json={"path": request.url.path})

    mock = httpx.MockTransport(answer)
    with Recorder(path, mode="all") as rec:
        with httpx.Client(transport=rec.transport(real=mock)) as http:
            assert http.get("https://api.example.test/sync").json() == {"path": "/sync"}
        async with httpx.AsyncClient(transport=rec.async_transport(real=mock)) as ahttp:
            assert (await ahttp.get("https://api.example.test/async")).json() == {"path": "/async"}
    assert seen == ["/sync", "/async"]
    with Recorder(path, mode="replay", strict=True) as rec, rec.client() as http:
        assert http.get("https://api.example.test/sync").json() == {"path": "/sync"}
        assert http.get("https://api.example.test/async").json() == {"path": "/async"}
    assert seen == ["/sync", "/async"]


def test_recording_streams_to_the_client_as_the_server_sends(tmp_path: Path, server: Any) -> None:
    # The server holds the rest of the stream until the client has seen the first event: a
    # recorder that buffered the whole body (as vcrpy's httpx stub does) would time out here.
    server.gate = threading.Event()
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True}
    with (
        Recorder(tmp_path / "live.yaml", mode="all") as rec,
        rec.client(timeout=30) as http,
        http.stream("POST", server.url + "/chat/completions", json=body) as response,
    ):
        reads = response.iter_raw()
        first = next(reads)
        server.gate.set()
        rest = b"".join(reads)
    assert first.startswith(b"data: ")
    assert not server.gate_timed_out
    assert rest.endswith(b"data: [DONE]\n\n")


def test_a_stream_closed_early_is_recorded_whole(tmp_path: Path, server: Any) -> None:
    path = tmp_path / "early.yaml"
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True}
    # The gate holds the rest of the stream back until the first event was read, so that read
    # cannot hold the whole body: only the drain on close can store it.
    server.gate = threading.Event()
    with (
        Recorder(path, mode="all") as rec,
        rec.client(timeout=30) as http,
        http.stream("POST", server.url + "/chat/completions", json=body) as response,
    ):
        first = next(response.iter_raw())
        assert not first.endswith(b"data: [DONE]\n\n")
        server.gate.set()
    assert not server.gate_timed_out
    stored = Cassette.load(path).interactions[0].response.body
    assert stored.endswith(b"data: [DONE]\n\n")
    assert stored.count(b"\n\n") == len(fakeserver.chat_events("x")) + 1


@pytest.mark.anyio
async def test_an_async_stream_closed_early_is_recorded_whole(tmp_path: Path, server: Any) -> None:
    path = tmp_path / "early.yaml"
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True}
    server.gate = threading.Event()  # as in the sync test: the first read is not the whole body
    async with (
        Recorder(path, mode="all") as rec,
        rec.async_client(timeout=30) as http,
        http.stream("POST", server.url + "/chat/completions", json=body) as response,
    ):
        async for first in response.aiter_raw():
            assert not first.endswith(b"data: [DONE]\n\n")
            server.gate.set()
            break
    assert not server.gate_timed_out
    stored = Cassette.load(path).interactions[0].response.body
    assert stored.endswith(b"data: [DONE]\n\n")
    # Recording asks the server for an uncompressed body, so it is stored as text.
    assert server.requests[0].headers["accept-encoding"] == "identity"


# --- modes ------------------------------------------------------------------------------------


def test_replay_mode_never_reaches_the_network(tmp_path: Path, server: Any) -> None:
    path = tmp_path / "none.yaml"
    with Recorder(path) as rec, pytest.raises(ReplayMismatchError) as info:
        client(server.url).gen_sync([Message.user(PROMPT)])
    assert server.requests == []
    message = str(info.value)
    assert "the cassette has no interactions" in message
    assert f"({path} does not exist yet)" in message
    assert "RECORD=1" in message
    assert rec.mode is RecordMode.REPLAY
    assert not path.exists()  # nothing recorded, nothing written


def test_replay_mismatch_shows_the_closest_request(tmp_path: Path, server: Any) -> None:
    path = tmp_path / "m.yaml"
    with Recorder(path, mode="all"):
        client(server.url).gen_sync([Message.user(PROMPT)])
    with Recorder(path) as rec, pytest.raises(ReplayMismatchError) as info:
        client(server.url).gen_sync([Message.user("Say goodbye")])
    assert len(server.requests) == 1
    summary = info.value.summary
    assert "closest is interaction 0" in summary
    assert '$.messages[0].content: sent "Say goodbye", recorded "Say hello"' in summary
    assert '-      "content": "Say hello"' in str(info.value)
    assert rec.unplayed == [0]


def test_new_mode_replays_what_is_recorded_and_records_the_rest(
    tmp_path: Path, server: Any
) -> None:
    path = tmp_path / "new.yaml"
    with Recorder(path, mode="new"):
        client(server.url).gen_sync([Message.user(PROMPT)])
    with Recorder(path, mode="new") as rec:
        c = client(server.url)
        c.gen_sync([Message.user(PROMPT)])  # replayed
        c.gen_sync([Message.user("Another")])  # recorded
    assert len(server.requests) == 2
    assert rec.interaction_count == 2
    bodies = [json.loads(i.request.body) for i in Cassette.load(path).interactions]
    assert [b["messages"][0]["content"] for b in bodies] == [PROMPT, "Another"]


def test_all_mode_rewrites_the_cassette(tmp_path: Path, server: Any) -> None:
    path = tmp_path / "all.yaml"
    with Recorder(path, mode="all"):
        client(server.url).gen_sync([Message.user("first")])
    with Recorder(path, mode="all"):
        client(server.url).gen_sync([Message.user("second")])
    bodies = [json.loads(i.request.body) for i in Cassette.load(path).interactions]
    assert [b["messages"][0]["content"] for b in bodies] == ["second"]


def test_re_recording_an_authored_cassette_no_longer_calls_it_authored(
    tmp_path: Path, server: Any
) -> None:
    path = tmp_path / "authored.yaml"
    with Recorder(path, mode="all"):
        client(server.url).gen_sync([Message.user(PROMPT)])
    authored = Cassette.load(path)
    authored.metadata = {"authored": True, "description": "Authored by hand", "written": "x"}
    authored.save()
    with Recorder(path, mode="all"):
        client(server.url).gen_sync([Message.user(PROMPT)])
    meta = Cassette.load(path).metadata
    assert not {"authored", "description", "written"} & meta.keys()
    assert meta["recorded"]
    assert meta["models"] == [fakeserver.MODEL]


@pytest.mark.parametrize(
    ("value", "mode"),
    [
        ("", RecordMode.REPLAY),
        ("0", RecordMode.REPLAY),
        ("replay", RecordMode.REPLAY),
        ("1", RecordMode.NEW),
        ("new", RecordMode.NEW),
        ("ALL", RecordMode.ALL),
    ],
)
def test_mode_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str, mode: RecordMode
) -> None:
    monkeypatch.setenv("RECORD", value)
    assert mode_from_env() is mode
    assert Recorder(tmp_path / "x.yaml").mode is mode


def test_bad_mode_is_a_validation_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RECORD", "sometimes")
    with pytest.raises(ValidationError, match=r"RECORD='sometimes': not a record mode"):
        Recorder(tmp_path / "x.yaml")
    with pytest.raises(ValidationError, match="not a record mode"):
        Recorder(tmp_path / "x.yaml", mode="always")


# --- strict -----------------------------------------------------------------------------------


def test_strict_fails_when_a_recorded_interaction_is_not_played(
    tmp_path: Path, server: Any
) -> None:
    path = tmp_path / "strict.yaml"
    with Recorder(path, mode="all"):
        c = client(server.url)
        c.gen_sync([Message.user("one")])
        c.gen_sync([Message.user("two")])
    with Recorder(path):  # not strict: fine
        client(server.url).gen_sync([Message.user("one")])
    with (
        pytest.raises(UnplayedInteractionsError, match=r"1 recorded interaction\(s\)") as info,
        Recorder(path, strict=True),
    ):
        client(server.url).gen_sync([Message.user("one")])
    assert "1: POST " in str(info.value)


def test_strict_check_does_not_hide_the_test_failure(tmp_path: Path, server: Any) -> None:
    path = tmp_path / "strict.yaml"
    with Recorder(path, mode="all"):
        client(server.url).gen_sync([Message.user("one")])
    with pytest.raises(KeyError), Recorder(path, strict=True):
        raise KeyError("the test's own failure")


# --- what a cassette holds --------------------------------------------------------------------


def test_scrubbing_and_metadata(
    tmp_path: Path, server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "scrub.yaml"
    with Recorder(path, mode="all", metadata={"purpose": "test"}):
        SYNC.run(lambda: run(SYNC, server.url))
    text = path.read_text()
    assert KEY not in text
    data = yaml.safe_load(text)
    for it in data["interactions"]:
        req_headers = {k.lower() for k in it["request"]["headers"]}
        resp_headers = {k.lower() for k in it["response"]["headers"]}
        assert "authorization" not in req_headers
        assert "x-request-id" not in req_headers
        assert "content-type" in req_headers
        # How the bytes travelled, and the client's version: noise in a diff.
        assert not {"host", "content-length", "user-agent", "accept-encoding"} & req_headers
        assert not {"date", "set-cookie", "x-request-id"} & resp_headers
        assert "x-ratelimit-remaining-tokens" in resp_headers  # data, not a credential
    meta = data["metadata"]
    assert meta["purpose"] == "test"
    assert meta["models"] == [fakeserver.MODEL]
    assert "recorded" in meta
    assert "authored" not in meta


def test_yaml_is_readable_and_vcrpy_reads_it(tmp_path: Path, server: Any) -> None:
    path = tmp_path / "readable.yaml"
    with Recorder(path, mode="all"):
        SYNC.run(lambda: run(SYNC, server.url))
    text = path.read_text()
    # An SSE body is a literal block: one event per line of the file.
    assert "    body:\n      string: |+\n        data: {" in text
    assert '}\n\n        data: {"id": "chatcmpl-fake"' in text
    # The request body is indented JSON, one key per line.
    assert '    body: |-\n      {\n        "model": "fake/model-1",\n' in text
    loaded = vcr.cassette.Cassette.load(path=str(path))
    assert len(loaded) == 2


def test_a_cassette_holding_the_key_is_not_written(tmp_path: Path, server: Any) -> None:
    server.echo_auth = True  # the answer repeats the Authorization header
    path = tmp_path / "leak.yaml"
    with pytest.raises(SecretLeakError) as info, Recorder(path, mode="all"):
        client(server.url).gen_sync([Message.user(PROMPT)])
    message = str(info.value)
    assert str(path) in message
    assert "interaction 0" in message
    assert "the authorization header" in message.lower()
    assert KEY not in message
    assert not path.exists()


def test_a_key_from_the_environment_is_checked_too(
    tmp_path: Path, server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXAMPLE_API_KEY", "say-hello-secret")
    path = tmp_path / "env.yaml"
    with pytest.raises(SecretLeakError, match="EXAMPLE_API_KEY"), Recorder(path, mode="all"):
        client(server.url).gen_sync([Message.user("say-hello-secret")])
    assert not path.exists()


def test_a_key_in_the_query_string_is_scrubbed_and_checked(tmp_path: Path, server: Any) -> None:
    path = tmp_path / "query.json"
    url = server.url + "/models?api_key=query-secret-123456&page=2"
    with Recorder(path, mode="all"), httpx.Client() as http:
        assert http.get(url).status_code == 200
    text = path.read_text()
    assert "query-secret-123456" not in text
    assert "api_key=REDACTED&page=2" in text
    with Recorder(path), httpx.Client() as http:  # the scrubbed URL still matches
        assert http.get(url).json()["data"][0]["id"] == fakeserver.MODEL

    # A server repeating the key in its answer: the file is not written.
    server.echo_auth = True
    leak = tmp_path / "leak.json"
    body = {"model": "m", "messages": [{"role": "user", "content": "query-secret-123456"}]}
    with (
        pytest.raises(SecretLeakError, match="the api_key query parameter"),
        Recorder(leak, mode="all"),
        httpx.Client() as http,
    ):
        http.post(server.url + "/chat/completions?api_key=query-secret-123456", json=body)
    assert not leak.exists()


def test_user_hooks_run_after_the_scrubbers(tmp_path: Path, server: Any) -> None:
    def drop_models(request: Any) -> Any:
        return None if request.uri.endswith("/models") else request

    def tag(response: dict[str, Any]) -> dict[str, Any]:
        response["headers"]["X-Tagged"] = ["yes"]
        return response

    path = tmp_path / "hooks.json"
    with (
        Recorder(path, mode="all", before_record_request=drop_models, before_record_response=tag),
        httpx.Client() as http,
    ):
        http.get(server.url + "/models")
        client(server.url).gen_sync([Message.user(PROMPT)])
    interactions = Cassette.load(path).interactions
    assert [i.request.uri.rsplit("/", 1)[-1] for i in interactions] == ["completions"]
    assert interactions[0].response.headers["X-Tagged"] == ["yes"]


def test_corrupt_cassette_names_file_and_interaction(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "version: 1\ninteractions:\n- request: {method: GET, uri: 'https://x.test/'}\n"
        "  response: {status: {code: 200}, headers: {}, body: {string: ''}}\n"
        "- request: {method: GET, uri: 'not a url'}\n"
        "  response: {status: {code: 200}, headers: {}, body: {string: ''}}\n"
    )
    with pytest.raises(CassetteError, match=r"bad\.yaml: interaction 1: request\.uri"):
        Recorder(path)
    path.write_text("version: 1\ninteractions: [\n")
    with pytest.raises(CassetteError, match=r"bad\.yaml: not a valid cassette \(not YAML"):
        Recorder(path)


def test_replay_keeps_the_headers_a_cassette_holds(tmp_path: Path, server: Any) -> None:
    # Scrubbing applies to what is recorded, not to what a cassette already says: a request id
    # written into a cassette on purpose reaches the client.
    path = tmp_path / "ids.yaml"
    with Recorder(path, mode="all"):
        client(server.url).gen_sync([Message.user(PROMPT)])
    data = yaml.safe_load(path.read_text())
    data["interactions"][0]["response"]["headers"]["X-Request-Id"] = ["req-kept"]
    path.write_text(yaml.safe_dump(data))
    with Recorder(path, strict=True):
        assert client(server.url).gen_sync([Message.user(PROMPT)]).request_id == "req-kept"


def test_mismatch_on_an_existing_cassette_says_how_to_re_record(
    tmp_path: Path, server: Any
) -> None:
    path = tmp_path / "rerecord.yaml"
    with Recorder(path, mode="all"):
        client(server.url).gen_sync([Message.user(PROMPT)])
    with Recorder(path), pytest.raises(ReplayMismatchError) as info:
        client(server.url).gen_sync([Message.user("changed")])
    assert "RECORD=all (re-records the whole cassette)" in info.value.summary
    assert "RECORD=1 (adds what is missing" in info.value.summary

    path.write_text("")
    with Recorder(path), pytest.raises(ReplayMismatchError, match=r"rerecord\.yaml is empty\)"):
        client(server.url).gen_sync([Message.user(PROMPT)])


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes need Python 3.11")
def test_an_error_from_a_hand_edited_answer_names_the_file_and_interaction(
    tmp_path: Path, server: Any
) -> None:
    path = tmp_path / "edited.yaml"
    with Recorder(path, mode="all"):
        SYNC.run(lambda: run(SYNC, server.url))
    # A hand edit that breaks one streamed chunk: the cassette still loads (a server may send
    # anything), and the client's error says where the answer came from.
    text = path.read_text()
    broken = text.replace('"delta": {"content": "Hel"}', '"delta": {"content": "Hel"', 1)
    assert broken != text
    path.write_text(broken)
    with pytest.raises(StreamError, match="not JSON") as info, Recorder(path):
        SYNC.run(lambda: run(SYNC, server.url))
    notes = getattr(info.value, "__notes__", [])
    assert notes == [
        f"while replaying {path}: served interaction(s) 0, 1; the last, 1 (POST "
        f"{server.url}/chat/completions), is the answer being read if the error is about a "
        "malformed response"
    ]
