import { api, remember, show, signOutButton } from "./api.js";

signOutButton();
document.getElementById("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new URLSearchParams(new FormData(event.target));
  try {
    const token = await api("POST", "/api/auth/token", form);
    remember({ token: token.access_token });
    const me = await api("GET", "/api/auth/me");
    remember({ token: token.access_token, role: me.role, name: me.name });
    location.href = me.role === "company" ? "/devices" : "/teach";
  } catch (error) {
    show("signin-error", error);
  }
});
