"""Regression tests for the reliability and secrets defects of the relfix review: quadratic
redaction, keys that leak through httpx's own messages, credentials re-applied on a redirect,
foreign loggers, the secret filter's cost, stream close races and deadlines."""

from __future__ import annotations

import gc
import logging
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from types import FrameType

import anyio
import httpx
import pytest
from faults import HEL, LO, STOP, error, stream_head
from faultserver import CLOSE, Action, FaultServer, Script, Sleep, fault_server, http_response
from harness.bodies import sse

import genai_baseten
import genai_core as genai
from genai_core import errors
from genai_core.http import deadline_seconds

KEY = "fake-key-for-relfix-0123456789"
MSGS = [genai.Message.user("hi")]
MODEL = "openai/gpt-oss-120b"


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with fault_server() as srv:
        yield srv


class RegexScans:
    """What this thread does with regular expressions while active, seen through the
    interpreter's profile hook: per compiled pattern, the scans made (``match``, ``search``...),
    and the pattern texts compiled. More than ``limit`` scans in all stops the run (a
    quadratic scan would otherwise take minutes)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.counts: Counter[re.Pattern[str]] = Counter()
        self.compiled: list[str] = []

    def _hook(self, frame: FrameType, event: str, arg: object) -> None:
        if event == "call":
            code = frame.f_code
            if code is re.compile.__code__ and isinstance(frame.f_locals["pattern"], str):
                self.compiled.append(frame.f_locals["pattern"])
            return
        owner = getattr(arg, "__self__", None)
        if event == "c_call" and isinstance(owner, re.Pattern) and isinstance(owner.pattern, str):
            self.counts[owner] += 1
            if self.counts.total() > self.limit:
                raise AssertionError(f"more than {self.limit} regex scans")

    def __enter__(self) -> RegexScans:
        self._before = sys.getprofile()
        sys.setprofile(self._hook)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.setprofile(self._before)

    def of(self, secret: str) -> list[int]:
        """The scan counts of the patterns that match ``secret`` whole (its redaction
        patterns, not the helpers that look for where an occurrence may start)."""
        return [n for p, n in self.counts.items() if p.fullmatch(secret)]

    def built_for(self, secret: str) -> int:
        """How many times a pattern matching ``secret`` whole was compiled."""
        return sum(re.fullmatch(text, secret) is not None for text in self.compiled)


# -- 1. redaction is linear on runs of backslashes --------------------------------------------


def test_a_run_of_backslashes_is_tried_once() -> None:
    text = "\\" * 1_000_000
    with RegexScans(1000) as scans:
        assert errors.redact(text, [KEY]) == text
    # One attempt at the start of the run: no occurrence can start inside it.
    assert scans.of(KEY) == [1]
    assert scans.counts.total() < 10


def test_escapes_after_a_run_of_backslashes_are_still_found() -> None:
    escaped = "".join(f"\\\\u{ord(c):04x}" for c in KEY)  # JSON escaped inside JSON
    text = "x" + "\\" * 500 + escaped + "\\" * 7 + "y"
    # Any number of backslashes make one escape: the run is part of the first one.
    assert errors.redact(text, [KEY]) == "x<redacted>" + "\\" * 7 + "y"
    assert errors.redact("\\" * 9 + "x" + "\\\\" + KEY, [KEY]) == "\\" * 9 + "x\\\\<redacted>"


def test_a_secret_holding_a_backslash_is_found_inside_a_run() -> None:
    secret = "ab\\cdefghij"
    assert errors.redact("\\\\\\" + secret, [secret]) == "\\\\\\<redacted>"


def test_an_error_body_of_backslashes_is_redacted_once_per_field(server: FaultServer) -> None:
    body = b'{"error": "' + b"\\\\" * 32_768 + b'"}'
    server.scripts = [error(400, body)]
    c = genai_baseten.Client(MODEL, api_key=KEY, base_url=server.url, max_retries=0)
    with c, RegexScans(10_000) as scans, pytest.raises(genai.BadRequestError) as info:
        c.gen_sync(MSGS)
    assert info.value.body == body.decode()
    assert 0 < sum(scans.of(KEY)) < 100


# -- 2. a key httpx would quote in its own error is refused up front ----------------------------


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


@pytest.mark.parametrize("bad", [KEY + "\r", KEY + "\n", " " + KEY, KEY[:5] + "\x00" + KEY[5:]])
@pytest.mark.parametrize(
    "make", [genai_baseten.Client, genai_baseten.AsyncClient, genai_baseten.PlatformClient]
)
def test_a_key_with_white_space_or_control_characters_is_refused(
    make: Callable[..., object], bad: str
) -> None:
    args = () if make is genai_baseten.PlatformClient else (MODEL,)
    with pytest.raises(genai.ValidationError, match="api_key holds white space") as info:
        make(*args, api_key=bad)
    assert KEY[:12] not in str(info.value) and info.value.__cause__ is None


def test_a_key_read_from_the_environment_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASETEN_API_KEY", KEY + "\n")
    with pytest.raises(genai.ValidationError, match="character 31 of 31"):
        genai_baseten.Client(MODEL)
    with pytest.raises(genai.ValidationError, match="stray newline"):
        genai_baseten.PlatformClient()


def test_a_non_ascii_or_huge_key_is_refused() -> None:
    with pytest.raises(genai.ValidationError, match="api_key holds non-ASCII") as info:
        genai_baseten.Client(MODEL, api_key=KEY + "é")
    assert KEY[:12] not in str(info.value)
    with pytest.raises(genai.ValidationError, match="more than the 1024"):
        genai_baseten.PlatformClient(api_key="k" * 1025)


def test_httpx_refusing_a_header_never_quotes_the_key(server: FaultServer) -> None:
    # A header httpx (h11) refuses at send time quotes its whole value, key included.
    headers = {"X-Echo": f"Api-Key {KEY}\r"}
    with (
        genai_baseten.Client(MODEL, api_key=KEY, base_url=server.url, default_headers=headers) as c,
        pytest.raises(genai.APIConnectionError) as info,
    ):
        c.gen_sync(MSGS)
    assert "Illegal header value" in str(info.value)
    for exc in _chain(info.value):
        assert KEY not in str(exc) and KEY not in repr(exc.args)
    assert server.requests == []
    _wait_closed(server)


def _wait_closed(server: FaultServer) -> None:
    """Wait (up to 2 s) until the server has seen a connection and closed it: a connection the
    client opened and dropped at once is otherwise still being accepted when the server stops."""
    for _ in range(200):
        if server.connections and not server.open_connections:
            return
        time.sleep(0.01)


def test_a_header_httpx_cannot_encode_is_a_validation_error(server: FaultServer) -> None:
    with (
        genai_baseten.Client(
            MODEL, api_key=KEY, base_url=server.url, default_headers={"X-Note": "café"}
        ) as c,
        pytest.raises(genai.ValidationError, match="cannot be sent as it is") as info,
    ):
        c.gen_sync(MSGS)
    assert info.value.__cause__ is None and server.requests == []


# -- 3. the caller's client auth= is not applied again on a hop to another origin --------------


class _TokenAuth(httpx.Auth):
    """An auth= of the caller's own httpx client: a token in a header of its own."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Gateway-Token"] = "gateway-token-0123456789"
        yield request


