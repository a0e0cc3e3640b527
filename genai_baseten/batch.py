"""Batch generation: tens of thousands of prompts, resumable, with their state in SQLite.

::

    results = genai_baseten.gen_batch(
        conversations, genai.TextOptions(max_tokens=200),
        engine=genai_baseten.ChatEngine(client, concurrency=32),
        state="batch.sqlite",
    )
    for item in results:            # input order, read from the state file
        print(item.index, item.output.text if item.ok else item.error)

Two engines behind the one call:

* :class:`ChatEngine`: chat calls on any ``Provider`` / ``AsyncProvider``, at most
  ``concurrency`` at a time; a 429 holds *every* task until its ``Retry-After`` has passed (one
  rate limit for the whole batch, not one per task).
* :class:`AsyncInferenceEngine`: Baseten async inference on a dedicated model. Submits at most
  200 requests/s (the documented rate) with at most ``max_in_flight`` queued (the organisation
  cap is 50,000), collects outputs with a signed-webhook receiver writing into the same state
  file, and polls the status only to notice failures and expiry.

Resuming: the state file records every item's input hash, status, request id and result. Run
the same call again after a crash or Ctrl-C: finished items are not sent again, and only the
missing ones are. An item whose request was on its way when the process stopped:

* chat: its answer was lost with the process, so it is sent again;
* async: the request id is recorded before the submit returns to the caller, and every webhook
  URL names its item, so an output is filed even when the id was not; a submit cut short
  before Baseten's answer is ``unknown`` (never sent twice unless ``resend_unknown=True``).
"""

from __future__ import annotations

import inspect
import json
import logging
import secrets as _secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple, Protocol, overload

import anyio
import anyio.abc
import httpx

from genai_core.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    GenAIError,
    MalformedResponseError,
    NotFoundError,
    RateLimitError,
    StreamError,
    ValidationError,
)
from genai_core.http import retry_delay
from genai_core.options import TextOptions
from genai_core.types import Message, Result

from .async_client import aget_async_request, asubmit
from .async_inference import (
    PREDICT_RATE_PER_SECOND,
    QUEUE_CAP,
    AsyncLimit,
    AsyncRateLimitError,
    AsyncRequestStatus,
    InferenceRetryConfig,
    WebhookStatus,
    async_predict_call,
    build_async_predict_body,
)
from .batch_receiver import WebhookReceiver
from .batch_store import (
    DONE,
    FAILED,
    PENDING,
    SENDING,
    UNKNOWN,
    BatchCounts,
    BatchStore,
    StoredItem,
)
from .calls import not_sent
from .platform import AsyncPlatformClient
from .targets import Target

__all__ = [
    "AsyncInferenceEngine",
    "BatchInput",
    "BatchItem",
    "BatchItemError",
    "BatchProgress",
    "BatchResults",
    "ChatEngine",
    "RateGate",
    "TokenBucket",
    "agen_batch",
    "gen_batch",
]

#: Items read from the state file per page while feeding the engines.
_PAGE = 256

log = logging.getLogger("genai.baseten.batch")

#: Baseten's default ``max_time_in_queue_seconds``, and how long past it an output may still
#: come (the model's run and the delivery's retries).
_DEFAULT_QUEUE_SECONDS = 600
_UNKNOWN_MARGIN = 300.0

#: Attempts of a submit whose connection is refused before sending (then the item fails: it
#: never reached Baseten, so ``retry_failed=True`` may send it again safely).
_UNSENT_ATTEMPTS = 5


# --- sans-IO pacing -------------------------------------------------------------------------


class RateGate:
    """One "not before" time for the whole batch: a 429's Retry-After holds every task."""

    def __init__(self) -> None:
        self.not_before = 0.0

    def hold(self, now: float, seconds: float) -> None:
        self.not_before = max(self.not_before, now + max(seconds, 0.0))

    def wait(self, now: float) -> float:
        return max(self.not_before - now, 0.0)


def hold_seconds(attempt: int, retry_after: float | None) -> float:
    """How long a 429 holds the whole batch: the server's ``Retry-After`` whatever its size
    (a batch has time; sending earlier is only refused again), else exponential backoff."""
    if retry_after is not None and retry_after > 0:
        return retry_after
    return retry_delay(attempt, None, _rand)


