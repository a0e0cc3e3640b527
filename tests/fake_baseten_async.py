"""A loopback fake of Baseten's async inference, following the documented shapes.

``POST /{target}/async_predict`` answers 201 ``{"request_id"}`` and queues the request; a worker
"runs" it (the output echoes ``model_input``) and POSTs the documented webhook payload, signed
``v1=<hex HMAC-SHA256 of the body>`` with the secret, to the request's ``webhook_endpoint`` (three
attempts, as documented). ``GET``/``DELETE /async_request/{id}`` give the status and cancel a
queued request. Behaviour per item, from ``model_input`` keys: ``"fail": true`` fails it with
``MODEL_PREDICT_ERROR``; ``"hold": true`` keeps it queued until cancelled; ``"expire": true``
expires it without a webhook. ``script_429`` answers the next submits with 429s first.
Queued anyway, but with a lost answer: ``"answer": "drop"`` closes the connection, ``"500"``
answers 500, ``"bad"`` answers a 201 without a request id; ``"delay": s`` delivers after ``s``
seconds. ``status_error`` answers every status call with that HTTP status.

Counts every submit per item (``model_input["id"]``) so tests can check nothing ran twice.
Served by the harness's :class:`~harness.loopback.HTTPLoopback`; clients reach it through
:meth:`FakeAsyncBaseten.transport` / :meth:`FakeAsyncBaseten.async_transport`, which send the
``https://model-*.api.baseten.co`` URLs to the fake.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import queue
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from harness.loopback import (
    AsyncLoopbackTransport,
    HTTPLoopback,
    Incoming,
    LoopbackTransport,
    Outgoing,
)

SECRET = "whsec-test-secret-0001"
TIME = "2024-04-30T01:01:08.883423Z"


@dataclass
class Job:
    request_id: str
    model_input: Any
    webhook: str | None
    status: str = "QUEUED"
    webhook_status: str = "PENDING"
    errors: list[dict[str, str]] = field(default_factory=list)


class FakeAsyncBaseten:
    def __init__(self, *, secret: str | None = SECRET, deliver: bool = True) -> None:
        self.secret = secret
        self.deliver = deliver
        self.jobs: dict[str, Job] = {}
        self.submits: Counter[Any] = Counter()
        self.status_calls = 0
        self.status_error: int | None = None
        self.script_429: list[tuple[str, float | None]] = []
        self.lock = threading.Lock()
        self.work: queue.Queue[Job | None] = queue.Queue()
        self.server = HTTPLoopback(self.answer)
        self.worker = threading.Thread(target=self._worker, daemon=True)

    @property
    def port(self) -> int:
        return self.server.port

    def transport(self) -> LoopbackTransport:
        """A sync transport sending every request to the fake, whatever its host."""
        return LoopbackTransport(self.port)

    def async_transport(self) -> AsyncLoopbackTransport:
        """An async transport sending every request to the fake, whatever its host."""
        return AsyncLoopbackTransport(self.port)

    def __enter__(self) -> FakeAsyncBaseten:
        self.server.start()
        self.worker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.work.put(None)
        self.server.stop()
        self.worker.join(timeout=5)

    # -- the HTTP side ----------------------------------------------------------------------

    def answer(self, req: Incoming) -> Outgoing:
        if req.method == "POST":
            return self._submit(req)
        if req.method == "GET":
            return self._status(req)
        if req.method == "DELETE":
            return self._cancel(req)
        return Outgoing.json(405, {"error": "method not allowed"})

    def _submit(self, req: Incoming) -> Outgoing:
        body = req.json()
        if not req.path.endswith("/async_predict"):
            return Outgoing.json(404, {"error": "no route"})
        with self.lock:
            scripted = self.script_429.pop(0) if self.script_429 else None
        if scripted is not None:
            kind, after = scripted
            message = (
                "Too many requests: limit of 50,000 QUEUED or IN_PROGRESS requests"
                if kind == "queue"
                else "Rate limit exceeded: 200 requests per second"
            )
            headers = {"Retry-After": str(after)} if after is not None else {}
            return Outgoing.json(429, {"error": message}, headers)
        mi = body["model_input"]
        key = mi.get("id") if isinstance(mi, dict) else json.dumps(mi)
        job = Job(uuid.uuid4().hex, mi, body.get("webhook_endpoint"))
        with self.lock:
            self.submits[key] += 1
            self.jobs[job.request_id] = job
        if not (isinstance(mi, dict) and (mi.get("hold") or mi.get("expire"))):
            self.work.put(job)
        elif mi.get("expire"):
            job.status, job.webhook_status = "EXPIRED", "CANCELED"
            job.errors = []
        answer = mi.get("answer") if isinstance(mi, dict) else None
        if answer == "drop":
            return Outgoing(drop=True)  # queued, but the client gets no answer
        if answer == "500":
            return Outgoing.json(500, {"error": "internal error"})
        if answer == "bad":
            return Outgoing.json(201, {"id": job.request_id})
        return Outgoing.json(201, {"request_id": job.request_id})

    def _job(self, req: Incoming) -> Job | None:
        rid = req.path.rsplit("/", 1)[-1]
        with self.lock:
            self.status_calls += 1
            return self.jobs.get(rid)

    def _status(self, req: Incoming) -> Outgoing:
        if self.status_error is not None:
            with self.lock:
                self.status_calls += 1
            return Outgoing.json(self.status_error, {"error": "status unavailable"})
        job = self._job(req)
        if job is None:
            return Outgoing.json(404, {"error": "request not found"})
        return Outgoing.json(
            200,
            {
                "request_id": job.request_id,
                "model_id": "abcd1234",
                "deployment_id": "dep1",
                "status": job.status,
                "webhook_status": job.webhook_status,
                "created_at": TIME,
                "status_at": TIME,
                "errors": job.errors,
            },
        )

    def _cancel(self, req: Incoming) -> Outgoing:
        job = self._job(req)
        if job is None:
            return Outgoing.json(404, {"error": "request not found"})
        with self.lock:
            ok = job.status == "QUEUED"
            if ok:
                job.status, job.webhook_status = "CANCELED", "CANCELED"
        message = "Request canceled" if ok else f"cannot cancel a {job.status} request"
        answer = {"request_id": job.request_id, "canceled": ok, "message": message}
        return Outgoing.json(200, answer)

    # -- the worker: runs the queued jobs, delivers their webhooks ----------------------------

    def payload(self, job: Job) -> bytes:
        failed = isinstance(job.model_input, dict) and job.model_input.get("fail")
        errors = [{"code": "MODEL_PREDICT_ERROR", "message": "boom"}] if failed else []
        return json.dumps(
            {
                "request_id": job.request_id,
                "model_id": "abcd1234",
                "deployment_id": "dep1",
                "type": "async_request_completed",
                "time": TIME,
                "data": None if failed else {"echo": job.model_input},
                "errors": errors,
            }
        ).encode()

    def _worker(self) -> None:
        conns: dict[tuple[str, int], http.client.HTTPConnection] = {}
        while (job := self.work.get()) is not None:
            failed = isinstance(job.model_input, dict) and job.model_input.get("fail")
            job.status = "FAILED" if failed else "SUCCEEDED"
            if failed:
                job.errors = [{"code": "MODEL_PREDICT_ERROR", "message": "boom"}]
            if not job.webhook:
                job.webhook_status = "NO_WEBHOOK_PROVIDED"
                continue
            if not self.deliver:
                job.status, job.webhook_status = "WEBHOOK_FAILED", "FAILED"
                continue
            if isinstance(job.model_input, dict) and job.model_input.get("delay"):
                time.sleep(float(job.model_input["delay"]))
            body = self.payload(job)
            headers = {"Content-Type": "application/json", "X-BASETEN-REQUEST-ID": job.request_id}
            if self.secret:
                digest = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
                headers["X-BASETEN-SIGNATURE"] = f"v1={digest}"
            url = urlsplit(job.webhook)
            ok = False
            for _attempt in range(3):
                key = (url.hostname or "", url.port or 80)
                try:
                    conn = conns.get(key) or http.client.HTTPConnection(*key, timeout=10)
                    conns[key] = conn
                    conn.request("POST", url.path, body, headers)
                    resp = conn.getresponse()
                    resp.read()
                    if resp.status < 500:
                        ok = resp.status < 300
                        break
                except OSError:
                    conns.pop(key, None)
            job.webhook_status = "SUCCEEDED" if ok else "FAILED"
            if not ok and job.status == "SUCCEEDED":
                job.status = "WEBHOOK_FAILED"
        for conn in conns.values():
            conn.close()
