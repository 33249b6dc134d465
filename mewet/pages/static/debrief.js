// The debrief: each target over its cases (how many met, missed, not yet, not applicable, and
// the worst with its case: the headline agrees with its rows), every case with the alarms that
// joined it, the timeline oldest first with a filter per role, the charts, a slider that
// rebuilds it at an earlier moment, and exports, all in the page's language.
import {
  ApiError, api, clock, el, nameDevices, roleName, session, show, signOutButton, t,
} from "./api.js";
import { caseRows, summary } from "./kpis.js";

const exercise = document.body.dataset.exercise;
signOutButton();
if (!session()) location.href = "/";
let rows = [];

function renderTimeline() {
  // each entry as the server said it in this page's language: who, what, by whom
  const role = document.getElementById("role-filter").value;
  document.getElementById("timeline").replaceChildren(...rows
    .filter((r) => r.kind !== "sensor" && (!role || r.source === role))
    .map((r) => el("li", { class: r.kind,
      text: `${clock(r.ts)} ${r.who} – ${r.text}${r.by ? ` (${r.by_text})` : ""}` })));
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
