"""The core flow in a real browser: sign up, create a commons, contribute, review, credit, and
decide together: a contributor proposes a new maintainer, and the consensus of everyone eligible
adopts it at once."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the test
# itself (none here, but fixtures flush the database) must not be refused for it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct-horse-battery-staple"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def sign_up(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/signup/")
    page.fill("#id_username", username)
    page.fill("#id_email", f"{username}@example.org")
    page.fill("#id_display_name", username.capitalize())
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password_again", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/")
    assert page.locator("form[action='/accounts/logout/']").count() == 1


def test_core_flow(live_server: Any, transactional_db: None, browser: Any) -> None:
    from playwright.sync_api import expect

    base = live_server.url

    # A signs up and creates a commons.
    a = browser.new_context(locale="en-GB")
    page_a = a.new_page()
    sign_up(page_a, base, "ada")
    page_a.click("text=Create a commons")
    page_a.fill("#id_slug", "seed-library")
    page_a.fill("#id_title", "Seed library")
    page_a.fill("#id_summary", "Open-pollinated seeds, shared")
    page_a.select_option("#id_kind", "knowledge")
    page_a.click("button[type=submit].primary")
    page_a.wait_for_url(f"{base}/commons/seed-library/")
    expect(page_a.locator("h1")).to_have_text("Seed library")

    # B signs up in another browser and contributes three hours of work.
    b = browser.new_context(locale="en-GB")
    page_b = b.new_page()
    sign_up(page_b, base, "ben")
    page_b.goto(f"{base}/commons/seed-library/")
    page_b.click("a.button:has-text('Contribute')")
    page_b.select_option("#id_action", "work")
    page_b.fill("#id_quantity", "3")
    page_b.fill("#id_description", "Sorted and labelled the tomato seeds")
    page_b.click("button[type=submit].primary")
    page_b.wait_for_url(re.compile(r".*/contributions/\d+/$"))
    expect(page_b.locator("h1")).to_contain_text("submitted")

    # A reviews and accepts it from the review queue.
    page_a.goto(f"{base}/review/")
    row = page_a.locator("table.queue tbody tr").filter(has_text="tomato seeds")
    expect(row).to_have_count(1)
    row.locator("button:has-text('Accept')").click()
    expect(page_a.locator("table.queue")).to_contain_text("Approved.")

    # The commons page credits B with three hours.
    page_a.goto(f"{base}/commons/seed-library/")
    totals = page_a.locator("table.totals")
    expect(totals).to_contain_text("Ben")
    expect(totals).to_contain_text("3 hour")
    page_b.goto(f"{base}/commons/seed-library/")
    expect(page_b.locator("table.totals")).to_contain_text("3 hour")

    # B, now a contributor, proposes to become a maintainer, by consensus.
    page_b.goto(f"{base}/commons/seed-library/proposals/new/")
    page_b.fill("#id_title", "Ben helps review")
    page_b.fill("#id_text", "Two reviewers are safer than one.")
    page_b.select_option("#id_method", "consensus")
    page_b.select_option("#id_change_type", "add_maintainer")
    page_b.fill("#id_agent", "ben")
    page_b.click("button[type=submit]:has-text('Open the proposal')")
    page_b.wait_for_url(re.compile(r".*/proposals/\d+/$"))
    proposal_url = page_b.url
    page_b.check("input[name=position][value=agree]")
    page_b.click("button[type=submit]:has-text('Vote')")
    expect(page_b.locator("main")).to_contain_text("open")

    # A agrees too: everyone eligible agreed, so the consensus is reached and applied at once.
    page_a.goto(proposal_url)
    page_a.check("input[name=position][value=agree]")
    page_a.click("button[type=submit]:has-text('Vote')")
    expect(page_a.locator("main")).to_contain_text("Everyone agreed or stood aside.")
    page_a.goto(f"{base}/commons/seed-library/rulebook/")
    expect(page_a.locator("main")).to_contain_text("Ben")

    # The log still verifies.
    page_b.goto(f"{base}/events/verify/")
    expect(page_b.locator("p.ok")).to_contain_text("OK")

    a.close()
    b.close()
