"""A class in a real browser (Debian's Chromium driven by Playwright): a teacher signs in and
creates a night fall, two students join by code in their own browsers, the fall alarm reaches
the alarm centre's screen, the students act, the teacher sees it live and ends, and the
debrief shows the KPIs; every page in Finnish and in English; a refused action shows why; a
company's engineer sees what the lab made of their device."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.pages.browser import CHROMIUM, NEEDS_CHROMIUM, join, page_in, shot, sign_in, step
from tests.support.apiserver import PASSWORD, Api
from tests.support.securelab import secured_lab

pytestmark = NEEDS_CHROMIUM

if Path(CHROMIUM).exists():
    from playwright.sync_api import Browser, Route, expect


def test_a_class_runs_in_the_browser(browser: Browser, lab: Api) -> None:
    base = lab.base
    teacher = page_in(browser)
    teacher.goto(base + "/")
    shot(teacher, "1-sign-in-and-join")
    sign_in(teacher, base)
    shot(teacher, "2-teacher-library")
    card = teacher.locator("form[data-scenario=night-fall]")
    card.get_by_role("button", name="Create an exercise").click()
    teacher.wait_for_url(re.compile(r"/teach/\d+$"))
    code = teacher.locator("#join-code")
    expect(code).to_have_text(re.compile(r"^[A-Z0-9]{6}$"))
    expect(teacher.locator("#qr")).to_have_attribute("src", re.compile("^blob:"))

    centre = join(browser, base, code.inner_text(), "Ada", "Alarm centre")
    care = join(browser, base, code.inner_text(), "Bo", "Home care")
    expect(centre.locator("#title")).to_have_text("Night-time fall, wristband worn")
    expect(centre.locator("#brief")).to_contain_text("alarm centre")
    expect(teacher.locator("#participants")).to_contain_text("Ada: Alarm centre", timeout=15_000)
    expect(centre.locator("svg.plan [data-device=wristband]")).to_be_visible()

    teacher.get_by_role("button", name="Start").click()
    step(teacher, 552)  # to 03:12, just after the fall at 03:10
    expect(centre.locator("#alarms")).to_contain_text("fall detected (safety wristband)")
    expect(centre.locator("#clock")).to_contain_text("03:12")
    # the vitals panel: the latest values and their trend over the hours
    pulse = centre.locator('#vital-trends tr[data-vital="heart_rate"]')
    expect(pulse).to_contain_text("Heart rate")
    expect(pulse.locator(".now")).to_have_text(re.compile(r"^\d+(\.\d)? /min$"))
    expect(pulse.locator(".range")).to_contain_text("lowest")
    assert len((pulse.locator("polyline").get_attribute("points") or "").split()) >= 60
    shot(centre, "4-alarm-centre")

    # a refused action shows its reason in plain words
    care.get_by_role("button", name="help up").click()
    expect(care.locator("#action-error")).to_have_text("Not now: Home care: no visit is under way")

    centre.get_by_role("button", name="answer", exact=True).click()
    expect(centre.locator("#action-result")).to_contain_text("fall detected, safety wristband")
    centre.get_by_role("button", name="talk").click()
    expect(centre.locator("#action-result")).to_contain_text("has fallen")
    step(teacher, 2)
    centre.get_by_role("button", name="dispatch home care").click()
    expect(centre.locator("#action-result")).to_contain_text("home care is on its way")
    step(teacher, 20)
    for action in ("arrive", "unlock"):
        care.get_by_role("button", name=action, exact=True).click()
        expect(care.locator("#action-result")).to_contain_text("Done")
    step(teacher, 1)
    care.get_by_role("button", name="assess", exact=True).click()
    expect(care.locator("#action-result")).to_contain_text("on the floor")
    step(teacher, 9)
    care.get_by_role("button", name="help up").click()
    expect(care.locator("#action-result")).to_contain_text("back on her feet")
    # the teacher sees every role's actions live, and the case as it goes
    expect(teacher.locator("#timeline")).to_contain_text("helped the resident up")
    expect(teacher.locator('#alarms [data-case="1"]')).to_contain_text("help on site")
    expect(teacher.locator("#timeline")).to_contain_text("Ada")
    shot(care, "5-home-care")
    shot(teacher, "3-teacher-console")

    teacher.get_by_role("button", name="End").click()
    expect(teacher.locator("#clock")).to_contain_text("ended")
    teacher.get_by_role("link", name="Debrief").click()
    expect(teacher.locator("#kpis")).to_contain_text("Time to answer the alarm")
    expect(teacher.locator("#cases")).to_contain_text("fall detected (safety wristband)")
    expect(teacher.locator('#kpis [data-target="answer"]')).to_contain_text("met 1, missed 0")
    expect(teacher.locator("#cases")).to_contain_text("Ada")
    expect(teacher.locator("#zone")).to_contain_text("UTC+01:00")
    expect(teacher.locator("#chart-timeline")).to_have_attribute("src", re.compile("^blob:"))
    shot(teacher, "6-debrief")


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fi", ["Liity harjoitukseen", "Kirjaudu", "Opettajat"]),
        ("en", ["Join an exercise", "Sign in", "Teachers"]),
    ],
)
def test_every_page_speaks_finnish_and_english(
    browser: Browser, lab: Api, lang: str, words: list[str]
) -> None:
    page = page_in(browser, lang)
    page.goto(lab.base + "/")
    assert page.locator("html").get_attribute("lang") == lang
    for word in words:
        expect(page.locator("main")).to_contain_text(word)
    for path in ("/join", "/teach", "/classroom", "/teach/1", "/play/1", "/debrief/1"):
        page.goto(lab.base + path)
        assert page.locator("html").get_attribute("lang") == lang, path
    other = "en" if lang == "fi" else "fi"
    page.goto(lab.base + "/join")
    page.locator("#lang-switch").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == other  # switchable, and kept


def test_no_page_has_serious_accessibility_problems(browser: Browser, lab: Api) -> None:
    """axe-core (offline, from axe-playwright-python) on every page, signed in as each user
    sees it: no serious or critical violations; and the student's actions work from the
    keyboard alone."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    teacher = page_in(browser)
    sign_in(teacher, lab.base)
    teacher.locator("form[data-scenario=night-fall]").get_by_role(
        "button", name="Create an exercise"
    ).click()
    teacher.wait_for_url(re.compile(r"/teach/\d+$"))
    code = teacher.locator("#join-code")
    expect(code).to_have_text(re.compile(r"^[A-Z0-9]{6}$"))
    student = join(browser, lab.base, code.inner_text(), "Ada", "Alarm centre")
    expect(student.locator("#actions button").first).to_be_visible()
    exercise = teacher.url.rsplit("/", 1)[1]
    found = {}
    for page, path in (
        (teacher, "/"),
        (teacher, "/join"),
        (teacher, "/teach"),
        (teacher, "/classroom"),
        (teacher, f"/teach/{exercise}"),
        (student, f"/play/{exercise}"),
        (teacher, f"/debrief/{exercise}"),
    ):
        page.goto(lab.base + path)
        page.wait_for_load_state("networkidle")
        violations = axe.run(page).response["violations"]
        bad = [v["id"] for v in violations if v.get("impact") in ("serious", "critical")]
        if bad:
            found[path] = bad
    assert not found, found
    # keyboard only: tab to the first action and press it
    student.goto(f"{lab.base}/play/{exercise}")
    expect(student.locator("#actions button").first).to_be_visible()
    for _ in range(40):
        student.keyboard.press("Tab")
        if student.evaluate("document.activeElement.dataset.action") == "answer":
            break
    student.keyboard.press("Enter")
    expect(student.locator("#action-error")).to_contain_text("not started")


