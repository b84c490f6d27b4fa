"""Schemas of the connections and runs endpoints.

A password is input only: `ConnectionIn` and `ConnectionPatch` take one, and nothing that
goes out has a field that could hold it (`has_password` says whether one is stored).
Inputs forbid unknown fields, so a misspelt "pasword" is a 400 naming it, not a silently
passwordless connection.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from apps.api.fields import BIGINT, ObjectId, text
from apps.connections.models import Connection
from apps.jobs.models import Run

DatabaseName = text(200, min_length=1)
ConnectionName = text(100, min_length=1)
ConnectionUrl = text(500, min_length=1)
Password = text(1000)
ShortText = text(40)
#: A RunLog seq (0 = before the first line).
Seq = Annotated[int, Field(ge=0, le=BIGINT)]
ConnectionStatus = Literal["new", "learning", "ok", "failing"]
DatabaseStatus = Literal["ok", "failing"]
RunState = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class _Input(Schema):
    model_config = ConfigDict(extra="forbid")


# --- connections ----------------------------------------------------------------------------


class ConnectionIn(_Input):
    name: ConnectionName
    url: ConnectionUrl = Field(
        ...,
        description="postgresql://user@host:5432/db, mysql://…, sqlite:////path/file.db "
        "— without the password",
    )
    password: Password | None = Field(
        None, description="goes to the secret store", json_schema_extra={"writeOnly": True}
    )
    policy_id: ObjectId | None = Field(None, description="default: the workspace's Default policy")
    project_id: ObjectId | None = None


class ConnectionPatch(_Input):
    """Only the fields sent change. `project_id: null` detaches the project."""

    name: ConnectionName | None = None
    url: ConnectionUrl | None = None
    password: Password | None = Field(
        None, description="replaces the stored one", json_schema_extra={"writeOnly": True}
    )
    clear_password: bool = Field(False, description="remove the stored password")
    policy_id: ObjectId | None = None
    project_id: ObjectId | None = None


class ConnectionOut(Schema):
    id: int
    name: str
    url: str
    family: str
    host: str
    port: int | None
    username: str
    project_id: int | None
    policy_id: int
    status: ConnectionStatus
    last_error: str
    last_learned_at: datetime | None
    server_fingerprint: str
    has_password: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_has_password(obj: Connection) -> bool:
        return obj.secret_id is not None


class ConnectionFilters(Schema):
    project: ObjectId | None = Field(None, description="project id")
    status: ConnectionStatus | None = None
    family: ShortText | None = Field(
        None,
        description="the engine's family: postgres, mysql (also MariaDB), sqlite",
    )


class PolicyOut(Schema):
    id: int
    name: str
    require_tls_remote: bool
    allow_plaintext_loopback: bool
    ca_file: str
    pinned_sha256: str
    connect_timeout_s: int
    statement_timeout_s: int
    max_sessions: int
    created_at: datetime
    updated_at: datetime


class LearnIn(_Input):
    databases: list[DatabaseName] | None = Field(
        None,
        max_length=500,
        description="database names; default every user database on the server",
    )


class DatabaseOut(Schema):
    id: int
    name: str
    status: DatabaseStatus
    profile_hash: str
    learned_at: datetime | None
    last_error: str


class CapabilityEntryOut(Schema):
    name: str
    description: str
    verdict: Literal["yes", "no", "unknown", "value"]
    value: str
    method: str
    statements: list[str]
    answer: str
    error: str
    note: str
    elapsed_ms: float


class CapabilitySectionOut(Schema):
    title: str
    entries: list[CapabilityEntryOut]


class FactOut(Schema):
    label: str
    value: str


class CapabilitiesOut(Schema):
    connection_id: int
    server_fingerprint: str
    last_learned_at: datetime | None
    facts: list[FactOut]
    sections: list[CapabilitySectionOut]
    server: dict[str, Any] = Field(
        ..., description="what the engine stored, as it stored it (LearnedServer.to_json())"
    )


# --- runs -----------------------------------------------------------------------------------


class RunOut(Schema):
    id: int
    kind: str
    state: RunState
    percent: int
    step: str
    target_type: str
    target_id: str
    target_label: str
    params: dict[str, Any]
    result: Any = None
    error: str
    marks: dict[str, Any] = Field(
        default_factory=dict, description="status of the parts of the work, e.g. per operation"
    )
    created_by: str | None = Field(None, description="the starter's email")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None

    @staticmethod
    def resolve_created_by(obj: Run) -> str | None:
        return obj.created_by.email if obj.created_by_id else None


class RunStarted(Schema):
    """The answer of every endpoint that starts long work (status 202, Location: url)."""

    run: RunOut
    url: str


class RunFilters(Schema):
    state: RunState | None = None
    kind: ShortText | None = Field(
        None, description="e.g. learn, test_connection, snapshot, plan, apply, rollback"
    )


class RunLogOut(Schema):
    seq: int
    at: datetime
    line: str
