"""PlatformClient / AsyncPlatformClient: predict, predict_stream, wake and readiness, chains and
the management API, each sync and async, against the fake both as an httpx.MockTransport and as
a loopback HTTP server (tests/baseten_fake.py). Sleeping and the clock are injected: no test
waits for real."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from baseten_fake import KEY, FakeBaseten, Reply, serve
from harness.flavors import ASYNC, SYNC, Flavor, resolve
from harness.scripted import Sleeps

import genai_baseten
from genai_baseten import AsyncPlatformClient, PlatformClient, Target
from genai_core import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    GenAIError,
    MalformedResponseError,
    MissingAPIKeyError,
    NotFoundError,
    ServerError,
    ValidationError,
)
from genai_core.http import RetryPolicy
from genai_core.sse import ServerSentEvent

MODEL = "abcd1234"
PROD = Target.model(MODEL)


class Clock(Sleeps):
    """The harness's fake sleeps, on a clock that moves only when the client sleeps."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 1000.0

    def sleep(self, delay: float) -> None:
        super().sleep(delay)
        self.now += delay

    async def async_sleep(self, delay: float) -> None:
        self.sleep(delay)

    def policy(self, max_retries: int = 2, **kw: Any) -> RetryPolicy:
        return super().policy(
            max_retries=max_retries, clock=lambda: self.now, rand=lambda: 0.0, **kw
        )


class Driver:
    """Calls one client method the same way on the sync or the async client."""

    def __init__(self, fake: FakeBaseten, flavor: Flavor, backend: str, port: int | None) -> None:
        self.fake = fake
        self.flavor = flavor
        self.backend = backend
        self.port = port
        self.clock = Clock()
        self.mock = fake.mock_transport()

    def transport(self) -> Any:
        if self.backend == "mock":
            return self.mock
        from baseten_fake import AsyncLoopbackTransport, LoopbackTransport

        assert self.port is not None
        return self.flavor.pick(LoopbackTransport, AsyncLoopbackTransport)(self.port)

    def client(self, kw: dict[str, Any]) -> Any:
        """A client of the driver's flavor; takes the client's arguments out of ``kw``."""
        ckw: dict[str, Any] = {
            "api_key": KEY,
            "retry_policy": self.clock.policy(kw.pop("max_retries", 2)),
            # A loopback server that misbehaves fails the test in seconds, never hangs it.
            "timeout": 10.0,
            **{k: kw.pop(k) for k in ("cold_start_timeout", "api_key") if k in kw},
        }
        cls = self.flavor.pick(PlatformClient, AsyncPlatformClient)
        return cls(transport=self.transport(), **ckw)

    def __call__(self, method: str, *args: Any, **kw: Any) -> Any:
        client = self.client(kw)

        async def run() -> Any:
            try:
                return await resolve(getattr(client, method)(*args, **kw))
            finally:
                await self.flavor.close(client)

        return self.flavor.run(run)

    def stream(self, target: Target, payload: Any, **kw: Any) -> tuple[str, list[Any]]:
        """The stream's kind and items (an error propagates)."""
        client = self.client(kw)

        async def run() -> tuple[str, list[Any]]:
            try:
                async with self.flavor.opened(client.predict_stream(target, payload, **kw)) as s:
                    items = await self.flavor.drain(s)
                    return str(s.kind), items
            finally:
                await self.flavor.close(client)

        return self.flavor.run(run)


@pytest.fixture(params=["mock-sync", "mock-async", "loopback-sync", "loopback-async"])
def drive(request: pytest.FixtureRequest) -> Iterator[Driver]:
    backend, mode = request.param.split("-")
    flavor = ASYNC if mode == "async" else SYNC
    fake = FakeBaseten()
    fake.add_model(
        MODEL,
        name="my-llm",
        deployments=[
            {"id": "d1", "environment": "production"},
            {"id": "d2", "environment": "staging", "status": "SCALED_TO_ZERO"},
            {"id": "d3", "is_development": True, "status": "BUILD_FAILED"},
        ],
    )
    if backend == "mock":
        yield Driver(fake, flavor, backend, None)
    else:
        with serve(fake, lifetime=120) as loop:
            yield Driver(fake, flavor, backend, loop.port)