class TokenBucket:
    """``rate`` events per second with bursts of ``burst``: :meth:`reserve` takes one and says
    how long to wait before using it."""

    def __init__(self, rate: float, burst: float) -> None:
        if not rate > 0 or not burst >= 1:
            raise ValidationError(f"rate must be > 0 and burst >= 1, got {rate!r}, {burst!r}")
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.last: float | None = None

    def reserve(self, now: float) -> float:
        if self.last is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        self.tokens -= 1.0
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


# --- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchInput:
    """One conversation with its own system prompt (``system_prompt`` overrides the batch's
    ``TextOptions(system_prompt=...)`` for this item)."""

    conversation: str | Message | Sequence[Message]
    system_prompt: str | None = None

    def __post_init__(self) -> None:
        if self.system_prompt is not None and not isinstance(self.system_prompt, str):
            raise ValidationError(
                f"system_prompt must be a string or None, got {type(self.system_prompt).__name__}"
            )


def _with_system(options: Sequence[object], system: str | None) -> list[object]:
    """``options`` with the item's system prompt in its TextOptions (one added if none)."""
    if system is None:
        return list(options)
    out: list[object] = []
    found = False
    for o in options:
        if isinstance(o, TextOptions):
            out.append(o.model_copy(update={"system_prompt": system}))
            found = True
        else:
            out.append(o)
    if not found:
        out.append(TextOptions(system_prompt=system))
    return out


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchItemError:
    """Why an item has no output: the error's class name, its message, the HTTP status and the
    async error codes when there were some."""

    type: str
    message: str
    status_code: int | None = None
    codes: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, text: str) -> BatchItemError:
        data = json.loads(text)
        return cls(
            str(data.get("type", "")),
            str(data.get("message", "")),
            data.get("status_code"),
            tuple(data.get("codes") or ()),
        )

    def __str__(self) -> str:
        status = f" (HTTP {self.status_code})" if self.status_code else ""
        return f"{self.type}{status}: {self.message}"


def _error_dict(exc: BaseException) -> dict[str, Any]:
    out: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, APIError):
        out["status_code"] = exc.status_code
    return out


@dataclass(frozen=True)
class BatchItem:
    """One item's outcome. ``output``: a :class:`~genai_core.Result` (chat engine) or the model's
    JSON output (async engine); ``None`` with ``error`` set otherwise. ``status``: ``done``,
    ``failed``, ``unknown`` (async outcome not knowable) or ``pending``/``sending``/``submitted``
    when the run stopped early."""

    index: int
    status: str
    output: Any
    error: BatchItemError | None
    request_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == DONE


@dataclass(frozen=True)
class BatchProgress:
    """Counts passed to the ``progress`` callback; ``finished = done + failed + unknown``."""

    total: int
    done: int
    failed: int
    unknown: int
    in_flight: int
    elapsed: float

    @property
    def finished(self) -> int:
        return self.done + self.failed + self.unknown


class BatchResults(Sequence[BatchItem]):
    """The items in input order, read from the state file on demand (not held in memory)."""

    def __init__(self, path: str, total: int, decode: Callable[[str], Any]) -> None:
        self.path = path
        self._total = total
        self._decode = decode

    def __len__(self) -> int:
        return self._total

    def _item(self, row: StoredItem) -> BatchItem:
        output = self._decode(row.result) if row.status == DONE and row.result else None
        error = BatchItemError.from_json(row.error) if row.error else None
        return BatchItem(row.index, row.status, output, error, row.request_id)

    def __iter__(self) -> Iterator[BatchItem]:
        with BatchStore(self.path) as store:
            for row in store.items():
                yield self._item(row)

    @overload
    def __getitem__(self, i: int) -> BatchItem: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[BatchItem]: ...
    def __getitem__(self, i: int | slice) -> BatchItem | Sequence[BatchItem]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._total))]
        j = i + self._total if i < 0 else i
        with BatchStore(self.path) as store:
            row = store.item(j)
        if row is None:
            raise IndexError(i)
        return self._item(row)

    def counts(self) -> BatchCounts:
        with BatchStore(self.path) as store:
            return store.counts()


# --- the run --------------------------------------------------------------------------------


