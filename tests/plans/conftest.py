"""Fixtures for plan tests: real connections (the connection tests' fixtures), learned,
and a helper that creates a plan and runs its planning task the way a worker would."""

from __future__ import annotations

import pytest

from apps.connections import actions as connection_actions
from apps.connections.learning import learn_connection
from apps.connections.models import DatabaseSchema
from apps.plans import actions
from tests.connections.conftest import (  # noqa: F401  (fixtures)
    _file_databases_in_tmp,
    acme,
    mariadb_shop,
    owner,
    pg_shop,
    split_url,
    sqlite_file,
)


def learned(workspace, user, full_url: str, name: str = "shop") -> DatabaseSchema:
    """A connection to `full_url` (password into the secret store), learned; its database
    (the one the URL names; a SQLite file's only one)."""
    sqlite = full_url.startswith("sqlite:")
    url, password = (full_url, "") if sqlite else split_url(full_url)
    conn = connection_actions.do_create_connection(
        workspace, user, name, url, password=password or None
    )
    result = learn_connection(conn, user, None if sqlite else [full_url.rsplit("/", 1)[1]])
    assert result.ok, result
    return conn.databases.exclude(latest=None).get()


@pytest.fixture
def make_plan(eager_celery, django_capture_on_commit_callbacks):
    """Create a plan and run nublox.jobs.plan eagerly (on commit, as in production)."""

    def make(workspace, user, target: DatabaseSchema, **source):
        fields = {
            "connection": target.connection,
            "database": target.name,
            "title": source.pop("title", "Test plan"),
            "source_kind": source.pop("source_kind", "sql"),
            **source,
        }
        with django_capture_on_commit_callbacks(execute=True):
            plan = actions.do_create_plan(workspace, user, **fields)
        plan.refresh_from_db()
        return plan

    return make


@pytest.fixture
def run_queued(eager_celery, django_capture_on_commit_callbacks):
    """Call an action that queues a run, running the run's task eagerly on commit."""

    def call(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            result = fn(*args, **kwargs)
        return result

    return call
