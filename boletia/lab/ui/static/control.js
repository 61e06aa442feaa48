// The control room: the lab drawn live from the hub's snapshots, and the instructor's buttons.
// Every element is updated in place (never rebuilt), so keyboard focus and open messages stay.

import {
  $, $$, el, svg, setText, call, message, stream, liveBadge, token, plural, clock, keyedRows,
} from "/static/app.js";

const live = liveBadge($("#live"));
const HISTORY = 120;                         // lag samples kept per group (sparklines)
let current = null;                          // the last snapshot
let designTouched = false;
let streamHandle = null;

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

// ---------------------------------------------------------------- the diagram
const NODES = {
  "api-eventos": { x: 60, y: 20, w: 240, h: 84, title: "eventos API :8070", comp: "eventos", kind: "service" },
  "api-reservas": { x: 660, y: 20, w: 260, h: 84, title: "reservas API :8071", comp: "reservas", kind: "service", flow: true },
  "col-eventos": { x: 60, y: 170, w: 240, h: 84, title: "eventos", sub: "collection", comp: "mongo", kind: "collection" },
  "col-inventario": { x: 380, y: 170, w: 240, h: 84, title: "inventario", sub: "collection", comp: "mongo", kind: "collection", flow: true },
  "col-reservas": { x: 740, y: 170, w: 240, h: 84, title: "reservas", sub: "collection", comp: "mongo", kind: "collection", flow: true },
  "top-eventos": { x: 60, y: 362, w: 240, h: 84, title: "boletia.eventos", topic: "boletia.eventos", kind: "topic" },
  "top-inventario": { x: 380, y: 362, w: 240, h: 84, title: "boletia.inventario", topic: "boletia.inventario", kind: "topic", flow: true },
  "top-reservas": { x: 740, y: 362, w: 240, h: 84, title: "boletia.reservas", topic: "boletia.reservas", kind: "topic", flow: true },
  "top-dead": { x: 1010, y: 362, w: 170, h: 84, title: "dead letters", topic: "boletia.dead-letter", kind: "topic" },
  "con-inventario": { x: 380, y: 530, w: 240, h: 84, title: "inventario", sub: "consumer", comp: "inventario", group: "inventario", kind: "consumer", flow: true },
  "con-notificaciones": { x: 740, y: 530, w: 240, h: 84, title: "notificaciones", sub: "consumer", comp: "notificaciones", group: "notificaciones", kind: "consumer", flow: true },
  ses: { x: 1010, y: 530, w: 170, h: 84, title: "SES", sub: "moto", comp: "ses", kind: "external", flow: true },
  watchdog: { x: 60, y: 530, w: 240, h: 84, title: "watchdog", sub: "restarts connectors", comp: "watchdog", kind: "service" },
};
const EDGES = [
  { pts: [[180, 104], [180, 170]], kind: "http", label: "insert / cancel", at: [190, 142] },
  { pts: [[720, 104], [560, 170]], kind: "http", label: "findAndModify", at: [540, 132], flow: true },
  { pts: [[860, 104], [860, 170]], kind: "http", label: "cancel (X)", at: [870, 142] },
  { pts: [[130, 254], [130, 362]], kind: "source", label: "source", at: [140, 345] },
  { pts: [[470, 254], [470, 362]], kind: "source", label: "source", at: [480, 345], flow: true },
  { pts: [[800, 254], [800, 362]], kind: "source", label: "source", at: [810, 345], flow: true },
  { pts: [[250, 362], [400, 254]], kind: "sink", label: "sink", at: [300, 345], id: "edge-sink" },
  { pts: [[470, 446], [470, 530]], kind: "consumer", flow: true },
  { pts: [[780, 446], [600, 530]], kind: "consumer", flow: true },
  { pts: [[880, 446], [880, 530]], kind: "consumer", flow: true },
  { pts: [[620, 556], [655, 556], [655, 230], [620, 230]], kind: "consumer", label: "refund", at: [624, 549], dashed: true },
  { pts: [[620, 590], [700, 590], [700, 240], [740, 240]], kind: "consumer", label: "insert / C", at: [624, 612], flow: true },
  { pts: [[980, 572], [1010, 572]], kind: "consumer", label: "email", at: [975, 630], flow: true },
];
const OX = 190;                              // the left gutter holds MongoDB's, Connect's and Kafka's states
const nodeRefs = {};
const gutter = {};
let sinkLabel = null;
let connectLabel = null;

