// The load and verdict panel: the open-loop load generator (start, rate, stop) with its
// counters, and the checker's verdict on the last run.

import { $, el, setText } from "/static/app.js";
import { _ } from "/static/i18n.js";
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
    statRows($("#load-stats"), [[_("state"), _("no run yet")]]);
    setText($("#load-answers"), "");
    return;
  }
  statRows($("#load-stats"), [
    [_("state"), load.state + (load.message ? ` — ${load.message}` : "")],
    [_("run"), load.prefix],
    [_("bookings/s"), _("{achieved} of {rate} asked", { achieved: load.achieved.toFixed(1), rate: load.rate })],
    [_("bookings"), _("{ok} booked of {sent} sent", { ok: load.bookings_ok, sent: load.bookings })],
    [_("in flight"), load.inflight + (load.missed ? _(" ({missed} ticks missed: the lab is not keeping up)", { missed: load.missed }) : "")],
    [_("time"), `${load.elapsed.toFixed(0)} s`],
    ...(load.record ? [[_("record"), load.record]] : []),
  ]);
  setText($("#load-answers"), Object.entries(load.answers).map(([k, n]) => `${k} ×${n}`).join(" · "));
}

function updateVerdict(check, load) {
  const word = $("#verdict-word");
  const detail = $("#verdict-detail");
  const canCheck = load && load.state === "stopped" && (!check || check.state !== "checking");
  $("#check").disabled = !canCheck;
  if (!check) {
    setText(word, load && load.state === "stopped" ? _("ready to check the last run") : _("no verdict yet"));
    word.dataset.verdict = "";
    if (detail.dataset.key !== "") {
      detail.dataset.key = "";
      detail.replaceChildren();
    }
    return;
  }
  if (check.state === "checking") {
    setText(word, _("checking… ({secs} s: a canary travels through the pipeline first)", { secs: check.elapsed.toFixed(0) }));
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
    setText(word, _("no verdict: {reason}", { reason: check.message }));
    word.dataset.verdict = "error";
    return;
  }
  const r = check.result;
  setText(word, { clean: _("CLEAN"), violated: _("VIOLATED"), inconclusive: _("INCONCLUSIVE") }[r.verdict]
    || r.verdict.toUpperCase());
  word.dataset.verdict = r.verdict;
  const key = JSON.stringify(r);
  if (detail.dataset.key === key) return;
  detail.dataset.key = key;
  const counts = Object.entries(r.counts);
  const checked = Object.entries(r.checked || {});
  detail.replaceChildren(
    el("p", { text: _("{run} · design {design} · judged in {secs} s", { run: check.prefix, design: r.design, secs: check.elapsed.toFixed(0) }) }),
    counts.length
      ? el("table", { class: "compact" },
        el("caption", { text: _("Violations") }),
        el("thead", {}, el("tr", {}, el("th", { scope: "col", text: _("invariant") }), el("th", { scope: "col", class: "num", text: _("count") }), el("th", { scope: "col", text: _("for example") }))),
        el("tbody", {}, ...counts.map(([k, n]) => el("tr", {},
          el("th", { scope: "row", text: k }), el("td", { class: "num", text: n }),
          el("td", { class: "small-text", text: (r.examples[k] || []).join(" | ") })))))
      : el("p", { text: r.verdict === "clean" ? _("Every invariant holds.") : _("Nothing wrong in what has settled.") }),
    unsettledPart(r),
    checked.length ? el("p", { class: "hint", text: `checked: ${checked.map(([k, v]) => `${k} ${v}`).join(" · ")}` }) : null,
  );
}

// The liveness half, apart from the verdict: what had not settled, and what waits on it.
function unsettledPart(r) {
  const stages = Object.entries(r.unsettled || {});
  const pending = Object.entries(r.pending || {});
  if (!stages.length && !pending.length) return null;
  const how = (s) => (s.rate ? _("falling {rate}/s, done in ~{eta} s", { rate: s.rate, eta: s.eta })
    : (s.moving ? _("moving") : _("not moving")));
  const waiting = pending.map(([k, n]) => `${k} ×${n}`).join(", ");
  return el("p", { class: "hint", text: _("Not settled yet: ")
    + (stages.map(([g, s]) => `${g} lag ${s.lag} (${how(s)})`).join("; ") || _("the canary did not come out"))
    + (pending.length ? _(" · waiting on it, not judged: {what}", { what: waiting }) : "")
    + _(" · check again when it has drained.") });
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
