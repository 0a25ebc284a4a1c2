"""Webhook rules: endpoint validation and the retry schedule (pure)."""

from __future__ import annotations

import pytest

from domain.errors import DomainError
from domain.webhooks import retry_delay, validate_endpoint


def test_retry_delays_grow_exponentially_up_to_the_maximum() -> None:
    delays = [retry_delay(n, base=10, factor=2, maximum=60) for n in range(1, 6)]
    assert delays == [10, 20, 40, 60, 60]
    assert retry_delay(10_000, base=10, factor=2, maximum=3600) == 3600


def test_an_endpoint_is_trimmed_and_its_event_types_deduplicated() -> None:
    endpoint = validate_endpoint(
        " https://x.example/h ", ["cycle.created", "cycle.created", "*"], None
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
        validate_endpoint(url, types, secret)
    assert [p.field for p in refused.value.problems] == [("input", field)]