function buildDiagram() {
  const root = $("#diagram");
  root.setAttribute("viewBox", `0 0 ${1200 + OX} 640`);
  const defs = svg("defs");
  for (const kind of ["http", "source", "sink", "consumer"]) {
    defs.append(svg("marker", { id: `arrow-${kind}`, viewBox: "0 0 10 10", refX: 9, refY: 5,
      markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
    svg("path", { d: "M0,0 L10,5 L0,10 z", class: `head ${kind}` })));
  }
  root.append(defs);
  root.append(svg("rect", { x: OX - 20, y: 150, width: 960, height: 124, rx: 10, class: "frame" }));
  root.append(svg("rect", { x: OX - 20, y: 292, width: 1140, height: 36, rx: 8, class: "band", id: "connect-band" }));
  root.append(svg("rect", { x: OX - 20, y: 342, width: 1150, height: 124, rx: 10, class: "frame" }));
  connectLabel = svg("text", { x: OX - 8, y: 317, class: "band-label" }, "");
  root.append(connectLabel);
  const label = (y, text, cls) => {
    const t = svg("text", { x: 8, y, class: cls }, text);
    root.append(t);
    return t;
  };
  label(196, "MongoDB", "gutter-title");
  gutter.mongo = label(222, "", "gutter-state");
  label(306, "Connect", "gutter-title");
  gutter.connect = label(330, "", "gutter-state");
  label(372, "Kafka", "gutter-title");
  for (const [i, b] of ["kafka-1", "kafka-2", "kafka-3"].entries()) gutter[b] = label(398 + i * 24, "", "gutter-state");
  for (const e of EDGES) {
    const d = e.pts.map(([x, y], i) => `${i ? "L" : "M"}${x + OX},${y}`).join(" ");
    const cls = `edge ${e.kind}${e.flow ? " flow" : ""}${e.dashed ? " dashed" : ""}`;
    root.append(svg("path", { d, class: cls, "marker-end": `url(#arrow-${e.kind})` }));
    if (e.label) {
      const t = svg("text", { x: e.at[0] + OX, y: e.at[1], class: `edge-label ${e.kind}${e.flow ? " flow" : ""}` }, e.label);
      if (e.id === "edge-sink") sinkLabel = t;
      root.append(t);
    }
  }
  for (const [key, n] of Object.entries(NODES)) {
    const x = n.x + OX;
    const rect = svg("rect", { x, y: n.y, width: n.w, height: n.h, rx: 8, class: `node ${n.kind}` });
    const title = svg("text", { x: x + 12, y: n.y + 28, class: "node-title" }, n.title);
    const line2 = svg("text", { x: x + 12, y: n.y + 54, class: "node-line" }, n.sub || "");
    const line3 = svg("text", { x: x + 12, y: n.y + 76, class: "node-line strong" }, "");
    const g = svg("g", { class: `node-group${n.flow ? " flow" : ""}`, "data-node": key }, rect, title, line2, line3);
    root.append(g);
    nodeRefs[key] = { g, rect, line2, line3 };
  }
}

const STATE_TEXT = { running: "running", paused: "PAUSED", stopped: "STOPPED", dead: "DEAD" };

function total(perTopic) {
  return Object.values(perTopic || {}).reduce((a, b) => a + b, 0);
}

function updateDiagram(snap) {
  const states = Object.fromEntries((snap.components || []).map((c) => [c.name, c.state]));
  const lag = snap.lag || {};
  const topics = snap.topics || {};
  for (const [key, n] of Object.entries(NODES)) {
    const ref = nodeRefs[key];
    let state = n.comp ? states[n.comp] || "unknown" : null;
    if (n.kind === "topic") {
      const brokers = ["kafka-1", "kafka-2", "kafka-3"].filter((b) => states[b] === "running").length;
      state = brokers >= 2 ? "running" : brokers === 0 ? "stopped" : "paused";
      const t = topics[n.topic];
      setText(ref.line2, t ? `${t.rate.toFixed(1)} msg/s` : "? msg/s");
      setText(ref.line3, t ? `${t.end.toLocaleString()} messages` : "");
    } else if (n.kind === "consumer") {
      setText(ref.line2, `consumer · ${STATE_TEXT[state] || state}`);
      const l = lag[n.group];
      setText(ref.line3, l ? `lag ${total(l)}` : "lag ?");
      ref.g.dataset.lagging = l && total(l) > 0 ? "yes" : "no";
    } else if (n.kind === "collection") {
      setText(ref.line3, "");
    } else {
      setText(ref.line3, STATE_TEXT[state] || state || "");
    }
    ref.g.dataset.state = state || "running";
  }
  const word = (name) => STATE_TEXT[states[name]] || states[name] || "?";
  for (const name of ["mongo", "connect", "kafka-1", "kafka-2", "kafka-3"]) {
    setText(gutter[name], name.startsWith("kafka") ? `${name} ${word(name)}` : word(name));
    gutter[name].dataset.state = states[name] || "unknown";
  }
  const conns = (snap.connectors && snap.connectors.connectors) || {};
  const connText = Object.entries(conns).map(([name, c]) => `${name} ${c.state}`).join(" · ");
  setText(connectLabel, connText || (snap.errors && snap.errors.connectors ? "Connect does not answer" : ""));
  const bad = Object.values(conns).some((c) => c.state !== "RUNNING" || c.tasks.some((t) => t !== "RUNNING"));
  $("#connect-band").dataset.state = states.connect !== "running" ? states.connect || "unknown" : bad ? "paused" : "running";
  const sinkLag = lag["connect-mongo-sink"];
  setText(sinkLabel, sinkLag ? `sink · lag ${total(sinkLag)}` : "sink");
}

const componentRows = new Map();
function updateComponents(snap) {
  keyedRows($("#components-table tbody"), componentRows, snap.components || [], (c) => c.name,
    (c) => {
      const cells = [el("th", { scope: "row", text: c.name }), el("td", { class: "state" }), el("td", { class: "num" }), el("td")];
      return { tr: el("tr", {}, ...cells), cells };
    },
    (row, c) => {
      setText(row.cells[1], STATE_TEXT[c.state] || c.state);
      row.cells[1].dataset.state = c.state;
      setText(row.cells[2], c.pid || "–");
      setText(row.cells[3], (c.ports || []).join(", "));
    });
}

const lagRows = new Map();
const lagHistory = {};
function sparkline(values) {
  const w = 240;
  const h = 44;
  const max = Math.max(1, ...values);
  const step = w / (HISTORY - 1);
  const start = HISTORY - values.length;
  const pts = values.map((v, i) => `${((start + i) * step).toFixed(1)},${(h - 2 - (v / max) * (h - 6)).toFixed(1)}`).join(" ");
  return { pts, max };
}
function updateLag(snap) {
  const groups = Object.entries(snap.lag || {});
  for (const [g, per] of groups) {
    const hist = (lagHistory[g] = lagHistory[g] || []);
    hist.push(total(per));
    if (hist.length > HISTORY) hist.shift();
  }
  keyedRows($("#lag-table tbody"), lagRows, groups, ([g]) => g,
    ([g]) => {
      const line = svg("polyline", { class: "spark-line", points: "" });
      const maxText = svg("text", { x: 236, y: 12, class: "spark-max", "text-anchor": "end" }, "");
      const chart = svg("svg", { viewBox: "0 0 240 44", class: "spark", role: "img", "aria-label": `lag of ${g} over the last two minutes` },
        svg("line", { x1: 0, y1: 42, x2: 240, y2: 42, class: "spark-axis" }), line, maxText);
      const cells = [el("th", { scope: "row", text: g }), el("td", { class: "num big" }), el("td", { class: "small-text" }), el("td", {}, chart)];
      return { tr: el("tr", {}, ...cells), cells, line, maxText };
    },
    (row, [g, per]) => {
      const sum = total(per);
      setText(row.cells[1], sum);
      row.tr.dataset.lagging = sum > 0 ? "yes" : "no";
      setText(row.cells[2], Object.entries(per).map(([t, n]) => `${t.replace("boletia.", "")} ${n}`).join(" · "));
      const { pts, max } = sparkline(lagHistory[g]);
      row.line.setAttribute("points", pts);
      setText(row.maxText, `max ${max}`);
    });
}

const topicRows = new Map();
function updateTopics(snap) {
  keyedRows($("#topics-table tbody"), topicRows, Object.entries(snap.topics || {}), ([t]) => t,
    ([t]) => {
      const cells = [el("th", { scope: "row", text: t }), el("td", { class: "num big" }), el("td", { class: "num" })];
      return { tr: el("tr", {}, ...cells), cells };
    },
    (row, [, v]) => {
      setText(row.cells[1], v.rate.toFixed(1));
      setText(row.cells[2], v.end.toLocaleString());
    });
}

const connectorRows = new Map();
function updateConnectors(snap) {
  const c = snap.connectors || {};
  const w = c.worker || {};
  const stale = snap.errors && snap.errors.connectors;
  setText($("#connect-worker"), stale ? `Connect does not answer: ${stale}`
    : w.version ? `worker ${w.version}, Kafka cluster ${w.cluster}` : "");
  keyedRows($("#connectors-table tbody"), connectorRows, Object.entries(c.connectors || {}), ([n]) => n,
    ([n]) => {
      const cells = [el("th", { scope: "row", text: n }), el("td"), el("td", { class: "state" }), el("td", { class: "state" })];
      return { tr: el("tr", {}, ...cells), cells };
    },
    (row, [, v]) => {
      setText(row.cells[1], v.type);
      setText(row.cells[2], v.state);
      row.cells[2].dataset.state = v.state;
      setText(row.cells[3], v.tasks.length ? v.tasks.join(" ") : "no task");
      row.cells[3].dataset.state = v.tasks.length && v.tasks.every((t) => t === "RUNNING") ? "RUNNING" : "FAILED";
    });
}

const tailLists = {};
function updateTails(snap) {
  const tails = snap.tails || {};
  const root = $("#tails");
  for (const [topic, messages] of Object.entries(tails)) {
    let list = tailLists[topic];
    if (!list) {
      const ol = el("ol", { class: "messages" });
      const col = el("div", { class: "tail", "data-topic": topic }, el("h3", { text: topic }), ol);
      root.append(col);
      list = tailLists[topic] = { ol, items: new Map() };
    }
    const wanted = [...messages].reverse();
    const keys = new Set();
    let previous = null;
    for (const m of wanted) {
      const k = `${m.partition}@${m.offset}`;
      keys.add(k);
      let li = list.items.get(k);
      if (!li) {
        li = el("li", {},
          el("details", {},
            el("summary", {},
              el("span", { class: "where", text: `[${m.partition}]@${m.offset}` }), " ",
              el("span", { class: "when", text: new Date(m.timestamp).toLocaleTimeString() }), " ",
              el("span", { class: "what", text: m.summary })),
            el("p", { class: "hint mono", text: `key ${m.key}` }),
            el("pre", { text: m.document })));
        list.items.set(k, li);
      }
      const expected = previous ? previous.nextSibling : list.ol.firstChild;
      if (expected !== li) list.ol.insertBefore(li, expected);
      previous = li;
    }
    for (const [k, li] of list.items) {
      if (!keys.has(k)) {
        li.remove();
        list.items.delete(k);
      }
    }
  }
}

// ---------------------------------------------------------------- the instructor's state
const jobItems = new Map();
function updateJobs(jobs) {
  keyedRows($("#jobs"), jobItems, jobs, (j) => j.id, () => ({ tr: el("li", {}) }), (row, j) => {
    setText(row.tr, `${clock(j.started)} · ${j.label}: ${j.state}${j.state === "failed" ? ` — ${j.message}` : ""}`);
    row.tr.dataset.state = j.state;
  });
}

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
    return;
  }
  if (check.state === "error") {
    setText(word, `no verdict: ${check.message}`);
    word.dataset.verdict = "error";
    return;
  }
  const r = check.result;
  setText(word, r.verdict === "clean" ? "CLEAN" : "VIOLATED");
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
      : el("p", { text: "Every invariant holds." }),
    checked.length ? el("p", { class: "hint", text: `checked: ${checked.map(([k, v]) => `${k} ${v}`).join(" · ")}` }) : null,
  );
}

