"""scripts/api_workflow.py end to end: the documented CI workflow (connect → learn → plan
from desired SQL → apply → poll) through the API alone, against the platform running as
separate processes (daphne and a Celery worker, the README's embedded default)."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys

from tests.jobs._stack import ROOT, script
from tests.jobs.conftest import embedded  # noqa: F401  (fixture)

TOKEN = """
from apps.api.actions import do_create_api_token
from apps.workspaces.models import Workspace
ws = Workspace.objects.get(slug="acme")
print("OUT " + json.dumps(do_create_api_token(ws, ws.created_by, "ci", None)[1]))
"""


def workflow(site, *args: str, token: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "NUBLOX_TOKEN": token}
    api = f"http://acme.localhost:{site.port}/api/v1"
    return subprocess.run(
        [sys.executable, "scripts/api_workflow.py", "--api", api, *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_the_documented_workflow_applies_a_change(embedded, tmp_path):  # noqa: F811
    databases = tmp_path / "databases"  # inside the data folder: connections may open it
    databases.mkdir(exist_ok=True)
    path = databases / "app.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT NOT NULL)")
    desired = tmp_path / "desired.sql"
    desired.write_text(
        "CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT NOT NULL, nickname TEXT);\n"
    )
    token = script(embedded.env, TOKEN)

    done = workflow(
        embedded, "--url", f"sqlite:///{path}", "--name", "app", "--desired", str(desired),
        token=token,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "op-001 add_column" in done.stdout and "is applied" in done.stdout
    with sqlite3.connect(path) as db:
        assert "nickname" in {row[1] for row in db.execute("PRAGMA table_info(customer)")}

    connection = re.search(r"connection #(\d+)", done.stdout).group(1)
    again = workflow(
        embedded, "--connection-id", connection, "--desired", str(desired), token=token
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing to do" in again.stdout

    refused = workflow(
        embedded, "--connection-id", connection, "--desired", str(desired), token="nbx_x"
    )
    assert refused.returncode == 3 and "token was refused" in refused.stderr
    missing = workflow(
        embedded, "--connection-id", connection, "--desired", "nope.sql", token=token
    )
    assert missing.returncode == 2 and "cannot read nope.sql" in missing.stderr
