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
Clients reach it through :func:`loopback_transport`, which sends ``https://model-*.api.baseten.co``
URLs to the fake.
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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx

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
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # One write per answer, sent at once: headers and body written separately meet the
            # peer's delayed ACK and cost ~40 ms per request.
            wbufsize = 1 << 16
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if not self.path.endswith("/async_predict"):
                    self._send(404, {"error": "no route"})
                    return
                with fake.lock:
                    scripted = fake.script_429.pop(0) if fake.script_429 else None
                if scripted is not None:
                    kind, after = scripted
                    message = (
                        "Too many requests: limit of 50,000 QUEUED or IN_PROGRESS requests"
                        if kind == "queue"
                        else "Rate limit exceeded: 200 requests per second"
                    )
                    headers = {"Retry-After": str(after)} if after is not None else {}
                    self._send(429, {"error": message}, headers)
                    return
                mi = body["model_input"]
                key = mi.get("id") if isinstance(mi, dict) else json.dumps(mi)
                job = Job(uuid.uuid4().hex, mi, body.get("webhook_endpoint"))
                with fake.lock:
                    fake.submits[key] += 1
                    fake.jobs[job.request_id] = job
                if not (isinstance(mi, dict) and (mi.get("hold") or mi.get("expire"))):
                    fake.work.put(job)
                elif mi.get("expire"):
                    job.status, job.webhook_status = "EXPIRED", "CANCELED"
                    job.errors = []
                answer = mi.get("answer") if isinstance(mi, dict) else None
                if answer == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)  # queued, but the client gets no answer
                elif answer == "500":
                    self._send(500, {"error": "internal error"})
                elif answer == "bad":
                    self._send(201, {"id": job.request_id})
                else:
                    self._send(201, {"request_id": job.request_id})

            def _job(self) -> Job | None:
                rid = self.path.rsplit("/", 1)[-1]
                with fake.lock:
                    fake.status_calls += 1
                    return fake.jobs.get(rid)

            def do_GET(self) -> None:
                if fake.status_error is not None:
                    with fake.lock:
                        fake.status_calls += 1
                    self._send(fake.status_error, {"error": "status unavailable"})
                    return
                job = self._job()
                if job is None:
                    self._send(404, {"error": "request not found"})
                    return
                self._send(
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

            def do_DELETE(self) -> None:
                job = self._job()
                if job is None:
                    self._send(404, {"error": "request not found"})
                    return
                with fake.lock:
                    ok = job.status == "QUEUED"
                    if ok:
                        job.status, job.webhook_status = "CANCELED", "CANCELED"
                message = "Request canceled" if ok else f"cannot cancel a {job.status} request"
                self._send(200, {"request_id": job.request_id, "canceled": ok, "message": message})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.threads = [
            threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}),
            threading.Thread(target=self._worker),
        ]

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def __enter__(self) -> FakeAsyncBaseten:
        for t in self.threads:
            t.daemon = True
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.work.put(None)
        self.server.shutdown()
        self.server.server_close()
        for t in self.threads:
            t.join(timeout=5)

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


def _rewrite(fake: FakeAsyncBaseten, request: httpx.Request) -> httpx.Request:
    url = request.url.copy_with(scheme="http", host="127.0.0.1", port=fake.port)
    return httpx.Request(request.method, url, headers=request.headers, content=request.content)


class LoopbackTransport(httpx.BaseTransport):
    """Sends every request to the fake, whatever its host (sync)."""

    def __init__(self, fake: FakeAsyncBaseten) -> None:
        self.fake = fake
        self.inner = httpx.HTTPTransport()
        self.seen: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return self.inner.handle_request(_rewrite(self.fake, request))

    def close(self) -> None:
        self.inner.close()


class AsyncLoopbackTransport(httpx.AsyncBaseTransport):
    """Sends every request to the fake, whatever its host (async)."""

    def __init__(self, fake: FakeAsyncBaseten) -> None:
        self.fake = fake
        self.inner = httpx.AsyncHTTPTransport()
        self.seen: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return await self.inner.handle_async_request(_rewrite(self.fake, request))

    async def aclose(self) -> None:
        await self.inner.aclose()
