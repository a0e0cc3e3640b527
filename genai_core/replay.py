"""Replay recorded HTTP traffic from a JSON cassette, with no network.

A cassette is one JSON file::

    {"version": 1,
     "meta": {"authored": true, "description": "...", "written": "2026-11-24"},
     "interactions": [
        {"request": {"method": "POST", "url": "https://...", "body": "<JSON text or empty>"},
         "response": {"status_code": 200, "headers": {"Content-Type": ["text/event-stream"]},
                      "body": "<text>"}}]}

:class:`ReplayTransport` plugs into ``httpx.Client(transport=...)`` or
``httpx.AsyncClient(transport=...)``. Each request is matched on method, URL and body (compared as
parsed JSON, so key order and whitespace do not matter; headers are ignored) against the first
interaction not yet served; a request that matches none raises :class:`ReplayMismatchError`, which
names the closest recorded request and where it differs.

An event-stream body is served in many reads, as a network would deliver it: one per event by
default, or cut at random (seeded) byte offsets with ``split="bytes"``, so code that assembles
events across reads is exercised.

This module is self-contained on purpose (no vcrpy): the CLI's offline demo needs it at runtime.
"""

from __future__ import annotations

import difflib
import json
import random
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import anyio.lowlevel
import httpx

from .errors import ValidationError

__all__ = [
    "CASSETTE_VERSION",
    "Cassette",
    "Interaction",
    "RecordedRequest",
    "RecordedResponse",
    "ReplayMismatchError",
    "ReplayTransport",
]

CASSETTE_VERSION = 1

Split = Literal["events", "bytes"]

# Response headers that describe how the recorded bytes travelled, not what they are: the body is
# stored decoded, so they would be wrong on replay.
_TRANSPORT_HEADERS = frozenset({"content-length", "content-encoding", "transfer-encoding"})

# Longest piece of a value quoted in a mismatch message.
_EXCERPT = 60


class ReplayMismatchError(ValidationError):
    """A request that no unused interaction of the cassette matches.

    The message names the closest recorded request and the first place where it differs.
    """


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    url: str
    body: str
    """The JSON text of the request body, or ``""`` for none."""

    def body_value(self) -> Any:
        return json.loads(self.body) if self.body.strip() else None


@dataclass(frozen=True)
class RecordedResponse:
    status_code: int
    headers: dict[str, list[str]]
    body: str

    def header(self, name: str) -> str:
        """The first value of header ``name`` (case-insensitive), or ``""``."""
        lowered = name.lower()
        for key, values in self.headers.items():
            if key.lower() == lowered and values:
                return values[0]
        return ""

    @property
    def is_event_stream(self) -> bool:
        return self.header("content-type").split(";")[0].strip().lower() == "text/event-stream"


@dataclass(frozen=True)
class Interaction:
    request: RecordedRequest
    response: RecordedResponse


@dataclass(frozen=True)
class Cassette:
    """The interactions of one cassette file, validated."""

    interactions: tuple[Interaction, ...]
    meta: dict[str, Any] = field(default_factory=dict)
    path: str = "<memory>"

    @classmethod
    def load(cls, path: str | Path) -> Cassette:
        """Read and validate a cassette file.

        Raises ValidationError naming the file (and the interaction index when one is at fault)
        for a file that is not JSON, a version other than 1, or an interaction of the wrong shape.
        Raises OSError when the file cannot be read.
        """
        name = str(path)
        text = Path(path).read_text(encoding="utf-8")
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ValidationError(f"{name}: not a valid cassette (not JSON: {exc})") from None
        return cls.from_dict(data, path=name)

    @classmethod
    def from_dict(cls, data: Any, *, path: str = "<memory>") -> Cassette:
        """Validate the parsed JSON of a cassette; ``path`` names it in error messages."""
        if not isinstance(data, dict):
            raise ValidationError(f"{path}: not a valid cassette (expected a JSON object)")
        version = data.get("version")
        if version != CASSETTE_VERSION:
            raise ValidationError(
                f"{path}: unsupported cassette version {version!r} (this reader knows "
                f"version {CASSETTE_VERSION})"
            )
        meta = data.get("meta", {})
        if not isinstance(meta, dict):
            raise ValidationError(f"{path}: 'meta' must be an object")
        raw = data.get("interactions")
        if not isinstance(raw, list):
            raise ValidationError(f"{path}: 'interactions' must be a list")
        interactions = tuple(_interaction(item, path, i) for i, item in enumerate(raw))
        return cls(interactions=interactions, meta=meta, path=path)


