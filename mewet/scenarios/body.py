"""The resident's body over the hours: what lying on the floor and the heat do to it, and
where her temperature and glucose stand (their curves are in `mewet.sim.body`).

Every half hour: a resident on the floor drinks nothing and dries out, faster in the heat
(six hours on the floor of a 31 °C flat leave them dehydrated). The ground truth notes the
hydration whenever it has moved by a twentieth since it last did, so analytics and the debrief
can see it, and the dizziness (`World.dizziness`: drying out, the heat, illness, skipped
meals) whenever it has moved by a tenth; dizziness is what raises the chance of a fall
written with `dizzy_chance_per_hour`. (Heat waves and illness change the body too, in
`happening.py`; fluids and meals from home care, or the paramedics, restore it.)
"""

from __future__ import annotations

from mewet.scenarios.truth import TruthLog
from mewet.sim.world import Process, World

STEP_S = 1800.0
FLOOR_LOSS = 0.025  # hydration lost per half hour on the floor at room temperature
NOTED = 0.05
DIZZY_NOTED = 0.1
CORE_NOTED = 0.1  # °C
GLUCOSE_NOTED = 0.2  # mmol/l
WATCH_S = 300.0  # how often the truth looks at a body that is changing


def floor_loss(world: World) -> float:
    """Hydration lost in half an hour without a drink, more in the heat and with a
    diuretic."""
    return FLOOR_LOSS * (1.0 + max(0.0, world.indoor_heat_c) / 7.0) * world.body.fluid_loss()


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


def temperature_and_glucose(world: World, truth: TruthLog) -> Process:
    """The truth of her core temperature and glucose: noted whenever they have moved by
    0.1 °C or 0.2 mmol/l, looked at every five minutes while they may be moving (out in the
    cold, rewarming, a fever rising or breaking, with diabetes); a body at rest where its
    surroundings hold it is not looked at until they change (a quiet year wakes nobody)."""
    env, body = world.env, world.body
    diabetic = body.diabetes != "none"
    t = float(env.now)
    core, glucose = body.core_c(t), world.glucose(t)
    truth.level("core_temp", f"{core:.1f}")
    if diabetic:
        truth.level("glucose", f"{glucose:.1f}")
    while True:
        t = float(env.now)
        if diabetic or body.core.at(t) != body.core.target:
            yield env.timeout(WATCH_S)
        else:
            yield world.on("body")
        t = float(env.now)
        if abs(body.core_c(t) - core) >= CORE_NOTED:
            core = body.core_c(t)
            truth.level("core_temp", f"{core:.1f}")
        if diabetic and abs(world.glucose(t) - glucose) >= GLUCOSE_NOTED:
            glucose = world.glucose(t)
            truth.level("glucose", f"{glucose:.1f}")
