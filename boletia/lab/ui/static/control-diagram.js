// The architecture panel: the lab drawn from the component list the server serves
// (GET /api/admin/layout: boxes by row and column, the arrows between them), laid out here in
// pixels, then updated in place from each snapshot. Nothing about the lab is written in here:
// a consumer added to boletia/lab/components.py appears under the first topic it reads.

import { $, svg, setText } from "/static/app.js";
import { _ } from "/static/i18n.js";

const OX = 190;                 // the left gutter holds MongoDB's, Connect's and Kafka's states
const X0 = 60;                  // the first column's left edge, after the gutter
const COLW = 340;               // a column's pitch: a box and the channel beside it
const W = 240;                  // a box's width (the last column's boxes are narrower)
const WX = 170;
const H = 84;
const ROW_Y = [20, 170, 362, 530];          // services, collections, topics, consumers
const BAND = { y: 292, h: 36 };             // Kafka Connect, between collections and topics
const GAP = COLW - W;
const CSS_KIND = { watchdog: "service" };   // drawn like a service
export const STATE_TEXT = { running: _("running"), paused: _("PAUSED"), stopped: _("STOPPED"), dead: _("DEAD") };

let picture = null;
const refs = {};                // node id -> its svg elements
const gutter = {};
let sinkLabel = null;
let connectLabel = null;

function boxOf(n) {
  const last = n.col >= picture.columns - 1;
  return { x: OX + X0 + n.col * COLW, y: ROW_Y[n.row], w: last ? WX : W, h: H };
}
const centre = (b) => b.x + b.w / 2;

// Where each arrow leaves and arrives: arrows between neighbouring rows share a box's top or
// bottom side in the order of their other ends (no crossing at the box); an arrow alone on a
// side lines up with its other end when it can (straight down). Arrows that climb two rows
// (a consumer writing back) run up the channel beside the consumer, and same-row arrows go
// side to side.
function route(edges, boxes) {
  const sides = {};
  const at = (id, side) => (sides[`${id}:${side}`] = sides[`${id}:${side}`] || []);
  const kinds = edges.map((e) => {
    const a = boxes[e.from];
    const b = boxes[e.to];
    if (a.y === b.y) return "level";
    if (Math.abs(a.y - b.y) > ROW_Y[2] - ROW_Y[1] + H) return "climb";
    return "straight";
  });
  edges.forEach((e, i) => {
    if (kinds[i] !== "straight") return;
    const a = boxes[e.from];
    const b = boxes[e.to];
    const down = b.y > a.y;
    at(e.from, down ? "bottom" : "top").push({ i, other: centre(b) });
    at(e.to, down ? "top" : "bottom").push({ i, other: centre(a) });
  });
  const slot = {};
  for (const [key, list] of Object.entries(sides)) {
    const b = boxes[key.split(":")[0]];
    list.sort((p, q) => p.other - q.other);
    list.forEach((p, k) => { slot[`${p.i}:${key}`] = { x: b.x + (b.w * (k + 1)) / (list.length + 1), alone: list.length === 1 }; });
  }
  const climbs = {};
  return edges.map((e, i) => {
    const a = boxes[e.from];
    const b = boxes[e.to];
    if (kinds[i] === "level") {
      const y = a.y + a.h / 2;
      const [x1, x2] = centre(b) > centre(a) ? [a.x + a.w, b.x] : [a.x, b.x + b.w];
      return { pts: [[x1, y], [x2, y]], label: [(x1 + x2) / 2, y + 22], anchor: "middle" };
    }
    if (kinds[i] === "climb") {
      const left = centre(b) <= centre(a);
      const side = `${e.from}:${left ? "left" : "right"}`;
      const k = (climbs[side] = (climbs[side] || 0) + 1) - 1;
      const x0 = left ? a.x : a.x + a.w;
      // a gap can hold a right-going climb of the consumer on its left and a left-going one of
      // the consumer on its right (inventario's and reembolsos'): 8 px either side of its middle
      const channel = left ? a.x - GAP / 2 + 8 - 12 * k : a.x + a.w + GAP / 2 - 8 + 12 * k;
      // a left-going climb leaves lower, with its label under its first leg, a right-going one
      // its label above: the two labels share the gap without covering each other
      const y0 = a.y + (left ? 40 : 28) + 26 * k;
      const y1 = b.y + b.h - (left ? 34 : 22) - 10 * k;
      const x1 = channel < b.x ? b.x : b.x + b.w;
      return { pts: [[x0, y0], [channel, y0], [channel, y1], [x1, y1]],
        label: [left ? x0 - 6 : x0 + 6, left ? y0 + 16 : y0 - 6], anchor: left ? "end" : "start" };
    }
    const down = b.y > a.y;
    const s = slot[`${i}:${e.from}:${down ? "bottom" : "top"}`];
    const t = slot[`${i}:${e.to}:${down ? "top" : "bottom"}`];
    let x0 = s.x;
    let x1 = t.x;
    const inside = (x, box) => x > box.x + 12 && x < box.x + box.w - 12;
    if (s.alone && inside(x1, a)) x0 = x1;
    else if (t.alone && inside(x0, b)) x1 = x0;
    const y0 = down ? a.y + a.h : a.y;
    const y1 = down ? b.y : b.y + b.h;
    // labels of the arrows that cross Connect's band sit just above the topics, off the band
    const ly = e.kind === "source" || e.kind === "sink" ? ROW_Y[2] - 14 : (y0 + y1) / 2 + 5;
    const lx = x0 + ((x1 - x0) * (ly - y0)) / (y1 - y0);
    // a source's label left of its arrow: the sink's leaves the same topics row to the right
    const left = e.kind === "source";
    return { pts: [[x0, y0], [x1, y1]], label: [left ? lx - 8 : lx + 8, ly], anchor: left ? "end" : "start" };
  });
}