def _redirected_headers(use_async: bool) -> tuple[dict[str, str], dict[str, str]]:
    with fault_server() as home, fault_server() as other:
        home.script([http_response(307, headers=[("Location", f"{other.url}/chat/completions")])])
        other.script([stream_head(), sse(HEL, LO, STOP, "[DONE]"), CLOSE])
        if use_async:

            async def main() -> str:
                async with httpx.AsyncClient(follow_redirects=True, auth=_TokenAuth()) as http:
                    c = genai_baseten.AsyncClient(
                        MODEL, api_key=KEY, base_url=home.url, http_client=http
                    )
                    async with c.gen_stream(MSGS) as stream:
                        return (await stream.aresult()).text

            assert anyio.run(main) == "Hello"
        else:
            with httpx.Client(follow_redirects=True, auth=_TokenAuth()) as http:
                c = genai_baseten.Client(MODEL, api_key=KEY, base_url=home.url, http_client=http)
                with c.gen_stream(MSGS) as stream:
                    assert stream.result().text == "Hello"
        return home.requests[0].headers, other.requests[0].headers


@pytest.mark.parametrize("use_async", [False, True])
def test_client_auth_is_not_applied_again_on_a_cross_origin_hop(use_async: bool) -> None:
    home, other = _redirected_headers(use_async)
    assert home["x-gateway-token"] == "gateway-token-0123456789"
    assert "x-gateway-token" not in other
    assert "authorization" not in other