def test_the_api_reference_works_without_the_internet(browser: Browser, lab: Api) -> None:
    """/docs (Swagger UI) and /redoc (ReDoc) on a school network that reaches nothing but
    the lab: every file comes from the lab's origin and the reference renders. (ReDoc's
    footer asks for its maker's logo from a CDN: the CSP blocks that, and only that.)"""
    page = page_in(browser)
    outside: list[str] = []
    problems: list[str] = []

    def only_the_lab(route: Route) -> None:
        if route.request.url.startswith(lab.base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_lab)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(lab.base + "/docs")
    expect(page.locator(".swagger-ui .title")).to_contain_text("MeWeT exercise API")
    expect(page.get_by_text("/api/exercises/{exercise_id}/control").first).to_be_visible()
    page.goto(lab.base + "/redoc")
    expect(page.locator("h1")).to_contain_text("MeWeT exercise API", timeout=15_000)
    expect(page.get_by_text("Steer: start, pause, resume").first).to_be_attached()
    logo = "Loading the image 'https://cdn.redoc.ly/"
    assert outside == [], outside
    assert [p for p in problems if not p.startswith(logo)] == [], problems


def test_a_teacher_steers_every_group_side_by_side(browser: Browser, lab: Api) -> None:
    """Three groups of one class, each its own exercise: on one page side by side with
    their codes; 'Start all' starts them all, one is paused on its own card, and the page
    keeps up with what happened elsewhere (an exercise ended from its console leaves)."""
    made = [
        lab.call("POST", "/api/exercises", "teacher@north", json={"scenario": "night-fall"})
        for _ in range(3)
    ]
    assert all(r.status_code == 201 for r in made), [r.text for r in made]
    ids = [str(r.json()["id"]) for r in made]
    teacher = page_in(browser)
    sign_in(teacher, lab.base)
    teacher.get_by_role("link", name="All groups").click()
    teacher.wait_for_url(re.compile(r"/classroom$"))
    cards = {i: teacher.locator(f'[data-exercise="{i}"]') for i in ids}
    for i, card in cards.items():
        expect(card).to_contain_text("not started")
        expect(card.locator(".code")).to_have_text(made[ids.index(i)].json()["join_code"])
    teacher.get_by_role("button", name="Start all").click()
    for card in cards.values():
        expect(card).to_contain_text("running")
    cards[ids[0]].get_by_role("button", name="Pause").click()
    expect(cards[ids[0]]).to_contain_text("paused")
    expect(cards[ids[1]]).to_contain_text("running")
    ended = lab.call(
        "POST", f"/api/exercises/{ids[2]}/control", "teacher@north", json={"control": "end"}
    )
    assert ended.status_code == 200, ended.text
    expect(cards[ids[2]]).to_have_count(0, timeout=10_000)  # refreshed on its own
    for i in ids[:2]:
        lab.call("POST", f"/api/exercises/{i}/control", "teacher@north", json={"control": "end"})