class _Run:
    """What the engines share during one run: the store, the clock, progress reporting."""

    def __init__(
        self,
        store: BatchStore,
        total: int,
        progress: Callable[[BatchProgress], None] | None,
        clock: Callable[[], float],
    ) -> None:
        self.store = store
        self.total = total
        self.progress_cb = progress
        self.clock = clock
        self.started = clock()
        self.gate = RateGate()
        c = store.counts()
        self.done, self.failed, self.unknown = c.done, c.failed, c.unknown
        self.in_flight = 0
        self.stopped: Exception | None = None
        self.scope = anyio.CancelScope()

    def report(self) -> None:
        """Call the progress callback. An exception it raises stops the run (every task
        cancelled, what finished kept) and is raised by ``gen_batch`` as it is."""
        if self.progress_cb is None or self.stopped is not None:
            return
        try:
            self.progress_cb(
                BatchProgress(
                    self.total,
                    self.done,
                    self.failed,
                    self.unknown,
                    self.in_flight,
                    self.clock() - self.started,
                )
            )
        except Exception as exc:
            self.stopped = exc
            self.scope.cancel()

    def recount(self) -> BatchCounts:
        c = self.store.counts()
        self.done, self.failed, self.unknown = c.done, c.failed, c.unknown
        self.in_flight = c.in_flight
        return c

    async def wait_gate(self) -> None:
        while (delay := self.gate.wait(self.clock())) > 0:
            await anyio.sleep(delay)


class Engine(Protocol):
    kind: str

    def encode(self, item: Any) -> Any: ...
    def decode(self, text: str) -> Any: ...
    def fingerprint(self, options: Sequence[object]) -> str: ...
    async def run(self, run: _Run, options: Sequence[object]) -> None: ...


def _messages(item: Any) -> list[Message]:
    if isinstance(item, str):
        return [Message.user(item)]
    if isinstance(item, Message):
        return [item]
    if isinstance(item, (list, tuple)) and all(isinstance(m, Message) for m in item) and item:
        return list(item)
    raise ValidationError(
        "each conversation must be a prompt string, a Message or a non-empty list of Messages, "
        f"got {type(item).__name__}"
    )


def _options_fingerprint(options: Sequence[object]) -> str:
    parts = []
    for o in options:
        dump = getattr(o, "model_dump", None)
        parts.append([type(o).__name__, dump(mode="json") if dump else repr(o)])
    return json.dumps(parts, sort_keys=True, default=str)


class ChatEngine:
    """Chat calls with at most ``concurrency`` in flight, on a ``Provider`` (run in worker
    threads) or an ``AsyncProvider``. A 429 holds the whole batch for its Retry-After (or an
    exponential backoff when it gives none) and the item is tried again, up to
    ``max_attempts`` times; any other error is the item's error. Build the client with
    ``max_retries=0`` to leave 429 handling to the batch alone."""

    kind = "chat"

    def __init__(self, provider: Any, *, concurrency: int = 16, max_attempts: int = 8) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValidationError(f"concurrency must be an integer >= 1, got {concurrency!r}")
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValidationError(f"max_attempts must be an integer >= 1, got {max_attempts!r}")
        if not callable(getattr(provider, "gen_sync", None)):
            raise ValidationError("provider must have gen_sync (a genai Provider or AsyncProvider)")
        self.provider = provider
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self._is_async = inspect.iscoroutinefunction(provider.gen_sync)

    def encode(self, item: Any) -> Any:
        if isinstance(item, BatchInput):
            messages = [m.model_dump(mode="json") for m in _messages(item.conversation)]
            if item.system_prompt is None:
                return messages
            return {"system_prompt": item.system_prompt, "messages": messages}
        return [m.model_dump(mode="json") for m in _messages(item)]

    def decode(self, text: str) -> Result:
        return Result.model_validate_json(text)

    def fingerprint(self, options: Sequence[object]) -> str:
        return _options_fingerprint(options)

    async def _call(self, messages: list[Message], options: Sequence[object]) -> Result:
        if self._is_async:
            result: Result = await self.provider.gen_sync(messages, *options)
            return result
        return await _in_daemon_thread(
            partial(self.provider.gen_sync, messages, *options), self._threads
        )

    async def run(self, run: _Run, options: Sequence[object]) -> None:
        # An answer that was on its way when the last run stopped was lost with that process.
        run.store.reset(SENDING, PENDING)
        self._threads = anyio.CapacityLimiter(self.concurrency)
        slots = anyio.Semaphore(self.concurrency)
        async with anyio.create_task_group() as tg:
            last = -1
            while page := run.store.take(PENDING, _PAGE, after=last):
                for index, text in page:
                    await slots.acquire()
                    tg.start_soon(self._one, run, index, text, options, slots)
                last = page[-1][0]

    async def _one(
        self, run: _Run, index: int, text: str, options: Sequence[object], slots: anyio.Semaphore
    ) -> None:
        try:
            stored = json.loads(text)
            system = stored.get("system_prompt") if isinstance(stored, dict) else None
            if isinstance(stored, dict):
                stored = stored["messages"]
            messages = [Message.model_validate_json(json.dumps(m)) for m in stored]
            item_options = _with_system(options, system)
            if not run.store.mark_sending(index):
                return  # finished meanwhile (another process on the same state)
            run.in_flight += 1
            try:
                for attempt in range(self.max_attempts):
                    await run.wait_gate()
                    try:
                        result = await self._call(messages, item_options)
                    except RateLimitError as exc:
                        if attempt + 1 >= self.max_attempts:
                            raise
                        run.gate.hold(run.clock(), hold_seconds(attempt, exc.retry_after))
                        continue
                    run.store.mark_done(index, result.model_dump_json())
                    run.done += 1
                    return
            finally:
                run.in_flight -= 1
        except GenAIError as exc:
            run.store.mark_failed(index, _error_dict(exc))
            run.failed += 1
        finally:
            run.report()
            slots.release()