# -- 4. hpack's and h2's loggers are redacted too ----------------------------------------------


@pytest.mark.parametrize("name", ["hpack.hpack", "hpack.table", "h2.connection"])
def test_http2_loggers_are_redacted(name: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=name)
    with genai_baseten.Client(MODEL, api_key=KEY):
        # What hpack logs for each header it decodes: the name and value as bytes.
        logging.getLogger(name).debug("Decoded %s", (b"x-echo", f"Api-Key {KEY}".encode()))
    [record] = [r for r in caplog.records if r.name == name]
    assert record.getMessage() == "Decoded (b'x-echo', b'Api-Key <redacted>')"


# -- 5. the log filter keeps each key's patterns, and forgets a key when its client closes -----


def test_many_keys_do_not_rebuild_patterns_per_record(caplog: pytest.LogCaptureFixture) -> None:
    # More keys than a bounded cache of 64 patterns holds.
    keys = [f"fake-key-{i:04d}-relfix-abcdefgh" for i in range(70)]
    http = httpx.Client()  # one for all (each new one loads the CA certificates)
    with RegexScans(10_000_000) as made:
        clients = [genai_baseten.Client(MODEL, api_key=k, http_client=http) for k in keys]
    assert made.compiled == []  # nothing is built while nothing logs
    caplog.set_level(logging.INFO, logger="httpx")
    try:
        with RegexScans(10_000_000) as made:
            for key in keys[:5] * 2:
                logging.getLogger("httpx").info("echoed %s", key)
    finally:
        for c in clients:
            c.close()
        http.close()
    assert [r.getMessage() for r in caplog.records] == ["echoed <redacted>"] * 10
    # Each key's pattern was built once, for the first record (the filter may hold other keys
    # of clients still alive elsewhere in the process).
    assert [made.built_for(k) for k in keys] == [1] * len(keys)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def hidden_in_logs(key: str) -> bool:
    """Whether a log record quoting ``key`` comes out redacted: the log filter knows the key."""
    logger = logging.getLogger("httpx")
    collect = _Collect()
    level = logger.level
    logger.addHandler(collect)
    logger.setLevel(logging.INFO)
    try:
        logger.info("echoed %s", key)
    finally:
        logger.removeHandler(collect)
        logger.setLevel(level)
    assert collect.messages in (["echoed <redacted>"], [f"echoed {key}"]), collect.messages
    return collect.messages == ["echoed <redacted>"]


def test_a_key_is_unregistered_when_the_last_client_using_it_closes() -> None:
    key = "fake-key-relfix-refcount-0123"
    assert not hidden_in_logs(key)  # no client uses it yet
    a = genai_baseten.Client(MODEL, api_key=key)
    b = genai_baseten.PlatformClient(api_key=key)
    assert hidden_in_logs(key)
    a.close()
    a.close()  # closing twice unregisters once
    assert hidden_in_logs(key)
    b.close()
    assert not hidden_in_logs(key)


def test_a_client_collected_unclosed_unregisters_its_key() -> None:
    key = "fake-key-relfix-collected-0123"
    genai_baseten.Client(MODEL, api_key=key)
    gc.collect()
    assert not hidden_in_logs(key)


# -- 7. a deadline longer than a timer can wait is no deadline ----------------------------------


