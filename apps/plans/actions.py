"""Every write to plans: create, compute, comment, approve, apply, roll back.

Views, tasks and tests call these `do_*` functions; each runs in one transaction, appends
its audit event in it, and raises `ActionRefused` with words a person can act on. Work
that connects to a server (planning, apply, rollback) is queued as a run
(`apps.jobs.actions.do_start_run`); the tasks in apps/plans/tasks.py call back into the
`do_finish_*` functions here with what happened.

Approval rules (docs/plans.md): a member who may approve (Action.APPROVE) approves a plan
in its current form (the approval stores the plan's hashes). The creator cannot approve
their own plan unless nobody else in the workspace may approve: a workspace of one must not
be stuck. Apply requires an approval only when the workspace's license has the `approvals`
entitlement; on the free plan approving is optional.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.audit.log import record
from apps.connections import snapshots
from apps.connections.models import Snapshot
from apps.licensing.entitlements import has_entitlement
from apps.plans.models import Plan, PlanApproval, PlanComment, PlanExecution
from apps.workspaces.actions import ActionRefused
from apps.workspaces.models import Membership
from apps.workspaces.permissions import Action, can

State = Plan.State
Outcome = PlanExecution.Outcome

#: States from which each execution kind may start.
STARTABLE = {
    PlanExecution.Kind.APPLY: (State.DRAFT, State.APPROVED, State.FAILED, State.ROLLED_BACK),
    PlanExecution.Kind.ROLLBACK: (State.APPLIED, State.FAILED),
}
#: (plan state, execution outcome) per engine report status.
FINISHED = {
    "applied": (State.APPLIED, Outcome.APPLIED),
    "resumed": (State.APPLIED, Outcome.APPLIED),
    "rolled_back": (State.ROLLED_BACK, Outcome.ROLLED_BACK),
    "failed": (State.FAILED, Outcome.FAILED),
}
NOOP_STATE = {
    PlanExecution.Kind.APPLY: State.APPLIED,
    PlanExecution.Kind.ROLLBACK: State.ROLLED_BACK,
}


def _role(workspace, user) -> str | None:
    return (
        Membership.objects.filter(workspace=workspace, user=user)
        .values_list("role", flat=True)
        .first()
    )


def _require(workspace, user, action: Action) -> None:
    """Tasks and the API call these actions too: the role is checked here as well."""
    if not can(_role(workspace, user), action):
        raise ActionRefused(f"Your role cannot: {action.label.lower()}.")


def _state_refusal(plan: Plan, what: str) -> ActionRefused:
    message = f"A plan that is {plan.get_state_display().lower()} cannot be {what}."
    return ActionRefused(message, code="plan_state", conflict=True)


def _locked(plan: Plan) -> Plan:
    return Plan.objects.select_for_update().get(pk=plan.pk)


def approvals_required(workspace) -> bool:
    return has_entitlement(workspace, "approvals")


# --- create and compute -------------------------------------------------------------------


def source_label(*, source_kind: str, source_connection=None, source_snapshot=None, **_) -> str:
    """The desired side in words, as lists and the audit trail show it."""
    if source_kind == Plan.Source.LIVE and source_connection is not None:
        return f"live {source_connection.name}/{_.get('source_database', '')}"
    if source_kind == Plan.Source.SNAPSHOT and source_snapshot is not None:
        return snapshot_label(source_snapshot)
    return "desired-state SQL"


def snapshot_label(snapshot) -> str:
    database = snapshot.database
    where = f"{database.connection.name}/{database.name}" if database else "a schema"
    label = f" “{snapshot.label}”" if snapshot.label else ""
    return f"snapshot #{snapshot.pk}{label} of {where}, {snapshot.created_at:%Y-%m-%d %H:%M}"


def do_create_plan(workspace, user, **fields) -> Plan:
    """A plan in state "planning", and the run that computes it (nublox.jobs.plan).

    `fields`: connection, database, title, source_kind and the source's fields
    (source_connection + source_database | source_snapshot | desired_sql), renames."""
    from apps.jobs.actions import do_start_run

    _require(workspace, user, Action.PLAN)
    connection = fields["connection"]
    if connection.workspace_id != workspace.pk:
        raise ActionRefused("That connection is not in this workspace.")
    source_connection = fields.get("source_connection")
    if source_connection is not None and source_connection.workspace_id != workspace.pk:
        raise ActionRefused("The source connection is not in this workspace.")
    source_snapshot = fields.get("source_snapshot")
    if source_snapshot is not None and source_snapshot.workspace_id != workspace.pk:
        raise ActionRefused("The source snapshot is not in this workspace.")
    fields.setdefault("source_label", source_label(**fields))
    with transaction.atomic():
        plan = Plan.objects.create(
            workspace=workspace, created_by=user, project=connection.project, **fields
        )
        details = {
            "connection": connection.name,
            "database": plan.database,
            "source": plan.source_kind,
            "from": plan.source_label,
        }
        record(workspace, user, "plan.create", target=plan, details=details)
        run = do_start_run(
            workspace,
            user,
            "plan",
            target=plan,
            params={"plan_id": plan.pk},
            task="nublox.jobs.plan",
        )
        plan.planning_run = run
        plan.save(update_fields=["planning_run"])
    return plan


def do_finish_planning(plan: Plan, user, computed=None, error: str = "") -> Plan:
    """Store what planning produced (or why it could not), audited as plan.compute."""
    from engine.planner import serial

    with transaction.atomic():
        plan = _locked(plan)
        if plan.state != State.PLANNING:
            return plan  # a retried task: the first run's outcome stands
        if computed is None:
            plan.state, plan.error = State.FAILED, error
        else:
            plan.plan_json = serial.to_json(computed.plan)
            target = plan.connection.databases.filter(name=plan.database).first()
            plan.before = snapshots.store(
                plan.workspace, computed.before, origin=Snapshot.Origin.LEARN, database=target
            )
            plan.after = snapshots.store(
                plan.workspace, computed.after, origin=Snapshot.Origin.PLAN
            )
            plan.online = bool(computed.plan.capabilities)
            plan.state, plan.error = State.DRAFT, ""
        plan.updated_at = timezone.now()
        plan.save()
        details = {"operations": len(plan.operations), "hazards": plan.hazards}
        if error:
            details = {"error": error}
        outcome = "failed" if error else "ok"
        record(plan.workspace, user, "plan.compute", target=plan, outcome=outcome, details=details)
    return plan


# --- review -------------------------------------------------------------------------------


def do_comment(plan: Plan, user, body: str) -> PlanComment:
    _require(plan.workspace, user, Action.PLAN)
    body = body.strip()
    if not body:
        raise ActionRefused("Write something to comment.")
    with transaction.atomic():
        comment = PlanComment.objects.create(plan=plan, author=user, body=body)
        record(plan.workspace, user, "plan.comment", target=plan, details={"comment": comment.pk})
    return comment


def may_self_approve(plan: Plan) -> bool:
    """True when no member other than the creator may approve."""
    others = Membership.objects.filter(workspace=plan.workspace).exclude(user=plan.created_by)
    return not any(can(role, Action.APPROVE) for role in others.values_list("role", flat=True))


def do_approve(plan: Plan, user, note: str = "") -> PlanApproval:
    _require(plan.workspace, user, Action.APPROVE)
    with transaction.atomic():
        plan = _locked(plan)
        if plan.state not in (State.DRAFT, State.APPROVED):
            raise _state_refusal(plan, "approved")
        if plan.created_by_id == user.pk and not may_self_approve(plan):
            raise ActionRefused(
                "You created this plan: another member who may approve has to review it."
            )
        if plan.approvals.filter(approved_by=user).exists():
            raise ActionRefused(
                "You have already approved this plan.", code="already_approved", conflict=True
            )
        approval = PlanApproval.objects.create(
            plan=plan,
            approved_by=user,
            source_hash=plan.plan_json.get("source_hash", ""),
            target_hash=plan.plan_json.get("target_hash", ""),
            note=note.strip(),
        )
        plan.state, plan.updated_at = State.APPROVED, timezone.now()
        plan.save(update_fields=["state", "updated_at"])
        record(plan.workspace, user, "plan.approve", target=plan, details={"note": approval.note})
    return approval


def is_approved(plan: Plan) -> bool:
    """Approved in its current form: an approval of other hashes does not count."""
    return plan.approvals.filter(
        source_hash=plan.plan_json.get("source_hash", ""),
        target_hash=plan.plan_json.get("target_hash", ""),
    ).exists()


# --- apply and roll back ------------------------------------------------------------------


def _check_guardrails(plan: Plan, accept_hazards, allow_destructive: bool) -> list[str]:
    accepted = set(accept_hazards)
    missing = [h for h in plan.hazards if h != "DATA_LOSS" and h not in accepted]
    reasons = []
    if plan.destructive and not allow_destructive:
        reasons.append("it drops data: tick “Allow destructive operations”")
    if missing:
        reasons.append(f"accept every hazard first (not accepted: {', '.join(missing)})")
    if reasons:
        raise ActionRefused("Not applied: " + "; ".join(reasons) + ".")
    return sorted(accepted & set(plan.hazards) | ({"DATA_LOSS"} if allow_destructive else set()))


def _start(plan: Plan, user, kind: str, *, accepted: list[str], allow_destructive: bool):
    from apps.jobs.actions import do_start_run

    if not plan.plan_json:
        raise ActionRefused(
            "This plan was never computed (planning failed): plan again.",
            code="not_computed",
            conflict=True,
        )

    execution = PlanExecution.objects.create(
        plan=plan,
        kind=kind,
        accepted_hazards=accepted,
        allow_destructive=allow_destructive,
        requested_by=user,
        prior_state=plan.state,
    )
    plan.state = State.APPLYING if kind == PlanExecution.Kind.APPLY else State.ROLLING_BACK
    plan.updated_at = timezone.now()
    plan.save(update_fields=["state", "updated_at"])
    run = do_start_run(
        plan.workspace,
        user,
        kind,
        target=plan,
        params={"plan_id": plan.pk, "execution_id": execution.pk},
        task=f"nublox.jobs.{kind}",
    )
    execution.run = run
    execution.save(update_fields=["run"])
    details = {"execution": execution.pk, "hazards": accepted, "destructive": allow_destructive}
    record(plan.workspace, user, f"{kind}.request", target=plan, details=details)
    return execution


def do_apply(plan: Plan, user, *, accept_hazards=(), allow_destructive=False) -> PlanExecution:
    """Queue an apply (nublox.jobs.apply) after the checks a person can fix right here."""
    _require(plan.workspace, user, Action.APPLY)
    do_reconcile(plan)
    with transaction.atomic():
        plan = _locked(plan)
        if plan.state not in STARTABLE[PlanExecution.Kind.APPLY]:
            raise _state_refusal(plan, "applied")
        if approvals_required(plan.workspace) and not is_approved(plan):
            raise ActionRefused(
                "This workspace requires an approval before a plan is applied: ask a member "
                "who may approve to review it.",
                code="approval_required",
                conflict=True,
            )
        accepted = _check_guardrails(plan, accept_hazards, allow_destructive)
        return _start(
            plan,
            user,
            PlanExecution.Kind.APPLY,
            accepted=accepted,
            allow_destructive=allow_destructive,
        )


def do_rollback(plan: Plan, user, *, allow_destructive=False) -> PlanExecution:
    """Queue a rollback (nublox.jobs.rollback) of what the journal says was applied."""
    _require(plan.workspace, user, Action.APPLY)
    do_reconcile(plan)
    with transaction.atomic():
        plan = _locked(plan)
        if plan.state not in STARTABLE[PlanExecution.Kind.ROLLBACK]:
            raise _state_refusal(plan, "rolled back")
        return _start(
            plan,
            user,
            PlanExecution.Kind.ROLLBACK,
            accepted=[],
            allow_destructive=allow_destructive,
        )


def do_mark_running(execution: PlanExecution) -> bool:
    """Claim the execution for a task; False when it already finished (a retried task)."""
    claimed = PlanExecution.objects.filter(
        pk=execution.pk, outcome__in=(Outcome.PENDING, Outcome.RUNNING)
    ).update(outcome=Outcome.RUNNING)
    return claimed == 1


def do_finish_execution(
    execution: PlanExecution, *, report=None, refused: str = "", error: str = ""
) -> PlanExecution:
    """Record an engine report (or a refusal / failure before one) on the execution and
    the plan, audited as `apply` or `rollback` with the outcome."""
    with transaction.atomic():
        execution = PlanExecution.objects.select_for_update().get(pk=execution.pk)
        plan = _locked(execution.plan)
        if report is not None:
            if report.status == "noop":
                state, outcome = NOOP_STATE[execution.kind], Outcome.NOOP
            else:
                state, outcome = FINISHED[report.status]
            execution.report, execution.message = report.to_json(), report.message
        elif refused:
            state, outcome, execution.message = execution.prior_state, Outcome.REFUSED, refused
        else:
            state, outcome, execution.message = State.FAILED, Outcome.FAILED, error
        execution.outcome, execution.finished_at = outcome, timezone.now()
        execution.save()
        plan.state, plan.updated_at = state or State.DRAFT, timezone.now()
        plan.save(update_fields=["state", "updated_at"])
        audit_outcome = {Outcome.REFUSED: "refused", Outcome.FAILED: "failed"}.get(outcome, "ok")
        details = {"execution": execution.pk, "outcome": outcome, "message": execution.message}
        record(
            plan.workspace,
            execution.requested_by,
            execution.kind,
            target=plan,
            outcome=audit_outcome,
            details=details,
        )
    return execution


# --- a worker that died -------------------------------------------------------------------

BUSY = (State.PLANNING, State.APPLYING, State.ROLLING_BACK)


def _closed_run(plan: Plan):
    """The run the plan is waiting for, if that run is already closed (its worker died and
    the jobs reaper failed it, or it was cancelled); else None."""
    if plan.state == State.PLANNING:
        run = plan.planning_run
    else:
        latest = plan.executions.select_related("run").first()
        run = latest.run if latest is not None else None
    return run if run is not None and not run.is_open else None


def do_reconcile(plan: Plan) -> Plan:
    """Close a plan whose run ended without its task reporting back (a dead worker): the
    plan becomes failed with the run's reason, so it can be planned, applied (the engine's
    journal resumes) or rolled back again instead of staying busy for ever."""
    if plan.state not in BUSY or _closed_run(plan) is None:
        return plan
    with transaction.atomic():
        plan = _locked(plan)
        run = _closed_run(plan) if plan.state in BUSY else None
        if run is None:
            return plan
        reason = run.error or f"the {run.kind} job ended without a result"
        if plan.state != State.PLANNING:
            execution = plan.executions.first()
            PlanExecution.objects.filter(pk=execution.pk).update(
                outcome=Outcome.FAILED, message=reason, finished_at=timezone.now()
            )
        plan.state, plan.error, plan.updated_at = State.FAILED, reason, timezone.now()
        plan.save(update_fields=["state", "error", "updated_at"])
        record(
            plan.workspace,
            None,
            "plan.reconcile",
            target=plan,
            outcome="failed",
            details={"run": run.pk, "error": reason},
        )
    return plan
