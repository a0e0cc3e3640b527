"""The fault-injection matrix as data: each fault, what the server does, and what a caller gets.

``tests/test_faults.py`` runs every row against :mod:`faultserver` with the sync client and the
async client (asyncio and trio), for ``gen_sync`` and ``gen_stream``; ``tests/faults_doc.py``
renders the same rows as the table of docs/reliability.md. The expected outcomes are written
from the HTTP and SSE rules and the library's documented error tree, not from running it.
"""

from __future__ import annotations

import email.utils
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from faultserver import CLOSE, RESET, Action, Script, Sleep, gzipped, http_response
from harness import bodies
from harness.bodies import sse

# The clock the retry policy sees in the matrix (Retry-After dates are relative to it).
NOW = 1_800_000_000.0
# Every answer names itself with this request id.
RID = "rid-42"
# Per-phase httpx timeout of the matrix's clients, and how long a stall lasts.
TIMEOUT = 0.25
STALL = 1.0

_ID = ("X-Request-Id", RID)
_USAGE = bodies.usage(3, 2)


def chunk(delta: dict[str, Any] | None = None, *, finish: Any = bodies.ABSENT, **extra: Any) -> Any:
    """A short ``chat.completion.chunk`` (no ``created``, model ``m``)."""
    return bodies.chunk(delta, finish=finish, id="chatcmpl-f", model="m", created=None, **extra)


HEL = chunk({"role": "assistant", "content": "Hel"})
LO = chunk({"content": "lo"})
STOP = chunk({}, finish="stop")
USAGE = chunk(None, choices=[], usage=_USAGE)


def stream_head(content_type: str = "text/event-stream", *extra: tuple[str, str]) -> bytes:
    """The head of a 200 whose body runs until the connection closes."""
    return http_response(200, content_type=content_type, length=False, headers=(_ID, *extra))


STREAM_OK: Script = [stream_head(), sse(HEL, LO, STOP, USAGE, "[DONE]"), CLOSE]
SYNC_BODY = bodies.json_bytes(
    bodies.completion("Hello", usage=_USAGE, id="chatcmpl-f", model="m", created=None)
)
SYNC_OK: Script = [http_response(200, SYNC_BODY, headers=[_ID])]


def ok(stream: bool) -> Script:
    return STREAM_OK if stream else SYNC_OK


def error(status: int, body: bytes = b'{"error": "busy"}', *headers: tuple[str, str]) -> Script:
    return [http_response(status, body, headers=(_ID, *headers))]


def on_200(
    stream_body: bytes, sync_body: bytes | None, *, ctype: str = ""
) -> Callable[[bool], list[Script]]:
    """A 200 carrying ``stream_body`` (as a stream, ended by close) or ``sync_body``."""

    def scripts(stream: bool) -> list[Script]:
        if stream:
            return [[stream_head(ctype or "text/event-stream"), stream_body, CLOSE]]
        assert sync_body is not None
        return [
            [http_response(200, sync_body, headers=[_ID], content_type=ctype or "application/json")]
        ]

    return scripts


@dataclass(frozen=True)
class Outcome:
    """What a caller gets: ``error`` is None for a complete Result (text ``text``), else the
    exact class name, with ``status`` (None: no HTTP answer), the partial text when the answer
    broke after 200, and ``contains``, words the message must hold."""

    error: str | None = None
    status: int | None = None
    text: str = "Hello"
    contains: str = ""
    requests: int = 1
    sleeps: tuple[float, ...] = ()
    maybe_truncated: bool = False
    """For a Result: no end marker came, so the finish reason is unknown and
    ``Result.maybe_truncated`` is set."""


@dataclass(frozen=True)
class Fault:
    name: str
    server: str  # what the server does, for the docs
    scripts: Callable[[bool], list[Script]]
    stream: Outcome | None  # None: does not apply to gen_stream
    sync: Outcome | None  # None: does not apply to gen_sync
    client: dict[str, object] = field(default_factory=dict)  # extra client arguments


# The head of a 200 promising a 500-byte body that never fully comes (keep-alive: no close).
LONG_HEAD = http_response(200, headers=[_ID, ("Content-Length", "500")], length=False).replace(
    b"Connection: close\r\n", b""
)


def part_then(*tail: Action) -> Callable[[bool], list[Script]]:
    """A 200 with part of the answer (one event, or 40 bytes of the JSON body), then ``tail``."""
    return lambda stream: [
        [stream_head(), sse(HEL), *tail] if stream else [LONG_HEAD, SYNC_BODY[:40], *tail]
    ]


def then_ok(first: Script | Callable[[bool], Script]) -> Callable[[bool], list[Script]]:
    return lambda stream: [first(stream) if callable(first) else first, ok(stream)]


