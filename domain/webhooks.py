"""Webhook rules: what an endpoint may be registered with, where a delivery may connect, and
when a failed delivery is retried.

Secrets follow the Standard Webhooks form, `whsec_` + base64 of 24 to 64 random bytes (the
signing key is the decoded bytes), so receivers can verify with any Standard Webhooks library.

The URL policy keeps an endpoint from turning the server into a proxy into its own network
(SSRF): in production only https:// URLs, and no host that is, or resolves to, a loopback,
private, link-local, multicast or unspecified address, also written as an IPv6 address that
leads to one (NAT64, 6to4, Teredo, IPv4-mapped and -compatible forms); the worker checks the
resolved addresses again when it sends, since a name can change what it resolves to.
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


# IPv6 ranges that carry an IPv4 address in their last 32 bits, which the network delivers
# to (NAT64's well-known prefix, RFC 6052; SIIT's IPv4-translated form, RFC 2765), and ranges
# never to connect to at all: IPv4-compatible ::a.b.c.d (deprecated by RFC 4291, and ::1 and ::
# are in it) and NAT64's local-use prefix (RFC 8215), whose IPv4 sits where the network says.
_EMBEDS_IPV4_LOW = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("::ffff:0:0:0/96"),
)
_NEVER_PUBLIC_V6 = (
    ipaddress.IPv6Network("::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
)


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: IPv4-mapped (::ffff:a.b.c.d), NAT64
    (64:ff9b::a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d), 6to4 (2002:AABB:CCDD::) and Teredo
    (its server and its client); none for a plain IPv6 address."""
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if any(address in network for network in _EMBEDS_IPV4_LOW):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return found


def is_public_address(address: IpAddress) -> bool:
    """Whether a delivery may connect to `address` when private hosts are refused: a globally
    routable unicast address (not loopback, private, link-local, shared, reserved, multicast
    or unspecified). An IPv6 address that leads to an IPv4 address (`embedded_ipv4`) is public
    only if that IPv4 address is too, so [64:ff9b::7f00:1] is loopback like 127.0.0.1."""
    if isinstance(address, ipaddress.IPv6Address):
        if any(address in network for network in _NEVER_PUBLIC_V6):
            return False
        embedded = embedded_ipv4(address)
        if embedded:
            # Judged as the IPv4 it leads to: ::ffff:8.8.8.8 is 8.8.8.8, whatever Python's
            # tables say of the IPv6 range.
            return all(is_public_address(v4) for v4 in embedded)
    return address.is_global and not address.is_multicast


def normalized_url(url: str) -> str:
    """A URL `url_problem` accepted, as stored: the scheme in lower case (it is
    case-insensitive, RFC 3986 §3.1), the rest as given."""
    scheme, _, rest = url.partition(":")
    return f"{scheme.lower()}:{rest}"


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
    else:
        url = normalized_url(url)
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
        else:
            url = normalized_url(url)
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
