// The messages panel: the last messages on each topic, decoded as the source connector wrote
// them, newest first; an open message stays open while new ones arrive.

import { $, el } from "/static/app.js";

const tailLists = {};
export function updateTails(snap) {
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