def _interaction(item: Any, path: str, index: int) -> Interaction:
    def fail(what: str) -> ValidationError:
        return ValidationError(f"{path}: interaction {index}: {what}")

    if not isinstance(item, dict):
        raise fail("must be an object with 'request' and 'response'")
    req = item.get("request")
    resp = item.get("response")
    if not isinstance(req, dict):
        raise fail("'request' must be an object")
    if not isinstance(resp, dict):
        raise fail("'response' must be an object")
    method = req.get("method")
    url = req.get("url")
    body = req.get("body", "")
    if not isinstance(method, str) or not method:
        raise fail("request.method must be a non-empty string")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise fail(f"request.url must be an http(s) URL, got {url!r}")
    if not isinstance(body, str):
        raise fail("request.body must be a string (JSON text, or empty)")
    if body.strip():
        try:
            json.loads(body)
        except ValueError as exc:
            raise fail(f"request.body is not JSON: {exc}") from None
    status = resp.get("status_code")
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise fail(f"response.status_code must be an HTTP status, got {status!r}")
    headers = resp.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
        for k, v in headers.items()
    ):
        raise fail("response.headers must map each name to a list of strings")
    rbody = resp.get("body", "")
    if not isinstance(rbody, str):
        raise fail("response.body must be a string")
    return Interaction(
        RecordedRequest(method.upper(), url, body),
        RecordedResponse(status, {k: list(v) for k, v in headers.items()}, rbody),
    )


# --- matching -----------------------------------------------------------------------------------


def _parse_body(content: bytes) -> Any:
    """The request body as parsed JSON; ``None`` for no body; the text when it is not JSON."""
    if not content.strip():
        return None
    text = content.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return _NotJSON(text)


@dataclass(frozen=True)
class _NotJSON:
    text: str


def _excerpt(value: Any) -> str:
    text = value.text if isinstance(value, _NotJSON) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 3] + "..."


