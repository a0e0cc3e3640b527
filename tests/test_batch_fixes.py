"""Regressions of the batch engines and the webhook receiver (review of the Baseten batch code).

Each test names the defect it pins; all run against the loopback fake of async inference
(tests/fake_baseten_async.py) or MockTransport, offline and in well under a second each.
"""

from __future__ import annotations

import http.client
import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fake_baseten_async import SECRET, FakeAsyncBaseten

import genai_baseten
from genai_baseten import AsyncInferenceEngine, ChatEngine, agen_batch, gen_batch
from genai_baseten.batch import BatchInput, hold_seconds
from genai_baseten.batch_store import BatchStore
from genai_core import (
    APITimeoutError,
    GenAIError,
    Message,
    RateLimitError,
    Reply,
    Result,
    TextOptions,
    ValidationError,
)

KEY = "fake-baseten-key-000000"
TARGET = "https://model-abcd1234.api.baseten.co/production"


def engine(fake: FakeAsyncBaseten, **kw: Any) -> AsyncInferenceEngine:
    kw.setdefault("local_webhook", True)
    return AsyncInferenceEngine(
        TARGET,
        webhook_secret=SECRET,
        api_key=KEY,
        transport=fake.async_transport(),
        tick=0.02,
        **kw,
    )


def delivery(request_id: str, data: Any) -> bytes:
    return json.dumps(
        {
            "request_id": request_id,
            "type": "async_request_completed",
            "time": "2024-04-30T01:01:08Z",
            "data": data,
            "errors": [],
        }
    ).encode()


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


# --- the stdlib receiver ------------------------------------------------------------------------


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="counts fds through /proc")
def test_receiver_fd_count_stays_flat_over_deliveries_on_fresh_connections(tmp_path: Path) -> None:
    state = tmp_path / "s.sqlite"
    n = 300
    with BatchStore(state) as store:
        store.load([{"id": i} for i in range(n)])
    with genai_baseten.WebhookReceiver(state, token="tok", secrets=[SECRET]) as receiver:
        port = int(receiver.url.rsplit(":", 1)[1])

        def deliver(i: int) -> int:
            body = delivery(f"r{i}", {"i": i})
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                headers = {"X-BASETEN-SIGNATURE": genai_baseten.sign_webhook(body, SECRET)}
                conn.request("POST", f"/tok/{i}", body, headers)
                resp = conn.getresponse()
                resp.read()
                return resp.status
            finally:
                conn.close()

        assert deliver(0) == 200  # the receiver's own connection is open from here on
        before = open_fds()
        statuses = Counter(deliver(i) for i in range(1, n))
        time.sleep(0.1)  # handler threads finish closing their sockets
        after = open_fds()
    assert statuses == Counter({200: n - 1})
    # One SQLite connection per handler thread kept ~2 descriptors per delivery (~600 here).
    assert after - before < 20
    with BatchStore(state) as store:
        assert store.counts().done == n


