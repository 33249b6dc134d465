// Exploring the home, phone first: a home of one's own (no account), its plan and devices;
// a tap tells what a device is for (in care work's words), what it shows now, and what can
// be tried with it; each try is followed on the same page: what the device sent, the alarm
// at the alarm centre, what the team did.
import {
  api, caseWords, clock, deviceName, drawPlan, el, live, number, paintDevice, remember, roleName,
  say, session, show, stateWords, t, timelineItem,
} from "./api.js";

const other = JSON.parse(document.getElementById("other-names").textContent);
let plan = null;
let exercise = null;
let devices = {};
let chosen = null;
const states = {};
const readings = {};

function follow(text, kind) {
  const list = document.getElementById("follow");
  list.append(el("li", { class: kind, text }));
  list.scrollTop = list.scrollHeight;
}

function stateNow(id) {
  // its latest reading of each channel, with units, and its state, in the page's language
  const state = stateWords(states[id]);
  const units = (devices[id] && devices[id].units) || {};
  const read = Object.entries(readings[id] || {}).map(([k, v]) => {
    const unit = units[k] ? ` ${t.units[units[k]] || units[k]}` : "";
    return `${(t.channels && t.channels[k]) || k}: ${number(v)}${unit}`;
  });
  return [...read, ...state].join(" · ") || t.explore_nothing_yet;
}

function choose(id) {
  const device = devices[id];
  if (!device) return;
  chosen = id;
  const info = t.device_info[device.type] || {};
  document.getElementById("device-h").textContent =
    `${deviceName(id)} (${t.device_types[device.type] || device.type})`;
  document.getElementById("device-other-name").replaceChildren(`${t.explore_other_name}: `,
    el("span", { lang: t.lang_other_code, text: other[device.type] || device.type }));
  for (const k of ["what", "measures", "helps", "cannot", "privacy"]) {
    document.getElementById(`info-${k}`).textContent = info[k] || "";
  }
  document.getElementById("device-now").textContent = stateNow(id);
  const tries = document.getElementById("tries");
  tries.replaceChildren(...(device.tries.length
    ? device.tries.map((name) => el("button", { type: "button", "data-try": name,
      text: t.try_names[name], onclick: () => tryIt(id, name) }))
    : [el("p", { text: t.explore_nothing_to_try })]));
  show("try-error", null);
  document.getElementById("try-result").textContent = "";
  const card = document.getElementById("device-card");
  card.hidden = false;
  card.focus({ preventScroll: true });
  card.scrollIntoView({ block: "nearest" });
}

async function tryIt(id, name) {
  show("try-error", null);
  try {
    const done = await api("POST", `/api/explorations/${exercise}/tries`, { device: id, try: name });
    document.getElementById("try-result").textContent =
      t.explore_tried.replace("{time}", clock(done.time));
    follow(`${clock(done.time)} ${t.explore_you}: ${t.try_names[name]}`, "tried");
  } catch (error) {
    show("try-error", error);
  }
}

function frame(f) {
  if (f.type === "snapshot") {
    for (const [id, view] of Object.entries(f.home)) {
      if (view.state) states[id] = view.state;
      paintDevice(plan, id, view);
    }
    if (f.clock) document.getElementById("clock").textContent = clock(f.clock.time);
    return;
  }
  if (f.type === "clock") {
    document.getElementById("clock").textContent = clock(f.time);
  } else if (f.type === "alarm") {
    follow(`${clock(f.time || "")} ${roleName("alarm_centre")}: ${caseWords(f)}`, "alarm");
  } else if (f.type === "action") {
    follow(timelineItem(f).textContent, "action");
  } else if (f.type === "message" && f.kind === "state") {
    states[f.device] = { ...(states[f.device] || {}), ...f.payload };
    paintDevice(plan, f.device, { state: f.payload, status: "online" });
  } else if (f.type === "message" && f.kind === "telemetry") {
    readings[f.device] = { ...(readings[f.device] || {}), ...(f.payload.data || {}) };
  } else if (f.type === "message" && f.kind === "event") {
    paintDevice(plan, f.device, {}, { event_type: f.payload.event_type, time: f.payload.ts });
    follow(`${clock(f.payload.ts)} ${deviceName(f.device)}: `
      + say({ id: "event_row", event_type: f.payload.event_type }), "message");
  }
  if (chosen && f.type === "message" && f.device === chosen) {
    document.getElementById("device-now").textContent = stateNow(chosen);
  }
}

async function open(found) {
  exercise = found.exercise;
  devices = Object.fromEntries(found.devices.map((d) => [d.id, d]));
  document.getElementById("explore-form").hidden = true;
  document.getElementById("explore-home").hidden = false;
  const floor = await api("GET", `/api/exercises/${exercise}/plan`);
  plan = drawPlan(document.getElementById("plan"), floor);
  plan.addEventListener("click", (event) => {
    const g = event.target.closest(".device");
    if (g) choose(g.dataset.device);
  });
  document.getElementById("device-list").replaceChildren(...found.devices.map((d) =>
    el("li", {}, el("button", { type: "button", "data-device": d.id,
      onclick: () => choose(d.id) }, deviceName(d.id)))));
  live(exercise, frame);
}

document.getElementById("explore-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  show("explore-error", null);
  try {
    const name = document.getElementById("explore-name").value.trim();
    const found = await api("POST", "/api/explorations", { name });
    remember({ token: found.access_token, exercise: found.exercise, explore: found });
    await open(found);
  } catch (error) {
    show("explore-error", error);
  }
});

const kept = session();
if (kept && kept.explore) {
  open(kept.explore).catch(() => {
    // its time is up (or the lab restarted): a new one from the form
    sessionStorage.clear();
    document.getElementById("explore-form").hidden = false;
    document.getElementById("explore-home").hidden = true;
  });
}
