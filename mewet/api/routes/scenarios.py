"""Scenarios: the library that ships with the lab, and the ones teachers write, check,
test-run, save (every version kept) and share with the other schools."""

from __future__ import annotations

import asyncio
import functools
import re
from typing import Any

from fastapi import APIRouter, status

from mewet.api.deps import Account, ApiState, KnownQuery, Language, State, Teacher, person
from mewet.api.models import (
    ERRORS,
    FileProblem,
    RolePreview,
    ScenarioCheck,
    ScenarioChecked,
    ScenarioDetail,
    ScenarioPreview,
    ScenarioPublic,
    ScenarioUpload,
    ScenarioVersion,
)
from mewet.api.refusals import Refusal, refused, within
from mewet.api.routes.briefs import resident_line
from mewet.api.routes.debriefs import replayed
from mewet.api.security import Principal
from mewet.exercises import debrief
from mewet.exercises.db import Row
from mewet.exercises.hosted import scenario_from_text
from mewet.scenarios.scenario import Scenario, ScenarioError, library, load_scenario
from mewet.texts import Said, said, say

router = APIRouter(
    prefix="/api/scenarios", tags=["scenarios"], responses=ERRORS, dependencies=[KnownQuery]
)
editing = APIRouter(prefix="/api", tags=["scenarios"], responses=ERRORS, dependencies=[KnownQuery])
"""Checks and test runs of a file not saved: beside /api/scenarios/{id}, not under it (an id
could be spelled "check")."""
ID_LINE = re.compile(r"^id\s*:", re.MULTILINE)


@functools.lru_cache(maxsize=256)
def _parsed(text: str, name: str) -> Scenario:
    """A saved scenario, parsed once per text: the library's list parses every one a school
    may see, on each visit of the page."""
    return scenario_from_text(text, name)


def _public(
    s: Scenario,
    source: str,
    lang: str = "en",
    row: Row | None = None,
    who: Principal | None = None,
) -> dict[str, Any]:
    title, description, goals, _ = s.text(lang)
    return {
        "id": s.id,
        "title": title,
        "description": description,
        "learning_goals": goals,
        "roles": list(s.roles),
        "days": s.days,
        "source": source,
        "org": None if row is None else row["org"],
        "shared": True if row is None else bool(row["shared"]),
        "version": 0 if row is None else row["version"],
        "editable": row is not None and who is not None and _may_save(who, row["org"]),
    }


def _may_save(who: Principal, org: str) -> bool:
    """Only the school that wrote a scenario saves new versions of it (and the lab's admin);
    the others see it shared, read-only, and may duplicate it under an id of their own."""
    return who.role == "admin" or org == who.org


def _may_see(who: Principal, row: Row) -> bool:
    return bool(row["shared"]) or _may_save(who, row["org"])


def find(
    api: ApiState, who: Principal, sid: str, lang: str = "en"
) -> tuple[Scenario, str, dict[str, Any]]:
    """A scenario the caller may use, its file text and its public fields (with `version`,
    0 for the library's); 404 otherwise."""
    known = library()
    if sid in known:
        s = load_scenario(sid)
        return s, known[sid].read_text(encoding="utf-8"), _public(s, "library", lang)
    row = api.db.scenario(sid)
    if row is not None and _may_see(who, row):
        s = _parsed(row["yaml"], f"{sid}.yaml")
        return s, row["yaml"], _public(s, "uploaded", lang, row, who)
    raise refused(status.HTTP_404_NOT_FOUND, "no_scenario", scenario=sid)


def roles_in(scenario: Scenario, roles: list[str]) -> None:
    """422 when a role asked for is not one of the scenario's."""
    closed = sorted(set(roles) - set(scenario.roles))
    if closed:
        raise refused(
            422,
            "roles_not_in_scenario",
            roles=", ".join(closed),
            scenario=scenario.id,
            known=", ".join(scenario.roles),
        )


@router.get("")
async def list_scenarios(api: State, who: Account, lang: Language) -> list[ScenarioPublic]:
    """The library's scenarios and the uploaded ones you may use (yours, and those other
    schools share, each with the school that wrote it)."""
    out = [
        ScenarioPublic(**_public(load_scenario(sid), "library", lang)) for sid in sorted(library())
    ]
    for row in api.db.scenarios():
        if _may_see(who, row):
            try:
                s = _parsed(row["yaml"], f"{row['id']}.yaml")
            except ScenarioError:
                continue  # kept from an older version of the lab that accepted it
            out.append(ScenarioPublic(**_public(s, "uploaded", lang, row, who)))
    return out


@router.get("/{scenario_id}")
async def get_scenario(
    api: State, who: Account, scenario_id: str, lang: Language
) -> ScenarioDetail:
    """One scenario, with its file, its teacher's guide and (uploaded) its versions."""
    s, text, public = find(api, who, scenario_id, lang)
    versions = [
        ScenarioVersion(version=v["version"], created=v["created"], title=v["title"])
        for v in (api.db.scenario_versions(s.id) if public["source"] == "uploaded" else [])
    ]
    return ScenarioDetail(**public, teacher_guide=s.text(lang)[3], yaml=text, versions=versions)


