"""Held-out benchmark homes: made by the lab, from secret seeds, for a score that cannot be
tuned to known runs.

A public benchmark plays library scenarios with public seeds: a company can run the same
falls at home (`mewet run night-fall --seed 1` is byte for byte the benchmark's truth) and,
meaning to or not, tune its detector to them. A held-out home is drawn anew for each run: one
of the library's fall stories (or a quiet day, for false alarms), her age and mobility, the
time and room of each fall, whether she presses the button, and a distraction or two (a
stumble she catches, a rest on the floor she gets up from) are all drawn from a seed the lab
keeps to itself; the home's id says nothing of any of it. Its truth stays in the lab's folder
(never served); the company gets the figures.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from mewet.scenarios.incidents import Fall, LieOnFloor, NearFall
from mewet.scenarios.occupant import Persona
from mewet.scenarios.scenario import Resident, Scenario, load_scenario

BASES = ("night-fall", "fall-with-injury", "fall-no-wristband", "quiet-day")
"""The stories a held-out home is drawn from: three falls told differently, and a day
without one (where every detection is a false alarm)."""
ROOMS = ("hall", "bathroom", "bedroom", "kitchen", "living-room")
ZONE = ZoneInfo("Europe/Helsinki")


@dataclass(frozen=True, slots=True)
class HeldOut:
    """One drawn home: its scenario, its seed (kept by the lab), and its name."""

    scenario: Scenario
    seed: int
    name: str


def draw(count: int, seed: int | None = None) -> list[HeldOut]:
    """`count` homes drawn from `seed` (default: a secret one, from the system's entropy)."""
    rng = np.random.default_rng(secrets.randbits(64) if seed is None else seed)
    return [_home(rng, i) for i in range(count)]


def _home(rng: np.random.Generator, index: int) -> HeldOut:
    base = load_scenario(str(rng.choice(BASES)))
    day = datetime(2027, 1, 1, 18, tzinfo=ZONE) + timedelta(days=int(rng.integers(0, 365)))
    persona = Persona(
        name="Resident",
        age=int(rng.integers(70, 96)),
        mobility=str(rng.choice(["independent", "walker", "walker", "wheelchair"])),
        night_toilet=round(float(rng.uniform(0.5, 2.5)), 2),
    )
    incidents: list[Any] = [
        _fall(rng) if isinstance(i, Fall) and i.at is not None else i for i in base.incidents
    ]
    if not any(isinstance(i, Fall) for i in incidents) and rng.random() < 0.5:
        incidents.append(_fall(rng))  # a quiet day may hold a fall after all
    if rng.random() < 0.4:
        incidents.append(NearFall(type="near_fall", at=_clock(rng)))
    if rng.random() < 0.3:
        incidents.append(
            LieOnFloor(type="lie_on_floor", at=_clock(rng), room=str(rng.choice(ROOMS)))
        )
    scenario = base.model_copy(
        update={
            "id": "held-out",
            "title": "A held-out home",
            "title_fi": None,
            "description": "",
            "description_fi": "",
            "start": day,
            "days": 1.0,
            "resident": Resident(wristband_worn=base.resident.wristband_worn, persona=persona),
            "incidents": incidents,
        }
    )
    seed = int(rng.integers(0, 2**31 - 1))
    name = f"h{index + 1}-{secrets.token_hex(3)}"
    return HeldOut(Scenario.model_validate(scenario.model_dump()), seed, name)


def _fall(rng: np.random.Generator) -> Fall:
    """A fall at any minute of the day, more often at night (the way to the toilet)."""
    return Fall(
        type="fall",
        at=_clock(rng, night=0.6),
        room=str(rng.choice(ROOMS)),
        presses_button=round(float(rng.uniform(0.1, 0.8)), 2),
        injury=round(float(rng.uniform(0.0, 0.4)), 2),
    )


def _clock(rng: np.random.Generator, night: float = 0.3) -> str:
    """A clock time: with chance `night` between 22:00 and 07:00, else in the day."""
    if rng.random() < night:
        minute = (22 * 60 + int(rng.integers(0, 9 * 60))) % (24 * 60)
    else:
        minute = 7 * 60 + int(rng.integers(0, 15 * 60))
    return f"{minute // 60:02d}:{minute % 60:02d}"
