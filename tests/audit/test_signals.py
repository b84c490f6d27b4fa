"""Sign-in, failed sign-in and sign-out land in the platform chain, never with a password."""

from __future__ import annotations

import json

from apps.audit.models import AuditEvent
from apps.audit.verify import verify_chain
from tests.conftest import PASSWORD


def _platform():
    return list(AuditEvent.objects.filter(workspace=None).order_by("seq"))


def test_sign_in_and_out_through_allauth(world, client):
    user = world.users["developer"]
    response = client.post(
        "/accounts/login/", {"login": user.email, "password": PASSWORD}, HTTP_HOST="localhost"
    )
    assert response.status_code == 302
    client.post("/accounts/logout/", HTTP_HOST="localhost")
    events = _platform()
    assert [e.action for e in events] == ["account.sign_in", "account.sign_out"]
    assert all(e.actor_id == user.pk and e.actor_label == user.email for e in events)
    assert events[0].target_type == "auth.User" and events[0].details["host"] == "localhost"
    assert verify_chain(None).ok


def test_a_failed_sign_in_records_the_address_but_never_the_password(world, client):
    wrong = "Tr0ub4dor&3-not-it"
    response = client.post(
        "/accounts/login/", {"login": "owner@acme.test", "password": wrong}, HTTP_HOST="localhost"
    )
    assert response.status_code == 200
    (event,) = _platform()
    assert (event.action, event.outcome, event.actor_id) == (
        "account.sign_in_failed",
        "refused",
        None,
    )
    assert event.details["email"] == "owner@acme.test"
    row = AuditEvent.objects.filter(pk=event.pk).values().get()
    assert wrong not in json.dumps(row, default=str)
    assert "*****" not in json.dumps(row, default=str)


def test_force_login_is_a_sign_in_too(world, host_client):
    host_client(world.users["viewer"], "acme.localhost")
    assert [e.action for e in _platform()] == ["account.sign_in"]
