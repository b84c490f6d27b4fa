"""Connections, their policies, and learning: what the Studio's connection pages do.

Same permissions as the pages: VIEW to read, MANAGE_CONNECTIONS to change a connection, test
it or learn it. Writes go through apps.connections.actions (audited there); "test" and
"learn" start runs (202 + the run's URL) that a script polls at /runs/{run_id}.

`/connections/policies` is declared before `/connections/{connection_id}` so the literal path
wins; a connection id is always a number, so the two can never be confused.
"""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Query, Router, Status

from apps.api.access import require_api
from apps.api.errors import ApiError, Conflict
from apps.api.fields import ObjectId
from apps.api.pagination import Page, PageQuery, cursor_page
from apps.api.routers.runs import accepted
from apps.api.schemas_conn import (
    CapabilitiesOut,
    ConnectionFilters,
    ConnectionIn,
    ConnectionOut,
    ConnectionPatch,
    DatabaseOut,
    LearnIn,
    PolicyOut,
    RunStarted,
)
from apps.connections import actions
from apps.connections.access import get_connection_for
from apps.connections.models import Connection
from apps.studio.explore import capabilities
from apps.workspaces.permissions import Action

router = Router(tags=["connections"])


def _name_free(request, name: str, connection: Connection | None = None) -> None:
    """A taken name is a state conflict (409), like a project's; the action re-checks."""
    name = name.strip()
    taken = Connection.objects.filter(workspace=request.workspace, name=name)
    if connection is not None:
        taken = taken.exclude(pk=connection.pk)
    if taken.exists():
        raise Conflict("name_taken", f"A connection named “{name}” already exists.", field="name")


def _owned(model_set, pk: int | None, field: str, what: str):
    """A policy or project of this workspace named in a body, or 400 naming the field."""
    if pk is None:
        return None
    found = model_set.filter(pk=pk).first()
    if found is None:
        raise ApiError(400, "invalid", f"There is no {what} {pk} in this workspace.", field=field)
    return found


@router.get(
    "", response=Page[ConnectionOut], operation_id="connections_list", summary="List connections"
)
def list_connections(request, filters: Query[ConnectionFilters], page: Query[PageQuery]):
    require_api(request, Action.VIEW)
    found = Connection.objects.filter(workspace=request.workspace)
    if filters.project is not None:
        found = found.filter(project_id=filters.project)
    if filters.status:
        found = found.filter(status=filters.status)
    if filters.family:
        found = found.filter(family=filters.family)
    return cursor_page(found, cursor=page.cursor, limit=page.limit, order="id")


@router.post(
    "",
    response={201: ConnectionOut},
    operation_id="connections_create",
    summary="Add a connection (the password goes to the secret store)",
)
def create_connection(request, payload: ConnectionIn):
    require_api(request, Action.MANAGE_CONNECTIONS)
    workspace = request.workspace
    _name_free(request, payload.name)
    policy = _owned(workspace.connection_policies, payload.policy_id, "policy_id", "policy")
    project = _owned(workspace.projects, payload.project_id, "project_id", "project")
    connection = actions.do_create_connection(
        workspace,
        request.user,
        payload.name,
        payload.url,
        password=payload.password or None,
        policy=policy,
        project=project,
    )
    return Status(201, connection)


@router.get(
    "/policies",
    response=list[PolicyOut],
    operation_id="connection_policies_list",
    summary="List the workspace's connection policies",
)
def list_policies(request):
    require_api(request, Action.VIEW)
    return list(request.workspace.connection_policies.order_by("name"))


@router.get(
    "/{connection_id}",
    response=ConnectionOut,
    operation_id="connections_get",
    summary="Read a connection",
)
def get_connection(request, connection_id: ObjectId):
    require_api(request, Action.VIEW)
    return get_connection_for(request, connection_id, Action.VIEW)


