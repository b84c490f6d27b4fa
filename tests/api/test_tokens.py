"""API tokens: created in the Studio and shown once, stored hashed, scoped to one workspace,
stopped by revocation, expiry or leaving; session calls need CSRF; the rate limit; the
docs. Also the error body every refusal shares."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.utils import timezone

from apps.api.actions import do_create_api_token, do_revoke_api_token
from apps.api.models import ApiToken
from apps.audit.models import AuditEvent
from apps.workspaces.actions import ActionRefused, do_change_role, do_remove_member

RAW = re.compile(rb"nbx_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")
ACME = "acme.localhost"


def assert_error(response, status: int, code: str, field=None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "field"}
    assert body["error"]["code"] == code
    assert body["error"]["field"] == field
    assert body["error"]["message"]
    assert b"Traceback" not in response.content
    return body["error"]


def all_table_text() -> bytes:
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows.extend(repr(row).encode() for row in cursor.fetchall())
    return b"\n".join(rows)


def create_on_page(client, name="ci", days="") -> bytes:
    response = client.post("/settings/api-tokens/", {"name": name, "expires_in_days": days})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    found = RAW.findall(response.content)
    assert len(found) == 1
    return found[0]


def test_created_on_the_page_shown_once_and_stored_hashed(world, host_client):
    page = host_client(world.users["viewer"], ACME)
    raw = create_on_page(page, "deploy pipeline", "30")
    listing = page.get("/settings/api-tokens/")
    assert b"deploy pipeline" in listing.content
    assert raw not in listing.content
    token = ApiToken.objects.get(user=world.users["viewer"])
    assert token.expires_at > timezone.now() + timedelta(days=29)
    secret = raw.split(b"_", 2)[2]
    assert raw not in all_table_text() and secret not in all_table_text()
    events = AuditEvent.objects.filter(action="api_token.create", workspace=world.acme)
    assert [e.details["name"] for e in events] == ["deploy pipeline"]
    assert token.digest not in repr([e.details for e in events])
    response = Client(HTTP_HOST=ACME, HTTP_AUTHORIZATION=f"Bearer {raw.decode()}").get(
        "/api/v1/workspace"
    )
    assert response.status_code == 200 and response.json()["role"] == "viewer"
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoked_on_the_page_stops_working(world, host_client, api_client):
    page = host_client(world.users["developer"], ACME)
    raw = create_on_page(page).decode()
    client = api_client(token=raw)
    assert client.get("/api/v1/workspace").status_code == 200
    token = ApiToken.objects.get(user=world.users["developer"])
    assert page.post("/settings/api-tokens/revoke/", {"token_id": token.pk}).status_code == 302
    assert_error(client.get("/api/v1/workspace"), 401, "unauthenticated")
    revoke = AuditEvent.objects.get(action="api_token.revoke")
    assert revoke.details["prefix"] == token.prefix and raw not in repr(revoke.details)
    assert b"revoked" in page.get("/settings/api-tokens/").content


def test_nobody_else_can_revoke_or_see_my_token(world, host_client):
    token, _ = do_create_api_token(world.acme, world.users["developer"], "mine")
    owner = host_client(world.users["owner"], ACME)
    assert b"mine" not in owner.get("/settings/api-tokens/").content
    assert owner.post("/settings/api-tokens/revoke/", {"token_id": token.pk}).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_token_pages_need_membership(world, host_client):
    page = "/settings/api-tokens/"
    assert host_client(world.users["outsider"], ACME).get(page).status_code == 404
    assert host_client(None, ACME).get(page).status_code == 302


def test_expired_token_is_refused(world, api_token, api_client):
    raw = api_token(world.users["analyst"], world.acme, expires_in_days=1)
    client = api_client(token=raw)
    assert client.get("/api/v1/workspace").status_code == 200
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(client.get("/api/v1/workspace"), 401, "unauthenticated")


def test_token_of_another_workspace_is_refused(world, api_token, api_client):
    acme_raw = api_token(world.users["owner"], world.acme)
    assert_error(api_client(token=acme_raw, host="globex.localhost").get("/api/v1/workspace"),
                 401, "unauthenticated")  # fmt: skip
    assert_error(api_client(token=acme_raw, host="nowhere.localhost").get("/api/v1/workspace"),
                 401, "unauthenticated")  # fmt: skip


def test_token_stops_when_its_user_leaves_or_is_deactivated(world, api_token, api_client):
    leaving = api_client(token=api_token(world.users["target"], world.acme))
    assert leaving.get("/api/v1/workspace").status_code == 200
    do_remove_member(world.members["target"], world.users["owner"])
    assert_error(leaving.get("/api/v1/workspace"), 401, "unauthenticated")
    analyst = api_client(token=api_token(world.users["analyst"], world.acme))
    world.users["analyst"].is_active = False
    world.users["analyst"].save()
    assert_error(analyst.get("/api/v1/workspace"), 401, "unauthenticated")


def test_token_follows_a_lowered_role(world, api_client):
    admin = api_client(world.users["admin"])
    assert admin.get("/api/v1/audit/events").status_code == 200
    do_change_role(world.members["admin"], "viewer", world.users["owner"])
    error = assert_error(admin.get("/api/v1/audit/events"), 403, "forbidden")
    assert "Viewer" in error["message"]
    assert admin.get("/api/v1/workspace").json()["role"] == "viewer"


@pytest.mark.parametrize(
    "header",
    ["Bearer garbage", "Bearer nbx_", "Bearer nbx_abc_def", "Bearer " + "x" * 5000, "Token x"],
)
def test_malformed_credentials_are_401(world, header):
    client = Client(HTTP_HOST=ACME, HTTP_AUTHORIZATION=header)
    assert_error(client.get("/api/v1/workspace"), 401, "unauthenticated")


def test_right_prefix_wrong_secret_is_401(world, api_token, api_client):
    raw = api_token(world.users["owner"], world.acme)
    forged = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
    assert_error(api_client(token=forged).get("/api/v1/workspace"), 401, "unauthenticated")


def test_no_credentials_is_401_json_not_a_redirect(world):
    client = Client(HTTP_HOST=ACME, enforce_csrf_checks=True)
    error = assert_error(client.get("/api/v1/members"), 401, "unauthenticated")
    assert "API token" in error["message"]
    posted = client.post("/api/v1/projects", {"name": "x"}, content_type="application/json")
    assert_error(posted, 401, "unauthenticated")


def test_session_calls_work_and_need_csrf_for_unsafe_methods(world, settings):
    client = Client(HTTP_HOST=ACME, enforce_csrf_checks=True)
    client.force_login(world.users["owner"])
    assert client.get("/api/v1/workspace").json()["role"] == "owner"
    body = {"name": "From the Studio"}
    refused = client.post("/api/v1/projects", body, content_type="application/json")
    assert_error(refused, 403, "csrf_failed")
    client.get("/settings/api-tokens/")  # sets the CSRF cookie, as any Studio page does
    csrf = client.cookies[settings.CSRF_COOKIE_NAME].value
    created = client.post(
        "/api/v1/projects", body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert created.status_code == 201
    assert world.acme.projects.filter(name="From the Studio").exists()


def test_token_calls_need_no_csrf(world, api_client):
    client = api_client(world.users["owner"])
    client.handler.enforce_csrf_checks = True
    response = client.post("/api/v1/projects", {"name": "CI"}, content_type="application/json")
    assert response.status_code == 201


def test_rate_limit_answers_429_with_retry_after(world, settings, api_client):
    settings.NUBLOX_API_RATE_LIMIT = "3/min"
    client = api_client(world.users["owner"])
    assert [client.get("/api/v1/workspace").status_code for _ in range(3)] == [200] * 3
    limited = client.get("/api/v1/workspace")
    assert_error(limited, 429, "rate_limited")
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert api_client(world.users["admin"]).get("/api/v1/workspace").status_code == 200


def test_rate_limit_counts_session_users_too(world, settings, host_client):
    settings.NUBLOX_API_RATE_LIMIT = "2/hour"
    client = host_client(world.users["analyst"], ACME)
    assert [client.get("/api/v1/workspace").status_code for _ in range(3)] == [200, 200, 429]


def test_create_refuses_bad_input(world):
    with pytest.raises(ActionRefused, match="name"):
        do_create_api_token(world.acme, world.users["owner"], "  ")
    with pytest.raises(ActionRefused, match="between 1 and"):
        do_create_api_token(world.acme, world.users["owner"], "x", expires_in_days=0)
    with pytest.raises(ActionRefused, match="members"):
        do_create_api_token(world.globex, world.users["owner"], "x")
    token, _ = do_create_api_token(world.acme, world.users["owner"], "x")
    do_revoke_api_token(token, world.users["owner"])
    with pytest.raises(ActionRefused, match="already revoked"):
        do_revoke_api_token(token, world.users["owner"])


def test_docs_and_schema_load_for_members_without_the_internet(world, host_client, api_client):
    member = host_client(world.users["viewer"], ACME)
    docs = member.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert not re.search(rb"""(src|href)=["'](https?:)?//""", docs.content)
    for asset in ("swagger-ui-bundle.js", "swagger-ui-init.js", "swagger-ui.css"):
        assert f"/static/ninja/{asset}".encode() in docs.content
        assert finders.find(f"ninja/{asset}"), f"ninja/{asset} is not a served static file"
    schema = member.get("/api/v1/openapi.json")
    assert schema.status_code == 200 and schema.json()["info"]["version"] == "1"
    assert api_client(world.users["viewer"]).get("/api/v1/openapi.json").status_code == 200
    assert_error(Client(HTTP_HOST=ACME).get("/api/v1/openapi.json"), 401, "unauthenticated")
    assert host_client(world.users["outsider"], ACME).get("/api/v1/docs").status_code == 404


