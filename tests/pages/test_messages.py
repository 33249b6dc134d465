"""The lab's words: every message in both languages, every id the code says has its words,
every thing the pages name (an event, a device type, an action, an incident) has a name in
both, and a message is said the same way by the server and the page (in a real browser, in
tests/pages/test_words.py)."""

from __future__ import annotations

import json
import re
import typing
from typing import Any

from mewet.devices.catalogue import CATALOGUE
from mewet.exercises.live import CONTROLS
from mewet.scenarios.care import ACTIONS
from mewet.scenarios.care.roles.home_care import NOTES
from mewet.scenarios.care.settings import Situation
from mewet.scenarios.incidents import AnyIncident
from mewet.texts import LANGUAGES, Said, catalogue, number, said, say
from tests.support.helpers import REPO


def keys(messages: dict[str, Any], at: str = "") -> set[str]:
    out = set()
    for key, value in messages.items():
        out.add(at + key)
        if isinstance(value, dict) and not {"by", "other"} <= value.keys():
            out |= keys(value, f"{at}{key}.")
    return out


def test_every_message_is_in_every_language() -> None:
    """A page never shows a Finnish student a key, or an English one a blank."""
    found = {lang: keys(catalogue(lang)) for lang in LANGUAGES}
    english = found["en"]
    for lang, words in found.items():
        assert words == english, (lang, sorted(words ^ english))


def test_no_message_is_written_twice_in_a_catalogue() -> None:
    """A key given twice in a catalogue file keeps only its last words: the other message
    would silently say something else (the countdown's "90 s left" once stood in for the
    timeline's "locked up and left")."""
    from importlib import resources

    def once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
        return dict(pairs)

    for lang in LANGUAGES:
        text = (resources.files("mewet.texts") / f"{lang}.json").read_text("utf-8")
        json.loads(text, object_pairs_hook=once)


def said_in_code() -> set[str]:
    """Every message id the lab's code says: `said("id")`, `refused(409, "id")`, the care
    timeline's `log(role, "action")`, and the families built from a name."""
    code = "\n".join(p.read_text() for p in (REPO / "mewet").rglob("*.py"))
    ids = set(re.findall(r"\bsaid\(\s*\"([a-z_]+)\"", code))
    ids |= set(re.findall(r"\brefused\(\s*\d+,\s*\"([a-z_]+)\"", code))
    logged = r"\b(?:log|policy_log|get_up)\(\s*(?:\w+|\"[a-z_]+\"),\s*\"([a-z_]+)\""
    ids |= set(re.findall(logged, code))
    ids |= {f"heard_{s}" for s in typing.get_args(Situation)}
    ids |= {f"control_{c}" for c in CONTROLS}
    ids |= NOTES
    return ids


def test_every_message_the_code_says_has_its_words() -> None:
    """A new refusal, result or timeline entry cannot reach a Finnish class as an id."""
    ids = said_in_code()
    assert {"busy", "answered", "helped_up", "linked", "no_such_code", "heard_fallen"} <= ids
    for lang in LANGUAGES:
        assert not ids - catalogue(lang)["said"].keys(), lang


def test_every_thing_a_page_names_has_a_name_in_both_languages() -> None:
    events = {e for spec in CATALOGUE.values() for e in spec.events_for(spec.faults)}
    events |= {"battery_low", "no_answer_relative"}
    channels = {c.name for spec in CATALOGUE.values() for c in spec.channels} | {"battery"}
    incidents = {typing.get_args(t.model_fields["type"].annotation)[0] for t in incident_types()}
    for lang in LANGUAGES:
        words = catalogue(lang)
        assert not events - words["events"].keys(), lang
        assert not set(CATALOGUE) - words["device_types"].keys(), lang
        assert not set(CATALOGUE) - words["device_marks"].keys(), lang
        assert not channels - words["channels"].keys(), lang
        assert not incidents - words["incidents"].keys(), lang
        assert not set(typing.get_args(Situation)) - words["situations"].keys(), lang
        for role, actions in ACTIONS.items():
            assert role in words["roles"], (lang, role)
            assert set(actions) <= words["action_labels"][role].keys(), (lang, role)
            assert set(actions) <= words["doing"].keys(), (lang, role)


def incident_types() -> list[Any]:
    return list(typing.get_args(AnyIncident))


def test_a_message_is_said_with_its_values_in_the_reader_s_words() -> None:
    busy = said("busy", role="alarm_centre", action="talk", left_s=90)
    assert say(busy, "en") == "Alarm centre: still busy (talking to the resident) for about 90 s"
    assert say(busy, "fi") == (
        "Turvapuhelinkeskus: edellinen tehtävä kesken (puhuu asukkaan kanssa), noin 90 s jäljellä"
    )
    longer = said("busy", role="home_care", action="assess", left_s=480)
    assert say(longer, "fi").endswith("noin 8 min jäljellä")
    # a message of messages: what home care found, said whole in each language
    found = said("assessed", found=(said("found_on_floor"), said("found_hungry", meals=2)))
    assert say(found, "fi") == (
        "arvioi asukkaan tilan: lattialla, ei havaittavia vammoja; "
        "ei ole syönyt: 2 ateriaa jäänyt väliin"
    )
    assert say(said("found_hungry", meals=1), "en") == "has not eaten: a meal skipped"
    # a device by its name in this home, not its id
    alarm = said("case_on_line", case=1, event_type="fall_detected", device="wristband")
    assert say(alarm, "fi", {"wristband": "turvaranneke"}) == (
        "tapaus 1: kaatuminen havaittu, turvaranneke"
    )
    # no doubled words where an action and its details meet
    closed = said("closed", case=1, false_alarm=False)
    assert say(closed, "fi") == "sulki tapauksen 1"
    assert say(said("closed", case=1, false_alarm=True), "en") == ("closed case 1 as a false alarm")
    # the message travels as JSON and back
    assert Said.of(found.as_json()) == found


def test_numbers_are_written_as_the_language_writes_them() -> None:
    assert number(34.6, "fi") == "34,6" and number(34.6, "en") == "34.6"
    assert number(-15, "fi") == "\u221215" and number(-15, "en") == "-15"
    assert number(3.0, "fi") == "3" and number(2.25, "fi", 2) == "2,25"
    assert number(-0.04, "fi") == "0,0"  # no minus on what rounds to nothing
    assert say(said("speed_range", most=3600.0), "fi").startswith("luku, joka on yli 0 ja")
