"""Webhook rules: what an endpoint may be registered with, and when a failed delivery is retried.

Secrets follow the Standard Webhooks form, `whsec_` + base64 of 24 to 64 random bytes (the
signing key is the decoded bytes), so receivers can verify with any Standard Webhooks library.
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass

from domain.errors import Problem, UserErrorCode, raise_problems

URL_MAX = 2000
SECRET_PREFIX = "whsec_"
SECRET_BYTES = (24, 64)
# Every event type ("check_in.created"), or all of them.
ALL_EVENTS = "*"
_EVENT_TYPE = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")
MAX_EVENT_TYPES = 50


@dataclass(frozen=True, slots=True)
class NewEndpoint:
    url: str
    event_types: tuple[str, ...]
    secret: str | None  # None: generate one


def signing_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_…` secret (ValueError if it is not one)."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except binascii.Error:
        raise ValueError("a webhook secret is whsec_ followed by base64") from None
    if not SECRET_BYTES[0] <= len(key) <= SECRET_BYTES[1]:
        raise ValueError(f"a webhook secret has {SECRET_BYTES[0]} to {SECRET_BYTES[1]} bytes")
    return key


def validate_endpoint(url: str, event_types: Sequence[str], secret: str | None) -> NewEndpoint:
    """The endpoint as it is stored, or a DomainError with every broken rule."""
    problems: list[Problem] = []
    url = url.strip()
    parsed = urllib.parse.urlsplit(url)
    if not url:
        problems.append(Problem(UserErrorCode.REQUIRED, ("input", "url"), "Give a URL."))
    elif len(url) > URL_MAX:
        problems.append(
            Problem(UserErrorCode.TOO_LONG, ("input", "url"), f"At most {URL_MAX} characters.")
        )
    elif parsed.scheme not in ("http", "https") or not parsed.hostname:
        problems.append(
            Problem(UserErrorCode.INVALID, ("input", "url"), "An http:// or https:// URL.")
        )
    elif parsed.username or parsed.password:
        problems.append(
            Problem(UserErrorCode.INVALID, ("input", "url"), "No credentials in the URL.")
        )
    types = tuple(dict.fromkeys(t.strip() for t in event_types if t.strip()))
    if not types:
        problems.append(
            Problem(
                UserErrorCode.REQUIRED,
                ("input", "eventTypes"),
                'Subscribe to at least one event type (or "*" for all).',
            )
        )
    elif len(types) > MAX_EVENT_TYPES:
        problems.append(
            Problem(UserErrorCode.TOO_LONG, ("input", "eventTypes"), "Too many event types.")
        )
    else:
        bad = [t for t in types if t != ALL_EVENTS and not _EVENT_TYPE.match(t)]
        if bad:
            problems.append(
                Problem(
                    UserErrorCode.INVALID,
                    ("input", "eventTypes"),
                    f'{bad[0]!r} is not an event type such as "check_in.created".',
                )
            )
    if secret is not None:
        try:
            signing_key(secret)
        except ValueError as error:
            problems.append(Problem(UserErrorCode.INVALID, ("input", "secret"), f"{error}."))
    raise_problems(problems)
    return NewEndpoint(url, types, secret)


def retry_delay(attempts: int, *, base: float, factor: float, maximum: float) -> float:
    """Seconds to wait after the `attempts`th failed attempt: base * factor^(attempts-1)."""
    exponent = max(0, attempts - 1)
    # Bounded before it is computed: factor ** 1000 would overflow a float.
    if factor > 1 and exponent > 64:
        return maximum
    return float(min(maximum, base * factor**exponent))
