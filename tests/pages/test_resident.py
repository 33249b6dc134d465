"""The resident as a role, in Chromium: a student plays her on a phone, presses the button,
says how she feels; the alarm centre's student gets the alarm and hears her words; the
resident's page shows who spoke to her, not the alarm centre's queue. In Finnish, in the
words of Finnish care work."""

from __future__ import annotations

import re
from pathlib import Path

from tests.pages.browser import CHROMIUM, NEEDS_CHROMIUM, join
from tests.support.apiserver import Api

pytestmark = NEEDS_CHROMIUM

if Path(CHROMIUM).exists():
    from playwright.sync_api import Browser, expect


def control(lab: Api, exercise: int, what: str, **args: float) -> None:
    body = {"control": what, "args": args} if args else {"control": what}
    r = lab.call("POST", f"/api/exercises/{exercise}/control", "teacher@north", json=body)
    assert r.status_code == 200, r.text


def test_a_student_plays_the_resident_and_the_alarm_centre_hears_her(
    browser: Browser, lab: Api
) -> None:
    ex = lab.call("POST", "/api/exercises", "teacher@north", json={"scenario": "night-fall"}).json()
    eino = join(browser, lab.base, ex["join_code"], "Eino", "Resident")
    ada = join(browser, lab.base, ex["join_code"], "Ada", "Alarm centre")
    expect(eino.locator("#brief")).to_contain_text("You are the resident")
    control(lab, ex["id"], "start")
    eino.get_by_role("button", name="press the button").click()
    expect(eino.locator("#action-result")).to_contain_text("the alarm goes to the alarm centre")
    control(lab, ex["id"], "step", minutes=1)
    expect(ada.locator("#alarms")).to_contain_text("alarm button pressed")
    eino.get_by_label("What you say").select_option("unwell")
    eino.get_by_role("button", name="say how I feel").click()
    expect(eino.locator("#action-result")).to_contain_text("she says: unwell")

    ada.get_by_role("button", name="answer", exact=True).click()
    expect(ada.locator("#action-result")).to_contain_text("alarm button pressed")
    ada.get_by_role("button", name="talk").click()
    expect(ada.locator("#action-result")).to_contain_text("feels unwell")
    # the resident hears the call; she sees no alarm queue and no sensors
    expect(eino.locator("#timeline")).to_contain_text(re.compile("talked to the resident"))
    expect(eino.locator("#alarm-section")).to_be_hidden()
    expect(eino.locator("#no-sensors")).to_be_visible()


def test_the_resident_s_page_in_finnish(browser: Browser, lab: Api) -> None:
    ex = lab.call("POST", "/api/exercises", "teacher@north", json={"scenario": "night-fall"}).json()
    eino = join(browser, lab.base, ex["join_code"], "Eino", "Asukas", lang="fi")
    expect(eino.locator("#brief")).to_contain_text("Olet asukas kotonasi")
    for label in ("paina nappia", "avaa ovi", "sulje ovi", "kerro vointisi", "anna soida"):
        expect(eino.get_by_role("button", name=label)).to_be_visible()
    expect(eino.get_by_label("Mitä kerrot")).to_contain_text("huonovointinen")
    control(lab, ex["id"], "start")
    eino.get_by_role("button", name="avaa ovi").click()
    expect(eino.locator("#action-result")).to_contain_text("ulko-ovi on auki")
