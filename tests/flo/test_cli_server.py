"""`sqlx capabilities` end to end, and what every connecting command shares: exit 3 with a
clear one-line message for a wrong password, a closed port or a silent listener (the connect
timeout), passwords masked everywhere, SQLX_PASSWORD and -W as password sources."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys

import pytest

from engine import cli
from engine.cli_output import Progress, cell, table
from engine.flo import LearnedServer
from tests.engine.sessionchecks import password_of, with_password

CONNECTING = ["ping", "learn", "capabilities", "snapshot:pull"]


def without_password(url: str) -> str:
    return url.replace(f":{password_of(url)}@", "@", 1)


def test_capabilities_table_postgresql(pg_scram_url, capsys):
    assert cli.main(["capabilities", pg_scram_url]) == 0
    out = capsys.readouterr().out
    assert password_of(pg_scram_url) not in out and ":****@" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert lines["flavour"].split()[1] == "postgresql"
    assert lines["transactional_ddl"].split()[1] == "yes"
    assert lines["window_functions"].split()[1] == "yes"
    assert "to_regclass" in lines["transactional_ddl"]  # the evidence column
    assert lines["auth_methods_offered"].split()[1] == "?"  # undecided for this user
    assert "42501" in lines["auth_methods_offered"]


def test_capabilities_table_mariadb(mariadb_url, capsys):
    assert cli.main(["capabilities", mariadb_url]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert lines["flavour"].split()[1] == "mariadb"
    assert lines["transactional_ddl"].split()[1] == "no"
    assert "fact:" in lines["transactional_ddl"]
    assert password_of(mariadb_url) not in out


def test_capabilities_json(mariadb_url, capsys):
    assert cli.main(["capabilities", mariadb_url, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["flavour"] == "mariadb"
    assert doc["capabilities"]["transactional_ddl"]["supported"] is False
    assert doc["capabilities"]["window_functions"]["evidence"]["answer"] == 2
    server = LearnedServer.from_json(doc)
    assert server.supports("returning")


def test_capabilities_sqlite(tmp_path, capsys):
    assert cli.main(["capabilities", f"sqlite:///{tmp_path}/x.db", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["capabilities"]["transactional_ddl"]["supported"] is True
    assert doc["endpoint"] == str((tmp_path / "x.db").resolve())


@pytest.mark.parametrize("command", CONNECTING)
def test_wrong_password_exit_3_masked(command, pg_scram_url, capsys):
    wrong = "not-the-password-at-all"
    assert cli.main([command, with_password(pg_scram_url, wrong)]) == 3
    captured = capsys.readouterr()
    err = captured.err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "AuthError" in err and "password authentication failed" in err
    assert wrong not in err + captured.out and "****" in err


@pytest.mark.parametrize("command", CONNECTING)
def test_closed_port_exit_3(command, capsys):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    assert cli.main([command, f"mysql://u:pw-secret-9@127.0.0.1:{port}/db"]) == 3
    err = capsys.readouterr().err
    assert "ConnectError" in err and "pw-secret-9" not in err and err.count("\n") == 1


@pytest.fixture
def silent_listener():
    """A loopback socket that accepts TCP connections (the kernel's backlog) but never says
    a word: the handshake can only end by the connect timeout."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


@pytest.mark.parametrize("scheme", ["postgresql", "mysql"])
def test_silent_server_times_out_exit_3(scheme, silent_listener, capsys):
    url = f"{scheme}://u:pw-secret-8@127.0.0.1:{silent_listener}/db"
    assert cli.main(["capabilities", url, "--connect-timeout", "1"]) == 3
    err = capsys.readouterr().err
    assert "TimeoutError" in err and "pw-secret-8" not in err and err.count("\n") == 1


def test_connect_timeout_must_be_positive(capsys):
    assert cli.main(["ping", "sqlite:///:memory:", "--connect-timeout", "0"]) == 2
    assert "--connect-timeout" in capsys.readouterr().err


def test_password_from_environment(pg_scram_url, monkeypatch, capsys):
    monkeypatch.setenv("SQLX_PASSWORD", password_of(pg_scram_url))
    assert cli.main(["ping", without_password(pg_scram_url)]) == 0
    assert "version 15." in capsys.readouterr().out


def test_password_prompt_on_a_terminal(pg_scram_url, monkeypatch, capsys):
    monkeypatch.delenv("SQLX_PASSWORD", raising=False)
    asked = []

    def fake_getpass(prompt: str) -> str:
        asked.append(prompt)
        return password_of(pg_scram_url)

    monkeypatch.setattr(cli.getpass, "getpass", fake_getpass)
    monkeypatch.setattr(sys, "stdin", type("Tty", (io.StringIO,), {"isatty": lambda s: True})())
    assert cli.main(["ping", without_password(pg_scram_url), "-W"]) == 0
    assert asked == ["Password for scram_user: "]
    assert password_of(pg_scram_url) not in capsys.readouterr().out
    asked.clear()
    assert cli.main(["ping", pg_scram_url, "-W"]) == 0  # the URL has one: no prompt
    assert asked == []


def test_password_prompt_needs_a_terminal(pg_scram_url, monkeypatch, capsys):
    monkeypatch.delenv("SQLX_PASSWORD", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert cli.main(["ping", without_password(pg_scram_url), "-W"]) == 2
    assert "needs a terminal" in capsys.readouterr().err


@pytest.mark.parametrize("command", [*CONNECTING, "plan:diff", "apply", "rollback"])
def test_each_subcommand_help_has_examples(command, capsys):
    assert cli.main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "examples:" in out and f"sqlx {command} " in out


def test_an_unexpected_error_is_one_masked_line(monkeypatch, capsys):
    def broken(args):
        raise RuntimeError(f"boom in {args.url}")

    monkeypatch.setitem(cli.COMMANDS, "capabilities", broken)
    assert cli.main(["capabilities", "postgresql://u:hush-7@127.0.0.1/db"]) == 4
    err = capsys.readouterr().err
    assert "internal error" in err and "hush-7" not in err and err.count("\n") == 1


def test_capabilities_as_a_program(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "engine.cli", "capabilities", f"sqlite:///{tmp_path}/p.db"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # not a terminal: no progress bar, nothing on stderr
    assert "transactional_ddl" in proc.stdout


# --- output helpers ---------------------------------------------------------------------


def test_table_and_cells():
    text = table(["name", "value"], [("a", True), ("bb", None), ("c", ["x", "y"])])
    lines = text.splitlines()
    assert lines[0].split() == ["name", "value"] and set(lines[1]) <= {"-", " "}
    assert lines[2].split() == ["a", "yes"] and lines[3].split() == ["bb", "?"]
    assert lines[4].split() == ["c", "x,", "y"]
    assert cell("z" * 500).endswith("...") and len(cell("z" * 500)) == 72
    assert cell("two\nlines") == "two lines"


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal():
    tty = FakeTty()
    with Progress(2, "learning", tty) as bar:
        bar.advance("a")
        bar.advance("b")
    assert "2/2" in tty.getvalue() and "#" in tty.getvalue()
    pipe = io.StringIO()
    with Progress(2, "learning", pipe) as bar:
        bar.advance("a")
    assert pipe.getvalue() == ""
    single = FakeTty()
    with Progress(1, "learning", single) as bar:
        bar.advance("a")
    assert single.getvalue() == ""  # one database: no bar