def _json_equal(a: Any, b: Any) -> bool:
    """Equality of parsed JSON values: numbers by value (``1 == 1.0``), but ``true`` is not 1."""
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(_json_equal(v, b[k]) for k, v in a.items())
        )
    if isinstance(a, list):
        return (
            isinstance(b, list)
            and len(a) == len(b)
            and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and bool(a == b)


def _first_difference(sent: Any, recorded: Any, where: str = "$") -> str | None:
    """Where two JSON values first differ, as ``$.path: sent X, recorded Y``; None if equal."""
    if _json_equal(sent, recorded):
        return None
    if isinstance(sent, dict) and isinstance(recorded, dict):
        for key in list(recorded) + [k for k in sent if k not in recorded]:
            if key not in sent:
                return (
                    f"{where}.{key}: missing from the request, recorded {_excerpt(recorded[key])}"
                )
            if key not in recorded:
                return f"{where}.{key}: sent {_excerpt(sent[key])}, not in the recording"
            diff = _first_difference(sent[key], recorded[key], f"{where}.{key}")
            if diff:
                return diff
        return None
    if isinstance(sent, list) and isinstance(recorded, list):
        for i, (a, b) in enumerate(zip(sent, recorded, strict=False)):
            diff = _first_difference(a, b, f"{where}[{i}]")
            if diff:
                return diff
        if len(sent) != len(recorded):
            return f"{where}: sent {len(sent)} items, recorded {len(recorded)}"
        return None
    return f"{where}: sent {_excerpt(sent)}, recorded {_excerpt(recorded)}"


def _canonical(value: Any) -> str:
    if isinstance(value, _NotJSON):
        return value.text
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


class ReplayTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Serve a cassette's responses to an httpx client, sync or async, without a network.

    ``split`` sets how an event-stream body is cut into reads: ``"events"`` (one read per SSE
    event, the default) or ``"bytes"`` (random sizes from 1 to 32 bytes, from ``seed``, so a
    run is reproducible). Other bodies are served in one read.
    """

    def __init__(self, cassette: Cassette, *, split: Split = "events", seed: int = 0) -> None:
        if split not in ("events", "bytes"):
            raise ValidationError(f"split must be 'events' or 'bytes', got {split!r}")
        self.cassette = cassette
        self.split = split
        self.seed = seed
        self._used: set[int] = set()
        self._lock = threading.Lock()
        # Parsed once: matching compares values, not text.
        self._bodies = [i.request.body_value() for i in cassette.interactions]

    @classmethod
    def from_path(
        cls, path: str | Path, *, split: Split = "events", seed: int = 0
    ) -> ReplayTransport:
        return cls(Cassette.load(path), split=split, seed=seed)

    @property
    def unused(self) -> list[int]:
        """Indexes of the interactions not served yet."""
        return [i for i in range(len(self.cassette.interactions)) if i not in self._used]

    # -- httpx transports --------------------------------------------------------------------

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        index = self._match(request, request.read())
        return self._response(index, _SyncChunks(self._chunks(index)))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = self._match(request, await request.aread())
        return self._response(index, _AsyncChunks(self._chunks(index)))

    # -- matching ----------------------------------------------------------------------------

    def _match(self, request: httpx.Request, content: bytes) -> int:
        method = request.method.upper()
        url = request.url
        body = _parse_body(content)
        with self._lock:
            already_used = None
            for i in range(len(self.cassette.interactions)):
                if not self._same(i, method, url, body):
                    continue
                if i in self._used:
                    already_used = i
                    continue
                self._used.add(i)
                return i
        raise self._mismatch(method, url, body, already_used)

    def _same(self, index: int, method: str, url: httpx.URL, body: Any) -> bool:
        rec = self.cassette.interactions[index].request
        if rec.method != method or httpx.URL(rec.url) != url:
            return False
        return _json_equal(body, self._bodies[index])

    def _mismatch(
        self, method: str, url: httpx.URL, body: Any, already_used: int | None
    ) -> ReplayMismatchError:
        head = f"no unused interaction in {self.cassette.path} matches {method} {url}"
        if already_used is not None:
            return ReplayMismatchError(
                f"{head}: it matches interaction {already_used}, which was already replayed "
                "(each recorded interaction is served once)"
            )
        if not self.cassette.interactions:
            return ReplayMismatchError(f"{head}: the cassette has no interactions")
        best = max(
            range(len(self.cassette.interactions)),
            key=lambda i: self._similarity(i, method, url, body),
        )
        rec = self.cassette.interactions[best].request
        diffs = []
        if rec.method != method:
            diffs.append(f"method {rec.method}")
        if httpx.URL(rec.url) != url:
            diffs.append(f"URL {rec.url}")
        diff = _first_difference(body, self._bodies[best])
        if diff:
            diffs.append(f"body at {diff}")
        used = " (already replayed)" if best in self._used else ""
        return ReplayMismatchError(
            f"{head}; closest is interaction {best}{used}, {rec.method} {rec.url}, which differs "
            f"in: {'; '.join(diffs)}"
        )

    def _similarity(
        self, index: int, method: str, url: httpx.URL, body: Any
    ) -> tuple[int, float, bool]:
        # Same route first, then the most similar body; on a tie, the one that is still unused.
        rec = self.cassette.interactions[index].request
        same_route = (rec.method == method) + (httpx.URL(rec.url) == url)
        a, b = _canonical(body), _canonical(self._bodies[index])
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        # ratio() is quadratic at worst: fine for chat bodies, too slow for inline images.
        ratio = matcher.ratio() if len(a) + len(b) < 50_000 else matcher.quick_ratio()
        return same_route, ratio, index not in self._used

    # -- responses ---------------------------------------------------------------------------

    def _response(
        self, index: int, stream: httpx.SyncByteStream | httpx.AsyncByteStream
    ) -> httpx.Response:
        recorded = self.cassette.interactions[index].response
        headers = [
            (name, value)
            for name, values in recorded.headers.items()
            if name.lower() not in _TRANSPORT_HEADERS
            for value in values
        ]
        if not recorded.is_event_stream:
            headers.append(("Content-Length", str(len(recorded.body.encode("utf-8")))))
        return httpx.Response(
            recorded.status_code,
            headers=headers,
            stream=stream,
            extensions={"replayed_interaction": index},
        )

    def _chunks(self, index: int) -> list[bytes]:
        recorded = self.cassette.interactions[index].response
        body = recorded.body.encode("utf-8")
        if not body:
            return []
        if not recorded.is_event_stream:
            return [body]
        if self.split == "events":
            return split_events(body)
        return split_bytes(body, random.Random(f"{self.seed}:{index}"))


def split_events(body: bytes) -> list[bytes]:
    """``body`` cut after each blank line that ends an SSE event (the separator kept)."""
    pieces = []
    start = 0
    while True:
        end = body.find(b"\n\n", start)
        if end < 0:
            break
        pieces.append(body[start : end + 2])
        start = end + 2
    if start < len(body):
        pieces.append(body[start:])
    return pieces


def split_bytes(body: bytes, rng: random.Random, max_size: int = 32) -> list[bytes]:
    """``body`` cut into pieces of random sizes from 1 to ``max_size`` bytes."""
    pieces = []
    start = 0
    while start < len(body):
        end = start + rng.randint(1, max_size)
        pieces.append(body[start:end])
        start = end
    return pieces


class _SyncChunks(httpx.SyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks


class _AsyncChunks(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            # Let other tasks run between reads, as they would while waiting on a socket.
            await anyio.lowlevel.checkpoint()
            yield chunk
