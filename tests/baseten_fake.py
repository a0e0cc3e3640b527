"""A fake of Baseten's dedicated-model, chain and management endpoints, for tests.

One :class:`FakeBaseten` holds the state and answers requests (``handle``); it is served two ways
with the same behaviour:

* :meth:`FakeBaseten.mock_transport`: an ``httpx.MockTransport`` (sync and async clients);
* :func:`serve`: a real HTTP/1.1 server on 127.0.0.1 (a daemon thread that stops when the
  ``with`` block ends, or by itself after ``lifetime`` seconds), reached through
  :class:`LoopbackTransport` / :class:`AsyncLoopbackTransport`, which send every request to the
  loopback port and keep its ``Host`` header (``model-{id}.api.baseten.co``), so the client
  builds the real Baseten URLs.

The answers follow the documented shapes (docs.baseten.co: "Call your model", "Wake", the
management API reference): predict echoes ``{"output": <payload>}`` (bytes in → the bytes
reversed, ``application/octet-stream``), wake answers 202 ``{}``, chains' ``run_remote``
answers ``{"echo": <inputs>}``, ``async_run_remote`` 201 ``{"request_id": <32 hex>}``, the
legacy bridge (``bridge.baseten.co/{id}/v1/chat/completions``) answers with its quirks, and the
management API lists the models, deployments and environments held in :attr:`models`.

Scripted behaviour, per target path (``"environments/production"``, ``"deployment/d1"``...):
``cold[path] = n`` answers 503 ``n`` times before serving; ``deactivated`` paths answer 404;
``streams[path]`` is a :class:`Reply` for streamed predicts (its chunks, optionally ``cut``
mid-way: the connection is closed before the body ends). ``wake`` moves the deployment's status
through ``WAKING_UP`` → ``LOADING_MODEL`` → ``ACTIVE`` on successive status reads.

To extend it (async inference, webhooks...), add a route with :meth:`FakeBaseten.route`:
``fake.route("POST", r"/(?P<target>.+)/async_predict", handler)``; the handler gets a
:class:`Seen` and the regex match and returns a :class:`Reply`.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from harness import bodies
from harness.loopback import (
    AsyncLoopbackTransport,
    HTTPLoopback,
    Incoming,
    LoopbackTransport,
    Outgoing,
)
from harness.scripted import ScriptedBody

__all__ = [
    "KEY",
    "AsyncLoopbackTransport",
    "FakeBaseten",
    "LoopbackTransport",
    "Reply",
    "Seen",
    "serve",
]

KEY = "fake-baseten-key-0123456789"  # an obvious fake: never a real key

CUT = "peer closed connection without sending complete body"
_HOST = re.compile(r"(model|chain)-([a-z0-9-]+)\.api\.baseten\.co(?::\d+)?")
_TARGET = r"(?P<target>environments/[^/]+|production|development|deployment/[^/]+)"


@dataclass
class Reply(Outgoing):
    """An answer (a :class:`harness.loopback.Outgoing`): ``body`` whole, or ``chunks`` sent one
    write each (HTTP chunked on the loopback server); ``cut`` closes the connection after the
    chunks, before the body is complete."""

    chunks: list[bytes] | None = None


@dataclass
class Seen:
    """A request as the fake received it."""

    method: str
    host: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def kind(self) -> str | None:
        m = _HOST.fullmatch(self.host)
        return m.group(1) if m else None

    @property
    def ident(self) -> str | None:
        m = _HOST.fullmatch(self.host)
        return m.group(2) if m else None

    def json(self) -> Any:
        return json.loads(self.body)


Handler = Callable[[Seen, "re.Match[str]"], Reply]


def _canonical(target: str) -> str:
    return "environments/production" if target == "production" else target


class FakeBaseten:
    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.cold: dict[str, int] = {}
        self.deactivated: set[str] = set()
        self.streams: dict[str, Reply] = {}
        self.queues: dict[str, tuple[int, int]] = {}  # target path -> (queued, in progress)
        # model id -> {"model": ModelV1, "deployments": [DeploymentV1], "environments": [...]}
        self.models: dict[str, dict[str, Any]] = {}
        self.chains: list[dict[str, Any]] = []  # ChainV1 objects served by GET /v1/chains
        self.statuses: dict[str, list[str]] = {}  # deployment id -> statuses still to report
        self._routes: list[tuple[str, re.Pattern[str], str | None, Handler]] = []
        self._lock = threading.Lock()
        self._install_defaults()

    # -- building state --------------------------------------------------------------------

    def route(self, method: str, pattern: str, handler: Handler, host: str | None = None) -> None:
        """Add a route, tried before the default ones: ``host`` is ``"model"``, ``"chain"``,
        ``"api"`` (management) or None for any."""
        self._routes.insert(0, (method, re.compile(pattern), host, handler))

    def add_model(self, model_id: str, *, name: str, deployments: list[dict[str, Any]]) -> None:
        """A model with deployments (dicts of DeploymentV1 fields; ``environment`` names the
        environment a deployment serves)."""
        prod = next((d["id"] for d in deployments if d.get("environment") == "production"), None)
        dev = next((d["id"] for d in deployments if d.get("is_development")), None)
        full = [
            {
                "created_at": "2026-01-02T03:04:05Z",
                "name": d["id"],
                "model_id": model_id,
                "is_production": d.get("environment") == "production",
                "is_development": False,
                "status": "ACTIVE",
                "active_replica_count": 1,
                "autoscaling_settings": None,
                "instance_type_name": "1x4",
                "environment": None,
                **d,
            }
            for d in deployments
        ]
        envs = sorted({d["environment"] for d in full if d["environment"]})
        self.models[model_id] = {
            "model": {
                "id": model_id,
                "created_at": "2026-01-02T03:04:05Z",
                "name": name,
                "deployments_count": len(full),
                "production_deployment_id": prod,
                "development_deployment_id": dev,
                "instance_type_name": "1x4",
                "team_name": "Default",
            },
            "deployments": full,
            "environments": [
                {
                    "name": env,
                    "created_at": "2026-01-02T03:04:05Z",
                    "model_id": model_id,
                    "current_deployment": next(d for d in full if d["environment"] == env),
                    "candidate_deployment": None,
                    "autoscaling_settings": {},
                    "promotion_settings": {},
                    "instance_type": {},
                }
                for env in envs
            ],
        }

    # -- answering ---------------------------------------------------------------------------

    def handle(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
        if seen.headers.get("authorization") != f"Api-Key {KEY}":
            return Reply.json(401, {"error": "please check the api-key you provided"})
        hostname = seen.host.split(":")[0]
        where = {"api.baseten.co": "api", "bridge.baseten.co": "bridge"}.get(hostname, seen.kind)
        for method, pattern, host, handler in self._routes:
            if method != seen.method or (host is not None and host != where):
                continue
            found = pattern.fullmatch(seen.path)
            if found:
                return handler(seen, found)
        return Reply.json(404, {"error": f"no route for {seen.method} {seen.path}"})

    def _install_defaults(self) -> None:
        r = self.route
        r("GET", r"/v1/models/(?P<m>[^/]+)/environments/(?P<e>[^/]+)", self._get_env, "api")
        r("GET", r"/v1/models/(?P<m>[^/]+)/environments", self._list("environments"), "api")
        r("GET", r"/v1/models/(?P<m>[^/]+)/deployments/(?P<d>[^/]+)", self._get_dep, "api")
        r("GET", r"/v1/models/(?P<m>[^/]+)/deployments", self._list("deployments"), "api")
        r("GET", r"/v1/models/(?P<m>[^/]+)", self._get_model, "api")
        r("GET", r"/v1/models", self._list_models, "api")
        r("GET", r"/v1/chains", lambda s, m: Reply.json(200, {"chains": self.chains}), "api")
        r("POST", rf"/{_TARGET}/async_run_remote", self._async_run, "chain")
        r("POST", rf"/{_TARGET}/run_remote", self._run_remote, "chain")
        # Wake is documented for deployment/{id} and development only (docs.baseten.co,
        # inference-api/wake): an environment has no wake route.
        r("POST", r"/(?P<target>development|deployment/[^/]+)/wake", self._wake, "model")
        r("POST", rf"/{_TARGET}/predict", self._predict, "model")
        r("GET", rf"/{_TARGET}/async_queue_status", self._queue_status, None)
        r("POST", r"/(?P<m>[^/]+)/v1/chat/completions", self._bridge_chat, "bridge")

    def _gate(self, target: str) -> Reply | None:
        """The 404 of a deactivated deployment, or the 503 of a cold start, if due."""
        if target in self.deactivated:
            return Reply.json(404, {"error": "Model version not found"})
        with self._lock:
            if self.cold.get(target, 0) > 0:
                self.cold[target] -= 1
                return Reply.json(503, {"error": "model is starting"})
        return None

    def _predict(self, seen: Seen, m: re.Match[str]) -> Reply:
        target = _canonical(m["target"])
        gated = self._gate(target)
        if gated is not None:
            return gated
        if target in self.streams:
            return self.streams[target]
        if seen.headers.get("content-type") == "application/octet-stream":
            return Reply(200, seen.body[::-1], {"Content-Type": "application/octet-stream"})
        return Reply.json(200, {"output": seen.json()})

    def _wake(self, seen: Seen, m: re.Match[str]) -> Reply:
        target = _canonical(m["target"])
        if target in self.deactivated:
            return Reply.json(404, {"error": "Model version not found"})
        dep = self._deployment_of(seen.ident or "", target)
        if dep is not None and dep["status"] == "SCALED_TO_ZERO":
            self.statuses[dep["id"]] = ["WAKING_UP", "LOADING_MODEL", "ACTIVE"]
        return Reply.json(202, {})

    def _run_remote(self, seen: Seen, m: re.Match[str]) -> Reply:
        gated = self._gate(_canonical(m["target"]))
        return gated or Reply.json(200, {"echo": seen.json()})

    def _async_run(self, seen: Seen, m: re.Match[str]) -> Reply:
        gated = self._gate(_canonical(m["target"]))
        return gated or Reply.json(201, {"request_id": secrets.token_hex(16)})

    def _queue_status(self, seen: Seen, m: re.Match[str]) -> Reply:
        target = _canonical(m["target"])
        queued, running = self.queues.get(target, (0, 0))
        dep = self._deployment_of(seen.ident or "", target)
        return Reply.json(
            200,
            {
                f"{seen.kind}_id": seen.ident,
                "deployment_id": dep["id"] if dep else "dep0",
                "num_queued_requests": queued,
                "num_in_progress_requests": running,
            },
        )

    BRIDGE_TEXT = ("It was played ", "at a neutral site.")

    def _bridge_chat(self, seen: Seen, m: re.Match[str]) -> Reply:
        """The legacy bridge's documented answer: a random ``chatcmpl-<uuid>`` id, a null
        finish reason, zero usage, ``model`` echoing the model id."""
        body = seen.json()
        zero = bodies.usage(0, 0)
        kw: dict[str, Any] = {"id": f"chatcmpl-{uuid.uuid4()}", "model": m["m"], "created": None}
        if not body.get("stream"):
            text = "".join(self.BRIDGE_TEXT)
            return Reply.json(200, bodies.completion(text, finish=None, usage=zero, **kw))
        events = [bodies.chunk({"content": p}, finish=None, **kw) for p in self.BRIDGE_TEXT]
        events.append(bodies.chunk(None, usage=zero, **kw))
        chunks = [*(bodies.event(e) for e in events), bodies.DONE]
        return Reply(headers={"Content-Type": "text/event-stream"}, chunks=chunks)

    # -- management ----------------------------------------------------------------------------

    def _deployment_of(self, model_id: str, target: str) -> dict[str, Any] | None:
        entry = self.models.get(model_id)
        if entry is None:
            return None
        for d in entry["deployments"]:
            if target in (f"deployment/{d['id']}", f"environments/{d['environment']}"):
                return d  # type: ignore[no-any-return]
            if target == "development" and d["is_development"]:
                return d  # type: ignore[no-any-return]
        return None

    def _status(self, dep: dict[str, Any]) -> dict[str, Any]:
        queue = self.statuses.get(dep["id"])
        if queue:
            dep["status"] = queue.pop(0)
        return dep

    def _get_model(self, seen: Seen, m: re.Match[str]) -> Reply:
        entry = self.models.get(m["m"])
        if entry is None:
            return Reply.json(404, {"code": "NOT_FOUND", "message": "Model not found"})
        return Reply.json(200, entry["model"])

    def _list_models(self, seen: Seen, m: re.Match[str]) -> Reply:
        return Reply.json(200, {"models": [e["model"] for e in self.models.values()]})

    def _list(self, kind: str) -> Handler:
        def answer(seen: Seen, m: re.Match[str]) -> Reply:
            entry = self.models.get(m["m"])
            if entry is None:
                return Reply.json(404, {"code": "NOT_FOUND", "message": "Model not found"})
            return Reply.json(200, {kind: entry[kind]})

        return answer

    def _get_dep(self, seen: Seen, m: re.Match[str]) -> Reply:
        entry = self.models.get(m["m"])
        name = m["d"]
        target = {"production": "environments/production", "development": "development"}.get(
            name, f"deployment/{name}"
        )
        dep = self._deployment_of(m["m"], target) if entry else None
        if dep is None:
            return Reply.json(404, {"code": "NOT_FOUND", "message": "Deployment not found"})
        return Reply.json(200, self._status(dep))

    def _get_env(self, seen: Seen, m: re.Match[str]) -> Reply:
        entry = self.models.get(m["m"])
        env = next((e for e in (entry or {}).get("environments", []) if e["name"] == m["e"]), None)
        if env is None:
            return Reply.json(404, {"code": "NOT_FOUND", "message": "Environment not found"})
        self._status(env["current_deployment"])
        return Reply.json(200, env)

    # -- serving -------------------------------------------------------------------------------

    def mock_transport(self) -> httpx.MockTransport:
        """The fake as an httpx.MockTransport; a ``cut`` reply raises RemoteProtocolError after
        its chunks, as httpx does when a connection closes mid-body."""

        def respond(request: httpx.Request) -> httpx.Response:
            seen = Seen(
                request.method,
                request.url.netloc.decode(),
                request.url.path,
                {k.lower(): v for k, v in request.headers.items()},
                request.read(),
            )
            reply = self.handle(seen)
            if reply.chunks is None:
                return httpx.Response(reply.status, headers=reply.headers, content=reply.body)
            return httpx.Response(
                reply.status,
                headers=reply.headers,
                stream=ScriptedBody(
                    [*reply.chunks, httpx.RemoteProtocolError(CUT)] if reply.cut else reply.chunks
                ),
            )

        return httpx.MockTransport(respond)


# -- loopback ----------------------------------------------------------------------------------


def _answer(fake: FakeBaseten, req: Incoming) -> Outgoing:
    seen = Seen(req.method, req.host, req.path, req.headers, req.body)
    reply = fake.handle(seen)
    if reply.chunks is None:
        return reply
    return Outgoing(reply.status, reply.chunks, reply.headers, framing="chunked", cut=reply.cut)


@dataclass
class Loopback:
    fake: FakeBaseten
    port: int

    def transport(self) -> LoopbackTransport:
        return LoopbackTransport(self.port)

    def async_transport(self) -> AsyncLoopbackTransport:
        return AsyncLoopbackTransport(self.port)


@contextmanager
def serve(fake: FakeBaseten | None = None, *, lifetime: float = 60.0) -> Iterator[Loopback]:
    """Serve ``fake`` on 127.0.0.1 (a free port) until the block ends, at most ``lifetime`` s."""
    fake = fake or FakeBaseten()
    with HTTPLoopback(lambda req: _answer(fake, req), lifetime=lifetime) as server:
        yield Loopback(fake, server.port)
