// All of a teacher's exercises that have not ended, side by side (ten groups in one class):
// each group's clock, phase, code and who has joined, its own start, pause and resume, and
// the same for all at once; refreshed every three seconds with one call for all of them.
import { api, clock, el, heading, roleName, session, show, signOutButton, t } from "./api.js";

signOutButton();
if (!session()) location.href = "/";

const CONTROLS = { created: ["start"], running: ["pause"], paused: ["resume"] };
let shown = [];

async function refresh() {
  const mine = (await api("GET", "/api/exercises")).filter((ex) => ex.phase !== "ended");
  shown = mine;
  document.getElementById("no-groups").hidden = mine.length > 0;
  document.getElementById("groups").replaceChildren(...mine.map((ex) => {
    const people = ex.participants.map((p) => `${p.name}: ${roleName(p.role)}`);
    return el("li", { class: "card group", "data-exercise": String(ex.id) },
      el("h2", {}, el("a", { href: `/teach/${ex.id}`, text: heading(ex) })),
      el("p", { class: "code", text: ex.join_code || "" }),
      el("p", { class: "live", text: `${clock(ex.time)} · ${t.phase[ex.phase] || ex.phase}` }),
      el("p", { class: "muted",
        text: people.length ? people.join(", ") : t.nobody_yet }),
      el("div", { class: "buttons" }, ...(CONTROLS[ex.phase] || []).map((c) =>
        el("button", { type: "button", onclick: () => steer([ex], c) }, t[c]))));
  }));
  show("classroom-error", null);
}

async function steer(exercises, control) {
  const wanted = Object.keys(CONTROLS).find((phase) => CONTROLS[phase].includes(control));
  try {
    await Promise.all(exercises.filter((ex) => ex.phase === wanted).map((ex) =>
      api("POST", `/api/exercises/${ex.id}/control`, { control })));
    await refresh();
  } catch (error) {
    show("classroom-error", error);
  }
}

for (const button of document.querySelectorAll("[data-all]")) {
  button.addEventListener("click", () => steer(shown, button.dataset.all));
}
refresh().catch((error) => show("classroom-error", error));
setInterval(() => refresh().catch((error) => show("classroom-error", error)), 3000);
