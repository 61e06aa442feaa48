// What both faces share: DOM helpers that never parse HTML, calls to this server, the live
// stream, and the admin token kept for this tab only.

import { _ } from "/static/i18n.js";

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

// An element with attributes and children; text is always set as text, never as HTML.
export function el(tag, attrs = {}, ...children) {
  const node = attrs.svg
    ? document.createElementNS("http://www.w3.org/2000/svg", tag)
    : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "svg" || value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.setAttribute("class", value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const svg = (tag, attrs = {}, ...children) => el(tag, { ...attrs, svg: true }, ...children);

// Set a node's text only when it changed (no flicker, no lost selection).
export function setText(node, text) {
  const value = String(text ?? "");
  if (node && node.textContent !== value) node.textContent = value;
}

export const STATE_WORDS = { A: _("active"), X: _("cancelled"), C: _("event suspended") };

// ---------------------------------------------------------------- the admin token
const TOKEN_KEY = "boletia-admin-token";
export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) || "",
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

// ---------------------------------------------------------------- calls to this server
// Returns {status, ok, data}; never throws for an HTTP error (the page shows the message).
export async function call(method, path, { body, admin = false, headers: extra = {} } = {}) {
  const headers = { Accept: "application/json", ...extra };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (admin) headers.Authorization = `Bearer ${token.get()}`;
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store", credentials: "same-origin",
    });
  } catch (err) {
    return { status: 0, ok: false, data: { error: _("the control room's server does not answer ({reason})", { reason: err.message }) } };
  }
  let data;
  try {
    data = await response.json();
  } catch {
    data = { error: _("unexpected answer ({status})", { status: response.status }) };
  }
  return { status: response.status, ok: response.ok, data };
}

// What went wrong, in the words of whoever answered.
export function message(answer) {
  const d = answer.data;
  if (d && typeof d === "object") return d.error || d.message || JSON.stringify(d);
  return String(d);
}

// ---------------------------------------------------------------- the live stream
// Server-sent events read through fetch, so the control room can send its token in a header
// (EventSource cannot). Reconnects by itself; reports "live", "reconnecting" or "unauthorized".
export function stream({ admin = false, onSnapshot, onState }) {
  let stopped = false;
  let controller = null;
  let delay = 1000;

  async function once() {
    controller = new AbortController();
    const headers = { Accept: "text/event-stream" };
    if (admin) headers.Authorization = `Bearer ${token.get()}`;
    const response = await fetch(admin ? "/api/stream?view=control" : "/api/stream",
      { headers, signal: controller.signal, cache: "no-store" });
    if (response.status === 401) {
      onState("unauthorized");
      stopped = true;
      return;
    }
    if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
    onState("live");
    delay = 1000;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split("\n").filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).trimStart()).join("\n");
        if (data) onSnapshot(JSON.parse(data));
      }
    }
  }

  (async () => {
    while (!stopped) {
      try {
        await once();
      } catch (err) {
        if (stopped) return;
      }
      if (stopped) return;
      onState("reconnecting");
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 8000);
    }
  })();

  return { stop() { stopped = true; if (controller) controller.abort(); } };
}

// "live" / "reconnecting" / "unauthorized", and how old the last snapshot is.
export function liveBadge(node) {
  let state = "connecting";
  let last = 0;
  const render = () => {
    const age = last ? (Date.now() - last) / 1000 : null;
    const words = {
      live: age !== null && age > 5 ? _("live (last update {age} s ago)", { age: age.toFixed(0) }) : _("live"),
      connecting: _("connecting…"),
      reconnecting: _("connection lost: reconnecting…"),
      unauthorized: _("not authorised"),
    }[state];
    setText(node, words);
    node.dataset.state = state === "live" && age !== null && age > 5 ? "late" : state;
  };
  setInterval(render, 1000);
  return {
    state(s) { state = s; render(); },
    tick() { last = Date.now(); render(); },
  };
}

export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

export function clock(epochSeconds) {
  if (!epochSeconds) return "";
  return new Date(epochSeconds * 1000).toLocaleTimeString();
}

// Rows kept by key and updated in place, in the order of `items`: never rebuilt, so focus, open
// messages and highlights survive a refresh. `make(item)` returns { tr, ... }.
export function keyedRows(tbody, map, items, key, make, update) {
  const seen = new Set();
  let previous = null;
  for (const item of items) {
    const k = key(item);
    seen.add(k);
    let row = map.get(k);
    if (!row) {
      row = make(item);
      map.set(k, row);
    }
    const expected = previous ? previous.nextSibling : tbody.firstChild;
    if (expected !== row.tr) tbody.insertBefore(row.tr, expected);
    previous = row.tr;
    update(row, item);
  }
  for (const [k, row] of map) {
    if (!seen.has(k)) {
      row.tr.remove();
      map.delete(k);
    }
  }
}
