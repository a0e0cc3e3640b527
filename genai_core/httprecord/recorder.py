"""Record and replay the HTTP traffic of httpx clients: a small layer on vcrpy.

::

    from genai_core.httprecord import Recorder

    with Recorder("testdata/test_chat/test_hello.yaml"):  # mode from RECORD; default replay
        client = genai_baseten.Client(model="openai/gpt-oss-120b")
        print(client.gen_sync([genai.Message.user("hello")]).text)

What comes from vcrpy: the cassette object and its record modes (``none`` / ``new_episodes`` /
``all``), the matcher protocol (our matchers are plain vcrpy matchers: method, URL, JSON body
compared as parsed JSON), ``before_record_request`` / ``before_record_response`` hooks (ours
scrub credentials and noise; yours run after them, with vcrpy's signatures), and the persister
extension point (ours validates on load, writes readable YAML or JSON, and refuses to write a
cassette that still holds a secret). What does not: the httpx stubs. vcrpy's read a streamed body
whole before the client sees a byte and replay it as one read; the httpx transports are patched
here with :class:`~.transport.ReplayTransport` instead, which streams while recording and
replays an SSE body in many reads (see that module for why).

Modes (argument ``mode=``, else the ``RECORD`` environment variable):

=====================  ======================  ============================================
mode                   ``RECORD=``             behaviour
=====================  ======================  ============================================
``replay`` (default)   unset, ``0``, ``none``  answer from the cassette; a request it has no
                                               answer for fails, showing the closest one
``new``                ``1``, ``new``          replay what is recorded, record the rest
``all``                ``all``                 send everything, rewrite the cassette
=====================  ======================  ============================================
"""

from __future__ import annotations

import datetime
import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from vcr.cassette import Cassette as VcrCassette
from vcr.persisters.filesystem import CassetteNotFoundError
from vcr.record_mode import RecordMode as VcrRecordMode
from vcr.request import Request as VcrRequest

from .._redact import MIN_SECRET_LENGTH, contains_secret, redact
from .._version import __version__
from ..errors import ValidationError
from .cassette import (
    _YAML_SUFFIXES,
    KEY_LIKE,
    MATCHERS,
    Cassette,
    CassetteError,
    Interaction,
    Matcher,
    RecordedRequest,
    RecordedResponse,
    _interaction_dict,
    add_replay_note,
    mismatch_error,
    scrub_url,
    served_note,
    write_if_changed,
)
from .modes import ENV_VAR, RecordMode, mode_from_env, parse_mode
from .transport import ReplayTransport, Split

__all__ = [
    "ENV_VAR",
    "RecordMode",
    "Recorder",
    "SecretLeakError",
    "UnplayedInteractionsError",
    "mode_from_env",
]

_VCR_MODES = {
    RecordMode.REPLAY: VcrRecordMode.NONE,
    RecordMode.NEW: VcrRecordMode.NEW_EPISODES,
    RecordMode.ALL: VcrRecordMode.ALL,
}


class SecretLeakError(CassetteError):
    """The cassette about to be written still holds a credential; nothing was written."""


class UnplayedInteractionsError(ValidationError):
    """Strict mode: the cassette holds interactions the code under test never asked for."""


# Headers that are dropped before an interaction is stored: credentials, and values that change
# on every request without saying anything about the answer.
_NOISE = re.compile(
    r"^(date|set-cookie|cookie|cf-ray|openai-organization|openai-project|"
    r"anthropic-organization-id)$|(^|-)(request-?id|requestid|trace-?id|inference-id)$",
    re.IGNORECASE,
)
# Request headers about how the bytes travel, or the client's version: they change nothing in the
# answer and would make every re-recording a diff.
_REQUEST_NOISE = frozenset(
    {"host", "content-length", "connection", "accept-encoding", "user-agent", "transfer-encoding"}
)
# Environment variables whose values must never land in a cassette.
_SECRET_ENV = re.compile(r"(API_?KEY|_TOKEN|_SECRET|_KEY|PASSWORD)$", re.IGNORECASE)
# Shorter values are too likely to occur by chance in a body to be checked for.
_MIN_SECRET = MIN_SECRET_LENGTH


