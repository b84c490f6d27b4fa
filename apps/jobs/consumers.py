"""The websocket stream of one run: `ws/runs/<run_id>/` on the workspace's own host.

Like the HTTP middleware, the workspace comes from the Host header's subdomain, and the
user must be signed in (session cookie, AuthMiddlewareStack), a member there with a role
allowed Action.VIEW, and the run must belong to that workspace. Anything else is accepted
and closed at once with code 4403, so the browser sees why and does not retry; nothing
about the run is sent. Membership is checked again before each forwarded event
(paperless-ngx's consumer does the same), so a member removed mid-run stops receiving.

The client gets the stored run and its log first (`run.snapshot`), then live events. The
group is joined before the snapshot is read, so nothing falls between; a log line may
arrive twice and clients drop lines whose seq they already have.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from apps.jobs import messages
from apps.jobs.models import Run, group_name
from apps.workspaces.hosts import slug_from_host
from apps.workspaces.models import Membership
from apps.workspaces.permissions import Action, can

REFUSED = 4403


def _host(scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"host":
            return value.decode("latin-1")
    return ""


def allowed(user, slug: str | None, run_id: int) -> bool:
    """May `user`, on workspace host `slug`, watch run `run_id`?"""
    if not slug or "." in slug or not getattr(user, "is_authenticated", False):
        return False
    membership = (
        Membership.objects.filter(user=user, workspace__slug=slug).only("role", "workspace").first()
    )
    if membership is None or not can(membership.role, Action.VIEW):
        return False
    return Run.objects.filter(pk=run_id, workspace_id=membership.workspace_id).exists()


class RunConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.run_id = int(self.scope["url_route"]["kwargs"]["run_id"])
        self.slug = slug_from_host(_host(self.scope))
        self.group = group_name(self.run_id)
        await self.accept()
        if not await self._allowed():
            await self.close(code=REFUSED)
            return
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json(await self._snapshot())

    async def disconnect(self, code: int) -> None:
        if getattr(self, "group", None) and self.channel_layer is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def _allowed(self) -> bool:
        return await database_sync_to_async(allowed)(self.scope.get("user"), self.slug, self.run_id)

    @database_sync_to_async
    def _snapshot(self) -> messages.SnapshotMessage:
        return messages.snapshot(Run.objects.get(pk=self.run_id))

    async def _forward(self, event: dict) -> None:
        if await self._allowed():
            await self.send_json(event)
        else:
            await self.close(code=REFUSED)

    async def run_progress(self, event: messages.ProgressMessage) -> None:
        await self._forward(event)

    async def run_log(self, event: messages.LogMessage) -> None:
        await self._forward(event)

    async def run_mark(self, event: messages.MarkMessage) -> None:
        await self._forward(event)

    async def run_finished(self, event: messages.FinishedMessage) -> None:
        await self._forward(event)