async def _in_daemon_thread(call: Callable[[], Result], limiter: anyio.CapacityLimiter) -> Result:
    """``call()`` in a daemon thread, awaited from a worker thread that a cancellation (Ctrl-C)
    abandons. A blocking read cannot be interrupted, not even by closing its socket, and an
    abandoned non-daemon thread would keep the process alive until the read timeout."""
    done = threading.Event()
    outcome: list[tuple[bool, Any]] = []

    def work() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as exc:  # handed to the awaiting task as is
            outcome.append((False, exc))
        finally:
            done.set()

    threading.Thread(target=work, name="genai-batch-call", daemon=True).start()
    try:
        await anyio.to_thread.run_sync(done.wait, limiter=limiter, abandon_on_cancel=True)
    finally:
        done.set()  # cancelled: frees the waiting worker; the call is left to its daemon thread
    ok, value = outcome[0]
    if not ok:
        raise value
    result: Result = value
    return result


def _rand() -> float:
    return _secrets.randbelow(1 << 20) / float(1 << 20)


class _Submitting(NamedTuple):
    """What every submitter task of one run shares."""

    run: _Run
    client: AsyncPlatformClient
    base: str
    options: Sequence[object]
    bucket: TokenBucket


class AsyncInferenceEngine:
    """Baseten async inference on a dedicated model, outputs collected by webhook.

    ``target``: the model (a :class:`Target` or its URL). Calls go through ``client`` (kept
    open; for :func:`agen_batch`) or a client made per run from ``api_key`` and ``transport``.
    ``webhook_secret``: the workspace's webhook secret(s); every delivery is verified against
    them (``None`` only for a workspace without one, on a private network). The receiver
    listens on ``host:port`` (0: a free port); ``public_url`` is the HTTPS address Baseten
    reaches it by (a tunnel or a proxy), required: Baseten cannot deliver to 127.0.0.1. Only
    for a fake of Baseten on this machine, ``local_webhook=True`` gives the receiver's local
    address instead. Keep ``public_url`` (or the port) the same across reruns: requests already
    queued deliver to the address they were given. ``submit_rate`` (requests/s, <= 200) and
    ``max_in_flight`` (<= 50,000) keep within the documented limits. Items whose status has
    not changed for ``poll_after`` seconds are polled (``poll_rate`` per second, <= 20) to
    notice failures, expiry and lost deliveries.

    An item whose submit got no usable answer (a lost connection, a 5xx, a malformed 201) is
    ``unknown``: Baseten may have queued it, so it is not sent again, and its output is still
    filed when it arrives. The receiver stays up for such items until ``unknown_wait`` seconds
    after their submit (default: ``max_time_in_queue_seconds``, or Baseten's 600 s, plus 300 s
    for the run and the delivery; 0: do not wait).

    ``backoff(attempt, retry_after)`` is how many seconds a 429, or a submit refused before it
    was sent, holds every submit of the batch (``attempt`` counts from 0 per item;
    ``retry_after`` is the server's, or None): by default :func:`hold_seconds`, the server's
    Retry-After whatever its size, else exponential backoff with jitter. A 429 for the queue
    cap holds at least 5 s whatever it says.

    Conversations are sent as OpenAI chat bodies (``{"messages": [...]}``, the input of an
    Engine-Builder model's ``/predict``), with the TextOptions the body can carry:
    ``system_prompt`` (a first system message), ``max_tokens``, ``temperature``, ``top_p``,
    ``top_k``, ``seed``, ``stop``, ``top_logprobs`` and ``reply_as_json``; any other option is a
    :class:`ValidationError` before anything is sent. Any other item is sent as the
    ``model_input`` itself.
    """

    kind = "async"

    def __init__(
        self,
        target: Target | str,
        *,
        webhook_secret: str | Iterable[str] | None,
        public_url: str | None = None,
        local_webhook: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        client: AsyncPlatformClient | None = None,
        api_key: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        priority: int | None = None,
        max_time_in_queue_seconds: int | None = None,
        inference_retry_config: InferenceRetryConfig | Mapping[str, int] | None = None,
        submit_rate: float = PREDICT_RATE_PER_SECOND,
        max_in_flight: int = 10_000,
        poll_after: float = 120.0,
        poll_rate: float = 5.0,
        tick: float = 0.2,
        submitters: int = 16,
        resend_unknown: bool = False,
        unknown_wait: float | None = None,
        timeout: float | None = None,
        backoff: Callable[[int, float | None], float] = hold_seconds,
    ) -> None:
        self.target = Target.of(target)
        self.target.async_predict_url()  # ValidationError now for a chain or Model APIs
        self.secrets = webhook_secret
        self.public_url = public_url.rstrip("/") if public_url else None
        self.host, self.port = host, port
        self.api_key = api_key
        self.client = client
        self.transport = transport
        self.options = {
            "priority": priority,
            "max_time_in_queue_seconds": max_time_in_queue_seconds,
            "inference_retry_config": inference_retry_config,
        }
        # Checked once now (ValidationError before anything starts), then per item.
        build_async_predict_body(None, **self.options)  # type: ignore[arg-type]
        if not 0 < submit_rate <= PREDICT_RATE_PER_SECOND:
            raise ValidationError(f"submit_rate must be in (0, 200] requests/s, got {submit_rate}")
        if not 0 < max_in_flight <= QUEUE_CAP:
            raise ValidationError(f"max_in_flight must be 1..50000, got {max_in_flight}")
        if not 0 < poll_rate <= 20:
            raise ValidationError(f"poll_rate must be in (0, 20] requests/s, got {poll_rate}")
        self.submit_rate, self.max_in_flight = submit_rate, max_in_flight
        self.poll_after, self.poll_rate, self.tick = poll_after, poll_rate, tick
        self.submitters = submitters
        self.resend_unknown = resend_unknown
        if unknown_wait is None:
            unknown_wait = (max_time_in_queue_seconds or _DEFAULT_QUEUE_SECONDS) + _UNKNOWN_MARGIN
        elif isinstance(unknown_wait, bool) or not unknown_wait >= 0:
            raise ValidationError(f"unknown_wait must be seconds >= 0, got {unknown_wait!r}")
        self.unknown_wait = float(unknown_wait)
        self.timeout = timeout
        self.backoff = backoff
        if not public_url and not local_webhook:
            raise ValidationError(
                "public_url is required: the HTTPS address (a tunnel or a proxy to the receiver "
                "on host:port) Baseten delivers outputs to; it cannot reach 127.0.0.1. Pass "
                "local_webhook=True only for a fake of Baseten on this machine"
            )

    def encode(self, item: Any) -> Any:
        if isinstance(item, BatchInput):
            body = self.encode(item.conversation)
            if item.system_prompt is not None:
                system = {"role": "system", "content": item.system_prompt}
                body["messages"] = [system, *body["messages"]]
            return body
        if isinstance(item, (str, Message)) or (
            isinstance(item, (list, tuple)) and item and all(isinstance(m, Message) for m in item)
        ):
            return {"messages": [_chat_message(m) for m in _messages(item)]}
        return item

    def decode(self, text: str) -> Any:
        return json.loads(text)

    def fingerprint(self, options: Sequence[object]) -> str:
        return _options_fingerprint(options) + json.dumps(str(self.target))

    def _body(self, item_input: Any, hook: str, options: Sequence[object]) -> bytes:
        if isinstance(item_input, dict) and "messages" in item_input:
            fields = _chat_fields(options)
            system = fields.pop("system_prompt", None)
            messages = item_input["messages"]
            has_system = bool(messages) and messages[0].get("role") == "system"
            if system is not None and not has_system:  # an item's own system prompt wins
                messages = [{"role": "system", "content": system}, *messages]
            item_input = {**item_input, **fields, "messages": messages}
        return build_async_predict_body(item_input, webhook_endpoint=hook, **self.options)  # type: ignore[arg-type]

    async def run(self, run: _Run, options: Sequence[object]) -> None:
        _chat_fields(options)  # options the chat body cannot carry: refused before anything
        store = run.store
        # A submit cut short: Baseten may or may not have it. The error says so (the status
        # alone would not tell the user why the item was neither sent again nor finished).
        store.reset(
            SENDING,
            UNKNOWN,
            error={
                "type": "SubmitInterrupted",
                "message": "the process stopped during the submit: Baseten may have queued it; "
                "its output is filed if it arrives, rerun with resend_unknown=True to send it",
            },
        )
        if self.resend_unknown:
            store.reset(UNKNOWN, PENDING)
        run.recount()
        token = store.meta("webhook_token")
        if token is None:
            token = _secrets.token_hex(16)
            store.check_meta("webhook_token", token, "webhook token")
        receiver = WebhookReceiver(
            store.path, token=token, secrets=self.secrets, host=self.host, port=self.port
        ).start()
        base = f"{self.public_url or receiver.url}/{token}"
        # A client of our own per run: an async client's connections belong to one event loop,
        # and gen_batch starts a new loop each time.
        client = self.client or AsyncPlatformClient(api_key=self.api_key, transport=self.transport)
        try:
            with anyio.fail_after(self.timeout) if self.timeout else _nullcm():
                async with anyio.create_task_group() as tg:
                    tg.start_soon(self._submit_all, run, client, base, options)
                    await self._watch(run, client)
                    tg.cancel_scope.cancel()
        finally:
            receiver.stop()
            if self.client is None:
                await client.aclose()

    async def _submit_all(
        self, run: _Run, client: AsyncPlatformClient, base: str, options: Sequence[object]
    ) -> None:
        # Several submits in flight: one at a time would cap the rate at 1/round-trip, far
        # below the 200/s allowed; the shared bucket and gate keep the batch within the limit.
        bucket = TokenBucket(self.submit_rate, max(1.0, self.submit_rate / 10))
        send, receive = anyio.create_memory_object_stream[tuple[int, str]](self.submitters)
        async with anyio.create_task_group() as tg:
            for _ in range(self.submitters):
                sub = _Submitting(run, client, base, options, bucket)
                tg.start_soon(self._submitter, sub, receive.clone())
            receive.close()
            async with send:
                last = -1
                while page := run.store.take(PENDING, _PAGE, after=last):
                    for item in page:
                        while run.in_flight >= self.max_in_flight:
                            await anyio.sleep(self.tick)
                        await send.send(item)
                    last = page[-1][0]

    async def _submitter(
        self, sub: _Submitting, receive: anyio.abc.ObjectReceiveStream[tuple[int, str]]
    ) -> None:
        async with receive:
            async for index, text in receive:
                await self._submit_one(sub, index, text)

    async def _submit_one(self, sub: _Submitting, index: int, text: str) -> None:
        run, client, base, options, bucket = sub
        try:
            body = self._body(json.loads(text), f"{base}/{index}", options)
        except ValidationError as exc:
            run.store.mark_failed(index, _error_dict(exc))
            run.failed += 1
            return
        attempt = 0
        while True:
            await run.wait_gate()
            delay = bucket.reserve(run.clock())
            if delay > 0:
                await anyio.sleep(delay)
            # Recorded before the request leaves, and the request finished even on Ctrl-C
            # (shielded): a submit is never left half-known unless the process is killed.
            if not run.store.mark_sending(index):
                return  # no longer pending: its output arrived meanwhile (a resent unknown item)
            with anyio.CancelScope(shield=True):
                try:
                    handle = await asubmit(client, async_predict_call(self.target, body), 0)
                except AsyncRateLimitError as exc:
                    run.store.back_to_pending(index)
                    wait = self.backoff(attempt, exc.retry_after)
                    if exc.limit is AsyncLimit.QUEUE_CAP:
                        wait = max(wait, 5.0)  # the queue drains at the model's pace
                    run.gate.hold(run.clock(), wait)
                    attempt += 1
                    continue
                except (APIConnectionError, APIError) as exc:
                    if not_sent(exc) and attempt + 1 < _UNSENT_ATTEMPTS:
                        # Refused before any byte left: nothing was queued, so it is safe to
                        # send again (after a backoff that holds the batch, like a 429's).
                        run.store.back_to_pending(index)
                        run.gate.hold(run.clock(), self.backoff(attempt, None))
                        attempt += 1
                        continue
                    if not _maybe_queued(exc):
                        run.store.mark_failed(index, _error_dict(exc))
                        run.failed += 1
                        return
                    run.store.mark_unknown(index, _error_dict(exc))
                    run.unknown += 1
                    return
                except GenAIError as exc:
                    run.store.mark_failed(index, _error_dict(exc))
                    run.failed += 1
                    return
                run.store.mark_submitted(index, handle.request_id)
                run.in_flight += 1
                return

    async def _watch(self, run: _Run, client: AsyncPlatformClient) -> None:
        store = run.store
        poll_bucket = TokenBucket(self.poll_rate, 1)
        while True:
            c = run.recount()
            run.report()
            if c.pending == 0 and c.sending == 0 and c.submitted == 0:
                # Outputs of submits whose answer was lost may still come: keep the receiver up
                # for them (the store's times are wall-clock, they outlive the process).
                since = time.time() - self.unknown_wait
                if self.unknown_wait <= 0 or store.awaiting_unknown(since) == 0:
                    return
            # The store's times are wall-clock (they outlive the process); so is this cut-off.
            stale = store.stale_submitted(
                time.time() - self.poll_after, max(1, int(self.poll_rate))
            )
            for index, request_id in stale:
                delay = poll_bucket.reserve(run.clock())
                if delay > 0:
                    await anyio.sleep(delay)
                await self._poll(store, client, index, request_id)
            await anyio.sleep(self.tick)

    async def _poll(
        self, store: BatchStore, client: AsyncPlatformClient, index: int, request_id: str
    ) -> None:
        try:
            # Best effort: no cold-start wait (a 503 is simply tried at the next poll).
            state = await aget_async_request(
                self.target, request_id, client=client, max_retries=1, cold_start_timeout=0
            )
        except NotFoundError as exc:
            # Status is kept for an hour after completion; past that, and with no delivery
            # recorded, the output cannot be recovered.
            store.mark_unknown(index, {"type": "OutputLost", "message": f"status gone: {exc}"})
            return
        except (APIError, APIConnectionError) as exc:
            # Polling is best effort: one failed status call must not stop the batch.
            log.warning("status of item %d (%s): %s; trying again later", index, request_id, exc)
            store.mark_polled(index)
            return
        status, hook = state.status, state.webhook_status
        codes = [e.code for e in state.errors]
        detail = "; ".join(f"{e.code}: {e.message}" for e in state.errors)
        if status in (
            AsyncRequestStatus.FAILED,
            AsyncRequestStatus.EXPIRED,
            AsyncRequestStatus.CANCELED,
        ):
            store.mark_failed(
                index,
                {
                    "type": "AsyncRequestFailed",
                    "message": f"{_value(status)}" + (f": {detail}" if detail else ""),
                    "codes": codes,
                },
            )
        elif status is AsyncRequestStatus.WEBHOOK_FAILED or hook is WebhookStatus.FAILED:
            store.mark_unknown(
                index,
                {
                    "type": "OutputLost",
                    "message": "the model ran but Baseten could not deliver the output to the "
                    "webhook; rerun with resend_unknown=True to run it again",
                },
            )
        else:
            store.mark_polled(index)


