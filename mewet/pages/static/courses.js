// The teacher's courses: put one together (scenarios to run alone, pages to read, a final
// test from question banks), open it for a period, and follow each learner's progress: runs
// done with their debriefs, pages read, test attempts and the best score; results as CSV.
import { api, el, roleName, session, show, signOutButton, t } from "./api.js";
import { fill, percent } from "./quiz.js";

signOutButton();
if (!session()) location.href = "/";

const steps = [];
let scenarios = [];

function drawPlan() {
  const list = document.getElementById("plan");
  if (!steps.length) {
    list.replaceChildren(el("li", { class: "muted", text: t.course_no_steps }));
    return;
  }
  list.replaceChildren(...steps.map((s, n) => {
    const remove = el("button", { type: "button", class: "link" }, t.course_remove);
    remove.addEventListener("click", () => {
      steps.splice(n, 1);
      drawPlan();
    });
    const what = s.kind === "material" ? `${t.course_material}: ${s.title}`
      : `${t.scenario}: ${scenarios.find((x) => x.id === s.scenario)?.title || s.scenario} `
        + `(${s.roles.map(roleName).join(", ")})`;
    return el("li", { "data-kind": s.kind }, `${what} `, remove);
  }));
}

function drawRoles() {
  const s = scenarios.find((x) => x.id === document.getElementById("add-scenario").value);
  document.getElementById("add-roles").replaceChildren(el("fieldset", {},
    el("legend", { text: t.open_roles }),
    ...(s ? s.roles : []).map((role) => el("label", {},
      el("input", { type: "checkbox", name: "add-role", value: role,
        checked: role === "alarm_centre" }), ` ${roleName(role)} `))));
}

document.getElementById("add-scenario-button").addEventListener("click", () => {
  show("course-error", null);
  const roles = [...document.querySelectorAll("input[name=add-role]:checked")]
    .map((i) => i.value);
  steps.push({ kind: "scenario", scenario: document.getElementById("add-scenario").value,
    roles });
  drawPlan();
});

document.getElementById("add-material-button").addEventListener("click", () => {
  show("course-error", null);
  const title = document.getElementById("material-title");
  const text = document.getElementById("material-text");
  steps.push({ kind: "material", title: title.value.trim(), text: text.value.trim() });
  title.value = "";
  text.value = "";
  drawPlan();
});

document.getElementById("course-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  show("course-error", null);
  const number = (id) => Number(document.getElementById(id).value);
  const closes = new Date(Date.now() + number("course-days") * 86_400_000).toISOString();
  const banks = [...document.querySelectorAll("input[name=bank]:checked")].map((i) => i.value);
  try {
    await api("POST", "/api/courses", {
      title: document.getElementById("course-title").value.trim(),
      steps,
      closes,
      test: { questions: number("test-questions"), pass_percent: number("test-pass"),
        attempts: number("test-attempts"), minutes: number("test-minutes"), banks },
    });
    steps.length = 0;
    drawPlan();
    document.getElementById("course-title").value = "";
    await drawCourses();
    document.getElementById("courses").scrollIntoView();
  } catch (error) {
    show("course-error", error);
  }
});

function learner(c, l) {
  let line = `${l.name}${l.id_number ? ` (${l.id_number})` : ""}: `
    + fill(t.course_learner_line, { runs: l.runs_done, of: c.scenarios, read: l.read,
      pages: c.steps.length - c.scenarios, attempts: l.attempts });
  if (l.best_percent !== null) {
    line += ` · ${t.course_test}: ${percent(l.best_percent)} % `
      + `(${l.passed ? t.quiz_passed : t.quiz_failed})`;
  }
  return el("li", { "data-learner": l.name }, line,
    ...l.runs.map((r) => el("span", {}, " · ",
      el("a", { href: r.debrief, text: `${t.debrief}: ${c.steps[r.step].title}` }))),
    l.certificate ? el("span", {}, " · ",
      el("a", { href: `/certificate/${l.certificate}`, text: t.certificate })) : "");
}

async function download(path, name) {
  const answer = await api("GET", path, undefined, true);
  const link = el("a", { href: URL.createObjectURL(await answer.blob()), download: name });
  link.click();
  URL.revokeObjectURL(link.href);
}

async function drawCourses() {
  const mine = await api("GET", "/api/courses");
  if (!mine.length) return;
  document.getElementById("courses").replaceChildren(...mine.map((c) =>
    el("li", { class: "card", "data-course": c.code },
      el("h2", { text: c.title }),
      el("p", { text: `${t.course_code}: ${c.code} · `
        + `${t.study_open_until} ${new Date(c.closes).toLocaleString(t.lang)}` }),
      el("p", {}, `${t.study_link}: `, el("a", { href: c.link, text: c.link })),
      el("p", { text: c.steps.map((s, n) => `${n + 1}. ${s.title}`).join(" · ") }),
      el("p", { text: fill(t.quiz_rules, { questions: c.test.questions,
        pass: c.test.pass_percent, attempts: c.test.attempts }) }),
      el("p", {}, el("button", { type: "button", class: "link",
        onclick: () => download(`/api/courses/${c.id}/results.csv`, `${c.code}-results.csv`) },
      t.results_csv)),
      el("ul", { class: "learners" }, ...(c.learners.length
        ? c.learners.map((l) => learner(c, l)) : [el("li", { text: t.course_no_learners })])))));
}

async function main() {
  scenarios = await api("GET", "/api/scenarios");
  const pick = document.getElementById("add-scenario");
  pick.replaceChildren(...scenarios.map((s) => el("option", { value: s.id, text: s.title })));
  pick.addEventListener("change", drawRoles);
  drawRoles();
  const banks = await api("GET", "/api/knowledge/banks");
  document.getElementById("banks").replaceChildren(...banks.map((b) => el("label", {},
    el("input", { type: "checkbox", name: "bank", value: b.id, checked: true }),
    ` ${b.title} (${fill(t.course_bank_questions, { n: b.questions })}) `)));
  await drawCourses();
}

main().catch((error) => show("course-error", error));
