// The control room: the views, the instructor's token, and each snapshot handed to the panels.
// Every panel is a module of its own and updates its elements in place (never rebuilt), so
// keyboard focus and open messages stay:
//   control-diagram.js   the architecture, laid out from the component list (/api/admin/layout)
//   control-tables.js    components, lag, topics, connectors
//   control-messages.js  the last messages on each topic
//   control-faults.js    the fault buttons, the design switch, the organisers, the activity
//   control-load.js      the load generator and the checker's verdict
//   control-actions.js   what a button does (one admin call, its outcome said)

import { $, $$, setText, call, message, stream, liveBadge, token } from "/static/app.js";
import { _ } from "/static/i18n.js";
import { settle, whenRefused, say } from "/static/control-actions.js";
import { buildDiagram, updateDiagram } from "/static/control-diagram.js";
import { designRadios, updateFaults, wireFaults } from "/static/control-faults.js";
import { updateLoadPanel, wireLoad } from "/static/control-load.js";
import { updateTails } from "/static/control-messages.js";
import { updateComponents, updateConnectors, updateLag, updateTopics } from "/static/control-tables.js";

const live = liveBadge($("#live"));
let streamHandle = null;
let laidOut = false;

// ---------------------------------------------------------------- views (URL fragments)
// /control#booking-flow shows the diagram with the booking's path, the lag and the messages.
const VIEWS = {
  overview: ["architecture", "lag", "connectors", "topics", "faults", "load"],
  architecture: ["architecture"],
  "booking-flow": ["architecture", "lag", "topics"],
  lag: ["lag"],
  topics: ["topics"],
  connectors: ["connectors"],
  faults: ["faults", "architecture"],
  load: ["load", "lag"],
  verdict: ["load"],
};

function applyView() {
  const name = VIEWS[location.hash.slice(1)] ? location.hash.slice(1) : "overview";
  document.body.dataset.view = name;
  for (const section of $$("#room > section")) section.hidden = !VIEWS[name].includes(section.id);
  for (const a of $$("nav.views a")) {
    if (a.getAttribute("href") === `#${name}`) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}
window.addEventListener("hashchange", () => {
  applyView();
  window.scrollTo(0, 0);
});
applyView();

// ---------------------------------------------------------------- each snapshot
function onSnapshot(snap) {
  live.tick();
  setText($("#design"), snap.design || "?");
  const errors = Object.entries(snap.errors || {});
  setText($("#problems"), errors.length
    ? _("Not read this time (the last value stays on show): {errors}", { errors: errors.map(([k, v]) => `${k}: ${v}`).join("; ") })
    : "");
  updateDiagram(snap);
  updateComponents(snap);
  updateLag(snap);
  updateTopics(snap);
  updateConnectors(snap);
  updateTails(snap);
  updateFaults(snap);
  updateLoadPanel(snap);
  settle((snap.control || {}).jobs);
}

// ---------------------------------------------------------------- the token
function signOut(why) {
  token.clear();
  if (streamHandle) streamHandle.stop();
  streamHandle = null;
  $("#room").hidden = true;
  $("#forget-token").hidden = true;
  $("#signin").hidden = false;
  say($("#token-result"), why || "", why ? "error" : "");
  $("#token").focus();
}
whenRefused(signOut);

function enter() {
  $("#signin").hidden = true;
  $("#room").hidden = false;
  $("#forget-token").hidden = false;
  applyView();
  if (!streamHandle) {
    streamHandle = stream({
      admin: true, onSnapshot,
      onState: (s) => {
        live.state(s);
        if (s === "unauthorized") signOut(_("The token was refused: enter it again."));
      },
    });
  }
}

async function check(candidate) {
  token.set(candidate);
  const answer = await call("GET", "/api/admin/whoami", { admin: true });
  if (!answer.ok) {
    signOut(answer.status === 401
      ? _("That is not the lab's admin token; `boletia lab token` prints it.")
      : _("The control room's server answered {status}: {message}", { status: answer.status, message: message(answer) }));
    return;
  }
  designRadios(answer.data.designs, answer.data.design);
  if (!laidOut) {
    const layout = await call("GET", "/api/admin/layout", { admin: true });
    if (layout.ok) {
      buildDiagram(layout.data);
      laidOut = true;
    } else {
      setText($("#problems"), _("The diagram's layout was not read ({status}): {message}", { status: layout.status, message: message(layout) }));
    }
  }
  enter();
}

$("#token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const candidate = $("#token").value.trim();
  if (!candidate) {
    say($("#token-result"), _("Enter the token first."), "error");
    return;
  }
  $("#token").value = "";
  check(candidate).then(() => {
    const here = $("nav.views a[aria-current='page']");
    if (!$("#room").hidden && here) here.focus(); // the token field is gone: focus the views
  });
});
$("#forget-token").addEventListener("click", () => signOut(_("Token forgotten.")));

wireFaults();
wireLoad();
if (token.get()) check(token.get());
else signOut();
