// The panels of tables fed by the snapshots: the components (under the diagram), each consumer
// group's lag with its sparkline, messages per topic, and Kafka Connect's connectors.

import { $, el, svg, setText, keyedRows } from "/static/app.js";
import { _ } from "/static/i18n.js";
import { STATE_TEXT, total } from "/static/control-diagram.js";

const HISTORY = 120;                         // lag samples kept per group (sparklines)

const componentRows = new Map();
export function updateComponents(snap) {
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
export function updateLag(snap) {
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
      const chart = svg("svg", { viewBox: "0 0 240 44", class: "spark", role: "img", "aria-label": _("lag of {group} over the last two minutes", { group: g }) },
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
      setText(row.maxText, _("max {max}", { max }));
    });
}

const topicRows = new Map();
export function updateTopics(snap) {
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
export function updateConnectors(snap) {
  const c = snap.connectors || {};
  const w = c.worker || {};
  const stale = snap.errors && snap.errors.connectors;
  setText($("#connect-worker"), stale ? _("Connect does not answer: {reason}", { reason: stale })
    : w.version ? _("worker {version}, Kafka cluster {cluster}", { version: w.version, cluster: w.cluster }) : "");
  keyedRows($("#connectors-table tbody"), connectorRows, Object.entries(c.connectors || {}), ([n]) => n,
    ([n]) => {
      const cells = [el("th", { scope: "row", text: n }), el("td"), el("td", { class: "state" }), el("td", { class: "state" })];
      return { tr: el("tr", {}, ...cells), cells };
    },
    (row, [, v]) => {
      setText(row.cells[1], v.type);
      setText(row.cells[2], v.state);
      row.cells[2].dataset.state = v.state;
      setText(row.cells[3], v.tasks.length ? v.tasks.join(" ") : _("no task"));
      row.cells[3].dataset.state = v.tasks.length && v.tasks.every((t) => t === "RUNNING") ? "RUNNING" : "FAILED";
    });
}