def test_a_huge_deadline_does_not_crash_the_timer_thread(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    crashed: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: crashed.append(args.exc_value))
    server.script([stream_head(), sse(HEL, LO, STOP, "[DONE]"), CLOSE])
    with genai_baseten.Client(MODEL, api_key=KEY, base_url=server.url, deadline=1e10) as c:
        with c.gen_stream(MSGS) as stream:
            assert stream.result().text == "Hello"
        time.sleep(0.05)  # a timer thread that failed has reported it by now
    assert crashed == []
    assert deadline_seconds(1e10) is None and deadline_seconds(1e9) == 1e9


# -- 6. close() racing the reader, and what result() says after it ------------------------------

# One event, then a stall (the server gives up by itself after 5 s).
STALLED: Script = [stream_head(), sse(HEL), Sleep(5.0), CLOSE]


def test_next_after_another_thread_closed_the_stream(server: FaultServer) -> None:
    # close() from another thread never closes the reading generator itself (that raced the
    # reader's next(): "generator already executing"); it shuts the connection.
    server.script(STALLED)
    with genai_baseten.Client(MODEL, api_key=KEY, base_url=server.url) as c:
        stream = c.gen_stream(MSGS)
        assert next(stream).text == "Hel"
        closer = threading.Thread(target=stream.close)
        closer.start()
        closer.join(2)
        assert server.wait_closed(1.0)  # the connection is shut at once
        with pytest.raises(errors.StreamClosedError) as info:
            next(stream)
        with pytest.raises(errors.StreamClosedError):
            stream.result()
    assert info.value.partial_result is not None
    assert info.value.partial_result.text == "Hel"
    assert isinstance(info.value, errors.StreamError) and info.value.status_code == 200


def test_close_from_another_thread_keeps_the_partial_answer(server: FaultServer) -> None:
    server.script(STALLED)
    with genai_baseten.Client(MODEL, api_key=KEY, base_url=server.url, timeout=30.0) as c:
        stream = c.gen_stream(MSGS)
        threading.Timer(0.2, stream.close).start()
        assert [f.text for f in stream] == ["Hel"]
        with pytest.raises(errors.StreamClosedError, match="closed before its end") as info:
            stream.result()
        assert info.value.partial_result is not None
        assert info.value.partial_result.text == "Hel"
        assert server.wait_closed(1.0)


def test_a_stream_closed_before_it_started_says_so() -> None:
    with genai_baseten.Client(MODEL, api_key=KEY, base_url="http://127.0.0.1:9/v1") as c:
        stream = c.gen_stream(MSGS)
        stream.close()
        with pytest.raises(errors.StreamClosedError) as info:
            stream.result()
    assert info.value.partial_result is None and info.value.status_code == 0


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@pytest.mark.parametrize("stalls", ["body", "headers"])
def test_aclose_from_another_task_stops_the_reader(
    server: FaultServer, backend: str, stalls: str
) -> None:
    server.script(STALLED if stalls == "body" else [Sleep(5.0), *STALLED])

    async def main() -> tuple[list[str], float, BaseException | None]:
        async with genai_baseten.AsyncClient(
            MODEL, api_key=KEY, base_url=server.url, timeout=30.0
        ) as c:
            stream = c.gen_stream(MSGS)
            seen: list[str] = []
            started = time.monotonic()
            async with anyio.create_task_group() as tg:

                async def closer() -> None:
                    await anyio.sleep(0.2)
                    await stream.aclose()  # the reader is blocked inside its __anext__

                tg.start_soon(closer)
                seen.extend([fragment.text async for fragment in stream])
            elapsed = time.monotonic() - started
            try:
                await stream.aresult()
            except errors.StreamClosedError as exc:
                return seen, elapsed, exc
            return seen, elapsed, None

    seen, elapsed, err = anyio.run(main, backend=backend)
    assert elapsed < 2.0
    assert isinstance(err, errors.StreamClosedError)
    if stalls == "body":
        assert seen == ["Hel"]
        assert err.partial_result is not None and err.partial_result.text == "Hel"
    else:  # closed before any answer: nothing arrived
        assert seen == [] and err.partial_result is None
    assert server.wait_closed(1.0)


# -- 8. the deadline bounds headers and error bodies that drip; error bodies are capped ---------


