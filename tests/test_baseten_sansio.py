"""The sans-IO rules of the Baseten platform modules, tested directly: stream decoding by
content type, the cold-start budget, readiness polling, body encoding and decoding, and Target
round trips."""

from __future__ import annotations

import httpx
import pytest

from genai_baseten import Target
from genai_baseten.calls import ColdStart, body_of, decode_body, error_hint
from genai_baseten.chains import run_remote_call
from genai_baseten.management import DeploymentStatus
from genai_baseten.predict import (
    DeploymentFailedError,
    PredictStreamCore,
    Readiness,
    predict_call,
    stream_kind,
    wake_call,
)
from genai_baseten.queue import parse_queue_status
from genai_core import (
    APITimeoutError,
    BadRequestError,
    MalformedResponseError,
    ServerError,
    ValidationError,
)
from genai_core.sse import ServerSentEvent


def headers(content_type: str) -> httpx.Headers:
    return httpx.Headers({"content-type": content_type})


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("text/event-stream", "events"),
        ("text/event-stream; charset=utf-8", "events"),
        ("text/plain", "lines"),
        ("TEXT/PLAIN; charset=latin-1", "lines"),
        ("application/x-ndjson", "lines"),
        ("application/octet-stream", "bytes"),
        ("audio/aac", "bytes"),
        ("application/json", "bytes"),  # a JSON body streamed: bytes, not guessed as lines
        ("", "bytes"),
    ],
)
def test_stream_kind_is_the_content_type(content_type: str, kind: str) -> None:
    assert stream_kind(headers(content_type)) == kind


LINES = "alpha\r\nbéta\n\ngamma".encode()
SSE = b'event: token\ndata: {"t": "\xc3\xa9"}\n\ndata: a\ndata: b\n\ndata: tail'


@pytest.mark.parametrize("size", [1, 2, 3, 5, 100])
def test_lines_and_events_do_not_depend_on_chunking(size: int) -> None:
    for content_type, body, expected in (
        ("text/plain; charset=utf-8", LINES, ["alpha", "béta", "", "gamma"]),
        (
            "text/event-stream",
            SSE,
            [
                ServerSentEvent(event="token", data='{"t": "é"}'),
                ServerSentEvent(data="a\nb"),
                ServerSentEvent(data="tail"),
            ],
        ),
    ):
        core = PredictStreamCore(headers(content_type))
        out = []
        for i in range(0, len(body), size):
            out += core.feed(body[i : i + size])
        out += core.finish()
        assert out == expected
        assert core.received == expected


def test_latin1_lines_and_keep_false() -> None:
    core = PredictStreamCore(headers("text/plain; charset=latin-1"), keep=False)
    assert core.feed("café\n".encode("latin-1")) == ["café"]
    assert core.received == []


def test_a_broken_stream_keeps_what_arrived() -> None:
    core = PredictStreamCore(headers("application/octet-stream"))
    core.feed(b"\x01\x02")
    core.feed(b"\x03")
    err = core.broken(httpx.ReadTimeout("timed out"))
    assert err.received == [b"\x01\x02", b"\x03"]
    assert "timed out after 2 item(s)" in str(err)


def test_cold_start_budget() -> None:
    now = [0.0]
    cold = ColdStart(12.0, lambda: now[0])
    e503 = ServerError("starting", status_code=503)
    assert cold.after_error(e503) == 5.0
    now[0] = 10.0
    assert cold.after_error(e503) == 2.0  # never past the budget
    now[0] = 12.0
    assert cold.after_error(e503) is None
    fresh = ColdStart(100.0, lambda: 0.0)
    assert fresh.after_error(ServerError("x", status_code=500)) is None  # not a cold start
    assert fresh.after_error(BadRequestError("x", status_code=400)) is None
    asked = ServerError("x", status_code=503, headers={"Retry-After": "7"})
    assert fresh.after_error(asked) == 7.0
    assert ColdStart(0.0, lambda: 0.0).after_error(e503) is None  # turned off


def test_readiness() -> None:
    now = [0.0]
    target = Target.model("abcd1234")
    ready = Readiness(target, timeout=10, interval=4, clock=lambda: now[0])
    assert ready.after_status(DeploymentStatus.WAKING_UP) == 4
    now[0] = 8.0
    assert ready.after_status("LOADING_MODEL") == 2
    assert ready.after_status("ACTIVE") is None
    now[0] = 0.0
    late = Readiness(target, timeout=10, interval=4, clock=lambda: now[0])
    now[0] = 8.0
    assert late.after_status("WAKING_UP") == 2  # 2 s left before the deadline
    now[0] = 10.0
    with pytest.raises(APITimeoutError, match=r"after 10 s \(statuses seen: WAKING_UP → LOADING"):
        late.after_status("LOADING_MODEL")
    with pytest.raises(DeploymentFailedError, match="activate it") as caught:
        ready.after_status("INACTIVE")
    assert caught.value.status == "INACTIVE"


