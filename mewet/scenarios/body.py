"""The resident's body over the hours: what lying on the floor and the heat do to it.

Every half hour: a resident on the floor drinks nothing and dries out, faster in the heat
(six hours on the floor of a 31 °C flat leave them dehydrated). The ground truth notes the
hydration whenever it has moved by a twentieth since it last did, so analytics and the debrief
can see it, and the dizziness (`World.dizziness`: drying out, the heat, illness, skipped
meals) whenever it has moved by a tenth; dizziness is what raises the chance of a fall
written with `dizzy_chance_per_hour`. (Heat waves and illness change the body too, in
`incidents.py`; fluids and meals from home care, or the paramedics, restore it.)
"""

from __future__ import annotations

from mewet.scenarios.truth import TruthLog
from mewet.sim.world import Process, World

STEP_S = 1800.0
FLOOR_LOSS = 0.025  # hydration lost per half hour on the floor at room temperature
NOTED = 0.05
DIZZY_NOTED = 0.1


def floor_loss(world: World) -> float:
    """Hydration lost in half an hour without a drink, more in the heat."""
    return FLOOR_LOSS * (1.0 + max(0.0, world.indoor_heat_c) / 7.0)


def body(world: World, truth: TruthLog) -> Process:
    """The resident's hydration and dizziness, half hour by half hour."""
    env = world.env
    noted = world.hydration
    dizzy = world.dizziness()
    truth.level("hydration", f"{noted:.2f}")
    truth.level("dizziness", f"{dizzy:.2f}")
    while True:
        yield env.timeout(STEP_S)
        if world.fallen:
            world.hydration = max(0.0, world.hydration - floor_loss(world))
        if abs(world.hydration - noted) >= NOTED:
            noted = world.hydration
            truth.level("hydration", f"{noted:.2f}")
        if abs(world.dizziness() - dizzy) >= DIZZY_NOTED:
            dizzy = world.dizziness()
            truth.level("dizziness", f"{dizzy:.2f}")
