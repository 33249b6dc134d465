// The teacher's live console: the join code, link and QR code large (the lab's address the
// class's phones reach), who joined, the clock with its controls, incidents to inject, moments
// marked for the debrief, the home, the alarm cases as they go, and one live timeline.
import {
  addToTimeline, api, caseWords, clock, drawPlan, el, fillTimeline, heading, homeZone, live,
  noteForm, paintDevice, roleName, say, session, show, signOutButton, t, timelineItem,
  watchHealth,
} from "./api.js";

const exercise = document.body.dataset.exercise;
signOutButton();
watchHealth();
if (!session()) location.href = "/";
let plan = null;
const cases = new Map();
const INCIDENTS = {
  fall: { type: "fall", room: "hall" },
  smoke: { type: "smoke", minutes: 20 },
  stove_left_on: { type: "stove_left_on" },
  missed_dose: { type: "missed_dose" },
  wandering: { type: "wandering" },
};

async function participants() {
  const ex = await api("GET", `/api/exercises/${exercise}`);
  document.getElementById("title").textContent = heading(ex);
  document.title = `${ex.title} – ${t.app}`;
  document.getElementById("join-code").textContent = ex.join_code;
  const link = document.getElementById("join-link");
  link.href = ex.join_url;
  link.textContent = ex.join_url;
  document.getElementById("join-unreachable").hidden = ex.join_reachable;
  const list = document.getElementById("participants");
  list.replaceChildren(...(ex.participants.length
    ? ex.participants.map((p) => el("li", { text: `${p.name}: ${roleName(p.role)}` }))
    : [el("li", { text: t.nobody_yet })]));
  return ex;
}

async function control(name, args = {}) {
  show("control-error", null);
  try {
    await api("POST", `/api/exercises/${exercise}/control`, { control: name, args });
  } catch (error) {
    show("control-error", error);
  }
}

function caseState(c) {
  if (c.linked_to) return say({ id: "case_state_linked", to: c.linked_to });
  if (c.closed) return t.case_states.closed;
  if (c.on_site) return t.case_states.on_site;
  if (c.answered) return t.case_states.answered;
  return t.case_states.waiting;
}

function renderAlarms() {
  const all = [...cases.values()].sort((a, b) => b.id - a.id);
  document.getElementById("alarms").replaceChildren(...(all.length
    ? all.map((c) => el("li", { class: c.closed ? "closed" : "alarm", "data-case": c.id,
      text: `${caseWords(c)} ${clock(c.time || "")} – ${caseState(c)}` }))
    : [el("li", { text: t.no_alarms })]));
}

function setClock(c) {
  homeZone(c.time);
  document.getElementById("clock").textContent =
    `${clock(c.time)} · ${t.phase[c.phase] || c.phase} · ${c.speed}×`;
}

function frame(f) {
  if (f.type === "snapshot") {
    setClock(f.clock);
    for (const c of f.cases) cases.set(c.id, { ...cases.get(c.id), ...c });
    renderAlarms();
    fillTimeline(document.getElementById("timeline"), f);
    for (const [device, view] of Object.entries(f.home)) paintDevice(plan, device, view);
  } else if (f.type === "clock") {
    setClock(f);
  } else if (f.type === "alarm" || f.type === "case") {
    cases.set(f.id, { ...cases.get(f.id), ...f });
    renderAlarms();
  } else if (f.type === "action" || f.type === "note") {
    addToTimeline(document.getElementById("timeline"), [timelineItem(f)]);
  } else if (f.type === "joined") {
    participants();
  } else if (f.type === "message" && f.kind === "state") {
    paintDevice(plan, f.device, { state: f.payload, status: "online" });
  } else if (f.type === "message" && f.kind === "status") {
    paintDevice(plan, f.device, { status: f.payload });
  } else if (f.type === "message" && f.kind === "event") {
    paintDevice(plan, f.device, {}, { event_type: f.payload.event_type, time: f.payload.ts });
  }
}

async function main() {
  await participants();
  const qr = await api("GET", `/api/exercises/${exercise}/qr.svg`, undefined, true);
  document.getElementById("qr").src = URL.createObjectURL(await qr.blob());
  plan = drawPlan(document.getElementById("plan"),
    await api("GET", `/api/exercises/${exercise}/plan`));
  const select = document.getElementById("inject");
  select.replaceChildren(...Object.keys(INCIDENTS).map((k) =>
    el("option", { value: k, text: t.incidents[k] || k })));
  for (const button of document.querySelectorAll("[data-control]")) {
    button.addEventListener("click", () => control(button.dataset.control));
  }
  document.getElementById("speed-form").addEventListener("submit", (event) => {
    event.preventDefault();
    control("speed", { speed: Number(document.getElementById("speed").value) });
  });
  document.getElementById("step-form").addEventListener("submit", (event) => {
    event.preventDefault();
    control("step", { minutes: Number(document.getElementById("step").value) });
  });
  document.getElementById("inject-form").addEventListener("submit", (event) => {
    event.preventDefault();
    control("inject", INCIDENTS[select.value]);
  });
  // the instructor's log: a moment marked with a comment, shown in the debrief
  noteForm(exercise, "mark-form", "mark", "mark-error");
  document.getElementById("copy-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    show("copy-error", null);
    const group = document.getElementById("copy-group").value.trim();
    try {
      const copy = await api("POST", `/api/exercises/${exercise}/duplicate`,
        group ? { group } : {});
      location.href = `/teach/${copy.id}`;
    } catch (error) {
      show("copy-error", error);
    }
  });
  live(exercise, frame);
  setInterval(participants, 10000);
}

main().catch((error) => show("control-error", error));
