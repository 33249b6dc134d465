"""The exercise API over HTTP and WebSocket, with the real Mosquitto, ingest and store."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from mewet.config import MqttUrl, StoreUrl
from mewet.ingest.service import Ingest
from mewet.store.base import open_store
from tests.support.apiserver import (
    ADMIN,
    COMPANY,
    OTHER,
    TEACHER,
    Api,
    act,
    control,
    create,
    frames,
    join,
    serve,
)
from tests.support.helpers import REPO, eventually, unique_root


def when(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def test_a_class_runs_night_fall_from_creation_to_debrief(
    tmp_path: Path, mqtt_url: MqttUrl
) -> None:
    root = unique_root()
    store = open_store(StoreUrl("sqlite", path=tmp_path / "store.db"))
    ingest = Ingest(mqtt_url, store, root=root, client_id="api-flow-ingest")
    ingest.start()
    try:
        with serve(tmp_path / "data", mqtt_url, root) as api:
            run_the_class(api, store)
    finally:
        ingest.stop()
        store.close()


def run_the_class(api: Api, store: Any) -> None:
    ex = create(api)
    eid = ex["id"]
    assert ex["phase"] == "created" and len(ex["join_code"]) == 6
    centre = join(api, ex, "alarm_centre", "Ada")
    care = join(api, ex, "home_care", "Bo")
    relative = join(api, ex, "relative", "Cy")
    ws = api.live(eid, centre)
    snapshot = frames(ws, lambda f: f["type"] == "snapshot")[-1]
    assert len(snapshot["home"]) == 26 and snapshot["clock"]["phase"] == "created"
    family = api.live(eid, relative)
    assert frames(family, lambda f: f["type"] == "snapshot")[-1]["home"] == {}

    control(api, eid, "start")
    # device messages reach the class through the broker
    got = frames(ws, lambda f: f["type"] == "message" and f["kind"] == "telemetry")
    assert got[-1]["topic"].startswith(f"{api.root}/{ex['home']}/")
    # 18:00 to 03:15: past the fall at 03:10, paused there
    paused = control(api, eid, "step", minutes=555)
    # people read the home's local time, with its offset
    assert paused["phase"] == "paused" and paused["time"].startswith("2026-11-23T03:15")
    assert paused["time"].endswith("+01:00")
    alarm = frames(ws, lambda f: f["type"] == "alarm" and f["time"] >= "2026-11-23T03:10")[-1]
    case = alarm["id"]

    r = act(api, eid, care, "help_up")
    assert r.status_code == 409 and r.json()["detail"] == "Home care: no visit is under way"
    assert r.json()["said"] == {"id": "no_visit", "role": "home_care"}
    r = act(api, eid, centre, "dispatch_home_care", case=case)
    assert r.status_code == 409 and r.json()["detail"] == f"answer alarm case {case} first"
    assert act(api, eid, centre, "answer", case=case).status_code == 200
    heard = act(api, eid, centre, "talk", case=case).json()["result"]
    assert "fallen" in heard
    r = act(api, eid, centre, "dispatch_home_care", case=case)
    assert r.status_code == 409
    assert "still busy (talking to the resident) for about 90 s" in r.json()["detail"]
    control(api, eid, "step", minutes=2)
    assert act(api, eid, centre, "dispatch_home_care", case=case).status_code == 200
    control(api, eid, "step", minutes=1)
    r = act(api, eid, centre, "dispatch_home_care", case=case)
    assert r.status_code == 409 and "already on the way or there" in r.json()["detail"]
    r = act(api, eid, care, "arrive")
    assert r.status_code == 409 and "still on the way" in r.json()["detail"]
    control(api, eid, "step", minutes=40)
    # each action takes as long for a student as for the default policy
    for action, minutes in (("arrive", 0), ("unlock", 1), ("assess", 9), ("help_up", 4)):
        r = act(api, eid, care, action)
        assert r.status_code == 200, (action, r.text)
        if minutes:
            control(api, eid, "step", minutes=minutes)
    r = act(api, eid, care, "document", text="Found on the hall floor, no injury; helped up.")
    assert r.status_code == 200, r.text
    control(api, eid, "step", minutes=8)  # documenting takes 7 minutes
    assert act(api, eid, care, "leave").status_code == 200
    assert act(api, eid, centre, "close", case=case).status_code == 200
    r = api.call(
        "POST",
        f"/api/exercises/{eid}/notes",
        care,
        json={"text": "Found on the hall floor, no injury; helped to bed."},
    )
    assert r.status_code == 201 and r.json()["by"] == "Bo" and r.json()["role"] == "home_care"
    seen = frames(ws, lambda f: f["type"] == "note")
    assert {"action", "note"} <= {f["type"] for f in seen}

    def unlocked(f: dict[str, Any]) -> bool:
        return bool(
            f["type"] == "message"
            and f["device"] == "lock-front"
            and f["kind"] == "event"
            and f["payload"]["event_type"] == "unlocked"
        )

    # the lock opened for home care, and that came back through the broker
    if not any(unlocked(f) for f in seen):
        frames(ws, unlocked)
    # the relative sees no sensor feed and no home
    assert api.call("GET", f"/api/exercises/{eid}/home", relative).status_code == 403
    relative_frames = frames(family, lambda f: f["type"] == "note")
    assert not [f for f in relative_frames if f["type"] in ("message", "alarm")]
    # nor the alarm centre's cases and home care's visit: only what a relative would hear
    assert not [f for f in relative_frames if f["type"] == "action"]

    injected = control(api, eid, "inject", type="smoke", minutes=10)
    assert injected["result"] == "incident added: smoke in the flat"
    assert injected["said"] == {"id": "control_inject", "incident": "smoke"}
    control(api, eid, "resume")
    frames(ws, lambda f: f["type"] == "message" and f["device"] == "smoke-kitchen")
    control(api, eid, "pause")
    assert control(api, eid, "end")["phase"] == "ended"
    ws.close()
    family.close()

    d = api.call("GET", f"/api/exercises/{eid}/debrief", centre).json()
    k = d["kpis"]
    rows = d["timeline"]
    raised = when(alarm["time"])
    answered = next(r for r in rows if r["what"] == "answered" and r["source"] == "alarm_centre")
    arrived = next(r for r in rows if r["what"] == "arrived" and r["source"] == "home_care")
    assert answered["by"] == "Ada" and arrived["by"] == "Bo"
    to_answer = (when(answered["ts"]) - raised).total_seconds() / 60
    to_help = (when(arrived["ts"]) - raised).total_seconds() / 60
    assert k["time_to_answer_max_min"] >= round(to_answer, 1)
    assert k["time_to_help_max_min"] == pytest.approx(to_help, abs=0.051)  # KPIs: to 0.1 min
    assert k["actions_per_role"]["home_care"] == 6  # arrived ... helped up, documented, left
    [fall] = [c for c in k["cases"] if c["id"] == case]
    assert fall["answered_by"] == "Ada" and fall["on_site_role"] == "home_care"
    assert fall["status"]["answer"] in ("met", "missed") and k["status"]["help"] != "not yet"
    assert d["time_zone"] == "UTC+01:00" and rows[0]["ts"].endswith("+01:00")
    assert any(r["kind"] == "note" and r["by"] == "Bo" for r in rows)
    assert any(r["kind"] == "control" and r["what"] == "smoke" for r in rows)
    csv = api.call("GET", f"/api/exercises/{eid}/debrief", centre, params={"format": "csv"})
    assert csv.text.startswith("\ufefftime,kind,who or what,what happened,by\n")
    assert "Found on the hall" in csv.text
    report = api.call("GET", f"/api/exercises/{eid}/debrief", TEACHER, params={"format": "html"})
    assert "<svg" in report.text and "Night-time fall" in report.text
    png = api.call("GET", f"/api/exercises/{eid}/debrief/vitals.png", TEACHER)
    assert png.content.startswith(b"\x89PNG") and png.headers["content-type"] == "image/png"
    svg = api.call("GET", f"/api/exercises/{eid}/debrief/timeline.svg", TEACHER)
    assert b"<svg" in svg.content
    # and the home went through the broker into the store, as any home of the lab
    eventually(lambda: store.count("telemetry", ex["home"]) > 100)


def test_a_restarted_server_restores_every_exercise_paused(
    tmp_path: Path, mqtt_url: MqttUrl
) -> None:
    root = unique_root()
    data = tmp_path / "data"
    with serve(data, mqtt_url, root) as api:
        ex = create(api)
        centre = join(api, ex, "alarm_centre", "Ada")
        control(api, ex["id"], "start")
        control(api, ex["id"], "step", minutes=555)
        act(api, ex["id"], centre, "answer")
        act(api, ex["id"], centre, "talk")
        control(api, ex["id"], "step", minutes=2)
        assert act(api, ex["id"], centre, "dispatch_home_care").status_code == 200
        control(api, ex["id"], "speed", speed=600)
        control(api, ex["id"], "resume")
        eventually(
            lambda: api.call("GET", f"/api/exercises/{ex['id']}", TEACHER).json()["sim_s"] > 33400
        )
        before_home = api.call("GET", f"/api/exercises/{ex['id']}/home", TEACHER).json()
        before = api.call("GET", f"/api/exercises/{ex['id']}/debrief", TEACHER).json()
    with serve(data, mqtt_url, root) as api:
        again = api.call("GET", f"/api/exercises/{ex['id']}", TEACHER).json()
        assert again["phase"] == "paused"
        # the clock is kept every few seconds and at shutdown: the home is as it was left
        after_home = api.call("GET", f"/api/exercises/{ex['id']}/home", TEACHER).json()
        assert again["sim_s"] >= before_home["sim_s"]
        after = api.call(
            "GET",
            f"/api/exercises/{ex['id']}/debrief",
            TEACHER,
            params={"until_min": before["kpis"] and before_home["sim_s"] / 60},
        ).json()
        same = [r for r in before["timeline"] if r["ts"] <= before_home["time"]]
        assert [r for r in after["timeline"] if r["ts"] <= before_home["time"]] == same
        assert after_home["devices"].keys() == before_home["devices"].keys()
        # the student's token still works, and the exercise goes on from there
        assert api.call("GET", f"/api/exercises/{ex['id']}", centre).status_code == 200
        assert control(api, ex["id"], "resume")["phase"] == "running"
        # the timeline says the lab paused it at the restart, before the teacher resumed
        rows = api.call("GET", f"/api/exercises/{ex['id']}/debrief", TEACHER).json()["timeline"]
        controls = [(r["what"], r["by"]) for r in rows if r["kind"] == "control"]
        assert controls[-2:] == [("pause", "lab_restart"), ("resume", "")]


def test_a_student_is_told_what_the_exercise_is(api: Api) -> None:
    """Joining with the code alone gives the briefing: the exercise, its goals, the resident,
    the role and its actions; the student sees who else joined; an unknown query parameter
    is refused instead of ignored."""
    ex = create(api)
    body = {"code": ex["join_code"], "name": "Ada", "role": "alarm_centre"}
    r = api.call("POST", "/api/join", json=body)
    assert r.status_code == 200, r.text
    b = r.json()["briefing"]
    assert b["title"] == "Night-time fall, wristband worn" and b["learning_goals"]
    assert "turvapuhelinkeskus" in b["brief"] and b["sensors"] is True
    assert b["resident"].startswith("Astrid, 84")
    assert {"answer", "talk", "dispatch_home_care", "close"} <= {a["name"] for a in b["actions"]}
    token = r.json()["access_token"]
    join(api, ex, "relative", "Cy")
    seen = api.call("GET", f"/api/exercises/{ex['id']}", token).json()
    assert {(p["name"], p["role"]) for p in seen["participants"]} == {
        ("Ada", "alarm_centre"),
        ("Cy", "relative"),
    }
    assert seen["briefing"]["role"] == "alarm_centre" and seen["join_code"] is None
    finnish = {**api.as_(token), "Accept-Language": "fi"}
    fi = api.client.get(f"/api/exercises/{ex['id']}", headers=finnish)
    words = {a["name"]: a["label"] for a in fi.json()["briefing"]["actions"]}
    assert words["answer"] == "vastaa hälytykseen" and words["call_relative"] == "soita omaiselle"
    assert seen["time_zone"] == "UTC+01:00"
    r = api.call("GET", f"/api/exercises/{ex['id']}/debrief", TEACHER, params={"at_min": 5})
    assert r.status_code == 422 and "until_min" in r.json()["detail"]


def test_the_briefing_gives_her_conditions_and_medicines_in_the_student_s_language(
    api: Api,
) -> None:
    """The background an ISBAR report needs: night-hypo's Aune with her diabetes, heart
    failure and medicines, each kind said in Finnish or English."""
    ex = create(api, scenario="night-hypo", roles=["home_care"])
    body = {"code": ex["join_code"], "name": "Bo", "role": "home_care"}
    r = api.client.post("/api/join", json=body, headers={"Accept-Language": "fi"})
    assert r.status_code == 200, r.text
    assert r.json()["briefing"]["resident"] == (
        "Aune, 79, asuu yksin; tyypin 1 diabetes, sydämen vajaatoiminta; lääkkeet: "
        "bisoprolol 5 mg (beetasalpaaja), furosemide 40 mg (nesteenpoistolääke)"
    )
    english = {**api.as_(r.json()["access_token"]), "Accept-Language": "en"}
    seen = api.client.get(f"/api/exercises/{ex['id']}", headers=english).json()
    assert seen["briefing"]["resident"] == (
        "Aune, 79, lives alone; type 1 diabetes, heart failure; medicines: "
        "bisoprolol 5 mg (beta-blocker), furosemide 40 mg (diuretic)"
    )


def test_time_travel_shows_the_home_at_an_earlier_moment(api: Api) -> None:
    ex = create(api)
    control(api, ex["id"], "start")
    control(api, ex["id"], "step", minutes=600)  # to 04:00
    then = api.call(
        "GET", f"/api/exercises/{ex['id']}/home", TEACHER, params={"at_min": 120}
    ).json()
    now = api.call("GET", f"/api/exercises/{ex['id']}/home", TEACHER).json()
    assert then["time"].startswith("2026-11-22T20:00") and now["time"].startswith(
        "2026-11-23T04:00"
    )
    assert then["devices"]["bed"]["state"] != now["devices"]["bed"]["state"]  # in bed at 04:00
    assert then["devices"]["vitals"]["last_seen"] < "2026-11-22T20:01"


def test_a_burst_of_frames_comes_in_order_several_to_a_websocket_message(api: Api) -> None:
    ex = create(api)
    control(api, ex["id"], "start")
    ws = api.live(ex["id"], TEACHER)
    try:
        frames(ws, lambda f: f["type"] == "snapshot")
        control(api, ex["id"], "step", minutes=120)  # two hours of the home at once
        together: list[int] = []
        seqs: list[int] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(seqs) < 100:
            got = json.loads(ws.recv(timeout=10))
            batch = got if isinstance(got, list) else [got]
            together.append(len(batch))
            seqs += [
                f["payload"]["seq"]
                for f in batch
                if f["type"] == "message" and f["device"] == "vitals" and f["kind"] == "telemetry"
            ]
    finally:
        ws.close()
    assert len(seqs) >= 100 and seqs == sorted(seqs)  # every minute's vitals, in order
    assert max(together) > 1  # written together, not one write a frame


# -- who may do what ---------------------------------------------------------------------


@pytest.fixture
def world(api: Api) -> dict[str, Any]:
    """Two teachers' exercises, students in them, and every kind of caller."""
    mine = create(api)
    theirs = create(api, OTHER)
    control(api, mine["id"], "start")
    return {
        "mine": mine["id"],
        "theirs": theirs["id"],
        "student": join(api, mine, "alarm_centre", "Ada"),
        "relative": join(api, mine, "relative", "Cy"),
        "stranger": join(api, theirs, "alarm_centre", "Eve"),
    }


