"""Webhook rules: endpoint validation, the URL policy and the retry schedule (pure)."""

from __future__ import annotations

import ipaddress

import pytest

from api.settings import Settings
from domain.errors import DomainError, UserErrorCode
from domain.validation import parse
from domain.webhooks import (
    URL_MAX,
    EndpointChanges,
    UpdateWebhookEndpoint,
    UrlPolicy,
    host_address,
    is_public_address,
    retry_delay,
    url_problem,
    validate_endpoint,
    validate_endpoint_changes,
)

STRICT = UrlPolicy(allow_http=False, allow_private_hosts=False)
LENIENT = UrlPolicy(allow_http=True, allow_private_hosts=True)


def test_retry_delays_grow_exponentially_up_to_the_maximum() -> None:
    delays = [retry_delay(n, base=10, factor=2, maximum=60) for n in range(1, 6)]
    assert delays == [10, 20, 40, 60, 60]
    assert retry_delay(10_000, base=10, factor=2, maximum=3600) == 3600


def test_an_endpoint_is_trimmed_and_its_event_types_deduplicated() -> None:
    endpoint = validate_endpoint(
        " https://x.example/h ", ["cycle.created", "cycle.created", "*"], None, STRICT
    )
    assert (endpoint.url, endpoint.event_types) == ("https://x.example/h", ("cycle.created", "*"))


@pytest.mark.parametrize(
    ("url", "types", "secret", "field"),
    [
        ("", ["*"], None, "url"),
        ("https://user:pw@x.example", ["*"], None, "url"),
        ("https://x.example", [], None, "eventTypes"),
        ("https://x.example", ["*"], "whsec_c2hvcnQ=", "secret"),
    ],
)
def test_bad_endpoints_are_refused_on_their_field(
    url: str, types: list[str], secret: str | None, field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        validate_endpoint(url, types, secret, LENIENT)
    assert [p.field for p in refused.value.problems] == [("input", field)]


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/okrql",
        "https://hooks.example.com:8443/okrql?token=abc",
        "https://bücher.example/hook",
        "https://8.8.8.8/hook",
        "https://[2001:4860:4860::8888]/hook",
        "https://hooks.example.com./trailing-dot",
    ],
)
def test_public_https_urls_pass_the_strict_policy(url: str) -> None:
    assert url_problem(url, STRICT) is None


@pytest.mark.parametrize(
    ("url", "code"),
    [
        # only https (http where the policy allows it)
        ("http://hooks.example.com/okrql", UserErrorCode.URL_NOT_HTTPS),
        # no credentials
        ("https://user:pw@hooks.example.com/", UserErrorCode.URL_HAS_CREDENTIALS),
        ("https://token@hooks.example.com/", UserErrorCode.URL_HAS_CREDENTIALS),
        # no fragment, not even an empty one
        ("https://hooks.example.com/okrql#section", UserErrorCode.URL_HAS_FRAGMENT),
        ("https://hooks.example.com/okrql#", UserErrorCode.URL_HAS_FRAGMENT),
        # bounded length
        ("https://hooks.example.com/" + "a" * URL_MAX, UserErrorCode.TOO_LONG),
        # not a URL of a host at all
        ("", UserErrorCode.REQUIRED),
        ("ftp://hooks.example.com/", UserErrorCode.INVALID),
        ("https:///path-only", UserErrorCode.INVALID),
        ("https://hooks.example.com:99999/", UserErrorCode.INVALID),
        ("https://hooks example.com/", UserErrorCode.INVALID),
        ("https://hooks%2eexample.com/", UserErrorCode.INVALID),
        ("https://1.2.3.4.5/", UserErrorCode.INVALID),
        ("https://[::1/", UserErrorCode.INVALID),
        # SSRF: loopback, private, link-local, multicast, unspecified literals and localhost
        ("https://localhost/", UserErrorCode.URL_HOST_NOT_ALLOWED),
        ("https://LOCALHOST./", UserErrorCode.URL_HOST_NOT_ALLOWED),
        ("https://api.localhost/", UserErrorCode.URL_HOST_NOT_ALLOWED),
        ("https://127.0.0.1:8000/", UserErrorCode.URL_HOST_NOT_ALLOWED),
        ("https://10.0.0.5/", UserErrorCode.URL_HOST_NOT_ALLOWED),
        ("https://172.16.0.1/", UserErrorCode.URL_HOST_NOT_ALLOWED),
        ("https://192.168.1.1/", UserErrorCode.URL_HOST_NOT_ALLOWED),
        ("https://100.64.0.1/", UserErrorCode.URL_HOST_NOT_ALLOWED),
        ("https://169.254.169.254/latest/meta-data", UserErrorCode.URL_HOST_NOT_ALLOWED),
        ("https://224.0.0.1/", UserErrorCode.URL_HOST_NOT_ALLOWED),
        ("https://0.0.0.0/", UserErrorCode.URL_HOST_NOT_ALLOWED),
        ("https://[::1]/", UserErrorCode.URL_HOST_NOT_ALLOWED),
        ("https://[::]/", UserErrorCode.URL_HOST_NOT_ALLOWED),
        ("https://[fe80::1%25eth0]/", UserErrorCode.URL_HOST_NOT_ALLOWED),
        ("https://[fd00::1]/", UserErrorCode.URL_HOST_NOT_ALLOWED),
        ("https://[ff02::1]/", UserErrorCode.URL_HOST_NOT_ALLOWED),
        ("https://[::ffff:127.0.0.1]/", UserErrorCode.URL_HOST_NOT_ALLOWED),
        # the other spellings of 127.0.0.1 that URL parsers and resolvers accept
        ("https://127.1/", UserErrorCode.URL_HOST_NOT_ALLOWED),
        ("https://2130706433/", UserErrorCode.URL_HOST_NOT_ALLOWED),
        ("https://0x7f.0.0.1/", UserErrorCode.URL_HOST_NOT_ALLOWED),
        ("https://0177.0.0.1/", UserErrorCode.URL_HOST_NOT_ALLOWED),
    ],
)
def test_the_strict_policy_refuses_each_broken_rule_with_its_code(
    url: str, code: UserErrorCode
) -> None:
    problem = url_problem(url, STRICT)
    assert problem is not None
    assert (problem.code, problem.field) == (code, ("input", "url"))


