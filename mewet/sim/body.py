"""The resident's body: core and skin temperature, blood glucose, and the vital signs they
drive (pulse, blood pressure, saturation, respiration, consciousness), with NEWS2.

The state is kept as curves of sim time, evaluated when asked (a reading, a measurement), so
nothing steps through a quiet year: each temperature moves from where it was towards where
the surroundings take it (a segment, renewed when the world changes), and glucose is a
baseline plus the effect of every recent meal, snack and insulin dose (a curve each). Where
each figure comes from is in docs/body.md.

- **Core temperature** approaches its target at a rate per hour: 36.8 °C at home (higher with
  a fever or in a hot flat), cooling outdoors by how far the air is below what her clothes
  hold (nightwear at -15 °C: about 2 °C an hour; a coat at 2 °C: not at all), slowly on the
  floor (a long lie), and rewarming at about 1 °C an hour indoors, faster when warmed.
- **Skin temperature** at the wrist (what a wearable reads) follows the core and the air
  exponentially, within minutes: it falls outdoors and comes back indoors, never in a step.
- **Glucose** (mmol/l): a fasting level by condition, each meal or snack adding a curve that
  peaks after its absorption time, each insulin dose taking one off at its action peak;
  without diabetes it stays between 3.9 and 9.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

Clothing = Literal["nightwear", "light", "warm"]
Condition = Literal["dementia", "diabetes_type1", "diabetes_type2", "heart_failure", "copd"]
Medicine = Literal["beta_blocker", "diuretic", "sedative", "anticoagulant", "other"]
"""What a medicine does that the lab models (docs/body.md): a beta-blocker lowers the pulse
and blunts its rise (it hides the racing heart of a low), a diuretic dries her out faster, a
sedative or sleeping pill makes the night dizzier, an anticoagulant makes a fall's injury
likelier (a head knock needs the paramedics); other medicines are listed, not modelled."""
Consciousness = Literal["A", "C", "V", "P", "U"]
"""ACVPU: alert, new confusion, responds to voice, to pain, unresponsive."""

NORMAL_CORE_C = 36.8
CLOTHES_HOLD_C = {"nightwear": 20.0, "light": 10.0, "warm": 0.0}
"""The air her clothes keep a walking body warm in: below it the core starts to cool."""
COOLING_PER_DEGREE_H = {"nightwear": 0.06, "light": 0.04, "warm": 0.015}
"""Core cooling outdoors, °C an hour for each degree the air is below what the clothes hold
(-15 °C in nightwear: 35 × 0.06 = 2.1 °C an hour; in a winter coat: 15 × 0.015 ≈ 0.2)."""
REWARMING_H = 1.0  # passive rewarming indoors, °C an hour
ACTIVE_REWARMING_H = 2.0  # with blankets and a warm drink
FLOOR_COOLING_H = 0.15  # on the floor of a flat at room temperature, °C an hour
SKIN_TAU_S = {"outdoors": 480.0, "indoors": 900.0}  # how fast the wrist's skin follows
SKIN_ARRIVED_C = 0.005  # closer than this to where it heads, the skin is there
SKIN_EXPOSURE = {"nightwear": 0.33, "light": 0.28, "warm": 0.15}
"""How far the wrist's skin falls from the core towards the outdoor air (0.33 at -15 °C:
36.8 − 0.33 × 51.8 ≈ 19.7 °C)."""

FASTING = {"none": 5.2, "diabetes_type1": 8.0, "diabetes_type2": 8.0}
MEAL_RISE = {"none": 1.8, "diabetes_type1": 4.0, "diabetes_type2": 3.5}
"""mmol/l a meal adds at its peak, an hour after eating."""
SNACK_RISE = 4.0  # a slow evening snack (bread, milk): mmol/l at its peak, three hours on
INSULIN_PER_IU = {"nph": 0.32, "long": 0.18, "rapid": 0.25}
INSULIN_PEAK_H = {"nph": 6.0, "long": 10.0, "rapid": 1.0}
SUGAR_RISE = 3.0  # glucose gel or juice, mmol/l at its peak a quarter of an hour later
KEPT_S = 36 * 3600.0  # effects older than this are spent

BETA_BLOCKER_PULSE = -8.0  # the resting pulse, bpm
BETA_BLOCKER_RISE = 0.5  # the share of a racing pulse's rise (cold, a low, a fall) left
DIURETIC_LOSS = 1.5  # hydration lost without drinking (the heat, the floor), times
SEDATIVE_NIGHT_DIZZY = 0.2  # dizziness added at night (22-07)
ANTICOAGULANT_INJURY = 2.0  # a fall's chance of an injury needing the paramedics, times


def curve(dt_s: float, peak_s: float) -> float:
    """The shape of an absorption or an action: 0 at the dose, 1 at its peak, then fading
    (a third of the peak at twice its time, a sixth at three times): x² e^(2(1 − x))."""
    if dt_s <= 0:
        return 0.0
    x = dt_s / peak_s
    return x * x * math.exp(2.0 * (1.0 - x))


@dataclass
class Segment:
    """A temperature moving from `v0` (at `t0`) towards `target` at `rate_h` °C an hour."""

    t0: float
    v0: float
    target: float
    rate_h: float

    def at(self, t: float) -> float:
        """The temperature at sim time `t`."""
        step = self.rate_h * (t - self.t0) / 3600.0
        if self.target >= self.v0:
            return min(self.v0 + step, self.target)
        return max(self.v0 - step, self.target)


@dataclass
class Effect:
    """A meal, a snack, sugar or an insulin dose: its size (mmol/l at the peak; negative for
    insulin) and its peak, from its time."""

    t: float
    size: float
    peak_s: float


@dataclass
class Body:
    """The resident's body; the world renews its segments when her surroundings change."""

    conditions: tuple[str, ...] = ()
    medicines: tuple[str, ...] = ()
    """The kinds of medicine she takes (`Medicine`)."""
    core: Segment = field(default_factory=lambda: Segment(0.0, NORMAL_CORE_C, NORMAL_CORE_C, 1))
    skin_t0: float = 0.0
    skin_v0: float = 33.5
    skin_target: float = 33.5
    skin_tau_s: float = 900.0
    effects: list[Effect] = field(default_factory=list)
    rewarming: bool = False  # someone is warming her (blankets, a warm drink)
    clothing: Clothing = "light"

    @property
    def diabetes(self) -> str:
        """The diabetes she has: diabetes_type1, diabetes_type2, or none."""
        return next((c for c in self.conditions if c.startswith("diabetes")), "none")

    def takes(self, medicine: str) -> bool:
        """Whether she takes a medicine of this kind."""
        return medicine in self.medicines

    def fluid_loss(self) -> float:
        """How much faster she dries out without drinking (a diuretic: 1.5 times)."""
        return DIURETIC_LOSS if self.takes("diuretic") else 1.0

    def injury_chance(self, chance: float) -> float:
        """A fall's chance of an injury that needs the paramedics, with her medicines."""
        return min(1.0, chance * ANTICOAGULANT_INJURY) if self.takes("anticoagulant") else chance

    # -- temperatures ----------------------------------------------------------------

    def core_c(self, t: float) -> float:
        """Core temperature at `t`, °C."""
        return self.core.at(t)

    def skin_c(self, t: float) -> float:
        """The wrist's skin temperature at `t`, °C."""
        decay = math.exp(-max(0.0, t - self.skin_t0) / self.skin_tau_s)
        left = (self.skin_v0 - self.skin_target) * decay
        # within a hundredth of a degree it has arrived: exactly, so a stretch of readings
        # computed once agrees with the same readings taken one by one
        return self.skin_target if abs(left) < SKIN_ARRIVED_C else self.skin_target + left

    def surroundings(
        self,
        t: float,
        *,
        outdoors: bool,
        air_c: float,
        on_floor: bool,
        asleep: bool,
        fever_c: float = 0.0,
        heat_c: float = 0.0,
    ) -> None:
        """Her surroundings from `t` on: where the core and the skin now head, and how fast."""
        core = self.core_c(t)
        if outdoors:
            below = CLOTHES_HOLD_C[self.clothing] - air_c
            rate = max(0.0, below) * COOLING_PER_DEGREE_H[self.clothing]
            target = 20.0 if rate > 0 else NORMAL_CORE_C
        elif on_floor:
            target, rate = 35.0 + fever_c, FLOOR_COOLING_H
        else:
            target = NORMAL_CORE_C + fever_c + 0.05 * heat_c
            rate = ACTIVE_REWARMING_H if self.rewarming else REWARMING_H
            if core > target:  # a fever breaks, the heat eases: the body sheds heat faster
                rate = max(rate, 1.5)
        self.core = Segment(t, core, target, rate)
        skin = self.skin_c(t)
        if outdoors:
            skin_to = core - SKIN_EXPOSURE[self.clothing] * max(0.0, core - air_c)
            tau = SKIN_TAU_S["outdoors"]
        else:
            skin_to = (34.5 if asleep else 33.5) + 0.12 * heat_c + 0.5 * fever_c
            skin_to -= max(0.0, NORMAL_CORE_C - core) * 0.8  # a cold body, cold skin
            tau = SKIN_TAU_S["indoors"]
        self.skin_t0, self.skin_v0, self.skin_target, self.skin_tau_s = t, skin, skin_to, tau

    def steady(self, t: float) -> bool:
        """Whether both temperatures have arrived where their surroundings hold them (from
        `t` on they stay, until the world changes)."""
        return self.core.at(t) == self.core.target and self.skin_c(t) == self.skin_target

    def settle(self) -> None:
        """Start where the surroundings hold the temperatures (the run's first moment)."""
        self.skin_v0 = self.skin_target
        self.core = Segment(self.core.t0, self.core.target, self.core.target, self.core.rate_h)

    # -- glucose ---------------------------------------------------------------------

    def add(self, t: float, size: float, peak_s: float) -> None:
        """A meal, a snack, sugar or an insulin dose at `t` (spent ones are forgotten)."""
        self.effects = [e for e in self.effects if t - e.t < KEPT_S]
        self.effects.append(Effect(t, size, peak_s))

    def eat(self, t: float, snack: bool = False) -> None:
        """A meal (peaking an hour on), or a slow evening snack (three hours on)."""
        if snack:
            self.add(t, SNACK_RISE * (MEAL_RISE[self.diabetes] / 3.5), 3 * 3600.0)
        else:
            self.add(t, MEAL_RISE[self.diabetes], 3600.0)

    def insulin(self, t: float, units: float, kind: str = "nph") -> None:
        """An insulin dose: it lowers glucose most at its action peak."""
        self.add(t, -units * INSULIN_PER_IU[kind], INSULIN_PEAK_H[kind] * 3600.0)

    def sugar(self, t: float) -> None:
        """Glucose gel or juice: fast, a quarter of an hour to its peak."""
        self.add(t, SUGAR_RISE, 900.0)

    def glucose(self, t: float, meals_missed: int = 0) -> float:
        """Blood glucose at `t`, mmol/l."""
        fasting = FASTING[self.diabetes] - 0.3 * min(meals_missed, 4)
        value = fasting + sum(e.size * curve(t - e.t, e.peak_s) for e in self.effects)
        if self.diabetes == "none":  # a healthy body keeps it in range
            return min(9.0, max(3.9, value))
        return min(30.0, max(1.2, value))

    # -- what they drive -------------------------------------------------------------

    def consciousness(self, t: float, glucose: float, illness: float, dry: bool) -> str:
        """ACVPU from the core temperature, glucose and the rest of her state."""
        core = self.core_c(t)
        if glucose < 1.5 or core < 28.0:
            return "U"
        if glucose < 2.0 or core < 30.0:
            return "P"
        if glucose < 2.5 or core < 32.0:
            return "V"
        if glucose < 3.5 or core < 35.0 or illness > 0.6 or dry:
            return "C"
        return "A"


NEWS2_BANDS: dict[str, list[tuple[float, int]]] = {
    "resp_rate": [(8, 3), (11, 1), (20, 0), (24, 2), (math.inf, 3)],
    "spo2": [(91, 3), (93, 2), (95, 1), (math.inf, 0)],
    "systolic": [(90, 3), (100, 2), (110, 1), (219, 0), (math.inf, 3)],
    "pulse": [(40, 3), (50, 1), (90, 0), (110, 1), (130, 2), (math.inf, 3)],
    "temperature": [(35.0, 3), (36.0, 1), (38.0, 0), (39.0, 1), (math.inf, 2)],
}
"""NEWS2 (Royal College of Physicians, 2017): each parameter's points by the upper bound of
its band (SpO2 on scale 1, breathing air)."""


def news2(values: dict[str, float | str]) -> int:
    """The NEWS2 score of a full set: respiration rate, SpO2, systolic pressure, pulse,
    consciousness (ACVPU) and temperature, breathing air."""
    score = 0
    for name, bands in NEWS2_BANDS.items():
        v = float(values[name])
        score += next(points for upper, points in bands if v <= upper)
    return score + (0 if values["consciousness"] == "A" else 3)
