// The debrief: KPIs against their targets, per case; the timeline with a filter per role; the
// charts; a slider that rebuilds it at an earlier moment; exports.
import {
  ApiError, api, clock, el, roleName, say, session, show, signOutButton, t,
} from "./api.js";

const exercise = document.body.dataset.exercise;
signOutButton();
if (!session()) location.href = "/";
let rows = [];
const status = (s) => (t.status && t.status[s]) || s;

function minutes(value) {
  return value === null || value === undefined ? "–" : `${value} min`;
}

function renderTimeline() {
  const role = document.getElementById("role-filter").value;
  document.getElementById("timeline").replaceChildren(...rows
    .filter((r) => r.kind !== "sensor" && (!role || r.source === role))
    .map((r) => el("li", { class: r.kind,
      text: `${clock(r.ts)} ${roleName(r.source)} – ${t.done_actions[r.what] || r.what} `
        + `${say(r.detail)} ${r.by ? `(${r.by})` : ""}` })));
}

async function load(untilMin) {
  const query = untilMin === undefined ? "" : `?until_min=${untilMin}`;
  let d;
  try {
    d = await api("GET", `/api/exercises/${exercise}/debrief${query}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      document.getElementById("closed").hidden = false;
      return null;
    }
    throw error;
  }
  document.getElementById("title").textContent = `${t.debrief}: ${d.title}`;
  document.getElementById("zone").textContent = `(${t.time_zone}, ${d.time_zone})`;
  const k = d.kpis;
  const kpis = [
    [t.kpi_answer, k.time_to_answer_max_min, k.targets.answer_min, k.status.answer],
    [t.kpi_help, k.time_to_help_max_min, k.targets.help_min, k.status.help],
    [t.kpi_lie, k.long_lie_max_min, k.targets.long_lie_min, k.status.long_lie],
  ];
  document.getElementById("kpis").replaceChildren(
    el("tr", {}, el("th", { text: t.kpis }), el("th", {}), el("th", { text: t.target }),
      el("th", {})),
    ...kpis.map(([name, value, target, s]) => el("tr", { class: s.replace(" ", "-") },
      el("td", { text: name }), el("td", { text: minutes(value) }),
      el("td", { text: minutes(target) }), el("td", { class: "status", text: status(s) }))));
  document.getElementById("cases").replaceChildren(
    el("tr", {}, ...[t.case, t.raised, t.answered, t.on_site, t.kpi_answer, t.kpi_help]
      .map((h) => el("th", { text: h }))),
    ...k.cases.map((c) => el("tr", {},
      el("td", { text: `${c.id}: ${c.event_type}` }),
      el("td", { text: clock(c.raised) }),
      el("td", { text: `${clock(c.answered)} ${c.answered_by || ""}` }),
      el("td", { text: `${clock(c.on_site)} ${c.on_site_role ? roleName(c.on_site_role) : ""}` }),
      el("td", { text: `${minutes(c.answer_min)} ${status(c.status.answer)}` }),
      el("td", { text: `${minutes(c.help_min)} ${status(c.status.help)}` }))));
  rows = d.timeline;
  const filter = document.getElementById("role-filter");
  if (filter.options.length === 1) {
    const sources = [...new Set(rows.filter((r) => r.kind !== "sensor").map((r) => r.source))];
    for (const s of sources.sort()) filter.append(el("option", { value: s, text: roleName(s) }));
  }
  renderTimeline();
  return d;
}

async function image(id, path) {
  const answer = await api("GET", path, undefined, true);
  document.getElementById(id).src = URL.createObjectURL(await answer.blob());
}

async function download(path, name) {
  const answer = await api("GET", path, undefined, true);
  const link = el("a", { href: URL.createObjectURL(await answer.blob()), download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

async function main() {
  const d = await load();
  if (!d) return;
  const slider = document.getElementById("until");
  const total = Math.ceil(d.until_s / 60);
  slider.max = String(total);
  slider.value = String(total);
  document.getElementById("until-out").textContent = clock(d.until);
  let timer = null;
  slider.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const again = await load(Number(slider.value));
      if (again) document.getElementById("until-out").textContent = clock(again.until);
    }, 300);
  });
  document.getElementById("role-filter").addEventListener("change", renderTimeline);
  document.getElementById("csv").addEventListener("click",
    () => download(`/api/exercises/${exercise}/debrief?format=csv`, "debrief.csv"));
  document.getElementById("html").addEventListener("click",
    () => download(`/api/exercises/${exercise}/debrief?format=html`, "debrief.html"));
  await image("chart-timeline", `/api/exercises/${exercise}/debrief/timeline.png`);
  await image("chart-vitals", `/api/exercises/${exercise}/debrief/vitals.png`);
}

main().catch((error) => show("status", error));