// Build the diagram once, from the layout the server sent.
export function buildDiagram(layout) {
  picture = layout;
  const root = $("#diagram");
  root.replaceChildren(...[...root.children].filter((c) => c.tagName === "title" || c.tagName === "desc"));
  const boxes = Object.fromEntries(layout.nodes.map((n) => [n.id, boxOf(n)]));
  const right = Math.max(...Object.values(boxes).map((b) => b.x + b.w)) + 20;
  root.setAttribute("viewBox", `0 0 ${right} ${ROW_Y[3] + H + 26}`);
  const defs = svg("defs");
  for (const kind of ["http", "source", "sink", "consumer"]) {
    defs.append(svg("marker", { id: `arrow-${kind}`, viewBox: "0 0 10 10", refX: 9, refY: 5,
      markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
    svg("path", { d: "M0,0 L10,5 L0,10 z", class: `head ${kind}` })));
  }
  root.append(defs);
  const frame = (row) => {
    const inRow = layout.nodes.filter((n) => n.row === row).map((n) => boxes[n.id]);
    const x = Math.min(...inRow.map((b) => b.x)) - 20;
    const w = Math.max(...inRow.map((b) => b.x + b.w)) + 20 - x;
    root.append(svg("rect", { x, y: ROW_Y[row] - 20, width: w, height: H + 40, rx: 10, class: "frame" }));
  };
  frame(1);
  root.append(svg("rect", { x: OX + X0 - 20, y: BAND.y, width: right - 20 - (OX + X0 - 20), height: BAND.h, rx: 8, class: "band", id: "connect-band" }));
  frame(2);
  connectLabel = svg("text", { x: OX + X0 - 8, y: BAND.y + 25, class: "band-label" }, "");
  root.append(connectLabel);
  const label = (y, text, cls) => {
    const t = svg("text", { x: 8, y, class: cls }, text);
    root.append(t);
    return t;
  };
  label(ROW_Y[1] + 26, "MongoDB", "gutter-title");
  gutter[layout.gutter.mongo] = label(ROW_Y[1] + 52, "", "gutter-state");
  label(BAND.y + 14, "Connect", "gutter-title");
  gutter[layout.gutter.connect] = label(BAND.y + 38, "", "gutter-state");
  label(ROW_Y[2] + 10, "Kafka", "gutter-title");
  for (const [i, b] of layout.gutter.brokers.entries()) gutter[b] = label(ROW_Y[2] + 36 + i * 24, "", "gutter-state");
  const routes = route(layout.edges, boxes);
  layout.edges.forEach((e, i) => {
    const r = routes[i];
    const d = r.pts.map(([x, y], k) => `${k ? "L" : "M"}${x},${y}`).join(" ");
    const dashed = e.kind === "consumer" && !e.flow && r.pts.length > 2;
    const cls = `edge ${e.kind}${e.flow ? " flow" : ""}${dashed ? " dashed" : ""}`;
    root.append(svg("path", { d, class: cls, "marker-end": `url(#arrow-${e.kind})`, "data-edge": `${e.from}>${e.to}` }));
    if (e.label) {
      const t = svg("text", { x: r.label[0], y: r.label[1], "text-anchor": r.anchor, class: `edge-label ${e.kind}${e.flow ? " flow" : ""}` }, e.label);
      if (e.kind === "sink") sinkLabel = t;
      root.append(t);
    }
  });
  for (const n of layout.nodes) {
    const b = boxes[n.id];
    const rect = svg("rect", { x: b.x, y: b.y, width: b.w, height: b.h, rx: 8, class: `node ${CSS_KIND[n.kind] || n.kind}` });
    const title = svg("text", { x: b.x + 12, y: b.y + 28, class: "node-title" }, n.title);
    const line2 = svg("text", { x: b.x + 12, y: b.y + 54, class: "node-line" }, n.sub || "");
    const line3 = svg("text", { x: b.x + 12, y: b.y + 76, class: "node-line strong" }, "");
    const g = svg("g", { class: `node-group${n.flow ? " flow" : ""}`, "data-node": n.id }, rect, title, line2, line3);
    root.append(g);
    refs[n.id] = { g, line2, line3 };
  }
}

// A group's lag over all its topics.
export function total(perTopic) {
  return Object.values(perTopic || {}).reduce((a, b) => a + b, 0);
}

export function updateDiagram(snap) {
  if (!picture) return;
  const states = Object.fromEntries((snap.components || []).map((c) => [c.name, c.state]));
  const lag = snap.lag || {};
  const topics = snap.topics || {};
  const brokers = picture.gutter.brokers;
  for (const n of picture.nodes) {
    const ref = refs[n.id];
    let state = n.comp ? states[n.comp] || "unknown" : null;
    if (n.kind === "topic") {
      const up = brokers.filter((b) => states[b] === "running").length;
      state = up > brokers.length / 2 ? "running" : up === 0 ? "stopped" : "paused";
      const t = topics[n.topic];
      setText(ref.line2, t ? _("{rate} msg/s", { rate: t.rate.toFixed(1) }) : _("? msg/s"));
      setText(ref.line3, t ? _("{count} messages", { count: t.end.toLocaleString() }) : "");
    } else if (n.kind === "consumer") {
      setText(ref.line2, _("consumer · {state}", { state: STATE_TEXT[state] || state }));
      const l = lag[n.group];
      setText(ref.line3, l ? _("lag {lag}", { lag: total(l) }) : _("lag ?"));
      ref.g.dataset.lagging = l && total(l) > 0 ? "yes" : "no";
    } else if (n.kind === "collection") {
      setText(ref.line3, "");
    } else {
      setText(ref.line3, STATE_TEXT[state] || state || "");
    }
    ref.g.dataset.state = state || "running";
  }
  const word = (name) => STATE_TEXT[states[name]] || states[name] || "?";
  for (const [name, node] of Object.entries(gutter)) {
    setText(node, brokers.includes(name) ? `${name} ${word(name)}` : word(name));
    node.dataset.state = states[name] || "unknown";
  }
  const conns = (snap.connectors && snap.connectors.connectors) || {};
  const connText = Object.entries(conns).map(([name, c]) => `${name} ${c.state}`).join(" · ");
  setText(connectLabel, connText || (snap.errors && snap.errors.connectors ? _("Connect does not answer") : ""));
  const bad = Object.values(conns).some((c) => c.state !== "RUNNING" || c.tasks.some((t) => t !== "RUNNING"));
  const connect = states[picture.gutter.connect];
  $("#connect-band").dataset.state = connect !== "running" ? connect || "unknown" : bad ? "paused" : "running";
  const sinkLag = lag[picture.sink.group];
  if (sinkLabel) setText(sinkLabel, sinkLag ? _("sink · lag {lag}", { lag: total(sinkLag) }) : "sink");
}
