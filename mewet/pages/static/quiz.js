// A knowledge check on a page (a self-study run's, a course's final test): its rules, an
// attempt's questions, then the marks with what each answer chosen tells. The page says
// where the test lives: how to read its state, begin an attempt and send the answers.
import { el, show, t } from "./api.js";

export function fill(text, values) {
  return Object.entries(values).reduce((out, [k, v]) => out.replace(`{${k}}`, String(v)), text);
}

export function percent(value) {
  // a score as the page's language writes it: 67.5 / 67,5, no tenth when it is whole
  return value.toLocaleString(t.lang, { maximumFractionDigits: 1 });
}

export function quizPanel({ state, begin, answer }) {
  let attempt = null;
  const byId = (id) => document.getElementById(id);

  async function shown() {
    let q;
    try {
      q = await state();
    } catch (_) {
      return; // none here
    }
    if (!q) return;
    const r = q.rules;
    let rules = fill(t.quiz_rules, { questions: r.questions, pass: r.pass_percent,
      attempts: r.attempts });
    if (r.minutes) rules += ` · ${fill(t.quiz_minutes, { minutes: r.minutes })}`;
    byId("quiz-rules").textContent = rules;
    byId("quiz-left").textContent = fill(t.quiz_left, { left: q.left });
    byId("quiz").hidden = false;
  }

  async function started() {
    show("quiz-error", null);
    try {
      attempt = await begin();
    } catch (error) {
      show("quiz-error", error);
      return;
    }
    byId("quiz-result").replaceChildren();
    byId("quiz-questions").replaceChildren(...attempt.questions.map((q) =>
      el("li", { "data-question": q.id },
        el("fieldset", {}, el("legend", { text: q.text }),
          q.several ? el("p", { class: "muted", text: t.quiz_several }) : null,
          ...q.choices.map((c, pos) => el("label", {},
            el("input", { type: q.several ? "checkbox" : "radio", name: q.id, value: String(pos) }),
            ` ${c.text}`))))));
    byId("quiz-form").hidden = false;
    byId("quiz-begin").hidden = true;
  }

  async function sent(event) {
    event.preventDefault();
    show("quiz-error", null);
    const answers = {};
    for (const q of attempt.questions) {
      answers[q.id] = [...document.querySelectorAll(`input[name="${q.id}"]:checked`)]
        .map((i) => Number(i.value));
    }
    try {
      const marked = await answer(attempt.n, answers);
      byId("quiz-form").hidden = true;
      byId("quiz-begin").hidden = false;
      const result = [
        el("p", {}, el("strong", { text: `${fill(t.quiz_result,
          { ...marked, percent: percent(marked.percent) })} · `
          + (marked.passed ? t.quiz_passed : t.quiz_failed) })),
        el("ol", {}, ...marked.questions.map((q) => el("li", { "data-marked": q.id },
          // the verdict first: the feedback under the question may begin with the same word
          el("p", {}, el("strong", { text: q.right ? t.quiz_right : t.quiz_wrong }), `: ${q.text}`),
          ...q.feedback.map((f) => el("p", { class: "muted", text: f }))))),
      ];
      if (marked.certificate) {
        result.splice(1, 0, el("p", {}, el("a", { href: `/certificate/${marked.certificate}`,
          text: t.your_certificate })));
      }
      byId("quiz-result").replaceChildren(...result);
      await shown();
    } catch (error) {
      show("quiz-error", error);
    }
  }

  byId("quiz-begin").addEventListener("click", started);
  byId("quiz-form").addEventListener("submit", sent);
  return shown;
}
