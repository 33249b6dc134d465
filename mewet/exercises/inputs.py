"""An exercise is its inputs: the scenario, the seed and the timed log of what people did.

Everything else (the home's state, the care timeline, KPIs, the debrief) is derived by
running the engine with these inputs applied at their sim times. `replay` does that, to any
moment, into any sink; the live runner applies the same inputs as they come.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, tzinfo
from functools import partial
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from mewet.contract import Scalar
from mewet.exercises.errors import InvalidInputError
from mewet.scenarios.care import ActionError
from mewet.scenarios.happening import strike
from mewet.scenarios.incidents import AnyIncident, Incident
from mewet.scenarios.run import ScenarioSim
from mewet.scenarios.scenario import Scenario
from mewet.sim.seeds import rng_for
from mewet.sim.sink import Sink
from mewet.texts import Said, problem, said

InputKind = Literal["action", "control", "inject", "note", "join"]
INCIDENT = TypeAdapter[AnyIncident](Incident)
CHANGES = ("action", "inject", "join")  # the inputs that change the run (not the clock)


@dataclass(frozen=True, slots=True)
class Input:
    """One thing a person did at a sim time: an action, a control, an injection or a note."""

    n: int
    sim_s: float
    kind: InputKind
    name: str
    role: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    by: str = ""

    def as_json(self) -> dict[str, Any]:
        """The input as stored and exported."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Setup:
    """What an exercise is built from, besides its inputs."""

    scenario: Scenario
    seed: int
    start: datetime
    roles: frozenset[str]  # open to students; each played by its policy until someone joins
    home_id: str
    root: str

    @property
    def zone(self) -> tzinfo | None:
        """The home's time zone: that of the scenario's start (people read local time)."""
        return self.start.tzinfo

    @property
    def end_s(self) -> float:
        """The scenario's length, in sim seconds."""
        return self.scenario.days * 86400.0


def incident_of(spec: dict[str, Any]) -> AnyIncident:
    """An ad hoc incident from its settings (no time: it happens now); InvalidInputError says
    what is wrong where (`args.<field>`)."""
    try:
        return INCIDENT.validate_python({"at": "00:00", **spec})
    except ValidationError as exc:
        raise InvalidInputError(
            [
                ("args." + (".".join(str(p) for p in e["loc"][1:]) or "type"), problem(e))
                for e in exc.errors()
            ]
        ) from None


def build(setup: Setup, sink: Sink) -> ScenarioSim:
    """The exercise's home at sim time 0, every role on its default policy."""
    return ScenarioSim(
        setup.scenario,
        sink,
        seed=setup.seed,
        start=setup.start,
        root=setup.root,
        home_id=setup.home_id,
    )


def apply(sim: ScenarioSim, setup: Setup, entry: Input) -> Said:
    """Carry out one input now; says what came of it (ActionError when refused)."""
    if entry.kind == "action":
        if entry.role is None:
            raise ActionError(said("role_needed"))
        args: dict[str, Scalar] = dict(entry.args)
        return sim.team.act(entry.role, entry.name, args, entry.by)
    if entry.kind == "join":
        sim.team.take(entry.name)
        return said("role_joined", role=entry.name)
    if entry.kind == "inject":
        # checked against the home when the teacher asked (Exercise.control): kept ones are sound
        incident = incident_of(entry.args)
        sim.env.process(strike(incident, sim, rng_for(setup.seed, f"inject:{entry.n}")))
        return said("control_inject", incident=incident.type)
    return said("noted")  # controls and notes change the clock or the record, not the home


def replay(
    setup: Setup,
    inputs: list[Input],
    until_s: float,
    sink: Sink,
    seen: Callable[[ScenarioSim, Input], None] | None = None,
) -> ScenarioSim:
    """The exercise run again to `until_s`, every input applied at its sim time; `seen`
    hears every other input (notes, controls) at its moment too (where it falls among the
    actions of that moment), which changes nothing in the run."""
    sim = build(setup, sink)
    changes = [i for i in inputs if i.kind in CHANGES and i.sim_s <= until_s]
    for entry in changes:
        if entry.sim_s < until_s:
            sim.at(entry.sim_s, partial(_quietly, sim, setup, entry))
    if seen is not None:
        for entry in inputs:
            if entry.kind not in CHANGES and entry.sim_s < until_s:
                sim.at(entry.sim_s, partial(seen, sim, entry))
    sim.run(min(until_s, setup.end_s))
    for entry in changes:
        if entry.sim_s >= until_s:  # live, these came before anything else at that moment
            _quietly(sim, setup, entry)
    return sim


def _quietly(sim: ScenarioSim, setup: Setup, entry: Input) -> None:
    # only inputs that were accepted live are recorded, and a replay makes the same world
    with contextlib.suppress(ActionError, ValueError, InvalidInputError):
        apply(sim, setup, entry)
