// A student's view: the briefing, the home live (unless the role sees no sensors), the alarm
// queue for the alarm centre, the role's actions as buttons (with the reason when one is
// refused), notes, and the timeline.
import {
  api, clock, drawPlan, el, live, paintDevice, roleName, say, session, show, signOutButton, t,
  timelineItem,
} from "./api.js";

const exercise = document.body.dataset.exercise;
const who = session();
signOutButton();
if (!who || String(who.exercise) !== exercise) location.href = `/join`;

const cases = new Map();
let plan = null;
let selectedCase = null;

function renderAlarms() {
  const list = document.getElementById("alarms");
  const open = [...cases.values()].filter((c) => !c.closed).sort((a, b) => b.id - a.id);
  if (!open.length) {
    list.replaceChildren(el("li", { text: t.no_alarms }));
    return;
  }
  if (!open.some((c) => c.id === selectedCase)) selectedCase = open[0].id;
  list.replaceChildren(...open.map((c) => el("li", { class: "alarm" },
    el("label", {},
      el("input", { type: "radio", name: "case", value: c.id, checked: c.id === selectedCase,
        onchange: () => { selectedCase = c.id; } }),
      ` ${t.case} ${c.id}: ${c.event_type} (${c.device}) ${clock(c.time || "")}`,
      c.answered ? ` – ${t.answered}` : "",
    ))));
}

function args(action) {
  const out = {};
  if (who.role === "alarm_centre" && selectedCase !== null) out.case = selectedCase;
  const urgency = document.getElementById("urgency");
  if (urgency && /paramedics/.test(action)) out.urgency = urgency.value;
  const falseAlarm = document.getElementById("false-alarm");
  if (falseAlarm && action === "close") out.false_alarm = falseAlarm.checked;
  const text = document.getElementById("action-text");
  if (text && action === "document") out.text = text.value;
  return out;
}

async function act(action) {
  show("action-error", null);
  document.getElementById("action-result").textContent = "";
  try {
    const done = await api("POST", `/api/exercises/${exercise}/actions`,
      { action, args: args(action) });
    document.getElementById("action-result").textContent = `${t.done}: ${say(done.result)}`;
  } catch (error) {
    // the reason in plain words, next to the buttons: "still on the way: about 12 min to go"
    show("action-error", Object.assign(error, { message: `${t.refused}: ${say(error.message)}` }));
  }
}

function renderActions(briefing) {
  const extra = [];
  const names = briefing.actions.map((a) => a.name);
  if (names.some((n) => /paramedics/.test(n))) {
    extra.push(el("label", { for: "urgency", text: `${t.urgency} ` }),
      el("select", { id: "urgency" }, ...["A", "B", "C", "D"].map((u) =>
        el("option", { value: u, selected: u === "B", text: u }))));
  }
  if (names.includes("close")) {
    extra.push(el("label", {}, el("input", { type: "checkbox", id: "false-alarm" }),
      ` ${t.false_alarm}`));
  }
  if (names.includes("document")) {
    extra.push(el("label", { for: "action-text", text: t.text }),
      el("textarea", { id: "action-text", rows: "2", maxlength: "1000" }));
  }
  document.getElementById("action-args").replaceChildren(...extra);
  document.getElementById("actions").replaceChildren(...briefing.actions.map((a) =>
    el("button", { type: "button", "data-action": a.name, title: a.description,
      onclick: () => act(a.name) }, a.label)));
}

function frame(f) {
  if (f.type === "snapshot") {
    document.getElementById("clock").textContent =
      `${clock(f.clock.time)} · ${t.phase[f.clock.phase] || f.clock.phase}`;
    for (const c of f.cases) cases.set(c.id, c);
    renderAlarms();
    const timeline = document.getElementById("timeline");
    timeline.replaceChildren(...[...f.actions, ...f.notes]
      .sort((a, b) => (a.ts < b.ts ? -1 : 1)).map(timelineItem));
    for (const [device, view] of Object.entries(f.home)) paintDevice(plan, device, view);
    return;
  }
  if (f.type === "clock") {
    document.getElementById("clock").textContent =
      `${clock(f.time)} · ${t.phase[f.phase] || f.phase}`;
  } else if (f.type === "alarm") {
    cases.set(f.id, f);
    renderAlarms();
  } else if (f.type === "action" || f.type === "note") {
    document.getElementById("timeline").prepend(timelineItem(f));
    const m = /^case (\d+)/.exec(f.detail || "");
    if (m && cases.has(Number(m[1]))) {
      const c = cases.get(Number(m[1]));
      if (f.action === "answered") c.answered = true;
      if (f.action === "closed") c.closed = true;
      renderAlarms();
    }
  } else if (f.type === "message" && f.kind === "state") {
    paintDevice(plan, f.device, { state: f.payload, status: "online" });
  } else if (f.type === "message" && f.kind === "event") {
    paintDevice(plan, f.device, { state: {}, status: "online" }, true);
  } else if (f.type === "message" && f.kind === "telemetry" && f.device === "vitals") {
    addVitals(f.payload);
    drawTrends();
  }
}

