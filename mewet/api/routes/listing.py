"""An exercise as someone may see it, alone or in a list: from its run on this server, or,
for one no server runs now (put away when idle, or its server stopped), from its kept row,
without bringing it back to life."""

from __future__ import annotations

import asyncio
import logging

from fastapi import Request

from mewet.api.deps import ApiState, may_see, no_companies
from mewet.api.forward import from_peers
from mewet.api.models import ExercisePublic, Participant
from mewet.api.public import join_base
from mewet.api.routes.briefs import briefing
from mewet.api.security import Principal
from mewet.exercises.db import ExerciseRow
from mewet.exercises.hosted import Glance, Hosted, home_id, kept_scenario, title_of
from mewet.scenarios.scenario import ScenarioError
from mewet.sim.clock import zone_label

log = logging.getLogger(__name__)


def public(
    hosted: Hosted,
    who: Principal,
    api: ApiState | None = None,
    lang: str = "en",
    request: Request | None = None,
) -> ExercisePublic:
    """The exercise as `who` may see it (the join code and link for its teacher only)."""
    live, row = hosted.live, hosted.row
    student_role = who.exercise_role if who.kind == "participant" else None
    shown = _shown(row, who, api, request)
    return shown.model_copy(
        update={
            "title": hosted.title(lang),
            "scenario": live.setup.scenario.id,
            "phase": live.phase,
            "sim_s": round(live.now_s, 3),
            "time": live.time(),
            "speed": live.clock.speed,
            "end_s": live.setup.end_s,
            "time_zone": zone_label(live.zone),
            "briefing": briefing(hosted, student_role, lang) if student_role else None,
            "steer": student_role is not None
            and api is not None
            and api.study.run(row.id) is not None,
        }
    )


def kept(
    row: ExerciseRow, who: Principal, api: ApiState, lang: str, request: Request
) -> ExercisePublic:
    """An exercise no server runs now, as its teacher (or an admin) sees it in a list: as
    it was kept (ScenarioError when its scenario no longer reads)."""
    scenario = kept_scenario(row.scenario_yaml)
    glance = Glance.kept(row)
    return _shown(row, who, api, request).model_copy(
        update={
            "title": title_of(row, scenario, lang),
            "scenario": scenario.id,
            "phase": glance.phase,
            "sim_s": round(row.sim_s, 3),
            "time": glance.time,
            "speed": row.speed,
            "end_s": scenario.days * 86400.0,
            "time_zone": zone_label(row.start.tzinfo),
        }
    )


def _shown(
    row: ExerciseRow, who: Principal, api: ApiState | None, request: Request | None
) -> ExercisePublic:
    """What the row alone says, whether the exercise runs or rests."""
    own = who.kind == "user" and who.role in ("teacher", "admin")
    join_url, reachable = None, True
    if own and api is not None and request is not None:
        base, reachable = join_base(request, api.public_url, api.listen_host)
        join_url = f"{base}/join?code={row.join_code}"
    people = []
    if api is not None:
        people = [
            Participant(name=p["name"], role=p["role"], joined=p["joined"])
            for p in api.db.participants(row.id)
        ]
    return ExercisePublic(
        id=row.id,
        title=row.title,
        group=row.group,
        created=row.created,
        scenario="",
        scenario_version=row.scenario_version,
        phase=row.phase,
        sim_s=row.sim_s,
        time="",
        speed=row.speed,
        end_s=0.0,
        roles=sorted(row.roles),
        home=home_id(row.id, row.home_tag),
        join_code=row.join_code if own else None,
        join_url=join_url,
        join_reachable=reachable,
        participants=people,
        time_zone="",
    )


async def listed(
    api: ApiState, who: Principal, lang: str, request: Request
) -> list[ExercisePublic]:
    """Every exercise `who` may see: as it runs, here or on the other servers (asked, unless
    this request was forwarded here by one of them), and for a teacher or an admin the rest
    as kept (ended and put away, or on a server that has just stopped); learners' self-study
    runs are listed under their assignments."""
    no_companies(who)
    if who.kind == "participant":  # her own exercise, on the server that runs it
        hosted = await api.exercises.find(who.exercise) if who.exercise is not None else None
        return [public(hosted, who, api, lang, request)] if hosted is not None else []
    shown = {
        ex: public(hosted, who, api, lang, request)
        for ex, hosted in api.exercises.hosted.items()
        if may_see(who, hosted) and api.study.run(ex) is None
    }
    if not request.scope.get("mewet.forwarded"):
        leases, several = api.exercises.leases, api.exercises.placement.front
        if leases.url or several:
            urls = await asyncio.to_thread(leases.peers)
            found = await from_peers(request.app.state.peers, urls, request.scope, api.key)
            for item in found:
                their = ExercisePublic.model_validate(item)
                shown.setdefault(their.id, their)
        if who.role in ("teacher", "admin"):
            rest = await asyncio.to_thread(_rest, api, who, lang, request, set(shown))
            shown |= {e.id: e for e in rest}
    return [shown[ex] for ex in sorted(shown)]


def _rest(
    api: ApiState, who: Principal, lang: str, request: Request, shown: set[int]
) -> list[ExercisePublic]:
    """The exercises `who` may see that no server has shown, as kept (a worker thread: the
    database, and each scenario read once)."""
    rows = api.exercises.kept(None if who.role == "admin" else who.id, shown)
    found = []
    for row in rows:
        if api.study.run(row.id) is not None:
            continue
        try:
            found.append(kept(row, who, api, lang, request))
        except ScenarioError as exc:  # kept by an older version of the lab
            log.error("exercise %d cannot be listed: %s", row.id, exc)
    return found
