"""The audit page: who sees it, the timeline, the verify button and the export download."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit import bundle_verify, keys
from apps.audit.log import record, record_many
from apps.audit.models import AuditEvent
from tests.audit.helpers import TABLE, tamper

ACME = "acme.localhost"


@pytest.fixture(autouse=True)
def _keys_in_tmp(settings, tmp_path):
    settings.AUDIT_SIGNING_KEY = None
    settings.AUDIT_SIGNING_KEY_PATH = tmp_path / "audit-signing.pem"
    settings.LICENSE_ISSUER_KEY = None
    settings.LICENSE_PUBLIC_KEY = None
    settings.LICENSE_ISSUER_KEY_PATH = tmp_path / "license-issuer.pem"


def _license(world, entitlements=("audit_export",)):
    from django.conf import settings

    from apps.licensing.actions import do_install_license
    from apps.licensing.keys import issuer_private_key
    from apps.licensing.tokens import issue_token

    now = timezone.now()
    token = issue_token(
        issuer_private_key(), "acme", "pro", 10, entitlements, now - timedelta(hours=1),
        now + timedelta(days=30), audience=settings.BASE_DOMAIN,
    )  # fmt: skip
    do_install_license(world.acme, token, world.users["owner"])


@pytest.mark.parametrize(
    "role, status",
    [("owner", 200), ("admin", 200), ("developer", 403), ("analyst", 403), ("viewer", 403)],
)
def test_admins_and_owners_see_the_timeline(world, host_client, role, status):
    response = host_client(world.users[role], ACME).get("/audit/")
    assert response.status_code == status
    assert (b"Audit timeline" in response.content) == (status == 200)
    assert host_client(world.users[role], ACME).post("/audit/verify/").status_code == status


def test_other_workspaces_and_strangers_get_nothing(world, host_client):
    assert host_client(world.users["outsider"], ACME).get("/audit/").status_code == 404
    anonymous = host_client(None, ACME).get("/audit/")
    assert anonymous.status_code == 302 and "/accounts/handoff/" in anonymous["Location"]


def test_timeline_is_newest_first_paginated_and_filtered(world, host_client):
    owner, admin = world.users["owner"], world.users["admin"]
    already = AuditEvent.objects.filter(workspace=world.acme).count()
    record_many(world.acme, [{"action": "learn", "actor": owner} for _ in range(60)])
    record_many(world.acme, [{"action": "apply", "actor": admin, "details": {"plan": 7}}])
    record(world.globex, world.users["outsider"], "connection.delete", details={"g": 1})
    c = host_client(owner, ACME)

    page = c.get("/audit/").content.decode()
    total = already + 61
    assert f"Page 1 of {(total + 49) // 50}" in page and f"{total} events" in page
    assert page.index("<code>apply</code>") < page.index("<code>learn</code>")
    assert "plan=7" in page and "g=1" not in page and "connection.delete</code>" not in page
    assert page.count("<tr>") == 51  # the header row and fifty events

    older = c.get("/audit/?action=learn&page=2").content.decode()
    assert "Page 2 of 2" in older and "60 events" in older and "<code>apply</code>" not in older
    assert "action=learn&amp;page=1" in older

    by_admin = c.get(f"/audit/?actor={admin.pk}").content.decode()
    assert "1 event" in by_admin and "<code>learn</code>" not in by_admin
    assert "No events match these filters" in c.get("/audit/?action=rollback").content.decode()


def test_verify_button_reports_the_broken_event(world, host_client):
    c = host_client(world.users["admin"], ACME)
    for i in range(3):
        record(world.acme, world.users["owner"], "project.save", details={"i": i})
    assert "Chain intact." in c.post("/audit/verify/").content.decode()
    last = AuditEvent.objects.filter(workspace=world.acme).order_by("-seq").first()
    tamper(f"UPDATE {TABLE} SET outcome = %s WHERE id = %s", ["refused", last.pk])
    page = c.post("/audit/verify/").content.decode()
    assert f"Chain broken at event {last.seq}</b> (row id {last.pk})" in page
    assert "hash does not match its contents" in page
    assert c.get("/audit/verify/").status_code == 405


def test_export_needs_the_license_entitlement(world, host_client):
    c = host_client(world.users["owner"], ACME)
    assert b"not included in this workspace" in c.get("/audit/").content
    response = c.post("/audit/export/", {"start": "", "end": ""}, follow=True)
    assert response.redirect_chain[-1][0].endswith("/audit/")
    assert "Signed audit export is not included" in response.content.decode()


def test_export_downloads_a_bundle_that_verifies(world, host_client, tmp_path):
    _license(world)
    record(world.acme, world.users["owner"], "learn", details={"db": "shop"})
    c = host_client(world.users["admin"], ACME)
    assert b"Download bundle" in c.get("/audit/").content
    today = timezone.now().date().isoformat()
    response = c.post("/audit/export/", {"start": today, "end": today})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'filename="audit-acme-{today}-{today}.zip"')
    path = tmp_path / "download.zip"
    path.write_bytes(b"".join(response.streaming_content))
    report = bundle_verify.verify_bundle(path, keys.public_key_pem().encode())
    assert report.count == AuditEvent.objects.filter(workspace=world.acme).count()
    assert report.manifest["last_hash"] == world.acme.audit_events.order_by("-seq")[0].hash


def test_export_form_errors_are_shown(world, host_client):
    _license(world)
    c = host_client(world.users["owner"], ACME)
    response = c.post("/audit/export/", {"start": "2026-02-02", "end": "2026-02-01"})
    assert response.status_code == 400 and "is after" in response.content.decode()
    response = c.post("/audit/export/", {"start": "2001-01-01", "end": "2001-01-02"}, follow=True)
    assert "No audit events between 2001-01-01 and 2001-01-02" in response.content.decode()