def _value(status: object) -> str:
    return status.value if isinstance(status, AsyncRequestStatus) else str(status)


class _nullcm:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _chat_message(m: Message) -> dict[str, Any]:
    role = getattr(m, "role", None) or "user"
    return {"role": str(getattr(role, "value", role)), "content": m.text}


# TextOptions fields an OpenAI chat body carries under the same name.
_CHAT_FIELDS = ("system_prompt", "max_tokens", "temperature", "top_p", "top_k", "seed", "stop")


def _chat_fields(options: Sequence[object]) -> dict[str, Any]:
    """The chat body fields of ``options``; ValidationError for an option it cannot carry
    (silently dropping one would run the batch with other settings than asked)."""
    out: dict[str, Any] = {}
    for o in options:
        if not isinstance(o, TextOptions):
            raise ValidationError(
                f"AsyncInferenceEngine sends chat bodies and cannot carry {type(o).__name__}; "
                "pass TextOptions only"
            )
        for name, field in TextOptions.model_fields.items():
            value = getattr(o, name)
            if value == field.get_default(call_default_factory=True):
                continue
            if name in _CHAT_FIELDS:
                out[name] = value
            elif name == "top_logprobs":
                out.update(logprobs=True, top_logprobs=value)
            elif name == "reply_as_json":
                out["response_format"] = {"type": "json_object"}
            else:
                raise ValidationError(
                    f"TextOptions({name}=...) cannot be sent by AsyncInferenceEngine (the chat "
                    f"body carries {', '.join(_CHAT_FIELDS)}, top_logprobs and reply_as_json); "
                    "leave it unset or use ChatEngine"
                )
    return out


