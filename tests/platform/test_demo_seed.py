"""The demo workspace: created once, never duplicated, with a real sample database."""

from __future__ import annotations

import sqlite3
from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command

from apps.connections.models import Connection
from apps.workspaces.models import Membership, Workspace


def test_seed_demo_is_idempotent(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=out)
    assert Workspace.objects.filter(slug="demo").count() == 1
    assert get_user_model().objects.filter(email=settings.DEMO_EMAIL).count() == 1
    assert Membership.objects.get(workspace__slug="demo").role == "owner"
    conn = Connection.objects.get(workspace__slug="demo")
    assert conn.url == f"sqlite:///{tmp_path / 'demo' / 'sample_store.sqlite3'}"
    assert settings.DEMO_PASSWORD in out.getvalue()
    with sqlite3.connect(tmp_path / "demo" / "sample_store.sqlite3") as db_:
        tables = {r[0] for r in db_.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"customers", "products", "orders", "order_items"} <= tables
        assert db_.execute("SELECT COUNT(*) FROM order_totals").fetchone()[0] == 3


def test_demo_user_can_sign_in_and_open_the_workspace(db, settings, tmp_path, client):
    settings.DATA_DIR = tmp_path
    call_command("seed_demo", stdout=StringIO())
    r = client.post(
        "/accounts/login/",
        {"login": settings.DEMO_EMAIL, "password": settings.DEMO_PASSWORD},
        HTTP_HOST="localhost",
    )
    assert r.status_code == 302
    page = client.get("/", HTTP_HOST="demo.localhost")
    assert page.status_code == 200 and b"Sample store (SQLite)" in page.content
