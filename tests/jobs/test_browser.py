"""static/js/runs.js in real Chromium: the run page follows the websocket without reloading
until the run ends, then shows the finished run (embedded default, daphne + worker)."""

from __future__ import annotations

import pytest

from tests.jobs import _stack

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def page(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.set_default_timeout(60_000)
        yield context, context.new_page()
        browser.close()


def test_the_run_page_goes_live_then_shows_the_finished_run(embedded, page):
    context, tab = page
    origin = f"http://acme.localhost:{embedded.port}"
    context.add_cookies(
        [{"name": embedded.cookie, "value": embedded.sessions["acme"], "url": origin}]
    )
    run_id = embedded.start(steps=4, seconds=2)
    tab.goto(f"{origin}/jobs/{run_id}/")
    tab.evaluate("window.loadedOnce = true")  # gone if the page reloads
    bar = tab.locator("progress[data-run-field=percent]")
    tab.wait_for_function("document.querySelector('[data-run-field=percent]').value >= 50")
    assert tab.evaluate("window.loadedOnce") is True  # updated live, not by a reload
    assert "Running" in tab.locator("[data-run-field=state]").inner_text()
    assert tab.locator("[data-run-log] li").count() >= 2
    tab.wait_for_function("document.querySelector('.run-result') !== null")  # reloaded at end
    assert "Succeeded" in tab.locator("[data-run-field=state]").inner_text()
    assert bar.get_attribute("value") == "100"
    lines = tab.locator("[data-run-log] li").all_inner_texts()
    assert [line.split(" ", 1)[1] for line in lines] == [f"step {n} of 4" for n in range(1, 5)]
    assert (
        _stack.script(embedded.env, _stack.STATE.replace("RUN_ID", str(run_id)))["state"]
        == "succeeded"
    )
