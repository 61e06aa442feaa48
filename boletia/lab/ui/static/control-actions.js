// What every button of the control room does: one admin call, its outcome said beside it.
// A refused token signs the instructor out (the entry module says how).

import { call, message, setText } from "/static/app.js";

let onRefused = () => {};
export function whenRefused(handler) {
  onRefused = handler;
}

export function say(node, text, kind) {
  setText(node, text);
  node.dataset.kind = kind || "";
}

export async function act(button, path, body, out = document.querySelector("#action-result")) {
  button.disabled = true;
  say(out, "…", "busy");
  const answer = await call("POST", path, { body, admin: true });
  button.disabled = false;
  if (answer.status === 401) {
    onRefused("The token was refused: enter it again.");
    return answer;
  }
  const job = answer.data && answer.data.job;
  if (answer.status === 200 && job) say(out, `${job.label}: done`, "ok");
  else if (answer.status === 202 && job) say(out, `${job.label}: under way (see Activity)`, "busy");
  else if (answer.ok) say(out, "done", "ok");
  else say(out, `Refused (${answer.status}): ${message(answer)}`, "error");
  return answer;
}

// A number field's value: null when empty, the text itself when not a number (the server says why).
export function num(selector) {
  const raw = document.querySelector(selector).value.trim();
  return raw === "" ? null : Number.isFinite(Number(raw)) ? Number(raw) : raw;
}