def scrubbed_header(name: str) -> bool:
    """Whether a header of this name is left out of cassettes (credential or noise)."""
    return bool(KEY_LIKE.search(name) or _NOISE.search(name))


def secrets_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``{value: variable name}`` of every key-like environment variable."""
    env = os.environ if environ is None else environ
    return {v: k for k, v in env.items() if _SECRET_ENV.search(k) and len(v) >= _MIN_SECRET}


# --- conversions between our records and vcrpy's -------------------------------------------------


def _to_vcr(request: RecordedRequest) -> VcrRequest:
    return VcrRequest(request.method, request.uri, request.body, dict(request.headers))


def _from_vcr(request: VcrRequest) -> RecordedRequest:
    body = request.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    headers = {k: list(v) if isinstance(v, list) else [v] for k, v in request.headers.items()}
    return RecordedRequest(request.method.upper(), request.uri, bytes(body), headers)


def _to_vcr_response(response: RecordedResponse) -> dict[str, Any]:
    return {
        "status": {"code": response.status_code, "message": response.reason},
        "headers": {k: list(v) for k, v in response.headers.items()},
        "body": {"string": response.body},
    }


def _from_vcr_response(response: Mapping[str, Any]) -> RecordedResponse:
    body = response["body"]["string"] or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    status = response["status"]
    return RecordedResponse(
        int(status["code"]), dict(response["headers"]), body, status.get("message") or ""
    )


# --- the pieces vcrpy calls ----------------------------------------------------------------------


class _Persister:
    """vcrpy's persister interface: our validating loader and our readable, checked writer."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.metadata: dict[str, Any] = {}

    def load_cassette(self, cassette_path: str, serializer: object) -> tuple[list[Any], list[Any]]:
        path = Path(cassette_path)
        if not path.is_file() or not path.read_text(encoding="utf-8").strip():
            raise CassetteNotFoundError(cassette_path)
        cassette = Cassette.load(path)
        self.metadata = dict(cassette.metadata)
        return (
            [_to_vcr(it.request) for it in cassette.interactions],
            [_to_vcr_response(it.response) for it in cassette.interactions],
        )

    def save_cassette(
        self, cassette_path: str, cassette_dict: Mapping[str, Any], serializer: object
    ) -> None:
        interactions = [
            Interaction(_from_vcr(req), _from_vcr_response(resp))
            for req, resp in zip(cassette_dict["requests"], cassette_dict["responses"], strict=True)
        ]
        if not interactions:
            return  # an empty cassette is never written
        cassette = Cassette(
            interactions, metadata=self.recorder._metadata_for(interactions), path=cassette_path
        )
        text = cassette.dumps(yaml_format=cassette_path.endswith(_YAML_SUFFIXES))
        self.recorder._check_secrets(text, cassette)
        write_if_changed(Path(cassette_path), text)


class _Store:
    """The recorder's interaction store, on vcrpy's cassette (see cassette.InteractionStore)."""

    def __init__(self, recorder: Recorder, cassette: VcrCassette) -> None:
        self.recorder = recorder
        self.cassette = cassette
        self.path = str(recorder.path)
        self._lock = threading.Lock()

    def play(self, request: RecordedRequest) -> tuple[int, RecordedResponse] | None:
        # Learnt when replaying too: the pytest plugin scrubs a failing test's report of them.
        self.recorder._learn_secrets(request)
        vreq = _to_vcr(request)
        c = self.cassette
        with self._lock:
            if c.can_play_response_for(vreq):
                response = c.play_response(vreq)
                index = next(i for i, (_, r) in enumerate(c.data) if r is response)
                self.recorder._served.append(index)
                return index, _from_vcr_response(response)
            if not c.write_protected:
                return None
            shown = RecordedRequest(request.method, scrub_url(request.uri), request.body)
            played = [i for i, n in c.play_counts.items() if n]
            raise mismatch_error(
                self.path,
                shown,
                [req for req, _ in c.data],
                played,
                hint=self.recorder._record_hint(),
                matchers=self.recorder.match_on,
            )

    def record(self, request: RecordedRequest, response: RecordedResponse) -> None:
        self.recorder._learn_secrets(request)
        with self._lock:
            self.cassette.append(_to_vcr(request), _to_vcr_response(response))
            self.recorder._recorded += 1


