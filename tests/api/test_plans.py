"""Plans and snapshots through the API, on a real SQLite database learned by the platform:
the whole review loop (plan from desired SQL, read, comment, approve, apply, roll back),
each state conflict's 409 code, hazards by name, drift caught before the job is queued, and
snapshots (history, exact document, taking one, planning towards one)."""

from __future__ import annotations

import pytest

from apps.connections.models import Snapshot
from apps.jobs.models import Run
from apps.plans.models import Plan, PlanExecution
from engine import ir
from tests.api.conftest import operation_ids
from tests.connections.conftest import _file_databases_in_tmp, sqlite_file  # noqa: F401
from tests.plans.conftest import learned
from tests.plans.factories import stored_plan
from tests.plans.test_flow import customer_columns, execute
from tests.plans.test_sources import licensed  # noqa: F401  (fixture)

DESIRED = (
    "CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, nickname TEXT);"
    "CREATE TABLE orders (id INTEGER PRIMARY KEY,"
    " customer_id INTEGER REFERENCES customer(id), total REAL);"
)


@pytest.fixture
def call(api_client, django_capture_on_commit_callbacks, eager_celery):
    """`call(role, method, path, body=None)` -> response; queued tasks run on commit."""
    clients = {}

    def request(who, method: str, path: str, body=None):
        client = clients.setdefault(who.pk, api_client(who))
        with django_capture_on_commit_callbacks(execute=True):
            if body is None:  # what `curl -X POST` sends: no body, no content type
                return client.generic(method.upper(), f"/api/v1{path}")
            return getattr(client, method)(f"/api/v1{path}", body, content_type="application/json")

    return request


@pytest.fixture
def shop(world, sqlite_file):  # noqa: F811
    return learned(world.acme, world.users["owner"], sqlite_file)


def test_the_review_loop(world, shop, call, sqlite_file):  # noqa: F811
    dev, admin = world.users["developer"], world.users["admin"]
    body = {"title": "Nicknames", "target_database_id": shop.pk,
            "source": {"kind": "sql", "sql": DESIRED}}  # fmt: skip
    response = call(dev, "post", "/plans", body)
    assert response.status_code == 202, response.content
    started = response.json()
    plan_id, run_id = started["plan"]["id"], started["run"]["id"]
    assert response["Location"] == started["url"] == f"/api/v1/runs/{run_id}"
    assert call(dev, "get", f"/runs/{run_id}").json()["state"] == "succeeded"

    plan = call(dev, "get", f"/plans/{plan_id}").json()
    assert plan["state"] == "draft" and plan["operation_count"] == 1
    assert [op["kind"] for op in plan["operations"]] == ["add_column"]
    assert plan["source_hash"] == shop.profile_hash and plan["before_snapshot_id"] == shop.latest_id
    document = call(dev, "get", f"/plans/{plan_id}/document")
    assert document.json() == Plan.objects.get(pk=plan_id).plan_json

    assert call(dev, "post", f"/plans/{plan_id}/comments", {"body": "LGTM?"}).status_code == 201
    assert [c["body"] for c in call(dev, "get", f"/plans/{plan_id}/comments").json()] == ["LGTM?"]
    assert call(dev, "post", f"/plans/{plan_id}/approve", {}).status_code == 403  # role
    approved = call(admin, "post", f"/plans/{plan_id}/approve", {"note": "ok"})
    assert approved.status_code == 201 and approved.json()["approved_by"] == "admin@acme.test"
    again = call(admin, "post", f"/plans/{plan_id}/approve", {})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_approved"

    assert call(world.users["analyst"], "post", f"/plans/{plan_id}/apply", {}).status_code == 403
    applied = call(dev, "post", f"/plans/{plan_id}/apply", {"accept_hazards": plan["hazards"]})
    assert applied.status_code == 202, applied.content
    execution = applied.json()["execution"]
    run = call(dev, "get", f"/runs/{applied.json()['run']['id']}").json()
    assert run["state"] == "succeeded", run
    assert run["marks"] == {f"op:{plan['operations'][0]['id']}": "done"}
    assert call(dev, "get", f"/plans/{plan_id}").json()["state"] == "applied"
    assert "nickname" in customer_columns("sqlite_file", sqlite_file)

    conflict = call(dev, "post", f"/plans/{plan_id}/apply", {})
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "plan_state"
    rolled = call(dev, "post", f"/plans/{plan_id}/rollback")
    assert rolled.status_code == 202, rolled.content
    history = call(dev, "get", f"/plans/{plan_id}/executions").json()
    assert [(e["kind"], e["outcome"]) for e in history] == [
        ("rollback", "rolled_back"),
        ("apply", "applied"),
    ]
    assert history[1]["id"] == execution["id"] and history[1]["report"]["verified"] is True


