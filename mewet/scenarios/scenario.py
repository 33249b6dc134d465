"""Scenario files: the home, the resident, what goes wrong, and who cares for them.

A scenario names the home and its device overrides (the wristband not worn, a dispenser with
a weak battery), the resident's persona, the start, length and seed, the incidents (at a
time or by chance per day), the care team with its protocol and KPI targets, the roles
students can take, and the learning goals with a short guide for the teacher.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from mewet.devices.base import Device
from mewet.devices.catalogue import CATALOGUE
from mewet.devices.homes import check_placement, home_by_id
from mewet.scenarios.care.actions import ACTIONS
from mewet.scenarios.care.settings import CareSettings
from mewet.scenarios.incidents import AnyIncident, FalseAlarmBurst, Incident
from mewet.scenarios.occupant import Persona
from mewet.sim.home import DevicePlacement, Home, Id
from mewet.texts import said
from mewet.yamlfile import FileError, Found, validate_yaml

RoleName = Literal[
    "alarm_centre",
    "home_care",
    "paramedic",
    "physiotherapist",
    "doctor",
    "relative",
    "police",
    "resident",
]
NO_SENSORS = ("relative", "police", "resident")
"""Roles that do not see the home's sensors by default: they are told, or find out (the
resident lives in the home: she does not watch its dashboards)."""


MAX_SCENARIO_BYTES = 256 * 1024  # a scenario is a short file


class ScenarioError(FileError):
    """A scenario file is invalid or cannot be found: every problem at its line."""


class DeviceOverride(BaseModel):
    """Changes to one device of the home for this scenario."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    options: dict[str, Any] = Field(default_factory=dict)
    faults: dict[str, Any] = Field(default_factory=dict)

    def apply(self, placement: DevicePlacement) -> DevicePlacement:
        """The placement with these options and faults laid over its own."""
        return placement.model_copy(
            update={
                "options": {**placement.options, **self.options},
                "faults": {**placement.faults, **self.faults},
            }
        )


class Resident(BaseModel):
    """Who the resident is, and what is true at the start."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    wristband_worn: bool = True
    persona: Persona = Persona()


class Weather(BaseModel):
    """The temperatures at the start: outside, and in the flat."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    outdoor_c: float = Field(2.0, ge=-40, le=45, description="The temperature outside, °C.")
    indoor_c: float | None = Field(
        None,
        ge=5,
        le=35,
        description="The flat's temperature, °C (what the heating keeps it at; a heat wave "
        "adds to it); default each environment sensor's own setpoint, 21.5.",
    )


