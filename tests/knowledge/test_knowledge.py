"""The lab's question banks (every library scenario has ten questions or more, each in Finnish
and English with feedback), Moodle's GIFT both ways, and marking a test."""

from __future__ import annotations

import pytest

from mewet.knowledge.bank import Bank, Words, in_other_language, lab_banks, questions_for
from mewet.knowledge.gift import export, parse
from mewet.knowledge.quiz import (
    QuizRules,
    draw,
    help_question,
    lie_question,
    mark,
    percent,
    run_questions,
)
from mewet.scenarios.scenario import library
from mewet.texts import say


@pytest.mark.parametrize("scenario", sorted(library()))
def test_every_library_scenario_has_ten_good_questions(scenario: str) -> None:
    pool = questions_for(scenario, list(lab_banks().values()))
    assert len(pool) >= 10, scenario
    for q in pool:
        assert q.text.fi and q.text.en, q.id
        for c in q.choices:
            assert c.fi and c.en and c.feedback is not None, q.id
            assert c.feedback.fi and c.feedback.en, q.id


def test_the_banks_name_only_library_scenarios() -> None:
    known = set(library())
    for bank in lab_banks().values():
        assert bank.scenarios == "all" or set(bank.scenarios) <= known, bank.id


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_a_bank_goes_out_as_gift_and_comes_back_the_same(lang: str) -> None:
    bank = lab_banks()["falls"]
    text = export(bank, lang)
    assert text.count("::falls-") == len(bank.questions)
    back = parse(text, lang, "falls")
    assert back.problems == []
    assert [q.id for q in back.questions] == [q.id for q in bank.questions]
    for mine, theirs in zip(bank.questions, back.questions, strict=True):
        assert theirs.text.in_(lang) == " ".join(mine.text.in_(lang).split())
        assert [c.right for c in theirs.choices] == [c.right for c in mine.choices]
        assert [c.words.in_(lang) for c in theirs.choices] == [
            c.words.in_(lang) for c in mine.choices
        ]
        assert theirs.several == mine.several


def test_gift_from_moodle_with_weights_escapes_and_other_kinds() -> None:
    text = (
        "// a comment\n$CATEGORY: $course$/Kaatumiset\n\n"
        "::Q1:: Mikä on 2 \\= 2? {\n=tosi#Oikein.\n~epätosi#Ei.\n}\n\n"
        "::Lonkka:: Lonkkamurtuman merkit? {~%50%jalka lyhyempi ~%50%ei voi varata"
        " ~%-100%nälkä#Ei liity.}\n\n"
        "::TF:: Maa on litteä. {F}\n\n"
        "::Open:: Kerro omin sanoin {=vastaus =toinen}\n\n"
        "::Broken:: Ei aaltosulkeita\n"
    )
    found = parse(text, "fi", "oma")
    assert [q.id for q in found.questions] == ["q1", "lonkka"]
    q1, hip = found.questions
    assert q1.text.fi == "Mikä on 2 = 2?" and q1.choices[0].feedback is not None
    assert hip.several and [c.right for c in hip.choices] == [True, True, False]
    assert [(line, say(p, "en")) for line, p in found.problems] == [
        (
            11,
            "not a multiple-choice question (true or false, short answer, numeric and "
            "matching questions are not taken)",
        ),
        (
            13,
            "not a multiple-choice question (true or false, short answer, numeric and "
            "matching questions are not taken)",
        ),
        (15, "no answers between the braces"),
    ]


@pytest.mark.parametrize(
    "text",
    ["", "{", "::open title {=a ~b}", "{}" * 1000, "\\" * 500, "::t:: q {=a ~b", "q {=\n~}"],
)
def test_hostile_gift_is_said_not_crashed(text: str) -> None:
    found = parse(text, "en", "x")
    assert all(say(p, "en") for _, p in found.problems)


