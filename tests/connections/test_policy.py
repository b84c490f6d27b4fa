"""Policy enforcement before connecting: which addresses are "this machine", what the engine
is told, what is refused outright, and the session limit across processes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.connections import actions
from apps.connections.addresses import describe_url
from apps.connections.diagnose import test_connection as run_test
from apps.connections.models import Connection, ConnectionPolicy, SessionLease
from apps.connections.policy import (
    PolicyViolation,
    check_file_allowed,
    open_session,
    session_options,
)
from engine.url import parse_url


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("postgresql://u@127.0.0.1:5432/db", True),
        ("postgresql://u@127.8.9.10/db", True),
        ("mysql://u@[::1]:3306/", True),
        ("mysql://u@localhost/", True),
        ("mysql://u@LOCALHOST/", True),
        ("postgresql://u@/db?host=/run/postgresql", True),
        ("mysql://u@/?unix_socket=/run/mysqld/mysqld.sock", True),
        ("sqlite:////var/data/app.db", True),
        ("postgresql://u@10.0.0.5/db", False),
        ("postgresql://u@192.168.1.20/db", False),
        ("mysql://u@[2001:db8::1]:3306/", False),
        ("postgresql://u@db.example.com/db", False),
        ("postgresql://u@localhost.example.com/db", False),
        ("postgresql://u@127.0.0.1.nip.io/db", False),
    ],
)
def test_address_classification(url, loopback):
    assert describe_url(url).is_loopback is loopback


def effective(conn):
    """The engine's config after the policy: what would actually be dialled."""
    return parse_url(conn.url, **session_options(conn))


def make(acme, owner, url, **policy_fields):
    policy = None
    if policy_fields:
        policy = actions.do_save_policy(acme, owner, f"p-{len(policy_fields)}", **policy_fields)
    return actions.do_create_connection(acme, owner, f"c-{url[:40]}", url, policy=policy)


def test_remote_servers_get_tls_at_least(world, acme, owner):
    conn = make(acme, owner, "postgresql://app@db.example.com:5432/app")
    cfg = effective(conn)
    assert cfg.sslmode == "require" and cfg.tls_required
    assert cfg.connect_timeout == 10 and cfg.read_timeout == 60


def test_loopback_may_stay_plaintext_when_the_policy_allows(world, acme, owner):
    conn = make(acme, owner, "postgresql://app@127.0.0.1:5432/app?sslmode=disable")
    assert effective(conn).sslmode == "disable"


def test_loopback_needs_tls_when_the_policy_says_so(world, acme, owner):
    conn = make(acme, owner, "postgresql://app@127.0.0.1:5432/app", allow_plaintext_loopback=False)
    assert effective(conn).sslmode == "require"


def test_remote_sslmode_disable_is_refused_before_connecting(world, acme, owner):
    conn = make(acme, owner, "mysql://app@10.1.2.3:3306/?sslmode=disable")
    with pytest.raises(
        PolicyViolation, match=r"sslmode=disable.*requires TLS for 10\.1\.2\.3:3306"
    ):
        session_options(conn)
    outcome = run_test(conn, owner)
    assert not outcome.ok and outcome.headline.startswith("Refused by the connection policy")


def test_policy_without_tls_requirement_leaves_remote_alone(world, acme, owner):
    conn = make(acme, owner, "postgresql://app@10.0.0.9/app", require_tls_remote=False)
    assert effective(conn).sslmode == "prefer"