def test_errors_share_one_shape(world, api_client):
    client = api_client(world.users["viewer"])
    assert_error(client.get("/api/v1/projects/999999"), 404, "not_found")
    assert_error(client.get("/api/v1/projects/abc"), 400, "invalid", "project_id")
    assert_error(client.get("/api/v1/projects?limit=0"), 400, "invalid", "limit")
    assert_error(client.get("/api/v1/projects?cursor=%%%"), 400, "invalid", "cursor")
    forbidden = client.post("/api/v1/projects", {"name": "X"}, content_type="application/json")
    assert_error(forbidden, 403, "forbidden")
    owner = api_client(world.users["owner"])
    bad = owner.post("/api/v1/projects", {"nam": "X"}, content_type="application/json")
    assert_error(bad, 400, "invalid", "name")
    not_json = owner.post("/api/v1/projects", "{", content_type="application/json")
    assert not_json.status_code == 400 and "error" in not_json.json()


def test_a_token_from_an_earlier_membership_stays_dead(world, api_token, api_client):
    from apps.workspaces.models import Membership

    raw = api_token(world.users["target"], world.acme)
    ApiToken.objects.update(created_at=timezone.now() - timedelta(hours=1))
    world.members["target"].created_at = timezone.now() - timedelta(hours=2)
    world.members["target"].save()
    do_remove_member(world.members["target"], world.users["owner"])
    Membership.objects.create(workspace=world.acme, user=world.users["target"], role="admin")
    assert_error(api_client(token=raw).get("/api/v1/workspace"), 401, "unauthenticated")
    fresh = api_client(world.users["target"]).get("/api/v1/workspace")
    assert fresh.status_code == 200 and fresh.json()["role"] == "admin"


