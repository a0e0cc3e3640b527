"""gen_batch: input order, per-item errors, one rate limit for the whole batch, resuming after a
crash with nothing lost and nothing run twice (counted on the server side)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fake_baseten_async import SECRET, FakeAsyncBaseten

import genai_baseten
from genai_baseten import AsyncInferenceEngine, BatchProgress, ChatEngine, agen_batch, gen_batch
from genai_baseten.batch import RateGate, TokenBucket
from genai_baseten.batch_store import BatchStore
from genai_core import BadRequestError, Message, RateLimitError, Reply, Result, ValidationError

KEY = "fake-baseten-key-000000"
TARGET = "https://model-abcd1234.api.baseten.co/production"


# --- sans-IO pacing ---------------------------------------------------------------------------


def test_token_bucket_paces_to_the_rate() -> None:
    bucket = TokenBucket(rate=10, burst=2)
    # Two at once (the burst), then one every 0.1 s.
    assert [bucket.reserve(0.0) for _ in range(4)] == pytest.approx([0, 0, 0.1, 0.2])
    assert bucket.reserve(1.0) == 0.0  # refilled after a pause


def test_rate_gate_holds_until_the_latest_deadline() -> None:
    gate = RateGate()
    gate.hold(10.0, 2.0)
    gate.hold(10.5, 0.5)  # a shorter hold does not shorten the first
    assert gate.wait(11.0) == pytest.approx(1.0)
    assert gate.wait(13.0) == 0.0


# --- fake chat providers ---------------------------------------------------------------------


class CountingProvider:
    """A sync Provider: answers "echo: <prompt>"; counts calls per prompt; fails on 'bad'."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.delay = delay

    def gen_sync(self, messages: list[Message], *options: object) -> Result:
        prompt = messages[-1].text
        with self.lock:
            self.calls[prompt] += 1
        if self.delay:
            time.sleep(self.delay)
        if prompt == "bad":
            raise BadRequestError("bad prompt", status_code=400, provider="fake")
        return Result(replies=[Reply(text=f"echo: {prompt}")])