// ---------------------------------------------------------------- each snapshot
function fillSelect(select, names, keepFirst = false) {
  const key = names.join(",");
  if (select.dataset.key === key) return;
  select.dataset.key = key;
  const chosen = select.value;
  const first = keepFirst ? [select.options[0]] : [];
  select.replaceChildren(...first, ...names.map((n) => el("option", { value: n, text: n })));
  if (names.includes(chosen) || (keepFirst && chosen === "")) select.value = chosen;
}

function onSnapshot(snap) {
  current = snap;
  live.tick();
  setText($("#design"), snap.design || "?");
  if (!designTouched && snap.design) {
    for (const r of $$("input[name=design]")) r.checked = r.value === snap.design;
  }
  const comps = snap.components || [];
  fillSelect($("#component"), comps.map((c) => c.name));
  const consumers = comps.filter((c) => c.kind === "consumer").map((c) => c.name);
  fillSelect($("#consumer"), consumers);
  fillSelect($("#fail-service"), comps.filter((c) => c.kind === "service" || c.kind === "consumer").map((c) => c.name), true);
  const errors = Object.entries(snap.errors || {});
  setText($("#problems"), errors.length
    ? `Not read this time (the last value stays on show): ${errors.map(([k, v]) => `${k}: ${v}`).join("; ")}`
    : "");
  updateDiagram(snap);
  updateComponents(snap);
  updateLag(snap);
  updateTopics(snap);
  updateConnectors(snap);
  updateTails(snap);
  const control = snap.control || {};
  updateJobs(control.jobs || []);
  updateLoad(control.load);
  updateVerdict(control.check, control.load);
}

