"""Where a delivery connects when private hosts are refused (api/webhooks/egress.py): the
checked addresses, and the request pinned to one of them. Only numeric hosts are resolved
here, which the resolver answers without asking DNS."""

from __future__ import annotations

import httpx
import pytest

from api.webhooks.egress import NotSentError, pinned, public_addresses


def test_a_pinned_request_goes_to_the_address_but_stays_one_for_the_host() -> None:
    url = httpx.URL("https://hooks.example.com:8443/okrql?x=1")
    target, headers, extensions = pinned(url, "93.184.216.34")
    assert str(target) == "https://93.184.216.34:8443/okrql?x=1"
    assert headers == {"host": "hooks.example.com:8443"}
    assert extensions == {"sni_hostname": "hooks.example.com"}


def test_a_pinned_request_brackets_ipv6_and_sends_idn_hosts_as_ascii() -> None:
    target, headers, extensions = pinned(httpx.URL("https://bücher.example/h"), "2001:db8::1")
    assert str(target) == "https://[2001:db8::1]/h"
    assert headers == {"host": "xn--bcher-kva.example"}
    assert extensions == {"sni_hostname": "xn--bcher-kva.example"}


async def test_a_public_address_is_kept() -> None:
    assert await public_addresses(httpx.URL("https://93.184.216.34/h")) == ["93.184.216.34"]


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/h",
        "http://127.0.0.1:8000/h",
        "https://[::1]/h",
        "https://0.0.0.0/h",
        # IPv6 forms of loopback: the worker judges them as the create did
        "https://[64:ff9b::7f00:1]/h",
        "https://[2002:7f00:1::]/h",
        "https://[::127.0.0.1]/h",
        "https://[::ffff:127.0.0.1]/h",
    ],
)
async def test_a_private_address_is_not_sent_to(url: str) -> None:
    with pytest.raises(NotSentError, match="which is not a public address"):
        await public_addresses(httpx.URL(url))