class RoleBrief(BaseModel):
    """What a student in this role is told, and whether the role sees the home's sensors."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    brief: str = ""
    brief_fi: str = Field("", description="The brief in Finnish.")
    sensors: bool = Field(True, description="Whether this role sees the sensor feed live.")


BRIEFS: dict[str, str] = {
    "alarm_centre": (
        "You are an operator at the alarm centre (turvapuhelinkeskus). The resident's safety "
        "alarms come to you: answer, talk to the resident through the alarm unit, decide who "
        "to send (home care, or an ambulance with an urgency class A-D), call the relative or "
        "the doctor, and close the case once help is under way."
    ),
    "home_care": (
        "You are the home-care nurse on duty (kotihoito). When the alarm centre sends you, "
        "travel to the home, open the smart lock with your digital key, assess the resident, "
        "help (help up, fluids, an ambulance if needed), document the visit, and lock up."
    ),
    "paramedic": (
        "You are a paramedic (ensihoito). You come when called, by urgency class: examine the "
        "resident, treat at home or take them to hospital."
    ),
    "physiotherapist": (
        "You are the physiotherapist. After a fall you visit to assess the fall risk: "
        "balance, walking aids and the home."
    ),
    "doctor": (
        "You are the doctor on call. Home care or the alarm centre may ask you for a phone "
        "consultation; your advice changes the treatment."
    ),
    "relative": (
        "You are the resident's relative (omainen). You see no sensors: the alarm centre may "
        "call you, and you decide whether to go over."
    ),
    "police": (
        "You are the police patrol (poliisi). When a resident is missing the emergency centre "
        "alerts you: go to the area, search, and bring the resident home."
    ),
    "resident": (
        "You are the resident (asukas), at home. You can press your wristband's alarm button, "
        "open or close the front door, choose what you tell the alarm centre when it calls "
        "through the safety phone, or let it ring. Your body and your day go on as the "
        "scenario has them: you choose what you say and do."
    ),
}
"""What each role is told when a scenario gives no brief of its own."""

BRIEFS_FI: dict[str, str] = {
    "alarm_centre": (
        "Olet turvapuhelinkeskuksen päivystäjä. Asukkaan turvalaitteiden hälytykset tulevat "
        "sinulle: vastaa, puhu asukkaan kanssa turvapuhelimen kautta, päätä kuka lähtee "
        "(kotihoito tai ensihoito kiireellisyysluokalla A-D), soita omaiselle tai lääkärille "
        "ja sulje hälytys, kun apu on matkalla."
    ),
    "home_care": (
        "Olet päivystävä kotihoidon hoitaja. Kun turvapuhelinkeskus lähettää sinut, mene "
        "kotiin, avaa älylukko digitaalisella avaimella, arvioi asukkaan tila, auta (ylös "
        "nostaminen, nesteet, ensihoito tarvittaessa), kirjaa käynti ja lukitse ovi."
    ),
    "paramedic": (
        "Olet ensihoitaja. Tulet, kun sinut hälytetään, kiireellisyysluokan mukaan: tutki "
        "asukas, hoida kotona tai vie sairaalaan."
    ),
    "physiotherapist": (
        "Olet fysioterapeutti. Kaatumisen jälkeen arvioit kotikäynnillä kaatumisriskin: "
        "tasapainon, apuvälineet ja kodin."
    ),
    "doctor": (
        "Olet päivystävä lääkäri. Kotihoito tai turvapuhelinkeskus voi pyytää sinulta "
        "puhelinkonsultaation; ohjeesi muuttaa hoitoa."
    ),
    "relative": (
        "Olet asukkaan omainen. Et näe antureita: turvapuhelinkeskus voi soittaa sinulle, ja "
        "päätät, lähdetkö paikalle."
    ),
    "police": (
        "Olet poliisipartio. Kun asukas on kadoksissa, hätäkeskus hälyttää teidät: menkää "
        "alueelle, etsikää ja tuokaa asukas kotiin."
    ),
    "resident": (
        "Olet asukas kotonasi. Voit painaa turvarannekkeen hälytysnappia, avata tai sulkea "
        "ulko-oven, valita, mitä kerrot turvapuhelinkeskukselle, kun se soittaa "
        "turvapuhelimeen, tai antaa puhelimen soida. Kehosi ja päiväsi kulkevat skenaarion "
        "mukaan: sinä valitset, mitä sanot ja teet."
    ),
}
"""The same in Finnish."""


def default_roles() -> dict[RoleName, RoleBrief]:
    """Every role, with the sensor feed for all but the relative."""
    return {role: RoleBrief(sensors=role not in NO_SENSORS) for role in get_args(RoleName)}


class Scenario(BaseModel):
    """A scenario as written by a teacher."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: Id = Field(description="The scenario's id: small letters a-z, digits and -.")
    title: str = Field(min_length=1, max_length=120, description="The title, in English.")
    title_fi: str | None = Field(None, max_length=120, description="The title in Finnish.")
    description: str = Field("", description="What happens, for teachers and students.")
    description_fi: str = Field("", description="The description in Finnish.")
    learning_goals: list[str] = Field(default_factory=list, description="What students learn.")
    learning_goals_fi: list[str] = Field(
        default_factory=list, description="The learning goals in Finnish."
    )
    home: Id = Field("default", description="The id of a built-in home, e.g. default.")
    start: AwareDatetime = Field(
        description="When the run starts, with its time zone: 2027-01-10T18:00:00+02:00."
    )
    days: float = Field(1.0, gt=0, le=3660, description="How long it runs.")
    seed: int = Field(1, ge=0, description="The seed of its chances: the same seed, the same run.")
    resident: Resident = Field(Resident(), description="Who lives there (below).")
    weather: Weather = Field(Weather(), description="The temperatures at the start (below).")
    devices: dict[str, DeviceOverride] = Field(
        default_factory=dict,
        description="Changes to the home's devices by device id: {options: ..., faults: ...}.",
    )
    incidents: list[Incident] = Field(
        default_factory=list, description="What goes wrong (incidents.md)."
    )
    care: CareSettings = Field(CareSettings(), description="The care team and its protocol.")
    roles: dict[RoleName, RoleBrief] = Field(
        default_factory=default_roles, description="Roles students can take, with their brief."
    )
    teacher_guide: str = Field("", description="How to run it in class, for the teacher.")
    teacher_guide_fi: str = Field("", description="The teacher's guide in Finnish.")

    def text(self, lang: str) -> tuple[str, str, list[str], str]:
        """Title, description, learning goals and teacher's guide in a language (Finnish
        where the scenario gives it, else the English)."""
        if lang == "fi":
            return (
                self.title_fi or self.title,
                (self.description_fi or self.description).strip(),
                self.learning_goals_fi or self.learning_goals,
                (self.teacher_guide_fi or self.teacher_guide).strip(),
            )
        return self.title, self.description.strip(), self.learning_goals, self.teacher_guide.strip()

    def brief(self, role: str, lang: str = "en") -> str:
        """What a student in the role is told at the start: the scenario's brief for it, or
        the role's general one (in Finnish with `lang` fi)."""
        given = next((b for name, b in self.roles.items() if name == role), None)
        if lang == "fi":
            own = given.brief_fi if given is not None else ""
            return own.strip() or BRIEFS_FI.get(role, "")
        own = given.brief if given is not None else ""
        return own.strip() or BRIEFS.get(role, "")

    def sees_sensors(self, role: str) -> bool:
        """Whether a role sees the home's sensor feed (a role not listed does)."""
        return next((b.sensors for name, b in self.roles.items() if name == role), True)

    def problems(self) -> Found:
        """Cross-references that do not hold: an unknown home, device, option or fault."""
        try:
            home = home_by_id(self.home)
        except FileError as exc:
            return [(("home",), exc.problems[0].said)]
        found: Found = []
        rooms = ", ".join(sorted(r.id for r in home.rooms))
        for i, incident in enumerate(self.incidents):
            room = getattr(incident, "room", None)
            if room is not None and room not in {r.id for r in home.rooms}:
                found.append(
                    (("incidents", i, "room"), said("unknown_room", room=room, rooms=rooms))
                )
            found += _device_problems(incident, i, home)
            door = getattr(incident, "door", None)
            closable = sorted(d.id for d in home.doors if d.kind != "opening")
            if door is not None and door not in closable:
                why = said("unknown_door_open", door=door, doors=", ".join(closable))
                found.append((("incidents", i, "door"), why))
        for role, actions in self.care.durations.items():
            if role not in ACTIONS:
                why = said("unknown_name", name=role, allowed=", ".join(ACTIONS))
                found.append((("care", "durations", role), why))
                continue
            for action in actions:
                if action not in ACTIONS[role]:
                    why = said(
                        "unknown_action", role=role, action=action, can=", ".join(ACTIONS[role])
                    )
                    found.append((("care", "durations", role, action), why))
        placements = {d.id: d for d in home.devices}
        for device_id, override in self.devices.items():
            placement = placements.get(device_id)
            if placement is None:
                known = ", ".join(sorted(placements))
                why = said("unknown_device", device=device_id, home=home.id, devices=known)
                found.append((("devices", device_id), why))
                continue
            changed = override.apply(placement)
            for loc, msg in check_placement(CATALOGUE[placement.type], changed):
                found.append((("devices", device_id, *loc), msg))
        return found

    def build_home(self) -> Home:
        """The home with this scenario's device overrides applied."""
        home = home_by_id(self.home)
        devices = []
        for placed in home.devices:
            warmed = self._warmed(placed)
            over = self.devices.get(placed.id)
            devices.append(over.apply(warmed) if over else warmed)
        return home.model_copy(update={"devices": devices})

    def _warmed(self, placed: DevicePlacement) -> DevicePlacement:
        """An environment sensor's room at the scenario's indoor temperature, if it sets one."""
        indoor = self.weather.indoor_c
        if placed.type != "environment" or indoor is None:
            return placed
        return placed.model_copy(update={"options": {**placed.options, "setpoint_c": indoor}})