# -- predict ---------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [{"prompt": "hi", "n": [1, 2.5, None]}, "bare text", [1, 2]])
def test_predict_any_json_value(drive: Driver, payload: Any) -> None:
    assert drive("predict", PROD, payload) == {"output": payload}
    (seen,) = drive.fake.requests
    assert seen.method == "POST"
    assert seen.host == "model-abcd1234.api.baseten.co"
    assert seen.path == "/environments/production/predict"
    assert seen.headers["authorization"] == f"Api-Key {KEY}"
    assert seen.headers["content-type"] == "application/json"
    assert re.fullmatch(r"[A-Za-z0-9_-]{16}", seen.headers["x-request-id"])
    assert seen.json() == payload


def test_predict_accepts_a_pasted_url(drive: Driver) -> None:
    url = "https://model-abcd1234.api.baseten.co/deployment/d1/predict"
    assert drive("predict", url, {"a": 1}) == {"output": {"a": 1}}
    assert drive.fake.requests[0].path == "/deployment/d1/predict"


def test_predict_binary_body_and_answer(drive: Driver) -> None:
    answer = drive("predict", PROD, b"\x00\x01msgpack\xff")
    assert answer == b"\xffkcapgsm\x01\x00"  # the fake reverses the bytes it got
    assert drive.fake.requests[0].headers["content-type"] == "application/octet-stream"
    assert drive.fake.requests[0].body == b"\x00\x01msgpack\xff"


def test_cold_start_503s_are_waited_out(drive: Driver) -> None:
    drive.fake.cold["environments/production"] = 4
    assert drive("predict", PROD, 1) == {"output": 1}
    # 2 retries of the HTTP policy (0.5 s, 1 s backoff), then the cold-start waits (5 s each).
    assert len(drive.fake.requests) == 5
    assert drive.clock.delays == [0.5, 1.0, 5.0, 5.0]


def test_cold_start_budget_is_bounded(drive: Driver) -> None:
    drive.fake.cold["environments/production"] = 1000
    with pytest.raises(ServerError) as caught:
        drive("predict", PROD, 1, cold_start_timeout=12)
    assert caught.value.status_code == 503
    # 0.5 + 1 (policy), then 5 + 5 + 0.5 (the rest of the 12 s budget), then out of budget.
    assert drive.clock.delays == [0.5, 1.0, 5.0, 5.0, 0.5]
    assert len(drive.fake.requests) == 6


def test_cold_start_off(drive: Driver) -> None:
    drive.fake.cold["environments/production"] = 3
    with pytest.raises(ServerError):
        drive("predict", PROD, 1, cold_start_timeout=0, max_retries=0)
    assert len(drive.fake.requests) == 1


def test_404_explains_deactivation(drive: Driver) -> None:
    drive.fake.deactivated.add("deployment/d9")
    with pytest.raises(NotFoundError) as caught:
        drive("predict", Target.model(MODEL, deployment_id="d9"), {})
    text = str(caught.value)
    assert "HTTP 404: Model version not found" in text
    assert "may be deactivated" in text
    assert f"POST https://api.baseten.co/v1/models/{MODEL}/deployments/d9/activate" in text
    assert len(drive.fake.requests) == 1  # a 404 is not retried


def test_a_body_that_does_not_decode_is_typed(drive: Driver) -> None:
    garbled = Reply(200, b"not gzip at all", {"Content-Encoding": "gzip"})
    drive.fake.route("POST", r"/environments/production/predict", lambda s, m: garbled, "model")
    # A library error (MalformedResponseError on a real connection; httpx's mock transport
    # decodes while sending, so there it is a connection error), with httpx's own as the cause.
    with pytest.raises(GenAIError) as caught:
        drive("predict", PROD, {})
    assert isinstance(caught.value, (MalformedResponseError, APIConnectionError))
    assert isinstance(caught.value.__cause__, httpx.DecodingError)