def test_receiver_decodes_a_chunked_delivery(tmp_path: Path) -> None:
    state = tmp_path / "s.sqlite"
    with BatchStore(state) as store:
        store.load([{"id": 0}])
    body = delivery("r0", {"ok": 1})
    with genai_baseten.WebhookReceiver(state, token="tok", secrets=[SECRET]) as receiver:
        port = int(receiver.url.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        headers = {
            "X-BASETEN-SIGNATURE": genai_baseten.sign_webhook(body, SECRET),
            "Transfer-Encoding": "chunked",
        }
        # Three chunks, no Content-Length: what a sender streaming its body does.
        chunks = iter([body[:7], body[7:20], body[20:]])
        conn.request("POST", "/tok/0", chunks, headers, encode_chunked=True)
        resp = conn.getresponse()
        status = resp.status
        resp.read()
        conn.close()
    assert status == 200
    with BatchStore(state) as store:
        item = store.item(0)
    assert item is not None and item.status == "done"
    assert json.loads(item.result or "") == {"ok": 1}


def test_read_request_body_refuses_a_malformed_chunk() -> None:
    import io

    from genai_baseten.batch_receiver import Delivery, read_request_body

    assert read_request_body(io.BytesIO(b"5\r\nhello\r\n0\r\n\r\n"), "chunked", None) == b"hello"
    bad = read_request_body(io.BytesIO(b"zz\r\nhello\r\n"), "chunked", None)
    assert isinstance(bad, Delivery) and bad.status == 400
    assert read_request_body(io.BytesIO(b"abc"), None, "3") == b"abc"


# --- submits whose answer is lost --------------------------------------------------------------


def test_a_5xx_or_malformed_201_leaves_the_item_unknown_and_its_delivery_fills_it(
    tmp_path: Path,
) -> None:
    state = tmp_path / "s.sqlite"
    # Each is queued by the fake whatever it answers; the output comes 0.3 s later.
    items = [
        {"id": "e500", "answer": "500", "delay": 0.3},
        {"id": "bad", "answer": "bad", "delay": 0.3},
        {"id": "drop", "answer": "drop", "delay": 0.3},
    ]
    with FakeAsyncBaseten() as fake:
        results = gen_batch(items, engine=engine(fake, submitters=1), state=state)
        assert [r.status for r in results] == ["done", "done", "done"]
        assert [r.output for r in results] == [{"echo": i} for i in items]
        # Nothing is failed, so --retry-failed sends nothing again: nothing ran twice.
        gen_batch(items, engine=engine(fake), state=state, retry_failed=True)
        assert fake.submits == Counter({"e500": 1, "bad": 1, "drop": 1})


def test_unknown_items_are_not_waited_for_past_unknown_wait(tmp_path: Path) -> None:
    with FakeAsyncBaseten() as fake:
        t0 = time.monotonic()
        results = gen_batch(
            [{"id": 0, "answer": "500", "delay": 2.0}],
            engine=engine(fake, unknown_wait=0),
            state=tmp_path / "s.sqlite",
        )
        took = time.monotonic() - t0
    assert results[0].status == "unknown" and results[0].error is not None
    assert results[0].error.status_code == 500
    assert took < 1.5


def test_a_crash_recovered_unknown_item_says_why(tmp_path: Path) -> None:
    state = tmp_path / "s.sqlite"
    items = [{"id": 0}]
    with BatchStore(state) as store:
        store.load(items)
        store.mark_sending(0)  # the process was killed during this submit
    with FakeAsyncBaseten() as fake:
        store = BatchStore(state)
        store.check_meta("engine", "async", "engine")
        store.close()
        results = gen_batch(items, engine=engine(fake, unknown_wait=0), state=state)
        assert fake.submits == Counter()
    assert results[0].status == "unknown" and results[0].error is not None
    assert results[0].error.type == "SubmitInterrupted"
    assert "resend_unknown" in results[0].error.message


class FirstSubmitDelivers(httpx.AsyncBaseTransport):
    """The fake's transport, but the first submit first delivers ``late`` (an output of an
    earlier run) to the webhook of item ``index``, as Baseten would have at that moment."""

    def __init__(self, fake: FakeAsyncBaseten, index: int, late: bytes) -> None:
        self.inner = fake.async_transport()
        self.index, self.late = index, late

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/async_predict") and self.late:
            hook = json.loads(request.content)["webhook_endpoint"]
            url = hook.rsplit("/", 1)[0] + f"/{self.index}"
            headers = {"X-BASETEN-SIGNATURE": genai_baseten.sign_webhook(self.late, SECRET)}
            assert httpx.post(url, content=self.late, headers=headers).status_code == 200
            self.late = b""
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_an_item_no_longer_pending_is_not_submitted(tmp_path: Path) -> None:
    # resend_unknown put item 1 back to pending, then its old delivery filled it while item 0
    # was being submitted: mark_sending refuses, and the submitter must not send it.
    state = tmp_path / "s.sqlite"
    items = [{"id": 0}, {"id": 1}]
    with BatchStore(state) as store:
        store.load(items)
        store.mark_sending(1)  # an earlier process was killed during this submit
        store.check_meta("engine", "async", "engine")
    with FakeAsyncBaseten() as fake:
        eng = AsyncInferenceEngine(
            TARGET,
            webhook_secret=SECRET,
            api_key=KEY,
            local_webhook=True,
            transport=FirstSubmitDelivers(fake, 1, delivery("r-old", {"old": True})),
            submitters=1,  # item 1 is taken as pending, then waits for item 0's submit
            resend_unknown=True,
            tick=0.02,
        )
        results = gen_batch(items, engine=eng, state=state)
        assert fake.submits == Counter({0: 1})  # item 1 was never sent again
    assert [r.status for r in results] == ["done", "done"]
    assert [r.output for r in results] == [{"echo": {"id": 0}}, {"old": True}]


# --- errors leaving the batch --------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503])
def test_a_failing_status_poll_does_not_stop_the_batch(tmp_path: Path, status: int) -> None:
    with FakeAsyncBaseten() as fake:
        fake.status_error = status
        eng = engine(fake, poll_after=0.0, poll_rate=20, timeout=20)
        results = gen_batch([{"id": 0, "delay": 0.4}], engine=eng, state=tmp_path / "s.sqlite")
        assert fake.status_calls >= 1  # it was polled, and the errors were shrugged off
    assert results[0].status == "done"


def test_engine_timeout_is_an_api_timeout_error(tmp_path: Path) -> None:
    with FakeAsyncBaseten() as fake:
        eng = engine(fake, timeout=0.3)
        with pytest.raises(APITimeoutError) as info:
            gen_batch([{"id": 0, "hold": True}], engine=eng, state=tmp_path / "s.sqlite")
    assert isinstance(info.value.__cause__, TimeoutError)


def test_public_url_is_required_for_a_baseten_target() -> None:
    with pytest.raises(ValidationError, match="public_url"):
        AsyncInferenceEngine(TARGET, webhook_secret=SECRET)
    AsyncInferenceEngine(TARGET, webhook_secret=SECRET, public_url="https://hooks.test")


# --- options and system prompts ------------------------------------------------------------------


def test_async_engine_sends_system_prompt_stop_and_sampling_options(tmp_path: Path) -> None:
    opts = TextOptions(system_prompt="Be brief.", stop=["\n\n"], top_k=5, max_tokens=7, seed=3)
    with FakeAsyncBaseten() as fake:
        results = gen_batch(
            ["Say hi", BatchInput("Say bye", system_prompt="Be French.")],
            opts,
            engine=engine(fake),
            state=tmp_path / "s.sqlite",
        )
    fields = {"stop": ["\n\n"], "top_k": 5, "max_tokens": 7, "seed": 3}
    assert results[0].output == {
        "echo": {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Say hi"},
            ],
            **fields,
        }
    }
    assert results[1].output == {  # the item's own system prompt wins
        "echo": {
            "messages": [
                {"role": "system", "content": "Be French."},
                {"role": "user", "content": "Say bye"},
            ],
            **fields,
        }
    }