def test_a_finnish_student_gets_the_scenario_in_finnish(browser: Browser, lab: Api) -> None:
    r = lab.call("POST", "/api/exercises", "teacher@north", json={"scenario": "night-fall"})
    code = r.json()["join_code"]
    page = page_in(browser, "fi")
    page.goto(f"{lab.base}/join?code={code}")
    page.get_by_label("Nimesi").fill("Aino")
    page.get_by_role("button", name="Seuraava").click()
    page.get_by_role("button", name="Liity roolissa: Turvapuhelinkeskus").click()
    page.wait_for_url(re.compile(r"/play/\d+$"))
    expect(page.locator("#title")).to_have_text("Yöllinen kaatuminen, turvaranneke käytössä")
    expect(page.locator("#brief")).to_contain_text("turvapuhelinkeskuksen päivystäjä")
    expect(page.locator("#resident")).to_contain_text("asuu yksin")
    expect(page.locator("#goals")).to_contain_text("Tunnista kaatuminen")
    expect(page.get_by_role("button", name="vastaa hälytykseen")).to_be_visible()
    expect(page.get_by_role("button", name="lähetä kotihoito")).to_be_visible()
    # a refused action's reason, and what the care team writes, in Finnish too
    page.get_by_role("button", name="vastaa hälytykseen").click()
    expect(page.locator("#action-error")).to_have_text("Ei nyt: harjoitus ei ole vielä alkanut")
    lab.call(
        "POST",
        f"/api/exercises/{r.json()['id']}/control",
        "teacher@north",
        json={"control": "start"},
    )
    page.get_by_role("button", name="vastaa hälytykseen").click()
    expect(page.locator("#action-error")).to_contain_text("avoimia hälytystapauksia ei ole")


def test_a_lost_connection_says_so_and_catches_up(browser: Browser, lab: Api) -> None:
    """The network drops: the page says it is reconnecting; back online, it takes a fresh
    ticket and snapshot and shows what happened meanwhile."""
    ex = lab.call("POST", "/api/exercises", "teacher@north", json={"scenario": "night-fall"}).json()
    page = page_in(browser)
    # keep a handle on the page's sockets, to cut them as a dropped network would
    page.add_init_script(
        "window.__sockets = []; const Native = window.WebSocket;"
        "window.WebSocket = function (...a) { const s = new Native(...a);"
        " window.__sockets.push(s); return s; };"
        "window.WebSocket.prototype = Native.prototype;"
    )
    page.goto(f"{lab.base}/join?code={ex['join_code']}")
    page.get_by_label("Your name").fill("Ada")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Join as: Alarm centre").click()
    expect(page.locator("#status")).to_have_text("Live")
    page.context.set_offline(True)
    page.evaluate("window.__sockets.forEach((s) => s.close())")
    expect(page.locator("#status")).to_contain_text("reconnecting")
    lab.call(
        "POST", f"/api/exercises/{ex['id']}/control", "teacher@north", json={"control": "start"}
    )
    lab.call(
        "POST",
        f"/api/exercises/{ex['id']}/control",
        "teacher@north",
        json={"control": "step", "args": {"minutes": 552}},
    )
    page.context.set_offline(False)
    expect(page.locator("#status")).to_have_text("Live", timeout=30_000)
    expect(page.locator("#alarms")).to_contain_text("fall detected")  # from the fresh snapshot
    expect(page.locator("#clock")).to_contain_text("03:12")