def test_bad_key_is_typed_and_never_shown(drive: Driver) -> None:
    wrong = "wrong-key-abcdefghijklmnop"
    with pytest.raises(AuthenticationError) as caught:
        drive("predict", PROD, {}, api_key=wrong)
    assert wrong not in str(caught.value)
    assert wrong not in repr(caught.value.headers) + caught.value.body
    assert "BASETEN_API_KEY" in str(caught.value)


# -- streamed predict ------------------------------------------------------------------------


def test_stream_sse(drive: Driver) -> None:
    drive.fake.streams["environments/production"] = Reply(
        headers={"Content-Type": "text/event-stream"},
        chunks=[b'data: {"t": "Hel', b'lo"}\n\ndata: [DONE]\n', b"\n"],
    )
    kind, items = drive.stream(PROD, {"stream": True})
    assert kind == "events"
    assert items == [ServerSentEvent(data='{"t": "Hello"}'), ServerSentEvent(data="[DONE]")]


def test_stream_text_lines(drive: Driver) -> None:
    drive.fake.streams["environments/production"] = Reply(
        headers={"Content-Type": "text/plain; charset=utf-8"},
        chunks=[b"one\ntw", "o\r\nthré".encode()[:-1], "é".encode()[1:] + b"e"],
    )
    kind, items = drive.stream(PROD, {})
    assert kind == "lines"
    assert items == ["one", "two", "thrée"]


def test_stream_bytes(drive: Driver) -> None:
    chunks = [b"\xff\xf1AAC", b"\x00\x01", b"more"]
    drive.fake.streams["environments/production"] = Reply(
        headers={"Content-Type": "audio/aac"}, chunks=chunks
    )
    kind, items = drive.stream(PROD, {})
    assert kind == "bytes"
    assert b"".join(items) == b"".join(chunks)


def test_stream_cut_midway_keeps_what_arrived(drive: Driver) -> None:
    drive.fake.streams["environments/production"] = Reply(
        headers={"Content-Type": "text/plain"}, chunks=[b"first\n", b"second\nthi"], cut=True
    )
    with pytest.raises(genai_baseten.PredictStreamError) as caught:
        drive.stream(PROD, {})
    assert caught.value.received == ["first", "second"]
    assert "broke off after 2 item(s)" in str(caught.value)


def test_stream_waits_out_a_cold_start_then_streams(drive: Driver) -> None:
    drive.fake.cold["environments/production"] = 3
    drive.fake.streams["environments/production"] = Reply(
        headers={"Content-Type": "application/octet-stream"}, chunks=[b"ab", b"cd"]
    )
    kind, items = drive.stream(PROD, {})
    assert (kind, b"".join(items)) == ("bytes", b"abcd")
    assert len(drive.fake.requests) == 4
    assert drive.clock.delays == [0.5, 1.0, 5.0]


def test_stream_on_a_deactivated_deployment(drive: Driver) -> None:
    drive.fake.deactivated.add("development")
    with pytest.raises(NotFoundError, match="development deployment of model 'abcd1234'"):
        drive.stream(Target.model(MODEL, development=True), {})


# -- wake and readiness ----------------------------------------------------------------------


def test_wake(drive: Driver) -> None:
    assert drive("wake", Target.model(MODEL, deployment_id="d1")) is None
    (seen,) = drive.fake.requests
    assert (seen.method, seen.path) == ("POST", "/deployment/d1/wake")


def test_wait_until_ready_wakes_then_polls(drive: Driver) -> None:
    staging = Target.model(MODEL, environment="staging")
    status = drive("wait_until_ready", staging, interval=2, timeout=60)
    assert status == genai_baseten.DeploymentStatus.ACTIVE
    paths = [(s.method, s.path) for s in drive.fake.requests]
    env = f"/v1/models/{MODEL}/environments/staging"
    # The spec documents wake for deployment/{id} and development only: the environment's
    # current deployment (d2) is looked up, then woken.
    assert paths == [("GET", env), ("POST", "/deployment/d2/wake"), *[("GET", env)] * 3]
    assert drive.clock.delays == [2, 2]  # WAKING_UP, LOADING_MODEL, then ACTIVE


