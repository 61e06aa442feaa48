// The faults panel: a component's verbs, a consumer's faults, MongoDB's and Connect's, the
// design switch (the designs this lab offers, as the server lists them), the organisers' new
// event, and the activity list of the jobs they started. Its selects follow the components
// each snapshot lists.

import { $, $$, el, setText, keyedRows, clock } from "/static/app.js";
import { _ } from "/static/i18n.js";
import { act, num, say } from "/static/control-actions.js";

let designTouched = false;

function fillSelect(select, names, keepFirst = false) {
  const key = names.join(",");
  if (select.dataset.key === key) return;
  select.dataset.key = key;
  const chosen = select.value;
  const first = keepFirst ? [select.options[0]] : [];
  select.replaceChildren(...first, ...names.map((n) => el("option", { value: n, text: n })));
  if (names.includes(chosen) || (keepFirst && chosen === "")) select.value = chosen;
}

// The designs this lab knows, as the server says (boletia.config.DESIGNS).
export function designRadios(designs, current) {
  if (!Array.isArray(designs) || !designs.length) return;
  const shown = $$("input[name=design]").map((r) => r.value);
  if (shown.join() === designs.join()) return;
  const chosen = ($("input[name=design]:checked") || {}).value || current || designs[0];
  $("#designs").replaceChildren(...designs.map((d) => el("label", { class: "check" },
    el("input", { type: "radio", name: "design", value: d, checked: d === chosen }), ` ${d}`)));
}

const jobItems = new Map();
function updateJobs(jobs) {
  keyedRows($("#jobs"), jobItems, jobs, (j) => j.id, () => ({ tr: el("li", {}) }), (row, j) => {
    setText(row.tr, `${clock(j.started)} · ${j.label}: ${j.state}${j.state === "failed" ? ` — ${j.message}` : ""}`);
    row.tr.dataset.state = j.state;
  });
}

// The autoscaler's panel: its state, its last reading of the group's lag, and its decisions.
function updateAutoscale(a) {
  const running = a && ["running", "stopping"].includes(a.state);
  $("#autoscale-start").disabled = Boolean(running);
  $("#autoscale-stop").disabled = !running;
  if (!a) {
    setText($("#autoscale-state"), _("not running"));
    return;
  }
  const r = a.reading || {};
  const reading = r.lag === undefined ? _("no reading yet")
    : _("lag {lag}: {members} member(s) running, {wanted} wanted (at most {partitions}: its largest topic's partitions)", r);
  const policy = _("target {target} per member, {lo} to {hi} members",
    { target: a.policy.target_lag, lo: a.policy.min_members, hi: a.policy.max_members });
  const state = a.message ? `${a.state} — ${a.message}` : a.state;
  setText($("#autoscale-state"), [a.consumer, state, policy, reading].join(" · "));
  const list = $("#autoscale-decisions");
  const key = JSON.stringify(a.decisions);
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  list.replaceChildren(...a.decisions.slice().reverse().map((d) => el("li", {
    text: _("at {at} s: {from} → {to} member(s), {why}", { at: d.at_s, from: d.members, to: d.to, why: d.why }),
  })));
}

export function updateFaults(snap) {
  if (!designTouched && snap.design) {
    for (const r of $$("input[name=design]")) r.checked = r.value === snap.design;
  }
  const comps = snap.components || [];
  fillSelect($("#component"), comps.map((c) => c.name));
  const consumers = comps.filter((c) => c.kind === "consumer" && !/-\d+$/.test(c.name)).map((c) => c.name);
  fillSelect($("#consumer"), consumers);
  const apis = comps.filter((c) => c.kind === "service" && !/-\d+$/.test(c.name)).map((c) => c.name);
  fillSelect($("#scale-component"), [...consumers, "connect", ...apis]);
  fillSelect($("#autoscale-consumer"), consumers);
  updateAutoscale((snap.control || {}).autoscale);
  fillSelect($("#fail-service"), comps.filter((c) => (c.kind === "service" || c.kind === "consumer")
    && !/-\d+$/.test(c.name)).map((c) => c.name), true);
  updateJobs((snap.control || {}).jobs || []);
}

export function wireFaults() {
  for (const b of $$("[data-verb]")) {
    b.addEventListener("click", () => act(b, "/api/admin/component", { component: $("#component").value, verb: b.dataset.verb }));
  }
  $("#crash").addEventListener("click", (e) => act(e.currentTarget, "/api/admin/fault",
    { fault: "crash", consumer: $("#consumer").value, times: num("#crash-times") }));
  $("#slow").addEventListener("click", (e) => act(e.currentTarget, "/api/admin/fault",
    { fault: "slow", consumer: $("#consumer").value, seconds: num("#slow-seconds") }));
  $("#fail-writes").addEventListener("click", (e) => act(e.currentTarget, "/api/admin/fault",
    { fault: "fail-writes", times: num("#fail-times"), service: $("#fail-service").value || null }));
  $("#replay-sink").addEventListener("click", (e) => act(e.currentTarget, "/api/admin/fault", { fault: "replay-sink" }));
  $("#clear-faults").addEventListener("click", (e) => act(e.currentTarget, "/api/admin/fault", { fault: "clear" }));
  $("#scale").addEventListener("click", (e) => act(e.currentTarget, "/api/admin/scale",
    { component: $("#scale-component").value, members: num("#scale-members") }));
  $("#autoscale-start").addEventListener("click", (e) => act(e.currentTarget, "/api/admin/autoscale", {
    consumer: $("#autoscale-consumer").value, target_lag: num("#autoscale-target"), max_members: num("#autoscale-max"),
  }));
  $("#autoscale-stop").addEventListener("click", (e) => act(e.currentTarget, "/api/admin/autoscale/stop", {}));
  $("#designs").addEventListener("change", () => { designTouched = true; });
  $("#switch-design").addEventListener("click", async (e) => {
    const chosen = $("input[name=design]:checked");
    await act(e.currentTarget, "/api/admin/design", { design: chosen ? chosen.value : null });
    designTouched = false;
  });
  $("#create-event").addEventListener("click", async (e) => {
    const answer = await act(e.currentTarget, "/api/admin/event", { nombre: $("#new-event").value, capacidad: num("#new-capacity") });
    if (answer.ok) say($("#action-result"), _("event {name} created ({id})", { name: answer.data.Nombre || "", id: answer.data.Id || "" }), "ok");
  });
}
