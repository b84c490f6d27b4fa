"""Steps of the Studio flow in the browser, shared by the database families.

Each family says what differs (where its database is, what the table looks like in its
dialect, the desired-state SQL that adds a column); the steps are the same clicks a person
makes. Progress is watched the way a person would see it: the run's bar on the page, which
must move without the page reloading (see LiveWatch).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests._services import mariadb_connect

NEW_COLUMN = "loyalty_tier"
SLUG = "demo"


# --- the families -------------------------------------------------------------------------


@dataclass
class Family:
    """What the flow needs to know about one database family."""

    name: str  # folder of the screenshots, and the test id
    connection: str  # the connection's name in the Studio
    database: str  # the database the plan changes, as the Studio lists it
    table: str
    label: str  # the table as the explorer's tree lists it (schema-qualified where there is one)
    desired_sql: str  # the whole desired schema: the table as it is plus NEW_COLUMN
    query: str  # a read the SQL editor runs; its grid must show `expect`
    expect: str
    url: str = ""  # without the password; empty: the connection already exists (the demo's)
    password: str = ""


def split_password(url: str) -> tuple[str, str]:
    """(the URL without its password, the password): the form takes them apart."""
    parts = urlsplit(url)
    netloc = f"{parts.username}@{parts.hostname}:{parts.port}"
    return parts._replace(netloc=netloc).geturl(), unquote(parts.password or "")


def postgresql(url: str) -> Family:
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute("CREATE TABLE customer (id integer PRIMARY KEY, email text NOT NULL)")
        db.execute("INSERT INTO customer VALUES (1, 'ada@pg.example')")
    bare, password = split_password(url)
    return Family(
        name="postgresql",
        connection="Test PostgreSQL",
        database=urlsplit(url).path.lstrip("/"),
        table="customer",
        label="public.customer",
        desired_sql=(
            "CREATE TABLE customer (id integer PRIMARY KEY, email text NOT NULL, "
            f"{NEW_COLUMN} text);"
        ),
        query="SELECT email FROM customer ORDER BY id",
        expect="ada@pg.example",
        url=bare,
        password=password,
    )


def mariadb(url: str) -> Family:
    table = "CREATE TABLE customer (id int NOT NULL PRIMARY KEY, email varchar(200) NOT NULL{})"
    with mariadb_connect(url) as db, db.cursor() as cur:
        cur.execute(table.format(""))
        cur.execute("INSERT INTO customer VALUES (1, 'grace@maria.example')")
    bare, password = split_password(url)
    return Family(
        name="mariadb",
        connection="Test MariaDB",
        database=urlsplit(url).path.lstrip("/"),
        table="customer",
        label="customer",
        desired_sql=table.format(f", {NEW_COLUMN} varchar(20) NULL") + ";",
        query="SELECT email FROM customer ORDER BY id",
        expect="grace@maria.example",
        url=bare,
        password=password,
    )


def sqlite_demo(data_dir: Path) -> Family:
    """The demo's own sample database: its schema as the file holds it, plus a column."""
    path = data_dir / "demo" / "sample_store.sqlite3"
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
            "AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
        ).fetchall()
    db.close()
    statements = []
    for kind, name, sql in rows:
        if kind == "table" and name == "customers":
            head, _, _ = sql.rstrip().rpartition(")")
            sql = f"{head.rstrip()},\n    {NEW_COLUMN} TEXT\n)"
        statements.append(sql.strip() + ";")
    return Family(
        name="sqlite",
        connection="Sample store (SQLite)",
        database="main",
        table="customers",
        label="customers",
        desired_sql="\n\n".join(statements),
        query="SELECT email FROM customers ORDER BY id",
        expect="ada@example.com",
    )


# --- the browser ---------------------------------------------------------------------------


STEPS = (
    "signed-in", "connection-form", "connection", "learned", "explorer-table", "sql-editor",
    "plan-form", "plan", "approved", "applied", "explorer-new-column", "audit",
)  # fmt: skip


class Shots:
    """Screenshots of each step, numbered by STEPS so the families' folders line up:
    artifacts for a person, not assertions."""

    def __init__(self, page, folder: Path) -> None:
        self.page, self.folder = page, folder
        folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, step: str) -> None:
        name = f"{STEPS.index(step) + 1:02d}-{step}.png"
        self.page.screenshot(path=str(self.folder / name), full_page=True)


