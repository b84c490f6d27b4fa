"""/api/v1/connections: CRUD with a write-only password, test and learn as runs, the
capability matrix and the learned databases, for each role."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import uuid

import pytest

from apps.audit.models import AuditEvent
from apps.connections.models import Connection, ConnectionPolicy, DatabaseSchema
from apps.jobs.models import Run
from apps.secrets import store
from apps.secrets.models import SecretRef
from tests.api.conftest import operation_ids

MANAGERS = ("owner", "admin")
NOT_MANAGERS = ("developer", "analyst", "viewer")
ROLES = MANAGERS + NOT_MANAGERS
BASE = "/api/v1/connections"


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path):
    """Connections in these tests may open SQLite files in the test's own folder (secrets
    go to a local store of the test's own: tests/conftest.py)."""
    settings.FILE_DATABASE_DIRS = [*settings.FILE_DATABASE_DIRS, tmp_path.resolve()]


@pytest.fixture
def shop_url(tmp_path) -> str:
    path = tmp_path / "shop.db"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executescript(
            "CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);"
        )
        db.commit()
    return f"sqlite:///{path}"


@pytest.fixture
def canary() -> str:
    return f"Canary-{uuid.uuid4().hex}-pw"


@pytest.fixture
def client_for(world, api_client):
    return lambda role: api_client(world.users[role])


def post(client, path: str, body=None):
    data = json.dumps(body) if body is not None else ""
    return client.post(path, data=data, content_type="application/json")


def patch(client, path: str, body):
    return client.patch(path, data=json.dumps(body), content_type="application/json")


def error(response) -> dict:
    return response.json()["error"]


def acme_connection(world) -> Connection:
    return Connection.objects.get(pk=world.objects["connection_id"]["acme"])


# --- read ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_member_lists_and_reads_connections(world, client_for, role):
    client = client_for(role)
    listed = client.get(f"{BASE}")
    assert listed.status_code == 200
    assert [c["name"] for c in listed.json()["items"]] == ["main"]
    one = client.get(f"{BASE}/{world.objects['connection_id']['acme']}")
    assert one.status_code == 200
    assert one.json()["url"] == "sqlite:///tmp/x.db"
    assert one.json()["has_password"] is False
    assert "password" not in one.json() and "secret" not in one.json()


def test_list_filters_by_project_status_and_family(world, client_for):
    acme = world.acme
    project = acme.projects.get()
    Connection.objects.create(
        workspace=acme, name="pg", url="postgresql://app@db.example:5432/app", status="ok"
    )
    client = client_for("viewer")

    def names(query: str) -> list[str]:
        response = client.get(f"{BASE}?{query}")
        assert response.status_code == 200, response.content
        return sorted(c["name"] for c in response.json()["items"])

    assert names("") == ["main", "pg"]
    assert names(f"project={project.pk}") == ["main"]
    assert names("status=ok") == ["pg"]
    assert names("status=new") == ["main"]
    assert names("family=postgres") == ["pg"]
    assert names("family=sqlite") == ["main"]
    bad = client.get(f"{BASE}?status=sideways")
    assert bad.status_code == 400
    assert error(bad)["field"] == "status"


def test_list_pages_with_a_cursor(world, client_for):
    for n in range(3):
        Connection.objects.create(workspace=world.acme, name=f"c{n}", url="sqlite:///tmp/y.db")
    client = client_for("viewer")
    seen, url = [], f"{BASE}?limit=2"
    while url:
        page = client.get(url).json()
        assert len(page["items"]) <= 2
        seen += [c["name"] for c in page["items"]]
        url = f"{BASE}?limit=2&cursor={page['next']}" if page["next"] else None
    assert sorted(seen) == ["c0", "c1", "c2", "main"]
    assert len(seen) == 4


def test_policies_of_the_workspace_only(world, client_for):
    ConnectionPolicy.objects.create(workspace=world.acme, name="Strict", max_sessions=1)
    ConnectionPolicy.objects.create(workspace=world.globex, name="Globex only")
    response = client_for("viewer").get(f"{BASE}/policies")
    assert response.status_code == 200
    names = {p["name"]: p for p in response.json()}
    assert set(names) == {"Default", "Strict"}
    assert names["Strict"]["max_sessions"] == 1
    assert names["Default"]["require_tls_remote"] is True


