"""A real Studio (daphne + Celery worker, embedded default) and headless Chromium.

The Studio runs as the README's run command would run it, in a temp data dir on a free
port; Playwright drives Debian's Chromium (it cannot download browsers here).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from email import message_from_bytes
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Studio:
    def __init__(self, data_dir: Path, port: int, env=None, worker=None) -> None:
        self.data_dir, self.port = data_dir, port
        self.apex = f"http://localhost:{port}"
        self.env = env  # the processes' environment, for Django scripts against this Studio
        self.worker = worker  # the Celery worker process (tests pause it to watch a run start)

    @contextlib.contextmanager
    def worker_paused(self):
        """Hold the worker (SIGSTOP) so a job stays queued until the block ends: a test can
        open the run's page and start watching before any progress happens, without timing."""
        os.kill(self.worker.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(self.worker.pid, signal.SIGCONT)

    def url(self, path: str = "/", slug: str | None = None) -> str:
        host = f"{slug}.localhost" if slug else "localhost"
        return f"http://{host}:{self.port}{path}"

    def mails(self) -> list:
        folder = self.data_dir / "mail"
        files = (
            sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime) if folder.exists() else []
        )
        messages = []
        for f in files:  # the file backend appends messages separated by a line of dashes
            for chunk in f.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    messages.append(message_from_bytes(chunk.strip()))
        return messages

    def wait_for_mail(self, to: str, pattern: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for msg in reversed(self.mails()):
                if to in msg["To"]:
                    body = msg.get_payload(decode=True).decode()
                    match = re.search(pattern, body)
                    if match:
                        return match.group(0)
            time.sleep(0.2)
        pytest.fail(f"no e-mail to {to} matching {pattern} within {timeout}s")


@pytest.fixture(scope="session")
def studio(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("studio")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    env.update(NUBLOX_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="nublox.settings")
    log = open(data_dir / "studio.log", "wb")  # noqa: SIM115 - closed at teardown
    for command in (["migrate", "--no-input", "-v", "0"], ["seed_demo"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True,
                       stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    procs = [
        subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                          "nublox.asgi:application"], cwd=ROOT, env=env, stdout=log,
                         stderr=subprocess.STDOUT),
        subprocess.Popen([sys.executable, "-m", "celery", "-A", "nublox", "worker", "--pool",
                          "solo", "--loglevel", "WARNING"], cwd=ROOT, env=env, stdout=log,
                         stderr=subprocess.STDOUT),
    ]  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or procs[0].poll() is not None:
                for p in procs:
                    p.kill()
                pytest.fail(
                    "the Studio did not start:\n" + (data_dir / "studio.log").read_text()[-3000:]
                )
            time.sleep(0.2)
    yield Studio(data_dir, port, env=env, worker=procs[1])
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
    log.close()


@pytest.fixture(scope="module")
def browser(chromium_path):
    """Module-scoped: Playwright's sync API keeps an asyncio loop running while it is open,
    which would break `asyncio.run()` in tests that run after the browser tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(15_000)
    p = context.new_page()
    yield p
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, keep a screenshot of every open page for the person reading CI output."""
    outcome = yield
    report = outcome.get_result()
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and page is not None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for i, p in enumerate(
            page.context.browser.contexts[-1].pages if page.context.browser else [page]
        ):
            try:
                p.screenshot(path=str(ARTIFACTS / f"FAILED-{item.name}-{i}.png"), full_page=True)
                print(f"failure screenshot: {p.url}")
            except Exception:
                pass
