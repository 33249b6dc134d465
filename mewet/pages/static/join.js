import { api, el, remember, roleName, show, t } from "./api.js";

const code = document.getElementById("code");
code.value = new URLSearchParams(location.search).get("code") || "";

document.getElementById("code-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  show("code-error", null);
  try {
    const found = await api("GET", `/api/join/${encodeURIComponent(code.value.trim())}`);
    document.getElementById("exercise-title").textContent = found.title;
    const list = document.getElementById("role-list");
    list.replaceChildren(...found.roles.map((role) => el("li", {},
      el("button", { type: "button", "data-role": role, onclick: () => join(role) },
        `${t.join_as}: ${roleName(role)}`),
      found.taken.includes(role) ? el("span", { class: "muted", text: ` (${t.role_taken})` }) : null,
    )));
    document.getElementById("roles").hidden = false;
    list.querySelector("button").focus();
  } catch (error) {
    show("code-error", error);
  }
});

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
