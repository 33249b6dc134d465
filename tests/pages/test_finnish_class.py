"""Every library scenario run as a Finnish class in a real browser (Debian's Chromium): the
teacher on a laptop, students on phones (360×740, Finnish, Helsinki time). The console, the
student pages, the debrief and its exports (HTML report, CSV, charts) show no English word,
no raw id and no word twice; no page is wider than the phone; the alarm comes first."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from mewet.config import Limits, MqttUrl
from mewet.scenarios.scenario import library, load_scenario
from mewet.servers import Server
from tests.pages.browser import CHROMIUM, NEEDS_CHROMIUM, PHONE, join, page_in, sign_in, step
from tests.pages.finnish import finnish, leftovers
from tests.support.apiserver import Api, serve
from tests.support.helpers import unique_root

pytestmark = NEEDS_CHROMIUM

if Path(CHROMIUM).exists():
    from playwright.sync_api import Browser, Page, expect


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, broker: Server) -> Iterator[Api]:
    """One lab for the whole class of scenarios (each exercise ends before the next)."""
    mqtt = MqttUrl("127.0.0.1", broker.port)
    # a dozen classes from one address within minutes: more joins and sign-ins than a
    # minute's limit for one school's network allows
    limits = Limits(joins_per_minute=1000, logins_per_minute=1000)
    with serve(tmp_path_factory.mktemp("fi") / "data", mqtt, unique_root(), limits=limits) as api:
        yield api


def width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


@pytest.mark.parametrize("name", sorted(library()))
def test_a_library_scenario_runs_as_a_finnish_class(browser: Browser, lab: Api, name: str) -> None:
    scenario = load_scenario(name)
    teacher = page_in(browser, "fi")
    sign_in(teacher, lab.base, "fi")
    card = teacher.locator(f"form[data-scenario={name}]")
    card.get_by_label("Ryhmä").fill("SH24A")
    for box in card.locator("input[name=role]").all():
        box.set_checked(box.get_attribute("value") in ("alarm_centre", "relative"))
    card.get_by_role("button", name="Luo harjoitus").click()
    teacher.wait_for_url(re.compile(r"/teach/\d+$"))
    expect(teacher.locator("#title")).to_contain_text("SH24A")
    code = teacher.locator("#join-code")
    expect(code).to_have_text(re.compile(r"^[A-Z0-9]{6}$"))
    centre = join(browser, lab.base, code.inner_text(), "Aino", "Turvapuhelinkeskus", "fi")
    family = join(browser, lab.base, code.inner_text(), "Eero", "Omainen", "fi")
    for student in (centre, family):
        expect(student.locator("#status")).to_have_text("Suorana")
    wrong: list[str] = []
    wide: list[str] = []

    teacher.get_by_role("button", name="Aloita").click()
    answered = False
    elapsed = 0
    end = int(scenario.days * 1440)

    def on(minutes: int) -> None:
        """Step the clock on, and wait until the console has caught up with it (a step of
        hours sends the class thousands of readings at once)."""
        nonlocal elapsed
        step(teacher, minutes, "fi")
        elapsed = min(end, elapsed + minutes)
        shown = (scenario.start + timedelta(minutes=elapsed)).strftime("%d.%m. %H:%M")
        expect(teacher.locator("#clock")).to_contain_text(shown, timeout=30_000)

    while elapsed < end:
        on(min(720, end - elapsed))
        first = centre.locator("#alarms li.alarm").first
        if not answered and first.count():
            # the alarm came first on her phone: a banner at the top, a buzz, the queue
            expect(centre.locator("#alarm-banner")).to_be_visible()
            assert centre.evaluate("window.__buzzed.length") > 0
            expect(centre.locator("#alarm-section")).to_be_in_viewport()
            for action in ("vastaa hälytykseen", "puhu asukkaalle", "lähetä kotihoito"):
                centre.get_by_role("button", name=action, exact=True).click()
                told = centre.locator("#action-result, #action-error")
                expect(told.filter(has_text=re.compile(r"\S"))).to_have_count(1)
                on(2)
            centre.get_by_label("Kirjoita kirjaus").fill("Soitin asukkaalle ja lähetin kotihoidon.")
            centre.get_by_role("button", name="Tallenna").click()
            answered = True
            wrong += finnish(centre, "hälytyskeskus kesken")
            wide += [f"hälytyskeskus {width(centre)}"] if width(centre) > PHONE["width"] else []
    wrong += finnish(teacher, "ohjaus")
    wrong += finnish(centre, "turvapuhelinkeskus")
    wrong += finnish(family, "omainen")
    teacher.get_by_role("button", name="Lopeta").click()
    expect(teacher.locator("#clock")).to_contain_text("päättynyt")

    teacher.get_by_role("link", name="Jälkipuinti").click()
    expect(teacher.locator("#kpis")).to_contain_text("Hälytykseen vastaaminen")
    expect(teacher.locator("#chart-timeline")).to_have_attribute("src", re.compile("^blob:"))
    wrong += finnish(teacher, "jälkipuinti")
    for page, who in ((centre, "turvapuhelinkeskus"), (family, "omainen")):
        page.goto(page.url.replace("/play/", "/debrief/"))
        expect(page.locator("#kpis")).to_contain_text("Hälytykseen vastaaminen")
        wrong += finnish(page, f"jälkipuinti ({who})")
        for path in ("/play/", "/debrief/"):
            page.goto(re.sub(r"/(play|debrief)/", path, page.url))
            page.wait_for_load_state("networkidle")
            if width(page) > PHONE["width"]:
                wide.append(f"{who} {path} {width(page)} px")
    exercise = teacher.url.rsplit("/", 1)[1]
    api = f"{lab.base}/api/exercises/{exercise}"
    token = teacher.evaluate("JSON.parse(sessionStorage.getItem('mewet-session')).token")
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "fi"}
    report = teacher.request.get(f"{api}/debrief?format=html", headers=headers).text()
    assert '<html lang="fi">' in report
    wrong += [f"HTML-raportti: {x}" for x in leftovers(text_of(report))]
    table = teacher.request.get(f"{api}/debrief?format=csv", headers=headers).text()
    assert table.startswith("\ufeffaika;laji;kuka tai mikä;mitä tapahtui;tekijä\n")
    wrong += [f"CSV: {x}" for x in leftovers(table)]
    for chart in ("timeline", "vitals"):
        svg = teacher.request.get(f"{api}/debrief/{chart}.svg", headers=headers).text()
        # a chart's labels stand side by side, not in sentences: words only, no "twice"
        wrong += [f"kaavio {chart}: {x}" for x in leftovers(chart_words(svg), lines=[])]
    assert not wrong, wrong
    assert not wide, wide
    for page in (teacher, centre, family):
        page.context.close()


def text_of(page_html: str) -> str:
    """A page's text without its markup, the charts' words kept (as the reader sees them)."""
    body = re.sub(r"<style.*?</style>", " ", page_html, flags=re.S)
    body = re.sub(r"<!--(.*?)-->", r" \1 ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "\n", body))


def chart_words(svg: str) -> str:
    """The words a chart shows: matplotlib draws text as paths, with the text beside them as
    a comment."""
    return " ".join(html.unescape(m) for m in re.findall(r"<!--\s*(.*?)\s*-->", svg, re.S))
