"""The secrets sweep: many failures, each encoding of the key echoed, nothing shows the key.

Every scenario runs sync and async, gen_sync and gen_stream. What is searched (with the oracle
of ``secret_scan``, which decodes JSON, URL, HTML and base64 forms): the exception with its
``__cause__`` chain, attributes and partial result, the Result when there is one, every log
record of ``genai``, ``httpx`` and ``httpcore`` at DEBUG, cassettes written, and the pytest
report of a test replaying without a cassette.
"""

from __future__ import annotations

import json
import logging
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness.bodies import ABSENT, DONE, chunk, event
from harness.flavors import ASYNC, SYNC, Flavor, Mode, Outcome
from harness.scripted import ScriptedBody, Sleeps
from secret_scan import assert_no_secret, encodings_of, no_leak

import genai_baseten
import genai_core as genai

# Imported before pytester's in-process runs (see test_httprecord_plugin).
import genai_core.httprecord.recorder
from genai_core.http import RetryPolicy
from genai_core.httprecord import Recorder
from genai_core.httprecord.recorder import SecretLeakError
from genai_core.openai_chat.compatible import AsyncOpenAICompatibleClient, OpenAICompatibleClient

pytest_plugins = ["pytester"]

KEY = "sk-sweep/Key+0123456789abcdef"
ENCODINGS = encodings_of(KEY)

Handler = Callable[[httpx.Request], httpx.Response]


def _chunk(delta: dict[str, Any], finish: Any = ABSENT) -> bytes:
    return event(chunk(delta, finish=finish, id="c1", model=None, created=None))


def _broken(chunks: list[bytes]) -> ScriptedBody:
    """An SSE body that stops with a read error after its first chunks."""
    return ScriptedBody([*chunks, httpx.ReadError("connection reset by peer")])


def _error_json(echo: str) -> bytes:
    return (
        '{"error": {"message": "Invalid API key: ' + echo + '", "type": "auth ' + echo + '", '
        '"code": "' + echo + '", "param": "' + echo + '"}}'
    ).encode()


def _scenarios(echo: str) -> dict[str, Handler]:
    """Each scenario is a handler answering every attempt; ``echo`` is the key, encoded."""
    headers = {"x-echo": echo, "x-request-id": f"rid-{echo}"} if echo.isascii() else {}
    sse = {"content-type": "text/event-stream", **headers}
    js = {"content-type": "application/json", **headers}

    def status(code: int, body: bytes, extra: dict[str, str] | None = None) -> Handler:
        return lambda r: httpx.Response(code, content=body, headers={**js, **(extra or {})})

    def stream_error_event(r: httpx.Request) -> httpx.Response:
        body = _chunk({"content": "partial "}) + event(_error_json(echo).decode())
        return httpx.Response(200, content=body, headers=sse)

    def bad_chunk(r: httpx.Request) -> httpx.Response:
        body = _chunk({"content": "partial "}) + event("{not json " + echo)
        return httpx.Response(200, content=body, headers=sse)

    def broken_stream(r: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=_broken([_chunk({"content": "partial "})]), headers=sse)

    def ok_with_echoed_headers(r: httpx.Request) -> httpx.Response:
        if b'"stream":true' in r.content:
            body = _chunk({"content": "fine"}, "stop") + DONE
            return httpx.Response(200, content=body, headers=sse)
        answer = {"choices": [{"message": {"role": "assistant", "content": "fine"}}]}
        return httpx.Response(200, json=answer, headers=headers)

    html = f"<html><body><h1>401</h1><p>key {echo}</p></body></html>".encode()
    return {
        "401": status(401, _error_json(echo)),
        "403-html": lambda r: httpx.Response(403, content=html, headers={"x-echo": echo}),
        "429-retried": status(429, _error_json(echo), {"retry-after": "0"}),
        "500-retried": status(500, _error_json(echo)),
        "503-text": lambda r: httpx.Response(503, text=f"upstream said {echo}"),
        "200-not-json": lambda r: httpx.Response(200, content=html, headers={"x-echo": echo}),
        "stream-error-event": stream_error_event,
        "stream-bad-chunk": bad_chunk,
        "stream-broken": broken_stream,
        "ok-echoed-headers": ok_with_echoed_headers,
    }


SCENARIOS = list(_scenarios("x"))
STREAM_ONLY = {"stream-error-event", "stream-bad-chunk", "stream-broken"}


def _policy() -> RetryPolicy:
    return Sleeps().policy(max_retries=2)


# Bearer? -> the client classes; the Bearer one is the generic provider.
CLIENTS: dict[bool, tuple[type[Any], type[Any]]] = {
    False: (genai_baseten.Client, genai_baseten.AsyncClient),
    True: (OpenAICompatibleClient, AsyncOpenAICompatibleClient),
}


