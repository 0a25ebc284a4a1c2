"""Relay global ids: opaque to clients, `base64url("<Type>:<id>")` inside."""

from __future__ import annotations

import base64
import binascii
import functools

from graphql import GraphQLError

NODE_TYPES = frozenset(
    {
        "Organization",
        "User",
        "Team",
        "Cycle",
        "Objective",
        "KeyResult",
        "CheckIn",
        "ApiKey",
        "Invitation",
        "PersonalAccessToken",
        "WebhookEndpoint",
        "WebhookDelivery",
        "WebhookDeliveryAttempt",
    }
)


class MalformedIdError(GraphQLError):
    def __init__(self, value: object, expected: str | None = None) -> None:
        what = f"{expected} id" if expected else "id"
        super().__init__(f"{value!r} is not a valid {what}.", extensions={"code": "BAD_USER_INPUT"})


@functools.lru_cache(maxsize=1 << 16)
def encode_id(type_name: str, pk: int) -> str:
    # Cached: a dashboard renders thousands of ids per request, mostly the same ones each
    # time; a hit costs a sixth of encoding (about 10 MB at most).
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).rstrip(b"=").decode()


def decode_id(value: object) -> tuple[str, int]:
    """Split a global id into (type name, primary key); malformed ids raise a coded error."""
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise MalformedIdError(value)
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        type_name, _, pk_text = raw.partition(":")
        pk = int(pk_text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise MalformedIdError(value) from None
    if type_name not in NODE_TYPES or not 0 < pk < 2**63 or pk_text != str(pk):
        raise MalformedIdError(value)
    return type_name, pk


def decode_id_of(value: object, type_name: str) -> int:
    """The primary key of a global id that must name `type_name`.

    An id of another type is malformed input, never a silent miss: a client that sends a Team id
    where a Cycle id belongs has a bug it should hear about.
    """
    decoded_type, pk = decode_id(value)
    if decoded_type != type_name:
        raise MalformedIdError(value, type_name)
    return pk
