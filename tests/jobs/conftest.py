"""Fixtures of the jobs tests: inline Celery, a small SQLite database to learn, and the
platform as separate processes (tests/jobs/_stack.py), embedded or on production parts."""

from __future__ import annotations

import contextlib
import random
import sqlite3
from urllib.parse import urlsplit

import pytest

from tests.jobs import _stack


@pytest.fixture
def shop_url(settings, tmp_path) -> str:
    """A SQLite file the connection policy lets connections open."""
    settings.FILE_DATABASE_DIRS = [*settings.FILE_DATABASE_DIRS, tmp_path.resolve()]
    path = tmp_path / "shop.db"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executescript("CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT NOT NULL);")
        db.commit()
    return f"sqlite:///{path}"


@pytest.fixture
def embedded(tmp_path):
    """The embedded default: SQLite, file broker, database channel layer, worker, daphne."""
    yield from _stack.site(tmp_path)


@pytest.fixture
def production(tmp_path, fresh_pg_database, redis_url):
    """PostgreSQL platform database, Redis broker and channel layer, worker, daphne."""
    # A Redis database of its own: no other test's worker takes these tasks or events.
    own = urlsplit(redis_url)._replace(path=f"/{random.randint(1, 15)}").geturl()
    import redis

    redis.Redis.from_url(own).flushdb()
    yield from _stack.site(tmp_path, DATABASE_URL=fresh_pg_database, REDIS_URL=own)
