"""`sqlx` (engine/cli.py): subcommands, `ping` for real, exit codes, one-line failures with
the password masked and never a traceback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from engine import cli, errors
from tests.engine.sessionchecks import password_of, with_password

SUBCOMMANDS = ["ping", "learn", "capabilities", "snapshot:pull", "plan:diff", "apply", "rollback"]


def test_help_lists_every_subcommand_with_examples(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in SUBCOMMANDS:
        assert name in out
        assert f"sqlx {name} " in out  # an example for each
    assert "exit codes" in out


def test_usage_errors_exit_2(capsys):
    assert cli.main([]) == 2
    assert cli.main(["no-such-command"]) == 2
    assert cli.main(["ping"]) == 2
    assert "usage" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["plan:diff", "--from", "a.json", "--to", "b.sql"],
        ["apply", "sqlite:///x.db", "--plan", "p.json", "--dry-run"],
        ["rollback", "sqlite:///x.db", "--plan", "p.json"],
    ],
)
def test_planner_commands_name_a_missing_file(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "no such file" in err and "Traceback" not in err


def test_ping_postgresql(pg_scram_url, capsys):
    assert cli.main(["ping", pg_scram_url]) == 0
    out = capsys.readouterr().out
    assert "version 15." in out
    assert "auth    SCRAM-SHA-256" in out
    assert password_of(pg_scram_url) not in out and "****" in out


def test_ping_mariadb_json_with_tls(mariadb_url, test_ca_file, capsys):
    url = f"{mariadb_url}?sslmode=verify-full&sslrootcert={test_ca_file}"
    assert cli.main(["ping", url, "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert "MariaDB" in facts["version"]
    assert facts["tls_verified"] is True and facts["tls"].startswith("TLS")
    assert facts["auth"] == "mysql_native_password"


def test_ping_sqlite(tmp_path, capsys):
    assert cli.main(["ping", f"sqlite:///{tmp_path}/x.db"]) == 0
    assert "tls     none" in capsys.readouterr().out


def test_ping_wrong_password_exit_3_masked(pg_scram_url, capsys):
    wrong = "not-the-password-at-all"
    assert cli.main(["ping", with_password(pg_scram_url, wrong)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "AuthError" in err and wrong not in err and "****" in err


def test_ping_refused_exit_3(capsys):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    assert cli.main(["ping", f"postgresql://u:pw-secret-1@127.0.0.1:{port}/db"]) == 3
    err = capsys.readouterr().err
    assert "ConnectError" in err and "pw-secret-1" not in err


def test_ping_bad_url_exit_2(capsys):
    assert cli.main(["ping", "nosuch://u:pw@h/db"]) == 2
    assert "unknown URL scheme" in capsys.readouterr().err


def test_server_error_exit_4_and_interrupt_130(monkeypatch, capsys):
    def server_error(args):
        raise errors.ServerError("relation does not exist", sqlstate="42P01")

    monkeypatch.setitem(cli.COMMANDS, "ping", server_error)
    assert cli.main(["ping", "sqlite:///:memory:"]) == 4
    assert "42P01" in capsys.readouterr().err

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setitem(cli.COMMANDS, "ping", interrupted)
    assert cli.main(["ping", "sqlite:///:memory:"]) == 130


def test_runs_as_a_program():
    proc = subprocess.run(
        [sys.executable, "-m", "engine.cli", "ping", "sqlite:///:memory:"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok ")
