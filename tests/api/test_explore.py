"""A learner explores a home of her own: no account, her tries set the home going, the lab's
team answers, and nobody else's home changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mewet.config import Limits, MqttUrl
from tests.support.apiserver import TEACHER, Api, create, frames, serve
from tests.support.helpers import unique_root


def explore(api: Api, name: str = "Aino") -> dict[str, Any]:
    r = api.call("POST", "/api/explorations", json={"name": name})
    assert r.status_code == 201, r.text
    found: dict[str, Any] = r.json()
    return found


def test_a_learner_presses_the_button_and_the_alarm_centre_answers(api: Api) -> None:
    mine = explore(api)
    token, ex = mine["access_token"], mine["exercise"]
    tries = {d["id"]: d["tries"] for d in mine["devices"]}
    assert tries["wristband"] == ["button"] and tries["leak-kitchen"] == ["water"]
    assert tries["motion-hall"] == []  # nothing to try: only to read about
    r = api.call(
        "POST",
        f"/api/explorations/{ex}/tries",
        token,
        json={"device": "wristband", "try": "button"},
    )
    assert r.status_code == 200 and r.json()["incident"] == "button_press", r.text
    r = api.call(
        "POST",
        f"/api/explorations/{ex}/tries",
        token,
        json={"device": "leak-kitchen", "try": "water"},
    )
    assert r.status_code == 200, r.text

    ws = api.live(ex, token)
    try:
        seen: set[str] = set()

        def both(frame: dict[str, Any]) -> bool:
            if frame["type"] == "case":
                seen.add(frame["event_type"])
            return {"button_pressed", "leak_detected"} <= seen

        got = frames(ws, both, timeout_s=60)
    finally:
        ws.close()
    said = [f for f in got if f["type"] == "action"]
    assert said, "the team did something about it"


def test_tries_are_the_explorer_s_own_and_checked(api: Api) -> None:
    mine, other = explore(api, "Aino"), explore(api, "Eero")
    path = f"/api/explorations/{mine['exercise']}/tries"
    body = {"device": "wristband", "try": "button"}
    assert api.call("POST", path, other["access_token"], json=body).status_code == 404
    assert api.call("POST", path, TEACHER, json=body).status_code == 404
    ex = create(api)
    assert (
        api.call("POST", f"/api/explorations/{ex['id']}/tries", TEACHER, json=body).status_code
        == 403
    )
    bad = [
        ({"device": "motion-hall", "try": "button"}, 422, "cannot do 'button'"),
        ({"device": "nothing", "try": "button"}, 422, "nothing"),
        ({"device": "wristband", "try": "explode"}, 422, "try"),
        ({"device": "wristband", "try": "button", "x": 1}, 422, "x"),
    ]
    for sent, code, says in bad:
        r = api.call("POST", path, mine["access_token"], json=sent)
        assert r.status_code == code and says in r.text, (sent, r.text)
    # her token sees her home only, and acts in no role
    assert api.call("GET", f"/api/exercises/{ex['id']}", mine["access_token"]).status_code == 404
    r = api.call(
        "POST",
        f"/api/exercises/{mine['exercise']}/actions",
        mine["access_token"],
        json={"action": "answer"},
    )
    assert r.status_code == 403 and "you try its devices" in r.json()["detail"]


def test_homes_to_explore_are_limited(tmp_path: Path, mqtt_url: MqttUrl) -> None:
    limits = Limits(explorations=2, explorations_per_hour=3)
    with serve(tmp_path / "data", mqtt_url, unique_root(), limits=limits) as api:
        explore(api), explore(api)
        full = api.call("POST", "/api/explorations", json={"name": "x"})
        assert full.status_code == 429 and "2 homes being explored" in full.json()["detail"]
        paced = api.call("POST", "/api/explorations", json={"name": "x"})
        assert paced.status_code == 429 and "too many homes" in paced.json()["detail"]
        assert api.call("POST", "/api/explorations", json={"name": "x" * 61}).status_code == 422