def test_a_company_sees_its_device_and_what_to_fix(browser: Browser, tmp_path: Path) -> None:
    """The engineer signs in and lands on their devices: the plug is online with two refused
    messages and one deviation (an event before its meta); opening it shows why each was
    refused and where it strayed, and the publish the broker refused at the devices' door (to
    another device's topic); a conformance test shows its report check by check, and another
    starts from the page. In Finnish, the words of the page are Finnish. No serious
    accessibility problems."""
    from axe_playwright_python.sync_playwright import Axe

    with secured_lab(tmp_path, door=True) as lab:
        plug = lab.device("acme", "plug-1")
        lab.device("acme", "plug-2").close()
        plug.send("status", "online", retain=True)
        plug.send("telemetry", "not json at all")
        plug.send("event", '{"v": 1}')
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        pressed = {"v": 1, "id": "e1", "ts": now, "seq": 0, "event_type": "button_pressed"}
        plug.send("event", json.dumps(pressed))
        plug.client.publish("mewet/acme/plug-2/state", b"{}", qos=1)  # not its topic
        run = "/api/devices/acme/plug-1/conformance"
        r = lab.api.call("POST", run, "dev@acme", json={"watch_s": 5, "answer_s": 1})
        assert r.status_code == 202, r.text
        page = page_in(browser)
        page.goto(lab.api.base + "/")
        page.get_by_label("Email").fill("dev@acme")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/devices$"))
        row = page.locator('tr[data-device="acme/plug-1"]')
        expect(row).to_contain_text("online")
        expect(page.locator('tr[data-device="acme/plug-2"]')).to_contain_text("never seen")
        expect(row.locator("td").nth(3)).to_have_text("2", timeout=25_000)  # refreshes itself
        expect(row.locator("td").nth(4)).to_have_text("1")  # an event before any meta
        row.get_by_role("button", name="acme/plug-1").click()
        expect(page.locator("#dead-letters li")).to_have_count(2)
        expect(page.locator("#dead-letters")).to_contain_text("JSON")
        expect(page.locator("#deviations")).to_contain_text("no meta sent")
        expect(page.locator("#events")).to_contain_text("button_pressed")
        expect(page.locator("#broker-refused li")).to_have_count(1)
        expect(page.locator("#broker-refused")).to_contain_text(
            "a topic it may not write mewet/acme/plug-2/state"
        )
        # the conformance test started above: its report, check by check
        expect(page.locator("#commands")).to_contain_text("No commands sent yet")
        expect(page.locator("#readings")).to_contain_text("No readings yet")
        expect(page.locator("#conformance-runs")).to_contain_text("FAIL", timeout=30_000)
        page.locator('[data-run="1"]').get_by_role("button", name="Show report").click()
        report = page.locator("#conformance-report")
        expect(report).to_contain_text("Retained meta is present and valid")
        expect(report.locator("tr", has_text="meta-valid")).to_contain_text("FAIL")
        page.get_by_role("button", name="Test this device now").click()
        expect(page.locator("#conformance-said")).to_contain_text("Test started")
        expect(page.locator('[data-run="2"]')).to_contain_text("running")
        shot(page, "7-company-devices")
        violations = Axe().run(page).response["violations"]
        assert not [v["id"] for v in violations if v.get("impact") in ("serious", "critical")]
        page.get_by_role("link", name="Suomeksi").click()
        expect(page.locator("h1")).to_have_text("Omat laitteet")
        expect(page.locator('tr[data-device="acme/plug-2"]')).to_contain_text("ei koskaan nähty")
        page.locator('tr[data-device="acme/plug-1"]').get_by_role("button").click()
        expect(page.locator("#broker-refused")).to_contain_text("aihe, johon laite ei saa")
        plug.close()