// ---------------------------------------------------------------- the buttons
function say(node, text, kind) {
  setText(node, text);
  node.dataset.kind = kind || "";
}

async function act(button, path, body, out = $("#action-result")) {
  button.disabled = true;
  say(out, "…", "busy");
  const answer = await call("POST", path, { body, admin: true });
  button.disabled = false;
  if (answer.status === 401) {
    signOut("The token was refused: enter it again.");
    return answer;
  }
  const job = answer.data && answer.data.job;
  if (answer.status === 200 && job) say(out, `${job.label}: done`, "ok");
  else if (answer.status === 202 && job) say(out, `${job.label}: under way (see Activity)`, "busy");
  else if (answer.ok) say(out, "done", "ok");
  else say(out, `Refused (${answer.status}): ${message(answer)}`, "error");
  return answer;
}

for (const b of $$("[data-verb]")) {
  b.addEventListener("click", () => act(b, "/api/admin/component", { component: $("#component").value, verb: b.dataset.verb }));
}
function num(id) {
  const raw = $(id).value.trim();
  return raw === "" ? null : Number.isFinite(Number(raw)) ? Number(raw) : raw;
}
$("#crash").addEventListener("click", (e) => act(e.currentTarget, "/api/admin/fault",
  { fault: "crash", consumer: $("#consumer").value, times: num("#crash-times") }));
