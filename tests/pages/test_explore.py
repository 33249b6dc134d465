"""A learner explores the home on her phone: a home of her own, what each device is for in
care work's words, and a try followed through the lab on the same page, in Finnish too."""

from __future__ import annotations

from pathlib import Path

import pytest

from mewet.texts import catalogue
from tests.pages.browser import CHROMIUM, NEEDS_CHROMIUM, page_in, shot
from tests.pages.finnish import finnish
from tests.support.apiserver import Api

pytestmark = NEEDS_CHROMIUM

if Path(CHROMIUM).exists():
    from playwright.sync_api import Browser, expect


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_a_learner_presses_the_button_and_follows_the_alarm(
    browser: Browser, lab: Api, lang: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    t = catalogue(lang)
    page = page_in(browser, lang, phone=True)
    page.goto(lab.base + "/")
    page.get_by_role("link", name=t["explore_title"]).click()
    page.get_by_label(t["explore_name"]).fill("Aino")
    page.get_by_role("button", name=t["explore_start"]).click()
    expect(page.locator("#plan svg")).to_be_visible()
    page.locator('#device-list button[data-device="wristband"]').click()
    card = page.locator("#device-card")
    expect(card).to_be_visible()
    info = t["device_info"]["wristband"]
    expect(page.locator("#info-what")).to_have_text(info["what"])
    expect(page.locator("#info-privacy")).to_have_text(info["privacy"])
    other = catalogue("en" if lang == "fi" else "fi")["device_types"]["wristband"]
    expect(page.locator("#device-other-name")).to_contain_text(other)
    card.get_by_role("button", name=t["try_names"]["button"]).click()
    expect(page.locator("#try-result")).to_contain_text(t["explore_tried"].split("{time}")[0])
    follow = page.locator("#follow")
    pressed = t["events"]["button_pressed"]
    expect(follow).to_contain_text(pressed, timeout=30_000)  # what the wristband sent
    expect(follow.locator("li.alarm")).to_have_count(1, timeout=30_000)  # the alarm centre
    expect(follow.locator("li.action").first).to_be_visible(timeout=60_000)  # the team acts
    # what a device measures, with its units in the page's language
    page.locator('#device-list button[data-device="vitals"]').click()
    now = page.locator("#device-now")
    expect(now).to_contain_text(t["channels"]["heart_rate"], timeout=30_000)
    expect(now).to_contain_text("/min")
    # a device with nothing to try says so
    page.locator('#device-list button[data-device="motion-hall"]').click()
    expect(page.locator("#tries")).to_have_text(t["explore_nothing_to_try"])
    shot(page, f"8-explore-{lang}")
    if lang == "fi":
        assert not finnish(page, "explore")
    violations = Axe().run(page).response["violations"]
    assert not [v["id"] for v in violations if v.get("impact") in ("serious", "critical")]
