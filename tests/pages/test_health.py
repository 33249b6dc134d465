"""What the pages say when the lab itself is in trouble, and when a sign-in ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from mewet.config import MqttUrl, StoreUrl
from mewet.store.base import IngestStats, open_store
from mewet.texts import catalogue
from tests.pages.browser import CHROMIUM, NEEDS_CHROMIUM, join, page_in, sign_in
from tests.pages.finnish import finnish
from tests.support.apiserver import serve
from tests.support.helpers import unique_root

pytestmark = NEEDS_CHROMIUM

if Path(CHROMIUM).exists():
    from playwright.sync_api import Browser, expect


def test_the_console_says_when_new_readings_are_not_saved(
    browser: Browser, tmp_path: Path, mqtt_url: MqttUrl
) -> None:
    """Ingest last reported two minutes ago: the teacher's console says that new readings
    are not being saved and how long ago the last save was, in Finnish too; when ingest
    reports again, the warning goes."""
    url = StoreUrl("sqlite", path=tmp_path / "store.db")
    store = open_store(url)
    stale = datetime.now(UTC) - timedelta(seconds=120)
    store.write([IngestStats(stale, "mewet-up-ingest", received=10, written=10)])
    with serve(tmp_path / "data", mqtt_url, unique_root(), store=url) as lab:
        ex = lab.call("POST", "/api/exercises", "teacher@north", json={"scenario": "night-fall"})
        assert ex.status_code == 201, ex.text
        answer = lab.call("GET", "/api/health", "teacher@north").json()
        assert answer["ok"] is False and answer["store"]["behind"] is True
        for lang in ("en", "fi"):
            page = page_in(browser, lang)
            sign_in(page, lab.base, lang)
            page.goto(f"{lab.base}/teach/{ex.json()['id']}")
            warning = page.locator("#health")
            expect(warning).to_be_visible()
            said = catalogue(lang)["health_store_behind_for"].split("{s}")[0]
            expect(warning).to_contain_text(said)
            expect(warning).to_contain_text(" 12")  # 120 s (and a little more) ago
            if lang == "fi":
                assert not finnish(page, "console")
        store.write([IngestStats(datetime.now(UTC), "mewet-up-ingest", received=20, written=20)])
        expect(page.locator("#health")).to_be_hidden(timeout=30_000)
    store.close()


def test_signing_out_closes_the_live_feed(
    browser: Browser, tmp_path: Path, mqtt_url: MqttUrl
) -> None:
    """A student's feed open in one tab closes when she signs out in another: the page says
    she signed out and does not reconnect."""
    with serve(tmp_path / "data", mqtt_url, unique_root()) as lab:
        ex = lab.call("POST", "/api/exercises", "teacher@north", json={"scenario": "night-fall"})
        code = ex.json()["join_code"]
        page = join(browser, lab.base, code, "Ada", "Alarm centre")
        expect(page.locator("#status")).to_have_text(catalogue("en")["connected"])
        token = page.evaluate("JSON.parse(sessionStorage.getItem('mewet-session')).token")
        other = page.context.new_page()
        other.goto(lab.base + "/")
        status = other.evaluate(
            "async (t) => (await fetch('/api/auth/logout', {method: 'POST', "
            "headers: {Authorization: `Bearer ${t}`}})).status",
            token,
        )
        assert status == 204
        expect(page.locator("#status")).to_have_text(catalogue("en")["signed_out_feed"])
