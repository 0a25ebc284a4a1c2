"""The rules of people in an organisation (domain/members.py), as pure functions."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.errors import DomainError, UserErrorCode
from domain.members import (
    InvitationStatus,
    InviteMember,
    MemberRole,
    MemberStatus,
    email_problem,
    existing_member_problems,
    hash_invitation_token,
    invitation_status,
    invitation_still_open_problems,
    joined_problems,
    last_admin_problems,
    looks_like_invitation_token,
    new_invitation_token,
    parse_role,
    transfer_problems,
)
from domain.validation import parse

NOW = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "email",
    ["ivy@example.com", "Ivy.Larsson+okr@mail.example.se", "a@b.co", "o'brien@x.ie"],
)
def test_ordinary_addresses_are_emails(email: str) -> None:
    assert email_problem(email) is None


@pytest.mark.parametrize(
    "email",
    [
        "plain",
        "@example.com",
        "ivy@",
        "ivy@localhost",
        "ivy@@example.com",
        "ivy example@example.com",
        "<ivy@example.com>",
        ".ivy@example.com",
        "ivy.@example.com",
        "i..vy@example.com",
        "ivy@-example.com",
        "ivy@example..com",
        "x" * 65 + "@example.com",
        "ivy@" + "a" * 320 + ".com",
    ],
)
def test_junk_is_not_an_email(email: str) -> None:
    assert email_problem(email) is not None


def test_an_invitation_is_trimmed_and_defaults_to_a_member_for_fourteen_days() -> None:
    command = parse(InviteMember, {"email": " ivy@example.com ", "name": " Ivy "})
    assert (command.email, command.name, command.role) == ("ivy@example.com", "Ivy", "MEMBER")
    assert command.expires_in_days == 14


def test_bad_invitations_report_every_problem_with_its_code() -> None:
    with pytest.raises(DomainError) as raised:
        parse(InviteMember, {"email": "nope", "name": "", "role": "OWNER", "expiresInDays": 0})
    codes = {(p.code, p.field[-1]) for p in raised.value.problems}
    assert codes == {
        (UserErrorCode.INVALID_EMAIL, "email"),
        (UserErrorCode.REQUIRED, "name"),
        (UserErrorCode.INVALID, "role"),
        (UserErrorCode.OUT_OF_RANGE, "expiresInDays"),
    }


def test_roles_named_by_integrations_are_known_roles_only() -> None:
    assert parse_role(" admin ") is MemberRole.ADMIN
    with pytest.raises(DomainError) as raised:
        parse_role("owner")
    assert raised.value.problems[0].code is UserErrorCode.UNKNOWN_ROLE


@pytest.mark.parametrize(
    ("accepted", "revoked", "expires", "status"),
    [
        (None, None, NOW + dt.timedelta(days=1), InvitationStatus.PENDING),
        (None, None, NOW, InvitationStatus.EXPIRED),
        (NOW, None, NOW - dt.timedelta(days=1), InvitationStatus.ACCEPTED),
        (None, NOW, NOW + dt.timedelta(days=1), InvitationStatus.REVOKED),
    ],
)
def test_what_became_of_an_invitation(
    accepted: dt.datetime | None,
    revoked: dt.datetime | None,
    expires: dt.datetime,
    status: InvitationStatus,
) -> None:
    assert invitation_status(accepted, revoked, expires, NOW) is status


def test_only_open_invitations_are_resent_or_revoked() -> None:
    assert invitation_still_open_problems(InvitationStatus.PENDING) == []
    assert invitation_still_open_problems(InvitationStatus.EXPIRED) == []
    [accepted] = invitation_still_open_problems(InvitationStatus.ACCEPTED)
    [revoked] = invitation_still_open_problems(InvitationStatus.REVOKED)
    assert (accepted.code, revoked.code) == (
        UserErrorCode.INVITATION_ACCEPTED,
        UserErrorCode.INVITATION_REVOKED,
    )


def test_the_last_active_admin_stays() -> None:
    assert last_admin_problems(frozenset({1, 2}), 1, stays_admin=False) == []
    assert last_admin_problems(frozenset({1}), 1, stays_admin=True) == []
    assert last_admin_problems(frozenset({1}), 2, stays_admin=False) == []
    [problem] = last_admin_problems(frozenset({1}), 1, stays_admin=False)
    assert problem.code is UserErrorCode.LAST_ADMIN


def test_inviting_members_and_invitees_again_is_refused() -> None:
    assert existing_member_problems(None) == []
    codes = [
        existing_member_problems(status)[0].code
        for status in (MemberStatus.INVITED, MemberStatus.ACTIVE, MemberStatus.DEACTIVATED)
    ]
    assert codes == [
        UserErrorCode.ALREADY_INVITED,
        UserErrorCode.ALREADY_MEMBER,
        UserErrorCode.ALREADY_MEMBER,
    ]


def test_invitees_are_neither_deactivated_nor_reactivated() -> None:
    assert joined_problems(MemberStatus.ACTIVE) == []
    assert joined_problems(MemberStatus.DEACTIVATED) == []
    [problem] = joined_problems(MemberStatus.INVITED)
    assert problem.code is UserErrorCode.INVALID_TRANSITION


def test_ownership_moves_only_to_another_active_member() -> None:
    assert transfer_problems(1, MemberStatus.ACTIVE, 2) == []
    codes = [
        transfer_problems(1, MemberStatus.ACTIVE, 1)[0].code,
        transfer_problems(1, None, 2)[0].code,
        transfer_problems(1, MemberStatus.DEACTIVATED, 2)[0].code,
        transfer_problems(1, MemberStatus.INVITED, 2)[0].code,
    ]
    assert codes == [
        UserErrorCode.INVALID,
        UserErrorCode.NOT_FOUND,
        UserErrorCode.MEMBER_DEACTIVATED,
        UserErrorCode.MEMBER_DEACTIVATED,
    ]


def test_invitation_tokens_are_random_and_kept_as_a_hash() -> None:
    first, second = new_invitation_token(), new_invitation_token()
    assert first != second
    assert looks_like_invitation_token(first)
    assert not looks_like_invitation_token("okrql_" + first[9:])
    assert len(hash_invitation_token(first)) == 32
    assert hash_invitation_token(first) != hash_invitation_token(second)
