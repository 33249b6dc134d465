"""The mistakes a teacher made writing her first scenario, each with the fix the lab must tell
her, in Finnish and English, at the line she made it on. The editor page, the API and the
command line are each held to the same list."""

from __future__ import annotations

from dataclasses import dataclass

from mewet.scenarios.scenario import library

GOOD = (
    library()["night-fall"]
    .read_text(encoding="utf-8")
    .replace("id: night-fall", "id: night-fall-2")
)
"""A library scenario copied under an id of her own: nothing to fix."""


@dataclass(frozen=True)
class Mistake:
    """What she wrote instead of `old`, and what she is told at `line`."""

    old: str
    new: str
    line: int
    en: str
    fi: str

    @property
    def text(self) -> str:
        broken = GOOD.replace(self.old, self.new, 1)
        assert broken != GOOD
        return broken


DAYS = "days: 1\n"
START = "start: 2026-11-22T18:00:00+01:00"
MISTAKES = [
    Mistake(
        'at: "03:10"', "at: 2:40", 19,
        'put the time in quotes: "02:40"', 'laita kellonaika lainausmerkkeihin: "02:40"',
    ),
    Mistake(
        'at: "03:10"', "at: 02.40", 19,
        'put the time in quotes: "02:40"', 'laita kellonaika lainausmerkkeihin: "02:40"',
    ),
    Mistake(
        DAYS, DAYS + "care:\n  visits: [08:00, 20:50]\n", 18,
        'care.visits[1]: put the time in quotes: "20:50"',
        'care.visits[1]: laita kellonaika lainausmerkkeihin: "20:50"',
    ),
    Mistake(
        DAYS, DAYS + 'devices:\n  door-front:\n    options: {nigth: ["23:00", "06:00"]}\n', 19,
        "a door alarm has no option 'nigth': did you mean 'night'? "
        "(its options: night_alarm, left_open_min, night)",
        "laitteella ovihälytin ei ole asetusta 'nigth': tarkoititko 'night'? "
        "(sen asetukset: night_alarm, left_open_min, night)",
    ),
    Mistake(
        "id: night-fall-2", "id: yö-kaatuminen", 2,
        "use only the small letters a-z, digits and - (no ä, ö or spaces), e.g. yo-kaatuminen",
        "käytä vain pieniä kirjaimia a–z, numeroita ja yhdysmerkkiä - (ei ä:tä, ö:tä eikä "
        "välilyöntejä), esim. yo-kaatuminen",
    ),
    Mistake(
        DAYS, DAYS + "roles:\n  kotihoito: {brief: hei}\n", 18,
        "roles.kotihoito: 'kotihoito' is not one of: alarm_centre, home_care, paramedic",
        "roles.kotihoito: 'kotihoito' ei ole mikään näistä: alarm_centre, home_care, paramedic",
    ),
    Mistake(
        START, "start: 10.1.2027 18:00", 15,
        "write the date as 2027-01-10T18:00:00+02:00",
        "kirjoita päivämäärä muodossa 2027-01-10T18:00:00+02:00",
    ),
    Mistake(
        START, "start: 2027-01-10T18:00:00", 15,
        "add the time zone: 2027-01-10T18:00:00+02:00",
        "lisää aikavyöhyke: 2027-01-10T18:00:00+02:00",
    ),
    Mistake(
        DAYS, DAYS + "weather:\n  outdoor_c: −15\n", 18,
        "use the minus sign -: -15", "käytä miinusmerkkinä yhdysmerkkiä -: -15",
    ),
    Mistake(
        DAYS, DAYS + "weather:\n  outdoor_c: 0,5\n", 18,
        "use a decimal point: 0.5", "käytä desimaalipistettä: 0.5",
    ),
    Mistake(
        DAYS, DAYS + "weather: {outdoor_c: 0,5}\n", 17,
        "use a decimal point: 0.5", "käytä desimaalipistettä: 0.5",
    ),
    Mistake(
        "title: Night-time fall, wristband worn", "title: Ilta: kaatuminen", 3,
        'put the whole text in quotes: title: "Ilta: kaatuminen"',
        'laita koko teksti lainausmerkkeihin: title: "Ilta: kaatuminen"',
    ),
    Mistake(
        "{type: fall, at:", "{at:", 19,
        "incidents[0]: give its type, e.g. type: fall (types: fall, near_fall,",
        "incidents[0]: anna sen tyyppi, esim. type: fall (tyypit: fall, near_fall,",
    ),
    Mistake(
        DAYS, DAYS + "resident: kyllä\n", 17,
        "resident: must be a section of its own keys",
        "resident: pitää olla oma osionsa avaimineen",
    ),
    Mistake(
        "room: hall", "room: sauna", 19,
        "unknown room 'sauna' (rooms: balcony, bathroom",
        "tuntematon huone 'sauna' (huoneet: balcony, bathroom",
    ),
]  # fmt: skip
