"""What nobody is looking at leaves the lab's memory, and comes back whole when asked: an
ended exercise (a semester of classes would otherwise fill the server), a learner's paused
run; after a restart, ended exercises are not replayed until someone opens one. Every one
stays in its teacher's list as it was."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from mewet.config import Limits, MqttUrl
from tests.api.test_study import begin, publish, steer
from tests.support.apiserver import TEACHER, Api, act, control, create, frames, join, serve
from tests.support.helpers import eventually, unique_root

RESTS = Limits(put_away_s=1)  # put away after a second idle (the lab's default: 10 minutes)


def hosted(api: Api) -> dict[int, Any]:
    """The exercises the server holds in memory."""
    found: dict[int, Any] = api.app.state.api.exercises.hosted
    return found


def listed(api: Api, exercise: int) -> dict[str, Any]:
    [item] = [e for e in api.call("GET", "/api/exercises", TEACHER).json() if e["id"] == exercise]
    return dict(item)


def ended_class(api: Api) -> dict[str, Any]:
    ex = create(api, title="SH24A, the night fall", group="SH24A")
    centre = join(api, ex, "alarm_centre", "Ada")
    control(api, ex["id"], "start")
    control(api, ex["id"], "step", minutes=555)
    act(api, ex["id"], centre, "answer")
    control(api, ex["id"], "end")
    return ex | {"centre": centre}


def test_an_ended_exercise_left_alone_is_put_away_and_opens_again_whole(
    tmp_path: Path, mqtt_url: MqttUrl
) -> None:
    with serve(tmp_path / "data", mqtt_url, unique_root(), limits=RESTS) as api:
        ex = ended_class(api)
        debrief = api.call("GET", f"/api/exercises/{ex['id']}/debrief", TEACHER).json()
        shown = listed(api, ex["id"])
        assert shown["phase"] == "ended" and shown["title"] == "SH24A, the night fall"

        eventually(lambda: ex["id"] not in hosted(api), timeout_s=30)
        # her list shows it as before, from what was kept: no replay for a list
        assert listed(api, ex["id"]) == shown
        assert ex["id"] not in hosted(api)
        # her debrief and the student's view are as they were: replayed when asked
        again = api.call("GET", f"/api/exercises/{ex['id']}/debrief", TEACHER).json()
        assert again == debrief
        assert again["kpis"]["cases"][0]["answered_by"] == "Ada"
        assert ex["id"] in hosted(api)
        mine = api.call("GET", "/api/exercises", ex["centre"]).json()
        assert [e["id"] for e in mine] == [ex["id"]] and mine[0]["phase"] == "ended"


def test_what_is_watched_paused_for_a_class_or_running_stays(
    tmp_path: Path, mqtt_url: MqttUrl
) -> None:
    with serve(tmp_path / "data", mqtt_url, unique_root(), limits=RESTS) as api:
        ex = ended_class(api)
        ws = api.live(ex["id"], TEACHER)  # her debrief, on the classroom's screen
        frames(ws, lambda f: f["type"] == "snapshot")
        paused = create(api)  # a class paused for lunch: its home stays on the broker
        control(api, paused["id"], "start")
        control(api, paused["id"], "pause")
        running = create(api)
        control(api, running["id"], "start")
        time.sleep(3.5)  # three rounds of putting away, a second apart
        assert {ex["id"], paused["id"], running["id"]} <= hosted(api).keys()
        ws.close()
        eventually(lambda: ex["id"] not in hosted(api), timeout_s=30)
        assert {paused["id"], running["id"]} <= hosted(api).keys()


def test_a_learners_paused_run_is_put_away_and_waits_for_her(
    tmp_path: Path, mqtt_url: MqttUrl
) -> None:
    with serve(tmp_path / "data", mqtt_url, unique_root(), limits=RESTS) as api:
        run = begin(api, publish(api)["code"])
        steer(api, run, "start")
        steer(api, run, "step", minutes=552)  # to the fall, and the clock stands
        me = api.call("GET", f"/api/exercises/{run['exercise']}", run["access_token"]).json()
        assert me["phase"] == "paused"
        eventually(lambda: run["exercise"] not in hosted(api), timeout_s=30)
        # she comes back days later: her run is where she left it, paused, not by the lab
        back = api.call("GET", f"/api/exercises/{run['exercise']}", run["access_token"]).json()
        assert (back["phase"], back["sim_s"], back["time"]) == (
            me["phase"],
            me["sim_s"],
            me["time"],
        )
        assert steer(api, run, "resume").json()["phase"] == "running"
        assert steer(api, run, "end").status_code == 200
        rows = api.call(
            "GET", f"/api/exercises/{run['exercise']}/debrief", run["access_token"]
        ).json()["timeline"]
        controls = [(r["what"], r["by"]) for r in rows if r["kind"] == "control"]
        assert controls == [("start", ""), ("step", ""), ("resume", ""), ("end", "")]


def test_a_restarted_lab_opens_an_ended_exercise_only_when_asked(
    tmp_path: Path, mqtt_url: MqttUrl
) -> None:
    root, data = unique_root(), tmp_path / "data"
    with serve(data, mqtt_url, root) as api:
        ex = ended_class(api)
        running = create(api)
        control(api, running["id"], "start")
        shown = listed(api, ex["id"])
        debrief = api.call("GET", f"/api/exercises/{ex['id']}/debrief", TEACHER).json()
    with serve(data, mqtt_url, root) as api:
        # the class still running came back (paused by the lab); the ended one waits
        assert running["id"] in hosted(api) and ex["id"] not in hosted(api)
        again = listed(api, ex["id"])
        assert again.pop("join_url").endswith(shown.pop("join_url").split("/")[-1])  # new port
        assert again == shown
        assert api.call("GET", f"/api/exercises/{ex['id']}/debrief", TEACHER).json() == debrief
