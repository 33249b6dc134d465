"""Knowledge checks over the real API: the banks out as GIFT and a school's in from GIFT;
a learner's test on her self-study run, drawn, answered and marked with feedback, against the
pass mark and the attempts; the teacher sees the best score. Bad requests get clear answers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mewet.knowledge.bank import lab_banks
from tests.api.test_study import begin, publish
from tests.support.apiserver import TEACHER, Api

MOODLE = (
    "$CATEGORY: $course$/Kaatumiset\n\n"
    "::yolla:: Missä kaatumisia sattuu yöllä eniten? {=sängyn ja vessan välillä#Oikein."
    " ~keittiössä#Harvemmin.}\n\n"
    "::tosi:: Ranneke auttaa vain ranteessa. {T}\n"
)


def test_a_bank_goes_out_as_gift_and_a_school_s_comes_in(api: Api) -> None:
    listed = api.call("GET", "/api/knowledge/banks", TEACHER, headers={"Accept-Language": "fi"})
    assert listed.status_code == 200
    falls = next(b for b in listed.json() if b["id"] == "falls")
    assert (falls["title"], falls["source"], falls["questions"]) == ("Kaatumiset", "lab", 6)
    out = api.call("GET", "/api/knowledge/banks/falls/gift", TEACHER, params={"lang": "fi"})
    assert out.status_code == 200 and out.headers["content-type"].startswith("text/plain")
    assert 'filename="falls-fi.gift.txt"' in out.headers["content-disposition"]
    assert "::falls-1:: Löydät asukkaan lattialta" in out.text

    body = {
        "id": "omat",
        "title": "Omat kysymykset",
        "lang": "fi",
        "gift": MOODLE,
        "scenarios": ["night-fall"],
    }
    r = api.call("POST", "/api/knowledge/banks", TEACHER, json=body)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["questions"] == 1 and got["problems"][0]["line"] == 5
    assert "not a multiple-choice question" in got["problems"][0]["problem"]
    mine = [
        b
        for b in api.call("GET", "/api/knowledge/banks", TEACHER).json()
        if b["source"] == "school"
    ]
    assert [(b["id"], b["questions"], b["scenarios"]) for b in mine] == [
        ("omat", 1, ["night-fall"])
    ]
    back = api.call("GET", "/api/knowledge/banks/omat/gift", TEACHER, params={"lang": "fi"})
    assert "::yolla:: Missä kaatumisia sattuu yöllä eniten?" in back.text


ENGLISH = (
    "::yolla:: Where do most falls at night happen? {=between the bed and the toilet#Right."
    " ~in the kitchen#Less often.}\n\n"
    "::uusi:: Who answers a safety phone alarm? {=the alarm centre ~the neighbour}\n"
)


def test_a_school_s_bank_given_in_its_other_language_becomes_bilingual(api: Api) -> None:
    """The same bank, exported from Moodle in English too: the question of the same title
    and answers gets its English words (Finnish pages keep theirs), one new question is
    added as it came; the lab sends both languages back out."""
    body = {"id": "omat", "title": "Omat", "lang": "fi", "gift": MOODLE}
    assert api.call("POST", "/api/knowledge/banks", TEACHER, json=body).status_code == 201
    english = {"id": "omat", "title": "Our own", "lang": "en", "gift": ENGLISH}
    r = api.call("POST", "/api/knowledge/banks", TEACHER, json=english)
    assert r.status_code == 201, r.text
    assert (r.json()["questions"], r.json()["translated"]) == (2, 1)
    fi = api.call("GET", "/api/knowledge/banks/omat/gift", TEACHER, params={"lang": "fi"}).text
    en = api.call("GET", "/api/knowledge/banks/omat/gift", TEACHER, params={"lang": "en"}).text
    assert "::yolla:: Missä kaatumisia sattuu yöllä eniten?" in fi
    assert "::yolla:: Where do most falls at night happen?" in en
    assert "=between the bed and the toilet#Right." in en and "#Oikein." in fi
    assert "::uusi:: Who answers" in en
    titles = {
        b["id"]: b["title"]
        for b in api.call(
            "GET", "/api/knowledge/banks", TEACHER, headers={"Accept-Language": "fi"}
        ).json()
    }
    assert titles["omat"] == "Omat"
    # the same language again replaces the bank, as before
    again = api.call("POST", "/api/knowledge/banks", TEACHER, json=body).json()
    assert (again["questions"], again["translated"]) == (1, 0)


def test_a_bad_bank_is_refused_in_plain_words(api: Api) -> None:
    base = {"id": "omat", "title": "Omat", "lang": "fi"}
    cases = [
        ({**base, "id": "falls", "gift": MOODLE}, 409, "one of the lab's own banks"),
        ({**base, "gift": "::a:: kysymys {T}"}, 422, "no multiple-choice question"),
        ({**base, "gift": "x", "lang": "sv"}, 422, "lang"),
        ({**base, "id": "../etc", "gift": MOODLE}, 422, "id"),
        ({**base, "gift": ""}, 422, "gift"),
    ]
    for body, status, said in cases:
        r = api.call("POST", "/api/knowledge/banks", TEACHER, json=body)
        assert r.status_code == status, (body, r.text)
        assert said in r.text, r.text
    huge = api.call("POST", "/api/knowledge/banks", TEACHER, json={**base, "gift": "x" * 600_000})
    assert huge.status_code == 413
    assert api.call("GET", "/api/knowledge/banks/nope/gift", TEACHER).status_code == 404
    assert api.call("GET", "/api/knowledge/banks").status_code == 401


def _right(asked: dict[str, Any]) -> dict[str, list[int]]:
    """The right answers of an attempt, by the texts shown (the API marks none)."""
    bank = {q.id: q for b in lab_banks().values() for q in b.questions}
    out = {}
    for q in asked["questions"]:
        rights = {c.en for c in bank[q["id"]].choices if c.right}
        out[q["id"]] = [i for i, c in enumerate(q["choices"]) if c["text"] in rights]
    return out


def test_a_learner_takes_the_knowledge_check_of_her_run(api: Api) -> None:
    quiz = {"questions": 5, "pass_percent": 60, "attempts": 2, "minutes": 20}
    a = publish(api, quiz=quiz)
    assert a["quiz"] == quiz
    run = begin(api, a["code"])
    me, ex = run["access_token"], run["exercise"]
    seen = api.call("GET", f"/api/exercises/{ex}/quiz", me).json()
    assert seen["rules"] == quiz and seen["left"] == 2 and seen["attempts"] == []
    asked = api.call("POST", f"/api/exercises/{ex}/quiz", me).json()
    assert asked["n"] == 1 and len(asked["questions"]) == 5
    assert "right" not in str(asked["questions"])  # nothing tells the answer
    started, deadline = (datetime.fromisoformat(asked[k]) for k in ("started", "deadline"))
    assert deadline - started == timedelta(minutes=20)
    again = api.call("POST", f"/api/exercises/{ex}/quiz", me).json()
    assert again["n"] == 1 and again["questions"] == asked["questions"]  # a reload goes on

    marked = api.call(
        "POST", f"/api/exercises/{ex}/quiz/1", me, json={"answers": _right(asked)}
    ).json()
    assert (marked["right"], marked["of"], marked["percent"], marked["passed"]) == (5, 5, 100, True)
    assert all(q["right"] and q["feedback"] for q in marked["questions"])
    twice = api.call("POST", f"/api/exercises/{ex}/quiz/1", me, json={"answers": {}})
    assert twice.status_code == 409 and "answered already" in twice.json()["detail"]

    second = api.call("POST", f"/api/exercises/{ex}/quiz", me).json()
    nothing = api.call("POST", f"/api/exercises/{ex}/quiz/{second['n']}", me, json={"answers": {}})
    assert nothing.json()["percent"] == 0 and nothing.json()["passed"] is False
    over = api.call("POST", f"/api/exercises/{ex}/quiz", me)
    assert over.status_code == 409 and "all 2 attempts are used" in over.json()["detail"]

    [listed] = [
        x for x in api.call("GET", "/api/assignments", TEACHER).json() if x["id"] == a["id"]
    ]
    [row] = listed["runs"]
    assert (row["attempts"], row["best_percent"], row["passed"]) == (2, 100, True)
    teacher = api.call("POST", f"/api/exercises/{ex}/quiz", TEACHER)
    assert teacher.status_code == 403


def test_a_run_without_a_knowledge_check_has_none(api: Api) -> None:
    run = begin(api, publish(api)["code"])
    r = api.call("GET", f"/api/exercises/{run['exercise']}/quiz", run["access_token"])
    assert r.status_code == 404 and "no knowledge check" in r.json()["detail"]


def test_bad_quiz_rules_and_answers_are_refused(api: Api) -> None:
    for quiz in (
        {"questions": 0},
        {"questions": 41},
        {"pass_percent": 0},
        {"attempts": 11},
        {"minutes": -1},
        {"questions": "many"},
    ):
        r = api.call(
            "POST",
            "/api/assignments",
            TEACHER,
            json={"scenario": "night-fall", "roles": ["alarm_centre"], "quiz": quiz},
        )
        assert r.status_code == 422, (quiz, r.text)
    run = begin(api, publish(api, quiz={"questions": 3})["code"])
    me, ex = run["access_token"], run["exercise"]
    asked = api.call("POST", f"/api/exercises/{ex}/quiz", me).json()
    for answers in (
        {"x": "y"},
        {asked["questions"][0]["id"]: ["a"]},
        {str(i): [0] for i in range(50)},
    ):
        r = api.call("POST", f"/api/exercises/{ex}/quiz/1", me, json={"answers": answers})
        assert r.status_code == 422, r.text
    assert (
        api.call("POST", f"/api/exercises/{ex}/quiz/9", me, json={"answers": {}}).status_code == 404
    )


def _passed(api: Api, name: str = "Ada", id_number: str = "") -> dict[str, Any]:
    """A learner who passed her run's knowledge check: her run and her marked attempt."""
    a = publish(api, quiz={"questions": 3})
    run = begin(api, a["code"], name=name, **({"id_number": id_number} if id_number else {}))
    me, ex = run["access_token"], run["exercise"]
    asked = api.call("POST", f"/api/exercises/{ex}/quiz", me).json()
    marked = api.call(
        "POST", f"/api/exercises/{ex}/quiz/1", me, json={"answers": _right(asked)}
    ).json()
    return {"assignment": a, "run": run, "marked": marked}


