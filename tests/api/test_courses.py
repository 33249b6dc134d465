"""Courses over the real API: a teacher puts two library scenarios, a page to read and a
40-question final test together and opens the course; two learners enrol, each runs the
scenarios alone, leaves mid-run and comes back after the server restarted to the same moment,
finishes, and takes the test, one passing at 70 % and one failing at 67.5 %; the teacher's
list and CSV show both; the certificate's code verifies and an edited one does not. Every bad
request gets its clear answer."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from mewet.config import MqttUrl
from mewet.knowledge.bank import lab_banks
from tests.support.apiserver import TEACHER, Api, serve
from tests.support.helpers import unique_root

ALL_BANKS = sorted(lab_banks())
PAGE = {"kind": "material", "title": "Turvapuhelin", "text": "Ranneke hälyttää.\n\nKeskus soittaa."}
NIGHT_FALL: dict[str, Any] = {
    "kind": "scenario",
    "scenario": "night-fall",
    "roles": ["alarm_centre", "home_care"],
}
STEPS: list[dict[str, Any]] = [
    PAGE,
    NIGHT_FALL,
    {"kind": "scenario", "scenario": "night-wandering", "roles": ["alarm_centre"]},
]


def make(api: Api, **body: Any) -> dict[str, Any]:
    body = {"title": "Turvateknologia 1", "steps": STEPS, "test": {"banks": ALL_BANKS}} | body
    r = api.call("POST", "/api/courses", TEACHER, json=body)
    assert r.status_code == 201, r.text
    found: dict[str, Any] = r.json()
    return found


def enrol(api: Api, code: str, name: str, **body: Any) -> dict[str, Any]:
    r = api.call("POST", f"/api/course/{code}", json={"name": name, **body})
    assert r.status_code == 201, r.text
    found: dict[str, Any] = r.json()
    return found


def me(api: Api, code: str, key: str) -> dict[str, Any]:
    r = api.call("POST", f"/api/course/{code}/me", json={"key": key})
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


def run(api: Api, code: str, key: str, step: int, role: str = "alarm_centre") -> dict[str, Any]:
    r = api.call("POST", f"/api/course/{code}/steps/{step}/run", json={"key": key, "role": role})
    assert r.status_code in (200, 201), r.text
    found: dict[str, Any] = r.json()
    return found


def steer(api: Api, mine: dict[str, Any], control: str, **args: Any) -> dict[str, Any]:
    r = api.call(
        "POST",
        f"/api/exercises/{mine['exercise']}/control",
        mine["access_token"],
        json={"control": control, "args": args},
    )
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


def exercise(api: Api, mine: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = api.call(
        "GET", f"/api/exercises/{mine['exercise']}", mine["access_token"]
    ).json()
    return found


def answers(asked: dict[str, Any], right: int) -> dict[str, list[int]]:
    """Answers with exactly `right` of the questions right (the rest: a wrong choice)."""
    bank = {q.id: q for b in lab_banks().values() for q in b.questions}
    out = {}
    for n, q in enumerate(asked["questions"]):
        rights = {c.en for c in bank[q["id"]].choices if c.right}
        good = [i for i, c in enumerate(q["choices"]) if c["text"] in rights]
        bad = next(i for i, c in enumerate(q["choices"]) if c["text"] not in rights)
        out[q["id"]] = good if n < right else [bad]
    return out


def test_two_learners_take_a_course_across_a_restart_one_passes_one_does_not(
    tmp_path: Path, mqtt_url: MqttUrl
) -> None:
    data, root = tmp_path / "data", unique_root()
    with serve(data, mqtt_url, root) as api:
        course = make(api)
        code = course["code"]
        assert course["link"].endswith(f"/course?code={code}") and course["scenarios"] == 2
        assert [s["kind"] for s in course["steps"]] == ["material", "scenario", "scenario"]
        assert course["test"]["questions"] == 40 and course["test"]["pass_percent"] == 70
        seen = api.call("GET", f"/api/course/{code.lower()}").json()
        assert seen["open"] is True and seen["steps"][1]["title"] == course["steps"][1]["title"]
        assert "banks" not in seen["test"]

        ada = enrol(api, code, "Ada", id_number="S-1")
        bo = enrol(api, code, "Bo")
        assert len(ada["key"]) == 12 and ada["test_open"] is False
        assert [s["done"] for s in ada["steps"]] == [False, False, False]
        assert ada["steps"][0]["text"] == PAGE["text"]
        read = api.call("POST", f"/api/course/{code}/steps/0/read", json={"key": ada["key"]})
        assert read.json()["steps"][0]["done"] is True
        early = api.call("POST", f"/api/course/{code}/test", json={"key": ada["key"]})
        assert early.status_code == 409 and "every scenario" in early.json()["detail"]

        # each runs the first scenario alone, and leaves it mid-run
        mine = {}
        for name, who in (("Ada", ada), ("Bo", bo)):
            r = run(api, code, who["key"], 1, "alarm_centre" if name == "Ada" else "home_care")
            steer(api, r, "start")
            steer(api, r, "step", minutes=90)  # and waits there, paused
            mine[name] = (r, exercise(api, r)["sim_s"])
        assert mine["Ada"][0]["exercise"] != mine["Bo"][0]["exercise"]
        # a learner cannot see another's run
        other = api.call(
            "GET", f"/api/exercises/{mine['Bo'][0]['exercise']}", mine["Ada"][0]["access_token"]
        )
        assert other.status_code == 404

    with serve(data, mqtt_url, root) as api:  # the next day: the server restarted meanwhile
        for name, who in (("Ada", ada), ("Bo", bo)):
            back = me(api, code, who["key"])
            assert back["steps"][1]["run"]["phase"] == "paused"
            again = run(api, code, who["key"], 1)
            was, sim_s = mine[name]
            assert again["exercise"] == was["exercise"] and again["role"] == was["role"]
            assert exercise(api, again)["sim_s"] == sim_s  # the same moment
            steer(api, again, "resume")
            steer(api, again, "end")
            second = run(api, code, who["key"], 2)
            steer(api, second, "end")

        results = {}
        for name, who, right in (("Ada", ada, 28), ("Bo", bo, 27)):
            opened = me(api, code, who["key"])
            assert opened["test_open"] is True and opened["left"] == 2
            asked = api.call("POST", f"/api/course/{code}/test", json={"key": who["key"]})
            assert asked.status_code == 201, asked.text
            assert len(asked.json()["questions"]) == 40
            marked = api.call(
                "POST",
                f"/api/course/{code}/test/1",
                json={"key": who["key"], "answers": answers(asked.json(), right)},
            ).json()
            results[name] = marked
        assert (results["Ada"]["percent"], results["Ada"]["passed"]) == (70, True)
        assert (results["Bo"]["percent"], results["Bo"]["passed"]) == (67.5, False)
        assert results["Ada"]["certificate"] and results["Bo"]["certificate"] is None

        [listed] = api.call("GET", "/api/courses", TEACHER).json()
        rows = {x["name"]: x for x in listed["learners"]}
        assert (rows["Ada"]["runs_done"], rows["Ada"]["read"], rows["Ada"]["best_percent"]) == (
            2,
            1,
            70,
        )
        assert (rows["Bo"]["best_percent"], rows["Bo"]["passed"]) == (67.5, False)
        assert {r["step"] for r in rows["Ada"]["runs"]} == {1, 2}
        ran = rows["Ada"]["runs"][0]["exercise"]
        debrief = api.call("GET", f"/api/exercises/{ran}/debrief", TEACHER)
        assert debrief.status_code == 200, debrief.text  # her KPIs

        sheet = api.call(
            "GET",
            f"/api/courses/{listed['id']}/results.csv",
            TEACHER,
            headers={"Accept-Language": "fi"},
        )
        assert sheet.status_code == 200
        table = list(csv.reader(io.StringIO(sheet.text.lstrip("\ufeff")), delimiter=";"))
        assert table[0][:3] == ["ID-numero", "Koko nimi", "Harjoitukset tehty"]
        assert table[1][:3] == ["S-1", "Ada", "2/2"] and table[1][5:7] == ["70", "kyllä"]
        assert table[2][1] == "Bo" and table[2][5:7] == ["67,5", "ei"]
        assert table[1][7] == results["Ada"]["certificate"]

        cert = results["Ada"]["certificate"]
        checked = api.call("GET", f"/api/certificates/{cert}").json()
        assert (checked["name"], checked["title"], checked["kind"]) == (
            "Ada",
            "Turvateknologia 1",
            "course",
        )
        assert checked["percent"] == 70
        edited = cert[:-1] + ("A" if cert[-1] != "A" else "B")
        assert api.call("GET", f"/api/certificates/{edited}").status_code == 404
        pdf = api.call("GET", f"/api/certificates/{cert}/pdf?lang=fi")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_bad_course_is_refused_in_plain_words(api: Api) -> None:
    few = api.call("POST", "/api/courses", TEACHER, json={"title": "T", "steps": STEPS})
    assert few.status_code == 422
    assert "hold 31 questions, fewer than the 40" in few.json()["detail"]
    page = {"kind": "material", "title": "x", "text": "y"}
    cases = [
        ({"title": "T", "steps": []}, "steps"),
        ({"title": "T", "steps": [page] * 21}, "steps"),
        ({"title": "", "steps": [page]}, "title"),
        ({"title": "T", "steps": [{"kind": "video", "title": "x"}]}, "kind"),
        ({"title": "T", "steps": [{**page, "text": "x" * 20_001}]}, "text"),
        (
            {
                "title": "T",
                "steps": [{"kind": "scenario", "scenario": "nope", "roles": ["relative"]}],
            },
            "no scenario",
        ),
        ({"title": "T", "steps": [{**NIGHT_FALL, "roles": []}]}, "roles"),
        ({"title": "T", "steps": [{**NIGHT_FALL, "roles": ["boss"]}]}, "roles"),
        ({"title": "T", "steps": [page], "test": {"banks": ["nope"]}}, "no question bank nope"),
        ({"title": "T", "steps": [page], "test": {"banks": ["../x"]}}, "banks"),
        ({"title": "T", "steps": [page], "test": {"questions": 41}}, "questions"),
        ({"title": "T", "steps": [page], "test": {"questions": 5, "pass_percent": 0}}, "pass"),
        ({"title": "T", "steps": [page], "closes": "2020-01-01T00:00:00Z"}, "closes must come"),
        ({"title": "T", "steps": [page], "opens": "2027-01-01T00:00:00"}, "needs a time zone"),
    ]
    for body, said in cases:
        r = api.call("POST", "/api/courses", TEACHER, json=body)
        assert r.status_code == (404 if said == "no scenario" else 422), (body, r.text)
        assert said in r.text, (said, r.text)
    assert api.call("POST", "/api/courses", json={"title": "T", "steps": [page]}).status_code == 401
    assert api.call("GET", "/api/courses").status_code == 401
    assert api.call("GET", "/api/courses/999/results.csv", TEACHER).status_code == 404


def test_what_a_learner_cannot_do_is_refused(api: Api) -> None:
    course = make(api, test={"banks": ALL_BANKS, "questions": 5})
    code = course["code"]
    ada = enrol(api, code, "Ada")
    key = {"key": ada["key"]}
    cases = [
        (f"/api/course/{code}/me", {"key": "WRONGKEY0000"}, 404, "no learner on this course"),
        ("/api/course/NOPE1234/me", key, 404, "no learner on this course"),
        (f"/api/course/{code}/steps/9/read", key, 404, "no step 9"),
        (f"/api/course/{code}/steps/1/read", key, 422, "not a page to read"),
        (f"/api/course/{code}/steps/0/run", {**key, "role": "alarm_centre"}, 422, "not a scenario"),
        (f"/api/course/{code}/steps/1/run", {**key, "role": "relative"}, 422, "not in this"),
        (f"/api/course/{code}/steps/1/run", {**key, "role": "boss"}, 422, "role"),
        (f"/api/course/{code}/test/1", {**key, "answers": {}}, 404, "no attempt 1"),
        (f"/api/course/{code}", {"name": ""}, 422, "name"),
        (f"/api/course/{code}", {"name": "A", "admin": True}, 422, "admin"),
        ("/api/course/NOPE1234", {"name": "A"}, 404, "no course has that code"),
    ]
    for path, body, status, said in cases:
        r = api.call("POST", path, json=body)
        assert r.status_code == status, (path, r.text)
        assert said in r.json()["detail"] if isinstance(r.json()["detail"], str) else said in r.text
    # her key is hers: another learner's progress and test are not reachable with it
    bo = enrol(api, code, "Bo")
    assert me(api, code, bo["key"])["name"] == "Bo"
    assert me(api, code, ada["key"])["name"] == "Ada"
    # the teacher's list and CSV are the teacher's
    assert api.call("GET", f"/api/courses/{course['id']}/results.csv").status_code == 401


def test_wrong_keys_are_limited_per_address_right_ones_are_not(api: Api) -> None:
    course = make(api, test={"banks": ALL_BANKS, "questions": 5})
    ada = enrol(api, course["code"], "Ada")
    for _ in range(30):  # a class behind one address follows its course: never a 429
        me(api, course["code"], ada["key"])
    statuses = [
        api.call(
            "POST", f"/api/course/{course['code']}/me", json={"key": f"GUESS{n:07d}"}
        ).status_code
        for n in range(25)
    ]
    assert statuses[0] == 404 and statuses[-1] == 429
