// The teacher's live console: the join code (and its QR code) large, who joined, the clock
// with its controls, incidents to inject, the home, the alarms and one live timeline.
import {
  api, clock, drawPlan, el, live, paintDevice, roleName, session, show, signOutButton, t,
  timelineItem,
} from "./api.js";

const exercise = document.body.dataset.exercise;
signOutButton();
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
  document.getElementById("title").textContent = ex.title;
  document.getElementById("join-code").textContent = ex.join_code;
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

function renderAlarms() {
  const open = [...cases.values()].sort((a, b) => b.id - a.id);
  document.getElementById("alarms").replaceChildren(...(open.length
    ? open.map((c) => el("li", { class: c.closed ? "closed" : "alarm",
      text: `${t.case} ${c.id}: ${c.event_type} (${c.device}) ${clock(c.time || "")}` }))
    : [el("li", { text: t.no_alarms })]));
}

function frame(f) {
  if (f.type === "snapshot") {
    document.getElementById("clock").textContent =
      `${clock(f.clock.time)} · ${t.phase[f.clock.phase] || f.clock.phase} · ${f.clock.speed}×`;
    for (const c of f.cases) cases.set(c.id, c);
    renderAlarms();
    document.getElementById("timeline").replaceChildren(...[...f.actions, ...f.notes]
      .sort((a, b) => (a.ts < b.ts ? -1 : 1)).map(timelineItem));
    for (const [device, view] of Object.entries(f.home)) paintDevice(plan, device, view);
  } else if (f.type === "clock") {
    document.getElementById("clock").textContent =
      `${clock(f.time)} · ${t.phase[f.phase] || f.phase} · ${f.speed}×`;
  } else if (f.type === "alarm") {
    cases.set(f.id, f);
    renderAlarms();
  } else if (f.type === "action" || f.type === "note") {
    document.getElementById("timeline").prepend(timelineItem(f));
  } else if (f.type === "joined") {
    participants();
  } else if (f.type === "message" && f.kind === "state") {
    paintDevice(plan, f.device, { state: f.payload, status: "online" });
  } else if (f.type === "message" && f.kind === "event") {
    paintDevice(plan, f.device, { state: {}, status: "online" }, true);
  }
}

async function main() {
  await participants();
  const qr = await api("GET", `/api/exercises/${exercise}/qr.svg?url=${
    encodeURIComponent(location.origin)}`, undefined, true);
  document.getElementById("qr").src = URL.createObjectURL(await qr.blob());
  plan = drawPlan(document.getElementById("plan"),
    await api("GET", `/api/exercises/${exercise}/plan`));
  const select = document.getElementById("inject");
  select.replaceChildren(...Object.keys(INCIDENTS).map((k) =>
    el("option", { value: k, text: k.replaceAll("_", " ") })));
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
  live(exercise, frame);
  setInterval(participants, 10000);
}

main().catch((error) => show("control-error", error));
