"""A class on phones and a console that behaves, in a real browser (Debian's Chromium): no page
wider than a 360 px phone; a floor plan that tells the truth (a legend, names, a tap tells
what a device is and last said, worn devices with the resident, plugs lit by use); the alarm
list follows its cases; one timeline order, after a reload too; a busy action says how long;
rejoining is the same participant and a taken role says so; groups named and run again; the
teacher's marks in the debrief; Finnish refusals on the sign-in and join pages."""

from __future__ import annotations

import re
from pathlib import Path

from tests.pages.browser import CHROMIUM, NEEDS_CHROMIUM, PHONE, join, page_in, sign_in, step
from tests.support.apiserver import TEACHER, Api

pytestmark = NEEDS_CHROMIUM

if Path(CHROMIUM).exists():
    from playwright.sync_api import Browser, Page, expect


def phone(browser: Browser, lang: str = "en") -> Page:
    return page_in(browser, lang, phone=True)


def too_wide(page: Page) -> int | None:
    scroll = int(page.evaluate("document.documentElement.scrollWidth"))
    return scroll if scroll > PHONE["width"] else None


def exercise(lab: Api, scenario: str = "night-fall", **body: object) -> dict[str, object]:
    r = lab.call("POST", "/api/exercises", TEACHER, json={"scenario": scenario, **body})
    assert r.status_code == 201, r.text
    out: dict[str, object] = r.json()
    return out


def control(lab: Api, ex: object, name: str, **args: object) -> None:
    r = lab.call(
        "POST", f"/api/exercises/{ex}/control", TEACHER, json={"control": name, "args": args}
    )
    assert r.status_code == 200, r.text


def test_no_page_is_wider_than_a_phone(browser: Browser, lab: Api) -> None:
    """At 360×740, every page fits: the student's (each role), the teacher's, the debrief,
    a company's devices, signing in and joining."""
    ex = exercise(lab)
    control(lab, ex["id"], "start")
    control(lab, ex["id"], "step", minutes=560)  # past the fall at 03:10: an alarm, vitals
    wide = {}
    centre = phone(browser)
    centre.goto(f"{lab.base}/join?code={ex['join_code']}")
    for path in ("/", "/join"):
        centre.goto(lab.base + path)
        wide[path] = too_wide(centre)
    centre.goto(f"{lab.base}/join?code={ex['join_code']}")
    centre.get_by_label("Your name").fill("Ada")
    centre.get_by_role("button", name="Next").click()
    expect(centre.get_by_role("button", name="Join as: Alarm centre")).to_be_visible()
    wide["/join (roles)"] = too_wide(centre)
    centre.get_by_role("button", name="Join as: Alarm centre").click()
    expect(centre.locator('#vital-trends tr[data-vital="heart_rate"]')).to_be_visible()
    expect(centre.locator("#alarms li.alarm")).to_have_count(1)
    wide["/play (alarm centre)"] = too_wide(centre)
    relative = phone(browser)
    relative.goto(f"{lab.base}/join?code={ex['join_code']}")
    relative.get_by_label("Your name").fill("Cy")
    relative.get_by_role("button", name="Next").click()
    relative.get_by_role("button", name="Join as: Relative").click()
    expect(relative.locator("#no-sensors")).to_be_visible()
    wide["/play (relative)"] = too_wide(relative)
    teacher = phone(browser)
    sign_in(teacher, lab.base)
    for path in ("/teach", "/classroom", f"/teach/{ex['id']}"):
        teacher.goto(lab.base + path)
        teacher.wait_for_load_state("networkidle")
        wide[path] = too_wide(teacher)
    control(lab, ex["id"], "end")
    teacher.goto(f"{lab.base}/debrief/{ex['id']}")
    expect(teacher.locator("#cases")).to_contain_text("fall detected")
    teacher.wait_for_load_state("networkidle")
    wide["/debrief"] = too_wide(teacher)
    company = phone(browser)
    company.goto(lab.base + "/")
    company.get_by_label("Email").fill("dev@acme")
    company.get_by_label("Password").fill("correct horse battery")
    company.get_by_role("button", name="Sign in").click()
    company.wait_for_url(re.compile(r"/devices$"))
    wide["/devices"] = too_wide(company)
    assert {path: px for path, px in wide.items() if px} == {}


