"""URL parsing and masking: a table of good and bad URLs.

Most cases run against a small registry written here (so defaults are proven to come from
data: the fake `widget` family's port 7777 exists nowhere in code); the last ones check the
shipped registry.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import errors, url
from engine.secret import Secret

REGISTRY = {
    "schemes": {
        "widget": {"pack": "widget.wire.json"},
        "gadget": {"pack": "widget.wire.json", "session": {"default_port": 8888}},
        "filedb": {"inprocess": "x", "pack": "filedb.json"},
    }
}
WIDGET = {
    "session": {
        "default_port": 7777,
        "unix_socket_name": ".s.WIDGET.{port}",
        "query_keys": ["compress"],
    }
}
FILEDB = {"session": {"url_path": "file"}}


@pytest.fixture
def registry(tmp_path, monkeypatch):
    (tmp_path / "registry.json").write_text(json.dumps(REGISTRY))
    (tmp_path / "widget.wire.json").write_text(json.dumps(WIDGET))
    (tmp_path / "filedb.json").write_text(json.dumps(FILEDB))
    monkeypatch.setattr(url, "_registry_root", lambda: tmp_path)
    monkeypatch.delenv("SQLX_PASSWORD", raising=False)
    return tmp_path


GOOD = [
    (
        "widget://alice:s3cret@db.example:1234/app",
        dict(host="db.example", port=1234, user="alice", database="app", password="s3cret"),
    ),
    ("widget://db.example/app", dict(port=7777, user=None, password=None)),
    ("gadget://h/", dict(port=8888, database=None)),
    ("WIDGET://h", dict(scheme="widget", host="h", port=7777)),
    (
        "widget://us%40er:p%3Ass%2Fw%40rd@h/d%20b",
        dict(user="us@er", password="p:ss/w@rd", database="d b"),
    ),
    ("widget://u:p@[::1]:5433/db", dict(host="::1", port=5433)),
    ("widget://u@[fe80::1]/db", dict(host="fe80::1", port=7777)),
    (
        "widget://u@h/db?sslmode=verify-full&sslrootcert=/ca.pem&connect_timeout=3"
        "&application_name=studio&channel_binding=require",
        dict(
            sslmode="verify-full",
            sslrootcert="/ca.pem",
            connect_timeout=3.0,
            application_name="studio",
            channel_binding="require",
        ),
    ),
    ("widget://u@h/db?ssl-mode=REQUIRED&ssl-ca=/ca.pem", dict(sslmode="require")),
    ("widget://u@h/db?ssl_mode=VERIFY_IDENTITY", dict(sslmode="verify-full")),
    ("widget://u@h/db?sslmode=verify_ca&ssl_ca=/c.pem", dict(sslmode="verify-ca")),
    ("widget://u@/db?host=/run/widget", dict(path="/run/widget", host=None)),
    ("widget://u@h/db?unix_socket=/tmp/w.sock", dict(path="/tmp/w.sock")),
    ("widget://u@h/db?read_timeout=2.5", dict(read_timeout=2.5)),
    ("widget://u@h/db?allow_cleartext=true", dict(allow_cleartext=True)),
    ("widget://u@h/db?compress=zstd", dict(options={"compress": "zstd"})),
    ("widget://u@h/db?password=fromquery", dict(password="fromquery")),
    ("widget://", dict(host="localhost", port=7777)),
    ("filedb:///relative/dir/app.db", dict(path="relative/dir/app.db", host=None, port=None)),
    ("filedb:////abs/app.db", dict(path="/abs/app.db")),
    ("filedb:///:memory:", dict(path=":memory:")),
    ("filedb:///my%20file.db", dict(path="my file.db")),
]


@pytest.mark.parametrize(("text", "expected"), GOOD)
def test_good_urls(registry, text, expected):
    cfg = url.parse_url(text)
    for key, value in expected.items():
        got = getattr(cfg, key)
        if key == "password":
            got = got.reveal()
        assert got == value, key


BAD = [
    ("not a url", "scheme://"),
    ("nosuch://h/db", "unknown URL scheme 'nosuch'"),
    ("widget://h/db?colour=blue", "unknown URL option 'colour'"),
    ("widget://h:notaport/db", "malformed URL"),
    ("widget://h:99999/db", "malformed URL"),
    ("widget://h/db?sslmode=sometimes", "sslmode must be one of"),
    ("widget://h/db?connect_timeout=soon", "connect_timeout"),
    ("widget://h/db?connect_timeout=-1", "positive"),
    ("widget://h/db?channel_binding=maybe", "channel_binding"),
    ("widget://h/db?allow_cleartext=perhaps", "allow_cleartext"),
    ("filedb://host/app.db", "name a file"),
    ("filedb:///", "no file path"),
]


@pytest.mark.parametrize(("text", "fragment"), BAD)
def test_bad_urls(registry, text, fragment):
    with pytest.raises(errors.ConfigError) as info:
        url.parse_url(text)
    assert fragment in str(info.value)


def test_bad_url_error_never_shows_password(registry):
    with pytest.raises(errors.ConfigError) as info:
        url.parse_url("widget://u:hunter2-secret@h:xx/db")
    assert "hunter2" not in str(info.value)


def test_overrides_win_and_unknown_override_refused(registry):
    cfg = url.parse_url("widget://u@h/db?sslmode=disable", sslmode="require", connect_timeout=1)
    assert cfg.sslmode == "require" and cfg.connect_timeout == 1
    with pytest.raises(errors.ConfigError) as info:
        url.parse_url("widget://u@h/db", colour="blue")
    assert "colour" in str(info.value)


def test_password_sources_in_order(registry, monkeypatch):
    monkeypatch.setenv("SQLX_PASSWORD", "from-env")
    assert url.parse_url("widget://u:from-url@h/db", password="x").password.reveal() == "from-url"
    assert url.parse_url("widget://u@h/db", password="from-arg").password.reveal() == "from-arg"
    assert url.parse_url("widget://u@h/db", password=Secret("s")).password.reveal() == "s"
    assert url.parse_url("widget://u@h/db").password.reveal() == "from-env"
    monkeypatch.delenv("SQLX_PASSWORD")
    assert not url.parse_url("widget://u@h/db").password


def test_password_is_a_secret_not_in_repr(registry):
    cfg = url.parse_url("widget://u:topsecret-value@h/db")
    assert isinstance(cfg.password, Secret)
    assert "topsecret" not in repr(cfg)


def test_socket_path_from_directory_uses_pack_template(registry, tmp_path):
    cfg = url.parse_url(f"widget://u@/db?host={tmp_path}")
    session = url.scheme_session("widget")
    assert url.socket_path(cfg, session) == str(tmp_path / ".s.WIDGET.7777")
    sock_file = tmp_path / "x.sock"
    sock_file.write_text("")
    cfg = url.parse_url(f"widget://u@h/db?unix_socket={sock_file}")
    assert url.socket_path(cfg, session) == str(sock_file)
    assert url.socket_path(url.parse_url("widget://u@h/db"), session) is None


MASK = [
    ("widget://u:pw@h/db", "widget://u:****@h/db"),
    ("widget://u:p%40w@h:1/db?sslmode=require", "widget://u:****@h:1/db?sslmode=require"),
    ("widget://u:pa/ss@h/db", "widget://u:****@h/db"),
    ("widget://u@h/db", "widget://u@h/db"),
    ("widget://h/db?password=abc&x=1", "widget://h/db?password=****&x=1"),
    ("widget://u:pw@[::1]:5/db", "widget://u:****@[::1]:5/db"),
    ("filedb:///x.db", "filedb:///x.db"),
    ("garbage", "garbage"),
]


@pytest.mark.parametrize(("text", "masked"), MASK)
def test_mask_url(text, masked):
    assert url.mask_url(text) == masked


def test_mask_url_never_raises_on_non_strings():
    assert url.mask_url(None) == "<not a URL>"  # type: ignore[arg-type]


# --- the shipped registry (transports/registry.json and the packs it names) -------------


@pytest.mark.parametrize(
    ("text", "port"),
    [
        ("postgresql://u@db/app", "postgres.wire.json"),
        ("postgres://u@db/app", "postgres.wire.json"),
        ("mysql://u@db/app", "mysql.wire.json"),
        ("mariadb://u@db/app", "mysql.wire.json"),
    ],
)
def test_shipped_registry_default_ports_come_from_packs(text, port, monkeypatch):
    monkeypatch.delenv("SQLX_PASSWORD", raising=False)
    pack = json.loads((Path(url.__file__).parents[1] / "transports" / port).read_text())
    cfg = url.parse_url(text)
    assert cfg.port == pack["session"]["default_port"]
    assert cfg.host == "db" and cfg.database == "app"


def test_shipped_registry_sqlite_urls_name_files():
    assert url.parse_url("sqlite:///data/app.db").path == "data/app.db"
    assert url.parse_url("sqlite:////var/lib/app.db").path == "/var/lib/app.db"
    assert url.parse_url("sqlite:///:memory:").path == ":memory:"
    with pytest.raises(errors.ConfigError):
        url.parse_url("sqlite://host/app.db")
