"""The sign-in handoff from the apex to a workspace subdomain."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.utils import timezone

from apps.accounts.models import SessionHandoff


def _start(c, target="http://acme.localhost/members/"):
    r = c.get("/accounts/handoff/", {"next": target})
    assert r.status_code == 302, r.content
    parts = urlsplit(r["Location"])
    return parts, parse_qs(parts.query)


def test_handoff_carries_the_session_once(world, host_client):
    apex = host_client(world.users["owner"], "localhost")
    parts, query = _start(apex)
    assert parts.netloc == "acme.localhost" and parts.path == "/accounts/handoff/accept/"
    sub = host_client(None, "acme.localhost")
    r = sub.get(parts.path, {"token": query["token"][0], "next": query["next"][0]})
    assert r.status_code == 302 and r["Location"] == "/members/"
    assert r.cookies[settings.SESSION_COOKIE_NAME].value == apex.session.session_key
    assert sub.get("/members/").status_code == 200
    # single use
    again = host_client(None, "acme.localhost").get(parts.path, {"token": query["token"][0]})
    assert again.status_code == 400
    assert SessionHandoff.objects.count() == 0


def test_handoff_refuses_foreign_targets_and_expired_tokens(world, host_client):
    apex = host_client(world.users["owner"], "localhost")
    assert apex.get("/accounts/handoff/", {"next": "http://evil.example/"}).status_code == 400
    parts, query = _start(apex)
    SessionHandoff.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    r = host_client(None, "acme.localhost").get(parts.path, {"token": query["token"][0]})
    assert r.status_code == 400 and b"did not carry over" in r.content


def test_handoff_never_redirects_off_host(world, host_client):
    apex = host_client(world.users["owner"], "localhost")
    parts, query = _start(apex)
    r = host_client(None, "acme.localhost").get(
        parts.path, {"token": query["token"][0], "next": "http://evil.example/steal"}
    )
    assert r["Location"] == "/"


def test_anonymous_handoff_goes_through_sign_in(host_client, db):
    r = host_client(None, "localhost").get("/accounts/handoff/", {"next": "http://acme.localhost/"})
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
