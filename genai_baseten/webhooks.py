"""Webhooks from Baseten's async inference: signature check, then the typed payload.

Baseten POSTs the outcome of each async request to the request's ``webhook_endpoint`` with the
headers ``X-BASETEN-REQUEST-ID`` and, when the workspace has a webhook secret,
``X-BASETEN-SIGNATURE: v1=<hex>``: the lowercase hex HMAC-SHA256 of the raw body keyed with the
secret. During a secret rotation the old and the new secret are both valid for 24 hours, and the
header may carry several comma-separated ``v1=`` entries, so :func:`verify_webhook` takes several
secrets and accepts the body when any entry matches any secret (compared in constant time).

The order is deliberate: the signature is checked on the raw bytes *before* the body is parsed,
so an unsigned or forged body never reaches the JSON decoder.

Replays: the signature covers only the body and carries no timestamp or nonce, so a replayed
delivery is indistinguishable from Baseten's own retry of the same delivery (Baseten retries up to
three times). Two defences are offered instead: ``max_age=`` rejects a payload whose signed
``time`` is older than that many seconds, and receivers should treat deliveries as idempotent per
``request_id`` (the batch store keeps the first one and ignores the rest).

Everything here is pure: no I/O, no clock unless ``max_age`` is given (``now=`` injects one).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from genai_core.errors import GenAIError

from .async_inference import AsyncRequestError, parse_errors

__all__ = [
    "REQUEST_ID_HEADER",
    "SIGNATURE_HEADER",
    "WebhookError",
    "WebhookPayloadError",
    "WebhookResult",
    "WebhookSignatureError",
    "sign_webhook",
    "verify_webhook",
    "verify_webhook_signature",
]

SIGNATURE_HEADER = "X-BASETEN-SIGNATURE"
REQUEST_ID_HEADER = "X-BASETEN-REQUEST-ID"

# A SHA-256 hex digest is 64 characters; a longer entry cannot match and is not worth comparing.
_DIGEST_HEX_LEN = 64


class WebhookError(GenAIError):
    """A webhook delivery that must not be trusted or cannot be used."""


class WebhookSignatureError(WebhookError):
    """The signature header is missing, malformed, or matches none of the secrets.

    The body was not parsed. Answer the sender with 401.
    """


class WebhookPayloadError(WebhookError):
    """The body is authentic (or no secret was configured) but not the documented payload.

    ``body`` keeps the raw bytes, so nothing delivered is lost.
    """

    def __init__(self, message: str, *, body: bytes) -> None:
        super().__init__(message)
        self.body = body


@dataclass(frozen=True)
class WebhookResult:
    """One async request's outcome as Baseten delivered it.

    ``data`` is the model's output (any JSON; ``None`` when the request failed) and ``errors``
    the failures (empty on success). ``type`` is kept verbatim (``"async_request_completed"`` in
    the docs). ``time`` is parsed when it is ISO 8601, else ``None`` (``time_text`` keeps it).
    """

    request_id: str
    model_id: str | None
    deployment_id: str | None
    type: str
    time: datetime | None
    time_text: str
    data: Any
    errors: tuple[AsyncRequestError, ...] = ()
    chain_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        """True when the request produced an output (no errors reported)."""
        return not self.errors


def sign_webhook(body: bytes, secret: str) -> str:
    """The ``X-BASETEN-SIGNATURE`` value Baseten sends for ``body``: ``v1=<hex>``.

    For tests and local fakes; a receiver uses :func:`verify_webhook`.
    """
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str] | Iterable[tuple[str, str]], name: str) -> str | None:
    items = headers.items() if isinstance(headers, Mapping) else headers
    lowered = name.lower()
    for key, value in items:
        k = key.decode("latin-1") if isinstance(key, bytes) else key
        if k.lower() == lowered:
            return value.decode("latin-1") if isinstance(value, bytes) else value
    return None


def _signatures(header: str) -> list[str]:
    """The hex digests of every ``v1=`` entry; entries of other versions are skipped."""
    found = []
    for entry in header.split(","):
        version, sep, value = entry.strip().partition("=")
        if sep and version.strip() == "v1":
            value = value.strip().lower()
            if len(value) == _DIGEST_HEX_LEN:
                found.append(value)
    return found


def verify_webhook_signature(
    body: bytes,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    secrets: str | Iterable[str],
) -> None:
    """Raise :class:`WebhookSignatureError` unless ``X-BASETEN-SIGNATURE`` signs ``body``.

    ``secrets``: one secret or several (old and new during a rotation). Every ``v1=`` entry is
    compared with every secret's digest in constant time; the loop never stops early, so the
    time taken does not say which comparison failed.
    """
    keys = [secrets] if isinstance(secrets, str) else list(secrets)
    if not keys or not all(isinstance(k, str) and k for k in keys):
        raise WebhookSignatureError("secrets must be one or more non-empty webhook secrets")
    if not isinstance(body, (bytes, bytearray)):
        raise WebhookSignatureError(
            f"body must be the raw request bytes, got {type(body).__name__}"
        )
    header = _header(headers, SIGNATURE_HEADER)
    if header is None:
        raise WebhookSignatureError(f"no {SIGNATURE_HEADER} header: the delivery is not signed")
    given = _signatures(header)
    if not given:
        raise WebhookSignatureError(
            f"{SIGNATURE_HEADER} has no v1=<64 hex digits> entry (truncated or malformed)"
        )
    matched = False
    for key in keys:
        expected = hmac.new(key.encode(), bytes(body), hashlib.sha256).hexdigest()
        for value in given:
            matched |= hmac.compare_digest(expected, value)
    if not matched:
        raise WebhookSignatureError(
            f"{SIGNATURE_HEADER} matches none of the {len(keys)} secret(s): "
            "the body was altered or signed with another secret"
        )


def _opt_str(payload: Mapping[str, Any], key: str, body: bytes) -> str | None:
    value = payload.get(key)
    if value is not None and not isinstance(value, str):
        raise WebhookPayloadError(
            f"webhook payload: {key} must be a string, got {type(value).__name__}", body=body
        )
    return value


def _parse_time(text: str) -> datetime | None:
    try:
        # fromisoformat takes "Z" only from Python 3.11.
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_webhook(body: bytes) -> WebhookResult:
    """The typed payload of an (already verified) webhook body."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookPayloadError(f"webhook body is not JSON: {exc}", body=body) from exc
    if not isinstance(payload, dict):
        raise WebhookPayloadError(
            f"webhook body must be a JSON object, got {type(payload).__name__}", body=body
        )
    request_id = payload.get("request_id")
    if not isinstance(request_id, str) or not request_id:
        raise WebhookPayloadError("webhook payload has no request_id string", body=body)
    try:
        errors = parse_errors(payload.get("errors"))
    except ValueError as exc:
        raise WebhookPayloadError(f"webhook payload: {exc}", body=body) from exc
    time_text = _opt_str(payload, "time", body) or ""
    return WebhookResult(
        request_id=request_id,
        model_id=_opt_str(payload, "model_id", body),
        deployment_id=_opt_str(payload, "deployment_id", body),
        chain_id=_opt_str(payload, "chain_id", body),
        type=_opt_str(payload, "type", body) or "",
        time=_parse_time(time_text) if time_text else None,
        time_text=time_text,
        data=payload.get("data"),
        errors=errors,
        raw=payload,
    )


