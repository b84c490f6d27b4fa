"""Writes to connections and policies: the password goes to the secret store and nowhere
else, refusals say what to do, and every change is audited."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditEvent
from apps.connections import actions
from apps.connections.models import Connection, ConnectionPolicy, DatabaseSchema
from apps.secrets import store
from apps.secrets.models import LocalSecret, SecretRef
from apps.workspaces.actions import ActionRefused


def events(workspace, action):
    return list(AuditEvent.objects.filter(workspace=workspace, action=action).order_by("seq"))


def row_text(obj) -> str:
    return " ".join(str(getattr(obj, f.attname)) for f in obj._meta.concrete_fields)


def test_create_with_password_keeps_it_in_the_store_only(world, acme, owner, canary):
    conn = actions.do_create_connection(
        acme, owner, "orders", "postgresql://app@db.example.com:6432/orders", password=canary
    )
    conn.refresh_from_db()
    assert (conn.family, conn.host, conn.port, conn.username) == (
        "postgres",
        "db.example.com",
        6432,
        "app",
    )
    assert conn.policy == ConnectionPolicy.objects.default_for(acme)
    assert store.reveal(conn.secret) == canary
    assert conn.secret.workspace == acme
    assert canary not in row_text(conn)
    [event] = events(acme, "connection.create")
    assert event.target_id == str(conn.pk) and event.actor_id == owner.pk
    assert event.details["password_stored"] is True
    assert canary not in str(event.details)


@pytest.mark.parametrize(
    ("url", "family"),
    [
        ("mariadb://app@db:3306/", "mysql"),
        ("mysql://app@db/", "mysql"),
        ("postgres://app@db/x", "postgres"),
        ("sqlite:///rel.db", "sqlite"),
    ],
)
def test_family_comes_from_the_engine_registry(world, acme, owner, url, family):
    assert actions.do_create_connection(acme, owner, "c", url).family == family


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://app:hunter2-pw@db/x", "not in the URL"),
        ("postgresql://app@db/x?password=hunter2-pw", "not in the URL"),
        ("oracle://app@db/x", "unknown URL scheme"),
        ("postgresql://app@db/x?colour=blue", "unknown URL option"),
        ("not a url", "cannot be used"),
    ],
)
def test_bad_urls_are_refused_and_nothing_is_stored(world, acme, owner, url, says):
    before = Connection.objects.count(), SecretRef.objects.count()
    with pytest.raises(ActionRefused, match=says) as info:
        actions.do_create_connection(acme, owner, "bad", url, password="pw-123456")
    assert "hunter2-pw" not in str(info.value)
    assert (Connection.objects.count(), SecretRef.objects.count()) == before


def test_duplicate_names_are_refused_without_orphan_secrets(world, acme, owner):
    actions.do_create_connection(acme, owner, "dup", "mysql://a@h/", password="one-111")
    refs = SecretRef.objects.count()
    with pytest.raises(ActionRefused, match="already exists"):
        actions.do_create_connection(acme, owner, "dup", "mysql://b@h/", password="two-222")
    assert SecretRef.objects.count() == refs


def test_other_workspaces_policy_or_project_is_refused(world, acme, owner):
    theirs = ConnectionPolicy.objects.default_for(world.globex)
    with pytest.raises(ActionRefused, match="another workspace"):
        actions.do_create_connection(acme, owner, "x", "mysql://a@h/", policy=theirs)
    with pytest.raises(ActionRefused, match="another workspace"):
        actions.do_create_connection(
            acme, owner, "x", "mysql://a@h/", project=world.globex.projects.get()
        )


def test_update_replaces_the_secret_in_place(world, acme, owner):
    conn = actions.do_create_connection(acme, owner, "c", "mysql://a@h/", password="old-pw-1")
    ref_id = conn.secret_id
    actions.do_update_connection(conn, owner, password="new-pw-2", url="mysql://b@h2:3307/")
    conn.refresh_from_db()
    assert conn.secret_id == ref_id and store.reveal(conn.secret) == "new-pw-2"
    assert (conn.host, conn.port, conn.username) == ("h2", 3307, "b")
    [event] = events(acme, "connection.update")
    assert event.details["changed"] == ["url", "password"]
    assert "new-pw-2" not in str(event.details)


def test_update_adds_or_clears_a_password(world, acme, owner):
    conn = actions.do_create_connection(acme, owner, "c", "mysql://a@h/")
    assert conn.secret is None
    actions.do_update_connection(conn, owner, password="first-pw-1")
    ref = SecretRef.objects.get(pk=conn.secret_id)
    actions.do_update_connection(conn, owner, clear_password=True)
    conn.refresh_from_db()
    assert conn.secret is None
    assert not SecretRef.objects.filter(pk=ref.pk).exists()
    assert not LocalSecret.objects.filter(ref_id=ref.pk).exists()


def test_update_refuses_a_password_in_the_new_url(world, acme, owner):
    conn = actions.do_create_connection(acme, owner, "c", "mysql://a@h/")
    with pytest.raises(ActionRefused, match="not in the URL"):
        actions.do_update_connection(conn, owner, url="mysql://a:pw-in-url@h/")
    conn.refresh_from_db()
    assert conn.url == "mysql://a@h/"


def test_delete_removes_connection_databases_and_secret(world, acme, owner):
    conn = actions.do_create_connection(acme, owner, "c", "mysql://a@h/", password="pw-7777")
    DatabaseSchema.objects.create(connection=conn, name="app", profile_hash="sha256:x")
    ref_id = conn.secret_id
    actions.do_delete_connection(conn, owner)
    assert not Connection.objects.filter(name="c", workspace=acme).exists()
    assert not DatabaseSchema.objects.filter(name="app").exists()
    assert not SecretRef.objects.filter(pk=ref_id).exists()
    assert not LocalSecret.objects.filter(ref_id=ref_id).exists()
    [event] = events(acme, "connection.delete")
    assert event.details == {"url": "mysql://a@h/", "databases": 1}


def test_register_connection_still_works_for_old_callers(world, acme, owner):
    conn = actions.do_register_connection(acme, owner, "file", "sqlite:///data/app.db")
    assert conn.family == "sqlite" and conn.secret is None and conn.address == "data/app.db"


# --- policies ---------------------------------------------------------------------------


def test_save_policy_creates_updates_and_audits(world, acme, owner, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    policy = actions.do_save_policy(
        acme, owner, "prod", ca_file=str(ca), pinned_sha256="AB:" * 31 + "ab", max_sessions=2
    )
    assert policy.pinned_sha256 == "ab" * 32 and policy.require_tls_remote
    actions.do_save_policy(acme, owner, "prod-eu", policy=policy, max_sessions=3)
    policy.refresh_from_db()
    assert (policy.name, policy.max_sessions) == ("prod-eu", 3)
    saved = events(acme, "policy.save")
    assert [e.details["max_sessions"] for e in saved] == [2, 3]


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"pinned_sha256": "abc"}, "64 hex digits"),
        ({"ca_file": "/no/such/ca.pem"}, "no CA file"),
        ({"max_sessions": 0}, "between 1 and"),
        ({"connect_timeout_s": 100000}, "between 1 and"),
        ({"colour": "blue"}, "Unknown policy setting"),
    ],
)
def test_bad_policies_are_refused(world, acme, owner, fields, says):
    with pytest.raises(ActionRefused, match=says):
        actions.do_save_policy(acme, owner, "bad", **fields)
    assert not ConnectionPolicy.objects.filter(name="bad").exists()


def test_policy_names_are_unique_per_workspace(world, acme, owner):
    actions.do_save_policy(acme, owner, "same")
    with pytest.raises(ActionRefused, match="already exists"):
        actions.do_save_policy(acme, owner, "same")
    actions.do_save_policy(world.globex, world.users["outsider"], "same")
