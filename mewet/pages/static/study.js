// Self-study: the assignment's code and a name, then a role; the run begins and its key is
// shown once, to come back with later (here, with the code and the key).
import { api, el, remember, roleName, show, t } from "./api.js";

const code = document.getElementById("code");
const given = new URLSearchParams(location.search).get("code") || "";
code.value = given;
document.getElementById("resume-code").value = given;

document.getElementById("begin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  show("begin-error", null);
  try {
    const found = await api("GET", `/api/study/${encodeURIComponent(code.value.trim())}`);
    document.getElementById("assignment-title").textContent = found.title;
    document.getElementById("assignment-open").textContent = found.open
      ? `${t.study_open_until} ${new Date(found.closes).toLocaleString(t.lang)}`
      : t.study_closed;
    const list = document.getElementById("role-list");
    list.replaceChildren(...found.roles.map((role) => {
      const button = el("button", { type: "button", "data-role": role, disabled: !found.open },
        `${t.study_begin}: ${roleName(role)}`);
      button.addEventListener("click", () => begin(role));
      return el("li", {}, button);
    }));
    document.getElementById("roles").hidden = false;
  } catch (error) {
    show("begin-error", error);
  }
});

async function begin(role) {
  const name = document.getElementById("name").value.trim();
  const idNumber = document.getElementById("id-number").value.trim();
  try {
    const run = await api("POST", `/api/study/${encodeURIComponent(code.value.trim())}`,
      { name, role, ...(idNumber ? { id_number: idNumber } : {}) });
    remember({ token: run.access_token, role, name, exercise: run.exercise });
    document.getElementById("roles").hidden = true;
    document.getElementById("key-told").textContent = t.study_key_told.replace("{key}", run.key);
    document.getElementById("go").href = `/play/${run.exercise}`;
    document.getElementById("begun").hidden = false;
    document.getElementById("go").focus();
  } catch (error) {
    show("role-error", error);
  }
}

document.getElementById("resume-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  show("resume-error", null);
  try {
    const given = encodeURIComponent(document.getElementById("resume-code").value.trim());
    const run = await api("POST", `/api/study/${given}/resume`,
      { key: document.getElementById("key").value.trim() });
    remember({ token: run.access_token, role: run.role, exercise: run.exercise });
    location.href = `/play/${run.exercise}`;
  } catch (error) {
    show("resume-error", error);
  }
});