class _Unpatched(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A real transport, never reached through the patch.

    A transport using httpx's own method (the one the patch replaces) gets the original; any
    other (a MockTransport, a transport of the user's) is called through its own method.
    """

    def __init__(self, transport: object) -> None:
        self.transport = transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        method = getattr(type(self.transport), "handle_request", None)
        if method is httpx.HTTPTransport.handle_request:
            method = _REAL_SYNC
        response: httpx.Response = method(self.transport, request)  # type: ignore[misc]
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        method = getattr(type(self.transport), "handle_async_request", None)
        if method is httpx.AsyncHTTPTransport.handle_async_request:
            method = _REAL_ASYNC
        response: httpx.Response = await method(self.transport, request)  # type: ignore[misc]
        return response

    def close(self) -> None:
        close = getattr(self.transport, "close", None)
        if close is not None:
            close()

    async def aclose(self) -> None:
        aclose = getattr(self.transport, "aclose", None)
        if aclose is not None:
            await aclose()


# The methods the patch replaces, as they were when this module was imported.
_REAL_SYNC = httpx.HTTPTransport.handle_request
_REAL_ASYNC = httpx.AsyncHTTPTransport.handle_async_request


# --- the recorder --------------------------------------------------------------------------------

RequestHook = Callable[[VcrRequest], "VcrRequest | None"]
ResponseHook = Callable[[dict[str, Any]], "dict[str, Any] | None"]


class Recorder:
    """One cassette file, replayed or recorded for httpx clients, sync and async.

    ``with recorder:`` routes every ``httpx.Client`` / ``httpx.AsyncClient`` using httpx's
    default transports through the cassette (as vcrpy does); :meth:`transport`,
    :meth:`async_transport`, :meth:`client` and :meth:`async_client` give explicit ones instead.
    Leaving the block (or :meth:`close`) saves what was recorded; with ``strict=True`` it then
    raises :class:`UnplayedInteractionsError` if a recorded interaction was never asked for.

    ``match_on``: vcrpy-style matchers (default: method, URL, JSON body as parsed JSON).
    ``secrets``: values that must not be written (checked as well: key-like environment
    variables, and the credentials recorded requests carried in headers or the query string).
    ``metadata`` is merged into the cassette's when something is recorded. ``split`` /
    ``seed``: how replayed SSE bodies are cut into reads (see :class:`~.transport.ReplayTransport`).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        mode: RecordMode | str | None = None,
        strict: bool = False,
        split: Split = "events",
        seed: int = 0,
        secrets: Iterable[str] = (),
        metadata: Mapping[str, Any] | None = None,
        before_record_request: RequestHook | None = None,
        before_record_response: ResponseHook | None = None,
        match_on: Sequence[Matcher] = MATCHERS,
    ) -> None:
        self.path = Path(path)
        self.mode = mode_from_env() if mode is None else parse_mode(mode)
        self.strict = strict
        self.split: Split = split
        self.seed = seed
        self.user_metadata = dict(metadata or {})
        self._secrets: dict[str, str] = secrets_from_env()
        given = [s for s in secrets if s]
        short = [s for s in given if not isinstance(s, str) or len(s) < MIN_SECRET_LENGTH]
        if short:
            # A value this short occurs by chance in any body: the check would refuse every
            # cassette. Say so rather than not checking it. (The value itself is not quoted.)
            raise ValidationError(
                f"Recorder secrets= takes strings of {MIN_SECRET_LENGTH} characters or more; "
                f"got {len(short)} shorter value(s) (or not strings)"
            )
        self._secrets.update({s: "a secret passed to the Recorder" for s in given})
        self._user_request_hook = before_record_request
        self._user_response_hook = before_record_response
        self.match_on = tuple(match_on)
        self._recorded = 0
        self._served: list[int] = []
        self._persister = _Persister(self)
        self._patched: list[tuple[type, str, Any]] = []
        self._closed = False
        # vcrpy runs the before_record hooks over the interactions it loads as well: the built-in
        # response scrubbing must not drop headers a cassette holds on purpose (a request id
        # that a test checks), so it only applies to what is recorded now.
        self._loading = True
        self._cassette = VcrCassette.load(
            path=str(self.path),
            persister=self._persister,
            record_mode=_VCR_MODES[self.mode],
            match_on=tuple(match_on),
            before_record_request=self._scrub_request,
            before_record_response=self._scrub_response,
            # Re-recording everything keeps only what was recorded now.
            drop_unused_requests=self.mode is RecordMode.ALL,
        )
        self._loading = False
        self._loaded = len(self._cassette.data)
        self._store = _Store(self, self._cassette)
        # A replay transport for requests that must not go anywhere else (split/seed checked).
        self._replay = ReplayTransport(self._store, split=split, seed=seed)

    def __repr__(self) -> str:
        return f"<Recorder {self.path} mode={self.mode.value}>"

    @property
    def metadata(self) -> dict[str, Any]:
        """The metadata of the cassette as loaded."""
        return dict(self._persister.metadata)

    @property
    def interaction_count(self) -> int:
        return len(self._cassette.data)

    @property
    def unplayed(self) -> list[int]:
        """Indexes of loaded interactions that were not replayed (in ``all`` mode: none)."""
        if self.mode is RecordMode.ALL:
            return []
        return [i for i in range(self._loaded) if self._cassette.play_counts[i] == 0]

    @property
    def served(self) -> list[int]:
        """Indexes of the interactions replayed so far, in the order they were served."""
        return list(self._served)

    def replay_note(self) -> str:
        """Which recorded answers the code under test was given; ``""`` when none was.

        Added to an error raised while replaying (see :func:`~.cassette.served_note`).
        """
        return served_note(str(self.path), self._served, [req for req, _ in self._cassette.data])

    # -- transports ------------------------------------------------------------------------

    def transport(self, real: httpx.BaseTransport | None = None) -> ReplayTransport:
        """A sync transport over the cassette; records through ``real`` (default: httpx's)."""
        if self.mode is RecordMode.REPLAY:
            return self._replay
        return self._transport(sync=_Unpatched(real or httpx.HTTPTransport()))

    def async_transport(self, real: httpx.AsyncBaseTransport | None = None) -> ReplayTransport:
        """An async transport over the cassette; records through ``real`` (default: httpx's)."""
        if self.mode is RecordMode.REPLAY:
            return self._replay
        return self._transport(async_=_Unpatched(real or httpx.AsyncHTTPTransport()))

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(transport=self.transport(), **kwargs)

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.async_transport(), **kwargs)

    def _transport(
        self,
        *,
        sync: httpx.BaseTransport | None = None,
        async_: httpx.AsyncBaseTransport | None = None,
    ) -> ReplayTransport:
        return ReplayTransport(
            self._store, split=self.split, seed=self.seed, real=sync, real_async=async_
        )

    # -- context ---------------------------------------------------------------------------

    def __enter__(self) -> Recorder:
        self._patch()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        add_replay_note(exc, self.replay_note())
        self.close(check=exc is None)

    async def __aenter__(self) -> Recorder:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def close(self, *, check: bool = True) -> None:
        """Stop routing httpx, save what was recorded, and (strict) check all was played."""
        if self._closed:
            return
        self._closed = True
        self._unpatch()
        self._cassette._save()  # vcrpy's own save: it decides what the mode keeps
        unplayed = self.unplayed
        if check and self.strict and unplayed:
            listed = "; ".join(
                f"{i}: {req.method} {req.uri}"
                for i, (req, _) in enumerate(self._cassette.data)
                if i in unplayed
            )
            raise UnplayedInteractionsError(
                f"{self.path}: {len(unplayed)} recorded interaction(s) were not replayed "
                f"(strict mode): {listed}; the code under test no longer asks for them (it sent "
                f"fewer requests, or different ones). Re-record the cassette ({ENV_VAR}=all) if "
                "that is intended."
            )

    def _patch(self) -> None:
        recorder = self

        def handle_request(transport: httpx.HTTPTransport, request: httpx.Request) -> Any:
            real = _Unpatched(transport)
            return recorder._transport(sync=real).handle_request(request)

        async def handle_async_request(
            transport: httpx.AsyncHTTPTransport, request: httpx.Request
        ) -> Any:
            real = _Unpatched(transport)
            return await recorder._transport(async_=real).handle_async_request(request)

        for cls, name, fn in (
            (httpx.HTTPTransport, "handle_request", handle_request),
            (httpx.AsyncHTTPTransport, "handle_async_request", handle_async_request),
        ):
            self._patched.append((cls, name, cls.__dict__[name]))
            setattr(cls, name, fn)

    def _unpatch(self) -> None:
        while self._patched:
            cls, name, original = self._patched.pop()
            setattr(cls, name, original)

    # -- scrubbing and the secret check ----------------------------------------------------

    def _scrub_request(self, request: VcrRequest) -> VcrRequest | None:
        kept = {
            k: v
            for k, v in request.headers.items()
            if not scrubbed_header(k) and k.lower() not in _REQUEST_NOISE
        }
        clean = VcrRequest(request.method, scrub_url(request.uri), request.body, kept)
        return self._user_request_hook(clean) if self._user_request_hook else clean

    def _scrub_response(self, response: dict[str, Any]) -> dict[str, Any] | None:
        if not self._loading:
            response["headers"] = {
                k: v for k, v in response["headers"].items() if not scrubbed_header(k)
            }
        return self._user_response_hook(response) if self._user_response_hook else response

    def _learn_secrets(self, request: RecordedRequest) -> None:
        """Remember the credentials a recorded request carried, to check the file for them."""
        found = [
            (value, f"the {name} header of a request")
            for name, values in request.headers.items()
            if KEY_LIKE.search(name)
            for value in values
        ]
        query = urlsplit(request.uri).query
        found += [
            (value, f"the {name} query parameter of a request")
            for name, value in parse_qsl(query, keep_blank_values=True)
            if KEY_LIKE.search(name)
        ]
        for value, label in found:
            # "Api-Key sk-..." / "Bearer sk-...": the credential is the last word.
            for secret in (value, value.split()[-1] if value.split() else ""):
                if len(secret) >= _MIN_SECRET:
                    self._secrets.setdefault(secret, label)

    def scrub(self, text: str) -> str:
        """``text`` with every credential this recorder knows of (key-like environment
        variables, ``secrets=``, credentials seen in requests) redacted, in any encoding."""
        return redact(text, self._secrets)

    def _check_secrets(self, text: str, cassette: Cassette) -> None:
        # Any encoding counts (JSON escapes, percent-encoding, base64 of Basic auth...): a key a
        # server echoed as "sk-ab\/cd" is as much a leak as the plain one.
        for secret, label in self._secrets.items():
            if contains_secret(text, (secret,)) is None:
                continue
            where = next(
                (
                    f"interaction {i}"
                    for i, it in enumerate(cassette.interactions)
                    if any(
                        contains_secret(part, (secret,))
                        for part in (
                            json.dumps(_interaction_dict(it), ensure_ascii=False),
                            it.response.body.decode("utf-8", "replace"),
                            it.request.body.decode("utf-8", "replace"),
                        )
                    )
                ),
                "its metadata",
            )
            raise SecretLeakError(
                f"{cassette.path}: refusing to write the cassette: {where} still contains "
                f"{label}. Remove it with before_record_request / before_record_response "
                "(or leave it out of the request)."
            )

    def _metadata_for(self, interactions: list[Interaction]) -> dict[str, Any]:
        loaded = self._persister.metadata
        if self._recorded == 0:
            return dict(loaded)
        # Recorded now: no longer (only) hand-written, whatever the loaded file said.
        meta = {k: v for k, v in loaded.items() if k not in ("authored", "description", "written")}
        meta.update(self.user_metadata)
        meta["recorded"] = datetime.date.today().isoformat()
        models = set()
        for it in interactions:
            body = it.request.parsed_body()
            if isinstance(body, dict) and isinstance(body.get("model"), str):
                models.add(body["model"])
        if models:
            meta["models"] = sorted(models)
        meta["genai_version"] = __version__
        return meta

    def _record_hint(self) -> str:
        if self.mode is not RecordMode.REPLAY:
            return ""
        if self._loaded:
            return (
                f". To record it, run with {ENV_VAR}=all (re-records the whole cassette) or "
                f"{ENV_VAR}=1 (adds what is missing and keeps every recorded interaction, so a "
                "strict test then fails on any it no longer asks for)"
            )
        missing = "is empty" if self.path.exists() else "does not exist yet"
        return (
            f" ({self.path} {missing}). To record it, run with {ENV_VAR}=1 (new) or {ENV_VAR}=all."
        )
