"""Cassette files: the format, loading with clear errors, saving, and request matching.

A cassette is vcrpy's cassette format (version 1), so vcrpy itself can read ours, plus a
``metadata`` object that says where the traffic came from::

    version: 1
    metadata: {authored: true, description: ..., written: 2026-11-24}  # or recorded, models
    interactions:
    - request:  {method: POST, uri: https://..., body: <text or null>, headers: {Name: [value]}}
      response: {status: {code: 200, message: OK}, headers: {Name: [value, ...]},
                 body: {string: <text>}}                                # {base64: ...} if binary

It is written as YAML (``.yaml``: multi-line bodies as literal blocks, one SSE event per line, so
a re-recording diffs line by line; needs PyYAML, which the ``record`` extra installs) or as JSON
(any other suffix; the standard library reads it, which is why the cassettes the CLI ships are
JSON). In YAML, request bodies that are JSON are stored indented: matching compares parsed JSON,
so the layout is free to serve the reader.

:meth:`Cassette.load` also reads the plain recording format of ``maruel/genai``'s converted
recordings and of this project's first cassettes (``interactions[].request.url`` and
``response.status_code``), so such files replay without conversion.

Nothing here imports vcrpy: replaying a cassette (``genai demo``, ``genai chat --replay``) costs
only this module.
"""

from __future__ import annotations

import base64
import difflib
import json
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from ..errors import ValidationError

__all__ = [
    "CASSETTE_VERSION",
    "Cassette",
    "CassetteError",
    "Interaction",
    "Matcher",
    "RecordedRequest",
    "RecordedResponse",
    "ReplayMismatchError",
    "match_json_body",
    "match_method",
    "match_url",
]

CASSETTE_VERSION = 1
"""vcrpy's cassette format version, which ours is."""

REDACTED = "REDACTED"

# Longest piece of a value quoted in a one-line mismatch summary, and of a body diff.
_EXCERPT = 60
_DIFF_LINES = 24

_YAML_SUFFIXES = (".yaml", ".yml")

# A header or query parameter whose name says it carries a credential.
KEY_LIKE = re.compile(
    r"(^|[-_])(api[-_]?key|key|token|secret|password|auth|authorization|cookie|session)([-_]|$)",
    re.IGNORECASE,
)


class CassetteError(ValidationError):
    """A cassette file that cannot be used: unreadable, corrupt, hand-edited wrongly, or old.

    The message names the file and, when one is at fault, the interaction (0-based).
    """


class ReplayMismatchError(ValidationError):
    """A request that no unused recorded interaction matches.

    ``str()`` starts with a one-line summary (:attr:`summary`) naming the cassette, the request,
    the closest recorded request and its first difference, followed by a diff of the two bodies.
    """

    def __init__(self, summary: str, details: str = "") -> None:
        super().__init__(summary + (f"\n{details}" if details else ""))
        self.summary = summary


# --- the records ---------------------------------------------------------------------------------