def always(script: Script | Callable[[bool], Script]) -> Callable[[bool], list[Script]]:
    return lambda stream: [script(stream) if callable(script) else script]


def same(outcome: Outcome) -> tuple[Outcome, Outcome]:
    """The same outcome for gen_stream and gen_sync."""
    return outcome, outcome


def drip(piece: bytes, every: float = 0.05, times: int = 40) -> list[Action]:
    out: list[Action] = []
    for _ in range(times):
        out += [Sleep(every), piece]
    return out


_DATE = email.utils.formatdate(NOW + 3, usegmt=True)
_HTML = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
_BIG = "x" * (16 * 1024 * 1024 + 10)
_CORRUPT = b"\x1f\x8b\x08\x00garbage-not-deflate" * 4
_BACKOFF = 0.5  # the policy's first backoff with no jitter (rand() = 0)

FAULTS: list[Fault] = [
    Fault("ok", "a complete answer", always(ok), *same(Outcome())),
    *(
        Fault(
            f"{status} then ok",
            f"{status}, then a complete answer",
            then_ok(error(status)),
            *same(Outcome(requests=2, sleeps=(_BACKOFF,))),
        )
        for status in (500, 502, 503, 504, 529)
    ),
    Fault(
        "429 Retry-After seconds",
        "429 with `Retry-After: 2`, then a complete answer",
        then_ok(error(429, b'{"error": "slow down"}', ("Retry-After", "2"))),
        *same(Outcome(requests=2, sleeps=(2.0,))),
    ),
    Fault(
        "429 Retry-After date",
        "429 with `Retry-After` as an HTTP date 3 s ahead, then a complete answer",
        then_ok(error(429, b'{"error": "slow down"}', ("Retry-After", _DATE))),
        *same(Outcome(requests=2, sleeps=(3.0,))),
    ),
    Fault(
        "429 Retry-After too long",
        "429 with `Retry-After: 3600`",
        always(error(429, b'{"error": "quota"}', ("Retry-After", "3600"))),
        *same(Outcome("RateLimitError", 429, contains="quota")),
    ),
    Fault(
        "503 persistent",
        "503 on every attempt",
        always(error(503, b'{"error": "down"}')),
        *same(Outcome("ServerError", 503, contains="down", requests=2, sleeps=(_BACKOFF,))),
    ),
    Fault(
        "HTML error page",
        "502 with an nginx HTML page",
        always([http_response(502, _HTML, headers=[_ID], content_type="text/html")]),
        *same(
            Outcome("ServerError", 502, contains="502 Bad Gateway", requests=2, sleeps=(_BACKOFF,))
        ),
    ),
    Fault(
        "reset before headers, then ok",
        "TCP reset before any byte, then a complete answer",
        then_ok([RESET]),
        *same(Outcome(requests=2, sleeps=(_BACKOFF,))),
    ),
    Fault(
        "reset before headers",
        "TCP reset before any byte, every attempt",
        always([RESET]),
        *same(Outcome("APIConnectionError", None, requests=2, sleeps=(_BACKOFF,))),
    ),
    Fault(
        "reset mid-body",
        "200, part of the answer, then a TCP reset",
        part_then(Sleep(0.05), RESET),
        stream=Outcome("StreamConnectionError", 200, text="Hel"),
        sync=Outcome("StreamConnectionError", 200, text=""),
    ),
    Fault(
        "truncated event",
        "200, one event, half of the next, then the connection closes",
        on_200(sse(HEL) + b'data: {"id": "chatcmpl-f", "choi', None),
        stream=Outcome("MalformedStreamError", 200, text="Hel", contains="not JSON"),
        sync=None,
    ),
    Fault(
        "stream ends without [DONE] or finish reason",
        "200, two events, then the connection closes",
        on_200(sse(HEL, LO), None),
        stream=Outcome(maybe_truncated=True),
        sync=None,
    ),
    Fault(
        "tool call cut mid-arguments",
        "200, a tool call whose arguments stop halfway, then the connection closes",
        on_200(
            sse(
                chunk(
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": "f", "arguments": '{"x": '},
                            }
                        ],
                    }
                )
            ),
            None,
        ),
        stream=Outcome("IncompleteStreamError", 200, text="", contains="tool call"),
        sync=None,
    ),
    Fault(
        "stream ends after finish reason without [DONE]",
        "200, the answer and its finish reason, then the connection closes (a legitimate end)",
        on_200(sse(HEL, LO, STOP), None),
        stream=Outcome(),
        sync=None,
    ),
    Fault(
        "malformed JSON",
        "200 with a chunk (or body) that is not JSON",
        on_200(sse(HEL, "{not json"), b"{not json"),
        stream=Outcome("MalformedStreamError", 200, text="Hel", contains="not JSON"),
        sync=Outcome("MalformedResponseError", 200, text="", contains="not JSON"),
    ),
    Fault(
        "invalid UTF-8",
        "200 with bytes that are not UTF-8 in an event (or the body)",
        lambda stream: [
            [stream_head(), sse(HEL), Sleep(0.02), b'data: {"x": "\xff\xfe"}\n\n', CLOSE]
            if stream
            else [http_response(200, b'{"x": "\xff\xfe"}', headers=[_ID])]
        ],
        stream=Outcome("MalformedStreamError", 200, text="Hel"),
        sync=Outcome("MalformedResponseError", 200, text=""),
    ),
    Fault(
        "oversized event",
        "200, then one event of more than 16 MiB",
        on_200(sse(HEL, json.dumps({"x": _BIG})), None),
        stream=Outcome("MalformedStreamError", 200, text="Hel", contains="max_event_size"),
        sync=None,
    ),
    Fault(
        "error event mid-stream",
        "200, one event, then an error event",
        on_200(sse(HEL, json.dumps({"error": {"message": "model overloaded"}})), None),
        stream=Outcome("MalformedStreamError", 200, text="Hel", contains="model overloaded"),
        sync=None,
    ),
    Fault(
        "gzip",
        "200 with a gzip-encoded body",
        lambda stream: [
            [
                http_response(
                    200,
                    gzipped(sse(HEL, LO, STOP, USAGE, "[DONE]") if stream else SYNC_BODY),
                    headers=[_ID, ("Content-Encoding", "gzip")],
                    content_type="text/event-stream" if stream else "application/json",
                )
            ]
        ],
        *same(Outcome()),
    ),
    Fault(
        "gzip corrupt",
        "200 declaring gzip, with a body that does not decompress",
        lambda stream: [
            [
                http_response(
                    200,
                    _CORRUPT,
                    headers=[_ID, ("Content-Encoding", "gzip")],
                    content_type="text/event-stream" if stream else "application/json",
                )
            ]
        ],
        stream=Outcome("MalformedStreamError", 200, text="", contains="Content-Encoding"),
        sync=Outcome("MalformedResponseError", 200, text="", contains="Content-Encoding"),
    ),
    Fault(
        "503 with corrupt gzip, then ok",
        "503 whose gzip body does not decompress, then a complete answer",
        then_ok(error(503, _CORRUPT, ("Content-Encoding", "gzip"))),
        *same(Outcome(requests=2, sleeps=(_BACKOFF,))),
    ),
    Fault(
        "empty 200",
        "200 with an empty body",
        on_200(b"", b""),
        stream=Outcome("MalformedStreamError", 200, text="", contains="without sending any event"),
        sync=Outcome("MalformedResponseError", 200, text="", contains="(empty)"),
    ),
    Fault(
        "wrong content type",
        "200 with an HTML page",
        on_200(_HTML, _HTML, ctype="text/html"),
        stream=Outcome("MalformedStreamError", 200, text="", contains="expected an event stream"),
        sync=Outcome("MalformedResponseError", 200, text="", contains="HTML page"),
    ),
    Fault(
        "redirect",
        "307 to another path of the same server",
        always(error(307, b"", ("Location", "/v2/chat/completions"))),
        *same(Outcome("RedirectError", 307, contains="/v2/chat/completions")),
    ),
    Fault(
        "redirect to https",
        "301 to the https:// address of the same host",
        always(error(301, b"", ("Location", "https://127.0.0.1/v1/chat/completions"))),
        *same(Outcome("RedirectError", 301, contains="https://127.0.0.1")),
    ),
    Fault(
        "stall before headers",
        f"no answer for {STALL} s (read timeout {TIMEOUT} s), every attempt",
        always([Sleep(STALL), CLOSE]),
        *same(Outcome("APITimeoutError", None, requests=2, sleeps=(_BACKOFF,))),
    ),
    Fault(
        "stall mid-body",
        f"200, part of the answer, then nothing for {STALL} s",
        part_then(Sleep(STALL), CLOSE),
        stream=Outcome("StreamTimeoutError", 200, text="Hel"),
        sync=Outcome("StreamTimeoutError", 200, text=""),
    ),
    Fault(
        "deadline passes while the answer drips",
        "200, then one small piece every 0.05 s, for longer than the call's deadline=0.4",
        lambda stream: [
            [stream_head(), sse(HEL), *drip(b": keep-alive\n\n"), CLOSE]
            if stream
            else [
                LONG_HEAD,
                *drip(b" "),
                CLOSE,
            ]
        ],
        stream=Outcome("StreamTimeoutError", 200, text="Hel", contains="deadline"),
        sync=Outcome("StreamTimeoutError", 200, text="", contains="deadline"),
        client={"deadline": 0.4},
    ),
]