def test_a_pass_gives_a_certificate_anyone_with_its_code_can_check(api: Api) -> None:
    got = _passed(api)
    code = got["marked"]["certificate"]
    assert got["marked"]["passed"] is True and len(code) == 12
    seen = api.call("GET", f"/api/certificates/{code.lower()}").json()
    assert (seen["name"], seen["title"], seen["percent"]) == (
        "Ada",
        "Night-time fall, wristband worn",
        100,
    )
    pdf = api.call("GET", f"/api/certificates/{code}/pdf", params={"lang": "fi"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert (
        pdf.content.startswith(b"%PDF")
        and f"todistus-{code}.pdf" in pdf.headers["content-disposition"]
    )
    wrong = api.call("GET", "/api/certificates/NOTACODE0000")
    assert wrong.status_code == 404 and "no certificate has that code" in wrong.json()["detail"]
    assert (
        api.call("GET", f"/api/certificates/{code}/pdf", params={"lang": "sv"}).status_code == 422
    )


def test_the_results_go_to_a_gradebook_as_csv(api: Api) -> None:
    got = _passed(api, id_number="s123")
    a = got["assignment"]
    begin(api, a["code"], name="=HYPERLINK(1)")  # began, and never took the test
    r = api.call("GET", f"/api/assignments/{a['id']}/results.csv", TEACHER)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.lstrip("\ufeff").splitlines()
    title = '"Night-time fall, wristband worn (%)"'
    assert lines[0] == f"ID number,Full name,Role,Attempts,{title},Passed,Certificate"
    assert lines[1] == f"s123,Ada,Alarm centre,1,100,yes,{got['marked']['certificate']}"
    assert lines[2] == ",'=HYPERLINK(1),Alarm centre,0,,no,"  # never run as a formula
    fi = api.call(
        "GET",
        f"/api/assignments/{a['id']}/results.csv",
        TEACHER,
        headers={"Accept-Language": "fi"},
    )
    assert fi.text.lstrip("\ufeff").startswith("ID-numero;Koko nimi;Rooli;Yritykset;")
    assert (
        api.call("GET", f"/api/assignments/{a['id']}/results.csv", "other@south").status_code == 404
    )


def test_a_question_asks_about_her_own_run_and_is_marked_from_its_truth(api: Api) -> None:
    """Her run has ended after the night's fall: questions ask how long help took to come
    and how long she lay on the floor, and the right answers are what her run's debrief
    measured."""
    a = publish(api, roles=["relative"], quiz={"questions": 4})
    run = begin(api, a["code"], role="relative")
    me, ex = run["access_token"], run["exercise"]
    for control, args in (("start", {}), ("step", {"minutes": 600}), ("end", {})):
        r = api.call(
            "POST", f"/api/exercises/{ex}/control", me, json={"control": control, "args": args}
        )
        assert r.status_code == 200, r.text
    kpis = api.call("GET", f"/api/exercises/{ex}/debrief", me).json()["kpis"]
    helped = next(c["help_min"] for c in kpis["cases"] if c["help_min"] is not None)
    asked = api.call("POST", f"/api/exercises/{ex}/quiz", me).json()
    assert len(asked["questions"]) == 4
    lay = next(f["lie_min"] for f in kpis["falls"] if f["ended"] is not None)
    own = {q["id"]: q for q in asked["questions"] if q["id"].startswith("your-run-")}
    assert own.keys() == {"your-run-help", "your-run-lie"}
    bins = {"under 15 min": (0, 15), "15-30 min": (15, 30), "30-60 min": (30, 60)}

    def right_bin(q: dict[str, Any], minutes: float) -> int:
        return next(
            i
            for i, c in enumerate(q["choices"])
            if ((low_high := bins.get(c["text"])) is None and minutes >= 60)
            or (low_high is not None and low_high[0] <= minutes < low_high[1])
        )

    sheet = {
        "your-run-help": [right_bin(own["your-run-help"], helped)],
        "your-run-lie": [right_bin(own["your-run-lie"], lay)],
    }
    marked = api.call("POST", f"/api/exercises/{ex}/quiz/1", me, json={"answers": sheet}).json()
    mine = {q["id"]: q for q in marked["questions"] if q["id"].startswith("your-run-")}
    assert mine["your-run-help"]["right"] and mine["your-run-lie"]["right"]
    assert (
        f"help reached her {helped:.0f} min after the first alarm"
        in (mine["your-run-help"]["feedback"][0])
    )
    assert f"she lay on the floor for {lay:.0f} min" in mine["your-run-lie"]["feedback"][0]