def _json_or_none(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except ValueError:
        return _NotJSON(body.decode("utf-8", "replace"))


@dataclass(frozen=True)
class _NotJSON:
    text: str


@dataclass(frozen=True)
class RecordedRequest:
    """A request as stored. ``method``, ``uri`` and ``body`` are the names vcrpy matchers use."""

    method: str
    uri: str
    body: bytes = b""
    headers: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def parsed_body(self) -> Any:
        """The body as parsed JSON; None for no body; a marker holding the text if not JSON."""
        return _json_or_none(self.body)

    @classmethod
    def from_httpx(cls, request: httpx.Request, body: bytes) -> RecordedRequest:
        headers: dict[str, list[str]] = {}
        for name, value in request.headers.multi_items():
            headers.setdefault(name, []).append(value)
        return cls(request.method.upper(), str(request.url), body, headers)


@dataclass(frozen=True)
class RecordedResponse:
    status_code: int
    headers: Mapping[str, Sequence[str]]
    body: bytes
    reason: str = ""

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


class InteractionStore(Protocol):
    """Where a replaying transport gets its answers (and, when recording, puts new ones)."""

    path: str

    def play(self, request: RecordedRequest) -> tuple[int, RecordedResponse] | None:
        """The recorded answer and its index; None to send it to the network and record it.

        Raises ReplayMismatchError when the request has no recording and may not be recorded.
        """

    def record(self, request: RecordedRequest, response: RecordedResponse) -> None: ...


# --- matching (vcrpy matcher functions: raise AssertionError saying why two requests differ) ----


def match_method(r1: Any, r2: Any) -> None:
    if r1.method.upper() != r2.method.upper():
        raise AssertionError(f"method: sent {r1.method}, recorded {r2.method}")


def match_url(r1: Any, r2: Any) -> None:
    """Same URL, up to what httpx normalises (default port, percent-encoding case, ...)."""
    if httpx.URL(r1.uri) != httpx.URL(r2.uri):
        raise AssertionError(f"URL: sent {r1.uri}, recorded {r2.uri}")


def match_json_body(r1: Any, r2: Any) -> None:
    """Bodies equal as parsed JSON (key order and whitespace do not matter); else as bytes."""
    diff = first_difference(_body_value(r1), _body_value(r2))
    if diff is not None:
        raise AssertionError(f"body at {diff}")


Matcher = Callable[[Any, Any], None]
MATCHERS: tuple[Matcher, ...] = (match_method, match_url, match_json_body)


def _body_value(request: Any) -> Any:
    if isinstance(request, RecordedRequest):
        return request.parsed_body()
    body = request.body
    if body is None:
        return None
    if isinstance(body, str):
        body = body.encode("utf-8")
    return _json_or_none(bytes(body))


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


def _excerpt(value: Any) -> str:
    text = value.text if isinstance(value, _NotJSON) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 3] + "..."


def first_difference(sent: Any, recorded: Any, where: str = "$") -> str | None:
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
            diff = first_difference(sent[key], recorded[key], f"{where}.{key}")
            if diff:
                return diff
        return None
    if isinstance(sent, list) and isinstance(recorded, list):
        for i, (a, b) in enumerate(zip(sent, recorded, strict=False)):
            diff = first_difference(a, b, f"{where}[{i}]")
            if diff:
                return diff
        if len(sent) != len(recorded):
            return f"{where}: sent {len(sent)} items, recorded {len(recorded)}"
        return None
    return f"{where}: sent {_excerpt(sent)}, recorded {_excerpt(recorded)}"


def _pretty(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, _NotJSON):
        return value.text
    return json.dumps(value, sort_keys=True, ensure_ascii=False, indent=2)


def _similarity(sent: RecordedRequest, sent_body: Any, rec: Any) -> tuple[int, float]:
    same_route = (sent.method == rec.method.upper()) + (httpx.URL(sent.uri) == httpx.URL(rec.uri))
    a, b = _pretty(sent_body), _pretty(_body_value(rec))
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    # ratio() is quadratic at worst: fine for chat bodies, too slow for inline images.
    return same_route, matcher.ratio() if len(a) + len(b) < 50_000 else matcher.quick_ratio()


def mismatch_error(
    path: str,
    request: RecordedRequest,
    recorded: Sequence[Any],
    played: Iterable[int],
    *,
    hint: str = "",
    matchers: Sequence[Matcher] = MATCHERS,
) -> ReplayMismatchError:
    """The error for ``request`` matching no unused interaction of ``recorded``."""
    used = set(played)
    head = f"no unused interaction in {path} matches {request.method} {request.uri}"
    if not recorded:
        return ReplayMismatchError(f"{head}: the cassette has no interactions{hint}")
    for i in reversed(range(len(recorded))):
        if i in used and all(_passes(m, request, recorded[i]) for m in matchers):
            return ReplayMismatchError(
                f"{head}: it matches interaction {i}, which was already replayed "
                f"(each recorded interaction is served once){hint}"
            )
    body = request.parsed_body()
    best = max(
        range(len(recorded)),
        key=lambda i: (*_similarity(request, body, recorded[i]), i not in used),
    )
    rec = recorded[best]
    diffs = [why for m in matchers if (why := _why_not(m, request, rec))]
    tag = " (already replayed)" if best in used else ""
    summary = (
        f"{head}; closest is interaction {best}{tag}, {rec.method} {rec.uri}, which differs in: "
        f"{'; '.join(diffs)}{hint}"
    )
    diff = list(
        difflib.unified_diff(
            _pretty(_body_value(rec)).splitlines(),
            _pretty(body).splitlines(),
            f"recorded body (interaction {best})",
            "this request's body",
            n=2,
            lineterm="",
        )
    )
    if len(diff) > _DIFF_LINES:
        diff = [*diff[:_DIFF_LINES], f"... ({len(diff) - _DIFF_LINES} more lines)"]
    return ReplayMismatchError(summary, "\n".join(diff))


