"""On a phone: the menu opens and closes (by touch and by keyboard), and pages fit the
screen's width without sideways scrolling."""

from __future__ import annotations

import contextlib

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PHONE = {
    "viewport": {"width": 375, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the screen (0 when it fits), once the page
    has loaded and laid out (on a busy machine a page measured before its stylesheet and
    scripts have run can be wider for a moment); a page that stays too wide still fails."""
    page.wait_for_load_state("load")
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(f"({OVERFLOW})() <= 0", timeout=5000)
    return page.evaluate(OVERFLOW)


def test_menu_and_dashboard_fit_a_phone(make_context, people, make_dossier, sign_in, screenshot):
    make_dossier(people.provider_a, title="Cloud-Native Operations for Small Public Agencies")
    make_dossier(people.provider_a, complete=False, files=False, title="Data Ethics")
    page = make_context(**PHONE).new_page()
    sign_in(page, people.provider_a)
    expect(page.get_by_role("heading", name="Dossiers of Provider A")).to_be_visible()

    nav = page.get_by_role("navigation", name="Main")
    menu = page.locator("label[for=nav-toggle]")
    expect(nav).to_be_hidden()
    assert horizontal_overflow(page) <= 0
    screenshot(page, "dashboard")

    menu.tap()
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link", name="My dossiers")).to_be_in_viewport()
    screenshot(page, "menu-open", full_page=False)
    menu.tap()
    expect(nav).to_be_hidden()

    # Keyboard: the toggle is reachable with Tab and opens with Space.
    page.reload()
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "nav-toggle":
            break
    assert page.evaluate("document.activeElement.id") == "nav-toggle"
    page.keyboard.press("Space")
    expect(nav).to_be_visible()
    nav.get_by_role("link", name="My dossiers").click()

    # The long edit form fits too.
    page.get_by_role("link", name="Data Ethics").click()
    expect(page.get_by_role("heading", name="Data Ethics")).to_be_visible()
    assert horizontal_overflow(page) <= 0