def verify_webhook(
    body: bytes,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    secrets: str | Iterable[str] | None,
    *,
    max_age: float | None = None,
    now: float | None = None,
) -> WebhookResult:
    """Check a delivery's signature, then parse it into a :class:`WebhookResult`.

    ``body`` must be the raw request bytes as received (a re-serialised body does not verify).
    ``secrets=None`` skips the signature check: only for a workspace without a webhook secret,
    never on a public endpoint. ``max_age`` (seconds) rejects a payload whose signed ``time`` is
    older than that, or missing, which bounds how long a captured delivery can be replayed;
    ``now`` is the clock (epoch seconds) for tests.

    Raises :class:`WebhookSignatureError` (nothing parsed) or :class:`WebhookPayloadError` (the
    raw body in ``err.body``).
    """
    if secrets is not None:
        verify_webhook_signature(body, headers, secrets)
    result = parse_webhook(bytes(body))
    if max_age is not None:
        if result.time is None or result.time.tzinfo is None:
            raise WebhookPayloadError(
                "webhook payload has no timezone-aware time; cannot check max_age", body=body
            )
        age = (time.time() if now is None else now) - result.time.timestamp()
        if age > max_age:
            raise WebhookSignatureError(
                f"webhook payload is {age:.0f}s old, more than max_age={max_age:g}s: "
                "a replayed delivery"
            )
    return result