// the vitals monitor's channels, each with its last readings for the trend
const VITALS = { heart_rate: "/min", spo2: "%", skin_temp: "°C" };
const TREND_POINTS = 120;
const trends = Object.fromEntries(Object.keys(VITALS).map((k) => [k, []]));

function addVitals(payload) {
  const d = (payload && payload.data) || {};
  for (const k of Object.keys(VITALS)) {
    if (!(k in d)) continue;
    trends[k].push(d[k]);
    if (trends[k].length > TREND_POINTS) trends[k].shift();
  }
}

function sparkline(values) {
  const w = 160, h = 32, low = Math.min(...values), high = Math.max(...values);
  const span = high - low || 1;
  const points = values.map((v, i) =>
    `${(i * w / Math.max(1, values.length - 1)).toFixed(1)},${(h - 2 - (v - low) * (h - 4) / span).toFixed(1)}`);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.setAttribute("width", w);
  svg.setAttribute("height", h);
  svg.setAttribute("aria-hidden", "true");
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", points.join(" "));
  svg.append(line);
  return svg;
}

function drawTrends() {
  const shown = Object.keys(VITALS).filter((k) => trends[k].length);
  document.getElementById("vitals").textContent = shown
    .map((k) => `${t.vital_names[k]} ${trends[k].at(-1)} ${VITALS[k]}`).join(" · ");
  const table = document.getElementById("vital-trends");
  table.hidden = !shown.length;
  table.querySelector("tbody").replaceChildren(...shown.map((k) => {
    const values = trends[k];
    const range = t.trend_range.replace("{low}", Math.min(...values))
      .replace("{high}", Math.max(...values));
    return el("tr", { "data-vital": k },
      el("th", { scope: "row", text: t.vital_names[k] }),
      el("td", { class: "now", text: `${values.at(-1)} ${VITALS[k]}` }),
      el("td", {}, sparkline(values), el("span", { class: "range", text: range })));
  }));
}

async function main() {
  const ex = await api("GET", `/api/exercises/${exercise}`);
  const b = ex.briefing;
  document.getElementById("title").textContent = b.title;
  document.title = `${b.title} – ${t.app}`;
  document.getElementById("role").textContent = roleName(b.role);
  document.getElementById("brief").textContent = b.brief;
  document.getElementById("resident").textContent = b.resident;
  document.getElementById("goals").replaceChildren(
    ...b.learning_goals.map((g) => el("li", { text: g })));
  document.getElementById("alarm-section").hidden = b.role !== "alarm_centre";
  renderActions(b);
  if (b.sensors) {
    const floor = await api("GET", `/api/exercises/${exercise}/plan`);
    plan = drawPlan(document.getElementById("plan"), floor);
    if (floor.devices.some((d) => d.id === "vitals")) {
      const past = await api("GET",
        `/api/exercises/${exercise}/home/vitals/history?limit=${TREND_POINTS}`);
      past.messages.filter((m) => m.kind === "telemetry").forEach((m) => addVitals(m.payload));
      drawTrends();
    }
  } else {
    document.getElementById("no-sensors").hidden = false;
    document.getElementById("plan").hidden = true;
  }
  live(exercise, frame);
}

document.getElementById("note-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  show("note-error", null);
  const text = document.getElementById("note");
  try {
    await api("POST", `/api/exercises/${exercise}/notes`, { text: text.value });
    text.value = "";
  } catch (error) {
    show("note-error", error);
  }
});

main().catch((error) => show("action-error", error));