def test_hazards_and_destruction_are_named(world, shop, call):
    dev = world.users["developer"]
    body = {"title": "Drop orders", "target_database_id": shop.pk,
            "source": {"kind": "sql", "sql": DESIRED.split(";")[0] + ";"}}  # fmt: skip
    plan_id = call(dev, "post", "/plans", body).json()["plan"]["id"]
    plan = call(dev, "get", f"/plans/{plan_id}").json()
    assert "DATA_LOSS" in plan["hazards"] and plan["destructive"] is True
    others = [h for h in plan["hazards"] if h != "DATA_LOSS"]
    if others:
        refused = call(dev, "post", f"/plans/{plan_id}/apply", {})
        assert refused.status_code == 400
        assert refused.json()["error"]["field"] == "accept_hazards"
    refused = call(dev, "post", f"/plans/{plan_id}/apply", {"accept_hazards": others})
    assert refused.status_code == 400, refused.content
    assert refused.json()["error"] == {
        "code": "destructive",
        "message": "The plan drops data: send allow_destructive: true to apply it.",
        "field": "allow_destructive",
    }
    assert not PlanExecution.objects.filter(plan_id=plan_id).exists()


def test_drift_is_a_409_before_anything_is_queued(world, shop, call, sqlite_file):  # noqa: F811
    dev = world.users["developer"]
    body = {"title": "Nicknames", "target_database_id": shop.pk,
            "source": {"kind": "sql", "sql": DESIRED}}  # fmt: skip
    plan_id = call(dev, "post", "/plans", body).json()["plan"]["id"]
    execute("sqlite_file", sqlite_file, "CREATE TABLE sneaky (id INTEGER PRIMARY KEY)")
    refused = call(dev, "post", f"/plans/{plan_id}/apply", {})
    assert refused.status_code == 409, refused.content
    error = refused.json()["error"]
    assert error["code"] == "drifted" and "sneaky" in error["message"]
    assert not PlanExecution.objects.filter(plan_id=plan_id).exists()
    assert Plan.objects.get(pk=plan_id).state == Plan.State.DRAFT


def test_an_approval_is_required_with_the_entitlement(world, shop, call, licensed):  # noqa: F811
    dev = world.users["developer"]
    body = {"title": "Nicknames", "target_database_id": shop.pk,
            "source": {"kind": "sql", "sql": DESIRED}}  # fmt: skip
    plan_id = call(dev, "post", "/plans", body).json()["plan"]["id"]
    refused = call(dev, "post", f"/plans/{plan_id}/apply", {})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "approval_required"


def test_a_plan_still_planning_cannot_be_applied(world, call):
    plan = stored_plan(world.acme, state=Plan.State.PLANNING)
    refused = call(world.users["owner"], "post", f"/plans/{plan.pk}/apply", {})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "plan_state"
    assert (
        "being planned" in refused.json()["error"]["message"]
        or "planning" in (refused.json()["error"]["message"])
    )


@pytest.mark.parametrize(
    ("source", "field"),
    [
        ({"kind": "live"}, "source.database_id"),
        ({"kind": "snapshot"}, "source.snapshot_id"),
        ({"kind": "sql", "sql": ""}, "source.sql"),
        ({"kind": "snapshot", "snapshot_id": 10**9}, "source.snapshot_id"),
    ],
)
def test_a_source_without_its_reference_is_a_400_naming_it(world, shop, call, source, field):
    body = {"title": "x", "target_database_id": shop.pk, "source": source}
    refused = call(world.users["developer"], "post", "/plans", body)
    assert refused.status_code == 400 and refused.json()["error"]["field"] == field
    assert not Plan.objects.filter(title="x").exists()


def test_another_workspaces_database_or_snapshot_is_not_usable(world, shop, call):
    outsider = world.users["outsider"]  # globex's owner, on globex's host
    body = {"title": "x", "target_database_id": shop.pk, "source": {"kind": "sql", "sql": "x"}}
    response = call(outsider, "post", "/plans", body)
    assert response.status_code in (400, 401, 404)
    assert not Plan.objects.filter(title="x").exists()


def test_viewers_read_plans_but_cannot_create_them(world, shop, call):
    viewer = world.users["viewer"]
    body = {"title": "x", "target_database_id": shop.pk, "source": {"kind": "sql", "sql": "x"}}
    assert call(viewer, "post", "/plans", body).status_code == 403
    listed = call(viewer, "get", "/plans?state=draft").json()
    assert {p["state"] for p in listed["items"]} <= {"draft"}


