// A student joins: the code (and their name), then one of the open roles; a role someone has
// already says who, and asks before a second person joins in it.
import { api, el, remember, roleName, show, t } from "./api.js";

const code = document.getElementById("code");
code.value = new URLSearchParams(location.search).get("code") || "";

document.getElementById("code-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  show("code-error", null);
  try {
    const found = await api("GET", `/api/join/${encodeURIComponent(code.value.trim())}`);
    document.getElementById("exercise-title").textContent =
      [found.title, found.group].filter(Boolean).join(" · ");
    const list = document.getElementById("role-list");
    list.replaceChildren(...found.roles.map((role) => {
      const names = found.taken_by[role] || [];
      const button = el("button", { type: "button", "data-role": role },
        `${t.join_as}: ${roleName(role)}`);
      const note = names.length
        ? el("span", { class: "muted", text: ` (${t.role_taken_by} ${names.join(", ")})` })
        : null;
      button.addEventListener("click", () => choose(role, names, button));
      return el("li", {}, button, note);
    }));
    document.getElementById("roles").hidden = false;
    list.querySelector("button").focus();
  } catch (error) {
    show("code-error", error);
  }
});

function choose(role, names, button) {
  // someone plays this role: say so, and join only when asked again (the same name and
  // role again is the same participant, back on another device)
  const name = document.getElementById("name").value.trim();
  const others = names.filter((n) => n !== name);
  if (others.length && button.dataset.confirm !== "yes") {
    button.dataset.confirm = "yes";
    button.textContent = `${t.join_anyway}: ${roleName(role)}`;
    show("role-error", { message: `${roleName(role)}: ${t.role_taken_by} ${others.join(", ")}. `
      + t.role_taken_confirm });
    return;
  }
  join(role);
}

async function join(role) {
  const name = document.getElementById("name").value.trim();
  try {
    const joined = await api("POST", "/api/join", { code: code.value.trim(), name, role });
    remember({ token: joined.access_token, role, name, exercise: joined.exercise });
    location.href = `/play/${joined.exercise}`;
  } catch (error) {
    show("role-error", error);
  }
}
