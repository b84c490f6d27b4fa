"""The license page (owners of a workspace) and the staff pages (platform staff only)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from apps.audit.models import AuditEvent
from apps.licensing.actions import do_install_license
from apps.licensing.models import License
from tests.conftest import make_user

ACME = "acme.localhost"


@pytest.fixture
def staff(db):
    user = make_user("ops@nublox.test")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def test_owner_sees_plan_seats_and_entitlements(world, host_client, issuer):
    page = host_client(world.users["owner"], ACME).get("/license/").content.decode()
    assert "Free" in page and "7 / 10" in page and "seats in use" in page
    assert "No license has been installed" in page and "not included" in page
    do_install_license(world.acme, issuer.token(seats=25), world.users["owner"])
    page = host_client(world.users["owner"], ACME).get("/license/").content.decode()
    assert "Pro" in page and "7 / 25" in page and "in effect" in page
    assert page.count('status-ok">included') == 2  # online_apply, approvals


@pytest.mark.parametrize("role", ["admin", "developer", "analyst", "viewer"])
def test_other_roles_get_403_on_every_license_url(world, host_client, issuer, role):
    row = do_install_license(world.acme, issuer.token(), world.users["owner"])
    c = host_client(world.users[role], ACME)
    assert c.get("/license/").status_code == 403
    assert c.post("/license/install/", {"token": issuer.token(seats=99)}).status_code == 403
    assert c.post("/license/revoke/", {"license_id": row.pk}).status_code == 403
    assert License.objects.get().revoked_at is None and License.objects.count() == 1


def test_outsiders_get_404(world, host_client):
    c = host_client(world.users["outsider"], ACME)
    assert c.get("/license/").status_code == 404
    assert c.post("/license/install/", {"token": "x"}).status_code == 404


def test_owner_installs_a_token_and_it_is_audited(world, host_client, issuer):
    owner = host_client(world.users["owner"], ACME)
    response = owner.post("/license/install/", {"token": issuer.token(seats=30)}, follow=True)
    assert "Pro license installed for Acme: 30 seats." in response.content.decode()
    row = License.objects.get()
    assert (row.workspace, row.seats, row.installed_by) == (world.acme, 30, world.users["owner"])
    event = AuditEvent.objects.get(workspace=world.acme, action="license.install")
    assert event.outcome == "ok" and event.details["seats"] == 30
    assert row.token not in str(event.details)


def test_a_refused_token_shows_the_reason_and_is_audited_as_refused(world, host_client, issuer):
    owner = host_client(world.users["owner"], ACME)
    response = owner.post("/license/install/", {"token": issuer.token(slug="globex")})
    assert response.status_code == 200
    assert "License not installed. This license is for the workspace “globex”" in (
        response.content.decode()
    )
    assert not License.objects.exists()
    event = AuditEvent.objects.get(workspace=world.acme, action="license.install")
    assert event.outcome == "refused" and "globex" in event.details["reason"]


def test_installing_the_same_token_twice_is_refused(world, host_client, issuer):
    token = issuer.token()
    owner = host_client(world.users["owner"], ACME)
    owner.post("/license/install/", {"token": token})
    response = owner.post("/license/install/", {"token": token})
    assert "already installed" in response.content.decode()
    assert License.objects.count() == 1


def test_the_page_shows_why_an_installed_token_was_refused(world, host_client, issuer):
    expired = issuer.token(start=datetime(2025, 1, 1, tzinfo=UTC), days=10)
    License.objects.create(
        workspace=world.acme,
        token=expired,
        jti="stale",
        plan="pro",
        seats=25,
        not_before=datetime(2025, 1, 1, tzinfo=UTC),
        expires_at=datetime(2025, 1, 11, tzinfo=UTC),
    )
    page = host_client(world.users["owner"], ACME).get("/license/").content.decode()
    assert "The installed license was refused; Acme is on the free plan." in page
    assert "This license expired on 2025-01-11 at 00:00 UTC." in page
    assert "7 / 10" in page and "refused</span>" in page


def test_owner_revokes_and_falls_back_to_free(world, host_client, issuer):
    row = do_install_license(world.acme, issuer.token(), world.users["owner"])
    owner = host_client(world.users["owner"], ACME)
    response = owner.post("/license/revoke/", {"license_id": row.pk}, follow=True)
    assert "revoked" in response.content.decode()
    row.refresh_from_db()
    assert row.revoked_at is not None and row.revoked_by == world.users["owner"]
    assert "7 / 10" in response.content.decode()
    event = AuditEvent.objects.get(workspace=world.acme, action="license.revoke")
    assert event.target_id == str(row.pk)
    again = owner.post("/license/revoke/", {"license_id": row.pk}, follow=True)
    assert "already revoked" in again.content.decode()


def test_another_workspaces_license_cannot_be_revoked(world, host_client, issuer):
    theirs = do_install_license(world.globex, issuer.token(slug="globex"), world.users["outsider"])
    owner = host_client(world.users["owner"], ACME)
    assert owner.post("/license/revoke/", {"license_id": theirs.pk}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_revoke_without_a_license_says_so(world, host_client):
    owner = host_client(world.users["owner"], ACME)
    response = owner.post("/license/revoke/", {}, follow=True)
    assert "Choose the license to revoke." in response.content.decode()


def test_settings_page_links_to_the_license(world, host_client):
    page = host_client(world.users["owner"], ACME).get("/settings/").content.decode()
    assert 'href="/license/"' in page


# --- staff -------------------------------------------------------------------------------


STAFF_URLS = ["/staff/licenses/", "/staff/licenses/acme/"]


@pytest.mark.parametrize("who", ["owner", "outsider", None])
def test_staff_pages_are_404_for_everyone_else(world, host_client, issuer, who):
    c = host_client(world.users[who] if who else None, "localhost")
    for url in STAFF_URLS:
        assert c.get(url).status_code == 404, url
    for url in ("/staff/licenses/acme/install/", "/staff/licenses/acme/revoke/"):
        assert c.get(url).status_code == 404, url
        assert c.post(url, {"token": issuer.token(), "license_id": 1}).status_code == 404, url
    assert not License.objects.exists()


def test_staff_list_shows_every_workspace(world, host_client, issuer, staff):
    do_install_license(world.globex, issuer.token(slug="globex", seats=50), staff)
    page = host_client(staff, "localhost").get("/staff/licenses/").content.decode()
    assert "Acme" in page and "Globex" in page
    assert "7 / 10" in page and "2 / 50" in page
    assert "licensed</span>" in page and "free</span>" in page


def test_staff_install_and_revoke_for_any_workspace(world, host_client, issuer, staff):
    c = host_client(staff, "localhost")
    response = c.post(
        "/staff/licenses/globex/install/", {"token": issuer.token(slug="globex")}, follow=True
    )
    assert "Pro license installed for Globex" in response.content.decode()
    row = License.objects.get(workspace=world.globex)
    assert row.installed_by == staff
    wrong = c.post("/staff/licenses/acme/install/", {"token": issuer.token(slug="globex")})
    assert "for the workspace “globex”, not “acme”" in wrong.content.decode()
    assert c.post("/staff/licenses/acme/revoke/", {"license_id": row.pk}).status_code == 404
    c.post("/staff/licenses/globex/revoke/", {"license_id": row.pk})
    row.refresh_from_db()
    assert row.revoked_by == staff
    assert c.get("/staff/licenses/nosuch/").status_code == 404