def test_unknown_statuses_are_kept() -> None:
    status = DeploymentStatus("HIBERNATING")
    assert status == "HIBERNATING" and str(status) == "HIBERNATING"
    assert DeploymentStatus("ACTIVE") is DeploymentStatus.ACTIVE


def test_bodies() -> None:
    assert body_of({"é": [1, None]}, argument="payload") == (
        '{"é":[1,null]}'.encode(),
        "application/json",
    )
    assert body_of(bytearray(b"\x00"), argument="payload") == (b"\x00", "application/octet-stream")
    with pytest.raises(ValidationError, match="payload is not JSON-serialisable"):
        body_of(float("inf"), argument="payload")
    call = predict_call("https://model-abcd1234.api.baseten.co/development/predict", [])
    assert (call.method, call.url, call.content) == (
        "POST",
        "https://model-abcd1234.api.baseten.co/development/predict",
        b"[]",
    )


@pytest.mark.parametrize(
    ("content_type", "content", "expected"),
    [
        ("application/json", b'{"a": 1}', {"a": 1}),
        ("application/problem+json", b"[1]", [1]),
        ("text/plain; charset=utf-8", "é".encode(), "é"),
        ("application/octet-stream", b"\x00\x01", b"\x00\x01"),
        ("", b"", None),
    ],
)
def test_decode_by_content_type(content_type: str, content: bytes, expected: object) -> None:
    hdrs = {"content-type": content_type} if content_type else {}
    response = httpx.Response(200, headers=hdrs, content=content)
    assert decode_body(response, provider="baseten", secrets=()) == expected


def test_decode_refuses_json_that_is_not() -> None:
    response = httpx.Response(
        200, headers={"content-type": "application/json"}, content=b"<html>oops</html>"
    )
    with pytest.raises(MalformedResponseError, match="says it is JSON but is an HTML page"):
        decode_body(response, provider="baseten", secrets=())


@pytest.mark.parametrize(
    "target",
    [
        Target.model("abcd1234"),
        Target.model("abcd1234", environment="staging"),
        Target.model("abcd1234", development=True),
        Target.model("abcd1234", deployment_id="q7x_2-m"),
        Target.chain("xyz9", deployment_id="c1"),
        Target.bridge("abcd1234"),
        Target.model_apis(),
    ],
)
def test_every_target_round_trips_through_its_urls(target: Target) -> None:
    urls = [target.openai_base_url()] if target.kind in ("bridge", "model_apis") else []
    if target.kind == "model":
        urls += [target.predict_url(), target.openai_base_url()]
        if target.deployment_id is not None or target.development:
            urls.append(target.wake_url())
    if target.kind == "chain":
        urls += [target.run_remote_url(), target.async_run_remote_url()]
    for url in urls:
        assert Target.parse(url) == target


def test_not_found_hints_name_the_way_to_activate() -> None:
    env = predict_call(Target.model("abcd1234", environment="staging"), {})
    hint = error_hint(env, 404, "BASETEN_API_KEY", "https://keys")
    assert hint is not None
    assert "environment 'staging' of model 'abcd1234' may be deactivated" in hint
    assert "POST https://api.baseten.co/v1/models/abcd1234/environments/staging/activate" in hint
    dev = wake_call(Target.model("abcd1234", development=True))
    assert "deployments/development/activate" in (error_hint(dev, 404, None, "") or "")
    chain = run_remote_call(Target.chain("xyz9"), {})
    assert "check the chain id 'xyz9'" in (error_hint(chain, 404, None, "") or "")
    assert error_hint(chain, 500, None, "") is None
    assert error_hint(chain, 401, "BASETEN_API_KEY", "https://keys") == (
        "check the key given in $BASETEN_API_KEY or api_key=; get one at https://keys"
    )


def test_queue_status_shape() -> None:
    status = parse_queue_status(
        {
            "model_id": "m1",
            "deployment_id": "d1",
            "num_queued_requests": 3,
            "num_in_progress_requests": 1,
        }
    )
    assert (status.model_id, status.deployment_id, status.num_queued_requests) == ("m1", "d1", 3)
    with pytest.raises(MalformedResponseError, match="num_queued_requests"):
        parse_queue_status({"num_queued_requests": True, "num_in_progress_requests": 0})
    with pytest.raises(MalformedResponseError):
        parse_queue_status([])
