"""The resident (asukas), played by a student: presses the wristband's button, opens or
closes the front door, says how she feels and answers the safety phone, or lets it ring.

Played, the role is her voice and her choices; her body and her day (where she walks, when she
eats, whether she falls) stay the model's, so the class sees the same home. When the alarm
centre talks to her through the alarm unit, the operator hears what she says (a resident who
does not want to be a bother may say she is fine on the floor), or nothing if she lets it
ring; a body on the floor without the wristband, or a resident out of the flat, cannot answer
at all. Nobody playing her, the model answers from what is true, as before."""

from __future__ import annotations

from typing import Literal, get_args

from mewet.contract import Scalar
from mewet.scenarios.care.errors import ActionError
from mewet.scenarios.care.settings import Situation
from mewet.scenarios.care.team import Action, CareTeam
from mewet.sim.home import OUTSIDE
from mewet.texts import Said, said

ROLE = "resident"
Feeling = Literal["well", "unwell", "fallen", "injured"]
"""What she may say of herself: the situations an operator can hear of."""


def press_button(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Press the wristband's alarm button: the alarm centre gets the call."""
    if not team.world.wristband_worn:
        raise ActionError(said("wristband_not_worn"))
    team.world.notify("button")
    team.log(role, "pressed_button")
    return said("button_pressed_told")


def _front_door(team: CareTeam) -> str:
    found = next((d.id for d in team.sim.home.doors if d.kind == "entrance"), None)
    if found is None:
        raise ActionError(said("no_front_door"))
    return found


def _at_home(team: CareTeam) -> None:
    w = team.world
    if w.location == OUTSIDE or team.in_hospital:
        raise ActionError(said("resident_not_home"))
    if w.fallen:
        raise ActionError(said("resident_on_floor"))


def open_door(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Open the front door (to a visitor, or to go out: at night the door alarm calls)."""
    _at_home(team)
    team.world.set_door(_front_door(team), True)
    team.log(role, "opened_door")
    return said("door_opened_told")


def close_door(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Close the front door."""
    _at_home(team)
    team.world.set_door(_front_door(team), False)
    team.log(role, "closed_door")
    return said("door_closed_told")


def feel(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """Decide what she says of herself when someone calls (args: feeling)."""
    feeling = str(args.get("feeling", ""))
    if feeling not in get_args(Feeling):
        raise ActionError(said("feeling_unknown", feeling=feeling[:16]))
    team.resident_says = feeling  # type: ignore[assignment]
    team.log(role, "said_feeling", feeling=feeling)
    return said("feeling_noted", feeling=feeling)


def let_ring(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """From now, let the safety phone ring: she does not answer."""
    team.resident_answers = False
    team.log(role, "lets_it_ring")
    return said("will_not_answer")


def answer_calls(team: CareTeam, role: str, args: dict[str, Scalar]) -> Said:
    """From now, answer the safety phone when it rings."""
    team.resident_answers = True
    team.log(role, "answers_calls")
    return said("will_answer")


def heard(team: CareTeam, truth: Situation) -> Situation | None:
    """What the alarm centre hears from a resident a student plays: what she says, or None
    when she does not answer (or cannot: on the floor without her wristband, out, away)."""
    w = team.world
    if not team.resident_answers or w.location == OUTSIDE or team.in_hospital:
        return None
    if w.fallen and not w.wristband_worn:
        return None
    return team.resident_says or truth


ACTIONS = {
    a.name: a
    for a in (
        Action("press_button", "Press the wristband's alarm button.", press_button),
        Action("open_door", "Open the front door.", open_door),
        Action("close_door", "Close the front door.", close_door),
        Action(
            "feel",
            "Say how you feel when someone calls (args: feeling: well, unwell, fallen, injured).",
            feel,
        ),
        Action("let_ring", "Let the safety phone ring: do not answer.", let_ring),
        Action("answer_calls", "Answer the safety phone when it rings.", answer_calls),
    )
}
