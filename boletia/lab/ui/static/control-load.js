// The load and verdict panel: the open-loop load generator (start, rate, stop) with its
// counters, and the checker's verdict on the last run.

import { $, el, setText } from "/static/app.js";
import { act, num } from "/static/control-actions.js";

function statRows(dl, pairs) {
  const wanted = pairs.map(([k, v]) => `${k}\u0000${v}`).join("\u0001");
  if (dl.dataset.key === wanted) return;
  dl.dataset.key = wanted;
  dl.replaceChildren(...pairs.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
}

function updateLoad(load) {
  const running = load && ["preparing", "running", "stopping"].includes(load.state);
  $("#load-start").disabled = Boolean(running);
  $("#load-stop").disabled = !running;
  if (!load) {
    statRows($("#load-stats"), [["state", "no run yet"]]);
    setText($("#load-answers"), "");
    return;
  }
  statRows($("#load-stats"), [
    ["state", load.state + (load.message ? ` — ${load.message}` : "")],
    ["run", load.prefix],
    ["bookings/s", `${load.achieved.toFixed(1)} of ${load.rate} asked`],
    ["bookings", `${load.bookings_ok} booked of ${load.bookings} sent`],
    ["in flight", `${load.inflight}${load.missed ? ` (${load.missed} ticks missed: the lab is not keeping up)` : ""}`],
    ["time", `${load.elapsed.toFixed(0)} s`],
    ...(load.record ? [["record", load.record]] : []),
  ]);
  setText($("#load-answers"), Object.entries(load.answers).map(([k, n]) => `${k} ×${n}`).join(" · "));
}

function updateVerdict(check, load) {
  const word = $("#verdict-word");
  const detail = $("#verdict-detail");
  const canCheck = load && load.state === "stopped" && (!check || check.state !== "checking");
  $("#check").disabled = !canCheck;
  if (!check) {
    setText(word, load && load.state === "stopped" ? "ready to check the last run" : "no verdict yet");
    word.dataset.verdict = "";
    if (detail.dataset.key !== "") {
      detail.dataset.key = "";
      detail.replaceChildren();
    }
    return;
  }
  if (check.state === "checking") {
    setText(word, `checking… (${check.elapsed.toFixed(0)} s: a canary travels through the pipeline first)`);
    word.dataset.verdict = "checking";
    // the drain's progress while it waits on a backlog: stage, lag, rate, estimate
    const line = check.progress || "";
    if (detail.dataset.key !== `progress ${line}`) {
      detail.dataset.key = `progress ${line}`;
      detail.replaceChildren(line ? el("p", { class: "hint", text: line }) : "");
    }
    return;
  }
  if (check.state === "error") {
    setText(word, `no verdict: ${check.message}`);
    word.dataset.verdict = "error";
    return;
  }
  const r = check.result;
  setText(word, r.verdict.toUpperCase());
  word.dataset.verdict = r.verdict;
  const key = JSON.stringify(r);
  if (detail.dataset.key === key) return;
  detail.dataset.key = key;
  const counts = Object.entries(r.counts);
  const checked = Object.entries(r.checked || {});
  detail.replaceChildren(
    el("p", { text: `${check.prefix} · design ${r.design} · judged in ${check.elapsed.toFixed(0)} s` }),
    counts.length
      ? el("table", { class: "compact" },
        el("caption", { text: "Violations" }),
        el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "invariant" }), el("th", { scope: "col", class: "num", text: "count" }), el("th", { scope: "col", text: "for example" }))),
        el("tbody", {}, ...counts.map(([k, n]) => el("tr", {},
          el("th", { scope: "row", text: k }), el("td", { class: "num", text: n }),
          el("td", { class: "small-text", text: (r.examples[k] || []).join(" | ") })))))
      : el("p", { text: r.verdict === "clean" ? "Every invariant holds." : "Nothing wrong in what has settled." }),
    unsettledPart(r),
    checked.length ? el("p", { class: "hint", text: `checked: ${checked.map(([k, v]) => `${k} ${v}`).join(" · ")}` }) : null,
  );
}

// The liveness half, apart from the verdict: what had not settled, and what waits on it.
function unsettledPart(r) {
  const stages = Object.entries(r.unsettled || {});
  const pending = Object.entries(r.pending || {});
  if (!stages.length && !pending.length) return null;
  const how = (s) => (s.rate ? `falling ${s.rate}/s, done in ~${s.eta} s` : (s.moving ? "moving" : "not moving"));
  return el("p", { class: "hint", text: "Not settled yet: "
    + (stages.map(([g, s]) => `${g} lag ${s.lag} (${how(s)})`).join("; ") || "the canary did not come out")
    + (pending.length ? ` · waiting on it, not judged: ${pending.map(([k, n]) => `${k} ×${n}`).join(", ")}` : "")
    + " · check again when it has drained." });
}

let current = null;                          // the last snapshot's load run
export function updateLoadPanel(snap) {
  const control = snap.control || {};
  current = control.load;
  updateLoad(control.load);
  updateVerdict(control.check, control.load);
}

export function wireLoad() {
  $("#rate").addEventListener("input", () => setText($("#rate-out"), $("#rate").value));
  $("#rate").addEventListener("change", () => {
    if (current && ["preparing", "running"].includes(current.state)) {
      act($("#rate"), "/api/admin/load/rate", { rate: Number($("#rate").value) }, $("#load-result"))
        .then(() => $("#rate").focus());
    }
  });
  $("#load-start").addEventListener("click", (e) => act(e.currentTarget, "/api/admin/load", {
    rate: Number($("#rate").value), events: num("#load-events"), capacity: num("#load-capacity"),
    cancel_ratio: num("#load-cancel") === null ? null : Number(num("#load-cancel")) / 100,
  }, $("#load-result")));
  $("#load-stop").addEventListener("click", (e) => act(e.currentTarget, "/api/admin/load/stop", {}, $("#load-result")));
  $("#check").addEventListener("click", (e) => act(e.currentTarget, "/api/admin/check", {}, $("#load-result")));
}
