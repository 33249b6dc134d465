// A company's devices as the lab received them: status, last seen, refused messages and
// deviations from their meta; one device's last events, its dead letters with the reasons
// and its deviations, the publishes the broker refused, to fix the device by; its
// conformance tests (the plug pulled by the lab, if asked), started and read here.
import { api, el, session, show, signOutButton, t, watchHealth } from "./api.js";

signOutButton();
watchHealth();
if (!session()) location.href = "/";
let chosen = null;

function when(iso) {
  return iso ? new Date(iso).toLocaleString(t.lang) : "–";
}

async function refresh() {
  const devices = await api("GET", "/api/devices");
  document.getElementById("no-devices").hidden = devices.length > 0;
  document.querySelector("#devices tbody").replaceChildren(...devices.map((d) =>
    el("tr", { "data-device": `${d.home}/${d.device}` },
      el("th", { scope: "row" }, el("button", { type: "button", class: "link",
        onclick: () => showDevice(d.home, d.device) }, `${d.home}/${d.device}`)),
      el("td", { text: d.type }),
      el("td", { class: `status-${d.status.replaceAll(" ", "-")}`,
        text: t.device_status[d.status] || d.status }),
      el("td", { text: when(d.last_seen) }),
      el("td", { text: String(d.refused) }),
      el("td", { text: String(Object.values(d.deviations).reduce((a, b) => a + b, 0)),
        title: Object.entries(d.deviations)
          .map(([k, n]) => `${t.deviation_kind[k] || k}: ${n}`).join(", ") }))));
  if (chosen) await showDevice(...chosen);
  show("devices-error", null);
}

async function showDevice(home, device) {
  chosen = [home, device];
  const d = await api("GET", `/api/devices/${home}/${device}`);
  document.getElementById("detail").hidden = false;
  document.getElementById("detail-title").textContent = `${home}/${device}`;
  const events = d.events.map((e) => el("li", {},
    el("time", { datetime: e.ts, text: when(e.ts) }), ` ${e.event_type} (${e.severity}) `,
    el("code", { text: JSON.stringify(e.data) })));
  document.getElementById("events").replaceChildren(
    ...(events.length ? events : [el("li", { text: t.no_events })]));
  const readings = d.telemetry.map((r) => el("li", {},
    el("time", { datetime: r.ts, text: when(r.ts) }), ` #${r.seq} `,
    el("code", { text: Object.entries(r.data).map(([k, v]) => `${k} ${v}`).join(", ") })));
  document.getElementById("readings").replaceChildren(
    ...(readings.length ? readings : [el("li", { text: t.no_readings })]));
  const letters = d.dead_letters.map((l) => el("li", {},
    el("time", { datetime: l.received, text: when(l.received) }), ` ${l.reason} `,
    el("code", { text: l.topic })));
  document.getElementById("dead-letters").replaceChildren(
    ...(letters.length ? letters : [el("li", { text: t.none_refused })]));
  const door = d.refused_publishes.map((r) => el("li", {},
    el("time", { datetime: r.at, text: when(r.at) }), ` ${t.refusal_reason[r.reason] || r.reason} `,
    el("code", { text: r.topic })));
  document.getElementById("broker-refused").replaceChildren(
    ...(door.length ? door : [el("li", { text: t.none_broker_refused })]));
  const strayed = d.recent_deviations.map((x) => el("li", {},
    el("time", { datetime: x.received, text: when(x.received) }),
    ` ${t.deviation_kind[x.kind] || x.kind}: `, el("code", { text: x.detail })));
  document.getElementById("deviations").replaceChildren(
    ...(strayed.length ? strayed : [el("li", { text: t.none_deviated })]));
  const commands = d.commands.map((c) => el("li", {},
    el("time", { datetime: c.sent, text: when(c.sent) }), " ", el("code", { text: c.name }),
    ` ${JSON.stringify(c.args)} → `,
    c.answered === null ? t.no_answer
      : `${c.ok ? "ok" : "not ok"}, ${t.answered_in} ${c.latency_s} s${c.detail ? `: ${c.detail}` : ""}`));
  document.getElementById("commands").replaceChildren(
    ...(commands.length ? commands : [el("li", { text: t.no_commands })]));
  await showRuns(home, device);
}

async function showRuns(home, device) {
  const base = `/api/devices/${home}/${device}/conformance`;
  const runs = await api("GET", base);
  const items = runs.map((r) => {
    const said = r.status === "done"
      ? `${t.verdict[r.verdict]} (${r.counts.pass} ✓, ${r.counts.fail} ✗)`
      : r.status === "running" ? t.conformance_running : `${t.conformance_failed}: ${r.error}`;
    const parts = [el("time", { datetime: r.started, text: when(r.started) }), ` #${r.id} ${said} `];
    if (r.status === "done") {
      parts.push(el("button", { type: "button", class: "link",
        onclick: () => showReport(`${base}/${r.id}`) }, t.conformance_show));
      for (const form of ["html", "xml"]) {
        parts.push(" ", el("button", { type: "button", class: "link",
          onclick: () => download(`${base}/${r.id}/report.${form}`,
            `conformance-${home}-${device}-${r.id}.${form}`) }, `${t.conformance_download} .${form}`));
      }
    }
    return el("li", { "data-run": String(r.id) }, ...parts);
  });
  document.getElementById("conformance-runs").replaceChildren(
    ...(items.length ? items : [el("li", { text: t.conformance_none })]));
}

async function showReport(path) {
  const found = await api("GET", path);
  const table = document.getElementById("conformance-report");
  table.querySelector("tbody").replaceChildren(...found.checks.map((c) => el("tr", {},
    el("td", {}, el("strong", { text: t.check_titles[c.id] || c.title }), el("br"),
      el("code", { text: c.id })),
    el("td", { class: `verdict-${c.verdict}`, text: t.verdict[c.verdict] }),
    el("td", {}, el("ul", {}, ...c.evidence.map((e) => el("li", {}, el("code", { text: e }))))))));
  table.hidden = false;
}

async function download(path, name) {
  const answer = await api("GET", path, undefined, true);
  const link = el("a", { href: URL.createObjectURL(await answer.blob()), download: name });
  link.click();
  URL.revokeObjectURL(link.href);
}

document.getElementById("conformance-start").addEventListener("click", async () => {
  if (!chosen) return;
  try {
    const unplug = document.getElementById("conformance-unplug").checked;
    await api("POST", `/api/devices/${chosen[0]}/${chosen[1]}/conformance`, { unplug });
    document.getElementById("conformance-said").textContent =
      unplug ? t.conformance_started_unplug : t.conformance_started;
    show("devices-error", null);
    await showRuns(...chosen);
  } catch (error) {
    show("devices-error", error);
  }
});

refresh().catch((error) => show("devices-error", error));
setInterval(() => refresh().catch((error) => show("devices-error", error)), 10_000);
