"""The plan pages: what a reviewer sees, who may press which button, tenant isolation."""

from __future__ import annotations

import html

import pytest

from apps.audit.models import AuditEvent
from apps.plans import actions
from apps.plans.models import Plan, PlanApproval, PlanExecution
from tests.plans.conftest import learned

#: adds customer.nickname, drops table orders: a plan with a reversible op and a
#: destructive, irreversible one
CHANGE = (
    "CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, nickname TEXT);"
)
HOST = "acme.localhost"


@pytest.fixture
def plan(world, acme, owner, sqlite_file, make_plan) -> Plan:
    target = learned(acme, owner, sqlite_file)
    made = make_plan(acme, owner, target, desired_sql=CHANGE, title="Nicknames")
    assert made.state == Plan.State.DRAFT, made.error
    return made


def page(client, plan) -> str:
    response = client.get(f"/plans/{plan.pk}/")
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_plan_page_shows_what_a_reviewer_needs(world, host_client, plan):
    text = page(host_client(world.users["viewer"], HOST), plan)
    ops = {op["kind"]: op for op in plan.operations}
    assert set(ops) == {"add_column", "drop_table"}, list(ops)
    for op in plan.operations:
        assert op["steps"][0]["sql"] in text  # each operation's SQL
        assert f"risk {op['risk']['level']} · {op['risk']['score']}" in text
        assert op["rationale"] in text
        assert op["lock"]["level"] in text
    add, drop = ops["add_column"], ops["drop_table"]
    assert add["rollback"][0]["sql"] in text
    assert f"irreversible: {drop['irreversible']}" in text
    assert "DATA_LOSS" in text
    findings = plan.plan_json["findings"]
    assert findings, "a dropped column should give a lint finding"
    for finding in findings:
        assert finding["code"] in text and finding["message"] in text
    # the before/after DDL diff, coloured server-side
    assert '<span class="add">+' in text and "nickname" in text
    assert '<span class="del">-' in text and "orders" in text


def test_plan_list_and_new_plan_form(world, host_client, plan):
    developer = host_client(world.users["developer"], HOST)
    listing = developer.get("/plans/").content.decode()
    assert "Nicknames" in listing and f"/plans/{plan.pk}/" in listing
    form = developer.get("/plans/new/")
    assert form.status_code == 200 and b"Desired-state SQL" in form.content
    assert host_client(world.users["analyst"], HOST).get("/plans/new/").status_code == 403


