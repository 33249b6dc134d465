"""Self-study in Chromium, on a phone: a learner opens the assignment's link, gives her name,
begins as the alarm centre, is shown her key, steers her own run (start, step), answers the
fall's alarm, ends it and reads her debrief; she comes back with her key. The pages fit a
phone, have no serious accessibility problems and speak Finnish."""

from __future__ import annotations

import re
from pathlib import Path

from tests.pages.browser import CHROMIUM, NEEDS_CHROMIUM, page_in, sign_in
from tests.pages.test_phone import phone, too_wide
from tests.support.apiserver import TEACHER, Api

pytestmark = NEEDS_CHROMIUM

if Path(CHROMIUM).exists():
    from playwright.sync_api import Browser, Page, expect


def serious(page: Page) -> list[str]:
    """The page's serious and critical accessibility problems, by axe-core."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [v["id"] for v in found if v.get("impact") in ("serious", "critical")]


def assignment(lab: Api) -> str:
    body = {"scenario": "night-fall", "roles": ["alarm_centre", "home_care"]}
    r = lab.call("POST", "/api/assignments", TEACHER, json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["code"])


def test_a_learner_runs_an_assignment_on_her_phone_and_comes_back(
    browser: Browser, lab: Api
) -> None:
    code = assignment(lab)
    page = phone(browser)
    page.goto(f"{lab.base}/study?code={code}")
    page.get_by_label("Your name").fill("Ada")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#assignment-title")).to_have_text("Night-time fall, wristband worn")
    expect(page.locator("#assignment-open")).to_contain_text("Open until")
    assert too_wide(page) is None
    assert not serious(page)
    page.get_by_role("button", name="Begin: Alarm centre").click()
    told = page.locator("#key-told")
    expect(told).to_contain_text("Write it down")
    key = re.search(r"Your key: ([A-Z0-9]{12})", told.inner_text())
    assert key is not None
    page.get_by_role("link", name="Go to your run").click()
    page.wait_for_url(re.compile(r"/play/\d+$"))

    steer = page.locator("#steer")
    expect(steer).to_be_visible()
    steer.get_by_role("button", name="Start").click()
    page.get_by_label("Step (minutes)").fill("552")
    steer.get_by_role("button", name="Step").click()
    expect(page.locator("#alarms")).to_contain_text("fall detected", timeout=20_000)
    assert too_wide(page) is None
    page.get_by_role("button", name="answer", exact=True).click()
    expect(page.locator("#action-result")).to_contain_text("fall detected")
    assert not serious(page)

    # another day, another device: the code and her key bring her back to where she was
    again = phone(browser)
    again.goto(f"{lab.base}/study?code={code}")
    again.locator("#resume summary").click()
    again.get_by_label("Your key").fill(key.group(1))
    again.get_by_role("button", name="Come back").click()
    again.wait_for_url(re.compile(r"/play/\d+$"))
    assert again.url == page.url
    expect(again.locator("#timeline")).to_contain_text("answered")
    again.locator("#steer").get_by_role("button", name="End").click()
    expect(again.locator("#clock")).to_contain_text("ended")
    again.get_by_role("link", name="Debrief").click()
    expect(again.locator("#cases")).to_contain_text("fall detected")


def test_a_teacher_publishes_from_the_library_and_follows_the_runs(
    browser: Browser, lab: Api
) -> None:
    teacher = page_in(browser)
    sign_in(teacher, lab.base)
    card = teacher.locator("form[data-scenario=night-fall]")
    card.get_by_label("Open for (days)").fill("14")
    card.get_by_role("button", name="Publish for self-study").click()
    published = teacher.locator("#assignments [data-assignment]")
    expect(published).to_have_count(1)
    expect(published).to_contain_text("Nobody has begun yet.")
    code = published.get_attribute("data-assignment")
    assert code is not None
    link = published.locator("a").first
    assert link.get_attribute("href") == f"{lab.base}/study?code={code}"
    r = lab.call("POST", f"/api/study/{code}", json={"name": "Bo", "role": "home_care"})
    assert r.status_code == 201, r.text
    teacher.reload()
    expect(published).to_contain_text("Bo (Home care): not started")
    expect(teacher.locator("#exercises [data-exercise]")).to_have_count(0)
    with teacher.expect_download() as got:
        published.get_by_role("button", name="Results as CSV").click()
    rows = Path(got.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("ID number,Full name,Role,Attempts,")
    assert rows[1] == ",Bo,Home care,0,,no,"


def test_the_study_page_in_finnish(browser: Browser, lab: Api) -> None:
    code = assignment(lab)
    page = phone(browser, "fi")
    page.goto(f"{lab.base}/study?code={code}")
    expect(page.locator("h1")).to_have_text("Itseopiskelu")
    page.get_by_label("Nimesi").fill("Aino")
    page.get_by_role("button", name="Seuraava").click()
    expect(page.get_by_role("button", name="Aloita: Turvapuhelinkeskus")).to_be_visible()
    page.get_by_role("button", name="Aloita: Kotihoito").click()
    expect(page.locator("#key-told")).to_contain_text("Kirjoita se muistiin")
    page.get_by_role("link", name="Siirry harjoitukseesi").click()
    expect(page.locator("#steer")).to_contain_text("Oma harjoituksesi")
    page.locator("#steer").get_by_role("button", name="Jatka").click()
    expect(page.locator("#steer-error")).to_contain_text(
        "vain tauolla olevaa harjoitusta voi jatkaa"
    )


def test_a_learner_takes_the_knowledge_check_on_her_phone(browser: Browser, lab: Api) -> None:
    body = {"scenario": "night-fall", "roles": ["alarm_centre"], "quiz": {"questions": 3}}
    code = lab.call("POST", "/api/assignments", TEACHER, json=body).json()["code"]
    run = lab.call("POST", f"/api/study/{code}", json={"name": "Aino", "role": "alarm_centre"})
    page = phone(browser, "fi")
    page.goto(f"{lab.base}/study?code={code}")
    page.locator("#resume summary").click()
    page.get_by_label("Avaimesi").fill(run.json()["key"])
    page.get_by_role("button", name="Palaa").click()
    page.wait_for_url(re.compile(r"/play/\d+$"))
    box = page.locator("#quiz")
    expect(box).to_contain_text("3 kysymystä, hyväksyntään 70 % oikein, 2 yritystä")
    box.get_by_role("button", name="Aloita tietotesti").click()
    questions = box.locator("#quiz-questions > li")
    expect(questions).to_have_count(3)
    for i in range(3):
        questions.nth(i).locator("input").first.check()
    assert too_wide(page) is None
    box.get_by_role("button", name="Lähetä vastaukset").click()
    expect(box.locator("#quiz-result")).to_contain_text(re.compile(r"[0-3]/3 oikein: \d+(,\d)? %"))
    expect(box.locator("#quiz-result li")).to_have_count(3)
    expect(box.locator("#quiz-left")).to_have_text("Yrityksiä jäljellä: 1")


def test_a_certificate_is_checked_on_its_page(browser: Browser, lab: Api) -> None:
    from tests.api.test_knowledge import _passed

    code = _passed(lab, name="Aino")["marked"]["certificate"]
    page = phone(browser, "fi")
    page.goto(f"{lab.base}/certificate/{code}")
    card = page.locator("#certificate")
    expect(card).to_contain_text("Todistus")
    expect(page.locator("#cert-name")).to_have_text("Aino")
    expect(card).to_contain_text("on suorittanut itseopiskelutehtävän")
    expect(page.locator("#cert-score")).to_have_text("Tietotesti: 100 % oikein")
    expect(page.locator("#cert-code")).to_have_text(code)
    pdf = page.get_by_role("link", name="Lataa PDF-tiedostona")
    assert pdf.get_attribute("href") == f"/api/certificates/{code}/pdf?lang=fi"
    assert too_wide(page) is None
    assert not serious(page)
    page.goto(f"{lab.base}/certificate/EIOLEMASSA00")
    expect(page.locator("#cert-error")).to_contain_text("tällä tunnisteella ei ole todistusta")
    expect(page.locator("#certificate")).to_be_hidden()
