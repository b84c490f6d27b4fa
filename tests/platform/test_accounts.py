"""Account flows beyond sign-up: password reset, sign-out, the admin for staff only."""

from __future__ import annotations

import re

from django.core import mail

from tests.conftest import PASSWORD


def test_password_reset_by_email(world, host_client):
    c = host_client(None, "localhost")
    r = c.post("/accounts/password/reset/", {"email": "viewer@acme.test"})
    assert r.status_code == 302
    link = re.search(r"http://localhost(/accounts/password/reset/key/\S+)", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    r = c.get(link.group(1), follow=True)
    form_url = r.redirect_chain[-1][0] if r.redirect_chain else link.group(1)
    new = "a-brand-new-passphrase-42"
    r = c.post(form_url, {"password1": new, "password2": new})
    assert r.status_code == 302
    fresh = host_client(None, "localhost")
    bad = fresh.post("/accounts/login/", {"login": "viewer@acme.test", "password": PASSWORD})
    assert bad.status_code == 200 and b"not correct" in bad.content
    good = fresh.post("/accounts/login/", {"login": "viewer@acme.test", "password": new})
    assert good.status_code == 302


def test_password_reset_does_not_reveal_unknown_addresses(db, host_client):
    r = host_client(None, "localhost").post("/accounts/password/reset/", {"email": "no@x.test"})
    assert r.status_code == 302  # same answer as for a known address
    assert all("reset/key" not in m.body for m in mail.outbox)


def test_sign_out_on_a_workspace_signs_out_everywhere(world, host_client):
    c = host_client(world.users["owner"], "acme.localhost")
    assert c.get("/").status_code == 200
    c.post("/accounts/logout/")
    assert c.get("/").status_code == 302
    assert c.get("/workspaces/new/", HTTP_HOST="localhost").status_code == 302


def test_admin_is_for_staff_only(world, host_client):
    owner = host_client(world.users["owner"], "localhost")
    assert owner.get("/admin/").status_code == 302  # a workspace owner is not platform staff
    staff = world.users["viewer"]
    staff.is_staff = staff.is_superuser = True
    staff.save()
    page = host_client(staff, "localhost").get("/admin/workspaces/workspace/")
    assert page.status_code == 200 and b"Acme" in page.content and b"Globex" in page.content
