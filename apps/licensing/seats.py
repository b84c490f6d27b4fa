"""Seats: members plus pending invitations, checked when inviting and when accepting.

A pending invitation holds a seat so that an owner cannot hand out more invitations than
the license allows; accepting turns that reservation into a member. Accepting is checked
again because a license can shrink (or expire) while an invitation is pending.
"""

from __future__ import annotations

from apps.licensing.entitlements import effective_license
from apps.workspaces.actions import ActionRefused


def seats_in_use(workspace) -> int:
    return workspace.memberships.count() + workspace.invitations.pending().count()


def check_seat_for_invite(workspace, email: str) -> None:
    """Refuse unless a seat is free; re-inviting the same address reuses its seat."""
    allowed = effective_license(workspace).seats
    members = workspace.memberships.count()
    pending = workspace.invitations.pending().exclude(email=email).count()
    if members + pending + 1 > allowed:
        held = _count(members, "member") + (
            f" and {_count(pending, 'pending invitation')}" if pending else ""
        )
        revoke = ", revoke an invitation" if pending else ""
        raise ActionRefused(
            f"All {allowed} seats are in use ({held}): remove a member{revoke} or install a "
            "license with more seats."
        )


def check_seat_for_accept(workspace) -> None:
    """Refuse if one more member would exceed the seats the license allows today."""
    allowed = effective_license(workspace).seats
    members = workspace.memberships.count()
    if members + 1 > allowed:
        raise ActionRefused(
            f"{workspace.name} has no free seat: all {allowed} seats are taken by its "
            f"{_count(members, 'member')}. Ask an owner of {workspace.name} to free a seat or "
            "to install a license with more seats, then accept again."
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
