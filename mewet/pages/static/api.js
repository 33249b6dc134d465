// What every page shares: its messages, the API with the signed-in token, the live feed
// with reconnection, the floor plan, and showing the API's errors where they belong.

export const t = JSON.parse(document.getElementById("messages").textContent);
export const lang = t.lang;
const KEY = "mewet-session";

// the language switch comes back to this page (the lab sends no Referer, by policy)
const switcher = document.getElementById("lang-switch");
if (switcher) {
  switcher.href += `?next=${encodeURIComponent(location.pathname + location.search)}`;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(typeof body.detail === "string" ? body.detail : `${status}`);
    this.status = status;
    this.said = body.said || null; // the message itself, for words of the page's own
    this.problems = body.problems || [];
  }
}

export function session() {
  return JSON.parse(sessionStorage.getItem(KEY) || "null");
}

export function remember(value) {
  sessionStorage.setItem(KEY, JSON.stringify(value));
}

export async function api(method, path, body, raw = false) {
  const who = session();
  const headers = {};
  if (who) headers.Authorization = `Bearer ${who.token}`;
  let payload;
  if (body instanceof URLSearchParams) {
    payload = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const answer = await fetch(path, { method, headers, body: payload });
  if (!answer.ok) {
    let detail = { detail: answer.statusText };
    try {
      detail = await answer.json();
    } catch (_) {
      // not JSON: keep the status text
    }
    throw new ApiError(answer.status, detail);
  }
  if (raw) return answer;
  return answer.status === 204 ? null : answer.json();
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

export function show(id, error) {
  // the API's detail next to the field or button that asked; its problems under it
  const box = document.getElementById(id);
  if (!box) return;
  box.textContent = "";
  if (!error) return;
  box.append(error.message);
  for (const p of error.problems || []) box.append(el("br"), `${p.where}: ${p.problem}`);
}

export function status(text) {
  document.getElementById("status").textContent = text || "";
}

export function clock(iso) {
  // the API gives the home's local time with its offset: show it as the home's clock shows it
  return iso ? `${iso.slice(8, 10)}.${iso.slice(5, 7)}. ${iso.slice(11, 16)}` : "";
}

export function roleName(role) {
  return (t.roles && t.roles[role]) || role;
}

let offsetMin = 0; // the home's offset from UTC, from the exercise's clock

export function homeZone(iso) {
  // the home's zone, from a local time the API gave (…T03:12:00.000+01:00)
  const m = /([+-])(\d\d):(\d\d)$/.exec(iso || "");
  if (m) offsetMin = (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

export function homeClock(utc) {
  // a device's `ts` (UTC, as the contract has it) as the home's clock shows it
  const d = new Date(Date.parse(utc) + offsetMin * 60000);
  const p = (n) => String(n).padStart(2, "0");
  return `${p(d.getUTCDate())}.${p(d.getUTCMonth() + 1)}. ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

export function heading(ex) {
  // a group's exercise by its title, its group and the day it was made (23.11.2026)
  const day = ex.created ? new Date(ex.created).toLocaleDateString("fi-FI") : "";
  return [ex.title, ex.group, day].filter(Boolean).join(" · ");
}

export function byName(by) {
  // who acted: a participant's name as they gave it, or the simulation, or the teacher
  return (t.by && t.by[by]) || by;
}

export function noteForm(exercise, form, box, errorBox) {
  // a note for the exercise's timeline and debrief (a student's record, the teacher's mark):
  // posted, then the box emptied; a refusal is shown beside it
  document.getElementById(form).addEventListener("submit", async (event) => {
    event.preventDefault();
    show(errorBox, null);
    const text = document.getElementById(box);
    try {
      await api("POST", `/api/exercises/${exercise}/notes`, { text: text.value });
      text.value = "";
    } catch (error) {
      show(errorBox, error);
    }
  });
}

export function signOutButton() {
  const button = document.getElementById("signout");
  if (!session()) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await api("POST", "/api/auth/logout");
    } catch (_) {
      // signed out already: nothing to revoke
    }
    sessionStorage.removeItem(KEY);
    location.href = "/";
  });
}

export function live(exercise, onFrame) {
  // the live feed: a fresh single-use ticket on every (re)connection, a snapshot first
  let delay = 500;
  let stopped = false;
  async function connect() {
    if (stopped) return;
    let ticket;
    try {
      ticket = await api("POST", `/api/exercises/${exercise}/live/ticket`);
    } catch (error) {
      status(`${t.reconnecting} (${error.message})`);
      setTimeout(connect, (delay = Math.min(delay * 2, 10000)));
      return;
    }
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}${ticket.url}`);
    ws.onopen = () => {
      delay = 500;
      status(t.connected);
    };
    ws.onmessage = (event) => {
      const data = JSON.parse(event.data); // one frame, or several in order
      for (const frame of Array.isArray(data) ? data : [data]) onFrame(frame);
    };
    ws.onclose = (event) => {
      if (stopped) return;
      if (event.code === 4401) {
        status(t.signed_out_feed); // signed out (here or in another tab): nothing to reconnect
        return;
      }
      status(t.reconnecting);
      setTimeout(connect, (delay = Math.min(delay * 2, 10000)));
    };
  }
  connect();
  return () => {
    stopped = true;
  };
}

export function watchHealth(every = 15000) {
  // says on the page when new readings are not being stored (a part of the lab restarting,
  // the store behind); quiet while all is well
  const box = document.getElementById("health");
  async function look() {
    try {
      const seen = await api("GET", "/api/health");
      const store = seen.store;
      const behind = store && store.behind;
      box.hidden = !behind;
      if (behind) {
        const down = seen.parts.some((p) => p.name === "ingest" && p.state !== "running");
        box.textContent =
          down || store.behind_s === null
            ? t.health_store_behind
            : t.health_store_behind_for.replace("{s}", number(Math.round(store.behind_s), 0));
      }
    } catch (_) {
      // the lab itself is away: the live feed says so already
    }
    setTimeout(look, every);
  }
  look();
}

// -- what the lab says, in the page's language -------------------------------------------
// The same rules as mewet/texts/words.py (a test runs both on every message and compares):
// a message is {id, ...values}; its template in `t.said` puts in `{name}` or `{name:kind}`.

const devices = {};

export function nameDevices(names) {
  // this home's devices by name (from the floor plan), for `{device:device}`
  Object.assign(devices, names);
}

export function deviceName(id) {
  return devices[id] || id;
}

export function number(value, digits) {
  const places = digits ?? (Number.isInteger(value) ? 0 : 1);
  let text = Number(value).toFixed(places);
  if (text.startsWith("-") && Number(text) === 0) text = text.slice(1);
  return lang === "fi" ? text.replace(".", ",").replace("-", "\u2212") : text;
}

function key(value) {
  if (value === null || value === undefined) return "none";
  return String(value);
}

function value(v, kind) {
  if (v === null || v === undefined) return "";
  if (Array.isArray(v)) return v.map(say).join("; ");
  if (typeof v === "object") return say(v);
  if (typeof v === "boolean") return v ? t.yes : t.no;
  if (kind === "dur" && typeof v === "number") {
    return v >= 120 ? `${number(Math.round(v / 60))} min` : `${number(Math.round(v))} s`;
  }
  if (typeof v === "number") return number(v, kind === "num" ? 1 : undefined);
  if (kind === "device") return deviceName(v);
  if (kind && !["said", "list", "dur", "num"].includes(kind)) {
    return (t[kind] && t[kind][v]) ?? v;
  }
  return String(v);
}

export function say(message) {
  if (!message) return "";
  let template = t.said[message.id];
  if (template === undefined) return message.id;
  if (typeof template === "object") {
    template = template[key(message[template.by])] ?? template.other;
  }
  return template.replace(/\{(\w+)(?::(\w+))?\}/g, (_, name, kind) => value(message[name], kind));
}

// -- the floor plan ------------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";
const SCALE = 60; // pixels per metre
const R = 16; // a device's circle: big enough to tap (the plan keeps its size on a phone)
// what makes a device light up: in use, not merely powered (a plug's relay is closed all
// night, the stove guard's power is on; the kettle boiling and the hob cooking are the news)
const ACTIVE = ["motion", "open", "occupied", "alarm", "smoke", "leak", "cooking", "in_use",
  "dose_pending"];
const last = {}; // device → its last event and when

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function mark(device) {
  return (t.device_marks && t.device_marks[device.type]) || "?";
}

function deviceGroup(device, x, y) {
  const g = svg("g", { class: "device", "data-device": device.id, "data-type": device.type,
    transform: `translate(${x},${y})`, tabindex: "0", role: "button",
    "aria-label": device.name });
  g.append(svg("circle", { r: R }));
  g.append(svg("text", { "text-anchor": "middle", dy: "5" }, mark(device)));
  return g;
}

export function drawPlan(box, plan) {
  // the home drawn from its file: rooms, each device in its room, worn ones with the
  // resident (a wristband is where she is, not where it was put); a legend; a tap on a
  // device tells what it is, its state and its last event
  nameDevices(Object.fromEntries(plan.devices.map((d) => [d.id, d.name])));
  const worn = plan.devices.filter((d) => d.worn);
  const width = Math.max(...plan.rooms.map((r) => r.x + r.w)) * SCALE + 20;
  const strip = worn.length ? 2 * R + 24 : 0;
  const height = Math.max(...plan.rooms.map((r) => r.y + r.h)) * SCALE + 20 + strip;
  const root = svg("svg", {
    viewBox: `-10 -10 ${width} ${height}`, role: "group", class: "plan", "aria-label": t.home,
  });
  const rooms = {};
  for (const room of plan.rooms) {
    rooms[room.id] = room;
    const g = svg("g", { class: "room", "data-room": room.id });
    g.append(svg("rect", { x: room.x * SCALE, y: room.y * SCALE, width: room.w * SCALE,
      height: room.h * SCALE }));
    g.append(svg("text", { x: room.x * SCALE + 6, y: room.y * SCALE + 16, class: "room-name" },
      lang === "fi" ? room.name_fi : room.name));
    root.append(g);
  }
  const placed = {};
  for (const device of plan.devices.filter((d) => !d.worn)) {
    const room = rooms[device.room];
    if (!room) continue;
    const n = (placed[room.id] = (placed[room.id] || 0) + 1) - 1;
    const perRow = Math.max(1, Math.floor((room.w * SCALE - 12) / (2 * R + 6)));
    const x = device.x != null ? device.x * SCALE
      : room.x * SCALE + R + 6 + (n % perRow) * (2 * R + 6);
    const y = device.y != null ? device.y * SCALE
      : room.y * SCALE + 24 + R + Math.floor(n / perRow) * (2 * R + 6);
    root.append(deviceGroup(device, x, y));
  }
  if (worn.length) {
    const top = height - 10 - strip;
    const band = svg("g", { class: "worn" });
    band.append(svg("rect", { x: 0, y: top + 4, width: width - 20, height: strip - 8 }));
    // the worn devices first (in view on a phone, where the plan pans), then what they are
    const after = 6 + worn.length * (2 * R + 10);
    band.append(svg("text", { x: after, y: top + 4 + strip / 2 + 4, class: "room-name" },
      t.worn_by));
    root.append(band);
    worn.forEach((device, i) => root.append(deviceGroup(device,
      6 + R + i * (2 * R + 10), top + strip / 2)));
  }
  const types = [...new Map(plan.devices.map((d) => [d.type, d])).values()];
  const legend = el("ul", { class: "legend", "aria-label": t.legend },
    ...types.map((d) => el("li", {}, el("span", { class: "mark", text: mark(d) }),
      ` ${t.device_types[d.type] || d.type}`)));
  const detail = el("p", { class: "device-detail", id: "device-detail", role: "status" });
  box.replaceChildren(el("div", { class: "plan-box" }, root),
    el("p", { class: "hint", text: t.plan_hint }), detail, legend);
  const tell = (g) => {
    for (const other of root.querySelectorAll(".device.chosen")) other.classList.remove("chosen");
    g.classList.add("chosen");
    detail.textContent = describe(g.dataset.device, g);
  };
  root.addEventListener("click", (event) => {
    const g = event.target.closest(".device");
    if (g) tell(g);
  });
  root.addEventListener("keydown", (event) => {
    const g = event.target.closest(".device");
    if (g && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      tell(g);
    }
  });
  return root;
}

export function stateWords(state) {
  // a device's state in the page's words: "name: value" each, numbers as the language writes
  return Object.entries(state || {})
    .filter(([k]) => k !== "online")
    .map(([k, v]) => {
      const name = (t.state_keys && t.state_keys[k]) || k;
      let shown = v;
      if (typeof v === "boolean") shown = v ? t.yes : t.no;
      else if (typeof v === "number") shown = k === "battery" ? `${number(v)} %` : number(v);
      else if (t.state_values && t.state_values[v]) shown = t.state_values[v];
      return `${name}: ${shown}`;
    });
}

function describe(device, g) {
  const parts = [deviceName(device)];
  const words = JSON.parse(g.dataset.state || "{}");
  if (g.classList.contains("offline")) parts.push(t.device_offline);
  parts.push(...stateWords(words));
  const seen = last[device];
  if (seen) {
    parts.push(`${t.last_event}: ${say({ id: "event_row", event_type: seen.event_type })} `
      + homeClock(seen.time));
  }
  return parts.join(" · ");
}

export function paintDevice(root, device, view, event = null) {
  // a device's live state as classes: active when it is in use; its last event remembered
  const g = root && root.querySelector(`[data-device="${device}"]`);
  if (!g) return;
  if (view.state) {
    const state = { ...JSON.parse(g.dataset.state || "{}"), ...view.state };
    g.dataset.state = JSON.stringify(state);
    g.classList.toggle("on", ACTIVE.some((k) => state[k] === true));
    g.classList.toggle("locked", state.locked === true);
  }
  if (view.status) g.classList.toggle("offline", view.status === "offline");
  if (event) {
    last[device] = event;
    for (const other of root.querySelectorAll(".device.latest")) other.classList.remove("latest");
    g.classList.add("latest");
  }
  g.setAttribute("aria-label", describe(device, g));
  if (g.classList.contains("chosen")) {
    document.getElementById("device-detail").textContent = describe(device, g);
  }
}

export function caseWords(c) {
  // an alarm case as every page names it: its number, what raised it and where
  return `${t.case} ${c.id}: ${say({ id: "case_alarm", event_type: c.event_type, device: c.device })}`;
}

export function timelineItem(frame) {
  // one entry of a timeline, in the order everything is shown: oldest first
  const who = frame.role ? roleName(frame.role) : t.teacher;
  const text = frame.type === "note"
    ? `${clock(frame.ts)} ${who}${frame.by ? ` – ${frame.by}` : ""}: ${frame.text}`
    : `${clock(frame.ts)} ${who} – ${say(frame.said)} (${byName(frame.by)})`;
  return el("li", { class: frame.type, text });
}

export function addToTimeline(list, items) {
  // new entries at the end, as after a reload; the newest kept in view when it was
  const follow = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
  list.append(...items);
  if (follow) list.scrollTop = list.scrollHeight;
}

export function fillTimeline(list, snapshot) {
  // the snapshot's actions and notes in time order (notes before actions of the same
  // moment, as they came), the newest in view
  const items = [...snapshot.actions, ...snapshot.notes]
    .map((f, i) => [f, i])
    .sort(([a, i], [b, j]) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : i - j))
    .map(([f]) => timelineItem(f));
  list.replaceChildren(...items);
  list.scrollTop = list.scrollHeight;
}
