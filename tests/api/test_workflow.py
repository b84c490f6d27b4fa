"""The scripted workflow through the API alone, against a real PostgreSQL server: a token,
then connect (password to the secret store) → test → learn → capabilities and databases.

Celery runs eagerly (tests/conftest.py `eager_celery`): a started run's task executes when
the request's transaction commits, so the poll below normally sees a finished run at once;
it still polls like a script would.
Extend `test_the_whole_workflow` (plan from desired SQL, approve, apply) with `Api`.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import psycopg
import pytest

from apps.audit.models import AuditEvent
from tests.connections.conftest import split_url

POLLS = 50
TABLES = """
CREATE TABLE customer (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customer(id));
"""


class Api:
    """What a script does: JSON in and out with a Bearer token; every call checks its status.
    Writes run their on-commit hooks (so an eager task runs as it would after the commit)."""

    def __init__(self, client, capture):
        self.client, self.capture = client, capture

    def get(self, path: str, status: int = 200) -> dict:
        response = self.client.get(path)
        assert response.status_code == status, (path, response.content)
        return response.json()

    def send(self, method: str, path: str, body=None, status: int = 200):
        with self.capture(execute=True):
            response = getattr(self.client, method)(
                path,
                data=json.dumps(body) if body is not None else "",
                content_type="application/json",
            )
        assert response.status_code == status, (method, path, response.content)
        return response

    def post(self, path: str, body=None, status: int = 200) -> dict:
        return self.send("post", path, body, status).json()

    def start(self, path: str, body=None) -> dict:
        """POST something that answers 202 with a run; poll the run until it is closed."""
        response = self.send("post", path, body, 202)
        assert response["Location"] == response.json()["url"]
        return self.wait(response["Location"])

    def wait(self, run_url: str) -> dict:
        for _ in range(POLLS):
            run = self.get(run_url)
            if run["state"] not in ("queued", "running"):
                return run
        raise AssertionError(f"{run_url} still {run['state']} after {POLLS} polls")


@pytest.fixture
def api(world, api_client, eager_celery, django_capture_on_commit_callbacks) -> Api:
    return Api(api_client(world.users["admin"]), django_capture_on_commit_callbacks)


@pytest.fixture
def pg_shop(fresh_pg_database) -> str:
    with psycopg.connect(fresh_pg_database, autocommit=True) as conn:
        conn.execute(TABLES)
    return fresh_pg_database


def test_the_whole_workflow(world, api, pg_shop):
    url, password = split_url(pg_shop)
    database = urlsplit(pg_shop).path.lstrip("/")

    connection = api.post(
        "/api/v1/connections",
        {"name": "shop", "url": url, "password": password},
        status=201,
    )
    assert connection["has_password"] is True and connection["family"] == "postgres"
    path = f"/api/v1/connections/{connection['id']}"

    tested = api.start(f"{path}/test")
    assert tested["state"] == "succeeded", tested
    assert tested["result"]["headline"].startswith("Connected to 127.0.0.1:")

    learned = api.start(f"{path}/learn", {"databases": [database]})
    assert learned["state"] == "succeeded", learned
    assert list(learned["result"]["learned"]) == [database]
    logs = api.get(f"/api/v1/runs/{learned['id']}/logs")
    assert any(database in line["line"] for line in logs["items"])

    assert api.get(path)["status"] == "ok"
    capabilities = api.get(f"{path}/capabilities")
    assert capabilities["server"]["flavour"] or capabilities["server"]["version"]
    assert any(f["label"] == "Version" for f in capabilities["facts"])
    assert sum(len(s["entries"]) for s in capabilities["sections"]) > 5

    (schema,) = api.get(f"{path}/databases")["items"]
    assert schema["name"] == database and schema["status"] == "ok"
    assert schema["profile_hash"] == learned["result"]["learned"][database]

    # what was audited, and that the password went nowhere but the secret store
    actions = set(
        AuditEvent.objects.filter(workspace_id=world.acme.pk).values_list("action", flat=True)
    )
    assert {"connection.create", "connection.test", "learn", "run.start"} <= actions
    details = json.dumps(list(AuditEvent.objects.values_list("details", flat=True)))
    runs = api.get("/api/v1/runs?limit=200")
    assert {r["kind"] for r in runs["items"]} >= {"test_connection", "learn"}
    assert password not in details + json.dumps(runs) + json.dumps(logs)
