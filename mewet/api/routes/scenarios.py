"""Scenarios: the library that ships with the lab, and the ones teachers upload and share."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException, status

from mewet.api.deps import Account, ApiState, KnownQuery, Language, State, Teacher
from mewet.api.models import ERRORS, ScenarioDetail, ScenarioPublic, ScenarioUpload
from mewet.api.refusals import too_many
from mewet.api.security import Principal
from mewet.exercises.manager import scenario_from_text
from mewet.scenarios.scenario import Scenario, ScenarioError, library, load_scenario
from mewet.texts import said

router = APIRouter(
    prefix="/api/scenarios", tags=["scenarios"], responses=ERRORS, dependencies=[KnownQuery]
)


def _public(
    s: Scenario, source: str, org: str | None = None, shared: bool = True, lang: str = "en"
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
        "org": org,
        "shared": shared,
    }


def find(
    api: ApiState, who: Principal, sid: str, lang: str = "en"
) -> tuple[Scenario, str, dict[str, Any]]:
    """A scenario the caller may use, its file text and its public fields; 404 otherwise."""
    known = library()
    if sid in known:
        s = load_scenario(sid)
        return s, known[sid].read_text(encoding="utf-8"), _public(s, "library", lang=lang)
    row = api.db.scenario(sid)
    if row is not None and (row["shared"] or row["org"] == who.org or who.role == "admin"):
        s = scenario_from_text(row["yaml"], f"{sid}.yaml")
        return s, row["yaml"], _public(s, "uploaded", row["org"], bool(row["shared"]), lang)
    raise HTTPException(status.HTTP_404_NOT_FOUND, f"no scenario {sid!r}")


@router.get("")
async def list_scenarios(api: State, who: Account, lang: Language) -> list[ScenarioPublic]:
    """The library's scenarios and the uploaded ones you may use."""
    out = [
        ScenarioPublic(**_public(load_scenario(sid), "library", lang=lang))
        for sid in sorted(library())
    ]
    for row in api.db.scenarios():
        if row["shared"] or row["org"] == who.org or who.role == "admin":
            try:
                s = scenario_from_text(row["yaml"], f"{row['id']}.yaml")
            except ScenarioError:
                continue  # kept from an older version of the lab that accepted it
            shared = bool(row["shared"])
            out.append(ScenarioPublic(**_public(s, "uploaded", row["org"], shared, lang)))
    return out


@router.get("/{scenario_id}")
async def get_scenario(
    api: State, who: Account, scenario_id: str, lang: Language
) -> ScenarioDetail:
    """One scenario, with its file and its teacher's guide."""
    s, text, public = find(api, who, scenario_id, lang)
    return ScenarioDetail(**public, teacher_guide=s.text(lang)[3], yaml=text)


@router.post("", status_code=status.HTTP_201_CREATED, responses={429: ERRORS[429]})
async def upload(api: State, who: Teacher, body: ScenarioUpload) -> ScenarioPublic:
    """Upload a scenario file (checked as `mewet scenario validate` does) to use and share.

    A scenario names a built-in home by id; YAML aliases, tags and merge keys are refused."""
    wait = api.uploads.wait(f"{who.kind}:{who.id}")
    if wait:
        raise too_many(wait, said("too_many_uploads"))
    try:
        s = await asyncio.to_thread(
            scenario_from_text, body.yaml, "upload.yaml", api.limits.yaml_aliases
        )
    except ScenarioError as exc:
        raise HTTPException(422, str(exc)) from None
    if s.id in library():
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"{s.id!r} is a library scenario: give yours another id"
        )
    row = api.db.scenario(s.id)
    if row is not None and row["org"] != who.org and who.role != "admin":
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"{s.id!r} belongs to another school: choose another id"
        )
    api.db.put_scenario(s.id, s.title, body.yaml, who.org, who.id, body.shared)
    return ScenarioPublic(**_public(s, "uploaded", who.org, body.shared))
