"""Signing and verifying webhook deliveries, the Standard Webhooks way.

Each delivery carries `webhook-id` (the event's id: the same on every retry, to de-duplicate),
`webhook-timestamp` (Unix seconds) and `webhook-signature`: `v1,` + base64 of
HMAC-SHA256(key, f"{id}.{timestamp}.{body}"), where the key is the base64-decoded part of the
endpoint's `whsec_…` secret. A receiver verifies with `verify_signature` (README "Webhooks").
This module needs only the standard library, so a receiver may copy it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"
# How far a delivery's timestamp may be from the receiver's clock (replay protection).
TOLERANCE_SECONDS = 5 * 60


class InvalidSignatureError(ValueError):
    """A delivery that was not signed with the secret, or is too old or too new."""


def _key(secret: str) -> bytes:
    raw = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    return base64.b64decode(raw)


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for a delivery."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
        "content-type": "application/json",
    }


def verify_signature(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> str:
    """Check a delivery's signature; return its `webhook-id`, or raise InvalidSignatureError.

    `headers` is the request's headers (lower-case names, as most frameworks give them);
    `body` the raw request body, before any JSON parsing.
    """
    message_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not message_id or not timestamp or not signatures:
        raise InvalidSignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise InvalidSignatureError("webhook-timestamp is not a number") from None
    if abs((time.time() if now is None else now) - sent_at) > tolerance:
        raise InvalidSignatureError("webhook-timestamp is outside the tolerance")
    expected = sign(secret, message_id, sent_at, body)
    # Several space-separated signatures may be sent (e.g. while a secret is rotated).
    if any(hmac.compare_digest(expected, given) for given in signatures.split()):
        return message_id
    raise InvalidSignatureError("no signature matches")