def _why_not(matcher: Any, r1: Any, r2: Any) -> str:
    """Why ``matcher`` says two requests differ; ``""`` when it says they match."""
    try:
        matcher(r1, r2)
    except AssertionError as exc:
        return str(exc) or matcher.__name__
    return ""


def _passes(matcher: Any, r1: Any, r2: Any) -> bool:
    return not _why_not(matcher, r1, r2)


def served_note(path: str, served: Sequence[int], requests: Sequence[Any]) -> str:
    """A line naming the cassette and the interactions served; ``""`` when none was.

    It is added to an error raised while replaying: a hand edit that broke a response body fails
    in the client, far from the cassette, and this says which recorded answer to look at.
    """
    if not served:
        return ""
    last = served[-1]
    request = requests[last]
    return (
        f"while replaying {path}: served interaction(s) {', '.join(map(str, served))}; the "
        f"last, {last} ({request.method} {request.uri}), is the answer being read if the error "
        "is about a malformed response"
    )


def add_replay_note(exc: BaseException | None, note: str) -> None:
    """Add ``note`` (see :func:`served_note`) to an error raised while replaying.

    Not to the cassette's own errors, which name the file already; exception notes need Python
    3.11, so on 3.10 nothing is added.
    """
    if (
        note
        and exc is not None
        and not isinstance(exc, (CassetteError, ReplayMismatchError))
        and hasattr(exc, "add_note")
    ):
        exc.add_note(note)


# --- scrubbing a URL (shared by recording and by matching against scrubbed recordings) ----------