def test_the_floor_plan_tells_what_each_device_is_and_where_it_was(
    browser: Browser, lab: Api
) -> None:
    """A legend; names in the page's language; the wristband and the vitals watch drawn with
    the resident, not in the bedroom; the plugs dark at night (their relay is closed, nothing
    is in use); after the fall, the last event is the wristband's, and a tap tells it."""
    ex = exercise(lab)
    centre = phone(browser, "fi")
    centre.goto(f"{lab.base}/join?code={ex['join_code']}")
    centre.get_by_label("Nimesi").fill("Aino")
    centre.get_by_role("button", name="Seuraava").click()
    centre.get_by_role("button", name="Liity roolissa: Turvapuhelinkeskus").click()
    centre.wait_for_url(re.compile(r"/play/\d+$"))
    plan = centre.locator("#plan")
    expect(plan.locator(".legend")).to_contain_text("turvaranneke")
    expect(plan.locator(".legend")).to_contain_text("älypistorasia")
    # worn devices are in the resident's band, not in a room
    band = plan.locator("svg .worn rect")
    expect(band).to_have_count(1)
    worn_top = float(band.get_attribute("y") or 0)
    for device in ("wristband", "vitals"):
        moved = plan.locator(f'[data-device="{device}"]').get_attribute("transform") or ""
        y = float(re.findall(r"[-\d.]+", moved)[1])
        assert y > worn_top, (device, moved)
    control(lab, ex["id"], "start")
    control(lab, ex["id"], "step", minutes=540)  # 03:00, asleep
    tv = plan.locator('[data-device="plug-tv"]')
    expect(tv).to_have_attribute("aria-label", re.compile("virta kytketty: kyllä"))
    expect(tv).not_to_have_class(re.compile(r"\bon\b"))  # the relay is closed; nothing in use
    control(lab, ex["id"], "step", minutes=12)  # 03:12, she fell in the hall at 03:10
    # what spoke last is in the hall, or with her: nothing marks the bedroom she left
    latest = plan.locator(".device.latest")
    expect(latest).to_have_attribute("data-device", re.compile(r"^(wristband|vitals|\w+-hall)$"))
    plan.locator('[data-device="wristband"]').tap()
    detail = centre.locator("#device-detail")
    expect(detail).to_contain_text("turvaranneke")
    expect(detail).to_contain_text(
        re.compile(r"viimeisin tapahtuma: kaatuminen havaittu 23\.11\. 03:1\d")
    )
    plan.locator('[data-device="motion-hall"]').tap()
    expect(detail).to_contain_text("liiketunnistin (Eteinen)")


def test_the_console_s_alarm_list_follows_each_case(browser: Browser, lab: Api) -> None:
    """fall-with-injury, every role simulated: the fall is case 1; her button press a minute
    later joins it (not a case of its own); the list says so, and that case 1 closed."""
    ex = exercise(lab, "fall-with-injury", roles=[])
    teacher = page_in(browser)
    sign_in(teacher, lab.base)
    teacher.goto(f"{lab.base}/teach/{ex['id']}")
    expect(teacher.locator("#alarms")).to_contain_text("No alarms")
    control(lab, ex["id"], "start")
    control(lab, ex["id"], "step", minutes=24 * 60 - 1)
    first = teacher.locator('#alarms [data-case="1"]')
    expect(first).to_contain_text("fall detected")
    expect(first).to_contain_text("closed")
    expect(first).to_have_class("closed")
    expect(teacher.locator('#alarms [data-case="2"]')).to_contain_text("joined case 1")
    teacher.reload()  # the same after a reload
    expect(teacher.locator('#alarms [data-case="2"]')).to_contain_text("joined case 1")
    expect(teacher.locator('#alarms [data-case="1"]')).to_contain_text("closed")


def test_one_timeline_order_live_and_after_a_reload(browser: Browser, lab: Api) -> None:
    ex = exercise(lab, roles=[])
    teacher = page_in(browser)
    sign_in(teacher, lab.base)
    teacher.goto(f"{lab.base}/teach/{ex['id']}")
    expect(teacher.locator("#status")).to_have_text("Live")
    control(lab, ex["id"], "start")
    control(lab, ex["id"], "step", minutes=600)  # 04:00: the fall, answered, helped
    items = teacher.locator("#timeline li")
    expect(items.first).to_contain_text("answered alarm case 1")
    live = items.all_inner_texts()
    times = [re.findall(r"\d\d:\d\d", x)[0] for x in live]
    assert times == sorted(times) and len(live) > 5  # oldest first
    teacher.reload()
    expect(items).to_have_count(len(live))
    assert items.all_inner_texts() == live


