// A certificate by its code, as the lab issued it (to check it, print it, or take its PDF).
import { api, show, t } from "./api.js";
import { percent } from "./quiz.js";

const code = decodeURIComponent(location.pathname.split("/").pop());

async function main() {
  const c = await api("GET", `/api/certificates/${encodeURIComponent(code)}`);
  document.getElementById("cert-name").textContent = c.name;
  document.getElementById("cert-title").textContent = c.title;
  document.getElementById("cert-body").textContent =
    c.kind === "course" ? t.cert_body_course : t.cert_body;
  document.getElementById("cert-score").textContent =
    t.cert_score.replace("{percent}", percent(c.percent));
  const date = document.getElementById("cert-date");
  date.dateTime = c.issued;
  date.textContent = new Date(c.issued).toLocaleDateString(t.lang);
  document.getElementById("cert-code").textContent = c.code;
  document.getElementById("cert-pdf").href =
    `/api/certificates/${encodeURIComponent(c.code)}/pdf?lang=${t.lang}`;
  document.getElementById("certificate").hidden = false;
}

main().catch((error) => show("cert-error", error));