def test_wait_until_ready_stops_on_failure(drive: Driver) -> None:
    dev = Target.model(MODEL, development=True)
    with pytest.raises(genai_baseten.DeploymentFailedError, match="BUILD_FAILED"):
        drive("wait_until_ready", dev, wake=False)
    assert [s.path for s in drive.fake.requests] == [f"/v1/models/{MODEL}/deployments/development"]


def test_wait_until_ready_has_a_deadline(drive: Driver) -> None:
    drive.fake.statuses["d1"] = ["LOADING_MODEL"] * 100
    with pytest.raises(APITimeoutError, match="not ready after 10 s"):
        drive("wait_until_ready", PROD, interval=3, timeout=10)
    assert drive.clock.delays == [3, 3, 3, 1]  # never past the deadline
    # Environment look-up + wake + polls at 0, 3, 6 and 9 s; none is sent once no time is left.
    assert len(drive.fake.requests) == 6


def test_async_queue_status(drive: Driver) -> None:
    drive.fake.queues["environments/staging"] = (7, 2)
    status = drive("async_queue_status", Target.model(MODEL, environment="staging"))
    assert (status.num_queued_requests, status.num_in_progress_requests) == (7, 2)
    assert (status.model_id, status.deployment_id, status.chain_id) == (MODEL, "d2", None)
    chain = drive("async_queue_status", Target.chain("xyz9", development=True))
    assert (chain.chain_id, chain.num_queued_requests) == ("xyz9", 0)
    assert [(s.method, s.path) for s in drive.fake.requests] == [
        ("GET", "/environments/staging/async_queue_status"),
        ("GET", "/development/async_queue_status"),
    ]


# -- chains ----------------------------------------------------------------------------------


def test_run_remote(drive: Driver) -> None:
    chain = Target.chain("xyz9", environment="staging")
    assert drive("run_remote", chain, {"max_value": 10}) == {"echo": {"max_value": 10}}
    (seen,) = drive.fake.requests
    assert seen.host == "chain-xyz9.api.baseten.co"
    assert seen.path == "/environments/staging/run_remote"


def test_async_run_remote(drive: Driver) -> None:
    chain = Target.chain("xyz9", deployment_id="c1")
    sub = drive("async_run_remote", chain, {"words": ["bird"]})
    assert re.fullmatch(r"[0-9a-f]{32}", sub.request_id)
    assert sub.target == chain
    assert sub.status_url() == f"https://chain-xyz9.api.baseten.co/async_request/{sub.request_id}"
    assert drive.fake.requests[0].json() == {"words": ["bird"]}


# -- management ------------------------------------------------------------------------------


def test_management_listing(drive: Driver) -> None:
    (model,) = drive("list_models")
    assert (model.id, model.name, model.production_deployment_id) == (MODEL, "my-llm", "d1")
    assert model.target() == PROD
    deps = drive("list_deployments", MODEL)
    assert [(d.id, d.status) for d in deps] == [
        ("d1", "ACTIVE"),
        ("d2", "SCALED_TO_ZERO"),
        ("d3", "BUILD_FAILED"),
    ]
    assert deps[0].target() == Target.model(MODEL, deployment_id="d1")
    envs = drive("list_environments", MODEL)
    assert [(e.name, e.current_deployment.id) for e in envs] == [
        ("production", "d1"),
        ("staging", "d2"),
    ]
    prod = drive("get_deployment", MODEL, "production")
    assert prod.id == "d1" and prod.is_production is True
    paths = [s.path for s in drive.fake.requests]
    assert paths == [
        "/v1/models",
        f"/v1/models/{MODEL}/deployments",
        f"/v1/models/{MODEL}/environments",
        f"/v1/models/{MODEL}/deployments/production",
    ]
    assert all(s.host == "api.baseten.co" for s in drive.fake.requests)


def test_get_model_and_environment(drive: Driver) -> None:
    model = drive("get_model", MODEL)
    assert (model.deployments_count, model.team_name, model.raw["instance_type_name"]) == (
        3,
        "Default",
        "1x4",
    )
    env = drive("get_environment", MODEL, "staging")
    assert env.current_deployment is not None
    assert (env.name, env.model_id, env.current_deployment.status) == (
        "staging",
        MODEL,
        "SCALED_TO_ZERO",
    )
    assert env.target() == Target.model(MODEL, environment="staging")
    assert [s.path for s in drive.fake.requests] == [
        f"/v1/models/{MODEL}",
        f"/v1/models/{MODEL}/environments/staging",
    ]