def test_ca_file_and_pin_become_engine_options(world, acme, owner, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    pin = "AB:" * 31 + "AB"
    conn = make(
        acme,
        owner,
        "postgresql://app@db.example.com/app",
        ca_file=str(ca),
        pinned_sha256=pin,
        connect_timeout_s=3,
        statement_timeout_s=7,
    )
    cfg = effective(conn)
    assert cfg.sslmode == "verify-ca" and cfg.sslrootcert == str(ca)
    assert cfg.sslpin == "ab" * 32
    assert (cfg.connect_timeout, cfg.read_timeout) == (3.0, 7.0)
    stricter = make(acme, owner, "postgresql://app@db.example.com/app?sslmode=verify-full")
    stricter.policy = conn.policy
    assert effective(stricter).sslmode == "verify-full"


def test_a_missing_database_file_is_refused_not_created(world, acme, owner, tmp_path):
    missing = tmp_path / "nope.db"
    conn = make(acme, owner, f"sqlite:///{missing}")
    with pytest.raises(PolicyViolation, match="no database file"):
        session_options(conn)
    assert not missing.exists()


def test_a_file_outside_the_allowed_folders_is_refused(world, acme, owner, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "other.db"
    elsewhere.write_bytes(b"")
    conn = make(acme, owner, f"sqlite:///{elsewhere}")
    with pytest.raises(PolicyViolation, match="outside the folders") as refused:
        session_options(conn)
    assert "NUBLOX_FILE_DATABASE_DIRS" in str(refused.value)
    outcome = run_test(conn, owner)
    assert not outcome.ok and "outside the folders" in f"{outcome.headline} {outcome.detail}"


def test_a_link_inside_an_allowed_folder_cannot_point_outside(
    world, acme, owner, tmp_path, tmp_path_factory
):
    target = tmp_path_factory.mktemp("secret-place") / "private.db"
    target.write_bytes(b"")
    link = tmp_path / "innocent.db"
    link.symlink_to(target)
    with pytest.raises(PolicyViolation, match="outside the folders"):
        session_options(make(acme, owner, f"sqlite:///{link}"))


def test_the_platform_database_is_never_a_connection(settings, monkeypatch, tmp_path):
    """Even when its folder is allowed (the test database itself lives in memory, so a
    file stands in for the embedded default's nublox.sqlite3)."""
    platform_db = tmp_path / "nublox.sqlite3"
    platform_db.write_bytes(b"")
    monkeypatch.setitem(settings.DATABASES["default"], "NAME", str(platform_db))
    with pytest.raises(PolicyViolation, match="outside the folders"):
        check_file_allowed(str(platform_db))
    (tmp_path / "fine.db").write_bytes(b"")
    check_file_allowed(str(tmp_path / "fine.db"))


def test_tls_required_but_declined_sends_no_credentials(world, acme, owner, tls_decliner):
    """Loopback here, but the policy requires TLS even there: the server says 'N' to TLS, and
    the engine stops before a startup message (user name) or password is sent."""
    url = f"postgresql://leaky_user@127.0.0.1:{tls_decliner.port}/app"
    policy = actions.do_save_policy(acme, owner, "strict", allow_plaintext_loopback=False)
    conn = actions.do_create_connection(
        acme, owner, "declined", url, password="s3cret-Pw-123", policy=policy
    )
    outcome = run_test(conn, owner)
    assert not outcome.ok
    assert outcome.headline == (
        f"TLS is required by the policy, but 127.0.0.1:{tls_decliner.port} does not offer it"
    )
    assert len(tls_decliner.received) == 8  # the SSLRequest, nothing else
    assert b"leaky_user" not in tls_decliner.received
    assert b"s3cret-Pw-123" not in tls_decliner.received


# --- max sessions ------------------------------------------------------------------------


def test_max_sessions_refuses_one_more(world, acme, owner, sqlite_file):
    policy = actions.do_save_policy(acme, owner, "one at a time", max_sessions=1)
    conn = actions.do_create_connection(acme, owner, "shop", sqlite_file, policy=policy)
    with open_session(conn, owner) as first:
        first.ping()
        assert SessionLease.objects.filter(connection=conn).count() == 1
        limit = r"1 sessions already open .*\(policy limit 1\)"
        with pytest.raises(PolicyViolation, match=limit), open_session(conn, owner):
            pass
    assert SessionLease.objects.filter(connection=conn).count() == 0
    with open_session(conn, owner) as again:
        again.ping()


def test_leases_of_dead_holders_expire(world, acme, owner, sqlite_file):
    policy = actions.do_save_policy(acme, owner, "two", max_sessions=2)
    conn = actions.do_create_connection(acme, owner, "shop", sqlite_file, policy=policy)
    past = timezone.now() - timedelta(seconds=1)
    SessionLease.objects.create(connection=conn, holder="gone:1", expires_at=past)
    SessionLease.objects.create(connection=conn, holder="gone:2", expires_at=past)
    with open_session(conn, owner) as s:
        s.ping()
    assert not SessionLease.objects.filter(holder__startswith="gone:").exists()


def test_lease_is_released_when_the_connect_fails(world, acme, owner, closed_port):
    conn = make(acme, owner, f"postgresql://u@127.0.0.1:{closed_port}/db")
    assert not run_test(conn, owner).ok
    assert not SessionLease.objects.filter(connection=conn).exists()


def test_default_policy_is_made_on_demand_once(world, acme):
    first = ConnectionPolicy.objects.default_for(acme)
    assert ConnectionPolicy.objects.default_for(acme) == first
    assert ConnectionPolicy.objects.filter(workspace=acme).count() == 1
    plain = Connection.objects.create(workspace=acme, name="raw", url="sqlite:///x.db")
    assert plain.policy == first and plain.family == "sqlite"
    assert world.globex.connections.get().policy.workspace == world.globex
