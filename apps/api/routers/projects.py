"""Projects: list and read (any member), create and update (MANAGE_CONNECTIONS, as the
pages). Writes go through apps.workspaces.actions.do_save_project (audited there)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict

from apps.api.access import require_api
from apps.api.errors import ApiError, Conflict
from apps.api.fields import ObjectId, text
from apps.api.pagination import Page, PageQuery, cursor_page
from apps.workspaces import actions
from apps.workspaces.access import get_project_for
from apps.workspaces.models import Project
from apps.workspaces.permissions import Action

router = Router(tags=["projects"])

Name = text(100, min_length=1)
Description = text(5000)


class ProjectOut(Schema):
    id: int
    name: str
    description: str
    created_at: datetime
    connections: int


class ProjectIn(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 400, not ignored

    name: Name
    description: Description = ""


class ProjectPatch(Schema):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 400, not ignored

    name: Name | None = None
    description: Description | None = None


def project_out(project: Project) -> dict:
    count = getattr(project, "connection_count", None)  # annotated on lists
    return {
        "id": project.pk,
        "name": project.name,
        "description": project.description,
        "created_at": project.created_at,
        "connections": project.connections.count() if count is None else count,
    }


def _save(request, name: str, description: str, project: Project | None = None) -> Project:
    name = name.strip()
    if not name:
        raise ApiError(400, "invalid", "A project needs a name.", field="name")
    taken = request.workspace.projects.filter(name=name)
    if project is not None:
        taken = taken.exclude(pk=project.pk)
    if taken.exists():
        raise Conflict("name_taken", f"A project named “{name}” already exists.", field="name")
    return actions.do_save_project(
        request.workspace, name, description, project=project, by=request.user
    )


@router.get(
    "",
    response=Page[ProjectOut],
    operation_id="projects_list",
    summary="List projects (oldest first)",
)
def projects_list(request, page: Query[PageQuery]):
    require_api(request, Action.VIEW)
    found = request.workspace.projects.annotate(connection_count=Count("connections"))
    result = cursor_page(found, cursor=page.cursor, limit=page.limit, order="id")
    return {"items": [project_out(p) for p in result["items"]], "next": result["next"]}


@router.post(
    "",
    response={201: ProjectOut},
    operation_id="projects_create",
    summary="Create a project",
)
def projects_create(request, payload: ProjectIn):
    require_api(request, Action.MANAGE_CONNECTIONS)
    return Status(201, project_out(_save(request, payload.name, payload.description)))


@router.get(
    "/{project_id}", response=ProjectOut, operation_id="projects_get", summary="Get a project"
)
def projects_get(request, project_id: ObjectId):
    return project_out(get_project_for(request, project_id, Action.VIEW))


@router.patch(
    "/{project_id}",
    response=ProjectOut,
    operation_id="projects_update",
    summary="Rename a project or change its description",
)
def projects_update(request, project_id: ObjectId, payload: ProjectPatch):
    project = get_project_for(request, project_id, Action.MANAGE_CONNECTIONS)
    name = project.name if payload.name is None else payload.name
    description = project.description if payload.description is None else payload.description
    return project_out(_save(request, name, description, project))