@router.get("/{scenario_id}/versions/{version}")
async def get_version(
    api: State, who: Account, scenario_id: str, version: int, lang: Language
) -> ScenarioDetail:
    """One saved version of an uploaded scenario, as it was saved (an exercise runs the
    version it was created from)."""
    find(api, who, scenario_id)  # 404 unless you may see the scenario
    row = api.db.scenario_version(scenario_id, version)
    if row is None:
        raise refused(404, "no_scenario_version", scenario=scenario_id, version=version)
    s = _parsed(row["yaml"], f"{scenario_id}.yaml")
    public = _public(s, "uploaded", lang, api.db.scenario(scenario_id), who)
    return ScenarioDetail(
        **{**public, "version": version}, teacher_guide=s.text(lang)[3], yaml=row["yaml"]
    )


@editing.post("/scenario-checks", responses={429: ERRORS[429]})
async def check(api: State, who: Teacher, lang: Language, body: ScenarioCheck) -> ScenarioChecked:
    """Check a scenario file without saving it, as the editor does while you type: every
    problem at its line, in your language, with how to fix it; or, when there is none, the
    guide as students and teachers will see it."""
    within(api.scenario_checks, person(who), said("too_many_checks"))
    try:
        s = await asyncio.to_thread(
            scenario_from_text, body.yaml, "scenario.yaml", api.limits.yaml_aliases
        )
    except ScenarioError as exc:
        problems = [
            FileProblem(line=p.line, where=p.field, problem=say(p.said, lang)) for p in exc.problems
        ]
        return ScenarioChecked(ok=False, problems=problems)
    taken = _taken(api, who, s.id)
    if taken is not None:
        found = ID_LINE.search(body.yaml)
        line = body.yaml.count("\n", 0, found.start()) + 1 if found else None
        problem = FileProblem(line=line, where="id", problem=say(taken, lang))
        return ScenarioChecked(ok=False, id=s.id, problems=[problem], preview=preview(s, lang))
    return ScenarioChecked(ok=True, id=s.id, preview=preview(s, lang))


def preview(s: Scenario, lang: str) -> ScenarioPreview:
    """The scenario as its readers will see it, in `lang`."""
    title, description, goals, guide = s.text(lang)
    return ScenarioPreview(
        title=title,
        description=description,
        learning_goals=goals,
        teacher_guide=guide,
        resident=resident_line(s.resident.persona, lang),
        home=s.home,
        start=s.start.isoformat(),
        days=s.days,
        roles=[
            RolePreview(role=r, brief=s.brief(r, lang), sensors=s.sees_sensors(r)) for r in s.roles
        ],
    )


def _taken(api: ApiState, who: Principal, sid: str) -> Said | None:
    """Why `sid` cannot be saved by `who`: a library scenario's id, or another school's."""
    if sid in library():
        return said("scenario_id_library", scenario=sid)
    row = api.db.scenario(sid)
    if row is not None and not _may_save(who, row["org"]):
        return said("scenario_id_taken", scenario=sid, org=row["org"])
    return None


@editing.post("/scenario-trials", response_model=None, responses={429: ERRORS[429]})
async def trial(api: State, who: Teacher, lang: Language, body: ScenarioCheck) -> dict[str, Any]:
    """Test-run a scenario before any class sees it: its first day (all of it, if shorter) at
    full speed, with the lab's team in every role, in a worker process. The answer is a
    debrief (the timeline of incidents, alarms and care, with the KPIs), in your language."""
    within(api.trials, person(who), said("too_many_trials"))
    s = await asyncio.to_thread(
        scenario_from_text, body.yaml, "scenario.yaml", api.limits.yaml_aliases
    )
    found = await replayed(api, who, api.exercises.replayed.trial(s))
    return debrief.in_language(found, lang)


@router.post("", status_code=status.HTTP_201_CREATED, responses={429: ERRORS[429]})
async def upload(api: State, who: Teacher, lang: Language, body: ScenarioUpload) -> ScenarioPublic:
    """Save a scenario file (checked as `mewet scenario validate` does) to use and share: a
    new id is version 1; saving one of your school's again keeps the old version and adds
    the next. A scenario names a built-in home by id; YAML aliases, tags and merge keys are
    refused."""
    within(api.uploads, person(who), said("too_many_uploads"))
    s = await asyncio.to_thread(
        scenario_from_text, body.yaml, "upload.yaml", api.limits.yaml_aliases
    )
    taken = _taken(api, who, s.id)
    if taken is not None:
        raise Refusal(status.HTTP_409_CONFLICT, taken)
    api.db.put_scenario(s.id, s.title, body.yaml, who.org, who.id, body.shared)
    return ScenarioPublic(**_public(s, "uploaded", lang, api.db.scenario(s.id), who))
