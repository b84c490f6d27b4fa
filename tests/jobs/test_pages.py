"""The jobs pages: the list, a run's page (stored progress, log, result) and the partial."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.jobs.actions import do_start_run
from apps.jobs.models import Run


@pytest.fixture
def run(world):
    run = do_start_run(
        world.acme, world.users["owner"], "learn",
        target=world.acme.connections.get(), task="nublox.jobs.learn",
    )  # fmt: skip
    now = timezone.now()
    Run.objects.filter(pk=run.pk).update(
        state="running", step="Learning main", percent=40, started_at=now, heartbeat_at=now
    )
    run.logs.create(seq=1, at=now, line="learned customers")
    return run


def test_a_page_reloaded_mid_run_shows_the_stored_progress_and_log(world, run, host_client):
    html = host_client(world.users["viewer"], "acme.localhost").get(f"/jobs/{run.pk}/")
    text = html.content.decode()
    assert html.status_code == 200
    assert 'value="40"' in text and "Learning main" in text and "learned customers" in text
    assert f'data-ws-path="/ws/runs/{run.pk}/"' in text and "js/runs.js" in text
    assert 'http-equiv="refresh"' in text  # works without JavaScript while it runs


def test_a_finished_run_shows_its_result_and_stops_refreshing(world, run, host_client):
    Run.objects.filter(pk=run.pk).update(state="succeeded", percent=100, result={"tables": 12})
    text = host_client(world.users["viewer"], "acme.localhost").get(f"/jobs/{run.pk}/")
    text = text.content.decode()
    assert "Succeeded" in text and "&#x27;tables&#x27;: 12" in text
    assert 'http-equiv="refresh"' not in text


def test_the_partial_alone_for_htmx(world, run, host_client):
    page = host_client(world.users["viewer"], "acme.localhost")
    fragment = page.get(f"/jobs/{run.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith("<div") or "<html" not in fragment
    assert 'value="40"' in fragment and "<html" not in fragment
    assert page.get(f"/jobs/{run.pk}/?fragment=progress").content.decode() == fragment


def test_the_list_shows_recent_runs_paginated(world, run, host_client):
    for _ in range(26):
        do_start_run(world.acme, None, "sleep", task="nublox.jobs.sleep")
    do_start_run(world.globex, None, "secret-globex-kind", task="nublox.jobs.sleep")
    page = host_client(world.users["viewer"], "acme.localhost")
    first = page.get("/jobs/").content.decode()
    total = Run.objects.filter(workspace=world.acme).count()  # 27 and the fixture's own
    assert "Page 1 of 2" in first and f"{total} jobs" in first and "Sleep #" in first
    assert "Secret-globex-kind" not in first
    second = page.get("/jobs/?page=2").content.decode()
    assert f'href="/jobs/{run.pk}/"' in second


def test_viewing_reaps_a_run_whose_worker_stopped(world, run, host_client):
    Run.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=2))
    text = host_client(world.users["viewer"], "acme.localhost").get("/jobs/").content.decode()
    assert "Failed" in text
    run.refresh_from_db()
    assert run.error == "the worker stopped while running this job (last step: Learning main)"


def test_another_workspaces_run_is_404(world, host_client):
    theirs = do_start_run(world.globex, None, "sleep", task="nublox.jobs.sleep")
    owner = host_client(world.users["owner"], "acme.localhost")
    assert owner.get(f"/jobs/{theirs.pk}/").status_code == 404
    assert host_client(world.users["owner"], "globex.localhost").get("/jobs/").status_code == 404


def test_learn_now_starts_a_run_and_shows_its_page(
    world, host_client, shop_url, eager_celery, django_capture_on_commit_callbacks
):
    from apps.connections.actions import do_create_connection

    conn = do_create_connection(world.acme, world.users["owner"], "shop", shop_url)
    analyst = host_client(world.users["analyst"], "acme.localhost")
    assert analyst.post(f"/connections/{conn.pk}/learn/").status_code == 403
    page = host_client(world.users["owner"], "acme.localhost")
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post(f"/connections/{conn.pk}/learn/")
    run = Run.objects.get(kind="learn", target_id=str(conn.pk))
    assert response["Location"] == f"/jobs/{run.pk}/"
    assert run.state == "succeeded" and run.result["learned"]["main"].startswith("sha256:")
    assert run.logs.get(seq=1).line.startswith("learned main (profile sha256:")
    text = page.get(response["Location"]).content.decode()
    assert "Succeeded" in text and "has started" in text
    assert conn.databases.get().profile_hash[:20] in text


def test_learn_only_the_databases_chosen(
    world, host_client, shop_url, eager_celery, django_capture_on_commit_callbacks
):
    from apps.connections.actions import do_create_connection

    conn = do_create_connection(world.acme, world.users["owner"], "shop", shop_url)
    page = host_client(world.users["owner"], "acme.localhost")
    with django_capture_on_commit_callbacks(execute=True):
        page.post(f"/connections/{conn.pk}/learn/", {"databases": ["main"], "more": " nope, "})
    run = Run.objects.get(kind="learn", target_id=str(conn.pk))
    assert run.params == {"databases": ["main", "nope"]}
    assert run.state == "failed" and "No database nope on this server" in run.error
    assert list(run.result["learned"]) == ["main"]  # the others are still learned
    assert page.post(f"/connections/{conn.pk}/learn/", {"more": "x" * 300}).status_code == 302
    assert Run.objects.filter(kind="learn").count() == 1  # a bad name queues nothing


def test_test_connection_job_fails_with_the_reason(
    world, host_client, eager_celery, django_capture_on_commit_callbacks, tmp_path, settings
):
    from apps.connections.actions import do_create_connection

    settings.FILE_DATABASE_DIRS = [*settings.FILE_DATABASE_DIRS, tmp_path.resolve()]
    conn = do_create_connection(
        world.acme, world.users["owner"], "gone", f"sqlite:///{tmp_path / 'missing' / 'x.db'}"
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = do_start_run(
            world.acme, world.users["owner"], "test_connection", target=conn,
            task="nublox.jobs.test_connection",
        )  # fmt: skip
    run.refresh_from_db()
    assert run.state == "failed" and run.error and run.result["ok"] is False
