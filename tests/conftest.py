"""Shared fixtures: the throwaway servers (tests/_services.py) and the workspace personas.

Every platform test gets two workspaces: `acme`, with one member of each role plus a
`target` member to act upon, and `globex`, owned by an outsider (healthchecks' hc/test.py
is the model: an owner, teammates and a stranger in every test).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

pytest_plugins = ["tests._services"]

PASSWORD = "correct-horse-battery-staple"
ROLES = ("owner", "admin", "developer", "analyst", "viewer")


@dataclass
class World:
    acme: object
    globex: object
    users: dict = field(default_factory=dict)  # role name -> user in acme; "outsider" in globex
    members: dict = field(default_factory=dict)  # role name -> Membership in acme
    objects: dict = field(default_factory=dict)  # url kwarg -> {"acme": pk, "globex": pk}


def make_user(email: str):
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=email, email=email, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs ~0.5 s per user on this machine; tests need none of that."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _keys_in_tmp(settings, tmp_path_factory):
    """Key files made on first use (secret store, license issuer, audit signing) go to a
    folder of this test session, not into the checkout's var/."""
    keys = tmp_path_factory.getbasetemp() / "keys"
    keys.mkdir(exist_ok=True, mode=0o700)
    settings.SECRETS_MASTER_KEY_PATH = keys / "master.key"
    settings.LICENSE_ISSUER_KEY_PATH = keys / "license-issuer.pem"
    settings.AUDIT_SIGNING_KEY_PATH = keys / "audit-signing.pem"


@pytest.fixture(autouse=True)
def _local_secret_store(settings, tmp_path):
    """Secrets go to the embedded local store under a master key of this test's own (no
    Vault unless a test points VAULT_ADDR at one), so no test reads another's secrets."""
    from apps.secrets import backends

    store = tmp_path / "secret-store"  # not "keys": tests of other key files own that one
    store.mkdir(exist_ok=True)
    settings.SECRETS_MASTER_KEY = None
    settings.SECRETS_MASTER_KEY_PATH = store / "master.key"
    settings.VAULT_ADDR = None
    backends.REGISTRY["vault"].reset()
    yield
    backends.REGISTRY["vault"].reset()


@pytest.fixture
def eager_celery():
    """Celery tasks run inline when sent (task logic only; tests/jobs and tests/e2e run a
    real worker)."""
    from nublox.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture
def world(db) -> World:
    from apps.connections.models import Connection
    from apps.jobs.models import Run
    from apps.workspaces import actions
    from apps.workspaces.models import Membership
    from tests.plans.factories import stored_plan

    owner = make_user("owner@acme.test")
    acme = actions.do_create_workspace(owner, "Acme", "acme")
    outsider = make_user("owner@globex.test")
    globex = actions.do_create_workspace(outsider, "Globex", "globex")
    w = World(acme=acme, globex=globex)
    w.users["owner"] = owner
    w.users["outsider"] = outsider
    w.members["owner"] = Membership.objects.get(workspace=acme, user=owner)
    for role in (*ROLES[1:], "target"):
        user = make_user(f"{role}@acme.test")
        w.users[role] = user
        w.members[role] = Membership.objects.create(
            workspace=acme, user=user, role="viewer" if role == "target" else role
        )
    actions.do_invite(acme, owner, "someone@acme.test", "developer")
    actions.do_invite(globex, outsider, "someone@globex.test", "developer")
    for ws in (acme, globex):
        Connection.objects.create(
            workspace=ws, name="main", url="sqlite:///tmp/x.db", project=ws.projects.first()
        )
    globex_owner = Membership.objects.get(workspace=globex, user=outsider)
    snapshot_ids = {  # a schema of no database (as a plan's desired side is)
        slug: ws.snapshots.create(origin="plan", profile_hash="sha256:x", profile_json="{}").pk
        for slug, ws in (("acme", acme), ("globex", globex))
    }
    w.objects = {
        "member_id": {"acme": w.members["target"].pk, "globex": globex_owner.pk},
        "invitation_id": {
            "acme": acme.invitations.get().pk,
            "globex": globex.invitations.get().pk,
        },
        "project_id": {"acme": acme.projects.get().pk, "globex": globex.projects.get().pk},
        "connection_id": {
            "acme": acme.connections.get().pk,
            "globex": globex.connections.get().pk,
        },
        "plan_id": {"acme": stored_plan(acme).pk, "globex": stored_plan(globex).pk},
        "snapshot_id": snapshot_ids,
        "run_id": {
            slug: Run.objects.create(workspace=ws, kind="sleep").pk
            for slug, ws in (("acme", acme), ("globex", globex))
        },
    }
    return w


@pytest.fixture
def host_client(client):
    """A test client for a given user on a given host (apex or `<slug>.localhost`)."""
    from django.test import Client

    def make(user=None, host: str = "localhost") -> Client:
        c = Client(HTTP_HOST=host)
        if user is not None:
            c.force_login(user)
        return c

    return make