def _dripping(data: bytes, every: float = 0.05) -> list[Action]:
    """``data`` one byte at a time, ``every`` seconds apart."""
    out: list[Action] = []
    for i in range(len(data)):
        out += [Sleep(every), data[i : i + 1]]
    return out


# A 500 whose body of 60 bytes takes 3 s to arrive.
DRIPPING_ERROR: Script = [
    http_response(500, headers=[("Content-Length", "60")], length=False).replace(
        b"Connection: close\r\n", b""
    ),
    *_dripping(b"x" * 60),
    CLOSE,
]


def _gen_sync(server: FaultServer, use_async: bool, **kw: object) -> Exception:
    """What ``gen_sync(MSGS, **kw)`` raises, with a sync or an async client (no retries)."""

    async def main() -> Exception:
        async with genai_baseten.AsyncClient(
            MODEL, api_key=KEY, base_url=server.url, max_retries=0
        ) as c:
            with pytest.raises(genai.GenAIError) as info:
                await c.gen_sync(MSGS, **kw)  # type: ignore[arg-type]
            return info.value

    if use_async:
        return anyio.run(main)
    c = genai_baseten.Client(MODEL, api_key=KEY, base_url=server.url, max_retries=0)
    with c, pytest.raises(genai.GenAIError) as info:
        c.gen_sync(MSGS, **kw)  # type: ignore[arg-type]
    return info.value


@pytest.mark.parametrize("use_async", [False, True])
@pytest.mark.parametrize("script", ["error body", "headers"])
def test_deadline_bounds_what_drips_before_the_answer(
    server: FaultServer, script: str, use_async: bool
) -> None:
    head = http_response(200, b"{}")
    server.script(DRIPPING_ERROR if script == "error body" else [*_dripping(head), CLOSE])
    started = time.monotonic()
    err = _gen_sync(server, use_async, deadline=0.5)
    assert time.monotonic() - started < 2.0
    assert isinstance(err, errors.DeadlineExceededError)
    assert server.wait_closed(1.0)


@pytest.mark.parametrize("use_async", [False, True])
def test_an_error_body_is_kept_up_to_one_mebibyte(server: FaultServer, use_async: bool) -> None:
    server.script([http_response(500, b"e" * (3 << 20), content_type="text/plain"), CLOSE])
    err = _gen_sync(server, use_async)
    assert isinstance(err, genai.ServerError)
    assert err.status_code == 500 and err.body == "e" * (1 << 20)
    assert server.wait_closed(1.0)


@pytest.mark.parametrize(
    ("scripts", "requests"),
    [
        # A 503 asking for a 5 s wait before the retry: close() wakes the wait.
        ([error(503, b'{"error": "busy"}', ("Retry-After", "5"))], 1),
        # No headers for 5 s: close() wakes the read waiting for them.
        ([[Sleep(5.0), stream_head(), sse(HEL), CLOSE]], 1),
    ],
    ids=["retry wait", "waiting for headers"],
)
def test_close_from_another_thread_wakes_a_stream_before_its_answer(
    server: FaultServer, scripts: list[Script], requests: int
) -> None:
    server.script(*scripts)
    c = genai_baseten.Client(MODEL, api_key=KEY, base_url=server.url, max_retries=1, timeout=30.0)
    with c:
        stream = c.gen_stream(MSGS)
        threading.Timer(0.3, stream.close).start()
        started = time.monotonic()
        assert list(stream) == []
        assert time.monotonic() - started < 2.0
        with pytest.raises(errors.StreamClosedError):
            stream.result()
        assert server.wait_closed(1.0)
    assert len(server.requests) == requests


def test_sync_stream_deadline_bounds_headers_that_drip(server: FaultServer) -> None:
    server.script([*_dripping(stream_head()), sse(HEL), CLOSE])
    with genai_baseten.Client(MODEL, api_key=KEY, base_url=server.url, max_retries=0) as c:
        started = time.monotonic()
        with pytest.raises(errors.DeadlineExceededError), c.gen_stream(MSGS, deadline=0.5) as s:
            s.result()
        assert time.monotonic() - started < 2.0
        assert server.wait_closed(1.0)
