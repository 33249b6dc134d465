// A student's view, alarm first: a new alarm shows a banner at the top, vibrates where the
// phone can and brings the queue into view; the role's actions as buttons, each explained
// on a tap, a refusal with its reason (and a busy role with its time left); the home live
// (unless the role sees no sensors); the briefing; notes; the timeline, oldest first.
import {
  addToTimeline, api, caseWords, clock, drawPlan, el, fillTimeline, homeZone, live, noteForm,
  number, paintDevice, roleName, say, session, show, signOutButton, t, timelineItem,
} from "./api.js";
import { quizPanel } from "./quiz.js";

const exercise = document.body.dataset.exercise;
const who = session();
signOutButton();
if (!who || String(who.exercise) !== exercise) location.href = `/join`;

const ISBAR = ["identify", "situation", "background", "assessment", "recommendation"];
const cases = new Map();
let plan = null;
let selectedCase = null;
let started = false;

function renderAlarms() {
  const list = document.getElementById("alarms");
  const open = [...cases.values()].filter((c) => !c.closed).sort((a, b) => b.id - a.id);
  const feeling = document.getElementById("feeling");
  if (feeling && action === "feel") out.feeling = feeling.value;
  const to = document.getElementById("link-to");
  if (to) {
    const keep = to.value;
    to.replaceChildren(...open.map((c) => el("option", { value: c.id, text: caseWords(c) })));
    if (open.some((c) => String(c.id) === keep)) to.value = keep;
  }
  if (!open.length) {
    list.replaceChildren(el("li", { text: t.no_alarms }));
    return;
  }
  if (!open.some((c) => c.id === selectedCase)) selectedCase = open[0].id;
  list.replaceChildren(...open.map((c) => el("li", { class: "alarm", "data-case": c.id },
    el("label", {},
      el("input", { type: "radio", name: "case", value: c.id, checked: c.id === selectedCase,
        onchange: () => { selectedCase = c.id; } }),
      ` ${caseWords(c)} ${clock(c.time || "")}`,
      c.answered ? ` – ${t.answered}` : "",
      c.linked && c.linked.length ? ` (${t.joined_alarms}: ${c.linked.join(", ")})` : "",
    ))));
}

function alarmArrived(c) {
  // the alarm first: a banner at the top, a buzz, the queue in view
  const banner = document.getElementById("alarm-banner");
  document.getElementById("banner-text").textContent = `${t.new_alarm}: ${caseWords(c)}`;
  banner.hidden = false;
  if (navigator.vibrate) navigator.vibrate([300, 120, 300]);
  beep();
  document.getElementById("briefing").open = false;
  document.getElementById("alarm-section").scrollIntoView({ block: "start" });
}

let audio = null;
function beep() {
  // a short tone (no sound file to fetch); a browser may keep it silent until a first tap
  try {
    audio = audio || new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    gain.gain.value = 0.15;
    tone.frequency.value = 880;
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.35);
  } catch (_) {
    // no audio here: the banner and the buzz still tell
  }
}

function args(action) {
  const out = {};
  if (who.role === "alarm_centre" && selectedCase !== null) out.case = selectedCase;
  const urgency = document.getElementById("urgency");
  if (urgency && /paramedics/.test(action)) out.urgency = urgency.value;
  const falseAlarm = document.getElementById("false-alarm");
  if (falseAlarm && action === "close") out.false_alarm = falseAlarm.checked;
  if (action === "document") {
    // free text, or ISBAR with what the visit saw and measured attached by the lab
    for (const field of ["text", ...ISBAR]) {
      // one line each: an action's values carry no line breaks (the API refuses them)
      const value = (document.getElementById(`doc-${field}`)?.value ?? "").replace(/\s+/g, " ")
        .trim();
      if (value) out[field] = value;
    }
    const include = [...document.querySelectorAll("input[name=include]:checked")]
      .map((i) => i.value);
    if (include.length) out.include = include.join(",");
  }
  const what = document.getElementById("measure-what");
  if (what && action === "measure") out.what = what.value;
  const feeling = document.getElementById("feeling");
  if (feeling && action === "feel") out.feeling = feeling.value;
  const to = document.getElementById("link-to");
  if (to && action === "link") out.to = Number(to.value);
  return out;
}

async function act(action, button) {
  show("action-error", null);
  document.getElementById("action-result").textContent = "";
  try {
    const done = await api("POST", `/api/exercises/${exercise}/actions`,
      { action, args: args(action) });
    document.getElementById("action-result").textContent = `${t.done}: ${say(done.said)}`;
    if (action === "document") clearRecord();
  } catch (error) {
    // the reason in plain words, next to the buttons: "vielä matkalla: noin 12 min jäljellä"
    const why = error.said ? say(error.said) : error.message;
    show("action-error", Object.assign(error, { message: `${t.refused}: ${why}` }));
    if (error.said && error.said.id === "busy") busy(button, error.said.left_s);
  }
}

