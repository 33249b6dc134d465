// The scenario editor: start from a library scenario (a copy under an id of one's own), one's
// school's (its next version), another school's shared one (a copy), a file or a blank one;
// the file checked as she types, each problem beside its line and in a list that jumps there;
// the guide as students and teachers will see it; a test run of the first day; save and share.
import {
  api, clock, el, lang, nameDevices, number, roleName, say, session, show, signOutButton, t,
} from "./api.js";
import { caseRows, summary } from "./kpis.js";

signOutButton();
if (!session()) location.href = "/";

const box = document.getElementById("yaml");
const gutter = document.getElementById("gutter");
const marks = document.getElementById("marks");
let asked = 0; // the newest check asked for: older answers are dropped
let timer = null;

function lines() {
  return box.value.split("\n").length;
}

function drawLines(problems = []) {
  // line numbers, and each line with a problem marked in the gutter (its words on hover) and
  // tinted under its text; the words themselves are listed under the box
  const bad = new Map();
  for (const p of problems) {
    if (p.line) bad.set(p.line, [...(bad.get(p.line) || []), p.problem]);
  }
  const count = lines();
  gutter.replaceChildren(...Array.from({ length: count }, (_, i) => el("span", {
    class: bad.has(i + 1) ? "bad" : "", "data-line": i + 1, title: (bad.get(i + 1) || []).join("\n"),
    text: `${i + 1}\n` })));
  marks.replaceChildren(...Array.from({ length: count }, (_, i) => el("div", {
    class: bad.has(i + 1) ? "line bad" : "line", "data-line": i + 1, text: "\u200b" })));
  follow();
}

function follow() {
  gutter.scrollTop = box.scrollTop;
  marks.scrollTop = box.scrollTop;
}

function jump(line) {
  // select the line in the text, scrolled into view
  const starts = [0];
  for (let i = 0; i < box.value.length; i += 1) if (box.value[i] === "\n") starts.push(i + 1);
  const from = starts[line - 1] ?? 0;
  const to = line < starts.length ? starts[line] - 1 : box.value.length;
  box.focus();
  box.setSelectionRange(from, to);
  const height = box.scrollHeight / Math.max(1, lines());
  box.scrollTop = Math.max(0, (line - 3) * height);
  follow();
}

function showProblems(found) {
  document.getElementById("problems").replaceChildren(...found.map((p) => el("li",
    { "data-line": p.line ?? "" },
    p.line ? el("button", { type: "button", class: "link", onclick: () => jump(p.line),
      text: say({ id: "at_line", line: p.line }) }) : "",
    p.line ? " " : "",
    p.where ? el("code", { text: p.where }) : "",
    p.where ? ": " : "",
    el("span", { class: "problem", text: p.problem }))));
}

function dateTime(iso) {
  // a scenario's start as written, as a Finnish reader reads it: 10.01.2027 18:00
  return `${iso.slice(8, 10)}.${iso.slice(5, 7)}.${iso.slice(0, 4)} ${iso.slice(11, 16)}`;
}

function showPreview(p) {
  const guide = document.getElementById("preview");
  if (!p) return;
  guide.replaceChildren(
    el("h3", { text: p.title }),
    el("p", { text: p.description }),
    el("h4", { text: t.goals }),
    el("ul", {}, ...p.learning_goals.map((g) => el("li", { text: g }))),
    el("h4", { text: t.resident }),
    el("p", { text: p.resident }),
    el("p", { text: say({ id: "editor_when", start: dateTime(p.start), days: number(p.days) }) }),
    el("h4", { text: t.editor_roles }),
    el("dl", {}, ...p.roles.flatMap((r) => [
      el("dt", { text: roleName(r.role) + (r.sensors ? "" : ` (${t.editor_no_sensors})`) }),
      el("dd", { text: r.brief })])),
    el("h4", { text: t.editor_teacher_guide }),
    el("p", { text: p.teacher_guide || "–" }));
}

async function check() {
  const mine = ++asked;
  const text = box.value;
  if (!text.trim()) {
    showProblems([]);
    drawLines();
    return;
  }
  document.getElementById("check-status").textContent = t.editor_checking;
  let answer;
  try {
    answer = await api("POST", "/api/scenario-checks", { yaml: text });
  } catch (error) {
    if (mine === asked) show("editor-error", error);
    return;
  }
  if (mine !== asked) return;
  show("editor-error", null);
  showProblems(answer.problems);
  drawLines(answer.problems);
  showPreview(answer.preview);
  document.getElementById("check-status").textContent = answer.ok ? t.editor_ok
    : say({ id: "editor_problems", count: answer.problems.length });
  document.getElementById("save").disabled = !answer.ok;
  document.getElementById("trial").disabled = !answer.preview;
}