class AsyncRateLimitedProvider:
    """An AsyncProvider whose first call gets a 429 with Retry-After; records call times."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        self.starts: list[tuple[float, str]] = []
        self.limited_at: float | None = None

    async def gen_sync(self, messages: list[Message], *options: object) -> Result:
        now = time.monotonic()
        self.starts.append((now, messages[-1].text))
        if self.limited_at is None:
            self.limited_at = now
            raise RateLimitError(
                "slow down", status_code=429, retry_after=self.retry_after, provider="fake"
            )
        await anyio.sleep(0.01)
        return Result(replies=[Reply(text=messages[-1].text.upper())])


def test_chat_engine_results_in_input_order(tmp_path: Path) -> None:
    provider = CountingProvider(delay=0.001)
    prompts = [f"p{i}" for i in range(40)] + ["bad"]
    seen: list[BatchProgress] = []
    results = gen_batch(
        prompts,
        engine=ChatEngine(provider, concurrency=8),
        state=tmp_path / "s.sqlite",
        progress=seen.append,
    )
    assert len(results) == 41
    items = list(results)
    assert [i.index for i in items] == list(range(41))
    assert [i.output.text for i in items[:40]] == [f"echo: p{i}" for i in range(40)]
    assert items[40].status == "failed" and items[40].output is None
    assert items[40].error is not None and items[40].error.status_code == 400
    assert "bad prompt" in str(items[40].error)
    assert results[-1].error == items[40].error
    assert seen[-1].finished == 41 and seen[-1].done == 40 and seen[-1].failed == 1
    assert set(provider.calls.values()) == {1}


@pytest.mark.anyio
async def test_retry_after_holds_the_whole_batch(tmp_path: Path) -> None:
    provider = AsyncRateLimitedProvider(retry_after=0.3)
    results = await agen_batch(
        [f"q{i}" for i in range(6)],
        engine=ChatEngine(provider, concurrency=3),
        state=tmp_path / "s.sqlite",
    )
    assert [r.output.text for r in results] == [f"Q{i}" for i in range(6)]
    assert provider.limited_at is not None
    # Calls already started with the 429 are in flight; no call *starts* in the hold window.
    later = [t for t, _ in provider.starts if t > provider.limited_at + 0.001]
    assert later, "the batch went on after the hold"
    in_window = [t for t in later if t < provider.limited_at + 0.3 - 0.02]
    assert len(in_window) <= 2  # only the two calls started together with the limited one
    assert len(provider.starts) == 7  # six items, one of them twice (the 429)


class Crash(Exception):
    pass


def test_chat_resume_after_crash_runs_nothing_twice(tmp_path: Path) -> None:
    provider = CountingProvider()
    prompts = [f"p{i}" for i in range(30)]
    state = tmp_path / "s.sqlite"

    def crash_after_10(p: BatchProgress) -> None:
        if p.done >= 10:
            raise Crash

    # concurrency=1: nothing else is in flight when the crash comes.
    with pytest.raises(Crash):
        gen_batch(
            prompts,
            engine=ChatEngine(provider, concurrency=1),
            state=state,
            progress=crash_after_10,
        )
    with BatchStore(state) as store:
        assert store.counts().done == 10
    results = gen_batch(prompts, engine=ChatEngine(provider, concurrency=4), state=state)
    assert [r.output.text for r in results] == [f"echo: {p}" for p in prompts]
    assert provider.calls == Counter({p: 1 for p in prompts})


def test_rerun_with_other_inputs_or_options_is_refused(tmp_path: Path) -> None:
    from genai_core import TextOptions

    state = tmp_path / "s.sqlite"
    gen_batch(["a", "b"], engine=ChatEngine(CountingProvider()), state=state)
    with pytest.raises(ValidationError, match="other inputs"):
        gen_batch(["a", "c"], engine=ChatEngine(CountingProvider()), state=state)
    with pytest.raises(ValidationError, match="other options"):
        gen_batch(
            ["a", "b"],
            TextOptions(max_tokens=5),
            engine=ChatEngine(CountingProvider()),
            state=state,
        )
    with pytest.raises(ValidationError, match="conversation"):
        gen_batch([42], engine=ChatEngine(CountingProvider()), state=tmp_path / "t.sqlite")


def test_failed_items_retried_only_when_asked(tmp_path: Path) -> None:
    provider = CountingProvider()
    state = tmp_path / "s.sqlite"
    gen_batch(["ok", "bad"], engine=ChatEngine(provider), state=state)
    gen_batch(["ok", "bad"], engine=ChatEngine(provider), state=state)
    assert provider.calls == Counter({"ok": 1, "bad": 1})
    gen_batch(["ok", "bad"], engine=ChatEngine(provider), state=state, retry_failed=True)
    assert provider.calls == Counter({"ok": 1, "bad": 2})


# --- async inference engine against the loopback fake ---------------------------------------


def engine(fake: FakeAsyncBaseten, **kw: Any) -> AsyncInferenceEngine:
    return AsyncInferenceEngine(
        TARGET,
        webhook_secret=SECRET,
        api_key=KEY,
        transport=fake.async_transport(),
        local_webhook=True,
        tick=0.02,
        **kw,
    )


def test_async_engine_collects_outputs_by_webhook(tmp_path: Path) -> None:
    items: list[Any] = [{"id": i} for i in range(50)]
    items.append({"id": "f", "fail": True})
    with FakeAsyncBaseten() as fake:
        results = gen_batch(items, engine=engine(fake), state=tmp_path / "s.sqlite")
    out = list(results)
    assert [r.output for r in out[:50]] == [{"echo": {"id": i}} for i in range(50)]
    assert out[50].status == "failed" and out[50].error is not None
    assert out[50].error.codes == ("MODEL_PREDICT_ERROR",)
    assert all(r.request_id for r in out)
    assert set(fake.submits.values()) == {1}
    assert fake.status_calls == 0  # webhooks arrived; nothing needed polling


def test_async_engine_sends_chat_bodies_for_conversations(tmp_path: Path) -> None:
    from genai_core import TextOptions

    with FakeAsyncBaseten() as fake:
        results = gen_batch(
            ["Say hi"], TextOptions(max_tokens=7), engine=engine(fake), state=tmp_path / "s.sqlite"
        )
    assert results[0].output == {
        "echo": {"messages": [{"role": "user", "content": "Say hi"}], "max_tokens": 7}
    }


def test_async_engine_backs_off_on_both_429s(tmp_path: Path) -> None:
    with FakeAsyncBaseten() as fake:
        fake.script_429 = [("rate", 0.05), ("queue", None)]
        eng = engine(fake, submitters=1)
        t0 = time.monotonic()
        results = gen_batch([{"id": 1}, {"id": 2}], engine=eng, state=tmp_path / "s.sqlite")
        took = time.monotonic() - t0
    assert [r.ok for r in results] == [True, True]
    assert fake.submits == Counter({1: 1, 2: 1})  # refused submits queued nothing
    assert took >= 5.0  # the queue cap waits at least 5 s: the queue drains at the model's pace


def test_async_engine_notices_expiry_and_lost_outputs_by_polling(tmp_path: Path) -> None:
    with FakeAsyncBaseten(deliver=False) as fake:
        eng = engine(fake, poll_after=0.0, poll_rate=20)
        results = gen_batch(
            [{"id": "e", "expire": True}, {"id": "lost"}], engine=eng, state=tmp_path / "s.sqlite"
        )
    expired, lost = list(results)
    assert expired.status == "failed" and expired.error is not None
    assert "EXPIRED" in expired.error.message
    assert lost.status == "unknown" and lost.error is not None
    assert "resend_unknown" in lost.error.message


def test_async_engine_resumes_after_crash_without_running_anything_twice(tmp_path: Path) -> None:
    state = tmp_path / "s.sqlite"
    items = [{"id": i} for i in range(40)]
    with FakeAsyncBaseten() as fake:

        def crash(p: BatchProgress) -> None:
            if p.done >= 10:
                raise Crash

        with pytest.raises(Crash):
            gen_batch(items, engine=engine(fake), state=state, progress=crash)
        # A hard kill in the middle of a submit leaves an item "sending": simulate one that
        # Baseten never received.
        with BatchStore(state) as store:
            pending = store.take("pending", 1)
            assert pending, "the crash came before every item was submitted"
            store.mark_sending(pending[0][0])
            ambiguous = pending[0][0]
        # unknown_wait=0: the ambiguous item's output is not awaited (it was never queued).
        results = gen_batch(items, engine=engine(fake, unknown_wait=0), state=state)
        by_status = Counter(r.status for r in results)
        assert by_status == Counter({"done": 39, "unknown": 1})
        assert results[ambiguous].status == "unknown"
        assert max(fake.submits.values()) == 1  # nothing was submitted twice
        assert ambiguous not in fake.submits
        # The user decides to send it: only that one goes out.
        results = gen_batch(items, engine=engine(fake, resend_unknown=True), state=state)
        assert all(r.ok for r in results)
        assert fake.submits == Counter({i: 1 for i in range(40)})


def test_asgi_receiver_files_a_delivery(tmp_path: Path) -> None:
    state = tmp_path / "s.sqlite"
    with BatchStore(state) as store:
        store.load([{"id": 0}])
    app = genai_baseten.webhook_asgi_app(state, token="tok", secrets=[SECRET])
    body = json.dumps(
        {
            "request_id": "r0",
            "type": "async_request_completed",
            "time": "2024-04-30T01:01:08Z",
            "data": {"ok": 1},
            "errors": [],
        }
    ).encode()
    sent: list[dict[str, Any]] = []

    async def run(headers: list[tuple[bytes, bytes]]) -> int:
        messages = [
            {"type": "http.request", "body": body[:10], "more_body": True},
            {"type": "http.request", "body": body[10:], "more_body": False},
        ]

        async def receive() -> dict[str, Any]:
            return messages.pop(0)

        async def send(m: dict[str, Any]) -> None:
            sent.append(m)

        scope = {"type": "http", "method": "POST", "path": "/hooks/tok/0", "headers": headers}
        await app(scope, receive, send)
        return int([m for m in sent if m["type"] == "http.response.start"][-1]["status"])

    assert anyio.run(run, [(b"x-baseten-signature", b"v1=" + b"0" * 64)]) == 401
    good = genai_baseten.sign_webhook(body, SECRET).encode()
    assert anyio.run(run, [(b"x-baseten-signature", good)]) == 200
    with BatchStore(state) as store:
        item = store.item(0)
    assert item is not None and item.status == "done" and json.loads(item.result or "") == {"ok": 1}


def test_engine_arguments_checked_before_anything_starts() -> None:
    with pytest.raises(ValidationError, match="priority"):
        AsyncInferenceEngine(TARGET, webhook_secret=SECRET, priority=7)
    with pytest.raises(ValidationError, match="submit_rate"):
        AsyncInferenceEngine(TARGET, webhook_secret=SECRET, submit_rate=500)
    with pytest.raises(ValidationError, match="async"):
        AsyncInferenceEngine(
            "https://chain-abc123.api.baseten.co/production", webhook_secret=SECRET
        )
    with pytest.raises(ValidationError, match="concurrency"):
        ChatEngine(CountingProvider(), concurrency=0)
    _ = httpx  # the transport module is used by the fake
