"""A channel layer kept in the platform database, for the embedded default (no Redis).

channels' InMemoryChannelLayer lives inside one process, but the embedded default runs the
Celery worker and daphne as separate processes: progress published by a task would never
reach a websocket. This layer stores messages and group memberships in two small tables
(apps.jobs.models.LayerMessage / LayerGroup) that every process of the installation shares.

Receiving polls (every `poll_interval` seconds, 0.2 by default): fine for job progress, not
for chat-grade traffic — production sets REDIS_URL and gets channels_redis instead. A
message is claimed by deleting its row, so exactly one receiver gets it. Messages older
than `expiry` and memberships older than `group_expiry` are swept now and then.

Database work runs through `sync_to_async` on the thread-sensitive executor, so a publisher
in a sync context (a Celery task, a test inside a transaction) uses its own connection.
Messages must be JSON-serialisable (ours are: apps.jobs.messages).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from datetime import timedelta

from asgiref.sync import sync_to_async
from channels.exceptions import ChannelFull
from channels.layers import BaseChannelLayer
from django.db import DatabaseError, connection
from django.utils import timezone

logger = logging.getLogger(__name__)


def _models():
    from apps.jobs.models import LayerGroup, LayerMessage  # apps are ready by first use

    return LayerMessage, LayerGroup


class DatabaseChannelLayer(BaseChannelLayer):
    extensions = ["groups", "flush"]

    def __init__(
        self,
        expiry: int = 60,
        group_expiry: int = 86400,
        capacity: int = 100,
        channel_capacity=None,
        poll_interval: float = 0.2,
        sweep_every: float = 30.0,
    ):
        super().__init__(expiry=expiry, capacity=capacity, channel_capacity=channel_capacity)
        self.channel_capacity = self.compile_capacities(self.channel_capacity)
        self.group_expiry = group_expiry
        self.poll_interval = poll_interval
        self.sweep_every = sweep_every
        self.client_prefix = uuid.uuid4().hex[:12]
        self._last_sweep = 0.0

    # ---------------------------------------------------------------- channels
    async def send(self, channel: str, message: dict) -> None:
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_channel_name(channel)
        await sync_to_async(self._send)(channel, json.dumps(message))

    def _send(self, channel: str, body: str) -> None:
        LayerMessage, _ = _models()
        now = timezone.now()
        waiting = LayerMessage.objects.filter(channel=channel, expires_at__gt=now).count()
        if waiting >= self.get_capacity(channel):
            raise ChannelFull(channel)
        LayerMessage.objects.create(
            channel=channel, body=body, expires_at=now + timedelta(seconds=self.expiry)
        )

    async def receive(self, channel: str) -> dict:
        self.require_valid_channel_name(channel)
        while True:
            try:
                body = await sync_to_async(self._take)(channel)
            except DatabaseError:
                logger.warning("channel layer: database unavailable, retrying")
                await sync_to_async(connection.close_if_unusable_or_obsolete)()
                await asyncio.sleep(self.poll_interval * 10)
                continue
            if body is not None:
                return json.loads(body)
            await asyncio.sleep(self.poll_interval)

    def _take(self, channel: str) -> str | None:
        LayerMessage, _ = _models()
        self._maybe_sweep()
        waiting = LayerMessage.objects.filter(channel=channel, expires_at__gt=timezone.now())
        for pk, body in waiting.order_by("pk").values_list("pk", "body")[:10]:
            if LayerMessage.objects.filter(pk=pk).delete()[0]:
                return body  # deleted by us: ours alone
        return None

    async def new_channel(self, prefix: str = "specific") -> str:
        return f"{prefix}.{self.client_prefix}.{uuid.uuid4().hex}"

    # ---------------------------------------------------------------- groups
    async def group_add(self, group: str, channel: str) -> None:
        self.require_valid_group_name(group)
        self.require_valid_channel_name(channel)
        await sync_to_async(self._group_add)(group, channel)

    def _group_add(self, group: str, channel: str) -> None:
        _, LayerGroup = _models()
        expires_at = timezone.now() + timedelta(seconds=self.group_expiry)
        LayerGroup.objects.update_or_create(
            group=group, channel=channel, defaults={"expires_at": expires_at}
        )

    async def group_discard(self, group: str, channel: str) -> None:
        self.require_valid_group_name(group)
        self.require_valid_channel_name(channel)
        await sync_to_async(self._group_discard)(group, channel)

    def _group_discard(self, group: str, channel: str) -> None:
        _, LayerGroup = _models()
        LayerGroup.objects.filter(group=group, channel=channel).delete()

    async def group_send(self, group: str, message: dict) -> None:
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_group_name(group)
        await sync_to_async(self._group_send)(group, json.dumps(message))

    def _group_send(self, group: str, body: str) -> None:
        _, LayerGroup = _models()
        self._maybe_sweep()  # publishers sweep too: receivers may all be gone
        members = LayerGroup.objects.filter(group=group, expires_at__gt=timezone.now())
        for channel in members.values_list("channel", flat=True):
            try:
                self._send(channel, body)
            except ChannelFull:
                logger.info("channel layer: %s is full, message to %s dropped", channel, group)

    # ---------------------------------------------------------------- housekeeping
    async def flush(self) -> None:
        await sync_to_async(self._flush)()

    def _flush(self) -> None:
        LayerMessage, LayerGroup = _models()
        LayerMessage.objects.all().delete()
        LayerGroup.objects.all().delete()

    def _maybe_sweep(self) -> None:
        if time.monotonic() - self._last_sweep < self.sweep_every:
            return
        self._last_sweep = time.monotonic()
        LayerMessage, LayerGroup = _models()
        now = timezone.now()
        LayerMessage.objects.filter(expires_at__lte=now).delete()
        LayerGroup.objects.filter(expires_at__lte=now).delete()

    async def close(self) -> None:
        """Nothing to release: connections belong to Django."""