def test_new_plan_through_the_form(
    world, host_client, plan, eager_celery, django_capture_on_commit_callbacks
):
    target = plan.connection.databases.get()
    developer = host_client(world.users["developer"], HOST)
    upload_sql = CHANGE.replace("nickname TEXT", "nickname TEXT, phone TEXT")
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {
        "title": "From a file",
        "target": target.pk,
        "source_kind": "sql",
        "sql_file": SimpleUploadedFile("desired.sql", upload_sql.encode()),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = developer.post("/plans/new/", data)
    assert response.status_code == 302
    made = Plan.objects.get(title="From a file")
    assert response["Location"] == f"/plans/{made.pk}/"
    assert made.created_by == world.users["developer"] and made.state == Plan.State.DRAFT
    assert "phone" in made.desired_sql
    assert any("phone" in op["steps"][0]["sql"] for op in made.operations)


def test_form_requires_the_chosen_source(world, host_client, plan):
    target = plan.connection.databases.get()
    developer = host_client(world.users["developer"], HOST)
    data = {"title": "x", "target": target.pk, "source_kind": "snapshot"}
    response = developer.post("/plans/new/", data)
    assert response.status_code == 200
    assert "Choose the snapshot" in response.content.decode()
    assert not Plan.objects.filter(title="x").exists()


@pytest.mark.parametrize(
    ("role", "status"), [("viewer", 403), ("analyst", 403), ("developer", 403), ("admin", 302)]
)
def test_approve_by_role(world, host_client, plan, role, status):
    response = host_client(world.users[role], HOST).post(f"/plans/{plan.pk}/approve/")
    assert response.status_code == status
    approved = PlanApproval.objects.filter(plan=plan, approved_by=world.users[role]).exists()
    assert approved is (status == 302)
    if approved:
        plan.refresh_from_db()
        assert plan.state == Plan.State.APPROVED
        assert AuditEvent.objects.filter(action="plan.approve", target_id=str(plan.pk)).exists()


def test_creator_cannot_approve_own_plan_while_others_can(world, host_client, plan):
    response = host_client(world.users["owner"], HOST).post(
        f"/plans/{plan.pk}/approve/", follow=True
    )
    assert "another member who may approve" in response.content.decode()
    assert not plan.approvals.exists()


def test_a_lone_owner_may_approve_own_plan(world, plan):
    from apps.workspaces.models import Membership

    Membership.objects.filter(workspace=plan.workspace).exclude(user=plan.created_by).delete()
    actions.do_approve(plan, plan.created_by)
    plan.refresh_from_db()
    assert plan.state == Plan.State.APPROVED


def test_comments(world, host_client, plan):
    dev = host_client(world.users["developer"], HOST)
    assert dev.post(f"/plans/{plan.pk}/comment/", {"body": "Looks fine"}).status_code == 302
    assert "Looks fine" in page(dev, plan)
    viewer = host_client(world.users["viewer"], HOST)
    assert viewer.post(f"/plans/{plan.pk}/comment/", {"body": "x"}).status_code == 403
    assert list(plan.comments.values_list("body", flat=True)) == ["Looks fine"]
    assert AuditEvent.objects.filter(action="plan.comment", target_id=str(plan.pk)).exists()


def test_apply_needs_hazards_and_destructive_ticked(
    world, host_client, plan, eager_celery, django_capture_on_commit_callbacks
):
    dev = host_client(world.users["developer"], HOST)
    other = [h for h in plan.hazards if h != "DATA_LOSS"]
    response = dev.post(f"/plans/{plan.pk}/apply/", {"accept_hazard": other}, follow=True)
    assert "Allow destructive operations" in response.content.decode()
    assert not plan.executions.exists()
    viewer = host_client(world.users["viewer"], HOST)
    assert viewer.post(f"/plans/{plan.pk}/apply/", {"allow_destructive": "on"}).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = dev.post(
            f"/plans/{plan.pk}/apply/", {"accept_hazard": other, "allow_destructive": "on"}
        )
    assert response.status_code == 302
    execution = plan.executions.get()
    assert execution.outcome == PlanExecution.Outcome.APPLIED, execution.message
    assert execution.allow_destructive and "DATA_LOSS" in execution.accepted_hazards
    text = page(dev, plan)
    assert "Applied" in text and f"/jobs/{execution.run.pk}/" in text


def test_rollback_of_an_irreversible_plan_is_refused_unless_allowed(world, owner, plan, run_queued):
    run_queued(actions.do_apply, plan, owner, accept_hazards=plan.hazards, allow_destructive=True)
    plan.refresh_from_db()
    execution = run_queued(actions.do_rollback, plan, owner)
    execution.refresh_from_db()
    assert execution.outcome == PlanExecution.Outcome.REFUSED
    assert "irreversible" in execution.message
    plan.refresh_from_db()
    assert plan.state == Plan.State.APPLIED
    execution = run_queued(actions.do_rollback, plan, owner, allow_destructive=True)
    execution.refresh_from_db()
    assert execution.outcome == PlanExecution.Outcome.ROLLED_BACK, execution.message
    assert "left in place" in execution.report["notes"][0]


def test_another_workspaces_plan_is_404(world, host_client, plan):
    outsider = host_client(world.users["outsider"], "globex.localhost")
    assert outsider.get(f"/plans/{plan.pk}/").status_code == 404
    assert outsider.post(f"/plans/{plan.pk}/approve/").status_code == 404
    assert outsider.post(f"/plans/{plan.pk}/apply/", {"allow_destructive": "on"}).status_code == 404
    assert not plan.approvals.exists() and not plan.executions.exists()


def test_plan_file_download_is_the_engines_document(world, host_client, plan):
    from engine.planner import serial

    response = host_client(world.users["viewer"], HOST).get(f"/plans/{plan.pk}/plan.json")
    assert response.status_code == 200
    assert serial.loads(response.content.decode()) == plan.engine_plan()
