"""What every page test shares: Debian's Chromium (Playwright cannot download its own here),
a page in a language on a laptop or a phone, and the steps a teacher and a student take."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mewet.texts import catalogue
from tests.support.apiserver import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NEEDS_CHROMIUM = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="make test installs chromium"
)
PHONE: ViewportSize = {"width": 360, "height": 740}
LAPTOP: ViewportSize = {"width": 1280, "height": 900}
SHOTS = os.environ.get("MEWET_SCREENSHOTS")  # `make screenshots`: where to keep them


def shot(page: Page, name: str) -> None:
    """Keep a screenshot of the page for the tour (README, docs/tour.md): `make screenshots`."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def page_in(browser: Browser, lang: str = "en", phone: bool = False) -> Page:
    """A page of a browser in `lang` (Helsinki time), on a laptop or on a phone (360×740,
    touch); the phone's buzz is kept in `window.__buzzed` as the page asks for it."""
    context = browser.new_context(
        locale="fi-FI" if lang == "fi" else lang,
        timezone_id="Europe/Helsinki",
        extra_http_headers={"Accept-Language": lang},
        viewport=PHONE if phone else LAPTOP,
        has_touch=phone,
        is_mobile=phone,
    )
    context.add_init_script(
        "window.__buzzed = [];navigator.vibrate = (p) => { window.__buzzed.push(p); return true; };"
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def sign_in(page: Page, base: str, lang: str = "en", email: str = "teacher@north") -> None:
    """A teacher (of the north school, unless `email` says) signs in, in the page's language,
    and lands on the library."""
    t = catalogue(lang)
    page.goto(base + "/")
    page.get_by_label(t["email"]).fill(email)
    page.get_by_label(t["password"]).fill(PASSWORD)
    page.get_by_role("button", name=t["signin"]).click()
    page.wait_for_url(re.compile(r"/teach$"))


def join(browser: Browser, base: str, code: str, name: str, role: str, lang: str = "en") -> Page:
    """A student joins on a phone with the code, a name and a role (its name on the page)."""
    t = catalogue(lang)
    page = page_in(browser, lang, phone=True)
    page.goto(f"{base}/join?code={code}")
    page.get_by_label(t["name"]).fill(name)
    page.get_by_role("button", name=t["next"]).click()
    page.get_by_role("button", name=f"{t['join_as']}: {role}").click()
    page.wait_for_url(re.compile(r"/play/\d+$"))
    return page


def step(teacher: Page, minutes: int, lang: str = "en") -> None:
    """The teacher steps the clock on from the console."""
    t = catalogue(lang)
    teacher.get_by_label(f"{t['step']} ({t['minutes']})").fill(str(minutes))
    teacher.get_by_role("button", name=t["step"], exact=True).click()