def _device_problems(incident: AnyIncident, i: int, home: Home) -> Found:
    """An incident's device must be in the home, and able to do what the incident needs."""
    device = getattr(incident, "device", None)
    if device is None:
        return []
    types = {d.id: d.type for d in home.devices}
    if device not in types:
        known = ", ".join(sorted(types))
        why = said("unknown_device", device=device, home=home.id, devices=known)
        return [(("incidents", i, "device"), why)]

    def can_false_alarm(type_name: str) -> bool:
        return CATALOGUE[type_name].factory.false_alarm is not Device.false_alarm

    if isinstance(incident, FalseAlarmBurst) and not can_false_alarm(types[device]):
        able = ", ".join(sorted(d for d, t in types.items() if can_false_alarm(t)))
        why = said("no_false_alarms", type=types[device], devices=able)
        return [(("incidents", i, "device"), why)]
    return []


def library() -> dict[str, Path]:
    """The scenarios that ship with the package, by id."""
    folder = resources.files("mewet.scenarios") / "library"
    return {Path(str(p)).stem: Path(str(p)) for p in folder.iterdir() if str(p).endswith(".yaml")}


@functools.cache
def _from_library(sid: str) -> Scenario:
    # the library ships with the package and does not change while the lab runs: read once
    return validate_yaml(Scenario, library()[sid], ScenarioError)


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A library scenario by id, or a scenario file by path."""
    known = library()
    if isinstance(name_or_path, str) and name_or_path in known:
        return _from_library(name_or_path)
    path = Path(name_or_path)
    if not path.exists():
        known_ids = ", ".join(sorted(known))
        raise ScenarioError.of(str(name_or_path), said("scenario_not_found", scenarios=known_ids))
    return validate_yaml(Scenario, path, ScenarioError)
