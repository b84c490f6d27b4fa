"""The Studio's loop in real Chromium on demo.localhost, for PostgreSQL, MariaDB and the
bundled SQLite database: sign in, add a connection, learn it with live progress, browse to
a table, run a query, plan a new column from desired-state SQL, approve, apply with live
progress, see the column and the audit trail. Then what a viewer may not do.

The Studio is the embedded default (daphne, a real Celery worker on the filesystem broker,
the database channel layer). Screenshots of every step go to test-artifacts/e2e/<family>/.
"""

from __future__ import annotations

import html
import re

import pytest
from django.conf import settings

from tests.e2e import studio_helpers as steps
from tests.e2e.conftest import ARTIFACTS
from tests.jobs._stack import script

pytestmark = pytest.mark.e2e
SETUP = {
    "postgresql": lambda request, studio: steps.postgresql(
        request.getfixturevalue("fresh_pg_database")
    ),
    "mariadb": lambda request, studio: steps.mariadb(
        request.getfixturevalue("fresh_mariadb_database")
    ),
    "sqlite": lambda request, studio: steps.sqlite_demo(studio.data_dir),
}


@pytest.fixture(params=list(SETUP))
def family(request, studio) -> steps.Family:
    return SETUP[request.param](request, studio)


@pytest.fixture
def owner_page(page, studio):
    watch = steps.LiveWatch(page)
    steps.sign_in(page, studio, settings.DEMO_EMAIL, settings.DEMO_PASSWORD)
    return page, watch


def test_the_studio_loop(owner_page, studio, family):
    page, watch = owner_page
    shot = steps.Shots(page, ARTIFACTS / family.name)
    url = lambda path: studio.url(path, slug=steps.SLUG)  # noqa: E731
    assert "Demo" in page.locator("h1").first.inner_text()
    shot("signed-in")

    # A connection: URL and password through the form (the demo's own for SQLite).
    if family.url:
        page.goto(url("/connections/new/"))
        page.fill("input[name=name]", family.connection)
        page.fill("input[name=url]", family.url)
        page.fill("input[name=password]", family.password)
        shot("connection-form")
        page.click("main form button[type=submit]")
        page.wait_for_url(url("/connections/*/"))
        assert "added" in page.locator(".messages").inner_text()
        assert family.password not in page.content()
    else:
        page.goto(url("/connections/"))
        page.click(f"main a:text-is('{family.connection}')")
        page.wait_for_url(url("/connections/*/"))
    connection_page = page.url
    assert family.connection in page.locator("h1").inner_text()
    shot("connection")

    # Learn now: the run page follows the job live to 100 %.
    learn_live(page, watch, studio, "learn")
    assert f"learned {family.database}" in page.locator("[data-run-log]").inner_text()
    shot("learned")

    # The explorer: connection -> database -> tables -> the table.
    open_table(page, connection_page, family)
    assert page.locator("tr#col-email").count() == 1
    assert page.locator(f"tr#col-{steps.NEW_COLUMN}").count() == 0
    shot("explorer-table")

    # The SQL editor.
    run_query(page, url, family)
    shot("sql-editor")

    # A plan from desired-state SQL that adds one column.
    title = f"Add {steps.NEW_COLUMN} ({family.name})"
    page.goto(url("/plans/new/"))
    page.fill("input[name=title]", title)
    page.select_option("select[name=target]", label=f"{family.connection} / {family.database}")
    page.check("input[name=source_kind][value=sql]")
    page.fill("textarea[name=desired_sql]", family.desired_sql)
    shot("plan-form")
    page.click("main form button[type=submit]")
    page.wait_for_url(url("/plans/*/"))
    plan_url = page.url
    plan_id = plan_url.rstrip("/").rsplit("/", 1)[1]
    page.wait_for_selector(".headline .plan-state-draft", timeout=90_000)  # planned by a job
    operations = page.locator("section.card:has(h2:text-is('Operations')) .op")
    assert operations.count() == 1, page.locator("main").inner_text()[:3000]
    assert "add_column" in operations.locator("h3").inner_text()
    assert steps.NEW_COLUMN in operations.locator("pre.sql").first.inner_text()
    shot("plan")

    # Approve (the demo user is the workspace's lone owner: self-approval is allowed).
    page.click("form[action$='/approve/'] button[type=submit]")
    page.wait_for_selector(".headline .plan-state-approved")
    assert f"Approved by {settings.DEMO_EMAIL}" in page.locator("main").inner_text()
    shot("approved")

    # Apply, watching the plan page's progress bar live.
    apply_form = page.locator(f"form[action$='/plans/{plan_id}/apply/']")
    assert apply_form.locator("input[name=allow_destructive]").count() == 0  # adds, drops none
    for box in apply_form.locator("input[name=accept_hazard]").all():
        box.check()
    apply_live(page, watch, studio, apply_form)
    page.wait_for_selector(".headline .plan-state-applied")
    history = page.locator("section.card:has(h2:text-is('Execution history'))").inner_text()
    assert "Applied" in history, history
    shot("applied")

    # The new column in the explorer, once the database is learned again.
    page.goto(connection_page)
    learn_live(page, watch, studio, "relearn")
    open_table(page, connection_page, family)
    assert page.locator(f"tr#col-{steps.NEW_COLUMN}").count() == 1
    shot("explorer-new-column")

    # The audit timeline names each step of this plan.
    page.goto(url("/audit/"))
    this_plan = page.locator("td span.muted", has_text=re.compile(rf"^plans\.Plan {plan_id}$"))
    for action in ("plan.create", "plan.approve", "apply"):
        row = page.locator(f"tbody tr:has(code:text-is('{action}'))").filter(has=this_plan)
        assert row.count() == 1, f"no {action} event for plan {plan_id}"
        assert row.locator(".status").text_content().strip().lower() == "ok"
    shot("audit")


