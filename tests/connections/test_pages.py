"""The connection list and detail pages show the server, its policy, status and last error,
and the learned databases with their profile hashes."""

from __future__ import annotations

from django.utils import timezone

from apps.connections import actions
from apps.connections.models import Connection, DatabaseSchema


def test_list_and_detail_show_what_was_learned(world, acme, owner, host_client):
    policy = actions.do_save_policy(acme, owner, "Production TLS", max_sessions=3)
    conn = actions.do_create_connection(
        acme,
        owner,
        "orders",
        "mariadb://app@db.example.com:3307/",
        password="pw-123",
        policy=policy,
    )
    Connection.objects.filter(pk=conn.pk).update(
        status=Connection.Status.FAILING,
        last_error="No answer from db.example.com:3307 within 10 s",
        last_learned_at=timezone.now(),
        server_fingerprint="f" * 64,
    )
    DatabaseSchema.objects.create(
        connection=conn, name="sales", profile_hash="sha256:" + "a" * 64, learned_at=timezone.now()
    )
    DatabaseSchema.objects.create(
        connection=conn, name="hr", status="failing", last_error="SELECT command denied"
    )
    page = host_client(world.users["viewer"], "acme.localhost")

    listing = page.get("/connections/").content.decode()
    for text in ("orders", "mysql", "db.example.com:3307", "Production TLS", "Failing"):
        assert text in listing
    assert "No answer from db.example.com:3307 within 10 s" in listing

    detail = page.get(f"/connections/{conn.pk}/").content.decode()
    for text in (
        "db.example.com:3307",
        "app",
        "kept in the secret store",
        "Production TLS",
        "at most 3 at once",
        "sales",
        "sha256:" + "a" * 64,
        "hr",
        "SELECT command denied",
        "f" * 64,
    ):
        assert text in detail, text
    assert "pw-123" not in detail


def test_a_file_connection_shows_its_path(world, acme, owner, host_client, sqlite_file):
    conn = actions.do_create_connection(acme, owner, "file", sqlite_file)
    detail = host_client(owner, "acme.localhost").get(f"/connections/{conn.pk}/").content.decode()
    assert sqlite_file.removeprefix("sqlite:///") in detail
    assert "Not learned yet" in detail


def test_a_connection_with_an_unreadable_url_still_renders(world, acme, owner, host_client):
    """Rows from before issue #6 may hold a URL the engine no longer reads."""
    conn = actions.do_create_connection(acme, owner, "odd", "sqlite:///odd.db")
    Connection.objects.filter(pk=conn.pk).update(url="nonsense://x", family="")
    page = host_client(owner, "acme.localhost")
    assert b"nonsense://x" in page.get("/connections/").content
    response = page.post(f"/connections/{conn.pk}/test/")
    assert b"The connection settings are not valid" in response.content


def test_learn_now_queues_the_learn_job_and_the_page_shows_its_result(
    world, acme, owner, host_client, sqlite_file, eager_celery, django_capture_on_commit_callbacks
):
    conn = actions.do_create_connection(acme, owner, "shop", sqlite_file)
    assert (
        host_client(world.users["analyst"], "acme.localhost")
        .post(f"/connections/{conn.pk}/learn/")
        .status_code
        == 403
    )
    assert not conn.databases.exists()
    page = host_client(owner, "acme.localhost")
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post(f"/connections/{conn.pk}/learn/")
    assert response["Location"].startswith("/jobs/")
    learned = conn.databases.get()
    assert learned.status == "ok" and learned.profile_hash.startswith("sha256:")
    html = page.get(response["Location"], follow=True).content.decode()
    assert "has started" in html
    detail = page.get(f"/connections/{conn.pk}/").content.decode()
    assert learned.profile_hash[:20] in detail
    assert page.get(f"/connections/{conn.pk}/learn/").status_code == 405
