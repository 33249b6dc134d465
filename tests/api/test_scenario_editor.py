"""What the scenario editor asks of the API, attacked as any input is: a check that answers
each problem at its line in the asker's language, a test run bounded to a day, versions kept
per school, and limits that answer 413, 422 or 429, never a 500 or a hang."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mewet.config import Limits, MqttUrl
from tests.support.apiserver import ADMIN, COMPANY, OTHER, TEACHER, Api, create, serve
from tests.support.helpers import unique_root
from tests.support.mistakes import GOOD, MISTAKES


def check(api: Api, text: str, who: str = TEACHER, lang: str = "en") -> dict[str, object]:
    r = api.call(
        "POST", "/api/scenario-checks", who, json={"yaml": text}, headers={"Accept-Language": lang}
    )
    assert r.status_code == 200, r.text
    answer: dict[str, object] = r.json()
    return answer


def test_a_check_tells_each_mistake_at_its_line_in_the_asker_s_language(api: Api) -> None:
    good = check(api, GOOD, lang="fi")
    assert good["ok"] is True and good["problems"] == []
    preview = good["preview"]
    assert isinstance(preview, dict)
    assert preview["title"] == "Yöllinen kaatuminen, turvaranneke käytössä"
    assert preview["teacher_guide"].startswith("Pysäytä ensimmäiseen hälytykseen")
    assert preview["resident"].startswith("Astrid, 84")
    briefs = {r["role"]: r for r in preview["roles"]}
    assert briefs["relative"]["sensors"] is False
    assert briefs["alarm_centre"]["brief"].startswith("Olet turvapuhelinkeskuksen päivystäjä")
    for mistake in MISTAKES:
        for lang, words in (("en", mistake.en), ("fi", mistake.fi)):
            found = check(api, mistake.text, lang=lang)
            assert found["ok"] is False
            problems = found["problems"]
            assert isinstance(problems, list)
            at_line = [p for p in problems if p["line"] == mistake.line]
            assert any(words in f"{p['where']}: {p['problem']}" for p in at_line), problems


def test_a_check_and_a_save_say_whose_id_it_is(api: Api) -> None:
    library = check(api, GOOD.replace("id: night-fall-2", "id: night-fall"))
    assert library["ok"] is False and library["preview"] is not None
    assert library["problems"] == [
        {
            "line": 2,
            "where": "id",
            "problem": "'night-fall' is a library scenario: give yours another id, "
            "e.g. night-fall-2",
        }
    ]
    r = api.call("POST", "/api/scenarios", TEACHER, json={"yaml": GOOD})
    assert r.status_code == 201 and r.json()["version"] == 1 and r.json()["editable"]
    taken = check(api, GOOD, who=OTHER)
    assert taken["problems"][0]["problem"] == (  # type: ignore[index]
        "'night-fall-2' belongs to another school (north school): choose another id"
    )
    r = api.call("POST", "/api/scenarios", OTHER, json={"yaml": GOOD})
    assert r.status_code == 409 and "belongs to another school" in r.json()["detail"]
    # the school's own saves versions; an exercise keeps the one it ran
    ex = create(api, OTHER, scenario="night-fall-2")
    assert ex["scenario_version"] == 1
    second = GOOD.replace("seed: 3", "seed: 4")
    r = api.call("POST", "/api/scenarios", TEACHER, json={"yaml": second})
    assert r.status_code == 201 and r.json()["version"] == 2
    detail = api.call("GET", "/api/scenarios/night-fall-2", OTHER).json()
    assert [v["version"] for v in detail["versions"]] == [2, 1]
    assert detail["org"] == "north school" and detail["editable"] is False
    first = api.call("GET", "/api/scenarios/night-fall-2/versions/1", OTHER).json()
    assert "seed: 3" in first["yaml"] and first["version"] == 1
    assert api.call("GET", f"/api/exercises/{ex['id']}", OTHER).json()["scenario_version"] == 1
    again = api.call("POST", f"/api/exercises/{ex['id']}/duplicate", OTHER, json={}).json()
    assert again["scenario_version"] == 1
    assert create(api, OTHER, scenario="night-fall-2")["scenario_version"] == 2
    r = api.call("GET", "/api/scenarios/night-fall-2/versions/9", OTHER)
    assert r.status_code == 404 and "has no version 9" in r.json()["detail"]
    # not shared: another school does not see it at all, any version
    mine = GOOD.replace("id: night-fall-2", "id: north-only")
    assert (
        api.call(
            "POST", "/api/scenarios", TEACHER, json={"yaml": mine, "shared": False}
        ).status_code
        == 201
    )
    assert api.call("GET", "/api/scenarios/north-only/versions/1", OTHER).status_code == 404
    assert api.call("GET", "/api/scenarios/north-only/versions/1", ADMIN).status_code == 200


def test_a_trial_runs_the_first_day_and_no_more(api: Api) -> None:
    """A year-long scenario is test-run for its first day only, in a worker: the API answers
    others meanwhile."""
    year = GOOD.replace("days: 1\n", "days: 365\n")
    start = time.perf_counter()
    r = api.call("POST", "/api/scenario-trials", TEACHER, json={"yaml": year})
    assert r.status_code == 200, r.text
    assert time.perf_counter() - start < 30
    trial = r.json()
    assert trial["start"].startswith("2026-11-22T18:00") and trial["until"].startswith(
        "2026-11-23T18:00"
    )
    cases = trial["kpis"]["cases"]
    assert cases and cases[0]["event_type"] == "fall_detected"  # seed 3: the wristband saw it
    assert any(
        row["kind"] == "action" and row["source"] == "alarm_centre" for row in trial["timeline"]
    )
    # a broken file is not run: its problems come back as a check gives them
    r = api.call("POST", "/api/scenario-trials", TEACHER, json={"yaml": MISTAKES[0].text})
    assert r.status_code == 422 and r.json()["problems"][0]["line"] == 19


@pytest.mark.parametrize(
    ("who", "status"), [(None, 401), (COMPANY, 403)], ids=["anonymous", "company"]
)
def test_only_teachers_check_and_test_run(api: Api, who: str | None, status: int) -> None:
    for path in ("/api/scenario-checks", "/api/scenario-trials"):
        assert api.call("POST", path, who, json={"yaml": GOOD}).status_code == status


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"yaml": "x" * 300_000}, 422),  # longer than a scenario may be
        ({"yaml": GOOD, "extra": 1}, 422),
        ({"yaml": 5}, 422),
        ({"yaml": ""}, 422),
        ({}, 422),
    ],
    ids=["too long", "unknown field", "not text", "empty", "missing"],
)
def test_hostile_checks_get_a_clear_answer(api: Api, body: dict[str, object], status: int) -> None:
    for path in ("/api/scenario-checks", "/api/scenario-trials"):
        r = api.call("POST", path, TEACHER, json=body)
        assert r.status_code == status, r.text
        assert r.json()["detail"]


def test_hostile_files_are_problems_not_failures(api: Api) -> None:
    """A billion laughs, a Python tag, a file nested too deep: each a problem at its line."""
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    for text, words in (
        (bomb, "YAML aliases (*a) are not allowed here"),
        ("id: x\ntitle: !!python/name:os.system\n", "is not allowed: write plain values"),
        ("a:\n" + "".join(" " * i + "- \n" for i in range(1, 60)), "nested more than 32"),
        ("title: Y\ufffd\x00\n", "not valid YAML here"),
    ):
        found = check(api, text)
        assert found["ok"] is False
        assert any(words in p["problem"] for p in found["problems"]), found  # type: ignore[attr-defined]
    assert api.call("GET", "/api/scenarios", TEACHER).status_code == 200


def test_checks_and_trials_are_limited_per_teacher(tmp_path: Path, mqtt_url: MqttUrl) -> None:
    limits = Limits(scenario_checks_per_minute=3, trials_per_hour=1)
    with serve(tmp_path / "data", mqtt_url, unique_root(), limits=limits) as api:
        for _ in range(3):
            check(api, GOOD)
        r = api.call("POST", "/api/scenario-checks", TEACHER, json={"yaml": GOOD})
        assert r.status_code == 429 and "Retry-After" in r.headers
        assert "too many scenario checks" in r.json()["detail"]
        assert check(api, GOOD, who=OTHER)["ok"] is True  # another teacher is not held up
        assert (
            api.call("POST", "/api/scenario-trials", TEACHER, json={"yaml": GOOD}).status_code
            == 200
        )
        r = api.call("POST", "/api/scenario-trials", TEACHER, json={"yaml": GOOD})
        assert r.status_code == 429 and "too many test runs" in r.json()["detail"]
