"""In real Chromium: sign up, verify by e-mail, create `acme`, land on acme.localhost,
invite a member who signs up, accepts and sees the workspace."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e
PASSWORD = "an-e2e-passphrase-that-is-long"


def sign_up_and_verify(page, studio, email: str) -> None:
    page.goto(studio.url("/accounts/signup/"))
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/confirm-email/")
    link = studio.wait_for_mail(email, r"http://localhost:\d+/accounts/confirm-email/\S+")
    page.goto(link)
    page.click("main form button[type=submit]")


def test_signup_create_workspace_and_invite(page, browser, studio, artifacts):
    sign_up_and_verify(page, studio, "founder@acme.test")
    page.wait_for_url(studio.url("/"))
    assert page.locator("h1").inner_text() == "Your workspaces"

    page.click("text=New workspace")
    page.fill("input[name=name]", "Acme")
    page.fill("input[name=slug]", "acme")
    page.click("main form button[type=submit]")
    page.wait_for_url(studio.url("/", slug="acme"))
    assert page.locator("h1").first.inner_text() == "Acme"
    assert "Owner" in page.locator(".topbar").inner_text()
    page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)

    page.click(".mainnav >> text=Members")
    page.fill("input[name=email]", "colleague@acme.test")
    page.select_option("select#id_role", "analyst")
    page.click("text=Send invitation")
    assert "Invitation sent to colleague@acme.test" in page.locator(".messages").inner_text()
    page.screenshot(path=str(artifacts / "members.png"), full_page=True)
    invite = studio.wait_for_mail("colleague@acme.test", r"http://localhost:\d+/invitations/\S+")

    colleague = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
    sign_up_and_verify(colleague, studio, "colleague@acme.test")
    colleague.goto(invite)
    assert "Join Acme" in colleague.locator("h1").inner_text()
    colleague.click("text=Accept invitation")
    colleague.wait_for_url(studio.url("/", slug="acme"))
    assert "Analyst" in colleague.locator(".topbar").inner_text()
    colleague.screenshot(path=str(artifacts / "colleague-dashboard.png"), full_page=True)
    colleague.context.close()


def test_demo_workspace_from_the_run_command(page, studio, artifacts):
    from django.conf import settings

    page.goto(studio.url("/", slug="demo"))
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=login]", settings.DEMO_EMAIL)
    page.fill("input[name=password]", settings.DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(studio.url("/", slug="demo"))
    assert "Sample store (SQLite)" in page.content()
    page.screenshot(path=str(artifacts / "demo-dashboard.png"), full_page=True)


def test_strangers_get_404_on_other_workspaces(page, studio):
    sign_up_and_verify(page, studio, "stranger@example.test")
    response = page.goto(studio.url("/", slug="acme"))
    assert response.status == 404
    assert "Not found" in page.locator("h1").inner_text()
