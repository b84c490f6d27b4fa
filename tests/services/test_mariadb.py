"""The throwaway MariaDB answers as the brief says: accounts per auth plugin, TLS, limits."""

from __future__ import annotations

import os
import shutil
import subprocess
from urllib.parse import urlsplit

import pymysql
import pytest

from tests._services import mariadb_connect


def _one(url: str, query: str, **kwargs):
    with mariadb_connect(url, **kwargs) as conn, conn.cursor() as cur:
        cur.execute(query)
        return cur.fetchone()


def _cli_login(url: str, password: str) -> subprocess.CompletedProcess:
    """Log in with the `mariadb` client, which has client_ed25519 (PyMySQL needs PyNaCl)."""
    parts = urlsplit(url)
    client = shutil.which("mariadb")
    assert client, "the mariadb client is missing: run scripts/install-deps --test"
    argv = [client, "--no-defaults", "--batch", "--skip-column-names", "--skip-ssl"]
    argv += [f"--host={parts.hostname}", f"--port={parts.port}", f"--user={parts.username}"]
    argv += ["--execute=SELECT current_user()"]
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=30, env={**os.environ, "MYSQL_PWD": password}
    )


def test_admin_is_a_mariadb_10_11_with_grant_option(mariadb_url):
    (version,) = _one(mariadb_url, "SELECT @@version")
    assert "10.11." in version and "MariaDB" in version
    with mariadb_connect(mariadb_url) as conn, conn.cursor() as cur:
        cur.execute("SHOW GRANTS")
        grants = " ".join(row[0] for row in cur.fetchall())
    assert "ALL PRIVILEGES ON *.*" in grants and "WITH GRANT OPTION" in grants


def test_root_url_logs_in_as_root(mariadb_url):
    root_url = os.environ["NUBLOX_TEST_MARIADB_ROOT_URL"]
    assert _one(root_url, "SELECT current_user()")[0] == "root@127.0.0.1"


@pytest.mark.parametrize(
    ("user", "plugin"),
    [("native_user", "mysql_native_password"), ("ed25519_user", "ed25519")],
)
def test_account_plugins(mariadb_url, user, plugin):
    assert _one(mariadb_url, f"SELECT plugin FROM mysql.user WHERE user = '{user}'") == (plugin,)
    stored = _one(
        mariadb_url,
        f"SELECT JSON_VALUE(Priv, '$.plugin') FROM mysql.global_priv WHERE User = '{user}'",
    )
    assert stored == (plugin,)


def test_native_user_logs_in(mariadb_native_url):
    assert _one(mariadb_native_url, "SELECT current_user()") == ("native_user@%",)


def test_ed25519_user_logs_in_and_a_wrong_password_is_refused(mariadb_ed25519_url):
    password = urlsplit(mariadb_ed25519_url).password
    good = _cli_login(mariadb_ed25519_url, password)
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == "ed25519_user@%"
    bad = _cli_login(mariadb_ed25519_url, password + "x")
    assert bad.returncode != 0 and "Access denied" in bad.stderr


def test_ssl_is_available_and_packets_are_large(mariadb_url):
    assert _one(mariadb_url, "SHOW VARIABLES LIKE 'have_ssl'") == ("have_ssl", "YES")
    assert int(_one(mariadb_url, "SELECT @@max_allowed_packet")[0]) >= 64 * 1024 * 1024


def test_tls_user_is_refused_without_tls(mariadb_tls_url):
    with pytest.raises(pymysql.err.OperationalError) as refused:
        _one(mariadb_tls_url, "SELECT 1", ssl_disabled=True)  # PyMySQL 2 prefers TLS
    assert refused.value.args[0] == 1045


def test_tls_user_is_accepted_over_verified_tls(mariadb_tls_url, test_ca_file):
    tls = {"ca": test_ca_file, "check_hostname": True}
    with mariadb_connect(mariadb_tls_url, ssl=tls) as conn, conn.cursor() as cur:
        cur.execute("SHOW SESSION STATUS LIKE 'Ssl_version'")
        assert cur.fetchone()[1].startswith("TLSv1.")
        cur.execute("SELECT current_user()")
        assert cur.fetchone() == ("tls_user@%",)


def test_unix_socket_accepts_connections(mariadb_url):
    parts = urlsplit(mariadb_url)
    conn = pymysql.connect(
        unix_socket=os.environ["NUBLOX_TEST_MARIADB_SOCKET"],
        user=parts.username,
        password=parts.password,
    )
    with conn, conn.cursor() as cur:
        cur.execute("SELECT current_user(), @@character_set_server")
        assert cur.fetchone() == ("nublox_admin@%", "utf8mb4")
