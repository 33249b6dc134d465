"""The default policy of every care role: how long a real person takes, and what they decide.

Each policy is a SimPy process that waits (picking up, talking, travelling, assessing) and
then calls the team's actions, exactly as a person acting through the API would. Its random
draws come from one generator per role, so a person taking a role's place changes nothing
else in the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mewet.contract import Scalar
from mewet.devices.base import Process
from mewet.scenarios.care.errors import ActionError
from mewet.scenarios.home import OUTSIDE

if TYPE_CHECKING:
    from mewet.scenarios.care.team import CareTeam, Case, Visit


class Policies:
    """The default policies of a care team."""

    def __init__(self, team: CareTeam, rngs: dict[str, np.random.Generator]) -> None:
        self.team = team
        self.env = team.env
        self.world = team.world
        self.settings = team.settings
        self.rngs = rngs

    def act(self, role: str, action: str, args: dict[str, Scalar] | None = None) -> str:
        """Act as the role's default policy; an action that a person's earlier action made
        pointless (the paramedics already called) is noted on the timeline, not fatal. Once a
        person has taken the role over, the policy does nothing more."""
        if self.team.played(role):
            return ""
        try:
            return self.team.act(role, action, args)
        except ActionError as exc:
            self.team.log(role, "skipped", f"{action}: {exc}")
            return ""

    def log(self, role: str, action: str, detail: str = "") -> None:
        """A step of the policy's own on the timeline, unless a person has the role now."""
        if not self.team.played(role):
            self.team.log(role, action, detail)

    def rng(self, role: str) -> np.random.Generator:
        """The generator of one role's policy."""
        return self.rngs[role]

    def operator(self, case: Case) -> Process:
        """An operator: waits for a free line, picks up, talks, follows the protocol."""
        with self.team.operators.request() as free:
            yield free
            pickup = float(self.rng("alarm_centre").gamma(4.0, self.settings.answer_s / 4.0))
            yield self.env.timeout(pickup)
            self.act("alarm_centre", "answer", {"case": case.id})
            yield self.env.timeout(
                float(self.rng("alarm_centre").uniform(45, 120))
            )  # talking, or trying to
            self.act("alarm_centre", "talk", {"case": case.id})
            self.respond(case)

    def respond(self, case: Case) -> None:
        """The protocol's responses to the situation the operator found."""
        situation = case.situation or "well"
        helping = [v for v in self.team.visits if not v.done and v.case is not None]
        if helping and (situation != "well" or case.event_type == "door_opened_at_night"):
            # the same fall seen by a second device, or the door opened by the visitors
            self.log("alarm_centre", "linked", f"case {case.id}: help is already under way")
            self.act("alarm_centre", "close", {"case": case.id})
            return
        for response in getattr(self.settings.protocol, situation):
            args: dict[str, Scalar] = {"case": case.id}
            if response == "close":
                false_alarm = case.event_type not in ("dose_missed", "door_opened_at_night")
                self.act("alarm_centre", "close", {**args, "false_alarm": false_alarm})
                return
            action: str = response
            if response.startswith("dispatch_paramedics_"):
                if self.team.visit("paramedic") is not None:
                    continue
                args["urgency"] = response[-1]
                action = "dispatch_paramedics"
            self.act("alarm_centre", action, args)
        self.act("alarm_centre", "close", {"case": case.id})

    def trip(self, visit: Visit) -> Process:
        """A visiting role: travel, arrive, go in, do the job, leave."""
        role = visit.role
        staff = self.team.staff.request() if role == "home_care" else None
        try:
            if staff is not None:
                yield staff
                visit.eta += float(self.env.now) - visit.dispatched
            yield self.env.timeout(max(0.0, visit.eta - float(self.env.now)))
            self.act(role, "arrive")
            self.act(role, "unlock")
            yield self.env.timeout(30)
            if role == "home_care":
                yield from self._home_care(visit)
            elif role == "paramedic":
                yield from self._paramedic()
            elif role == "physiotherapist":
                yield self.env.timeout(
                    40 * 60 * float(self.rng("physiotherapist").uniform(0.8, 1.2))
                )
                self.act(role, "assess")
            else:
                yield self.env.timeout(self.settings.relative.stays_min * 60)
            if self.team.visit(role) is visit and visit.inside:
                self.act(role, "leave")
        finally:
            if staff is not None:
                self.team.staff.release(staff)

    def _home_care(self, visit: Visit) -> Process:
        w = self.world
        if w.location == OUTSIDE and w.activity == "wandering":
            yield self.env.timeout(
                float(self.rng("home_care").uniform(300, 900))
            )  # searching nearby
            self.act("home_care", "bring_home")
            note = "found outside at night, cold; dementia follow-up advised"
        else:
            assess = self.settings.assess_min * 60 * float(self.rng("home_care").uniform(0.7, 1.3))
            yield self.env.timeout(assess)
            found = self.act("home_care", "assess")
            note = found
            if w.fallen and w.injured:
                self.act("home_care", "call_paramedics", {"urgency": "B"})
                paramedics = self.team.visit("paramedic")
                while paramedics is not None and not paramedics.done:
                    yield self.env.timeout(60)
                note = "fall with a suspected hip fracture; conveyed by ambulance"
            elif w.fallen:
                self.act("home_care", "help_up")
                note = "fall at home, helped up, fall-risk follow-up advised"
            elif w.unwell():
                self.act("home_care", "give_fluids")
                if w.acutely_ill():
                    self.act("home_care", "call_paramedics", {"urgency": "B"})
                    note = "acutely ill, sent to hospital"
                else:
                    note = "unwell, fluids given; doctor informed"
                    if not self.team.consult_asked:
                        self.team.ask_doctor("home_care")
        yield self.env.timeout(float(self.rng("home_care").uniform(300, 600)))
        if visit.inside:
            self.log("home_care", "documented", note)

    def _paramedic(self) -> Process:
        yield self.env.timeout(10 * 60 * float(self.rng("paramedic").uniform(0.7, 1.3)))
        self.act("paramedic", "assess")
        w = self.world
        if w.injured or w.acutely_ill():
            yield self.env.timeout(600)
            self.act("paramedic", "convey")
        else:
            self.act("paramedic", "treat")

    def physio(self) -> Process:
        """After a fall: the physiotherapist's fall-risk visit, days later at 10:00."""
        days = self.settings.physio_after_fall_days or 0.0
        now = self.world.now()
        wait = days * 86400 + ((10 - now.hour) * 3600 - now.minute * 60) % 86400
        yield self.env.timeout(wait)
        if self.team.visit("physiotherapist") is None:
            self.act("physiotherapist", "set_off")

    def doctor(self) -> Process:
        """The doctor calls back within the hour."""
        yield self.env.timeout(float(self.rng("doctor").uniform(10, 40)) * 60)
        if self.team.consult_asked:
            self.act("doctor", "consult")

    def relative(self) -> Process:
        """The relative answers the phone (or not), and comes over when it is serious."""
        yield self.env.timeout(float(self.rng("relative").uniform(20, 90)))
        if not self.team.phone_ringing:
            return
        if self.rng("relative").random() >= self.settings.relative.answers:
            self.team.phone_ringing = False
            self.log("relative", "missed_call")
            return
        self.act("relative", "answer_phone")
        serious = self.world.fallen or self.world.unwell() or self.world.location == OUTSIDE
        if serious and self.team.visit("relative") is None:
            self.act("relative", "set_off")

    def fire_service(self) -> Process:
        """The fire service comes and clears the smoke."""
        yield self.env.timeout(float(self.rng("fire_service").uniform(8, 15)) * 60)
        self.team.log("alarm_centre", "fire_service_on_site")
        self.world.set("smoke", False)

    def routine_visits(self, at: str) -> Process:
        """Home care's routine visit at the same time every day."""
        h, m = map(int, at.split(":"))
        while True:
            now = self.world.now()
            wait = ((h * 3600 + m * 60) - (now.hour * 3600 + now.minute * 60 + now.second)) % 86400
            yield self.env.timeout(wait or 86400)
            if self.team.visit("home_care") is None and not self.team.played("home_care"):
                self.team.log("home_care", "routine_visit", at)
                self.team.begin_visit("home_care", "routine visit", 0.0, None)
