"""Learning a connection stores exactly what engine.flo learns: the server's capabilities and
fingerprint, one DatabaseSchema per database with the engine's profile hash; failures become
statuses and messages; the Celery task runs the same code."""

from __future__ import annotations

import contextlib

import psycopg
import pytest

from apps.audit.models import AuditEvent
from apps.connections import actions
from apps.connections.learning import learn_connection
from apps.connections.models import Connection, DatabaseSchema
from apps.jobs.tasks import learn_connection_task
from engine import connect, ir
from engine.flo import learn_database, learn_server
from tests.connections.conftest import split_url


def engine_view(full_url: str, name: str):
    """What `sqlx learn` would find: (server fingerprint, capabilities JSON, profile hash)."""
    with connect(full_url) as session:
        server = learn_server(session)
        learned = learn_database(session, name, server_fingerprint=server.fingerprint)
    return server, learned


def create(acme, owner, full_url: str, name: str = "shop") -> Connection:
    url, password = split_url(full_url)
    return actions.do_create_connection(acme, owner, name, url, password=password)


@pytest.mark.parametrize("fixture", ["pg_shop", "mariadb_shop"])
def test_learn_a_real_database_matches_the_engine(request, world, acme, owner, fixture):
    full_url = request.getfixturevalue(fixture)
    name = full_url.rsplit("/", 1)[1]
    conn = create(acme, owner, full_url)
    result = learn_connection(conn, owner, databases=[name])
    assert result.ok and result.learned.keys() == {name}, result

    server, learned = engine_view(full_url, name)
    conn.refresh_from_db()
    assert conn.status == Connection.Status.OK and conn.last_error == ""
    assert conn.server_fingerprint == server.fingerprint
    assert conn.capability_json["fingerprint"] == server.fingerprint
    assert set(conn.capability_json["capabilities"]) == {c.name for c in server.capabilities}
    assert conn.last_learned_at is not None

    schema = DatabaseSchema.objects.get(connection=conn, name=name)
    assert schema.status == DatabaseSchema.Status.OK
    assert schema.profile_hash == learned.profile_hash
    assert ir.profile_hash(schema.snapshot()) == learned.profile_hash
    assert {t.name for t in schema.snapshot().tables} == {"customer", "orders"}

    event = AuditEvent.objects.filter(workspace=acme, action="learn").latest("seq")
    assert event.outcome == "ok" and event.details["databases"] == {name: learned.profile_hash}


def test_learn_sqlite_file_with_every_database(world, acme, owner, sqlite_file):
    conn = actions.do_create_connection(acme, owner, "file", sqlite_file)
    result = learn_connection(conn)
    assert result.ok
    with connect(sqlite_file) as session:
        expected = learn_database(session, "main").profile_hash
    assert conn.databases.get(name="main").profile_hash == expected


def test_relearning_updates_in_place(world, acme, owner, sqlite_file):
    conn = actions.do_create_connection(acme, owner, "file", sqlite_file)
    learn_connection(conn)
    first = conn.databases.get().profile_hash
    with connect(sqlite_file) as session:
        session.execute("CREATE TABLE extra (id INTEGER PRIMARY KEY)")
    learn_connection(conn)
    assert conn.databases.count() == 1
    assert conn.databases.get().profile_hash != first


def test_a_database_the_user_may_not_read_fails_alone(
    world, acme, owner, pg_scram_url, pg_shop, pg_locked_database
):
    readable = pg_shop.rsplit("/", 1)[1]
    with contextlib.closing(psycopg.connect(pg_shop, autocommit=True)) as admin:
        admin.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO scram_user")
    conn = create(acme, owner, pg_scram_url)
    result = learn_connection(conn, owner, databases=[pg_locked_database, readable])
    assert result.learned.keys() == {readable}
    assert pg_locked_database in result.failed
    conn.refresh_from_db()
    assert conn.status == Connection.Status.FAILING
    assert pg_locked_database in conn.last_error and "Traceback" not in conn.last_error
    locked = conn.databases.get(name=pg_locked_database)
    assert locked.status == DatabaseSchema.Status.FAILING and "permission" in locked.last_error
    assert conn.databases.get(name=readable).status == DatabaseSchema.Status.OK


def test_unknown_database_names_are_reported(world, acme, owner, sqlite_file):
    conn = actions.do_create_connection(acme, owner, "file", sqlite_file)
    result = learn_connection(conn, databases=["main", "nope"])
    assert result.learned.keys() == {"main"}
    conn.refresh_from_db()
    assert conn.status == Connection.Status.FAILING
    assert conn.last_error.startswith("No database nope on this server (it has: main")


def test_connection_that_cannot_open_is_failing_with_a_message(world, acme, owner, closed_port):
    conn = actions.do_create_connection(
        acme, owner, "gone", f"postgresql://u@127.0.0.1:{closed_port}/db", password="pw-x1"
    )
    result = learn_connection(conn, owner)
    assert not result.ok
    conn.refresh_from_db()
    assert conn.status == Connection.Status.FAILING
    assert conn.last_error.startswith(f"Nothing is listening on 127.0.0.1:{closed_port}.")
    assert AuditEvent.objects.filter(action="learn").latest("seq").outcome == "failed"


def test_policy_refusal_is_audited_as_refused(world, acme, owner):
    conn = actions.do_create_connection(
        acme, owner, "remote", "mysql://u@10.9.8.7/?sslmode=disable"
    )
    assert not learn_connection(conn, owner).ok
    assert AuditEvent.objects.filter(action="learn").latest("seq").outcome == "refused"


def test_celery_task_learns_by_ids(world, acme, owner, sqlite_file, eager_celery):
    conn = actions.do_create_connection(acme, owner, "file", sqlite_file)
    outcome = learn_connection_task.delay(conn.pk, owner.pk).get()
    assert outcome["ok"] and list(outcome["learned"]) == ["main"]
    event = AuditEvent.objects.filter(action="learn").latest("seq")
    assert event.actor_id == owner.pk
    assert learn_connection_task.name == "nublox.jobs.learn_connection"
