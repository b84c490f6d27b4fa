"""Adding, editing and deleting connections and policies through the pages: the password
goes to the secret store and never comes back in any page."""

from __future__ import annotations

import uuid

import pytest

from apps.audit.models import AuditEvent
from apps.connections.models import Connection, ConnectionPolicy
from apps.secrets import store


@pytest.fixture
def canary() -> str:
    return f"Canary-{uuid.uuid4().hex}-pw"


def add(page, **data):
    form = {"name": "orders", "url": "postgresql://app@db.example.com:5432/orders"} | data
    return page.post("/connections/new/", form, follow=True)


def test_add_stores_the_password_in_the_secret_store_and_never_shows_it(world, host_client, canary):
    page = host_client(world.users["admin"], "acme.localhost")
    form = page.get("/connections/new/").content.decode()
    assert 'type="password"' in form and 'name="policy"' in form and 'name="project"' in form
    response = add(page, password=canary)
    conn = Connection.objects.get(workspace=world.acme, name="orders")
    assert response.redirect_chain[-1][0] == f"/connections/{conn.pk}/"
    assert store.reveal(conn.secret) == canary
    assert canary not in conn.url
    for html in (
        response.content.decode(),
        page.get(f"/connections/{conn.pk}/edit/").content.decode(),
        page.get("/connections/").content.decode(),
    ):
        assert canary not in html
        assert "kept in the secret store" in html or "orders" in html
    event = AuditEvent.objects.filter(action="connection.create").latest("pk")
    assert canary not in str(event.details)


def test_a_password_typed_into_the_url_is_refused_and_not_echoed(world, host_client, canary):
    page = host_client(world.users["owner"], "acme.localhost")
    url = f"postgresql://app:{canary}@db.example.com:5432/orders"
    response = add(page, url=url)
    html = response.content.decode()
    assert response.status_code == 200 and "Put the password in the password field" in html
    assert canary not in html
    assert 'value="postgresql://app@db.example.com:5432/orders"' in html
    query = add(page, url=f"postgresql://app@db.example.com/orders?password={canary}")
    assert canary not in query.content.decode()
    assert not Connection.objects.filter(name="orders").exists()


def test_a_refused_url_keeps_the_form_with_the_reason(world, host_client, canary):
    page = host_client(world.users["owner"], "acme.localhost")
    html = add(page, url="ftp://example.com/x", password=canary).content.decode()
    assert "That URL cannot be used" in html and canary not in html


def test_edit_changes_fields_replaces_or_clears_the_password(world, host_client, canary):
    page = host_client(world.users["owner"], "acme.localhost")
    add(page, password="first-password")
    conn = Connection.objects.get(name="orders")
    policy = ConnectionPolicy.objects.create(workspace=world.acme, name="Strict")
    form = {"name": "orders-eu", "url": conn.url, "policy": policy.pk, "password": canary}
    response = page.post(f"/connections/{conn.pk}/edit/", form, follow=True)
    assert canary not in response.content.decode()
    conn.refresh_from_db()
    assert (conn.name, conn.policy) == ("orders-eu", policy)
    assert store.reveal(conn.secret) == canary
    # an empty password field keeps the stored one
    page.post(f"/connections/{conn.pk}/edit/", form | {"password": "", "name": "x"})
    conn.refresh_from_db()
    assert conn.name == "x" and store.reveal(conn.secret) == canary
    form |= {"password": "", "clear_password": "on"}
    page.post(f"/connections/{conn.pk}/edit/", form)
    conn.refresh_from_db()
    assert conn.secret is None


def test_delete_asks_first_then_removes_connection_and_password(world, host_client, canary):
    page = host_client(world.users["owner"], "acme.localhost")
    add(page, password=canary)
    conn = Connection.objects.get(name="orders")
    secret_pk, secret_model = conn.secret_id, type(conn.secret)
    confirm = page.get(f"/connections/{conn.pk}/delete/").content.decode()
    assert "Delete “orders”?" in confirm and "its stored password" in confirm
    assert Connection.objects.filter(pk=conn.pk).exists()
    response = page.post(f"/connections/{conn.pk}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == "/connections/"
    assert not Connection.objects.filter(pk=conn.pk).exists()
    assert not secret_model.objects.filter(pk=secret_pk).exists()


def test_policies_can_be_created_and_edited(world, host_client):
    page = host_client(world.users["admin"], "acme.localhost")
    form = {
        "name": "Production",
        "require_tls_remote": "on",
        "connect_timeout_s": 5,
        "statement_timeout_s": 30,
        "max_sessions": 3,
    }
    response = page.post("/connections/policies/", form, follow=True)
    policy = ConnectionPolicy.objects.get(workspace=world.acme, name="Production")
    assert (policy.max_sessions, policy.allow_plaintext_loopback) == (3, False)
    assert "Policy “Production” saved." in response.content.decode()
    edit = page.get(f"/connections/policies/?policy={policy.pk}").content.decode()
    assert "Edit “Production”" in edit and 'value="Production"' in edit
    refused = page.post("/connections/policies/", form | {"policy": policy.pk, "max_sessions": 0})
    assert "max sessions must be between 1 and 1000" in refused.content.decode()
    page.post("/connections/policies/", form | {"policy": policy.pk, "max_sessions": 9})
    policy.refresh_from_db()
    assert policy.max_sessions == 9
    assert AuditEvent.objects.filter(action="policy.save").count() == 2


def test_connections_list_offers_add_only_to_managers(world, host_client):
    admin = host_client(world.users["admin"], "acme.localhost").get("/connections/")
    viewer = host_client(world.users["viewer"], "acme.localhost").get("/connections/")
    assert b'href="/connections/new/"' in admin.content
    assert b'href="/connections/new/"' not in viewer.content
