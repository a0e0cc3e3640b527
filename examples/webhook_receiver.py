"""A Baseten webhook receiver using only the standard library (and genai_baseten).

Run it behind an HTTPS proxy or tunnel whose public URL you pass as ``webhook_endpoint``::

    BASETEN_WEBHOOK_SECRET=... python examples/webhook_receiver.py --port 8000

Every delivery's signature is checked on the raw body before it is parsed; a bad one is answered
401 (Baseten does not retry 4xx). Outputs are appended to ``outputs.jsonl``, once per request id:
Baseten may deliver the same output again (it retries on 5xx and timeouts), so repeats are
answered 200 and dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from genai_baseten import WebhookPayloadError, WebhookResult, WebhookSignatureError, verify_webhook


def make_server(
    host: str, port: int, secrets: list[str], on_result: Callable[[WebhookResult], None]
) -> ThreadingHTTPServer:
    """A server that verifies each delivery and hands new results to ``on_result``."""
    seen: set[str] = set()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                result = verify_webhook(body, self.headers.items(), secrets)
            except WebhookSignatureError:
                return self.answer(401, "bad signature")
            except WebhookPayloadError:
                return self.answer(400, "not a Baseten webhook payload")
            with lock:
                new = result.request_id not in seen
                seen.add(result.request_id)
            if new:
                on_result(result)
            self.answer(200, "ok")

        def answer(self, status: int, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return ThreadingHTTPServer((host, port), Handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--out", default="outputs.jsonl")
    args = parser.parse_args()
    secrets = [s for s in os.environ.get("BASETEN_WEBHOOK_SECRET", "").split(",") if s]
    if not secrets:
        raise SystemExit("set BASETEN_WEBHOOK_SECRET (comma-separated during a rotation)")

    def save(result: WebhookResult) -> None:
        line = {
            "request_id": result.request_id,
            "data": result.data,
            "errors": [e.code for e in result.errors],
        }
        with open(args.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")

    server = make_server(args.host, args.port, secrets, save)
    print(f"listening on http://{args.host}:{server.server_address[1]}")
    server.serve_forever()


if __name__ == "__main__":
    main()