def learn_live(page, watch, studio, token: str) -> None:
    """Press "Learn now" with the worker held, start watching, then let it run."""
    with studio.worker_paused():
        page.click("form[action$='/learn/'] button[type=submit]")
        page.wait_for_url("**/jobs/*/")
        before = watch.arm(token)
    assert before["state"] == "queued"
    seen = watch.finished_live()
    assert seen["percents"][-1] == 100 and seen["progress_frames"] >= 1, seen
    page.wait_for_selector(".run-result")  # the finished page, reloaded by runs.js
    assert "Succeeded" in page.locator("[data-run-field=state]").inner_text()
    assert page.locator("progress[data-run-field=percent]").get_attribute("value") == "100"


def apply_live(page, watch, studio, apply_form) -> None:
    with studio.worker_paused():
        apply_form.locator("button[type=submit]").click()
        page.wait_for_selector(".headline .plan-state-applying")
        before = watch.arm("apply")
    assert before["state"] == "queued"
    seen = watch.finished_live()
    assert seen["percents"][-1] == 100 and seen["progress_frames"] >= 1, seen
    # each operation's status came live too, and the reloaded page shows it
    op_id = page.get_attribute(".op", "id")
    assert (f"op:{op_id}", "done") in seen["marks"], seen
    page.wait_for_selector(f".op#{op_id} .plan-state-done")


def open_table(page, connection_page: str, family) -> None:
    """Connection page -> Explorer -> the database -> Tables -> the table (lazy tree)."""
    page.goto(connection_page)
    page.click("a:text-is('Explorer')")
    page.click(f"#tree a.toggle:has(b:text-is('{family.database}'))")
    page.click("#tree a.toggle:text-is('Tables')")
    page.click(f"#tree .leaves a:text-is('{family.label}')")
    page.wait_for_url("**/table/**")
    assert family.label in page.locator("h1").inner_text()


def run_query(page, url, family) -> None:
    page.goto(url("/sql/"))
    page.select_option("select[name=target]", label=f"{family.connection} / {family.database}")
    page.fill("textarea[name=sql]", family.query)
    page.click("button[name=run]")
    grid = page.locator("#result #result-grid")
    grid.wait_for()
    assert [t.strip() for t in grid.locator("th").all_text_contents()] == ["email"]
    assert family.expect in grid.locator("tbody").inner_text()


# --- roles ---------------------------------------------------------------------------------

VIEWER = "viewer@demo.example"
VIEWER_PASSWORD = "a-viewer-passphrase-long-enough"
ROLE_SETUP = """
import sqlite3
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from apps.connections.actions import do_create_connection
from apps.connections.learning import learn_connection
from apps.plans.actions import do_create_plan
from apps.workspaces.models import Membership, Workspace
from apps.workspaces.permissions import Role
ws = Workspace.objects.get(slug="demo")
owner = ws.created_by
viewer = get_user_model().objects.create_user(username=EMAIL, email=EMAIL, password=PASSWORD)
EmailAddress.objects.create(user=viewer, email=EMAIL, verified=True, primary=True)
Membership.objects.create(workspace=ws, user=viewer, role=Role.VIEWER)
folder = settings.DATA_DIR / "databases"
folder.mkdir(parents=True, exist_ok=True)
with sqlite3.connect(folder / "roles.db") as db:
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
conn = do_create_connection(ws, owner, "Role check (SQLite)", f"sqlite:///{folder / 'roles.db'}")
assert learn_connection(conn, user=owner).ok
desired = "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT);"
plan = do_create_plan(ws, owner, connection=conn, database="main", title="Role check",
                      source_kind="sql", desired_sql=desired)
print("OUT " + json.dumps(plan.pk))
"""


def test_a_viewer_sees_no_apply_button_and_is_refused(page, browser, studio):
    code = ROLE_SETUP.replace("EMAIL", repr(VIEWER)).replace("PASSWORD", repr(VIEWER_PASSWORD))
    plan_id = script(studio.env, code)
    plan_url = studio.url(f"/plans/{plan_id}/", slug=steps.SLUG)

    steps.sign_in(page, studio, settings.DEMO_EMAIL, settings.DEMO_PASSWORD)
    page.goto(plan_url)
    page.wait_for_selector(".headline .plan-state-draft", timeout=90_000)
    assert page.locator("form[action$='/apply/'] button").count() == 1  # an owner may apply

    viewer = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
    try:
        steps.sign_in(viewer, studio, VIEWER, VIEWER_PASSWORD)
        assert "Viewer" in viewer.locator(".topbar").inner_text()
        viewer.goto(plan_url)
        assert "Role check" in viewer.locator("h1").inner_text()
        assert "add_column" in viewer.locator(".op h3").first.inner_text()  # may read the plan
        assert viewer.locator("form[action$='/apply/']").count() == 0
        assert viewer.locator("form[action$='/approve/']").count() == 0
        assert "Apply to" not in viewer.content()
        response = steps.csrf_post(viewer, plan_url + "apply/", "allow_destructive=on")
        assert response["status"] == 403 and "Not allowed" in response["text"], response
        viewer.screenshot(path=str(ARTIFACTS / "viewer-plan.png"), full_page=True)
        viewer.reload()
        assert viewer.locator(".headline .plan-state-draft").count() == 1
        assert "Never applied" in html.unescape(viewer.content())
    finally:
        viewer.context.close()
