"""Home care's new work on the student's phone, in Finnish, in a real browser (Debian's
Chromium): measuring the resident (the values in Finnish words, units and decimal commas,
with NEWS2), and an ISBAR record with what the visit measured attached by the lab; the
debrief's timeline tells it back, and the closure of the case is graded."""

from __future__ import annotations

import re
from pathlib import Path

from mewet.texts import catalogue
from tests.pages.browser import CHROMIUM, NEEDS_CHROMIUM, join
from tests.pages.finnish import leftovers
from tests.support.apiserver import TEACHER, Api

pytestmark = NEEDS_CHROMIUM

if Path(CHROMIUM).exists():
    from playwright.sync_api import Browser, Page, expect


def control(lab: Api, ex: object, name: str, **args: object) -> None:
    r = lab.call(
        "POST", f"/api/exercises/{ex}/control", TEACHER, json={"control": name, "args": args}
    )
    assert r.status_code == 200, r.text


def act(page: Page, lab: Api, ex: object, label: str, minutes: float) -> str:
    """Press an action's button, read what the page says back, and let its time pass."""
    page.get_by_role("button", name=label, exact=True).click()
    told = page.locator("#action-result")
    expect(told).to_have_text(re.compile(r"\S"))
    text = told.inner_text()
    told.evaluate("e => e.textContent = ''")  # the next action's answer is its own
    control(lab, ex, "step", minutes=minutes)
    return text


def test_home_care_measures_and_documents_in_isbar_on_a_finnish_phone(
    browser: Browser, lab: Api
) -> None:
    r = lab.call(
        "POST", "/api/exercises", TEACHER, json={"scenario": "night-fall", "roles": ["home_care"]}
    )
    assert r.status_code == 201, r.text
    ex = r.json()
    eid = ex["id"]
    control(lab, eid, "start")
    care = join(browser, lab.base, ex["join_code"], "Bo", "Kotihoito", "fi")
    control(lab, eid, "step", minutes=560)  # 03:20: she fell at 03:10; the centre sends us
    control(lab, eid, "step", minutes=60)  # the journey
    expect(care.get_by_role("button", name="saavu ovelle", exact=True)).to_be_visible()
    act(care, lab, eid, "saavu ovelle", 1)
    act(care, lab, eid, "avaa ovi", 1)
    care.get_by_label("Mitä mitataan").select_option("all")
    measured = act(care, lab, eid, "mittaa", 6)
    # her body's values, in Finnish words with units and decimal commas, and the score
    assert re.search(r"lämpö 3\d,\d °C", measured), measured
    assert re.search(r"verenpaine \d+/\d+ mmHg", measured), measured
    assert re.search(r"happisaturaatio \d+ %", measured), measured
    assert re.search(r"NEWS2 \d+", measured), measured
    assert not leftovers(measured, [measured]), measured
    act(care, lab, eid, "auta ylös", 4)
    care.get_by_text("Kirjaus: vapaa teksti tai ISBAR").click()
    t = catalogue("fi")
    care.get_by_label(t["isbar_fields"]["situation"]).fill("Kaatunut eteisen lattialle klo 3.10.")
    # a line break typed in a box is sent as a space, not refused
    care.get_by_label(t["isbar_fields"]["assessment"]).fill("Ei vammoja,\nautettu ylös.")
    care.get_by_label(t["isbar_fields"]["recommendation"]).fill("Fysioterapeutin arvio.")
    form = care.locator("details.isbar fieldset")
    form.get_by_label("lämpö").check()
    form.get_by_label("verenpaine").check()
    written = act(care, lab, eid, "kirjaa", 8)
    # what she wrote, and what the visit measured, attached by the lab (not typed by her)
    assert "S: Kaatunut eteisen lattialle klo 3.10." in written, written
    assert "R: Fysioterapeutin arvio." in written, written
    assert "A: Ei vammoja, autettu ylös." in written, written
    temperature = re.search(r"lämpö 3\d,\d °C", measured)
    assert temperature and temperature.group(0) in written, written
    assert re.search(r"verenpaine \d+/\d+ mmHg", written), written
    # the record saved, the form is empty again and folded away
    expect(form).to_be_hidden()
    care.get_by_text("Kirjaus: vapaa teksti tai ISBAR").click()
    expect(care.get_by_label(t["isbar_fields"]["situation"])).to_have_value("")
    expect(form.get_by_label("lämpö")).not_to_be_checked()
    # an item the visit never saw is refused in Finnish
    care.get_by_label(t["isbar_fields"]["situation"]).fill("Löytyi ulkoa.")
    form.get_by_label("löytymisaika").check()
    care.get_by_role("button", name="kirjaa", exact=True).click()
    expect(care.locator("#action-error")).to_contain_text("asukasta ei löydetty tällä käynnillä")
    act(care, lab, eid, "lähde", 1)
    control(lab, eid, "step", minutes=10)
    control(lab, eid, "end")
    care.goto(care.url.replace("/play/", "/debrief/"))
    timeline = care.locator("#timeline")
    expect(timeline).to_contain_text("mittasi: lämpö")
    expect(timeline).to_contain_text("S: Kaatunut eteisen lattialle klo 3.10.")
    closure = care.locator('#kpis tr[data-target="closure"]')
    expect(closure).to_contain_text("Tapaukset suljettu vasta tilanteen ratkettua")
    expect(closure).to_have_class("met")
    expect(closure).to_contain_text("saavutettu 1, ei saavutettu 0")
    care.context.close()


def test_a_case_closed_early_is_said_so_on_the_phone_and_in_the_debrief(
    browser: Browser, lab: Api
) -> None:
    r = lab.call(
        "POST",
        "/api/exercises",
        TEACHER,
        json={"scenario": "night-fall", "roles": ["alarm_centre"]},
    )
    assert r.status_code == 201, r.text
    ex = r.json()
    eid = ex["id"]
    control(lab, eid, "start")
    centre = join(browser, lab.base, ex["join_code"], "Aino", "Turvapuhelinkeskus", "fi")
    control(lab, eid, "step", minutes=560)  # 03:20: she fell at 03:10
    expect(centre.locator("#alarms li.alarm")).to_have_count(1)
    for label in ("vastaa hälytykseen", "puhu asukkaalle", "lähetä kotihoito"):
        act(centre, lab, eid, label, 2)
    # home care is on its way, she is still on the floor: closing now is allowed, and said
    said = act(centre, lab, eid, "sulje tapaus", 1)
    assert "suljettu ennen kuin tilanne ratkesi" in said, said
    control(lab, eid, "step", minutes=120)
    control(lab, eid, "end")
    centre.goto(centre.url.replace("/play/", "/debrief/"))
    expect(centre.locator('#cases tr[data-case="1"]')).to_contain_text("suljettu liian aikaisin")
    closure = centre.locator('#kpis tr[data-target="closure"]')
    expect(closure).to_have_class("missed")
    expect(centre.locator("#timeline")).to_contain_text("(suljettu liian aikaisin)")
    centre.context.close()