def wait_until(page, condition: Callable[[], object], what: str, timeout: float = 90):
    """Let Playwright deliver events (frames, bindings) until `condition()` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        page.wait_for_timeout(100)
    pytest.fail(f"timed out waiting for {what}")


OBSERVE = """token => {
  window.e2eToken = token;
  const bar = document.querySelector('[data-run-field=percent]');
  const box = bar.closest('[data-run-progress]');
  const report = () =>
    window.e2eReport(token, window.e2eToken, Number(bar.value), box.dataset.state);
  const watch = {attributes: true, childList: true, characterData: true, subtree: true};
  new MutationObserver(report).observe(bar, watch);
  new MutationObserver(report).observe(box, {attributes: true, attributeFilter: ['data-state']});
  return {percent: Number(bar.value), state: box.dataset.state, run: box.dataset.runProgress};
}"""


class LiveWatch:
    """Proof that a run's progress reached the page live, over the websocket.

    The page's progress bar is observed from inside the document that was open when the
    run was queued; every change is reported with a token set in that document only. A
    report of 100 % carrying the token means the bar moved to the end in the same document,
    i.e. without a reload. The websocket frames are kept as well, to say what arrived.
    """

    def __init__(self, page) -> None:
        self.page = page
        self.frames: list[dict] = []
        self.reports: list[dict] = []
        self.token, self.run_id = "", 0
        page.on("websocket", self._socket)
        page.expose_function("e2eReport", self._report)

    def _socket(self, ws) -> None:
        if "/ws/runs/" in ws.url:
            ws.on("framereceived", self._frame)

    def _frame(self, payload) -> None:
        with contextlib.suppress(TypeError, ValueError):  # binary frames: not ours
            self.frames.append(json.loads(payload))

    def _report(self, token, current, percent, state) -> None:
        report = {"token": token, "current": current, "percent": percent, "state": state}
        self.reports.append(report)

    def arm(self, token: str) -> dict:
        """Wait for this run's first frame (its stored state), then observe its bar."""
        run_id = int(self.page.get_attribute("[data-run-progress]", "data-run-progress"))
        self.run_id, self.token, self.reports = run_id, token, []
        wait_until(self.page, lambda: self._kinds("run.snapshot"), "the run stream to open", 30)
        before = self.page.evaluate(OBSERVE, token)
        assert before["state"] in ("queued", "running") and before["percent"] < 100, before
        return before

    def _kinds(self, kind: str) -> list[dict]:
        return [f for f in self.frames if f.get("type") == kind and f.get("run_id") == self.run_id]

    def finished_live(self) -> dict:
        """Wait until the observed run succeeded; check its bar reached 100 % in the same
        document."""
        done = wait_until(
            self.page,
            lambda: [r for r in self.reports if r["state"] not in ("queued", "running")],
            "the run to finish on the page",
        )
        assert all(r["token"] == r["current"] == self.token for r in self.reports)
        last = done[-1]
        assert last["percent"] == 100 and last["state"] == "succeeded", (last, self.frames[-3:])
        assert self._kinds("run.finished"), self.frames
        return {
            "percents": sorted({r["percent"] for r in self.reports}),
            "progress_frames": len(self._kinds("run.progress")),
            "marks": [(f["key"], f["status"]) for f in self._kinds("run.mark")],
        }


def sign_in(page, studio, email: str, password: str, slug: str = SLUG) -> None:
    page.goto(studio.url("/", slug=slug))
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_url(studio.url("/", slug=slug))


FETCH = """async ([url, token, body]) => {
  const response = await fetch(url, {method: "POST", body, redirect: "manual",
    headers: {"X-CSRFToken": token, "Content-Type": "application/x-www-form-urlencoded"}});
  return {status: response.status, text: await response.text()};
}"""


def csrf_post(page, url: str, body: str) -> dict:
    """A form POST sent by the signed-in page itself (its cookies, its CSRF token), so a 403
    is the Studio's refusal, not a CSRF failure. {"status", "text"}."""
    from django.conf import settings

    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    return page.evaluate(FETCH, [url, cookies[settings.CSRF_COOKIE_NAME], body])
