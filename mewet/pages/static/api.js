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
    ws.onclose = () => {
      if (stopped) return;
      status(t.reconnecting);
      setTimeout(connect, (delay = Math.min(delay * 2, 10000)));
    };
  }
  connect();
  return () => {
    stopped = true;
  };
}

const SVG = "http://www.w3.org/2000/svg";
const SCALE = 60; // pixels per metre
const ICONS = {
  motion: "M", contact: "D", bed: "B", fall_detector: "F", wristband: "W",
  stove_guard: "S", smoke: "~", water_leak: "L", dispenser: "P", vitals: "V",
  environment: "T", smart_lock: "K", smart_plug: "E", scale: "kg", blood_pressure: "BP",
  gateway: "G",
};
const ACTIVE = ["motion", "open", "occupied", "alarm", "smoke", "leak", "cooking", "power",
  "in_use", "dose_pending", "relay"];

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

export function drawPlan(box, plan) {
  // the home drawn from its file: rooms, and each device in its room
  const width = Math.max(...plan.rooms.map((r) => r.x + r.w)) * SCALE + 20;
  const height = Math.max(...plan.rooms.map((r) => r.y + r.h)) * SCALE + 20;
  const root = svg("svg", {
    viewBox: `-10 -10 ${width} ${height}`, role: "img", class: "plan",
    "aria-label": t.home,
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
  for (const device of plan.devices) {
    const room = rooms[device.room];
    if (!room) continue;
    const n = (placed[room.id] = (placed[room.id] || 0) + 1) - 1;
    const perRow = Math.max(1, Math.floor((room.w * SCALE - 12) / 34));
    const x = device.x != null ? device.x * SCALE : room.x * SCALE + 20 + (n % perRow) * 34;
    const y = device.y != null ? device.y * SCALE
      : room.y * SCALE + 38 + Math.floor(n / perRow) * 34;
    const g = svg("g", { class: "device", "data-device": device.id, "data-type": device.type,
      transform: `translate(${x},${y})`, tabindex: "0", role: "img",
      "aria-label": device.id });
    g.append(svg("title", {}, device.id));
    g.append(svg("circle", { r: 13 }));
    g.append(svg("text", { "text-anchor": "middle", dy: "4" }, ICONS[device.type] || "?"));
    root.append(g);
  }
  box.replaceChildren(root);
  return root;
}

export function paintDevice(root, device, view, latest = false) {
  // a device's live state as classes: active when its main condition is on
  const g = root && root.querySelector(`[data-device="${device}"]`);
  if (!g) return;
  const state = view.state || {};
  const on = ACTIVE.some((key) => state[key] === true);
  g.classList.toggle("on", on);
  g.classList.toggle("offline", view.status === "offline");
  g.classList.toggle("locked", state.locked === true);
  const words = Object.entries(state)
    .filter(([key]) => key !== "online")
    .map(([key, value]) => `${key}: ${typeof value === "boolean" ? t.device_states[value] : value}`);
  g.setAttribute("aria-label", `${device} (${view.type || ""}): ${words.join(", ")}`);
  g.querySelector("title").textContent = `${device}\n${words.join("\n")}`;
  if (latest) {
    for (const other of root.querySelectorAll(".device.latest")) other.classList.remove("latest");
    g.classList.add("latest");
  }
}

// The care team's words (findings, results, reasons for a refusal) come from the engine in
// English; `phrases` in the page's catalogue says each in the page's language: an English
// phrase with `{}` for a word that varies (a case number, a device, minutes), and its
// translation with {1}, {2}... in its own order. Longest first, replaced wherever they occur,
// so findings made of several phrases come out whole.
const PHRASES = (t.phrases || [])
  .slice().sort((a, b) => b[0].length - a[0].length)
  .map(([en, said]) => [new RegExp(en.split("{}")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("([^\\s:;,()]+)"), "g"),
  said]);

export function say(text) {
  let out = text || "";
  for (const [pattern, said] of PHRASES) {
    out = out.replace(pattern, (...found) => said.replace(/\{(\d)\}/g, (_, i) => found[Number(i)]));
  }
  return out;
}

export function timelineItem(frame) {
  const who = frame.role ? roleName(frame.role) : "";
  const text = frame.type === "note"
    ? `${clock(frame.ts)} ${who} – ${frame.by}: ${frame.text}`
    : `${clock(frame.ts)} ${who} – ${t.done_actions[frame.action] || frame.action} `
      + `${say(frame.detail)} (${frame.by})`;
  return el("li", { class: frame.type, text });
}
