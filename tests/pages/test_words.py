"""The server and the page say a message the same way: every message of the catalogues, with
values of every kind (a number, a device, a nested message, each branch of a choice), said by
`mewet.texts.say` and by the page's `say` in a real browser, in Finnish and in English."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from mewet.texts import LANGUAGES, Said, catalogue, said, say
from tests.pages.browser import CHROMIUM, NEEDS_CHROMIUM, page_in
from tests.support.apiserver import Api

pytestmark = NEEDS_CHROMIUM

if Path(CHROMIUM).exists():
    from playwright.sync_api import Browser

PLACE = re.compile(r"\{(\w+)(?::(\w+))?\}")
DEVICES = {"smoke-hall": "palovaroitin (eteinen)", "wristband": "turvaranneke"}
NESTED = said("found_hungry", meals=2)


def value(kind: str | None, variant: int, lang: str) -> Any:
    """A value of a kind: plain ones in turn as text, a whole and a negative decimal number
    (the Finnish comma and minus), a nested message, several; named ones as the catalogue
    has them, one unknown."""
    if kind == "dur":
        return [90, 600, 119.6][variant % 3]
    if kind == "num":
        return [34.56, -0.04, 7][variant % 3]
    if kind == "device":
        return ["smoke-hall", "wristband", "no-such-device"][variant % 3]
    if kind in ("said", "list"):
        return NESTED
    if kind is not None:
        known = list(catalogue(lang)[kind])
        return [known[0], known[-1], "not_in_the_catalogue"][variant % 3]
    return ["tekstiä (text)", 12, -2.5, NESTED, (NESTED, said("found_well"))][variant % 5]


def branch(key: str) -> Any:
    """The value that takes a choosing template's branch."""
    if key in ("true", "false"):
        return key == "true"
    if key == "none":
        return None
    return int(key) if key.isdigit() else key


def messages(lang: str) -> list[Said]:
    """Every message of the catalogue with values of each kind, and each branch of a choice."""
    out = []
    for id_, template in catalogue(lang)["said"].items():
        texts = template.values() if isinstance(template, dict) else [template]
        places = {(m[1], m[2] or None) for t in texts for m in PLACE.finditer(t)}
        chooses = [template["by"]] if isinstance(template, dict) else []
        keys = [k for k in template if k not in ("by",)] if isinstance(template, dict) else [""]
        for variant in range(5):
            for key in keys:
                args = {name: value(kind, variant, lang) for name, kind in places}
                for by in chooses:
                    args[by] = branch(key) if key != "other" else "something else"
                out.append(Said(id_, args))
    return out


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_page_says_every_message_as_the_server_does(
    browser: Browser, lab: Api, lang: str
) -> None:
    page = page_in(browser, lang)
    page.goto(lab.base + "/join")
    assert page.locator("html").get_attribute("lang") == lang
    sent = messages(lang)
    assert len(sent) > 5 * len(catalogue(lang)["said"])
    shown = page.evaluate(
        "async ([messages, devices]) => { const m = await import('/static/api.js');"
        " m.nameDevices(devices); return messages.map((x) => m.say(x)); }",
        [[s.as_json() for s in sent], DEVICES],
    )
    differ = [
        (s.as_json(), said_by_page, say(s, lang, DEVICES))
        for s, said_by_page in zip(sent, shown, strict=True)
        if said_by_page != say(s, lang, DEVICES)
    ]
    assert not differ, differ[:5]
    # and what is said has its values in it, in this language's numbers
    busy = say(said("busy", role="home_care", action="assess", left_s=600), lang)
    assert ("noin 10 min" if lang == "fi" else "about 10 min") in busy