def test_a_test_is_marked_question_by_question() -> None:
    pool = questions_for("night-fall", list(lab_banks().values()))
    rules = QuizRules(questions=4)
    asked = draw(pool, rules.questions, seed=7)
    assert len(asked) == 4 and len({d.id for d in asked}) == 4
    by_id = {q.id: q for q in pool}
    right = {
        d.id: [pos for pos, i in enumerate(d.order) if by_id[d.id].choices[i].right] for d in asked
    }
    all_right = mark(asked, by_id, right)
    assert percent(all_right) == 100
    # one answer short on a question with several right ones is wrong; nothing sent is wrong
    half = {d.id: right[d.id][:1] for d in asked[:2]}
    marked = mark(asked, by_id, half)
    expect = sum(len(right[d.id]) == 1 for d in asked[:2]) * 100 // 4
    assert percent(marked) == expect
    assert percent(mark(asked, by_id, {d.id: [99, -1] for d in asked})) == 0


def test_a_bank_with_a_question_without_a_right_answer_is_refused() -> None:
    with pytest.raises(ValueError, match="no answer is marked right"):
        Bank.model_validate(
            {
                "id": "x",
                "title": {"en": "X"},
                "questions": [
                    {"id": "x-1", "text": {"en": "?"}, "choices": [{"en": "a"}, {"en": "b"}]}
                ],
            }
        )


@pytest.mark.parametrize(
    ("minutes", "right"),
    [(5, "under 15 min"), (15, "15-30 min"), (59.9, "30-60 min"), (60, "over an hour")],
)
def test_the_question_about_her_run_marks_the_bin_of_its_truth(minutes: float, right: str) -> None:
    q = help_question(minutes)
    assert [c.en for c in q.choices if c.right] == [right]
    assert all(c.feedback and f"{minutes:.0f} min" in c.feedback.en for c in q.choices)


def test_the_floor_question_marks_the_bin_of_her_lie_and_says_a_long_one_harms() -> None:
    q = lie_question(72.4)
    assert [c.en for c in q.choices if c.right] == ["over an hour"]
    assert q.choices[0].feedback is not None
    assert "she lay on the floor for 72 min" in q.choices[0].feedback.en
    assert "makasi lattialla 72 min" in (q.choices[0].feedback.fi or "")


def test_her_run_asks_only_what_it_measured() -> None:
    """Help that never came asks nothing of it; a fall she was still down from at the end
    asks nothing of when she was helped up."""
    case = {"help_min": 12.0}
    fall = {"lie_min": 40.0, "ended": "03:50"}
    down = {"lie_min": 90.0, "ended": None}
    both = run_questions({"cases": [case], "falls": [fall]})
    assert [q.id for q in both] == ["your-run-help", "your-run-lie"]
    assert [c.en for c in both[1].choices if c.right] == ["30-60 min"]
    assert run_questions({"cases": [{"help_min": None}], "falls": [down]}) == ()


def test_a_question_whose_answers_differ_is_not_taken_for_a_translation() -> None:
    def bank(lang: str, right: list[bool], text: str) -> Bank:
        choices = [{lang: f"{text} {i}", "right": r} for i, r in enumerate(right)]
        return Bank.model_validate(
            {
                "id": "omat",
                "title": {lang: text},
                "questions": [{"id": "q", "text": {lang: text}, "choices": choices}],
            }
        )

    kept = bank("fi", [True, False], "Kysymys")
    same = in_other_language(kept, bank("en", [True, False], "Question"), "en")
    assert same is not None
    merged, translated = same
    assert translated == 1 and merged.questions[0].text == Words(en="Question", fi="Kysymys")
    other = in_other_language(kept, bank("en", [False, True], "Question"), "en")
    assert other is not None
    apart, none = other
    assert none == 0 and [q.id for q in apart.questions] == ["q", "q-en"]
    assert in_other_language(kept, bank("fi", [True, False], "Uusi"), "fi") is None