function clearRecord() {
  // a record saved is not written twice: the form empties and folds away
  for (const box of document.querySelectorAll("details.isbar textarea")) box.value = "";
  for (const box of document.querySelectorAll("input[name=include]")) box.checked = false;
  const form = document.querySelector("details.isbar");
  if (form) form.open = false;
}

let simNow = 0;
function busy(button, leftS) {
  // the role is still at its last task: the button says for how long (sim time)
  button.dataset.busyUntil = String(simNow + leftS);
  button.classList.add("busy");
  button.querySelector(".left").textContent = ` (${say({ id: "time_left", left_s: leftS })})`;
}

function tick(simS) {
  simNow = simS;
  for (const button of document.querySelectorAll("#actions button.busy")) {
    const left = Number(button.dataset.busyUntil) - simS;
    if (left <= 0) {
      button.classList.remove("busy");
      button.querySelector(".left").textContent = "";
    } else {
      button.querySelector(".left").textContent = ` (${say({ id: "time_left", left_s: Math.round(left) })})`;
    }
  }
}

function renderActions(briefing) {
  const extra = [];
  const names = briefing.actions.map((a) => a.name);
  if (names.some((n) => /paramedics/.test(n))) {
    extra.push(el("label", { for: "urgency", text: `${t.urgency} ` }),
      el("select", { id: "urgency" }, ...["A", "B", "C", "D"].map((u) =>
        el("option", { value: u, selected: u === "B", text: `${u}: ${t.urgency_classes[u]}` }))));
  }
  if (names.includes("feel")) {
    // what the resident tells whoever calls: the words of the situations the operator hears
    extra.push(el("label", { for: "feeling", text: `${t.feeling_label} ` }),
      el("select", { id: "feeling" }, ...["well", "unwell", "fallen", "injured"].map((f) =>
        el("option", { value: f, text: t.situations[f] }))));
  }
  if (names.includes("link")) {
    extra.push(el("label", { for: "link-to", text: t.link_to }), el("select", { id: "link-to" }));
  }
  if (names.includes("close")) {
    extra.push(el("label", {}, el("input", { type: "checkbox", id: "false-alarm" }),
      ` ${t.false_alarm}`));
  }
  if (names.includes("measure")) {
    extra.push(el("label", { for: "measure-what", text: t.measure_what_label }),
      el("select", { id: "measure-what" }, ...Object.entries(t.measure_choices).map(([k, v]) =>
        el("option", { value: k, text: v }))));
  }
  if (names.includes("document")) {
    extra.push(el("details", { class: "isbar" },
      el("summary", { text: t.document_form }),
      el("label", { for: "doc-text", text: t.text }),
      el("textarea", { id: "doc-text", rows: "2", maxlength: "1000" }),
      ...ISBAR.flatMap((field) => [
        el("label", { for: `doc-${field}`, text: t.isbar_fields[field] }),
        el("textarea", { id: `doc-${field}`, rows: "2", maxlength: "1000" })]),
      el("fieldset", {}, el("legend", { text: t.include_items }),
        ...Object.entries(t.record_items).map(([k, v]) => el("label", {},
          el("input", { type: "checkbox", name: "include", value: k }), ` ${v}`)))));
  }
  document.getElementById("action-args").replaceChildren(...extra);
  document.getElementById("actions").replaceChildren(...briefing.actions.map((a) => {
    const button = el("button", { type: "button", "data-action": a.name },
      a.label, el("span", { class: "left" }));
    button.addEventListener("click", () => act(a.name, button));
    return button;
  }));
  // every explanation a tap away (a touch screen shows no tooltips)
  document.getElementById("action-help").replaceChildren(...briefing.actions.map((a) =>
    el("li", {}, el("strong", { text: a.label }), `: ${a.description}`)));
}

function setClock(c) {
  homeZone(c.time);
  document.getElementById("clock").textContent =
    `${clock(c.time)} · ${t.phase[c.phase] || c.phase}`;
  tick(c.sim_s);
  if (!started && c.phase !== "created") {
    started = true;
    if (who.role === "alarm_centre") document.getElementById("briefing").open = false;
  }
}

