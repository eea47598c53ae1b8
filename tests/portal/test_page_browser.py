# SPDX-License-Identifier: GPL-3.0-or-later
"""The member page before signing in, in the real browser: Persian first and right to left in Vazirmatn,
English one tap away (and remembered), only this server's files, no errors, nothing serious for axe-core,
installable, and the shell opening from the service worker with the network gone."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.support.browser import PageErrors, axe_violations, format_violations, rendered_fonts


def open_page(page: Page) -> Page:
    page.goto("/m/")
    page.wait_for_selector("body[data-ready='1']")
    return page


def test_the_sign_in_form_is_persian_right_to_left_in_vazirmatn(page: Page, page_errors: PageErrors):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    open_page(page)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "fa")
    phone = page.get_by_label("شمارهٔ همراه")
    expect(phone).to_be_visible()
    expect(phone).to_have_attribute("inputmode", "tel")
    expect(page.get_by_role("button", name="فرستادن کد")).to_be_visible()
    page.evaluate("() => document.fonts.ready")
    assert set(rendered_fonts(page, "h1")) == {"Vazirmatn-Bold"}
    assert set(rendered_fonts(page, "label[for=phone]")) == {"Vazirmatn-Regular"}
    # the heading starts at the right edge
    box = page.locator("h1").bounding_box()
    assert box is not None and box["x"] + box["width"] > 412 - 24
    origin = page.evaluate("() => location.origin")
    assert [url for url in requested if not url.startswith(origin)] == []
    assert not [url for url in requested if "/m/api/" in url]  # nobody signed in here: nothing asked
    assert page_errors.messages == []


def test_english_is_one_tap_away_and_is_remembered(page: Page, page_errors: PageErrors):
    open_page(page)
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Mobile number")).to_be_visible()
    expect(page).to_have_title("Members' club")
    open_page(page)
    expect(page.get_by_role("button", name="Send the code")).to_be_visible()
    page.get_by_role("button", name="فارسی").click()
    expect(page.get_by_role("button", name="فرستادن کد")).to_be_visible()
    assert page_errors.messages == []


@pytest.mark.browser_context_args(bypass_csp=True)  # axe-core is injected as a script tag
def test_axe_finds_nothing_serious_in_either_language(page: Page):
    open_page(page)
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)
    page.get_by_role("button", name="English").click()
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)


def test_the_page_is_installable(page: Page, page_errors: PageErrors):
    open_page(page)
    manifest = page.evaluate(
        """async () => {
            const link = document.querySelector('link[rel=manifest]');
            return await (await fetch(link.href)).json();
        }"""
    )
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/m/", "/m/", "standalone")
    scope = page.evaluate("async () => (await navigator.serviceWorker.ready).scope")
    assert scope.endswith("/m/")
    assert page_errors.messages == []


def test_the_shell_opens_offline_from_the_service_worker(context: BrowserContext, page: Page):
    open_page(page)
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    # the worker's install cached the shell; wait until it controls the page (clients.claim)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    try:
        open_page(page)
        expect(page.get_by_label("شمارهٔ همراه")).to_be_visible()
        assert page.evaluate("() => document.fonts.check('16px Vazirmatn')")
        assert page.evaluate("async () => (await caches.keys()).length") == 1
    finally:
        context.set_offline(False)