# --- create -----------------------------------------------------------------------------------


def test_create_stores_the_password_in_the_secret_store_and_never_returns_it(
    world, client_for, canary
):
    project = world.acme.projects.get()
    body = {
        "name": "orders",
        "url": "postgresql://app@db.example:5432/orders",
        "password": canary,
        "project_id": project.pk,
    }
    response = post(client_for("admin"), f"{BASE}", body)
    assert response.status_code == 201, response.content
    out = response.json()
    assert canary not in response.content.decode()
    assert out["has_password"] is True
    assert out["family"] == "postgres" and out["host"] == "db.example" and out["port"] == 5432
    assert out["project_id"] == project.pk
    assert out["status"] == "new"
    connection = Connection.objects.get(pk=out["id"], workspace=world.acme)
    assert connection.policy.name == "Default" and out["policy_id"] == connection.policy_id
    assert store.reveal(connection.secret) == canary
    assert canary not in json.dumps(connection.capability_json) + connection.url
    event = AuditEvent.objects.get(workspace_id=world.acme.pk, action="connection.create")
    assert event.details["password_stored"] is True
    assert canary not in json.dumps(event.details)
    # and it reads back the same way, without the password
    again = client_for("viewer").get(f"{BASE}/{out['id']}")
    assert again.json() == out


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_roles_that_cannot_manage_connections_cannot_create(world, client_for, role, canary):
    body = {"name": "x", "url": "sqlite:///tmp/x.db", "password": canary}
    response = post(client_for(role), f"{BASE}", body)
    assert response.status_code == 403
    assert error(response)["code"] == "forbidden"
    assert not Connection.objects.filter(name="x").exists()
    assert not SecretRef.objects.exists()


FILE = "sqlite:///tmp/x.db"
PW = "{pw}"


