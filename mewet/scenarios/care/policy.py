"""The default policy of every care role: how long a real person takes, and what they decide.

Each policy is a SimPy process that waits (picking up, talking, travelling, assessing) and
then calls the team's actions, exactly as a person acting through the API would. It starts
when the team says something happened (a case raised, a visit begun, someone summoned) and
only for a role no person plays. Its random draws come from one generator per role, so a
person taking a role's place changes nothing else in the run.
"""

from __future__ import annotations

from collections.abc import Callable

from mewet.scenarios.care.records import Case, Visit
from mewet.scenarios.care.roles import (
    alarm_centre,
    doctor,
    home_care,
    paramedic,
    physiotherapist,
    police,
    relative,
)
from mewet.scenarios.care.roles.visits import Job, trip
from mewet.scenarios.care.team import CareTeam
from mewet.sim.seeds import rng_for
from mewet.sim.world import Process

JOBS: dict[str, Job] = {
    "home_care": home_care.job,
    "paramedic": paramedic.job,
    "physiotherapist": physiotherapist.job,
    "relative": relative.job,
}
"""What each visiting role does once inside."""

SUMMONED: dict[str, Callable[[CareTeam], Process]] = {
    "relative": relative.phone,
    "doctor": doctor.calls_back,
    "fire_service": alarm_centre.fire_service,
    "physiotherapist": physiotherapist.after_fall,
}
"""What a role does when the team needs it."""


class Policies:
    """The default policies of a care team: they hear the team and stand in for its people."""

    def __init__(self, team: CareTeam) -> None:
        self.team = team
        team.case_raised.connect(self._case)
        team.visit_begun.connect(self._visit)
        team.summoned.connect(self._summoned)

    def start(self) -> None:
        """Start the scheduled parts of the policies (home care's routine visits, the
        relative's calls)."""
        for i, visit in enumerate(self.team.settings.visits):
            # how late each visit comes is the story's, drawn apart from the team's choices
            rng = rng_for(self.team.sim.seed, f"visits:{i}")
            self.team.env.process(home_care.routine_visits(self.team, visit, rng))
        for at in self.team.settings.relative.calls_at:
            self.team.env.process(relative.scheduled_calls(self.team, at))

    def _case(self, case: Case) -> None:
        # an alarm that joined the case of its incident at once needs no operator of its own
        if not self.team.played(alarm_centre.ROLE) and not case.closed:
            self.team.env.process(alarm_centre.operator(self.team, case))

    def _visit(self, visit: Visit) -> None:
        if self.team.played(visit.role):
            return
        if visit.role == police.ROLE:  # the police search the area, not the flat
            self.team.env.process(police.patrol(self.team, visit))
        else:
            self.team.env.process(trip(self.team, visit, JOBS[visit.role]))

    def _summoned(self, role: str) -> None:
        if not self.team.played(role):
            self.team.env.process(SUMMONED[role](self.team))