CALLERS = (
    "anonymous",
    "admin",
    "teacher",
    "other_teacher",
    "student",
    "relative",
    "stranger",
    "company",
)
# the status each caller gets, in CALLERS order; the exercise is "mine" (TEACHER's), the
# student and the relative joined it, the stranger joined the other teacher's
MATRIX: dict[str, tuple[str, str, dict[str, Any] | None, str]] = {
    "list scenarios": ("GET", "/api/scenarios", None,
                       "401 200 200 200 403 403 403 200"),
    "create exercise": ("POST", "/api/exercises", {"scenario": "quiet-day"},
                        "401 201 201 201 403 403 403 403"),
    "list exercises": ("GET", "/api/exercises", None,
                       "401 200 200 200 200 200 200 403"),
    "see exercise": ("GET", "/api/exercises/{mine}", None,
                     "401 200 200 404 200 200 404 403"),
    "steer": ("POST", "/api/exercises/{mine}/control", {"control": "speed", "args": {"speed": 30}},
              "401 200 200 404 403 403 404 403"),
    "act": ("POST", "/api/exercises/{mine}/actions", {"action": "answer_phone"},
            "401 422 422 404 409 409 404 403"),
    "note": ("POST", "/api/exercises/{mine}/notes", {"text": "hello"},
             "401 201 201 404 201 201 404 403"),
    "home": ("GET", "/api/exercises/{mine}/home", None,
             "401 200 200 404 200 403 404 403"),
    "history": ("GET", "/api/exercises/{mine}/home/vitals/history", None,
                "401 200 200 404 200 403 404 403"),
    "debrief": ("GET", "/api/exercises/{mine}/debrief", None,
                "401 200 200 404 409 409 404 403"),
}  # fmt: skip


