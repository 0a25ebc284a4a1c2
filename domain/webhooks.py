"""Webhook rules: what an endpoint may be registered with, where a delivery may connect, and
when a failed delivery is retried.

Secrets follow the Standard Webhooks form, `whsec_` + base64 of 24 to 64 random bytes (the
signing key is the decoded bytes), so receivers can verify with any Standard Webhooks library.

The URL policy keeps an endpoint from turning the server into a proxy into its own network
(SSRF): in production only https:// URLs, and no host that is, or resolves to, a loopback,
private, link-local, multicast or unspecified address (the worker checks the resolved
addresses again when it sends, since a name can change what it resolves to).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass

from domain.errors import Problem, UserErrorCode, raise_problems
from domain.updates import Update
from domain.validation import Command

URL_MAX = 2000
SECRET_PREFIX = "whsec_"
SECRET_BYTES = (24, 64)
# Every event type ("check_in.created"), or all of them.
ALL_EVENTS = "*"
_EVENT_TYPE = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")
MAX_EVENT_TYPES = 50
# Names that resolve to the machine itself (RFC 6761), refused without asking DNS.
_LOCAL_NAMES = ("localhost", "localhost.localdomain")
# A host name's characters: letters (IDN too), digits, "-", "_" and dots; anything else
# (spaces, "%", "\\") is read differently by different URL parsers.
_HOST_NAME = re.compile(r"[\w.-]+")

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class UrlPolicy:
    """Which webhook URLs a deployment accepts (api/settings.py: development allows both,
    production neither, unless configured)."""

    allow_http: bool = False
    allow_private_hosts: bool = False


class CreateWebhookEndpoint(Command):
    """A new endpoint as asked for (`validate_endpoint` checks it)."""

    url: str
    event_types: list[str]
    secret: str | None = None


class UpdateWebhookEndpoint(Update):
    """Changes to an endpoint (`validate_endpoint_changes`); none of its fields can be
    cleared."""

    never_cleared = ("url", "event_types", "active")

    id: int
    url: str | None = None
    event_types: list[str] | None = None
    active: bool | None = None


class DeleteWebhookEndpoint(Command):
    id: int


class RedeliverWebhook(Command):
    delivery_id: int


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


def is_public_address(address: IpAddress) -> bool:
    """Whether a delivery may connect to `address` when private hosts are refused: a globally
    routable unicast address (not loopback, private, link-local, shared, reserved, multicast
    or unspecified; an IPv4 address written as IPv6, ::ffff:a.b.c.d, is judged as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _ipv4_number(host: str) -> int | None:
    """A host that ends in a number is an IPv4 address to URL parsers and to the resolver,
    which also read "127.1", "0x7f.0.0.1" and "2130706433" as 127.0.0.1: its value, or None
    for a name. ValueError when it ends in a number but is no IPv4 address."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()  # "1.2.3.4." is 1.2.3.4
    if not re.fullmatch(r"[0-9]+|0[xX][0-9a-fA-F]*", parts[-1]):
        return None
    numbers = []
    for part in parts:
        if part[:2].lower() == "0x":
            digits, base = part[2:] or "0", 16
        elif len(part) > 1 and part.startswith("0"):
            digits, base = part[1:], 8
        else:
            digits, base = part, 10
        numbers.append(int(digits, base))  # ValueError for a part that is not a number
    if len(numbers) > 4 or any(n > 255 for n in numbers[:-1]):
        raise ValueError(host)
    last_bits = 8 * (5 - len(numbers))
    if numbers[-1] >= 1 << last_bits:
        raise ValueError(host)
    value = numbers[-1]
    for i, n in enumerate(numbers[:-1]):
        value |= n << (24 - 8 * i)
    return value


def host_address(host: str) -> IpAddress | None:
    """The address a URL's host (as `urlsplit(...).hostname` gives it) is written as, or None
    for a name. ValueError when it is neither a name nor an address."""
    if ":" in host:  # only an IPv6 literal (in brackets in the URL) has colons
        # A zone ("%25eth0") names a local interface: the address alone is judged.
        return ipaddress.IPv6Address(host.partition("%")[0])
    number = _ipv4_number(host)
    if number is not None:
        return ipaddress.IPv4Address(number)
    if not _HOST_NAME.fullmatch(host) or ".." in host or host.startswith("."):
        raise ValueError(host)
    return None


def url_problem(url: str, policy: UrlPolicy) -> Problem | None:
    """The first webhook URL rule `url` breaks under `policy`, if any (`url` is trimmed)."""
    field = ("input", "url")
    if not url:
        return Problem(UserErrorCode.REQUIRED, field, "Give a URL.")
    if len(url) > URL_MAX:
        return Problem(UserErrorCode.TOO_LONG, field, f"At most {URL_MAX} characters.")
    invalid = Problem(UserErrorCode.INVALID, field, "An https:// URL with a valid host.")
    if any(c <= " " or c == "\x7f" for c in url):
        return invalid
    try:
        parsed = urllib.parse.urlsplit(url)
        parsed.port  # noqa: B018 - parsing it is the check: ValueError when it is not a port
        host = parsed.hostname or ""
        address = host_address(host) if host else None
    except ValueError:
        return invalid
    if parsed.scheme not in ("http", "https") or not host:
        return invalid
    if parsed.scheme == "http" and not policy.allow_http:
        return Problem(
            UserErrorCode.URL_NOT_HTTPS, field, "Use an https:// URL: deliveries carry your data."
        )
    if parsed.username is not None or parsed.password is not None:
        return Problem(
            UserErrorCode.URL_HAS_CREDENTIALS,
            field,
            "No user name or password in the URL: verify okrql's signature instead.",
        )
    if "#" in url:
        return Problem(
            UserErrorCode.URL_HAS_FRAGMENT, field, "No #fragment: it is never sent to a server."
        )
    if not policy.allow_private_hosts:
        name = host.rstrip(".")
        local = name in _LOCAL_NAMES or name.endswith(".localhost")
        if local or (address is not None and not is_public_address(address)):
            return Problem(
                UserErrorCode.URL_HOST_NOT_ALLOWED,
                field,
                "Not a public host: loopback, private, link-local, multicast and unspecified"
                " addresses and localhost are refused.",
            )
    return None


def _event_types(event_types: Sequence[str], problems: list[Problem]) -> tuple[str, ...]:
    """The event types as stored (trimmed, each once), noting what is wrong with them."""
    field = ("input", "eventTypes")
    types = tuple(dict.fromkeys(t.strip() for t in event_types if t.strip()))
    if not types:
        problems.append(
            Problem(
                UserErrorCode.REQUIRED,
                field,
                'Subscribe to at least one event type (or "*" for all).',
            )
        )
    elif len(types) > MAX_EVENT_TYPES:
        problems.append(Problem(UserErrorCode.TOO_LONG, field, "Too many event types."))
    else:
        bad = [t for t in types if t != ALL_EVENTS and not _EVENT_TYPE.match(t)]
        if bad:
            problems.append(
                Problem(
                    UserErrorCode.INVALID,
                    field,
                    f'{bad[0]!r} is not an event type such as "check_in.created".',
                )
            )
    return types


def validate_endpoint(
    url: str, event_types: Sequence[str], secret: str | None, policy: UrlPolicy
) -> NewEndpoint:
    """The endpoint as it is stored, or a DomainError with every broken rule."""
    problems: list[Problem] = []
    url = url.strip()
    if problem := url_problem(url, policy):
        problems.append(problem)
    types = _event_types(event_types, problems)
    if secret is not None:
        try:
            signing_key(secret)
        except ValueError as error:
            problems.append(Problem(UserErrorCode.INVALID, ("input", "secret"), f"{error}."))
    raise_problems(problems)
    return NewEndpoint(url, types, secret)


@dataclass(frozen=True, slots=True)
class EndpointChanges:
    """What an update changes; None keeps the current value."""

    url: str | None
    event_types: tuple[str, ...] | None
    active: bool | None


def validate_endpoint_changes(command: UpdateWebhookEndpoint, policy: UrlPolicy) -> EndpointChanges:
    """An update's changes as stored, from the fields the command names (an absent one is
    kept), or a DomainError with every broken rule. None of them can be cleared."""
    problems = command.cleared()
    url = command.url
    if url is not None:
        url = url.strip()
        if problem := url_problem(url, policy):
            problems.append(problem)
    types = None if command.event_types is None else _event_types(command.event_types, problems)
    raise_problems(problems)
    return EndpointChanges(url, types, command.active)


def retry_delay(attempts: int, *, base: float, factor: float, maximum: float) -> float:
    """Seconds to wait after the `attempts`th failed attempt: base * factor^(attempts-1)."""
    exponent = max(0, attempts - 1)
    # Bounded before it is computed: factor ** 1000 would overflow a float.
    if factor > 1 and exponent > 64:
        return maximum
    return float(min(maximum, base * factor**exponent))
