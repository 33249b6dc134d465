"""Self-study over the real API: a teacher publishes a scenario as an assignment; a learner
begins her own run with the code and a name, steers it herself, leaves (it pauses) and comes
back with her key; the teacher sees every run; the debrief is hers once she ends it. Every
bad request gets its clear answer."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mewet.config import Limits, MqttUrl
from tests.support.apiserver import TEACHER, Api, frames, serve
from tests.support.helpers import eventually, unique_root

LEARNER = {"name": "Ada", "role": "alarm_centre"}


def publish(api: Api, **body: Any) -> dict[str, Any]:
    body = {"scenario": "night-fall", "roles": ["alarm_centre", "home_care"]} | body
    r = api.call("POST", "/api/assignments", TEACHER, json=body)
    assert r.status_code == 201, r.text
    found: dict[str, Any] = r.json()
    return found


def begin(api: Api, code: str, **body: Any) -> dict[str, Any]:
    r = api.call("POST", f"/api/study/{code}", json={**LEARNER, **body})
    assert r.status_code == 201, r.text
    found: dict[str, Any] = r.json()
    return found


def steer(api: Api, run: dict[str, Any], control: str, **args: Any) -> Any:
    path = f"/api/exercises/{run['exercise']}/control"
    return api.call("POST", path, run["access_token"], json={"control": control, "args": args})


def test_a_learner_runs_an_assignment_alone_leaves_and_comes_back(api: Api) -> None:
    a = publish(api)
    assert len(a["code"]) == 8 and a["link"].endswith(f"/study?code={a['code']}")
    assert a["title"] == "Night-time fall, wristband worn" and a["runs"] == []
    closes = datetime.fromisoformat(a["closes"]) - datetime.fromisoformat(a["opens"])
    assert closes == timedelta(days=30)
    seen = api.call("GET", f"/api/study/{a['code'].lower()}").json()
    assert seen["open"] is True and seen["roles"] == ["alarm_centre", "home_care"]

    run = begin(api, a["code"])
    assert len(run["key"]) == 12 and run["role"] == "alarm_centre"
    me = api.call("GET", f"/api/exercises/{run['exercise']}", run["access_token"]).json()
    assert me["steer"] is True and me["phase"] == "created" and me["roles"] == ["alarm_centre"]
    assert steer(api, run, "start").status_code == 200
    assert steer(api, run, "step", minutes=552).status_code == 200  # to 03:12: the fall
    act = api.call(
        "POST",
        f"/api/exercises/{run['exercise']}/actions",
        run["access_token"],
        json={"action": "answer", "args": {}},
    )
    assert act.status_code == 200, act.text
    refused = steer(api, run, "inject", incident=0)
    assert refused.status_code == 403
    assert "you may start, pause, resume" in refused.json()["detail"]

    # she leaves her run: the last live feed closes, and it waits for her
    ws = api.live(run["exercise"], run["access_token"])
    frames(ws, lambda f: f["type"] == "snapshot")
    ws.close()
    eventually(
        lambda: (
            api.call("GET", f"/api/exercises/{run['exercise']}", run["access_token"]).json()[
                "phase"
            ]
            == "paused"
        )
    )
    back = api.call("POST", f"/api/study/{a['code']}/resume", json={"key": run["key"]})
    assert back.status_code == 200, back.text
    assert back.json()["exercise"] == run["exercise"] and back.json()["key"] is None
    wrong = api.call("POST", f"/api/study/{a['code']}/resume", json={"key": "WRONGKEY0000"})
    assert wrong.status_code == 404 and "no run of this assignment" in wrong.json()["detail"]

    # the teacher sees her run under its assignment, not among the class exercises; she ends
    # it and reads her debrief
    assert api.call("GET", "/api/exercises", TEACHER).json() == []
    [listed] = api.call("GET", "/api/assignments", TEACHER).json()
    [seen_run] = listed["runs"]
    assert (seen_run["name"], seen_run["role"], seen_run["phase"]) == (
        "Ada",
        "alarm_centre",
        "paused",
    )
    token = back.json()["access_token"]
    r = api.call(
        "POST", f"/api/exercises/{run['exercise']}/control", token, json={"control": "end"}
    )
    assert r.status_code == 200, r.text
    debrief = api.call("GET", f"/api/exercises/{run['exercise']}/debrief", token)
    assert debrief.status_code == 200, debrief.text
    assert debrief.json()["kpis"]["cases"][0]["answered_by"] == "Ada"


def test_a_learner_steers_only_her_own_run(api: Api) -> None:
    a = publish(api)
    ada, bo = begin(api, a["code"]), begin(api, a["code"], name="Bo")
    assert ada["exercise"] != bo["exercise"]
    other = api.call(
        "POST",
        f"/api/exercises/{bo['exercise']}/control",
        ada["access_token"],
        json={"control": "start"},
    )
    assert other.status_code == 404  # another learner's run is not hers to see
    # a class's student steers nothing
    ex = api.call("POST", "/api/exercises", TEACHER, json={"scenario": "night-fall"}).json()
    joined = api.call(
        "POST", "/api/join", json={"code": ex["join_code"], "name": "Cy", "role": "home_care"}
    ).json()
    r = api.call(
        "POST",
        f"/api/exercises/{ex['id']}/control",
        joined["access_token"],
        json={"control": "start"},
    )
    assert r.status_code == 403


def _when(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("body", "status", "said"),
    [
        ({"opens": _when(1), "closes": _when(0.5)}, 422, "closes must come after opens"),
        ({"opens": _when(0), "closes": _when(400)}, 422, "a year at most"),
        ({"closes": "2027-01-01T00:00:00"}, 422, "needs a time zone"),
        ({"roles": []}, 422, "roles"),
        ({"roles": ["janitor"]}, 422, "roles"),
        ({"scenario": "no-such"}, 404, "no-such"),
        ({"title": "x" * 200}, 422, "title"),
    ],
)
def test_a_bad_assignment_is_refused_in_plain_words(
    api: Api, body: dict[str, Any], status: int, said: str
) -> None:
    full = {"scenario": "night-fall", "roles": ["alarm_centre"]} | body
    r = api.call("POST", "/api/assignments", TEACHER, json=full)
    assert r.status_code == status, r.text
    assert said in r.text


def test_what_a_learner_cannot_begin_is_refused(api: Api) -> None:
    assert api.call("POST", "/api/assignments", json={"scenario": "night-fall"}).status_code == 401
    a = publish(api)
    r = api.call("POST", f"/api/study/{a['code']}", json={"name": "Ada", "role": "doctor"})
    assert r.status_code == 422 and "not in this assignment" in r.json()["detail"]
    r = api.call("POST", "/api/study/NOSUCH00", json=LEARNER)
    assert r.status_code == 404 and "no assignment has that code" in r.json()["detail"]
    later = publish(api, opens=_when(2), closes=_when(5))
    r = api.call("POST", f"/api/study/{later['code']}", json=LEARNER)
    assert r.status_code == 409 and "the assignment opens" in r.json()["detail"]
    over = publish(api, opens=_when(-40), closes=_when(-10))
    r = api.call("POST", f"/api/study/{over['code']}", json=LEARNER)
    assert r.status_code == 409 and "the assignment closed" in r.json()["detail"]
    r = api.call(
        "POST",
        f"/api/study/{a['code']}",
        json={"name": "\x1b[31mEve\u202e", "role": "alarm_centre"},
    )
    assert r.status_code == 201
    listed = api.call("GET", "/api/assignments", TEACHER).json()
    [run] = next(x for x in listed if x["id"] == a["id"])["runs"]
    assert run["name"] == "[31mEve"


@pytest.mark.parametrize(
    ("limits", "said"),
    [
        (Limits(study_runs_per_hour=2), "come back to yours with its key"),
        (Limits(study_runs=2), "the lab runs 2 self-study runs now"),
        (Limits(study_runs_kept=2), "the lab keeps 2 self-study runs now"),
    ],
)
def test_begun_runs_are_limited_per_address_and_in_the_lab(
    tmp_path: Path, mqtt_url: MqttUrl, limits: Limits, said: str
) -> None:
    with serve(tmp_path / "data", mqtt_url, unique_root(), limits=limits) as api:
        a = publish(api)
        begin(api, a["code"])
        begin(api, a["code"], name="Bo")
        third = {"name": "Cy", "role": "home_care"}
        r = api.call("POST", f"/api/study/{a['code']}", json=third)
        assert r.status_code == 429 and said in r.json()["detail"]
        assert r.headers["Retry-After"]


def test_a_run_ends_when_its_assignment_closes(api: Api) -> None:
    """A run is not kept waiting for ever: once the assignment closes, its runs are ended
    (their debriefs stay), and nobody comes back to it."""
    a = publish(api, closes=(datetime.now(UTC) + timedelta(seconds=3)).isoformat())
    run = begin(api, a["code"])
    assert steer(api, run, "start").status_code == 200
    time.sleep(3.5)
    [listed] = [
        x for x in api.call("GET", "/api/assignments", TEACHER).json() if x["id"] == a["id"]
    ]
    assert listed["runs"][0]["phase"] == "ended"
    back = api.call("POST", f"/api/study/{a['code']}/resume", json={"key": run["key"]})
    assert back.status_code == 409 and "the assignment closed" in back.json()["detail"]