def scrub_url(url: str) -> str:
    """``url`` with the value of every key-like query parameter replaced by ``REDACTED``."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(KEY_LIKE.search(k) for k, _ in pairs):
        return url
    query = urlencode([(k, REDACTED if KEY_LIKE.search(k) else v) for k, v in pairs])
    return urlunsplit(parts._replace(query=query))


# --- the cassette --------------------------------------------------------------------------------


@dataclass
class Cassette:
    """The interactions of one cassette file, validated; replays them first-unused-match first.

    It is an :class:`InteractionStore` that never records: a request it cannot answer raises
    :class:`ReplayMismatchError`. :class:`~genai_core.httprecord.Recorder` records.
    """

    interactions: list[Interaction] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    path: str = "<memory>"
    served: list[int] = field(default_factory=list)
    """Indexes of the interactions served, in order (each at most once)."""
    match_on: Sequence[Matcher] = MATCHERS
    """vcrpy-style matchers: ``fn(request, recorded)`` raising AssertionError on a difference."""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    # -- InteractionStore ------------------------------------------------------------------

    def play(self, request: RecordedRequest) -> tuple[int, RecordedResponse] | None:
        request = _with_uri(request, scrub_url(request.uri))
        with self._lock:
            played = set(self.served)
            for i, it in enumerate(self.interactions):
                if i not in played and all(_passes(m, request, it.request) for m in self.match_on):
                    self.served.append(i)
                    return i, it.response
            recorded = [it.request for it in self.interactions]
            raise mismatch_error(self.path, request, recorded, played, matchers=self.match_on)

    def record(self, request: RecordedRequest, response: RecordedResponse) -> None:
        raise CassetteError(f"{self.path}: this cassette is read-only; record with a Recorder")

    @property
    def unplayed(self) -> list[int]:
        """Indexes of the interactions not served yet."""
        played = set(self.served)
        return [i for i in range(len(self.interactions)) if i not in played]

    def replay_note(self) -> str:
        """Which recorded answers were served (see :func:`served_note`)."""
        return served_note(self.path, self.served, [it.request for it in self.interactions])

    # -- files -----------------------------------------------------------------------------

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], *, match_on: Sequence[Matcher] = MATCHERS
    ) -> Cassette:
        """Read and validate a cassette file (YAML for ``.yaml``/``.yml``, else JSON).

        Raises CassetteError naming the file (and the interaction at fault) for a file that does
        not parse or has the wrong shape; OSError when it cannot be read.
        """
        name = str(path)
        text = Path(path).read_text(encoding="utf-8")
        if name.endswith(_YAML_SUFFIXES):
            yaml = _yaml(name)
            try:
                data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            except yaml.YAMLError as exc:
                raise CassetteError(f"{name}: not a valid cassette (not YAML: {exc})") from None
        else:
            try:
                data = json.loads(text)
            except ValueError as exc:
                raise CassetteError(f"{name}: not a valid cassette (not JSON: {exc})") from None
        cassette = cls.from_dict(data, path=name)
        cassette.match_on = match_on
        return cassette

    @classmethod
    def from_dict(cls, data: Any, *, path: str = "<memory>") -> Cassette:
        """Validate the parsed content of a cassette file; ``path`` names it in errors."""
        if not isinstance(data, dict):
            raise CassetteError(f"{path}: not a valid cassette (expected a mapping at the top)")
        raw = data.get("interactions")
        if not isinstance(raw, list):
            raise CassetteError(f"{path}: 'interactions' must be a list")
        metadata = data.get("metadata", data.get("meta", {}))
        if not isinstance(metadata, dict):
            raise CassetteError(f"{path}: 'metadata' must be a mapping")
        plain = "version" not in data or "meta" in data
        if plain:
            # maruel/genai's converted recordings, and this project's first format.
            metadata = dict(metadata)
            if "source" in data:
                metadata.setdefault("source", data["source"])
            parse = _plain_interaction
        elif data["version"] != CASSETTE_VERSION:
            raise CassetteError(
                f"{path}: unsupported cassette version {data['version']!r} (this reader knows "
                f"version {CASSETTE_VERSION}); re-record it: RECORD=all pytest <the test>"
            )
        else:
            parse = _interaction
        interactions = [parse(item, _Where(path, i)) for i, item in enumerate(raw)]
        return cls(interactions=interactions, metadata=dict(metadata), path=path)

    def to_dict(self, *, pretty: bool = False) -> dict[str, Any]:
        """The file content: vcrpy's layout; ``pretty`` re-indents JSON bodies (request bodies
        freely, as matching parses them; response bodies so that replay restores their bytes)."""
        data: dict[str, Any] = {"version": CASSETTE_VERSION}
        if self.metadata:
            data["metadata"] = self.metadata
        data["interactions"] = [_interaction_dict(it, pretty=pretty) for it in self.interactions]
        return data

    def dumps(self, *, yaml_format: bool) -> str:
        data = self.to_dict(pretty=yaml_format)
        if not yaml_format:
            return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        return _yaml_dump(data, self.path)

    def save(self, path: str | os.PathLike[str] | None = None) -> bool:
        """Write the cassette (format from the suffix); False when the file already says so."""
        target = Path(path if path is not None else self.path)
        text = self.dumps(yaml_format=str(target).endswith(_YAML_SUFFIXES))
        return write_if_changed(target, text)


def write_if_changed(target: Path, text: str) -> bool:
    """Write ``text`` atomically unless the file already holds it; parent dirs are created."""
    try:
        if target.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = target.stat().st_mode & 0o777
    except OSError:
        mode = 0o644  # mkstemp's 0600 would hide a cassette meant to be committed
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def _with_uri(request: RecordedRequest, uri: str) -> RecordedRequest:
    if uri == request.uri:
        return request
    return RecordedRequest(request.method, uri, request.body, request.headers)


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Where:
    path: str
    index: int

    def fail(self, what: str) -> CassetteError:
        return CassetteError(f"{self.path}: interaction {self.index}: {what}")


def _mapping(value: Any, where: _Where, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise where.fail(f"{what} must be a mapping")
    return value


def _headers(value: Any, where: _Where, what: str) -> dict[str, list[str]]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
        for k, v in value.items()
    ):
        raise where.fail(f"{what} must map each header name to a list of strings")
    return {k: list(v) for k, v in value.items()}


def _method_and_url(req: dict[str, Any], key: str, where: _Where) -> tuple[str, str]:
    method, url = req.get("method"), req.get(key)
    if not isinstance(method, str) or not method:
        raise where.fail("request.method must be a non-empty string")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise where.fail(f"request.{key} must be an http(s) URL, got {url!r}")
    return method.upper(), url


def _status(value: Any, where: _Where, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        raise where.fail(f"{what} must be an HTTP status, got {value!r}")
    return value


def _text_body(value: Any, where: _Where, what: str) -> bytes:
    """A body stored as text, ``{"string": text}`` or ``{"base64": ...}``; None for none."""
    if value is None:
        return b""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes):  # YAML !!binary, as plain vcrpy writes non-UTF-8 bodies
        return value
    if isinstance(value, dict) and isinstance(value.get("string"), (str, bytes)):
        text = value["string"]
        layout = value.get("json_layout")
        if layout is not None:
            if layout not in JSON_LAYOUTS or not isinstance(text, str):
                raise where.fail(
                    f"{what}.json_layout must be one of {', '.join(JSON_LAYOUTS)}, got {layout!r}"
                )
            text = restore_json(text, layout)
        return text if isinstance(text, bytes) else text.encode("utf-8")
    if isinstance(value, dict) and value.get("string") is None and "base64" not in value:
        return b""
    if isinstance(value, dict) and isinstance(value.get("base64"), str):
        try:
            return base64.b64decode(value["base64"], validate=True)
        except ValueError:
            raise where.fail(f"{what}.base64 is not base64") from None
    raise where.fail(f"{what} must be text, {{string: text}} or {{base64: data}}")


def _checked_request_body(body: bytes, req: dict[str, Any], where: _Where) -> bytes:
    # A body sent as JSON must still be JSON: a hand edit that broke it would never match.
    headers = {k.lower(): v for k, v in (req.get("headers") or {}).items()}
    declared_json = any("json" in v for v in headers.get("content-type", []))
    looks_json = body.lstrip()[:1] in (b"{", b"[")
    if (declared_json or looks_json) and body.strip():
        try:
            json.loads(body)
        except ValueError as exc:
            raise where.fail(f"request.body is not JSON: {exc}") from None
    return body


def _interaction(item: Any, where: _Where) -> Interaction:
    item = _mapping(item, where, "each interaction")
    req = _mapping(item.get("request"), where, "'request'")
    resp = _mapping(item.get("response"), where, "'response'")
    method, url = _method_and_url(req, "uri", where)
    body = _checked_request_body(_text_body(req.get("body"), where, "request.body"), req, where)
    status = _mapping(resp.get("status"), where, "response.status")
    reason = status.get("message") or ""
    if not isinstance(reason, str):
        raise where.fail("response.status.message must be a string")
    return Interaction(
        RecordedRequest(method, url, body, _headers(req.get("headers"), where, "request.headers")),
        RecordedResponse(
            _status(status.get("code"), where, "response.status.code"),
            _headers(resp.get("headers"), where, "response.headers"),
            _text_body(resp.get("body"), where, "response.body"),
            reason,
        ),
    )


def _plain_interaction(item: Any, where: _Where) -> Interaction:
    item = _mapping(item, where, "each interaction")
    req = _mapping(item.get("request"), where, "'request'")
    resp = _mapping(item.get("response"), where, "'response'")
    method, url = _method_and_url(req, "url", where)
    body = req.get("body") or ""
    if not isinstance(body, str):
        raise where.fail("request.body must be a string (JSON text, or empty)")
    rbody = resp.get("body") or ""
    if not isinstance(rbody, str):
        raise where.fail("response.body must be a string")
    return Interaction(
        RecordedRequest(
            method,
            url,
            _checked_request_body(body.encode("utf-8"), req, where),
            _headers(req.get("headers"), where, "request.headers"),
        ),
        RecordedResponse(
            _status(resp.get("status_code"), where, "response.status_code"),
            _headers(resp.get("headers"), where, "response.headers"),
            rbody.encode("utf-8"),
        ),
    )


# --- writing -------------------------------------------------------------------------------------


def _body_dict(body: bytes) -> dict[str, Any]:
    try:
        return {"string": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(body).decode("ascii")}


def _response_body_dict(resp: RecordedResponse, pretty: bool) -> dict[str, Any]:
    """A response body as stored: a JSON answer re-indented for people when ``pretty`` and when
    the exact bytes can be rebuilt from the indented text (see :func:`readable_json`)."""
    stored = _body_dict(resp.body)
    text = stored.get("string")
    if pretty and text is not None and not resp.is_event_stream:
        readable = readable_json(text)
        if readable is not None:
            return {"string": readable[0], "json_layout": readable[1]}
    return stored


# --- readable JSON bodies --------------------------------------------------------------------
#
# A JSON answer is stored indented so that people can read and diff it, yet replay must serve the
# bytes the server sent. Re-serialising parsed JSON would not give them back (escapes, number
# spellings such as 1e5 or 1.0, duplicate keys), so the indenting only adds whitespace between
# the tokens, each token kept verbatim; the stored ``json_layout`` names the rule that puts the
# original whitespace back. A body no rule rebuilds exactly is stored as it came.

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+')
_JSON_WS = " \t\n\r"

# How the tokens of the original body were joined (the separators after "," and ":").
JSON_LAYOUTS: dict[str, tuple[str, str]] = {"compact": (",", ":"), "spaced": (", ", ": ")}


def _join_json(tokens: Sequence[str], layout: str) -> str:
    comma, colon = JSON_LAYOUTS[layout]
    return "".join(comma if t == "," else colon if t == ":" else t for t in tokens)


def _indent_json(tokens: Sequence[str]) -> str:
    out: list[str] = []
    depth = 0
    for i, tok in enumerate(tokens):
        if tok in "{[":
            out.append(tok)
            if i + 1 < len(tokens) and tokens[i + 1] not in "}]":
                depth += 1
                out.append("\n" + "  " * depth)
        elif tok in "}]":
            if i and tokens[i - 1] not in "{[":
                depth -= 1
                out.append("\n" + "  " * depth)
            out.append(tok)
        elif tok == ",":
            out.append(",\n" + "  " * depth)
        elif tok == ":":
            out.append(": ")
        else:
            out.append(tok)
    return "".join(out)


def readable_json(text: str) -> tuple[str, str] | None:
    """``text`` (a JSON object or array) indented, and the layout that restores it exactly.

    None when ``text`` is not JSON or no layout rebuilds it byte for byte; trailing whitespace
    (a final newline) is kept as it is.
    """
    core = text.rstrip(_JSON_WS)
    if not core.startswith(("{", "[")):
        return None
    try:
        json.loads(core)
    except ValueError:
        return None
    tokens = _JSON_TOKEN.findall(core)
    for layout in JSON_LAYOUTS:
        if _join_json(tokens, layout) == core:
            readable = _indent_json(tokens) + text[len(core) :]
            if readable != text and restore_json(readable, layout) == text:
                return readable, layout
    return None


def restore_json(readable: str, layout: str) -> str:
    """The original text of a body stored by :func:`readable_json` with ``layout``."""
    core = readable.rstrip(_JSON_WS)
    return _join_json(_JSON_TOKEN.findall(core), layout) + readable[len(core) :]


def _readable_request_body(body: bytes, pretty: bool) -> Any:
    if not body:
        return None
    value = _json_or_none(body) if pretty else None
    if value is not None and not isinstance(value, _NotJSON):
        return json.dumps(value, ensure_ascii=False, indent=2)
    text = _body_dict(body)
    return text.get("string", text)


def _interaction_dict(it: Interaction, *, pretty: bool = False) -> dict[str, Any]:
    req, resp = it.request, it.response
    return {
        "request": {
            "method": req.method,
            "uri": req.uri,
            "body": _readable_request_body(req.body, pretty),
            "headers": {k: list(v) for k, v in req.headers.items()},
        },
        "response": {
            "status": {
                "code": resp.status_code,
                "message": resp.reason or httpx.codes.get_reason_phrase(resp.status_code),
            },
            "headers": {k: list(v) for k, v in resp.headers.items()},
            "body": _response_body_dict(resp, pretty),
        },
    }


def _yaml(path: str) -> Any:
    try:
        import yaml
    except ImportError:
        raise CassetteError(
            f"{path}: YAML cassettes need PyYAML; install it with "
            "pip install 'genai-baseten[record]' (or use a .json cassette)"
        ) from None
    return yaml


def _yaml_dump(data: dict[str, Any], path: str) -> str:
    yaml = _yaml(path)

    class Dumper(yaml.SafeDumper):  # type: ignore[name-defined,misc]
        pass

    def text(dumper: Any, value: str) -> Any:
        # Multi-line text as a literal block: an SSE event or a JSON line per line of the file.
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    out: str = yaml.dump(
        data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=1 << 30, indent=2
    )
    return out