def test_async_engine_refuses_options_it_cannot_send(tmp_path: Path) -> None:
    def tool(city: str) -> str:
        """Weather of a city."""
        return city

    with FakeAsyncBaseten() as fake:
        with pytest.raises(ValidationError, match="tools"):
            gen_batch(["hi"], TextOptions(tools=[tool]), engine=engine(fake), state=tmp_path / "a")
        with pytest.raises(ValidationError, match="TextOptions only"):
            gen_batch(["hi"], object(), engine=engine(fake), state=tmp_path / "b")
        assert fake.submits == Counter()


class RecordingProvider:
    """A sync Provider recording the options of each call."""

    def __init__(self) -> None:
        self.options: list[tuple[object, ...]] = []

    def gen_sync(self, messages: list[Message], *options: object) -> Result:
        self.options.append(options)
        return Result(replies=[Reply(text=messages[-1].text)])


def test_chat_engine_passes_an_items_system_prompt_as_the_system_prompt(tmp_path: Path) -> None:
    provider = RecordingProvider()
    gen_batch(
        [BatchInput("hi", system_prompt="Be brief.")],
        TextOptions(max_tokens=9),
        engine=ChatEngine(provider, concurrency=1),
        state=tmp_path / "s.sqlite",
    )
    (opts,) = provider.options
    (text,) = opts
    assert isinstance(text, TextOptions)
    assert (text.system_prompt, text.max_tokens) == ("Be brief.", 9)


# --- Retry-After -----------------------------------------------------------------------------


def test_a_long_retry_after_holds_the_batch_whatever_its_size() -> None:
    assert hold_seconds(0, 120.0) == 120.0
    assert hold_seconds(3, 3600.0) == 3600.0
    assert 0 < hold_seconds(0, None) <= 0.5


class LongRetryAfterProvider:
    def __init__(self) -> None:
        self.calls = 0

    async def gen_sync(self, messages: list[Message], *options: object) -> Result:
        self.calls += 1
        raise RateLimitError("slow down", status_code=429, retry_after=120.0, provider="fake")


