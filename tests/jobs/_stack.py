"""Helpers to run the platform as separate processes: migrate, a Celery worker, daphne, and
short Django scripts, all on one environment (a data folder, optionally DATABASE_URL and
REDIS_URL), the way the embedded default and the production parts run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CELERY_", "DJANGO_", "PYTEST_")) and k not in ("REDIS_URL",)
    }
    env.pop("DATABASE_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="nublox.settings",
        NUBLOX_DATA_DIR=str(data_dir),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    return out.stdout


def script(env: dict[str, str], code: str, timeout: float = 120):
    """Run `code` in a fresh Django process; it prints one JSON line starting with 'OUT '."""
    prelude = "import django, json\ndjango.setup()\n"
    out = subprocess.run(
        [PY, "-c", prelude + code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    lines = [line for line in out.stdout.splitlines() if line.startswith("OUT ")]
    assert lines, out.stdout[-2000:] + out.stderr[-2000:]
    return json.loads(lines[-1][4:])


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [PY, "-m", "celery", "-A", "nublox", "worker", "--pool", "solo", "--loglevel", "INFO",
         "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_daphne(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [PY, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "nublox.asgi:application"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("daphne did not start: " + log.read_text()[-3000:])


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def wait_for(condition, what: str, timeout: float = 90, every: float = 0.3):
    """Poll `condition()` until it returns something truthy; fail with `what` otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


SETUP = """
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from apps.workspaces.actions import do_create_workspace
User = get_user_model()
def signed_in(email, slug):
    user = User.objects.create_user(username=email, email=email, password="pw-" + slug)
    do_create_workspace(user, slug.title(), slug)
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value
print("OUT " + json.dumps({
    "cookie": settings.SESSION_COOKIE_NAME,
    "acme": signed_in("owner@acme.test", "acme"),
    "globex": signed_in("owner@globex.test", "globex"),
}))
"""

START = """
from apps.jobs.actions import do_start_run
from apps.workspaces.models import Workspace
ws = Workspace.objects.get(slug="acme")
run = do_start_run(ws, ws.created_by, "sleep", params=PARAMS, task="nublox.jobs.sleep")
print("OUT " + json.dumps(run.pk))
"""

STATE = """
from apps.jobs.models import Run
run = Run.objects.get(pk=RUN_ID)
print("OUT " + json.dumps({"state": run.state, "step": run.step, "error": run.error,
                           "percent": run.percent, "logs": run.logs.count()}))
"""

REAP_LATER = """
from datetime import timedelta
from django.utils import timezone
from apps.jobs.actions import reap_stale_runs
print("OUT " + json.dumps(reap_stale_runs(now=timezone.now() + timedelta(seconds=61))))
"""


@dataclass
class Site:
    env: dict
    port: int
    cookie: str
    sessions: dict
    worker: object
    logs: Path

    def start(self, **params) -> int:
        return script(self.env, START.replace("PARAMS", repr(params)))

    def state(self, run_id: int) -> dict:
        return script(self.env, STATE.replace("RUN_ID", str(run_id)))

    def stream(self, run_id: int, who: str = "acme", host: str = "acme"):
        authority = f"{host}.localhost:{self.port}"
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        return connect(
            f"ws://{authority}/ws/runs/{run_id}/",
            sock=sock,
            origin=f"http://{authority}",
            additional_headers={"Cookie": f"{self.cookie}={self.sessions[who]}"},
            open_timeout=30,
        )

    def page(self, path: str) -> str:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            headers={
                "Host": f"acme.localhost:{self.port}",
                "Cookie": f"{self.cookie}={self.sessions['acme']}",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read().decode()

    def worker_log(self) -> str:
        return (self.logs / "worker.log").read_text()[-4000:]


def site(tmp_path: Path, **extra: str):
    env = environment(tmp_path, **extra)
    manage(env, "migrate", "--no-input")
    accounts = script(env, SETUP)
    port = free_port()
    worker = start_worker(env, tmp_path / "worker.log")
    daphne = start_daphne(env, port, tmp_path / "daphne.log")
    sessions = {"acme": accounts["acme"], "globex": accounts["globex"]}
    site = Site(env, port, accounts["cookie"], sessions, worker, tmp_path)
    try:
        yield site
    finally:
        stop(daphne)
        stop(worker)
