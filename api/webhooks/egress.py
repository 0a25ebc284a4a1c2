"""Where a webhook delivery may connect when the URL policy refuses private hosts.

Registration refuses private IP literals and localhost (domain/webhooks.py), but a name is
only checked when it is resolved, and it may resolve to something else later: a public
address when registered, 10.0.0.5 or 127.0.0.1 when delivered (DNS rebinding). So the worker
resolves the host itself, refuses the delivery unless every address is public, and sends the
request to one of exactly those addresses, with the original Host header and TLS server name:
the connection never resolves the name a second time.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any

import httpx

from domain.webhooks import is_public_address

SETTING = "OKRQL_WEBHOOK_ALLOW_PRIVATE_HOSTS"


class NotSentError(Exception):
    """The delivery was not sent; the message says why, for the attempt's error."""


async def public_addresses(url: httpx.URL) -> list[str]:
    """The addresses of `url`'s host, in the resolver's order, all of them public; NotSentError
    when the host does not resolve or any of its addresses is not public."""
    host = url.raw_host.decode("ascii")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise NotSentError(f"not sent: {url.host} does not resolve ({error})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise NotSentError(f"not sent: {url.host} resolves to no address")
    for address in addresses:
        # A scoped IPv6 address ("fe80::1%2") is link-local: the scope does not change that.
        if not is_public_address(ipaddress.ip_address(address.partition("%")[0])):
            raise NotSentError(
                f"not sent: {url.host} resolves to {address}, which is not a public address"
                f" ({SETTING} is off)"
            )
    return addresses


def pinned(url: httpx.URL, address: str) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
    """The request for `url` sent to `address` without resolving its host again: the URL with
    the address as host, plus the headers (Host) and request extensions (the TLS server name,
    which the certificate is verified against) that keep it a request for the original host."""
    return (
        url.copy_with(host=address),
        {"host": url.netloc.decode("ascii")},
        {"sni_hostname": url.raw_host.decode("ascii")},
    )
