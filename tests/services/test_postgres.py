"""The throwaway PostgreSQL answers as the brief says: roles, auth methods, TLS, settings."""

from __future__ import annotations

import os
import socket
import struct
from urllib.parse import urlsplit

import psycopg
import pytest


def _with_params(url: str, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{url}?{query}"


def _auth_request(url: str) -> tuple[int, bytes]:
    """Send a bare StartupMessage and return the server's Authentication code and payload.

    This asks the server itself which method it demands (5 = MD5, 10 = SASL), instead of
    trusting a client library that would just negotiate whatever is offered.
    """
    parts = urlsplit(url)
    body = struct.pack("!i", 196608)  # protocol 3.0
    body += f"user\0{parts.username}\0database\0postgres\0\0".encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(struct.pack("!i", len(body) + 4) + body)
        head = sock.recv(5, socket.MSG_WAITALL)
        assert head[:1] == b"R", f"expected an Authentication message, got {head!r}"
        (length,) = struct.unpack("!i", head[1:])
        payload = sock.recv(length - 4, socket.MSG_WAITALL)
    return struct.unpack("!i", payload[:4])[0], payload[4:]


def _scalar(url: str, query: str):
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchone()[0]


def test_admin_is_a_postgres_15_superuser(pg_url):
    with psycopg.connect(pg_url) as conn:
        user, superuser = conn.execute(
            "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert (user, superuser) == ("nublox_admin", True)
        assert conn.info.server_version // 10000 == 15


def test_md5_user_password_is_stored_as_md5(pg_url):
    stored = _scalar(pg_url, "SELECT rolpassword FROM pg_authid WHERE rolname = 'md5_user'")
    assert stored.startswith("md5") and len(stored) == 35


def test_md5_user_is_challenged_with_md5_and_logs_in(pg_md5_url):
    code, salt = _auth_request(pg_md5_url)
    assert code == 5 and len(salt) == 4
    assert _scalar(_with_params(pg_md5_url, sslmode="disable"), "SELECT current_user") == (
        "md5_user"
    )


def test_scram_user_is_challenged_with_scram_and_logs_in(pg_url, pg_scram_url):
    code, mechanisms = _auth_request(pg_scram_url)
    assert code == 10 and b"SCRAM-SHA-256\0" in mechanisms
    stored = _scalar(pg_url, "SELECT rolpassword FROM pg_authid WHERE rolname = 'scram_user'")
    assert stored.startswith("SCRAM-SHA-256$")
    assert _scalar(pg_scram_url, "SELECT current_user") == "scram_user"


def test_default_password_encryption_is_scram(pg_url):
    assert _scalar(pg_url, "SHOW password_encryption") == "scram-sha-256"


def test_tls_only_is_refused_without_tls(pg_tls_only_url):
    with pytest.raises(psycopg.OperationalError, match="no encryption"):
        psycopg.connect(_with_params(pg_tls_only_url, sslmode="disable")).close()


def test_tls_only_is_accepted_with_verify_full(pg_tls_only_url, test_ca_file):
    url = _with_params(pg_tls_only_url, sslmode="verify-full", sslrootcert=test_ca_file)
    with psycopg.connect(url) as conn:
        ssl, version = conn.execute(
            "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        ).fetchone()
        assert ssl is True and version.startswith("TLSv1.")
        assert conn.execute("SELECT current_user").fetchone()[0] == "tls_only"


def test_server_certificate_is_refused_without_the_test_ca(pg_scram_url, tmp_path):
    empty_ca = tmp_path / "other-ca.pem"
    empty_ca.write_text("")
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(
            _with_params(pg_scram_url, sslmode="verify-full", sslrootcert=str(empty_ca))
        ).close()


def test_settings_requested_by_the_harness(pg_url):
    with psycopg.connect(pg_url) as conn:
        settings = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('max_connections', 'fsync', 'ssl', 'listen_addresses', "
                "'shared_preload_libraries')"
            ).fetchall()
        )
    assert settings == {
        "max_connections": "200",
        "fsync": "off",
        "ssl": "on",
        "listen_addresses": "127.0.0.1",
        "shared_preload_libraries": "",
    }


def test_unix_socket_accepts_local_connections(pg_url):
    socket_dir = os.environ["NUBLOX_TEST_PG_SOCKET_DIR"]
    port = urlsplit(pg_url).port
    assert os.path.exists(os.path.join(socket_dir, f".s.PGSQL.{port}"))
    with psycopg.connect(host=socket_dir, port=port, user="md5_user", dbname="postgres") as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == "md5_user"