function later() {
  drawLines();
  clearTimeout(timer);
  timer = setTimeout(check, 400);
}

function load(text) {
  box.value = text;
  document.getElementById("trial-card").hidden = true;
  document.getElementById("saved").textContent = "";
  check();
}

async function open(id) {
  show("editor-error", null);
  if (!id) {
    load(t.editor_blank);
    showVersions(null);
    return;
  }
  const s = await api("GET", `/api/scenarios/${encodeURIComponent(id)}`);
  // her school's own: its next version; the library's or another school's: a copy of hers
  load(s.editable ? s.yaml : s.yaml.replace(/^id:\s*\S+/m, `id: ${s.id}-2`));
  // her own keeps its sharing as it was saved; a copy is shared unless she says not
  document.getElementById("shared").checked = s.editable ? s.shared : true;
  showVersions(s.editable ? s : null);
}

function showVersions(s) {
  document.getElementById("versions-card").hidden = !s || !s.versions.length;
  if (!s) return;
  document.getElementById("versions").replaceChildren(...s.versions.map((v) => el("li",
    { "data-version": v.version },
    say({ id: "editor_version", version: v.version, title: v.title,
      saved: new Date(v.created).toLocaleString(lang === "fi" ? "fi-FI" : "en-GB") }))));
}

async function save() {
  show("editor-error", null);
  try {
    const saved = await api("POST", "/api/scenarios",
      { yaml: box.value, shared: document.getElementById("shared").checked });
    showVersions(await api("GET", `/api/scenarios/${encodeURIComponent(saved.id)}`));
    document.getElementById("saved").replaceChildren(
      say({ id: "editor_saved", version: saved.version, scenario: saved.id }), " ",
      el("a", { href: "/teach", text: t.editor_to_library }));
  } catch (error) {
    if (error.problems && error.problems.length) {
      // the file's problems beside their lines, as the check shows them
      showProblems(error.problems);
      drawLines(error.problems);
      show("editor-error", new Error(t.editor_not_saved));
      return;
    }
    show("editor-error", error);
  }
}

async function trial() {
  show("editor-error", null);
  const card = document.getElementById("trial-card");
  document.getElementById("trial-intro").textContent = t.editor_trial_running;
  card.hidden = false;
  for (const id of ["trial-kpis", "trial-cases", "trial-timeline"]) {
    document.getElementById(id).replaceChildren();
  }
  try {
    const d = await api("POST", "/api/scenario-trials", { yaml: box.value });
    nameDevices(d.devices);
    document.getElementById("trial-intro").textContent = say({ id: "editor_trial_ran",
      start: clock(d.start), until: clock(d.until), zone: d.time_zone });
    document.getElementById("trial-kpis").replaceChildren(...summary(d.kpis));
    document.getElementById("trial-cases").replaceChildren(...caseRows(d.kpis));
    document.getElementById("trial-timeline").replaceChildren(...d.timeline
      .filter((r) => r.kind !== "sensor")
      .map((r) => el("li", { class: r.kind, text: `${clock(r.ts)} ${r.who} – ${r.text}` })));
  } catch (error) {
    card.hidden = true;
    show("editor-error", error);
  }
}

function readFile(file) {
  // the file as UTF-8 (a byte-order mark is dropped); any other encoding is refused
  file.arrayBuffer().then((bytes) => {
    try {
      load(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch {
      show("editor-error", new Error(say({ id: "file_not_utf8" })));
    }
  });
}

async function main() {
  const scenarios = await api("GET", "/api/scenarios");
  const select = document.getElementById("from");
  for (const s of scenarios) {
    const whose = s.source === "library" ? t.editor_library
      : s.editable ? t.editor_ours : say({ id: "editor_shared_by", org: s.org });
    select.append(el("option", { value: s.id, text: `${s.title} (${whose})` }));
  }
  const wanted = new URLSearchParams(location.search).get("from");
  if (wanted && scenarios.some((s) => s.id === wanted)) select.value = wanted;
  await open(select.value);
}

box.addEventListener("input", later);
box.addEventListener("scroll", follow);
box.addEventListener("keydown", (event) => {
  // Tab writes two spaces (YAML takes no tabs); Shift+Tab leaves the box as usual
  if (event.key !== "Tab" || event.shiftKey) return;
  event.preventDefault();
  box.setRangeText("  ", box.selectionStart, box.selectionEnd, "end");
  later();
});
document.getElementById("from-form").addEventListener("submit", (event) => {
  event.preventDefault();
  open(document.getElementById("from").value).catch((error) => show("editor-error", error));
});
document.getElementById("file").addEventListener("change", (event) => {
  if (event.target.files.length) readFile(event.target.files[0]);
});
document.getElementById("save").addEventListener("click", save);
document.getElementById("trial").addEventListener("click", trial);

main().catch((error) => show("editor-error", error));
