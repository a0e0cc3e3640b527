"""Webhook signatures computed here from the documented scheme: ``v1=`` + lowercase hex
HMAC-SHA256 of the raw body keyed with the secret."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import importlib.util
import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from genai_baseten import (
    WebhookPayloadError,
    WebhookResult,
    WebhookSignatureError,
    sign_webhook,
    verify_webhook,
)
from genai_baseten.batch_receiver import handle_delivery
from genai_baseten.batch_store import BatchStore

OLD, NEW = "whsec-old-0000000001", "whsec-new-0000000002"
RID = "9876543210abcdef1234567890fedcba"
PAYLOAD: dict[str, Any] = {
    "request_id": "9876543210abcdef1234567890fedcba",
    "model_id": "abc123",
    "deployment_id": "def456",
    "type": "async_request_completed",
    "time": "2024-04-30T01:01:08.883423Z",
    "data": {"output": "model response here"},
    "errors": [],
}
BODY = json.dumps(PAYLOAD).encode()


def sig(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def headers(value: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-BASETEN-SIGNATURE": value}


def test_valid_signature_gives_typed_result() -> None:
    got = verify_webhook(BODY, headers(f"v1={sig(BODY, NEW)}"), NEW)
    assert got.request_id == PAYLOAD["request_id"]
    assert (got.model_id, got.deployment_id) == ("abc123", "def456")
    assert got.type == "async_request_completed"
    assert got.time == datetime(2024, 4, 30, 1, 1, 8, 883423, tzinfo=timezone.utc)
    assert got.data == {"output": "model response here"}
    assert got.ok and got.errors == ()
    assert sign_webhook(BODY, NEW) == f"v1={sig(BODY, NEW)}"


def test_header_name_is_case_insensitive_and_pairs_work() -> None:
    pairs = [("x-baseten-signature", f"v1={sig(BODY, NEW)}")]
    assert verify_webhook(BODY, pairs, [NEW]).request_id == PAYLOAD["request_id"]


@pytest.mark.parametrize(
    ("header", "secrets"),
    [
        # Rotation: signed with the old secret, both secrets known.
        (lambda: f"v1={sig(BODY, OLD)}", [NEW, OLD]),
        # Several entries: the first made with a secret we no longer have.
        (lambda: f"v1={sig(BODY, 'retired-secret-xx')},v1={sig(BODY, NEW)}", [NEW]),
        (lambda: f"v1={sig(BODY, NEW)}, v1={sig(BODY, OLD)}", [OLD]),
        # An entry of an unknown future version is skipped, not an error.
        (lambda: f"v2=abc, v1={sig(BODY, NEW)}", NEW),
    ],
)
def test_rotation_and_several_signatures(header: Any, secrets: Any) -> None:
    assert verify_webhook(BODY, headers(header()), secrets).request_id == PAYLOAD["request_id"]


def test_uppercase_hex_accepted() -> None:
    verify_webhook(BODY, headers(f"v1={sig(BODY, NEW).upper()}"), NEW)


@pytest.mark.parametrize(
    ("body", "header", "match"),
    [
        # Tampered body, signature of the original.
        (BODY.replace(b"model response", b"MODEL RESPONSE"), f"v1={sig(BODY, NEW)}", "none of"),
        # Signed with a secret we do not know.
        (BODY, f"v1={sig(BODY, 'someone-elses-secret')}", "none of"),
        # Truncated header: the digest cut short, or nothing after v1=.
        (BODY, f"v1={sig(BODY, NEW)[:40]}", "truncated"),
        (BODY, "v1=", "truncated"),
        (BODY, "v1", "truncated"),
        (BODY, "", "truncated"),
    ],
)
def test_bad_signatures_rejected(body: bytes, header: str, match: str) -> None:
    with pytest.raises(WebhookSignatureError, match=match):
        verify_webhook(body, headers(header), [NEW, OLD])


def test_missing_signature_rejected_before_parsing() -> None:
    # Not JSON at all: a parse would fail differently; the signature check comes first.
    with pytest.raises(WebhookSignatureError, match="not signed"):
        verify_webhook(b"\xff not json", {"Content-Type": "application/json"}, NEW)
    with pytest.raises(WebhookSignatureError, match="matches none"):
        verify_webhook(b"\xff not json", headers(f"v1={'0' * 64}"), NEW)


def test_secrets_required_unless_explicitly_none() -> None:
    with pytest.raises(WebhookSignatureError, match="secrets"):
        verify_webhook(BODY, headers(f"v1={sig(BODY, NEW)}"), [])
    # None: the workspace has no secret; the payload is still checked.
    assert verify_webhook(BODY, {}, None).request_id == PAYLOAD["request_id"]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({"data": 1}).encode(),
        json.dumps({**PAYLOAD, "errors": "boom"}).encode(),
        json.dumps({**PAYLOAD, "model_id": 7}).encode(),
    ],
)
def test_wrong_shape_keeps_raw_body(body: bytes) -> None:
    with pytest.raises(WebhookPayloadError) as info:
        verify_webhook(body, headers(f"v1={sig(body, NEW)}"), NEW)
    assert info.value.body == body


def test_failed_request_payload() -> None:
    body = json.dumps(
        {**PAYLOAD, "data": None, "errors": [{"code": "MODEL_PREDICT_ERROR", "message": "x"}]}
    ).encode()
    got = verify_webhook(body, headers(f"v1={sig(body, NEW)}"), NEW)
    assert not got.ok and got.data is None
    assert got.errors[0].code == "MODEL_PREDICT_ERROR"


def test_replay_rejected_by_max_age() -> None:
    sent = datetime(2024, 4, 30, 1, 1, 8, 883423, tzinfo=timezone.utc).timestamp()
    h = headers(f"v1={sig(BODY, NEW)}")
    # Baseten's own retries come within seconds (1 s, then 4 s, 10 s timeouts).
    assert verify_webhook(BODY, h, NEW, max_age=300, now=sent + 60).request_id
    with pytest.raises(WebhookSignatureError, match="replayed"):
        verify_webhook(BODY, h, NEW, max_age=300, now=sent + 3600)


def test_replay_is_idempotent_in_the_batch_store(tmp_path: Path) -> None:
    with BatchStore(tmp_path / "s.sqlite") as store:
        store.load([{"a": 1}])
        store.mark_sending(0)
        store.mark_submitted(0, RID)
        h = headers(f"v1={sig(BODY, NEW)}")
        first = handle_delivery(store, "/tok/0", BODY, h, token="tok", secrets=NEW)
        assert (first.status, first.recorded) == (200, True)
        # The same signed body again (a retry or a replay): answered 200, nothing changes.
        altered = json.dumps({**PAYLOAD, "data": {"output": "other"}}).encode()
        again = handle_delivery(store, "/tok/0", BODY, h, token="tok", secrets=NEW)
        assert (again.status, again.recorded) == (200, False)
        other = handle_delivery(
            store, "/tok/0", altered, headers(f"v1={sig(altered, NEW)}"), token="tok", secrets=NEW
        )
        assert not other.recorded
        item = store.item(0)
        assert item is not None and json.loads(item.result or "") == PAYLOAD["data"]
        # Wrong batch token, bad signature, unknown item.
        assert handle_delivery(store, "/x/0", BODY, h, token="tok", secrets=NEW).status == 404
        bad = handle_delivery(store, "/tok/0", BODY, headers("v1=00"), token="tok", secrets=NEW)
        assert bad.status == 401
        assert handle_delivery(store, "/tok/5", BODY, h, token="tok", secrets=NEW).status == 404


def load_example() -> Any:
    path = Path(__file__).resolve().parents[1] / "examples" / "webhook_receiver.py"
    spec = importlib.util.spec_from_file_location("webhook_receiver_example", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_receiver_on_loopback() -> None:
    example = load_example()
    got: list[WebhookResult] = []
    server = example.make_server("127.0.0.1", 0, [NEW, OLD], got.append)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        port = server.server_address[1]

        def post(body: bytes, signature: str | None) -> int:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                h = {"Content-Type": "application/json"}
                if signature is not None:
                    h["X-BASETEN-SIGNATURE"] = signature
                conn.request("POST", "/hook", body, h)
                return conn.getresponse().status
            finally:
                conn.close()

        assert post(BODY, f"v1={sig(BODY, OLD)}") == 200
        assert post(BODY, f"v1={sig(BODY, NEW)}") == 200  # a repeat: accepted, not recorded
        assert post(BODY + b" ", f"v1={sig(BODY, NEW)}") == 401
        assert post(BODY, None) == 401
        body = b'{"no": "request id"}'
        assert post(body, f"v1={sig(body, NEW)}") == 400
        assert [r.request_id for r in got] == [PAYLOAD["request_id"]]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