def _run(handler: Handler, *, flavor: Flavor, stream: bool, bearer: bool) -> Outcome:
    kw: dict[str, Any] = {"model": "m", "api_key": KEY, "transport": httpx.MockTransport(handler)}
    if bearer:
        kw["base_url"] = "http://127.0.0.1:9/v1"
    client = flavor.pick(*CLIENTS[bearer])(retry_policy=_policy(), **kw)
    messages = [genai.Message.user("hi")]
    return flavor.run(lambda: Mode(flavor, stream).outcome(client, messages))


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    for name in ("genai", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _check(outcome: Outcome, caplog: pytest.LogCaptureFixture, scenario: str) -> None:
    assert_no_secret(outcome.error, KEY, f"{scenario}: the error")
    assert_no_secret(outcome.result, KEY, f"{scenario}: the result")
    assert_no_secret(caplog.records, KEY, f"{scenario}: the log records")
    if outcome.error is not None:
        assert isinstance(outcome.error, genai.GenAIError), repr(outcome.error)
    assert caplog.records  # the requests were logged, so the logs were searched for something


@pytest.mark.parametrize("encoding", range(len(ENCODINGS)), ids=lambda i: f"enc{i}")
@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("flavor", [SYNC, ASYNC], ids=str)
def test_sweep_baseten(
    scenario: str, encoding: int, flavor: Flavor, debug_logs: pytest.LogCaptureFixture
) -> None:
    handler = _scenarios(ENCODINGS[encoding])[scenario]
    for stream in (False, True):
        if scenario in STREAM_ONLY and not stream:
            continue
        outcome = _run(handler, flavor=flavor, stream=stream, bearer=False)
        _check(outcome, debug_logs, f"{scenario} stream={stream}")
        if scenario == "stream-error-event":
            assert outcome.error is not None
            partial = getattr(outcome.error, "partial_result", None)
            assert partial is not None and partial.text == "partial "


@pytest.mark.parametrize("encoding", [0, 2, 7, 12], ids=lambda i: f"enc{i}")
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_sweep_bearer(scenario: str, encoding: int, debug_logs: pytest.LogCaptureFixture) -> None:
    handler = _scenarios(ENCODINGS[encoding])[scenario]
    for flavor in (SYNC, ASYNC):
        stream = scenario in STREAM_ONLY
        outcome = _run(handler, flavor=flavor, stream=stream, bearer=True)
        _check(outcome, debug_logs, f"{scenario} {flavor}")


# --- record / replay -----------------------------------------------------------------------------


def test_replay_miss_error_holds_no_key(
    tmp_path: Path, debug_logs: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder(tmp_path / "missing.json", mode="replay")
    client = genai_baseten.Client(model="m", api_key=KEY, http_client=recorder.client())
    with pytest.raises(genai.GenAIError) as info:
        client.gen_sync([genai.Message.user("hi")], max_retries=0)
    assert_no_secret(info.value, KEY, "replay miss")
    assert_no_secret(debug_logs.records, KEY, "replay miss logs")
    recorder.close(check=False)


@pytest.mark.parametrize("encoding", range(len(ENCODINGS)), ids=lambda i: f"enc{i}")
def test_recording_an_echoed_key_is_refused(tmp_path: Path, encoding: int) -> None:
    echo = ENCODINGS[encoding]
    path = tmp_path / "c.yaml"
    recorder = Recorder(path, mode="all")
    answer = {"choices": [{"message": {"role": "assistant", "content": f"key {echo}"}}]}
    real = httpx.MockTransport(lambda r: httpx.Response(200, json=answer))
    client = genai_baseten.Client(
        model="m", api_key=KEY, http_client=httpx.Client(transport=recorder.transport(real))
    )
    client.gen_sync([genai.Message.user("hi")])
    with pytest.raises(SecretLeakError) as info:
        recorder.close()
    assert_no_secret(info.value, KEY)
    assert not path.exists()


def test_no_leak_helper_catches_a_logged_key() -> None:
    # The helper other tests hook into: it must fail when a record does hold the key.
    with pytest.raises(AssertionError, match="leaked in log records"), no_leak(KEY):
        logging.getLogger("genai.test").debug("echo %s", KEY.replace("/", "%2F"))
    with pytest.raises(AssertionError, match="leaked"), no_leak(KEY) as seen:
        seen.append(ValueError("x", {"body": json.dumps({"k": KEY}).replace("/", "\\/")}))
    with no_leak(KEY) as seen:
        seen.append("nothing here")


def test_a_recorded_cassette_holds_no_key(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    answer = {"choices": [{"message": {"role": "assistant", "content": "fine"}}]}
    with Recorder(path, mode="all") as recorder:
        real = httpx.MockTransport(lambda r: httpx.Response(200, json=answer))
        http = httpx.Client(transport=recorder.transport(real))
        client = genai_baseten.Client(model="m", api_key=KEY, http_client=http)
        assert client.gen_sync([genai.Message.user("hi")]).text == "fine"
    assert path.is_file()
    assert_no_secret(path, KEY, "the cassette")


# --- the pytest report of a test replaying without its cassette (defect 5) ----------------------

REPORT_TEST = textwrap.dedent(
    """
    import genai_baseten
    from genai_core import Message
    from genai_core.openai_chat.compatible import OpenAICompatibleClient


    def test_baseten_env_key(genai_recorder):
        client = genai_baseten.Client(model="m", max_retries=0)  # key from BASETEN_API_KEY
        client.gen_sync([Message.user("hi")])


    def test_bearer_key(genai_recorder):
        client = OpenAICompatibleClient(
            model="m", base_url="https://api.example.com/v1", api_key_env="BASETEN_API_KEY",
            max_retries=0,
        )
        client.gen_stream([Message.user("hi")]).result()


    def test_printed_and_logged(genai_recorder, caplog):
        import logging, os
        logging.getLogger("genai").setLevel(logging.DEBUG)
        print("the key is", os.environ["BASETEN_API_KEY"])
        client = genai_baseten.Client(model="m", max_retries=0)
        client.gen_sync([Message.user("hi")])
    """
)


@pytest.mark.parametrize("flags", [(), ("-l", "--tb=long"), ("--full-trace", "-rA")])
def test_pytest_report_holds_no_key(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, flags: tuple[str, ...]
) -> None:
    monkeypatch.delenv("RECORD", raising=False)
    monkeypatch.setenv("BASETEN_API_KEY", KEY)
    pytester.makepyfile(test_user=REPORT_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *flags)
    result.assert_outcomes(failed=3)
    text = "\n".join(result.outlines + result.errlines)
    assert "ReplayMismatchError" in text  # the failures are the replay misses
    assert "does not exist yet" in text
    assert_no_secret(text, KEY, "the pytest report")
