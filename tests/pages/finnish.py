"""What a Finnish page may show: no English word, no raw id, no word said twice in a row
(nor two words of one stem, as when an action's words and its details both name the case).

The English words are those of the English catalogue, the scenarios' English texts and the
homes' English room names that the Finnish catalogue and the Finnish texts never use (so
`min`, `SpO2` or a name do not count); the raw ids are the catalogues' keys written with `_`
and the homes' ids written with `-` (`fall_detected`, `smoke-hall`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from mewet.devices.homes import load_home
from mewet.scenarios.scenario import library, load_scenario
from mewet.sim.home import builtin_homes
from mewet.texts import catalogue

if TYPE_CHECKING:
    from playwright.sync_api import Page

URL = re.compile(r"https?://\S+|/api/\S+|'Authorization: [^']*'|`[^`]*`|\bMEWET_[A-Z_]+")
PLACE = re.compile(r"\{\w+(?::\w+)?\}")
WORD = re.compile(r"[A-Za-zÅÄÖåäöÉé]+")
SNAKE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
TWICE = re.compile(r"\b(\w{5})\w*\s+\1\w*", re.IGNORECASE)
"""Two words in a row of the same stem: "sulki tapauksen tapaus", "sairaalaan sairaalaan"."""


def strings(value: Any) -> Iterable[str]:
    """Every text in a catalogue (or a part of it): keys, the names of the values a message
    puts in (`{case}`) and what a choosing template chooses by left out."""
    if isinstance(value, str):
        yield PLACE.sub(" ", value)
    elif isinstance(value, dict):
        for k, v in value.items():
            if k != "by" or not isinstance(v, str):
                yield from strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from strings(v)


def words(texts: Iterable[str]) -> set[str]:
    return {w.lower() for text in texts for w in WORD.findall(text)}


SHARED = frozenset(
    # words both languages write alike (units, names of formats and of the lab), and the
    # contract's own terms a Finnish engineer reads as they are (company pages, API errors)
    {"min", "csv", "html", "api", "mewet", "readme", "url", "radio", "utc"}
    | {"mmhg", "mmol", "news"}  # the units and the score of a measurement (NEWS2)
    | {"kwh", "dbm", "ppm"}  # a plug's energy, a signal's strength, the air's CO2
    | {"nph"}  # the insulin's name in both languages (NPH-insuliini)
    | {"ensihoito", "omainen", "kotihoito"}  # the English pages name the Finnish roles too
    | {"meta", "seq", "state", "online", "offline", "last", "will", "max", "true", "false"}
    | {"post", "host"}
    | {"yaml"}  # the scenario file's format
)


@functools.cache
def english() -> frozenset[str]:
    """Words a Finnish page never shows: those of the English catalogue, the scenarios' English
    texts and the homes' English room names, but for the Finnish words the scenarios' authors
    wrote (independent of the catalogue under test) and the few both languages share."""
    # the blank scenario is a YAML file with texts in both languages: code, not words shown
    en = list(strings({k: v for k, v in catalogue("en").items() if k != "editor_blank"}))
    fi: list[str] = []
    for name in library():
        s = load_scenario(name)
        title, description, goals, guide = s.text("en")
        en += [title, description, guide, *goals]
        en += [s.brief(role, "en") for role in s.roles]
        title, description, goals, guide = s.text("fi")
        fi += [title, description, guide, *goals]
    for home in homes():
        en += [room.name for room in home.rooms]
        fi += [room.name_fi or "" for room in home.rooms]
    return frozenset(w for w in words(en) - words(fi) - SHARED if len(w) > 2)


@functools.cache
def ids() -> frozenset[str]:
    """The homes' ids (devices, rooms, doors), as they would show raw."""
    out: set[str] = set()
    for home in homes():
        out |= {d.id for d in home.devices} | {r.id for r in home.rooms}
        out |= {d.id for d in home.doors}
    return frozenset(i for i in out if "-" in i)


def homes() -> list[Any]:
    return [load_home(name) for name in builtin_homes()]


@functools.cache
def written_twice() -> frozenset[str]:
    """Words of one stem side by side in the scenarios' own Finnish ("sattuu sattumalta"):
    the author's Finnish, not the lab's doubling."""
    found: set[str] = set()
    for name in library():
        title, description, goals, guide = load_scenario(name).text("fi")
        for text in (title, description, guide, *goals):
            found |= {m.group(0).lower() for m in TWICE.finditer(text)}
    return frozenset(found)


def leftovers(text: str, lines: Iterable[str] | None = None) -> list[str]:
    """What on a Finnish page is not Finnish: English words and raw ids in its text, words
    said twice within one of its lines (a sentence, a row; default: each line of the text)."""
    text = URL.sub(" ", text)  # an address, a header, a command: no word of either language
    found = sorted({w for w in WORD.findall(text) if w.lower() in english()})
    found += [f"id {m}" for m in sorted(set(SNAKE.findall(text)))]
    found += [f"id {i}" for i in sorted(ids()) if re.search(rf"(?<![\w-]){i}(?![\w-])", text)]
    for line in text.splitlines() if lines is None else lines:
        found += [
            f"twice {m.group(0)!r}"
            for m in TWICE.finditer(line)
            if m.group(0).lower() not in written_twice()
        ]
    return found


SENTENCES = "li, p, td, th, h1, h2, h3, caption, small, option"
"""Where a page says something whole: a word twice within one of these is a mistake (a label
beside a button of the same word is not)."""


def finnish(page: Page, where: str) -> list[str]:
    """What on the page is not Finnish, named with where it was seen. Text marked as another
    language (`lang="en"`: a device's English name beside its Finnish one) is left out:
    it is shown as English on purpose, and a screen reader reads it so."""
    text = page.locator("body").inner_text()
    lines = page.locator(SENTENCES).all_inner_texts()
    for foreign in page.locator('main [lang]:not([lang="fi"])').all_inner_texts():
        text = text.replace(foreign, " ")
        lines = [line.replace(foreign, " ") for line in lines]
    return [f"{where}: {x}" for x in leftovers(text, lines)]
