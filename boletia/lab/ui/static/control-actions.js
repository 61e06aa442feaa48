// What every button of the control room does: one admin call, its outcome said beside it.
// An action still under way when the server answers (202) is followed: its outcome replaces
// "under way" when a snapshot lists its job ended (unless another action spoke there since).
// A refused token signs the instructor out (the entry module says how).

import { call, message, setText } from "/static/app.js";
import { _ } from "/static/i18n.js";

let onRefused = () => {};
export function whenRefused(handler) {
  onRefused = handler;
}

export function say(node, text, kind) {
  setText(node, text);
  node.dataset.kind = kind || "";
}

const pending = new Map();                   // job id -> [where its outcome goes, what it says now]
const underWay = (job) => _("{label}: under way (see Activity)", { label: job.label });

function outcome(out, job) {
  if (job.state === "done") say(out, _("{label}: done", { label: job.label }), "ok");
  else say(out, `${job.label}: ${job.state} — ${job.message}`, "error");
}

// Each snapshot's jobs: the outcome of an action that was under way, once it ended.
export function settle(jobs) {
  for (const job of jobs || []) {
    const waiting = pending.get(job.id);
    if (!waiting || job.state === "running") continue;
    pending.delete(job.id);
    const [out, said] = waiting;
    if (out.textContent === said) outcome(out, job);
  }
}

export async function act(button, path, body, out = document.querySelector("#action-result")) {
  button.disabled = true;
  say(out, "…", "busy");
  const answer = await call("POST", path, { body, admin: true });
  button.disabled = false;
  if (answer.status === 401) {
    onRefused(_("The token was refused: enter it again."));
    return answer;
  }
  const job = answer.data && answer.data.job;
  if (answer.status === 200 && job) say(out, _("{label}: done", { label: job.label }), "ok");
  else if (answer.status === 202 && job) {
    say(out, underWay(job), "busy");
    pending.set(job.id, [out, underWay(job)]);
  }
  else if (answer.ok) say(out, _("done"), "ok");
  else say(out, _("Refused ({status}): {message}", { status: answer.status, message: message(answer) }), "error");
  return answer;
}

// A number field's value: null when empty, the text itself when not a number (the server says why).
export function num(selector) {
  const raw = document.querySelector(selector).value.trim();
  return raw === "" ? null : Number.isFinite(Number(raw)) ? Number(raw) : raw;
}
