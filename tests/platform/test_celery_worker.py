"""A real Celery worker consumes tasks: from files (embedded default) and from Redis."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PING = """
import django, os
django.setup()
from nublox.celery import ping
print("RESULT", ping.delay().get(timeout=60))
"""


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DJANGO_"))}
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    env.update(DJANGO_SETTINGS_MODULE="nublox.settings", **extra)
    return env


def _round_trip(env: dict[str, str]) -> str:
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "nublox", "worker", "--pool", "solo",
         "--loglevel", "WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        out = subprocess.run(
            [sys.executable, "-c", PING], cwd=ROOT, env=env, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
    finally:
        worker.terminate()
        logs = worker.communicate(timeout=30)[0]
    assert out.returncode == 0, out.stderr[-2000:] + "\nworker: " + logs[-2000:]
    return out.stdout


def test_embedded_filesystem_broker(tmp_path):
    out = _round_trip(_clean_env(NUBLOX_DATA_DIR=str(tmp_path)))
    assert "RESULT pong" in out
    assert (tmp_path / "celery" / "queue").is_dir()


@pytest.mark.services
def test_redis_broker(tmp_path, redis_url):
    out = _round_trip(_clean_env(NUBLOX_DATA_DIR=str(tmp_path), REDIS_URL=redis_url))
    assert "RESULT pong" in out
    import redis

    assert redis.Redis.from_url(redis_url).keys("celery-task-meta-*"), "result not in Redis"
    assert not (tmp_path / "celery" / "queue").exists(), "the file broker was set up"