@router.patch(
    "/{connection_id}",
    response=ConnectionOut,
    operation_id="connections_update",
    summary="Change a connection (a new password replaces the stored one)",
)
def update_connection(request, connection_id: ObjectId, payload: ConnectionPatch):
    require_api(request, Action.MANAGE_CONNECTIONS)
    connection = get_connection_for(request, connection_id, Action.MANAGE_CONNECTIONS)
    sent = payload.model_fields_set
    if payload.password and payload.clear_password:
        raise ApiError(
            400, "invalid", "Send a new password or clear_password, not both.", field="password"
        )
    if "policy_id" in sent and payload.policy_id is None:
        raise ApiError(400, "invalid", "A connection always has a policy.", field="policy_id")
    for name in ("name", "url"):
        if name in sent and getattr(payload, name) is None:
            raise ApiError(400, "invalid", f"{name} cannot be null.", field=name)
    if payload.name is not None:
        _name_free(request, payload.name, connection)
    workspace = request.workspace
    changes = {
        "name": payload.name,
        "url": payload.url,
        "password": payload.password or None,
        "clear_password": payload.clear_password,
        "policy": _owned(workspace.connection_policies, payload.policy_id, "policy_id", "policy"),
    }
    if "project_id" in sent:
        changes["project"] = _owned(workspace.projects, payload.project_id, "project_id", "project")
    return actions.do_update_connection(connection, request.user, **changes)


@router.delete(
    "/{connection_id}",
    response={204: None},
    operation_id="connections_delete",
    summary="Delete a connection, its learned databases and its stored password",
)
def delete_connection(request, connection_id: ObjectId):
    require_api(request, Action.MANAGE_CONNECTIONS)
    connection = get_connection_for(request, connection_id, Action.MANAGE_CONNECTIONS)
    actions.do_delete_connection(connection, request.user)
    return Status(204, None)


@router.post(
    "/{connection_id}/test",
    response={202: RunStarted},
    operation_id="connections_test",
    summary="Connect once through the policy and ping (a run)",
)
def test_connection(request, connection_id: ObjectId, response: HttpResponse):
    require_api(request, Action.MANAGE_CONNECTIONS)
    connection = get_connection_for(request, connection_id, Action.MANAGE_CONNECTIONS)
    return accepted(response, actions.do_start_test(connection, request.user))


@router.post(
    "/{connection_id}/learn",
    response={202: RunStarted},
    operation_id="connections_learn",
    summary="Learn the server and its databases (a run)",
)
def learn_connection(
    request, connection_id: ObjectId, response: HttpResponse, payload: LearnIn | None = None
):
    require_api(request, Action.MANAGE_CONNECTIONS)
    connection = get_connection_for(request, connection_id, Action.MANAGE_CONNECTIONS)
    databases = payload.databases if payload and payload.databases else ()
    return accepted(response, actions.do_start_learn(connection, request.user, databases))


@router.get(
    "/{connection_id}/capabilities",
    response=CapabilitiesOut,
    operation_id="connections_capabilities",
    summary="Server facts and the capability matrix with its evidence",
)
def connection_capabilities(request, connection_id: ObjectId):
    require_api(request, Action.VIEW)
    connection = get_connection_for(request, connection_id, Action.VIEW)
    data = connection.capability_json
    if not data:
        raise Conflict(
            "not_learned",
            f"“{connection.name}” has not been learned yet: "
            f"POST /api/v1/connections/{connection.pk}/learn first.",
        )
    return {
        "connection_id": connection.pk,
        "server_fingerprint": connection.server_fingerprint,
        "last_learned_at": connection.last_learned_at,
        "facts": [
            {"label": label, "value": value} for label, value in capabilities.server_facts(data)
        ],
        "sections": capabilities.matrix(data),
        "server": data,
    }


@router.get(
    "/{connection_id}/databases",
    response=Page[DatabaseOut],
    operation_id="connections_databases",
    summary="The databases learned on a connection",
)
def connection_databases(request, connection_id: ObjectId, page: Query[PageQuery]):
    require_api(request, Action.VIEW)
    connection = get_connection_for(request, connection_id, Action.VIEW)
    found = connection.databases.only(
        "id", "name", "status", "profile_hash", "learned_at", "last_error"
    )
    return cursor_page(found, cursor=page.cursor, limit=page.limit, order="name")
