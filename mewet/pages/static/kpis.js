// The KPIs as the debrief shows them (and the scenario editor's test run): each target over
// its cases, the worst with its case, and every case with the alarms that joined it.
import { byName, clock, el, number, roleName, say, t } from "./api.js";

const status = (s) => (t.status && t.status[s]) || s;

function minutes(value) {
  return value === null || value === undefined ? "–" : `${number(value)} min`;
}

function worst(row) {
  // as mewet.scenarios.care.kpis.worst_said says it
  const w = row.worst;
  if (!w) return say({ id: "kpi_no_worst" });
  if (row.target_min === null) return say({ id: "kpi_worst_case_plain", case: w.case });
  const kind = ["fall", "visit", "case"].find((k) => k in w);
  return say({ id: `kpi_worst_${kind}`, case: w.case, fall: w.fall, visit: w.visit,
    value: w.value_min, measured: w.value_min !== null && w.value_min !== undefined });
}

export function summary(k) {
  const names = { answer: t.kpi_answer, help: t.kpi_help, long_lie: t.kpi_long_lie,
    find: t.kpi_find, escalation: t.kpi_escalation, documentation: t.kpi_documentation,
    closure: t.kpi_closure, punctuality: t.kpi_punctuality };
  return [
    el("tr", {}, ...[t.kpi, t.kpi_cases, t.kpi_worst, t.target, t.kpi_status]
      .map((h) => el("th", { scope: "col", text: h }))),
    ...Object.entries(k.summary).map(([target, row]) => el("tr",
      { class: row.status.replace(" ", "-"), "data-target": target },
      el("th", { scope: "row", text: names[target] }),
      el("td", { text: say({ id: "kpi_tally", met: row.met, missed: row.missed,
        waiting: row["not yet"], na: row["not applicable"] }) }),
      el("td", { class: "worst", text: worst(row) }),
      el("td", { text: minutes(row.target_min) }),
      el("td", { class: "status", text: status(row.status) }))),
  ];
}

export function caseRows(k) {
  return [
    el("tr", {}, ...[t.case, t.raised, t.answered, t.on_site, t.kpi_answer, t.kpi_help]
      .map((h) => el("th", { scope: "col", text: h }))),
    ...k.cases.map((c) => el("tr", { "data-case": c.id },
      el("td", {}, `${c.id}: ${say({ id: "case_alarm", event_type: c.event_type,
        device: c.device })}`, ...c.joined.map((j) => el("small", { class: "joined",
        text: say({ id: "case_joined", ...j }) })),
        ...(c.closed_early ? [el("small", { class: "closed-early", text: t.closed_early_mark })]
          : [])),
      el("td", { text: clock(c.raised) }),
      el("td", { text: `${clock(c.answered)} ${c.answered_by ? byName(c.answered_by) : ""}` }),
      el("td", { text: `${clock(c.on_site)} ${c.on_site_role ? roleName(c.on_site_role) : ""}` }),
      el("td", { text: `${minutes(c.answer_min)} ${status(c.status.answer)}` }),
      el("td", { text: `${minutes(c.help_min)} ${status(c.status.help)}` }))),
  ];
}