def test_list_chains(drive: Driver) -> None:
    drive.fake.chains.append(
        {
            "id": "xyz9",
            "created_at": "2026-02-03T04:05:06Z",
            "name": "poems",
            "deployments_count": 2,
            "team_name": "Default",
        }
    )
    (chain,) = drive("list_chains")
    assert (chain.id, chain.name, chain.deployments_count, chain.team_name) == (
        "xyz9",
        "poems",
        2,
        "Default",
    )
    assert chain.target() == Target.chain("xyz9")
    assert [s.path for s in drive.fake.requests] == ["/v1/chains"]


def test_management_404(drive: Driver) -> None:
    with pytest.raises(NotFoundError, match="Model not found"):
        drive("get_model", "zzzz9999")


# -- bad input: nothing is sent --------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "args", "message"),
    [
        ("predict", (PROD, {1, 2}), "payload is not JSON-serialisable"),
        ("predict", (PROD, {"x": math.nan}), "payload is not JSON-serialisable"),
        ("predict", ("https://model-.api.baseten.co/production/predict", 1), "not a Baseten"),
        ("predict", (Target.chain("xyz9"), 1), r"/predict needs Target\.model"),
        ("run_remote", (Target.chain("xyz9"), [1]), "inputs must be a dict"),
        ("run_remote", (Target.chain("xyz9"), {"a": object()}), "inputs is not JSON"),
        ("list_deployments", ("",), "model_id"),
        ("wait_until_ready", (PROD,), "timeout must be a number"),
        ("wait_until_ready", (Target.model(MODEL, development=True),), "interval must be at least"),
    ],
)
def test_bad_input_sends_nothing(
    drive: Driver, method: str, args: tuple[Any, ...], message: str
) -> None:
    kw: dict[str, Any] = {}
    if method == "wait_until_ready":
        kw = {"timeout": -1} if args[0] == PROD else {"interval": 0}
    with pytest.raises(ValidationError, match=message):
        drive(method, *args, **kw)
    assert drive.fake.requests == []


def test_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BASETEN_API_KEY", raising=False)
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    client = PlatformClient(transport=httpx.MockTransport(record))
    with pytest.raises(MissingAPIKeyError, match="BASETEN_API_KEY"):
        client.predict(PROD, {})
    assert sent == []
    assert repr(client) == "PlatformClient(api_key=missing)"


def test_key_from_environment_and_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASETEN_API_KEY", KEY)
    fake = FakeBaseten()
    client = PlatformClient(transport=fake.mock_transport())
    assert client.predict(PROD, 1) == {"output": 1}
    assert KEY not in repr(client)


def test_logs_never_hold_the_key(drive: Driver, caplog: pytest.LogCaptureFixture) -> None:
    drive.fake.cold["environments/production"] = 3
    with caplog.at_level(logging.DEBUG, logger="genai"):
        drive("predict", PROD, {"x": 1})
    assert "HTTP 503 while the deployment starts" in caplog.text
    assert "/environments/production/predict: HTTP 200" in caplog.text
    assert KEY not in caplog.text


def test_client_construction_checks() -> None:
    with pytest.raises(ValidationError, match="not beside it"):
        PlatformClient(api_key=KEY, http_client=httpx.Client(), proxy="http://proxy:3128")
    with pytest.raises(ValidationError, match="cold_start_timeout"):
        PlatformClient(api_key=KEY, cold_start_timeout=-1)
    with pytest.raises(ValidationError, match="max_retries"):
        PlatformClient(api_key=KEY, max_retries=-1)
    with pytest.raises(ValidationError, match="api_key must be a string"):
        PlatformClient(api_key=123)  # type: ignore[arg-type]
    with PlatformClient(api_key=KEY, proxy="http://user:secret@proxy:3128") as client:
        assert "secret" not in repr(client)