def _maybe_queued(exc: GenAIError) -> bool:
    """Whether Baseten may have queued a submit that raised ``exc``: no answer (a lost
    connection or a read timeout), a 5xx, or a 201 of the wrong shape. A 4xx or a connection
    refused before sending was not."""
    if isinstance(exc, APIConnectionError):
        return not not_sent(exc)
    if isinstance(exc, (StreamError, MalformedResponseError)):
        return True
    return isinstance(exc, APIError) and (exc.status_code or 0) >= 500


def _grouped(exc: BaseException) -> tuple[BaseException, ...]:
    """The members of an exception group (the builtin, or the backport anyio uses before
    Python 3.11); empty for any other exception."""
    members = getattr(exc, "exceptions", None)
    if isinstance(members, tuple) and callable(getattr(exc, "derive", None)):
        return tuple(e for e in members if isinstance(e, BaseException))
    return ()


def _batch_error(exc: BaseException) -> BaseException:
    """What ``agen_batch`` raises for ``exc``: a task group's single error unwrapped, a
    timeout as :class:`APITimeoutError`, several errors as one :class:`GenAIError`."""
    while len(members := _grouped(exc)) == 1:
        exc = members[0]
    if members:
        found = [e for e in members if isinstance(e, GenAIError)]
        if len(found) == len(members):
            return found[0]
        err = GenAIError(f"the batch stopped on {len(members)} errors: {exc}")
        err.__cause__ = exc
        return err
    if isinstance(exc, TimeoutError):
        err = APITimeoutError(f"the batch did not finish in time: {exc or 'timeout'}")
        err.__cause__ = exc
        return err
    return exc


