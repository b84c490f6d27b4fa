"""Seats (members + pending invitations) are enforced on invite and again on accept."""

from __future__ import annotations

import pytest

from apps.licensing.actions import do_install_license, do_revoke_license
from apps.licensing.seats import seats_in_use
from apps.workspaces import actions
from apps.workspaces.actions import ActionRefused
from apps.workspaces.models import Membership
from tests.conftest import make_user

FULL = (
    "All 10 seats are in use (6 members and 4 pending invitations): remove a member, revoke "
    "an invitation or install a license with more seats."
)


def _invite(world, email: str) -> str:
    return actions.do_invite(world.acme, world.users["owner"], email, "viewer")


def _fill(world) -> None:
    """acme starts with 6 members and 1 pending invitation; three more make 10."""
    for n in range(3):
        _invite(world, f"new{n}@acme.test")
    assert seats_in_use(world.acme) == 10


def _member(world, email: str) -> Membership:
    return Membership.objects.create(workspace=world.acme, user=make_user(email), role="viewer")


def test_seats_in_use_counts_members_and_pending_invitations(world):
    assert seats_in_use(world.acme) == 7
    assert seats_in_use(world.globex) == 2


def test_invite_is_refused_when_every_seat_is_taken(world):
    _fill(world)
    with pytest.raises(ActionRefused) as info:
        _invite(world, "one-too-many@acme.test")
    assert str(info.value) == FULL
    assert not world.acme.invitations.filter(email="one-too-many@acme.test").exists()


def test_re_inviting_a_pending_address_reuses_its_seat(world):
    _fill(world)
    _invite(world, "new0@acme.test")
    assert world.acme.invitations.pending().filter(email="new0@acme.test").count() == 1
    assert seats_in_use(world.acme) == 10


def test_a_license_with_more_seats_lets_more_in(world, issuer):
    _fill(world)
    do_install_license(world.acme, issuer.token(seats=11), world.users["owner"])
    _invite(world, "eleventh@acme.test")
    with pytest.raises(ActionRefused, match="All 11 seats are in use"):
        _invite(world, "twelfth@acme.test")


def test_the_members_page_shows_the_refusal(world, host_client):
    _fill(world)
    owner = host_client(world.users["owner"], "acme.localhost")
    response = owner.post(
        "/members/invite/", {"email": "late@acme.test", "role": "viewer"}, follow=True
    )
    assert "All 10 seats are in use" in response.content.decode()
    assert not world.acme.invitations.filter(email="late@acme.test").exists()


def test_accept_is_refused_when_the_license_shrank(world, issuer):
    owner = world.users["owner"]
    license = do_install_license(world.acme, issuer.token(seats=12), owner)
    for n in range(4):  # 10 members
        _member(world, f"m{n}@acme.test")
    token = _invite(world, "late@acme.test")  # 12 seats in use of 12
    late = make_user("late@acme.test")
    do_revoke_license(license, owner)  # back to 10 seats, with 10 members
    with pytest.raises(ActionRefused) as info:
        actions.do_accept_invitation(token, late)
    assert str(info.value) == (
        "Acme has no free seat: all 10 seats are taken by its 10 members. Ask an owner of Acme "
        "to free a seat or to install a license with more seats, then accept again."
    )
    assert not Membership.objects.filter(workspace=world.acme, user=late).exists()
    assert world.acme.invitations.get(email="late@acme.test").status == "pending"
    actions.do_remove_member(Membership.objects.get(user__email="m0@acme.test"), owner)
    assert actions.do_accept_invitation(token, late).workspace == world.acme


def test_accept_page_shows_the_refusal(world, host_client):
    owner = world.users["owner"]
    actions.do_revoke_invitation(world.acme.invitations.get(), by=owner)
    for n in range(3):
        _member(world, f"m{n}@acme.test")
    token = _invite(world, "late@acme.test")  # 9 members + 1 invitation: full
    _member(world, "m9@acme.test")  # added behind the invitation's back (e.g. by an admin tool)
    late = host_client(make_user("late@acme.test"), "localhost")
    response = late.post(f"/invitations/{token}/")
    assert response.status_code == 200
    assert "Acme has no free seat: all 10 seats are taken by its 10 members." in (
        response.content.decode()
    )
    assert not Membership.objects.filter(workspace=world.acme, user__email="late@acme.test")


def test_accepting_as_an_existing_member_needs_no_seat(world):
    token = _invite(world, "late@acme.test")
    late = make_user("late@acme.test")
    Membership.objects.create(workspace=world.acme, user=late, role="analyst")
    for n in range(3):
        _member(world, f"m{n}@acme.test")  # 10 members + 1 invitation
    membership = actions.do_accept_invitation(token, late)
    assert membership.role == "analyst"
    assert world.acme.invitations.get(email="late@acme.test").status == "accepted"