$("#slow").addEventListener("click", (e) => act(e.currentTarget, "/api/admin/fault",
  { fault: "slow", consumer: $("#consumer").value, seconds: num("#slow-seconds") }));
$("#fail-writes").addEventListener("click", (e) => act(e.currentTarget, "/api/admin/fault",
  { fault: "fail-writes", times: num("#fail-times"), service: $("#fail-service").value || null }));
$("#replay-sink").addEventListener("click", (e) => act(e.currentTarget, "/api/admin/fault", { fault: "replay-sink" }));
$("#clear-faults").addEventListener("click", (e) => act(e.currentTarget, "/api/admin/fault", { fault: "clear" }));
$("#designs").addEventListener("change", () => { designTouched = true; });

// the designs this lab knows, as the server says (fixed and seed, and any later one)
function designRadios(designs) {
  if (!Array.isArray(designs) || !designs.length) return;
  const shown = $$("input[name=design]").map((r) => r.value);
  if (shown.join() === designs.join()) return;
  const chosen = ($("input[name=design]:checked") || {}).value;
  $("#designs").replaceChildren(...designs.map((d) => el("label", { class: "check" },
    el("input", { type: "radio", name: "design", value: d, checked: d === chosen }), ` ${d}`)));
}
$("#switch-design").addEventListener("click", async (e) => {
  const chosen = $("input[name=design]:checked");
  await act(e.currentTarget, "/api/admin/design", { design: chosen ? chosen.value : null });
  designTouched = false;
});
$("#create-event").addEventListener("click", async (e) => {
  const answer = await act(e.currentTarget, "/api/admin/event", { nombre: $("#new-event").value, capacidad: num("#new-capacity") });
  if (answer.ok) say($("#action-result"), `event ${answer.data.Nombre || ""} created (${answer.data.Id || ""})`, "ok");
});

$("#rate").addEventListener("input", () => setText($("#rate-out"), $("#rate").value));
$("#rate").addEventListener("change", () => {
  const load = current && current.control && current.control.load;
  if (load && ["preparing", "running"].includes(load.state)) {
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
        if (s === "unauthorized") signOut("The token was refused: enter it again.");
      },
    });
  }
}

async function check(candidate) {
  token.set(candidate);
  const answer = await call("GET", "/api/admin/whoami", { admin: true });
  if (answer.ok) {
    designRadios(answer.data.designs);
    enter();
    return;
  }
  signOut(answer.status === 401
    ? "That is not the lab's admin token; `boletia lab token` prints it."
    : `The control room's server answered ${answer.status}: ${message(answer)}`);
}

$("#token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const candidate = $("#token").value.trim();
  if (!candidate) {
    say($("#token-result"), "Enter the token first.", "error");
    return;
  }
  $("#token").value = "";
  check(candidate).then(() => {
    const here = $("nav.views a[aria-current='page']");
    if (!$("#room").hidden && here) here.focus(); // the token field is gone: focus the views
  });
});
$("#forget-token").addEventListener("click", () => signOut("Token forgotten."));

buildDiagram();
if (token.get()) check(token.get());
else signOut();
