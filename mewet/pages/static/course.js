// A learner's course: the code and her name (or the code and her key, to come back), then
// its steps in order: pages to read, scenarios to run alone in a role, and the final test
// once every run has ended. The code and key are kept for this tab only (a school laptop is
// shared): the next day she types them again.
import { api, el, remember, roleName, show, t } from "./api.js";
import { fill, percent, quizPanel } from "./quiz.js";

const HELD = "mewet-course";
const given = new URLSearchParams(location.search).get("code") || "";
document.getElementById("code").value = given;
document.getElementById("resume-code").value = given;
let held = JSON.parse(sessionStorage.getItem(HELD) || "null");
let refreshQuiz = null;

function hold(code, key) {
  held = { code, key };
  sessionStorage.setItem(HELD, JSON.stringify(held));
}

const path = (rest = "") => `/api/course/${encodeURIComponent(held.code)}${rest}`;

document.getElementById("enrol-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  show("enrol-error", null);
  const code = document.getElementById("code").value.trim();
  const idNumber = document.getElementById("id-number").value.trim();
  try {
    const me = await api("POST", `/api/course/${encodeURIComponent(code)}`, {
      name: document.getElementById("name").value.trim(),
      ...(idNumber ? { id_number: idNumber } : {}),
    });
    hold(code, me.key);
    const told = document.getElementById("key-told");
    told.textContent = fill(t.course_key_told, { key: me.key });
    told.hidden = false;
    await shown(me);
  } catch (error) {
    show("enrol-error", error);
  }
});

document.getElementById("resume-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  show("resume-error", null);
  hold(document.getElementById("resume-code").value.trim(),
    document.getElementById("key").value.trim());
  try {
    await shown(await api("POST", path("/me"), { key: held.key }));
  } catch (error) {
    sessionStorage.removeItem(HELD);
    show("resume-error", error);
  }
});

function paragraphs(text) {
  return text.split(/\n\s*\n/).map((p) => el("p", { text: p.trim() }));
}

function step(s, n) {
  const item = el("li", { class: "card", "data-step": String(n), "data-done": String(s.done) },
    el("h3", { text: `${n + 1}. ${s.title}` }),
    el("p", { class: "muted", text: s.done ? t.course_done : t.course_not_done }));
  if (s.kind === "material") {
    const read = el("button", { type: "button", disabled: s.done },
      s.done ? t.course_read : t.course_mark_read);
    read.addEventListener("click", () => act(() => api("POST", path(`/steps/${n}/read`),
      { key: held.key })));
    item.append(el("details", { open: !s.done }, el("summary", { text: t.course_material }),
      ...paragraphs(s.text), read));
    return item;
  }
  if (s.run) {
    item.append(el("p", { text: `${roleName(s.run.role)}: ${t.phase[s.run.phase] || s.run.phase}` }));
    const go = el("button", { type: "button", "data-run": String(n) },
      s.done ? t.course_see_run : t.course_go_on);
    go.addEventListener("click", () => run(n, s.run.role));
    item.append(el("p", {}, go, " ", s.done
      ? el("a", { href: s.run.debrief, text: t.debrief }) : ""));
    return item;
  }
  item.append(el("p", { text: t.choose_role }), el("ul", { class: "choices" },
    ...s.roles.map((role) => {
      const begin = el("button", { type: "button", "data-role": role },
        `${t.study_begin}: ${roleName(role)}`);
      begin.addEventListener("click", () => run(n, role));
      return el("li", {}, begin);
    })));
  return item;
}

async function act(call) {
  show("step-error", null);
  try {
    await shown(await call());
  } catch (error) {
    show("step-error", error);
  }
}

async function run(n, role) {
  show("step-error", null);
  try {
    const mine = await api("POST", path(`/steps/${n}/run`), { key: held.key, role });
    remember({ token: mine.access_token, role: mine.role, exercise: mine.exercise,
      course: held.code });
    location.href = `/play/${mine.exercise}`;
  } catch (error) {
    show("step-error", error);
  }
}

async function shown(me) {
  document.getElementById("enter").hidden = true;
  document.getElementById("progress").hidden = false;
  document.getElementById("course-title").textContent = me.title;
  document.title = `${me.title} – ${t.app}`;
  const done = me.steps.filter((s) => s.done).length;
  let said = fill(t.course_progress, { name: me.name, done, of: me.steps.length });
  said += me.open ? ` · ${t.study_open_until} ${new Date(me.closes).toLocaleString(t.lang)}`
    : ` · ${t.course_closed}`;
  if (me.best_percent !== null) {
    said += ` · ${t.course_test}: ${percent(me.best_percent)} % `
      + `(${me.passed ? t.quiz_passed : t.quiz_failed})`;
  }
  document.getElementById("progress-said").textContent = said;
  document.getElementById("steps").replaceChildren(...me.steps.map(step));
  document.getElementById("test-wait").hidden = me.test_open;
  if (me.certificate) {
    document.getElementById("progress-said").append(" · ",
      el("a", { href: `/certificate/${me.certificate}`, text: t.your_certificate }));
  }
  if (!me.test_open) {
    document.getElementById("quiz").hidden = true;
    return;
  }
  if (!refreshQuiz) {
    refreshQuiz = quizPanel({
      state: async () => {
        const now = await api("POST", path("/me"), { key: held.key });
        return { rules: now.test, left: now.left };
      },
      begin: () => api("POST", path("/test"), { key: held.key }),
      answer: (n, answers) => api("POST", path(`/test/${n}`), { key: held.key, answers }),
    });
  }
  await refreshQuiz();
}

if (held) {
  api("POST", path("/me"), { key: held.key }).then(shown).catch(() => {
    sessionStorage.removeItem(HELD);
  });
}