@pytest.mark.parametrize(
    "body, code, field",
    [
        ({"name": "x", "url": f"postgresql://app:{PW}@db.example/app"}, "refused", None),
        ({"name": "x", "url": f"postgresql://app@db.example/app?password={PW}"}, "refused", None),
        ({"name": "x", "url": "nope://what", "password": PW}, "refused", None),
        ({"name": "", "url": FILE, "password": PW}, "invalid", "name"),
        ({"name": "x" * 101, "url": FILE, "password": PW}, "invalid", "name"),
        ({"name": "x", "url": FILE, "pasword": PW}, "invalid", "pasword"),
        ({"name": "x", "url": FILE, "password": 12}, "invalid", "password"),
        ({"name": "x", "url": FILE, "policy_id": 0}, "invalid", "policy_id"),
        ({"name": "x", "url": FILE, "project_id": 0}, "invalid", "project_id"),
        ({"url": FILE, "password": PW}, "invalid", "name"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_never_echoes_the_password(
    world, client_for, canary, body, code, field
):
    body = {k: v.replace(PW, canary) if isinstance(v, str) else v for k, v in body.items()}
    response = post(client_for("owner"), f"{BASE}", body)
    assert response.status_code == 400, response.content
    assert error(response)["code"] == code
    assert error(response)["field"] == field
    assert canary not in response.content.decode()
    assert Connection.objects.filter(workspace=world.acme).count() == 1
    assert not SecretRef.objects.exists()


def test_a_taken_name_is_a_conflict(world, client_for, api_client, canary):
    Connection.objects.create(workspace=world.acme, name="other", url=FILE)
    client = client_for("owner")
    created = post(client, f"{BASE}", {"name": "main", "url": FILE, "password": canary})
    renamed = patch(client, f"{BASE}/{world.objects['connection_id']['acme']}", {"name": "other"})
    for response in (created, renamed):
        assert response.status_code == 409, response.content
        assert error(response) == {
            "code": "name_taken",
            "message": error(response)["message"],
            "field": "name",
        }
        assert canary not in response.content.decode()
    assert not SecretRef.objects.exists()
    assert acme_connection(world).name == "main"
    # the same name in another workspace is no conflict
    globex = api_client(world.users["outsider"], host="globex.localhost")
    assert post(globex, f"{BASE}", {"name": "other", "url": FILE}).status_code == 201


def test_another_workspaces_policy_or_project_cannot_be_used(world, client_for):
    foreign_policy = ConnectionPolicy.objects.default_for(world.globex)
    foreign_project = world.globex.projects.get()
    client = client_for("owner")
    for key, value in (("policy_id", foreign_policy.pk), ("project_id", foreign_project.pk)):
        body = {"name": "x", "url": "sqlite:///tmp/x.db", key: value}
        response = post(client, f"{BASE}", body)
        assert response.status_code == 400
        assert error(response)["field"] == key
    assert not Connection.objects.filter(workspace=world.acme, name="x").exists()


# --- change and delete ------------------------------------------------------------------------


def test_patch_changes_only_what_is_sent(world, client_for):
    connection = acme_connection(world)
    strict = ConnectionPolicy.objects.create(workspace=world.acme, name="Strict")
    response = patch(
        client_for("admin"),
        f"{BASE}/{connection.pk}",
        {"name": "renamed", "policy_id": strict.pk},
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "renamed"
    assert response.json()["policy_id"] == strict.pk
    connection.refresh_from_db()
    assert (connection.name, connection.policy_id) == ("renamed", strict.pk)
    assert connection.project_id is not None  # not sent: kept
    assert connection.url == "sqlite:///tmp/x.db"
    event = AuditEvent.objects.get(workspace_id=world.acme.pk, action="connection.update")
    assert event.details["changed"] == ["name", "policy"]


def test_patch_sets_replaces_and_clears_the_password(world, client_for, canary):
    connection = acme_connection(world)
    client, url = client_for("owner"), f"{BASE}/{connection.pk}"
    first = patch(client, url, {"password": canary})
    assert first.status_code == 200 and first.json()["has_password"] is True
    assert canary not in first.content.decode()
    connection.refresh_from_db()
    secret_pk = connection.secret_id
    assert store.reveal(connection.secret) == canary

    patch(client, url, {"password": canary + "-2"})
    connection.refresh_from_db()
    assert connection.secret_id == secret_pk  # replaced in place
    assert store.reveal(connection.secret) == canary + "-2"

    cleared = patch(client, url, {"clear_password": True})
    assert cleared.status_code == 200 and cleared.json()["has_password"] is False
    assert not SecretRef.objects.filter(pk=secret_pk).exists()


def test_patch_detaches_the_project_with_null(world, client_for):
    connection = acme_connection(world)
    response = patch(client_for("owner"), f"{BASE}/{connection.pk}", {"project_id": None})
    assert response.status_code == 200
    assert response.json()["project_id"] is None
    connection.refresh_from_db()
    assert connection.project_id is None


@pytest.mark.parametrize(
    "body, field",
    [
        ({"password": "a", "clear_password": True}, "password"),
        ({"policy_id": None}, "policy_id"),
        ({"name": None}, "name"),
        ({"url": "postgresql://u:pw@h/db"}, None),
        ({"project_id": 0}, "project_id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_patch_refuses_bad_changes(world, client_for, body, field):
    connection = acme_connection(world)
    response = patch(client_for("owner"), f"{BASE}/{connection.pk}", body)
    assert response.status_code == 400, response.content
    assert error(response)["field"] == field
    connection.refresh_from_db()
    assert (connection.name, connection.url) == ("main", "sqlite:///tmp/x.db")


def test_delete_removes_the_connection_and_its_password(world, client_for, canary):
    created = post(
        client_for("owner"),
        f"{BASE}",
        {"name": "gone", "url": "postgresql://app@db.example/app", "password": canary},
    ).json()
    secret_pk = Connection.objects.get(pk=created["id"]).secret_id
    response = client_for("admin").delete(f"{BASE}/{created['id']}")
    assert response.status_code == 204
    assert not Connection.objects.filter(pk=created["id"]).exists()
    assert not SecretRef.objects.filter(pk=secret_pk).exists()
    assert client_for("admin").get(f"{BASE}/{created['id']}").status_code == 404


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_roles_that_cannot_manage_connections_cannot_change_test_or_learn(world, client_for, role):
    connection = acme_connection(world)
    client = client_for(role)
    url = f"{BASE}/{connection.pk}"
    answers = [
        patch(client, url, {"name": "hijacked"}),
        client.delete(url),
        post(client, f"{url}/test"),
        post(client, f"{url}/learn", {}),
    ]
    assert [r.status_code for r in answers] == [403] * 4
    assert all(error(r)["code"] == "forbidden" for r in answers)
    assert Connection.objects.filter(pk=connection.pk, name="main").exists()
    assert not Run.objects.filter(workspace=world.acme).exclude(kind="sleep").exists()


def test_another_workspaces_connection_is_not_found(world, client_for):
    foreign = world.objects["connection_id"]["globex"]
    client = client_for("owner")
    answers = [
        client.get(f"{BASE}/{foreign}"),
        patch(client, f"{BASE}/{foreign}", {"name": "mine"}),
        client.delete(f"{BASE}/{foreign}"),
        post(client, f"{BASE}/{foreign}/test"),
        post(client, f"{BASE}/{foreign}/learn", {}),
        client.get(f"{BASE}/{foreign}/capabilities"),
        client.get(f"{BASE}/{foreign}/databases"),
    ]
    assert [r.status_code for r in answers] == [404] * 7
    assert {error(r)["code"] for r in answers} == {"not_found"}
    assert Connection.objects.filter(pk=foreign, name="main").exists()


# --- test and learn (runs) --------------------------------------------------------------------


def start(client, path: str, body=None, *, capture):
    with capture(execute=True):
        response = post(client, path, body)
    assert response.status_code == 202, response.content
    out = response.json()
    assert response["Location"] == out["url"] == f"/api/v1/runs/{out['run']['id']}"
    return out


@pytest.mark.parametrize("role", MANAGERS)
def test_test_starts_a_run_that_reports_the_outcome(
    world, client_for, shop_url, role, eager_celery, django_capture_on_commit_callbacks
):
    connection = Connection.objects.create(workspace=world.acme, name="shop", url=shop_url)
    client = client_for(role)
    out = start(client, f"{BASE}/{connection.pk}/test", capture=django_capture_on_commit_callbacks)
    assert out["run"]["kind"] == "test_connection"
    assert out["run"]["target_id"] == str(connection.pk)
    run = client.get(out["url"]).json()
    assert run["state"] == "succeeded", run
    assert run["result"]["ok"] is True
    assert run["result"]["headline"].startswith("Connected to")
    assert AuditEvent.objects.filter(action="connection.test", outcome="ok").exists()


def test_a_failed_test_is_a_failed_run_with_the_reason(
    world, client_for, tmp_path, eager_celery, django_capture_on_commit_callbacks
):
    missing = f"sqlite:///{tmp_path / 'missing.db'}"
    connection = Connection.objects.create(workspace=world.acme, name="gone", url=missing)
    out = start(
        client_for("owner"),
        f"{BASE}/{connection.pk}/test",
        capture=django_capture_on_commit_callbacks,
    )
    run = client_for("viewer").get(out["url"]).json()
    assert run["state"] == "failed"
    assert run["result"]["ok"] is False
    assert run["error"].startswith(run["result"]["headline"])


def test_learn_then_capabilities_and_databases(
    world, client_for, shop_url, eager_celery, django_capture_on_commit_callbacks
):
    connection = Connection.objects.create(workspace=world.acme, name="shop", url=shop_url)
    viewer = client_for("viewer")
    before = viewer.get(f"{BASE}/{connection.pk}/capabilities")
    assert before.status_code == 409
    assert error(before)["code"] == "not_learned"
    assert viewer.get(f"{BASE}/{connection.pk}/databases").json() == {"items": [], "next": None}

    out = start(
        client_for("owner"),
        f"{BASE}/{connection.pk}/learn",
        capture=django_capture_on_commit_callbacks,
    )
    assert out["run"]["kind"] == "learn" and out["run"]["params"] == {}
    run = viewer.get(out["url"]).json()
    assert run["state"] == "succeeded", run
    assert run["percent"] == 100

    caps = viewer.get(f"{BASE}/{connection.pk}/capabilities")
    assert caps.status_code == 200
    data = caps.json()
    connection.refresh_from_db()
    assert data["server_fingerprint"] == connection.server_fingerprint != ""
    assert data["server"] == connection.capability_json
    assert data["sections"] and all(s["entries"] for s in data["sections"])
    assert {"Version", "Learned at"} <= {f["label"] for f in data["facts"]}
    entries = [e for s in data["sections"] for e in s["entries"]]
    assert all(e["verdict"] in {"yes", "no", "unknown", "value"} for e in entries)
    assert any(e["statements"] or e["method"] for e in entries)  # evidence kept

    databases = viewer.get(f"{BASE}/{connection.pk}/databases").json()
    assert len(databases["items"]) == 1
    (database,) = databases["items"]
    stored = connection.databases.get()
    assert database["name"] == stored.name
    assert database["profile_hash"] == stored.profile_hash == run["result"]["learned"][stored.name]
    assert database["status"] == "ok" and database["learned_at"]
    listed = viewer.get(f"{BASE}?status=ok").json()["items"]
    assert [c["name"] for c in listed] == ["shop"]


def test_learn_passes_the_databases_asked_for(
    world, client_for, shop_url, eager_celery, django_capture_on_commit_callbacks
):
    connection = Connection.objects.create(workspace=world.acme, name="shop", url=shop_url)
    out = start(
        client_for("owner"),
        f"{BASE}/{connection.pk}/learn",
        {"databases": ["nosuch", "nosuch"]},
        capture=django_capture_on_commit_callbacks,
    )
    assert out["run"]["params"] == {"databases": ["nosuch"]}
    run = client_for("owner").get(out["url"]).json()
    assert run["state"] in {"succeeded", "failed"}
    # a missing database is reported, and the connection is failing because of it
    assert "No database nosuch" in (run["error"] or run["result"]["message"])
    connection.refresh_from_db()
    assert connection.status == "failing"
    assert "nosuch" in client_for("viewer").get(f"{BASE}/{connection.pk}").json()["last_error"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"databases": [""]}, "0"),
        ({"databases": "shop"}, "databases"),
        ({"databases": ["x" * 201]}, "0"),
        ({"everything": True}, "everything"),
    ],
)
def test_learn_refuses_bad_bodies(world, client_for, body, field):
    connection = acme_connection(world)
    response = post(client_for("owner"), f"{BASE}/{connection.pk}/learn", body)
    assert response.status_code == 400, response.content
    assert error(response)["field"] == field
    assert not Run.objects.filter(kind="learn").exists()


def test_schema_choices_follow_the_models():
    """The Literal types of the schemas must name exactly the models' states."""
    from apps.api import schemas_conn

    assert set(schemas_conn.ConnectionStatus.__args__) == set(Connection.Status.values)
    assert set(schemas_conn.RunState.__args__) == set(Run.State.values)
    assert set(schemas_conn.DatabaseStatus.__args__) == set(DatabaseSchema.Status.values)


def test_hostile_input_is_a_400_not_a_server_error(world, client_for):
    client = client_for("owner")
    huge = 2**70
    assert client.get(f"{BASE}/{huge}").status_code == 400
    assert client.get(f"{BASE}?project={huge}").status_code == 400
    nul = post(client, f"{BASE}", {"name": "a\x00b", "url": "sqlite:///tmp/x.db"})
    assert nul.status_code == 400
    assert error(nul)["field"] == "name"
    assert client.get(f"{BASE}?family=a%00b").status_code == 400
    assert not Connection.objects.filter(workspace=world.acme).exclude(name="main").exists()


def test_learn_and_test_need_no_body_at_all(
    world, client_for, shop_url, eager_celery, django_capture_on_commit_callbacks
):
    """`curl -X POST .../learn` sends neither a body nor a Content-Type."""
    connection = Connection.objects.create(workspace=world.acme, name="shop", url=shop_url)
    client = client_for("owner")
    for action in ("learn", "test"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.generic("POST", f"{BASE}/{connection.pk}/{action}")
        assert response.status_code == 202, response.content
        assert client.get(response["Location"]).json()["state"] == "succeeded"


# --- every operation x every role ------------------------------------------------------------

VIEW, MANAGE = "view", "manage-connections"
#: operation id -> (method, path under /api/v1, body, action it needs, status when allowed)
OPERATIONS = {
    "connections_list": ("get", "/connections", None, VIEW, 200),
    "connection_policies_list": ("get", "/connections/policies", None, VIEW, 200),
    "connections_get": ("get", "/connections/{c}", None, VIEW, 200),
    "connections_capabilities": ("get", "/connections/{c}/capabilities", None, VIEW, 200),
    "connections_databases": ("get", "/connections/{c}/databases", None, VIEW, 200),
    "connections_create": ("post", "/connections", {"name": "new", "url": FILE}, MANAGE, 201),
    "connections_update": ("patch", "/connections/{c}", {"name": "renamed"}, MANAGE, 200),
    "connections_test": ("post", "/connections/{c}/test", None, MANAGE, 202),
    "connections_learn": ("post", "/connections/{c}/learn", {}, MANAGE, 202),
    "connections_delete": ("delete", "/connections/{c}", None, MANAGE, 204),
    "runs_list": ("get", "/runs", None, VIEW, 200),
    "runs_get": ("get", "/runs/{r}", None, VIEW, 200),
    "runs_logs": ("get", "/runs/{r}/logs", None, VIEW, 200),
    "runs_cancel": ("post", "/runs/{r}/cancel", None, "apply", 200),  # a "sleep" run
}


def test_the_role_table_covers_every_operation_of_these_routers(world, host_client):
    client = host_client(world.users["owner"], "acme.localhost")
    assert operation_ids(client, "connections", "runs") == set(OPERATIONS)


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize("role", ROLES)
def test_every_operation_for_every_role(world, client_for, role, operation):
    from apps.workspaces.permissions import can

    method, path, body, action, ok = OPERATIONS[operation]
    connection = acme_connection(world)
    Connection.objects.filter(pk=connection.pk).update(capability_json={"version": "1"})
    path = path.format(c=connection.pk, r=world.objects["run_id"]["acme"])
    client = client_for(role)
    kwargs = (
        {"data": json.dumps(body), "content_type": "application/json"} if body is not None else {}
    )
    response = getattr(client, method)(f"/api/v1{path}", **kwargs)
    expected = ok if can(world.members[role].role, action) else 403
    assert response.status_code == expected, response.content


def test_a_second_learn_is_refused_while_one_is_open(world, client_for):
    """Without a worker the first learn stays queued: the second learn (and a snapshot)
    of the same connection are refused with 409 run_in_progress; once the first is closed
    a new one starts. Another connection is not held up."""
    from apps.jobs.models import Run

    connection = acme_connection(world)
    owner = client_for("owner")
    first = post(owner, f"{BASE}/{connection.pk}/learn")
    assert first.status_code == 202
    run_id = first.json()["run"]["id"]
    again = post(owner, f"{BASE}/{connection.pk}/learn")
    assert again.status_code == 409
    assert error(again)["code"] == "run_in_progress"
    assert f"run {run_id}" in error(again)["message"]
    other = Connection.objects.create(workspace=world.acme, name="other", url="sqlite:///x.db")
    assert post(owner, f"{BASE}/{other.pk}/learn").status_code == 202
    Run.objects.filter(pk=run_id).update(state=Run.State.FAILED)
    assert post(owner, f"{BASE}/{connection.pk}/learn").status_code == 202
