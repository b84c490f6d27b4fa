"""Settings read from the environment fail loudly on typos and bad values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _setup(tmp_path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("NUBLOX_", "DATABASE_"))}
    clean.update(NUBLOX_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="nublox.settings", **env)
    code = "import django; django.setup(); from django.conf import settings; print(settings.BASE_DOMAIN, settings.DATABASES['default']['ENGINE'], settings.SESSION_COOKIE_DOMAIN)"  # noqa: E501
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_embedded_defaults(tmp_path):
    out = _setup(tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["localhost", "django.db.backends.sqlite3", "None"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_production_values(tmp_path):
    out = _setup(
        tmp_path,
        NUBLOX_BASE_DOMAIN="nublox.example",
        DATABASE_URL="postgresql://u:p@db.internal:5432/nublox",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [
        "nublox.example",
        "django.db.backends.postgresql",
        ".nublox.example",
    ]


def test_a_misspelt_variable_stops_start_up(tmp_path):
    out = _setup(tmp_path, NUBLOX_BASE_DOMIAN="acme.example")
    assert out.returncode != 0
    assert "NUBLOX_BASE_DOMIAN (did you mean NUBLOX_BASE_DOMAIN?)" in out.stderr


def test_bad_values_name_the_variable(tmp_path):
    out = _setup(tmp_path, DEBUG="maybe")
    assert "DEBUG='maybe': expected true/false" in out.stderr
    out = _setup(tmp_path, DATABASE_URL="oracle://x/y")
    assert "DATABASE_URL scheme 'oracle' is not supported" in out.stderr
    out = _setup(tmp_path, NUBLOX_EMAIL="pigeon")
    assert "NUBLOX_EMAIL='pigeon': expected one of file, console, smtp" in out.stderr


def test_secret_key_from_a_mounted_file(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("from-a-file-0123456789\n")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NUBLOX_")}
    clean.update(NUBLOX_DATA_DIR=str(tmp_path), SECRET_KEY_FILE=str(key_file),
                 DJANGO_SETTINGS_MODULE="nublox.settings")  # fmt: skip
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"  # noqa: E501
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean,
                         capture_output=True, text=True)  # fmt: skip
    assert out.stdout.strip() == "from-a-file-0123456789"


def test_the_embedded_database_runs_in_wal_mode(tmp_path):
    """The web server, the worker and a long audit export share the file: readers must not
    block the writer."""
    code = (
        "import django; django.setup(); from django.db import connection; "
        "print(connection.cursor().execute('PRAGMA journal_mode').fetchone()[0])"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("NUBLOX_", "DATABASE_"))}
    clean.update(NUBLOX_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="nublox.settings")
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "wal"
