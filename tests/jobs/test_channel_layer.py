"""The database channel layer (nublox/channel_layer.py): channels' layer contract in one
process, and a message crossing from one process to another as the worker and daphne do."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from django.utils import timezone

from apps.jobs.models import LayerGroup, LayerMessage
from nublox.channel_layer import DatabaseChannelLayer
from tests.jobs import _stack

pytestmark = pytest.mark.django_db(transaction=True)


def layer(**options) -> DatabaseChannelLayer:
    return DatabaseChannelLayer(poll_interval=0.01, **options)


def run(coro_fn, *args):
    return async_to_sync(coro_fn)(*args)


def test_the_default_layer_without_redis_is_the_database_layer(settings):
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    assert backend == "nublox.channel_layer.DatabaseChannelLayer"


def test_send_then_receive_in_order_and_once():
    lay = layer()
    channel = run(lay.new_channel)
    assert channel.startswith("specific.") and channel != run(lay.new_channel)
    run(lay.send, channel, {"type": "a", "n": 1})
    run(lay.send, channel, {"type": "a", "n": 2})
    assert run(lay.receive, channel)["n"] == 1
    assert run(lay.receive, channel)["n"] == 2
    assert not LayerMessage.objects.exists()


def test_group_send_reaches_members_only():
    lay = layer()
    one, two, other = (run(lay.new_channel) for _ in range(3))
    for channel in (one, two):
        run(lay.group_add, "run-7", channel)
    run(lay.group_add, "run-8", other)
    run(lay.group_discard, "run-7", two)
    run(lay.group_send, "run-7", {"type": "run.progress", "percent": 50})
    assert run(lay.receive, one) == {"type": "run.progress", "percent": 50}
    assert set(LayerMessage.objects.values_list("channel", flat=True)) == set()
    assert LayerGroup.objects.filter(group="run-7").count() == 1


def test_a_full_channel_refuses_direct_sends_and_group_sends_drop():
    lay = layer(capacity=2)
    channel = run(lay.new_channel)
    run(lay.group_add, "g", channel)
    run(lay.send, channel, {"type": "x"})
    run(lay.send, channel, {"type": "x"})
    with pytest.raises(ChannelFull):
        run(lay.send, channel, {"type": "x"})
    run(lay.group_send, "g", {"type": "dropped"})
    assert LayerMessage.objects.filter(channel=channel).count() == 2


def test_expired_messages_and_memberships_are_not_delivered_and_get_swept():
    lay = layer(sweep_every=0)
    channel = run(lay.new_channel)
    past = timezone.now() - timedelta(seconds=1)
    LayerMessage.objects.create(channel=channel, body='{"type": "old"}', expires_at=past)
    LayerGroup.objects.create(group="g", channel=channel, expires_at=past)
    run(lay.group_send, "g", {"type": "to-expired-member"})
    run(lay.send, channel, {"type": "new"})
    assert run(lay.receive, channel) == {"type": "new"}
    assert not LayerMessage.objects.exists() and not LayerGroup.objects.exists()


def test_flush_empties_both_tables():
    lay = layer()
    channel = run(lay.new_channel)
    run(lay.group_add, "g", channel)
    run(lay.send, channel, {"type": "x"})
    run(lay.flush)
    assert not LayerMessage.objects.exists() and not LayerGroup.objects.exists()


def test_bad_names_are_refused():
    lay = layer()
    with pytest.raises(TypeError):
        run(lay.group_add, "run 7", "specific.x")
    with pytest.raises(TypeError):
        run(lay.send, "bad name", {"type": "x"})


RECEIVER = """
import asyncio, sys
from channels.layers import get_channel_layer
async def main():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("run-42", channel)
    print("READY", flush=True)
    message = await asyncio.wait_for(layer.receive(channel), 60)
    print("OUT " + json.dumps({"got": message, "layer": type(layer).__name__}), flush=True)
asyncio.run(main())
"""

SENDER = """
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
async_to_sync(get_channel_layer().group_send)("run-42", {"type": "run.progress", "percent": 60})
print("OUT {}")
"""


def test_a_message_crosses_processes_through_the_platform_database(tmp_path):
    _cross_processes(_stack.environment(tmp_path))


@pytest.mark.services
def test_the_database_layer_also_works_on_postgresql(tmp_path, fresh_pg_database):
    """DATABASE_URL without REDIS_URL: the layer's tables live in PostgreSQL."""
    _cross_processes(_stack.environment(tmp_path, DATABASE_URL=fresh_pg_database))


def _cross_processes(env: dict) -> None:
    tmp_path = Path(env["NUBLOX_DATA_DIR"])
    _stack.manage(env, "migrate", "--no-input")
    log = tmp_path / "receiver.log"
    prelude = "import django, json\ndjango.setup()\n"
    receiver = subprocess.Popen(
        [_stack.PY, "-c", prelude + RECEIVER], cwd=_stack.ROOT, env=env,
        stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _stack.wait_for(lambda: "READY" in log.read_text() or receiver.poll() is not None, "ready")
        assert receiver.poll() is None, log.read_text()
        _stack.script(env, SENDER)
        assert receiver.wait(timeout=90) == 0, log.read_text()
    finally:
        _stack.stop(receiver)
    out = [line for line in log.read_text().splitlines() if line.startswith("OUT ")]
    assert out, log.read_text()
    result = json.loads(out[0][4:])
    assert result == {
        "got": {"type": "run.progress", "percent": 60},
        "layer": "DatabaseChannelLayer",
    }
