// The teacher's exercises and the scenario library: create an exercise for a group with the
// roles open to students and its speed, then go to its console; run one again for the next
// group; or publish a scenario for self-study, and follow each learner's run.
import { api, el, heading, roleName, say, session, show, signOutButton, t } from "./api.js";
import { percent } from "./quiz.js";

signOutButton();
if (!session()) location.href = "/";

async function main() {
  const mine = await api("GET", "/api/exercises");
  document.getElementById("exercises").replaceChildren(...mine.reverse().map((ex) =>
    el("li", { class: "card", "data-exercise": ex.id },
      el("h3", { text: heading(ex) }),
      el("p", { text: `${t.code}: ${ex.join_code} · ${t.phase[ex.phase] || ex.phase}` }),
      el("p", {},
        el("a", { href: `/teach/${ex.id}`, text: t.console }), " · ",
        el("a", { href: `/debrief/${ex.id}`, text: t.debrief }), " · ",
        el("button", { type: "button", class: "link", onclick: () => again(ex) },
          t.copy_do)))));
  await showAssignments();
  const scenarios = await api("GET", "/api/scenarios");
  document.getElementById("library").replaceChildren(...scenarios.map((s) => {
    const form = el("form", { class: "create", "data-scenario": s.id });
    const roles = el("fieldset", {}, el("legend", { text: t.open_roles }),
      ...s.roles.map((role) => el("label", {},
        el("input", { type: "checkbox", name: "role", value: role,
          checked: ["alarm_centre", "home_care", "relative"].includes(role) }),
        ` ${roleName(role)} `)));
    const speedId = `speed-${s.id}`;
    const groupId = `group-${s.id}`;
    form.append(roles,
      el("label", { for: groupId, text: t.group }),
      el("input", { id: groupId, name: "group", maxlength: "60", placeholder: t.group_example }),
      el("label", { for: speedId, text: `${t.speed} ` }),
      el("input", { id: speedId, name: "speed", type: "number", min: "1", max: "3600",
        value: "60" }),
      el("button", { type: "submit", text: t.create }),
      el("label", { for: `days-${s.id}`, text: t.open_days }),
      el("input", { id: `days-${s.id}`, name: "days", type: "number", min: "1", max: "366",
        value: "30" }),
      el("label", { for: `quiz-${s.id}`, text: t.quiz_questions }),
      el("input", { id: `quiz-${s.id}`, name: "quiz", type: "number", min: "0", max: "40",
        value: "10" }),
      el("button", { type: "button", onclick: () => publish(s.id, form) },
        t.publish_study));
    form.addEventListener("submit", (event) => create(event, s.id, form));
    // whose it is, and the editor: her school's to edit, any other to copy
    const whose = s.source === "library" ? "" : s.editable ? ` · ${t.editor_ours}`
      : ` · ${say({ id: "editor_shared_by", org: s.org })}`;
    const edit = `/scenarios/edit?from=${encodeURIComponent(s.id)}`;
    return el("li", { class: "card", "data-scenario": s.id },
      el("h3", { text: s.title }),
      el("p", { text: `${s.days} ${t.days}${whose}` },
        " · ", el("a", { href: edit, text: s.editable ? t.editor_edit : t.editor_copy })),
      el("p", { text: s.description }),
      el("ul", {}, ...s.learning_goals.map((g) => el("li", { text: g }))),
      form);
  }));
}

async function create(event, scenario, form) {
  event.preventDefault();
  show("create-error", null);
  const roles = [...form.querySelectorAll("input[name=role]:checked")].map((i) => i.value);
  const speed = Number(form.querySelector("input[name=speed]").value);
  const group = form.querySelector("input[name=group]").value.trim();
  try {
    const ex = await api("POST", "/api/exercises",
      { scenario, roles, speed, ...(group ? { group } : {}) });
    location.href = `/teach/${ex.id}`;
  } catch (error) {
    show("create-error", error);
  }
}

async function showAssignments() {
  const published = await api("GET", "/api/assignments");
  if (!published.length) return;
  document.getElementById("assignments").replaceChildren(...published.map((a) =>
    el("li", { class: "card", "data-assignment": a.code },
      el("h3", { text: a.title }),
      el("p", { text: `${t.study_code}: ${a.code} · ${a.roles.map(roleName).join(", ")} · `
        + `${t.study_open_until} ${new Date(a.closes).toLocaleString(t.lang)}` }),
      el("p", {}, `${t.study_link}: `, el("a", { href: a.link, text: a.link })),
      el("p", {}, el("button", { type: "button", class: "link",
        onclick: () => download(`/api/assignments/${a.id}/results.csv`, `${a.code}-results.csv`) },
        t.results_csv)),
      el("ul", {}, ...(a.runs.length ? a.runs.map((r) => el("li", {},
        `${r.name} (${roleName(r.role)}): ${t.phase[r.phase] || r.phase}, ${r.time.slice(11, 16)}`
        + (r.best_percent === null ? "" : ` · ${t.quiz}: ${percent(r.best_percent)} % (`
          + `${r.passed ? t.quiz_passed : t.quiz_failed})`) + " · ",
        el("a", { href: r.debrief, text: t.debrief })))
        : [el("li", { text: t.no_runs })])))));
}

async function publish(scenario, form) {
  show("create-error", null);
  const roles = [...form.querySelectorAll("input[name=role]:checked")].map((i) => i.value);
  const days = Number(form.querySelector("input[name=days]").value);
  const closes = new Date(Date.now() + days * 86_400_000).toISOString();
  const questions = Number(form.querySelector("input[name=quiz]").value);
  try {
    await api("POST", "/api/assignments",
      { scenario, roles, closes, ...(questions > 0 ? { quiz: { questions } } : {}) });
    await showAssignments();
    document.getElementById("assignments").scrollIntoView();
  } catch (error) {
    show("create-error", error);
  }
}

async function download(path, name) {
  const answer = await api("GET", path, undefined, true);
  const link = el("a", { href: URL.createObjectURL(await answer.blob()), download: name });
  link.click();
  URL.revokeObjectURL(link.href);
}

async function again(ex) {
  show("create-error", null);
  try {
    const copy = await api("POST", `/api/exercises/${ex.id}/duplicate`, {});
    location.href = `/teach/${copy.id}`;
  } catch (error) {
    show("create-error", error);
  }
}

main().catch((error) => show("create-error", error));