def test_a_session_behind_basic_auth_still_works(world, host_client):
    client = host_client(world.users["viewer"], ACME)
    response = client.get("/api/v1/workspace", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert response.status_code == 200 and response.json()["role"] == "viewer"


def test_tokens_never_reach_the_logs(world, settings, caplog, api_token, api_client):
    settings.DEBUG = True
    raw = api_token(world.users["owner"], world.acme)
    secret = raw.split("_", 2)[2]
    with caplog.at_level("DEBUG"):
        api_client(token=raw).get("/api/v1/workspace")
        api_client(token=raw + "x").get("/api/v1/workspace")
        Client(HTTP_HOST=ACME, HTTP_AUTHORIZATION=f"Token {raw}").get("/api/v1/workspace")
        api_client(token=raw, host="globex.localhost").get("/api/v1/workspace")
    assert caplog.records, "the calls should have logged something (401s at least)"
    assert secret not in caplog.text


def test_only_well_shaped_tokens_reach_the_database(world, api_token):
    from apps.api.auth import parse_token

    raw = api_token(world.users["owner"], world.acme)
    prefix, secret = parse_token(raw)
    assert raw == f"nbx_{prefix}_{secret}"
    token = ApiToken.objects.get(prefix=prefix)
    assert token.digest != secret and len(token.digest) == 64
    for bad in (raw + "x", raw[:-1], raw.replace("nbx_", "nbx\x00"), f"nbx_{prefix}\x00_{secret}"):
        assert parse_token(bad) is None


@pytest.mark.parametrize("role", ["owner", "admin", "developer", "analyst", "viewer"])
def test_every_member_can_hold_tokens_and_finds_the_page(world, host_client, role):
    page = host_client(world.users[role], ACME)
    assert b'href="/settings/api-tokens/"' in page.get("/").content
    raw = create_on_page(page, f"{role} script").decode()
    body = Client(HTTP_HOST=ACME, HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/workspace")
    assert body.json()["role"] == role


def test_the_create_form_refuses_bad_input(world, host_client):
    page = host_client(world.users["owner"], ACME)
    response = page.post("/settings/api-tokens/", {"name": "", "expires_in_days": "0"})
    assert response.status_code == 400
    assert not RAW.search(response.content) and not ApiToken.objects.exists()


def test_unknown_api_paths_answer_json(world, api_client):
    client = api_client(world.users["viewer"])
    assert_error(client.get("/api/v1/nope"), 404, "not_found")
    assert_error(client.post("/api/v1/members/1/promote"), 404, "not_found")
    assert client.get("/api/v1/workspace").status_code == 200
    assert_error(Client(HTTP_HOST=ACME).get("/api/v1/nope"), 401, "unauthenticated")