def test_the_lenient_policy_allows_http_and_private_hosts_but_keeps_the_other_rules() -> None:
    assert url_problem("http://127.0.0.1:9000/hooks", LENIENT) is None
    assert url_problem("http://localhost/hooks", LENIENT) is None
    assert url_problem("https://10.0.0.5/hooks", LENIENT) is None
    refused = [
        url_problem(url, LENIENT)
        for url in ("https://u:p@10.0.0.5/", "http://localhost/#x", "gopher://localhost/")
    ]
    assert [p.code if p else None for p in refused] == [
        UserErrorCode.URL_HAS_CREDENTIALS,
        UserErrorCode.URL_HAS_FRAGMENT,
        UserErrorCode.INVALID,
    ]


def test_each_policy_switch_is_independent() -> None:
    http_only = UrlPolicy(allow_http=True, allow_private_hosts=False)
    private_only = UrlPolicy(allow_http=False, allow_private_hosts=True)
    assert url_problem("http://hooks.example.com/", http_only) is None
    assert url_problem("http://127.0.0.1/", http_only) == url_problem("https://127.0.0.1/", STRICT)
    assert url_problem("https://127.0.0.1/", private_only) is None
    problem = url_problem("http://127.0.0.1/", private_only)
    assert problem is not None
    assert problem.code == UserErrorCode.URL_NOT_HTTPS


def test_a_refused_url_is_one_problem_on_the_url_field_beside_the_others() -> None:
    with pytest.raises(DomainError) as refused:
        validate_endpoint("http://10.0.0.1/", ["Bad Type"], None, STRICT)
    assert [(p.code, p.field) for p in refused.value.problems] == [
        (UserErrorCode.URL_NOT_HTTPS, ("input", "url")),
        (UserErrorCode.INVALID, ("input", "eventTypes")),
    ]


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("hooks.example.com", None),
        ("8.8.8.8", "8.8.8.8"),
        ("127.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0300.0250.0.1", "192.168.0.1"),
        ("1.2.3.4.", "1.2.3.4"),
        ("::1", "::1"),
        ("fe80::1%25eth0", "fe80::1"),
    ],
)
def test_host_addresses_are_read_as_url_parsers_and_resolvers_read_them(
    host: str, address: str | None
) -> None:
    expected = None if address is None else ipaddress.ip_address(address)
    assert host_address(host) == expected