# --- entry points ---------------------------------------------------------------------------


async def agen_batch(
    conversations: Iterable[Any],
    *options: object,
    engine: ChatEngine | AsyncInferenceEngine,
    state: str | Path,
    progress: Callable[[BatchProgress], None] | None = None,
    retry_failed: bool = False,
) -> BatchResults:
    """Run every item not yet finished in the state file ``state``; the items in input order.

    ``conversations`` is iterated once (a generator is fine); each item is a prompt string, a
    Message, a list of Messages, or (async engine) any JSON model input. Rerunning with the
    same inputs and state file resumes: finished items are not sent again. Items that failed
    are sent again only with ``retry_failed=True``. ``progress`` is called as items finish.

    Raises :class:`ValidationError` when the state file was made for other inputs, options or
    engine; per-item failures are in the results, not raised.
    """
    path = str(state)
    store = BatchStore(path)
    try:
        store.check_meta("engine", engine.kind, "engine")
        store.check_meta("options", engine.fingerprint(options), "options")
        total = store.load(engine.encode(c) for c in conversations)
        if retry_failed:
            store.reset(FAILED, PENDING)
        run = _Run(store, total, progress, time.monotonic)
        with run.scope:
            run.report()
            try:
                await engine.run(run, options)
            except Exception as exc:
                mapped = _batch_error(exc)
                if mapped is exc:
                    raise
                raise mapped from mapped.__cause__
        if run.stopped is not None:
            raise run.stopped
        run.recount()
        run.report()
    finally:
        store.close()
    return BatchResults(path, total, engine.decode)


def gen_batch(
    conversations: Iterable[Any],
    *options: object,
    engine: ChatEngine | AsyncInferenceEngine,
    state: str | Path,
    progress: Callable[[BatchProgress], None] | None = None,
    retry_failed: bool = False,
) -> BatchResults:
    """The blocking twin of :func:`agen_batch` (runs its own event loop: call it from sync code;
    a sync Provider's calls run in worker threads)."""
    return anyio.run(
        partial(
            agen_batch,
            conversations,
            *options,
            engine=engine,
            state=state,
            progress=progress,
            retry_failed=retry_failed,
        )
    )