def test_snapshots(world, shop, call, sqlite_file):  # noqa: F811
    dev = world.users["developer"]
    history = call(dev, "get", f"/snapshots?database_id={shop.pk}").json()["items"]
    assert [s["id"] for s in history] == [shop.latest_id]
    one = call(dev, "get", f"/snapshots/{shop.latest_id}").json()
    assert one["profile_hash"] == shop.profile_hash and one["database"] == shop.name
    document = call(dev, "get", one["document_url"].removeprefix("/api/v1"))
    assert document.content.decode() == shop.latest.profile_json  # the engine's bytes
    assert ir.profile_hash(ir.loads(document.content.decode())) == one["profile_hash"]

    assert (
        call(world.users["viewer"], "post", "/snapshots", {"database_id": shop.pk}).status_code
        == 403
    )
    taken = call(dev, "post", "/snapshots", {"database_id": shop.pk, "label": "before 42"})
    assert taken.status_code == 202
    run = Run.objects.get(pk=taken.json()["run"]["id"])
    assert run.state == "succeeded", run.error
    kept = Snapshot.objects.get(pk=run.result["snapshot"])
    assert (kept.label, kept.origin) == ("before 42", "manual")
    manual = call(dev, "get", "/snapshots?origin=manual").json()["items"]
    assert [s["id"] for s in manual] == [kept.pk]

    execute("sqlite_file", sqlite_file, "ALTER TABLE customer ADD COLUMN later TEXT")
    body = {"title": "Back", "target_database_id": shop.pk,
            "source": {"kind": "snapshot", "snapshot_id": kept.pk}}  # fmt: skip
    plan_id = call(dev, "post", "/plans", body).json()["plan"]["id"]
    plan = call(dev, "get", f"/plans/{plan_id}").json()
    assert plan["state"] == "draft" and plan["source_snapshot_id"] == kept.pk
    assert plan["operations"]  # back to the snapshot: `later` goes


def test_changes_made_through_the_api_say_so_in_the_audit_trail(world, shop, call, host_client):
    from apps.audit.models import AuditEvent

    dev = world.users["developer"]
    body = {
        "title": "Via",
        "target_database_id": shop.pk,
        "source": {"kind": "sql", "sql": DESIRED},
    }
    plan_id = call(dev, "post", "/plans", body).json()["plan"]["id"]
    created = AuditEvent.objects.filter(action="plan.create").latest("pk")
    assert created.details["via"] == "api"
    page = host_client(dev, "acme.localhost")
    page.post(f"/plans/{plan_id}/comment/", {"body": "from the page"})
    commented = AuditEvent.objects.filter(action="plan.comment").latest("pk")
    assert "via" not in commented.details


def test_a_body_that_is_not_json_is_an_invalid_request(world, api_client):
    client = api_client(world.users["developer"])
    response = client.post("/api/v1/plans", "title=x", content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "JSON body" in error["message"]


# --- every operation x every role ------------------------------------------------------------

VIEW, PLAN, APPROVE, APPLY = "view", "plan", "approve", "apply"
SQL = {"kind": "sql", "sql": DESIRED}
#: operation id -> (method, path under /api/v1, body, action it needs, status when allowed)
OPERATIONS = {
    "plans_list": ("get", "/plans", None, VIEW, 200),
    "plans_get": ("get", "/plans/{p}", None, VIEW, 200),
    "plans_document": ("get", "/plans/{p}/document", None, VIEW, 200),
    "plans_comments": ("get", "/plans/{p}/comments", None, VIEW, 200),
    "plans_executions": ("get", "/plans/{p}/executions", None, VIEW, 200),
    "plans_create": ("post", "/plans", {"title": "t", "target_database_id": "{d}", "source": SQL},
                     PLAN, 202),
    "plans_comment": ("post", "/plans/{p}/comments", {"body": "hm"}, PLAN, 201),
    "plans_approve": ("post", "/plans/{p}/approve", {}, APPROVE, 201),
    "plans_apply": ("post", "/plans/{p}/apply", {"check_drift": False}, APPLY, 202),
    "plans_rollback": ("post", "/plans/{p}/rollback", {}, APPLY, 409),  # never applied
    "snapshots_list": ("get", "/snapshots", None, VIEW, 200),
    "snapshots_get": ("get", "/snapshots/{s}", None, VIEW, 200),
    "snapshots_document": ("get", "/snapshots/{s}/document", None, VIEW, 200),
    "snapshots_take": ("post", "/snapshots", {"database_id": "{d}"}, PLAN, 202),
}  # fmt: skip


def test_the_role_table_covers_every_operation_of_these_routers(world, host_client):
    client = host_client(world.users["owner"], "acme.localhost")
    assert operation_ids(client, "plans", "snapshots") == set(OPERATIONS)


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize("role", ["owner", "admin", "developer", "analyst", "viewer"])
def test_every_operation_for_every_role(world, api_client, role, operation):
    import json

    from apps.workspaces.permissions import can

    method, path, body, action, ok = OPERATIONS[operation]
    database = world.acme.connections.get(name="main").databases.create(name="main")
    ids = {"p": world.objects["plan_id"]["acme"], "s": world.objects["snapshot_id"]["acme"]}
    path = path.format(**ids)
    if body is not None:
        body = json.loads(json.dumps(body).replace('"{d}"', str(database.pk)))
    client = api_client(world.users[role])
    kwargs = (
        {"data": json.dumps(body), "content_type": "application/json"} if body is not None else {}
    )
    response = getattr(client, method)(f"/api/v1{path}", **kwargs)
    expected = ok if can(world.members[role].role, action) else 403
    assert response.status_code == expected, response.content