@pytest.mark.parametrize("host", ["1.2.3.256", "1.2.3.4.5", "4294967296", "08.1.1.1", "a..b"])
def test_hosts_that_are_neither_names_nor_addresses_are_invalid(host: str) -> None:
    with pytest.raises(ValueError):
        host_address(host)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.31.255.255", False),
        ("192.168.0.1", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("224.0.0.251", False),
        ("255.255.255.255", False),
        ("0.0.0.0", False),
        ("::", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:93.184.216.34", True),
        # IPv6 forms that lead to an IPv4 address are judged by it
        ("::ffff:127.0.0.1", False),  # IPv4-mapped
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("64:ff9b::5db8:d822", True),  # NAT64 of 93.184.216.34
        ("64:ff9b:1::5db8:d822", False),  # NAT64 local use: never public
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:c0a8:1::1", False),  # 6to4 of 192.168.0.1
        ("2002:5db8:d822::1", True),  # 6to4 of 93.184.216.34
        ("::127.0.0.1", False),  # IPv4-compatible, deprecated
        ("::93.184.216.34", False),
        ("::ffff:0:7f00:1", False),  # IPv4-translated (SIIT)
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # Teredo to 127.0.0.1
    ],
)
def test_only_global_unicast_addresses_are_public(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    "url",
    [
        "https://[64:ff9b::7f00:1]/h",
        "https://[2002:7f00:1::]/h",
        "https://[::127.0.0.1]/h",
        "https://[::ffff:127.0.0.1]/h",
        "https://[::ffff:7f00:1]/h",
        "https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/h",
    ],
)
def test_ipv6_urls_that_lead_to_loopback_are_refused_like_it(url: str) -> None:
    problem = url_problem(url, STRICT)
    assert problem is not None
    assert problem.code is UserErrorCode.URL_HOST_NOT_ALLOWED


@pytest.mark.parametrize("url", ["HTTPS://example.com/h", "Https://example.com/H?A=B"])
def test_the_scheme_is_case_insensitive_and_stored_in_lower_case(url: str) -> None:
    endpoint = validate_endpoint(url, ["*"], None, STRICT)
    assert endpoint.url == "https" + url[5:]
    changes = validate_endpoint_changes(UpdateWebhookEndpoint(id=1, url=url), STRICT)
    assert changes.url == endpoint.url


def test_the_policy_follows_the_environment_unless_configured() -> None:
    assert Settings(environment="development").webhook_url_policy == LENIENT
    assert Settings(environment="production").webhook_url_policy == STRICT
    configured = Settings(
        environment="production", webhook_allow_http=True, webhook_allow_private_hosts=False
    )
    assert configured.webhook_url_policy == UrlPolicy(allow_http=True, allow_private_hosts=False)
    assert Settings(
        environment="development", webhook_allow_private_hosts=False
    ).webhook_url_policy == UrlPolicy(allow_http=True, allow_private_hosts=False)


def _update(**fields: object) -> UpdateWebhookEndpoint:
    return parse(UpdateWebhookEndpoint, {"id": 1, **fields})


def test_an_update_changes_only_what_it_names() -> None:
    assert validate_endpoint_changes(_update(), STRICT) == EndpointChanges(None, None, None)
    changes = validate_endpoint_changes(
        _update(url=" https://x.example/h ", eventTypes=["a.b", "a.b"], active=False), STRICT
    )
    assert changes == EndpointChanges("https://x.example/h", ("a.b",), False)


def test_an_update_clears_nothing_and_checks_the_url_under_the_policy() -> None:
    with pytest.raises(DomainError) as refused:
        validate_endpoint_changes(_update(url=None, eventTypes=None, active=None), LENIENT)
    assert [(p.code, p.field[1]) for p in refused.value.problems] == [
        (UserErrorCode.REQUIRED, "url"),
        (UserErrorCode.REQUIRED, "eventTypes"),
        (UserErrorCode.REQUIRED, "active"),
    ]
    with pytest.raises(DomainError) as refused:
        validate_endpoint_changes(_update(url="https://10.0.0.1/", eventTypes=[]), STRICT)
    assert [(p.code, p.field[1]) for p in refused.value.problems] == [
        (UserErrorCode.URL_HOST_NOT_ALLOWED, "url"),
        (UserErrorCode.REQUIRED, "eventTypes"),
    ]