def token_of(api: Api, world: dict[str, Any], caller: str) -> str | None:
    accounts = {"admin": ADMIN, "teacher": TEACHER, "other_teacher": OTHER, "company": COMPANY}
    if caller == "anonymous":
        return None
    if caller in accounts:
        return api.token(accounts[caller])
    token: str = world[caller]
    return token


def test_every_cell_of_the_permission_matrix(api: Api, world: dict[str, Any]) -> None:
    wrong = []
    for name, (method, path, body, codes) in MATRIX.items():
        for caller, expected in zip(CALLERS, codes.split(), strict=True):
            token = token_of(api, world, caller)
            r = api.call(method, path.format(**world), token, json=body)
            if r.status_code != int(expected):
                wrong.append(f"{name} as {caller}: {r.status_code} {r.text[:80]}")
    assert not wrong, "\n".join(wrong)


def test_live_feed_permissions(api: Api, world: dict[str, Any]) -> None:
    """A live feed needs a ticket, which only those who may see the exercise get; a ticket
    is for one exercise and one connection, and no token ever goes into a URL."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    path = f"/api/exercises/{world['mine']}/live/ticket"
    for caller, code in (("anonymous", 401), ("stranger", 404), ("company", 403)):
        token = token_of(api, world, caller)
        assert api.call("POST", path, token).status_code == code, caller
    ticket = api.call("POST", path, world["student"]).json()
    base = api.base.replace("http", "ws")

    def refused(url: str) -> int:
        with connect(base + url, open_timeout=10) as ws, pytest.raises(ConnectionClosed) as end:
            ws.recv(timeout=10)
        assert end.value.rcvd is not None
        return end.value.rcvd.code

    other = ticket["url"].replace(f"/{world['mine']}/", f"/{world['theirs']}/")
    assert refused(other) == 4401  # a ticket is for its own exercise (and is used up)
    ticket = api.call("POST", path, world["student"]).json()
    with connect(base + ticket["url"], open_timeout=10) as ws:
        assert frames(ws, lambda f: f["type"] == "snapshot")
    assert refused(ticket["url"]) == 4401  # used once already
    assert refused(f"/api/exercises/{world['mine']}/live?token={world['student']}") == 4401


def test_a_student_token_is_for_one_role_and_one_exercise(api: Api, world: dict[str, Any]) -> None:
    r = api.call(
        "POST",
        f"/api/exercises/{world['mine']}/actions",
        world["student"],
        json={"action": "arrive", "role": "home_care"},
    )
    assert r.status_code == 403
    assert r.json()["detail"] == "you joined as Alarm centre, not Home care"
    listed = api.call("GET", "/api/exercises", world["student"]).json()
    assert [e["id"] for e in listed] == [world["mine"]] and listed[0]["join_code"] is None


# -- bad input -----------------------------------------------------------------------------


def test_bad_requests_get_a_clear_4xx(api: Api) -> None:
    ex = create(api)
    eid = ex["id"]
    cases: list[tuple[str, str, Any, int, str]] = [
        ("POST", "/api/exercises", {"scenario": "no-such"}, 404, "no scenario 'no-such'"),
        ("POST", "/api/exercises", {"scenario": "night-fall", "speed": -1}, 422, "speed"),
        ("POST", "/api/exercises", {"scenario": "night-fall", "roles": ["janitor"]}, 422, "roles"),
        ("POST", f"/api/exercises/{eid}/control", {"control": "fly"}, 422, "control"),
        ("POST", f"/api/exercises/{eid}/control", {"control": "pause"}, 409, "only a running"),
        ("POST", f"/api/exercises/{eid}/control", {"control": "step", "args": {"minutes": 5}},
         409, "start the exercise first"),
        ("POST", f"/api/exercises/{eid}/actions", {"action": "answer", "role": "alarm_centre"},
         409, "has not started"),
        ("POST", f"/api/exercises/{eid}/notes", {"text": "x" * 5000}, 422, "text"),
        ("POST", f"/api/exercises/{eid}/notes", {"text": "hi", "extra": 1}, 422, "extra"),
        ("GET", f"/api/exercises/{eid}/home/fridge/history", None, 404, "no device fridge"),
        ("GET", "/api/exercises/99999", None, 404, "no exercise 99999"),
        ("GET", "/api/exercises/abc", None, 422, "exercise_id"),
    ]  # fmt: skip
    for method, path, body, status, words in cases:
        r = api.call(method, path, TEACHER, json=body)
        assert r.status_code == status and words in r.text, (path, body, r.status_code, r.text)
    # malformed JSON, and a body that is no object at all
    r = api.client.post(
        f"/api/exercises/{eid}/notes",
        content=b"{not json",
        headers={**api.as_(TEACHER), "content-type": "application/json"},
    )
    assert r.status_code == 422 and "JSON" in r.text
    control(api, eid, "start")
    r = api.call(
        "POST",
        f"/api/exercises/{eid}/control",
        TEACHER,
        json={"control": "speed", "args": {"speed": 1e9}},
    )
    assert r.status_code == 422 and "at most 3600" in r.json()["detail"]
    assert r.json()["problems"][0]["where"] == "args.speed"
    r = api.call(
        "POST",
        f"/api/exercises/{eid}/control",
        TEACHER,
        json={"control": "inject", "args": {"type": "fall", "room": "attic"}},
    )
    assert r.status_code == 422 and "unknown room 'attic'" in r.json()["detail"]
    assert r.json()["problems"][0]["where"] == "args.room"
    r = api.call(
        "POST",
        f"/api/exercises/{eid}/control",
        TEACHER,
        json={"control": "inject", "args": {"type": "meteor"}},
    )
    assert r.status_code == 422 and "meteor" in r.json()["detail"]
    r = api.call(
        "POST",
        f"/api/exercises/{eid}/actions",
        TEACHER,
        json={"action": "fly", "role": "home_care"},
    )
    assert r.status_code == 409 and "Home care cannot do fly" in r.json()["detail"]
    # join: wrong code, closed role
    r = api.call(
        "POST",
        f"/api/exercises/{eid}/join",
        json={"code": "WRONG1", "name": "X", "role": "home_care"},
    )
    assert r.status_code == 404 and "join code" in r.json()["detail"]
    r = api.call(
        "POST",
        f"/api/exercises/{eid}/join",
        json={"code": ex["join_code"], "name": "X", "role": "doctor"},
    )
    assert r.status_code == 409 and "not open to students" in r.json()["detail"]
    # a forged or expired token
    r = api.call("GET", "/api/exercises", "not-a-token")
    assert r.status_code == 401 and "not valid" in r.json()["detail"]
    r = api.client.post("/api/auth/token", data={"username": TEACHER, "password": "wrong"})
    assert r.status_code == 401 and r.json()["detail"] == "wrong email or password"


def test_teachers_upload_and_share_scenarios(api: Api) -> None:
    text = (REPO / "mewet/scenarios/library/night-fall.yaml").read_text()
    mine = text.replace("id: night-fall", "id: north-night-fall")
    r = api.call("POST", "/api/scenarios", TEACHER, json={"yaml": mine, "shared": False})
    assert r.status_code == 201, r.text
    assert "north-night-fall" not in [
        s["id"] for s in api.call("GET", "/api/scenarios", OTHER).json()
    ]
    assert api.call("GET", "/api/scenarios/north-night-fall", OTHER).status_code == 404
    shared = text.replace("id: night-fall", "id: shared-night-fall")
    assert api.call("POST", "/api/scenarios", TEACHER, json={"yaml": shared}).status_code == 201
    ex = create(api, OTHER, scenario="shared-night-fall")
    assert ex["scenario"] == "shared-night-fall"
    # a broken file is answered with its line, as `mewet scenario validate` does
    broken = shared.replace('at: "03:10"', 'at: "3:10"')
    r = api.call("POST", "/api/scenarios", TEACHER, json={"yaml": broken})
    line = broken.splitlines().index(next(x for x in broken.splitlines() if '"3:10"' in x)) + 1
    assert r.status_code == 422 and f"line {line}:" in r.json()["detail"]
    assert "'3:10' is not a clock time: write HH:MM in quotes" in r.json()["detail"]
    r = api.call("POST", "/api/scenarios", TEACHER, json={"yaml": text})
    assert r.status_code == 409 and "library scenario" in r.json()["detail"]
    outside = shared.replace("home: default", "home: /etc/hostname")
    r = api.call("POST", "/api/scenarios", TEACHER, json={"yaml": outside})
    assert r.status_code == 422


def test_measure_and_record_values_are_checked(api: Api) -> None:
    """Hostile values for the new actions: an unknown measurement, an item a record cannot
    carry, a value too long, NaN: each a clear 409 or 422 naming what is allowed, nothing
    recorded from it; markup and control characters are kept as plain text on one line; and
    the exercise goes on."""
    ex = create(api, roles=["home_care"])
    eid = ex["id"]
    care = join(api, ex, "home_care", "Bo")
    control(api, eid, "start")
    control(api, eid, "step", minutes=620)  # 04:20: the fall at 03:10, home care sent to her
    for action in ("arrive", "unlock"):
        assert act(api, eid, care, action).status_code == 200
        control(api, eid, "step", minutes=1)
    r = act(api, eid, care, "measure", what="mood")
    assert r.status_code == 409 and "measure what? temperature, glucose" in r.json()["detail"]
    r = act(api, eid, care, "measure", what=36.6)
    assert r.status_code == 409 and r.json()["said"]["id"] == "measure_what"
    assert act(api, eid, care, "measure", what="glucose").status_code == 200
    control(api, eid, "step", minutes=6)
    bad: list[tuple[dict[str, Any], int, str]] = [
        ({"situation": "x", "include": "door,<script>"}, 409, "a record can include: door"),
        (
            {"situation": "x", "include": "temperature"},
            409,
            "temperature was not measured on this visit",
        ),
        ({"include": "glucose"}, 409, "write what you found"),
        ({"situation": "x" * 1001}, 422, "args.situation"),
    ]
    for args, status, words in bad:
        r = act(api, eid, care, "document", **args)
        assert r.status_code == status and words in r.text, (args, r.status_code, r.text)
    r = api.client.post(  # NaN, as Python's JSON writes it
        f"/api/exercises/{eid}/actions",
        content=b'{"action": "measure", "args": {"what": NaN}}',
        headers={**api.as_(care), "content-type": "application/json"},
    )
    assert r.status_code == 422 and "args.what" in r.text, r.text
    r = act(
        api,
        eid,
        care,
        "document",
        situation="<b>found</b>\non\tthe floor\x1b[2J",
        include="glucose",
    )
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    # markup kept as text (the pages show text, never markup); one line, no terminal escape
    assert "S: <b>found</b> on the floor[2J" in result and "glucose " in result
    control(api, eid, "step", minutes=8)  # the exercise goes on
    control(api, eid, "end")
    rows = api.call("GET", f"/api/exercises/{eid}/debrief", TEACHER).json()["timeline"]
    documented = [r for r in rows if r["what"] == "documented" and r["source"] == "home_care"]
    assert [r["by"] for r in documented] == ["Bo"]  # the refused ones left nothing behind
