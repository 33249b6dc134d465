// The debrief: each target over its cases (how many met, missed, not yet, not applicable, and
// the worst with its case: the headline agrees with its rows), every case with the alarms that
// joined it, the timeline oldest first with a filter per role, the charts, a slider that
// rebuilds it at an earlier moment, and exports, all in the page's language.
import {
  ApiError, api, byName, clock, el, nameDevices, number, roleName, say, session, show,
  signOutButton, t,
} from "./api.js";

const exercise = document.body.dataset.exercise;
signOutButton();
if (!session()) location.href = "/";
let rows = [];
const status = (s) => (t.status && t.status[s]) || s;

function minutes(value) {
  return value === null || value === undefined ? "–" : `${number(value)} min`;
}

function renderTimeline() {
  // each entry as the server said it in this page's language: who, what, by whom
  const role = document.getElementById("role-filter").value;
  document.getElementById("timeline").replaceChildren(...rows
    .filter((r) => r.kind !== "sensor" && (!role || r.source === role))
    .map((r) => el("li", { class: r.kind,
      text: `${clock(r.ts)} ${r.who} – ${r.text}${r.by ? ` (${r.by_text})` : ""}` })));
}

function worst(row) {
  // as mewet.scenarios.care.kpis.worst_said says it
  const w = row.worst;
  if (!w) return say({ id: "kpi_no_worst" });
  if (row.target_min === null) return say({ id: "kpi_worst_case_plain", case: w.case });
  const kind = ["fall", "visit", "case"].find((k) => k in w);
  return say({ id: `kpi_worst_${kind}`, case: w.case, fall: w.fall, visit: w.visit,
    value: w.value_min, measured: w.value_min !== null && w.value_min !== undefined });
}

function summary(k) {
  const names = { answer: t.kpi_answer, help: t.kpi_help, long_lie: t.kpi_long_lie,
    find: t.kpi_find, escalation: t.kpi_escalation, documentation: t.kpi_documentation,
    closure: t.kpi_closure, punctuality: t.kpi_punctuality };
  return [
    el("tr", {}, ...[t.kpi, t.kpi_cases, t.kpi_worst, t.target, t.kpi_status]
      .map((h) => el("th", { scope: "col", text: h }))),
    ...Object.entries(k.summary).map(([target, row]) => el("tr",
      { class: row.status.replace(" ", "-"), "data-target": target },
      el("th", { scope: "row", text: names[target] }),
      el("td", { text: say({ id: "kpi_tally", met: row.met, missed: row.missed,
        waiting: row["not yet"], na: row["not applicable"] }) }),
      el("td", { class: "worst", text: worst(row) }),
      el("td", { text: minutes(row.target_min) }),
      el("td", { class: "status", text: status(row.status) }))),
  ];
}

function caseRows(k) {
  return [
    el("tr", {}, ...[t.case, t.raised, t.answered, t.on_site, t.kpi_answer, t.kpi_help]
      .map((h) => el("th", { scope: "col", text: h }))),
    ...k.cases.map((c) => el("tr", { "data-case": c.id },
      el("td", {}, `${c.id}: ${say({ id: "case_alarm", event_type: c.event_type,
        device: c.device })}`, ...c.joined.map((j) => el("small", { class: "joined",
        text: say({ id: "case_joined", ...j }) })),
        ...(c.closed_early ? [el("small", { class: "closed-early", text: t.closed_early_mark })]
          : [])),
      el("td", { text: clock(c.raised) }),
      el("td", { text: `${clock(c.answered)} ${c.answered_by ? byName(c.answered_by) : ""}` }),
      el("td", { text: `${clock(c.on_site)} ${c.on_site_role ? roleName(c.on_site_role) : ""}` }),
      el("td", { text: `${minutes(c.answer_min)} ${status(c.status.answer)}` }),
      el("td", { text: `${minutes(c.help_min)} ${status(c.status.help)}` }))),
  ];
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
  nameDevices(d.devices);
  document.getElementById("title").textContent = `${t.debrief}: ${d.title}`;
  document.title = `${t.debrief}: ${d.title} – ${t.app}`;
  document.getElementById("zone").textContent = `(${t.time_zone}, ${d.time_zone})`;
  document.getElementById("kpis").replaceChildren(...summary(d.kpis));
  document.getElementById("cases").replaceChildren(...caseRows(d.kpis));
  rows = d.timeline;
  const filter = document.getElementById("role-filter");
  if (filter.options.length === 1) {
    const sources = [...new Set(rows.filter((r) => r.kind !== "sensor" && r.kind !== "alarm")
      .map((r) => r.source))];
    for (const s of sources.sort()) {
      filter.append(el("option", { value: s, text: s === "teacher" ? t.teacher : roleName(s) }));
    }
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
    () => download(`/api/exercises/${exercise}/debrief?format=csv`, `${t.file_debrief}.csv`));
  document.getElementById("html").addEventListener("click",
    () => download(`/api/exercises/${exercise}/debrief?format=html`, `${t.file_debrief}.html`));
  await image("chart-timeline", `/api/exercises/${exercise}/debrief/timeline.png`);
  await image("chart-vitals", `/api/exercises/${exercise}/debrief/vitals.png`);
}

main().catch((error) => show("status", error));