function frame(f) {
  if (f.type === "snapshot") {
    setClock(f.clock);
    for (const c of f.cases) cases.set(c.id, c);
    renderAlarms();
    fillTimeline(document.getElementById("timeline"), f);
    for (const [device, view] of Object.entries(f.home)) paintDevice(plan, device, view);
    return;
  }
  if (f.type === "clock") {
    setClock(f);
  } else if (f.type === "alarm") {
    cases.set(f.id, f);
    renderAlarms();
    if (!f.closed && who.role === "alarm_centre") alarmArrived(f);
  } else if (f.type === "case") {
    cases.set(f.id, { ...cases.get(f.id), ...f });
    renderAlarms();
  } else if (f.type === "action" || f.type === "note") {
    addToTimeline(document.getElementById("timeline"), [timelineItem(f)]);
  } else if (f.type === "message" && f.kind === "state") {
    paintDevice(plan, f.device, { state: f.payload, status: "online" });
  } else if (f.type === "message" && f.kind === "status") {
    paintDevice(plan, f.device, { status: f.payload });
  } else if (f.type === "message" && f.kind === "event") {
    paintDevice(plan, f.device, {}, { event_type: f.payload.event_type, time: f.payload.ts });
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
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("aria-hidden", "true");
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", points.join(" "));
  svg.append(line);
  return svg;
}

function reading(k, v) {
  return `${number(v)} ${VITALS[k]}`;
}

function drawTrends() {
  const shown = Object.keys(VITALS).filter((k) => trends[k].length);
  document.getElementById("vitals").textContent = shown
    .map((k) => `${t.channels[k]} ${reading(k, trends[k].at(-1))}`).join(" · ");
  const table = document.getElementById("vital-trends");
  table.hidden = !shown.length;
  table.querySelector("tbody").replaceChildren(...shown.map((k) => {
    const values = trends[k];
    const range = t.trend_range.replace("{low}", number(Math.min(...values)))
      .replace("{high}", number(Math.max(...values)));
    return el("tr", { "data-vital": k },
      el("th", { scope: "row", text: t.channels[k] }),
      el("td", { class: "now", text: reading(k, values.at(-1)) }),
      el("td", { class: "trend" }, sparkline(values), el("span", { class: "range", text: range })));
  }));
}

function steerable() {
  // her own self-study run: she steers its clock, as a teacher does a class's
  const box = document.getElementById("steer");
  box.hidden = false;
  for (const button of box.querySelectorAll("button[data-control]")) {
    button.addEventListener("click", () => steer(button.dataset.control));
  }
  document.getElementById("steer-speed").addEventListener("change", (event) =>
    steer("speed", { speed: Number(event.target.value) }));
}

async function steer(control, args) {
  show("steer-error", null);
  if (control === "step") {
    args = { minutes: Number(document.getElementById("steer-minutes").value) };
  } else if (control === "step-next") {
    control = "step";
    args = { to: "next" };
  }
  try {
    const done = await api("POST", `/api/exercises/${exercise}/control`,
      args ? { control, args } : { control });
    document.getElementById("steer-said").textContent = done.result;
  } catch (error) {
    show("steer-error", error);
  }
}

async function main() {
  const ex = await api("GET", `/api/exercises/${exercise}`);
  if (ex.steer) {
    steerable();
    document.getElementById("course-back").hidden = !who.course;
    await quizPanel({
      state: () => api("GET", `/api/exercises/${exercise}/quiz`),
      begin: () => api("POST", `/api/exercises/${exercise}/quiz`),
      answer: (n, answers) => api("POST", `/api/exercises/${exercise}/quiz/${n}`, { answers }),
    })();
  }
  const b = ex.briefing;
  document.getElementById("title").textContent = b.title;
  document.title = `${b.title} – ${t.app}`;
  document.getElementById("role").textContent = roleName(b.role);
  document.getElementById("brief").textContent = b.brief;
  document.getElementById("resident").textContent = b.resident;
  document.getElementById("goals").replaceChildren(
    ...b.learning_goals.map((g) => el("li", { text: g })));
  const alarms = document.getElementById("alarm-section");
  alarms.hidden = b.role !== "alarm_centre";
  renderActions(b);
  const floor = await api("GET", `/api/exercises/${exercise}/plan`);
  if (b.sensors) {
    plan = drawPlan(document.getElementById("plan"), floor);
    if (floor.devices.some((d) => d.id === "vitals")) {
      const past = await api("GET",
        `/api/exercises/${exercise}/home/vitals/history?limit=${TREND_POINTS}`);
      past.messages.filter((m) => m.kind === "telemetry").forEach((m) => addVitals(m.payload));
      drawTrends();
    }
  } else {
    drawPlan(document.createElement("div"), floor); // the devices' names, for the words
    document.getElementById("no-sensors").hidden = false;
    document.getElementById("plan").hidden = true;
    document.getElementById("vitals-h").hidden = true;
  }
  live(exercise, frame);
}

document.getElementById("banner-hide").addEventListener("click", () => {
  document.getElementById("alarm-banner").hidden = true;
});

noteForm(exercise, "note-form", "note", "note-error");

main().catch((error) => show("action-error", error));