def test_chat_engine_waits_a_retry_after_above_a_minute(tmp_path: Path) -> None:
    provider = LongRetryAfterProvider()

    async def main() -> None:
        with anyio.move_on_after(1.0):
            await agen_batch(
                ["a"], engine=ChatEngine(provider, concurrency=1), state=tmp_path / "s.sqlite"
            )

    anyio.run(main)
    # The backoff used instead (0.5 s, then 1 s) would have called again within the second.
    assert provider.calls == 1


class Stopping(ChatEngine):
    """A chat engine whose run stops on ``errors`` at once, inside task groups as anyio
    raises them (a group per level of tasks, one member per failed task)."""

    def __init__(self, *errors: BaseException, levels: int = 1) -> None:
        super().__init__(_Echo(), concurrency=1)
        self.errors, self.levels = errors, levels

    async def run(self, run: Any, options: Any) -> None:
        await self._fail(self.levels)

    async def _fail(self, levels: int) -> None:
        if levels == 0:
            raise self.errors[0]
        async with anyio.create_task_group() as tg:
            if levels > 1:
                tg.start_soon(self._fail, levels - 1)
                return
            for error in self.errors:
                tg.start_soon(self._raise, error)

    @staticmethod
    async def _raise(error: BaseException) -> None:
        # Shielded: each raises, none is cancelled by another's failure first.
        with anyio.CancelScope(shield=True):
            await anyio.sleep(0.01)
        raise error


class _Echo:
    async def gen_sync(self, messages: Any, *options: Any) -> Result:
        raise AssertionError("not called")


def test_task_group_errors_leave_as_the_library_errors(tmp_path: Path) -> None:
    def stop(eng: ChatEngine) -> BaseException:
        with pytest.raises(BaseException) as info:
            gen_batch(["a"], engine=eng, state=tmp_path / f"{id(eng)}.sqlite")
        return info.value

    # One error, however deep in task groups: that error itself.
    inner = ValidationError("bad item")
    assert stop(Stopping(inner, levels=2)) is inner
    bug = KeyError("x")
    assert stop(Stopping(bug)) is bug
    # Library errors together: the first.
    both = stop(Stopping(ValidationError("first"), ValidationError("second")))
    assert isinstance(both, ValidationError) and str(both) in ("first", "second")
    # A timeout: an APITimeoutError caused by it.
    timeout = stop(Stopping(TimeoutError(), levels=0))
    assert isinstance(timeout, APITimeoutError) and isinstance(timeout.__cause__, TimeoutError)
    # Several errors not all the library's: one GenAIError saying how many.
    several = stop(Stopping(ValueError("a"), inner))
    assert isinstance(several, GenAIError) and "2 errors" in str(several)


class Refusing(httpx.AsyncBaseTransport):
    """The fake's transport, refusing the first ``refusals`` connections (nothing sent)."""

    def __init__(self, fake: FakeAsyncBaseten, refusals: int) -> None:
        self.inner = fake.async_transport()
        self.refusals = refusals
        self.attempts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        if self.attempts <= self.refusals:
            raise httpx.ConnectError("connection refused", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.parametrize("refusals", [1, 9])
def test_a_submit_refused_before_sending_is_sent_again_or_fails(
    tmp_path: Path, refusals: int
) -> None:
    # A connection refused before any byte left queued nothing: it is safe to send again, and
    # if it never gets through the item failed (not unknown: retry_failed may resend it).
    holds: list[tuple[int, float | None]] = []

    def no_wait(attempt: int, retry_after: float | None) -> float:
        holds.append((attempt, retry_after))
        return 0.0

    with FakeAsyncBaseten() as fake:
        transport = Refusing(fake, refusals)
        eng = AsyncInferenceEngine(
            TARGET,
            webhook_secret=SECRET,
            local_webhook=True,
            api_key=KEY,
            transport=transport,
            backoff=no_wait,
            tick=0.02,
        )
        results = gen_batch([{"id": 0}], engine=eng, state=tmp_path / "s.sqlite")
        submits = fake.submits
    if refusals == 1:
        assert (results[0].status, results[0].output) == ("done", {"echo": {"id": 0}})
        assert (transport.attempts, holds) == (2, [(0, None)])
        assert submits == Counter({0: 1})
    else:
        # Five attempts (four holds in between), then the item failed, never reaching Baseten.
        assert (results[0].status, transport.attempts) == ("failed", 5)
        assert holds == [(0, None), (1, None), (2, None), (3, None)]
        assert submits == Counter()