def test_a_busy_role_says_how_long_it_is_still_busy(browser: Browser, lab: Api) -> None:
    ex = exercise(lab)
    centre = join(browser, lab.base, str(ex["join_code"]), "Ada", "Alarm centre")
    control(lab, ex["id"], "start")
    control(lab, ex["id"], "step", minutes=552)
    centre.get_by_role("button", name="answer", exact=True).click()
    expect(centre.locator("#action-result")).to_contain_text("case 1")
    centre.get_by_role("button", name="talk", exact=True).click()
    expect(centre.locator("#action-result")).to_contain_text("has fallen")
    button = centre.get_by_role("button", name=re.compile("^dispatch home care"))
    button.click()
    expect(centre.locator("#action-error")).to_have_text(
        "Not now: Alarm centre: still busy (talking to the resident) for about 90 s"
    )
    expect(button).to_contain_text("(90 s left)")
    control(lab, ex["id"], "step", minutes=2)
    expect(button).to_have_text("dispatch home care")  # free again
    # and every explanation is a tap away, not in a tooltip
    centre.get_by_text("What each action does").click()
    expect(centre.locator("#action-help")).to_contain_text("Send home care.")


def test_a_student_rejoining_is_the_same_and_a_taken_role_says_so(
    browser: Browser, lab: Api
) -> None:
    ex = exercise(lab, group="SH24A")
    code = str(ex["join_code"])
    join(browser, lab.base, code, "Bertta", "Home care")
    join(browser, lab.base, code, "Bertta", "Home care")  # her phone, then her laptop
    people = lab.call("GET", f"/api/exercises/{ex['id']}", TEACHER).json()["participants"]
    assert [(p["name"], p["role"]) for p in people] == [("Bertta", "home_care")]
    other = page_in(browser)
    other.goto(f"{lab.base}/join?code={code}")
    other.get_by_label("Your name").fill("Cecilia")
    other.get_by_role("button", name="Next").click()
    expect(other.locator("#exercise-title")).to_have_text("Night-time fall, wristband worn · SH24A")
    expect(other.locator("#role-list")).to_contain_text("joined already: Bertta")
    other.get_by_role("button", name="Join as: Home care").click()
    expect(other.locator("#role-error")).to_contain_text("Home care: joined already: Bertta")
    assert "/join" in other.url  # not joined until she says so again
    other.get_by_role("button", name="Join anyway as: Home care").click()
    other.wait_for_url(re.compile(r"/play/\d+$"))


def test_groups_are_named_run_again_and_marked_for_the_debrief(browser: Browser, lab: Api) -> None:
    teacher = page_in(browser)
    sign_in(teacher, lab.base)
    card = teacher.locator("form[data-scenario=night-fall]")
    card.get_by_label("Group (class)").fill("SH24A")
    card.get_by_role("button", name="Create an exercise").click()
    teacher.wait_for_url(re.compile(r"/teach/\d+$"))
    expect(teacher.locator("#title")).to_contain_text("Night-time fall, wristband worn · SH24A")
    first = teacher.url.rsplit("/", 1)[1]
    teacher.get_by_role("button", name="Start").click()
    step(teacher, 30)
    teacher.get_by_label("Mark this moment for the debrief").fill("Pause here: who calls whom?")
    teacher.get_by_role("button", name="Mark", exact=True).click()
    expect(teacher.locator("#timeline")).to_contain_text("Teacher: Pause here: who calls whom?")
    teacher.get_by_label("Run it again for the next group (its name)").fill("SH24B")
    teacher.get_by_role("button", name="Run again").click()
    teacher.wait_for_url(
        lambda url: bool(re.search(r"/teach/\d+$", url)) and not url.endswith(f"/{first}")
    )
    expect(teacher.locator("#title")).to_contain_text("SH24B")
    expect(teacher.locator("#clock")).to_contain_text("not started")
    control(lab, first, "end")
    teacher.goto(f"{lab.base}/debrief/{first}")
    expect(teacher.locator("#timeline")).to_contain_text("Teacher – Pause here: who calls whom?")
    expect(teacher.locator("#timeline")).not_to_contain_text("teacher@north")


def test_signing_in_and_joining_refuse_in_finnish(browser: Browser, lab: Api) -> None:
    page = page_in(browser, "fi")
    page.goto(lab.base + "/")
    expect(page.locator("#signout")).to_be_hidden()  # nobody is signed in
    page.get_by_label("Sähköposti").fill("teacher@north")
    page.get_by_label("Salasana").fill("wrong")
    page.get_by_role("button", name="Kirjaudu").click()
    expect(page.locator("#signin-error")).to_have_text("väärä sähköposti tai salasana")
    ex = exercise(lab)
    control(lab, ex["id"], "end")
    page.goto(f"{lab.base}/join?code={ex['join_code']}")
    page.get_by_label("Nimesi").fill("Aino")
    page.get_by_role("button", name="Seuraava").click()
    expect(page.locator("#code-error")).to_contain_text(
        "tämän koodin harjoitus on päättynyt: kysy opettajalta seuraavan harjoituksen koodi"
    )
    page.get_by_label("Liittymiskoodi").fill("NOPE42")
    page.get_by_role("button", name="Seuraava").click()
    expect(page.locator("#code-error")).to_contain_text("tällä koodilla ei löydy harjoitusta")
