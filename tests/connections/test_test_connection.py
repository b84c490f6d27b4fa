""" "Test connection" against the real servers and loopback stand-ins: each outcome in words
a person understands, audited as connection.test, and the page's POST button."""

from __future__ import annotations

import hashlib
import ssl
from pathlib import Path

import pytest

from apps.audit.models import AuditEvent
from apps.connections import actions
from apps.connections.diagnose import test_connection as run_test
from tests.connections.conftest import split_url, with_database

SERVERS = ["pg_url", "mariadb_url"]


def add(acme, owner, url, name="db", password=None, **policy_fields):
    policy = actions.do_save_policy(acme, owner, f"p-{name}", **policy_fields)
    return actions.do_create_connection(acme, owner, name, url, password=password, policy=policy)


def from_fixture(request, fixture, acme, owner, *, password=None, name=None, **policy_fields):
    url, real_password = split_url(request.getfixturevalue(fixture))
    pw = real_password if password is None else password
    return add(acme, owner, url, name=name or fixture, password=pw, **policy_fields)


def last_test_event(acme):
    return AuditEvent.objects.filter(workspace=acme, action="connection.test").latest("seq")


@pytest.mark.parametrize("fixture", SERVERS)
def test_ok(request, world, acme, owner, fixture):
    conn = from_fixture(request, fixture, acme, owner)
    outcome = run_test(conn, owner)
    assert outcome.ok, outcome
    assert outcome.headline == f"Connected to 127.0.0.1:{conn.port}"
    assert conn.family in outcome.detail
    event = last_test_event(acme)
    assert (event.outcome, event.details["headline"]) == ("ok", outcome.headline)
    read = AuditEvent.objects.filter(workspace=acme, action="secret.read").latest("seq")
    assert read.target_id == str(conn.pk) and read.details["why"] == "test"


def test_ok_sqlite_file(world, acme, owner, sqlite_file):
    outcome = run_test(add(acme, owner, sqlite_file), owner)
    assert outcome.ok and "a local file" in outcome.detail


@pytest.mark.parametrize("fixture", SERVERS)
def test_wrong_password(request, world, acme, owner, fixture):
    conn = from_fixture(request, fixture, acme, owner, password="definitely-not-it")
    outcome = run_test(conn, owner)
    assert not outcome.ok
    assert outcome.headline == "The server refused the user name or password"
    assert "definitely-not-it" not in outcome.detail
    assert last_test_event(acme).outcome == "failed"


@pytest.mark.parametrize("fixture", SERVERS)
def test_unknown_database(request, world, acme, owner, fixture):
    url, password = split_url(request.getfixturevalue(fixture))
    conn = add(acme, owner, with_database(url, "no_such_db_here"), password=password)
    outcome = run_test(conn, owner)
    assert not outcome.ok
    assert outcome.headline.startswith("The server refused database “no_such_db_here”")


def test_refused_port(world, acme, owner, closed_port):
    conn = add(acme, owner, f"postgresql://app@127.0.0.1:{closed_port}/app", password="pw-1")
    outcome = run_test(conn, owner)
    assert outcome.headline == f"Nothing is listening on 127.0.0.1:{closed_port}"


def test_timeout_on_a_server_that_never_answers(world, acme, owner, silent_server):
    url = f"mysql://app@127.0.0.1:{silent_server.port}/"
    conn = add(acme, owner, url, password="pw-timeout-1", connect_timeout_s=1)
    outcome = run_test(conn, owner)
    assert outcome.headline == f"No answer from 127.0.0.1:{silent_server.port} within 1 s"
    assert b"pw-timeout-1" not in silent_server.received


def server_pin(test_ca_file: str) -> str:
    pem = (Path(test_ca_file).parent / "server.pem").read_text()
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()


@pytest.mark.parametrize("fixture", SERVERS)
def test_pinned_certificate(request, world, acme, owner, fixture, test_ca_file):
    right = from_fixture(request, fixture, acme, owner, pinned_sha256=server_pin(test_ca_file))
    outcome = run_test(right, owner)
    assert outcome.ok and "(pinned)" in outcome.detail
    wrong = from_fixture(request, fixture, acme, owner, name="wrong", pinned_sha256="11" * 32)
    outcome = run_test(wrong, owner)
    assert outcome.headline == "The server's certificate is not the pinned one"
    assert "11:11:11" in outcome.detail


def test_ca_file_from_the_policy_verifies_the_server(world, acme, owner, pg_url, test_ca_file):
    url, password = split_url(pg_url)
    good = add(acme, owner, url, name="ca", password=password, ca_file=test_ca_file)
    assert run_test(good, owner).ok
    # The harness's CA does not sign a self-signed stand-in's certificate: any other CA file.
    other = Path(test_ca_file).parent / "server.pem"
    bad = add(acme, owner, url, name="other-ca", password=password, ca_file=str(other))
    assert run_test(bad, owner).headline == "The server's certificate did not verify"


# --- the page ---------------------------------------------------------------------------


def test_button_posts_and_shows_the_outcome(world, acme, owner, host_client, closed_port):
    conn = add(acme, owner, f"postgresql://app@127.0.0.1:{closed_port}/app")
    page = host_client(owner, "acme.localhost")
    detail = page.get(f"/connections/{conn.pk}/")
    assert b"Test connection" in detail.content
    response = page.post(f"/connections/{conn.pk}/test/")
    assert response.status_code == 200
    assert f"Nothing is listening on 127.0.0.1:{closed_port}".encode() in response.content
    fragment = page.post(f"/connections/{conn.pk}/test/", HTTP_HX_REQUEST="true")
    assert fragment.content.lstrip().startswith(b'<div id="test-outcome"')


@pytest.mark.parametrize("role", ["developer", "analyst", "viewer"])
def test_only_connection_managers_may_test(world, acme, owner, host_client, role, closed_port):
    conn = add(acme, owner, f"postgresql://app@127.0.0.1:{closed_port}/app")
    page = host_client(world.users[role], "acme.localhost")
    assert b"Test connection" not in page.get(f"/connections/{conn.pk}/").content
    assert page.post(f"/connections/{conn.pk}/test/").status_code == 403
    assert not AuditEvent.objects.filter(action="connection.test").exists()


def test_admins_may_test(world, acme, owner, host_client, closed_port):
    conn = add(acme, owner, f"postgresql://app@127.0.0.1:{closed_port}/app")
    page = host_client(world.users["admin"], "acme.localhost")
    assert page.post(f"/connections/{conn.pk}/test/").status_code == 200
    assert last_test_event(acme).actor_id == world.users["admin"].pk
