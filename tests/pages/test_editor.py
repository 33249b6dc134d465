"""The scenario editor as a teacher uses it: she copies a library scenario, breaks it in each
way teachers do and sees the fix beside the right line, in Finnish; mends it, test-runs the
first day, saves two versions and shares them; a teacher of another school finds it shared,
read-only, and runs an exercise of the version she saw."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from mewet.texts import catalogue
from tests.pages.browser import NEEDS_CHROMIUM, page_in, shot, sign_in
from tests.pages.finnish import finnish
from tests.support.apiserver import OTHER, Api
from tests.support.mistakes import GOOD, MISTAKES

if TYPE_CHECKING:
    from playwright.sync_api import Browser, FilePayload, Page

pytestmark = NEEDS_CHROMIUM
FI = catalogue("fi")
EN = catalogue("en")


def write(page: Page, text: str) -> None:
    """She replaces the file's text, as typing or pasting does (the editor checks on input)."""
    page.locator("#yaml").fill(text)


def problem_at(page: Page, line: int) -> str:
    """The problem the page lists for a line, once the check has answered; the gutter marks
    the same line."""
    item = page.locator(f"#problems li[data-line='{line}']")
    item.first.wait_for()
    assert "bad" in (page.locator(f"#gutter span[data-line='{line}']").get_attribute("class") or "")
    return item.first.inner_text()


def settled(page: Page, words: str) -> None:
    page.wait_for_function(
        "w => document.getElementById('check-status').textContent === w", arg=words
    )


def test_a_teacher_writes_checks_test_runs_saves_and_shares(browser: Browser, lab: Api) -> None:
    page = page_in(browser, "fi")
    sign_in(page, lab.base, "fi")
    page.get_by_role("link", name=FI["editor_write"]).click()
    page.wait_for_url(re.compile(r"/scenarios/edit$"))
    # a library scenario, copied under an id of her own, has nothing to fix
    page.get_by_label(FI["editor_from"]).select_option("night-fall")
    page.get_by_role("button", name=FI["editor_open"]).click()
    settled(page, FI["editor_ok"])
    assert page.locator("#yaml").input_value() == GOOD
    assert "Yöllinen kaatuminen, turvaranneke käytössä" in page.locator("#preview").inner_text()
    for mistake in MISTAKES:
        write(page, mistake.text)
        shown = problem_at(page, mistake.line)
        assert mistake.fi in shown, (mistake.new, shown)
        if mistake.new == "room: sauna":
            shot(page, "editor-problem")
        assert page.locator("#save").is_disabled()
        write(page, GOOD)
        settled(page, FI["editor_ok"])
    # a file saved in Latin-1 (an old Notepad) is refused with how to save it
    latin1: FilePayload = {"name": "vanha.yaml", "mimeType": "text/yaml", "buffer": b"title: Y\xf6"}
    page.locator("#file").set_input_files(files=[latin1])
    page.get_by_text("tallenna se UTF-8-muodossa").wait_for()
    # the first day at full speed: the fall, its alarm and the team's care, with the KPIs
    page.get_by_role("button", name=FI["editor_trial"]).click()
    page.locator("#trial-kpis tr[data-target='answer']").wait_for()
    timeline = page.locator("#trial-timeline").inner_text()
    assert "Turvapuhelinkeskus" in timeline and "Kotihoito" in timeline, timeline
    assert page.locator("#trial-cases tr[data-case]").count() >= 1
    shot(page, "editor-trial")
    wrong = finnish(page, "editori")
    assert wrong == [], wrong
    # saved and shared, then saved again: two versions kept
    page.get_by_role("button", name=FI["editor_save"]).click()
    page.get_by_text("Tallennettu: night-fall-2, versio 1.").wait_for()
    write(page, GOOD.replace("title_fi: Yöllinen kaatuminen", "title_fi: Yöllinen kaatuminen 2"))
    settled(page, FI["editor_ok"])
    page.get_by_role("button", name=FI["editor_save"]).click()
    page.get_by_text("Tallennettu: night-fall-2, versio 2.").wait_for()
    assert page.locator("#versions li").count() == 2
    # a teacher of another school: shared, read-only (a copy to edit), and runnable
    other = page_in(browser, "en")
    sign_in(other, lab.base, "en", OTHER)
    card = other.locator("li.card[data-scenario='night-fall-2']")
    assert "shared by north school" in card.inner_text()
    card.get_by_role("link", name=EN["editor_copy"]).click()
    other.wait_for_url(re.compile(r"/scenarios/edit\?from=night-fall-2$"))
    settled(other, EN["editor_ok"])
    assert "id: night-fall-2-2" in other.locator("#yaml").input_value()
    write(
        other,
        other.locator("#yaml").input_value().replace("id: night-fall-2-2", "id: night-fall-2"),
    )
    told = problem_at(other, 2)
    assert "'night-fall-2' belongs to another school (north school): choose another id" in told
    other.goto(lab.base + "/teach")
    card = other.locator("li.card[data-scenario='night-fall-2']")
    card.get_by_role("button", name=EN["create"]).click()
    other.wait_for_url(re.compile(r"/teach/\d+$"))
    exercise = int(other.url.rsplit("/", 1)[1])
    ran = lab.call("GET", f"/api/exercises/{exercise}", OTHER).json()
    assert ran["scenario"] == "night-fall-2" and ran["scenario_version"] == 2
    # her own keeps its sharing as she saved it: unshared, the other school no longer sees it
    page.locator("#shared").uncheck()
    page.get_by_role("button", name=FI["editor_save"]).click()
    page.get_by_text("Tallennettu: night-fall-2, versio 3.").wait_for()
    page.goto(lab.base + "/scenarios/edit?from=night-fall-2")
    settled(page, FI["editor_ok"])
    assert not page.locator("#shared").is_checked()
    listed = lab.call("GET", "/api/scenarios", OTHER).json()
    assert "night-fall-2" not in [s["id"] for s in listed]


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_the_editor_fits_a_phone(browser: Browser, lab: Api, lang: str) -> None:
    """A teacher on her phone sees the editor and the guide without scrolling sideways."""
    page = page_in(browser, lang, phone=True)
    sign_in(page, lab.base, lang)
    page.goto(lab.base + "/scenarios/edit")
    settled(page, catalogue(lang)["editor_ok"])
    assert int(page.evaluate("document.documentElement.scrollWidth")) <= 360
