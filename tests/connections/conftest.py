"""Fixtures for connection tests: a local secret store under tmp_path, the acme workspace,
real server URLs split into (URL without password, password), and loopback stand-ins for
the failures a real server cannot be asked to produce (nothing listening, never answers).
"""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import threading
import uuid
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from tests._services import mariadb_connect


def split_url(url: str) -> tuple[str, str]:
    """(the URL without its password, the password): how the Studio takes them apart."""
    parts = urlsplit(url)
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return urlunsplit(parts._replace(netloc=netloc)), unquote(parts.password or "")


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@pytest.fixture
def acme(world):
    return world.acme


@pytest.fixture
def owner(world):
    return world.users["owner"]


@pytest.fixture(autouse=True)
def _file_databases_in_tmp(settings, tmp_path):
    """Connections in these tests may open SQLite files in the test's own folder."""
    settings.FILE_DATABASE_DIRS = [*settings.FILE_DATABASE_DIRS, tmp_path.resolve()]


@pytest.fixture
def sqlite_file(tmp_path):
    """A small SQLite database file; returns its sqlite:// URL (four slashes: absolute)."""
    path = tmp_path / "shop.db"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executescript(
            "CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);"
            "CREATE TABLE orders (id INTEGER PRIMARY KEY,"
            " customer_id INTEGER REFERENCES customer(id), total REAL);"
        )
        db.commit()
    return f"sqlite:///{path}"


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SilentServer:
    """Accepts connections and never says a word (or only `first_reply`, once, to the
    client's first message); keeps everything the client sent."""

    def __init__(self, first_reply: bytes = b"") -> None:
        self.first_reply = first_reply
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.received = bytearray()
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.listener.accept()
                self._conns.append(conn)
                threading.Thread(target=self._listen, args=(conn,), daemon=True).start()

    def _listen(self, conn: socket.socket) -> None:
        replied = not self.first_reply
        with contextlib.suppress(OSError):
            while chunk := conn.recv(65536):
                self.received += chunk
                if not replied:
                    conn.sendall(self.first_reply)
                    replied = True

    def close(self) -> None:
        self.listener.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.close()


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.close()


@pytest.fixture
def tls_decliner():
    """Answers a PostgreSQL SSLRequest with 'N' (no TLS here), then listens."""
    server = SilentServer(first_reply=b"N")
    yield server
    server.close()


@pytest.fixture
def canary() -> str:
    """A password nobody could mistake for anything else."""
    return f"Canary-{uuid.uuid4().hex}-pw"


@pytest.fixture
def pg_locked_database(pg_url):
    """A database scram_user may not connect to (CONNECT revoked from PUBLIC)."""
    name = f"nublox_locked_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        conn.execute(
            sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(sql.Identifier(name))
        )
    yield name
    with psycopg.connect(pg_url, autocommit=True) as conn:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        conn.execute(drop)


PG_TABLES = """
CREATE TABLE customer (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customer(id),
                     total numeric(10,2) NOT NULL DEFAULT 0);
CREATE INDEX orders_customer ON orders (customer_id);
"""
MARIADB_TABLES = [
    "CREATE TABLE customer (id BIGINT PRIMARY KEY, email VARCHAR(200) NOT NULL UNIQUE)",
    "CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id BIGINT, total DECIMAL(10,2),"
    " KEY orders_customer (customer_id), FOREIGN KEY (customer_id) REFERENCES customer(id))",
]


@pytest.fixture
def pg_shop(fresh_pg_database):
    """A fresh PostgreSQL database with two tables; its admin URL."""
    with psycopg.connect(fresh_pg_database, autocommit=True) as conn:
        conn.execute(PG_TABLES)
    return fresh_pg_database


@pytest.fixture
def mariadb_shop(fresh_mariadb_database):
    """A fresh MariaDB database with two tables; its admin URL."""
    with mariadb_connect(fresh_mariadb_database) as conn, conn.cursor() as cur:
        for statement in MARIADB_TABLES:
            cur.execute(statement)
    return fresh_mariadb_database
