// The box office: what a customer sees. Availability comes live from the hub's stream;
// bookings and cancels go to the public reservas API through this page's server, and its
// answers are shown as the API wrote them.

import {
  $, el, setText, call, message, stream, liveBadge, keyedRows, STATE_WORDS, plural,
} from "/static/app.js";
import { _ } from "/static/i18n.js";

const SHOW_AT_MOST = 40;          // rows of the events table shown at once
const FOLLOW_FOR = 30000;         // ms a booking or cancel is followed until its email arrives
const MY_BOOKINGS = "boletia-my-bookings"; // this session's bookings: {email: {id: secret}}
const KEEP_AT_MOST = 30;          // bookings kept per address (the server looks up as many)

const live = liveBadge($("#live"));
const eventRows = new Map();      // event Id -> {tr, cells}
const myRows = new Map();         // reservation Id -> {tr, cells}
const mailItems = new Map();      // SES message id -> {tr: li}
let inventory = [];
let datalistKey = "";
let following = 0;                // the newest follow() wins

// ---------------------------------------------------------------- events, live
function eventRow(ev) {
  const cells = {
    name: el("th", { scope: "row" }),
    category: el("td"),
    left: el("td", { class: "num big" }),
    state: el("td"),
  };
  const button = el("button", {
    type: "button", class: "small", "aria-label": _("Book {event}", { event: ev.Nombre }), text: _("Book"),
    onclick: () => {
      $("#book-event").value = ev.Nombre;
      $("#book-qty").focus();
      $("#book-qty").select();
    },
  });
  const tr = el("tr", {}, cells.name, cells.category, cells.left, cells.state, el("td", {}, button));
  return { tr, cells, button };
}

function renderEvents() {
  const filter = $("#filter").value.trim().toLowerCase();
  const showSuspended = $("#show-cancelled").checked;
  const tbody = $("#events-table tbody");
  const sorted = [...inventory].sort((a, b) => (a.Id < b.Id ? 1 : a.Id > b.Id ? -1 : 0));
  let shown = 0;
  let matching = 0;
  keyedRows(tbody, eventRows, sorted, (ev) => ev.Id, eventRow, (row, ev) => {
    setText(row.cells.name, ev.Nombre);
    setText(row.cells.category, ev.Categoria);
    if (row.cells.left.textContent !== String(ev.Disponible) && row.cells.left.textContent !== "") {
      row.cells.left.classList.remove("changed");
      void row.cells.left.offsetWidth; // restart the highlight
      row.cells.left.classList.add("changed");
    }
    setText(row.cells.left, ev.Disponible);
    setText(row.cells.state, ev.Estado === "A" ? _("on sale") : _("suspended"));
    row.tr.dataset.state = ev.Estado;
    row.button.disabled = ev.Estado !== "A";
    const match = (showSuspended || ev.Estado === "A")
      && (!filter || String(ev.Nombre).toLowerCase().includes(filter));
    if (match) matching += 1;
    const visible = match && shown < SHOW_AT_MOST;
    if (visible) shown += 1;
    row.tr.hidden = !visible;
  });
  setText($("#events-count"), matching > shown
    ? _("Showing {shown} of {matching} events: type in “Find an event” to narrow the list.", { shown, matching })
    : plural(matching, _("event"), _("events")));
  const names = sorted.filter((e) => e.Estado === "A").map((e) => e.Nombre);
  const key = names.join("\u0000");
  if (key !== datalistKey) {
    datalistKey = key;
    $("#event-names").replaceChildren(...names.map((n) => el("option", { value: n })));
  }
}

function onSnapshot(snap) {
  live.tick();
  if (Array.isArray(snap.inventory)) {
    inventory = snap.inventory;
    renderEvents();
  }
  const problem = snap.errors && snap.errors.inventory;
  setText($("#events-error"), problem
    ? _("The ticket office does not answer right now: the numbers below may be out of date.") : "");
}

$("#filter").addEventListener("input", renderEvents);
$("#show-cancelled").addEventListener("change", renderEvents);
stream({ onSnapshot, onState: (s) => live.state(s) });

// ---------------------------------------------------------------- booking
function say(node, text, kind) {
  setText(node, text);
  node.dataset.kind = kind || "";
}

// A booking's secret (field Clave of its answer; none in the seed design) is kept in this
// tab's session only: it is what shows this customer their reservations and emails, and
// what a cancel sends. Whoever types another's address sees nothing of theirs.
function myBookings(email) {
  const all = JSON.parse(sessionStorage.getItem(MY_BOOKINGS) || "{}");
  return all[email] || {};
}

function remember(email, id, secret) {
  const all = JSON.parse(sessionStorage.getItem(MY_BOOKINGS) || "{}");
  const mine = Object.entries(all[email] || {}).filter(([k]) => k !== id);
  mine.push([id, secret || ""]);
  all[email] = Object.fromEntries(mine.slice(-KEEP_AT_MOST));
  sessionStorage.setItem(MY_BOOKINGS, JSON.stringify(all));
  sessionStorage.setItem("boletia-email", email);
}

$("#book-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const result = $("#book-result");
  const evento = $("#book-event").value;
  const email = $("#book-email").value.trim();
  const raw = $("#book-qty").value.trim();
  const cantidad = raw === "" ? null : Number.isFinite(Number(raw)) ? Number(raw) : raw;
  const button = $("#book-button");
  button.disabled = true;
  say(result, _("Booking…"), "busy");
  const answer = await call("POST", "/api/book", { body: { evento, cantidad, email } });
  button.disabled = false;
  if (answer.ok) {
    const r = answer.data;
    const tickets = plural(r.Cantidad, _("ticket"), _("tickets"));
    say(result, _("Booked: reservation {id}, {tickets} for {event}. Your reservation and its email follow in a moment.",
      { id: r.Id, tickets, event: r.Evento }), "ok");
    remember(r.Email, r.Id, r.Clave);
    $("#mine-email").value = r.Email;
    follow(r.Email, r.Id, "A");
  } else {
    say(result, _("Not booked ({status}): {message}", { status: answer.status, message: message(answer) }), "error");
  }
});

// ---------------------------------------------------------------- my reservations and emails
async function fetchMine(email) {
  const params = new URLSearchParams({ email });
  return call("GET", `/api/my?${params}`,
    { headers: { "X-Boletia-Claves": JSON.stringify(myBookings(email)) } });
}

function myRow(r) {
  const cells = { id: el("td", { class: "mono" }), event: el("td"), qty: el("td", { class: "num" }), state: el("td") };
  const button = el("button", {
    type: "button", class: "small danger", text: _("Cancel"),
    "aria-label": _("Cancel reservation {id} for {event}", { id: r.Id, event: r.Evento }),
    onclick: () => cancel(r),
  });
  const tr = el("tr", {}, cells.id, cells.event, cells.qty, cells.state, el("td", {}, button));
  return { tr, cells, button };
}

function renderMine(data) {
  keyedRows($("#mine-table tbody"), myRows, data.reservations, (r) => r.Id, myRow, (row, r) => {
    setText(row.cells.id, r.Id);
    setText(row.cells.event, r.Evento);
    setText(row.cells.qty, r.Cantidad);
    setText(row.cells.state, `${r.Estado} · ${STATE_WORDS[r.Estado] || r.Estado}`);
    row.tr.dataset.state = r.Estado;
    row.tr.dataset.id = r.Id;
    row.button.disabled = r.Estado !== "A";
  });
  keyedRows($("#mail-list"), mailItems, data.emails, (m) => m.id, mailItem, () => {});
}

function mailItem(m) {
  const meta = m.reserva
    ? _("reservation {id}", { id: m.reserva }) + ` · ${m.estado} · ${STATE_WORDS[m.estado] || ""}`
    : _("not one of Boletia's notifications");
  return {
    tr: el("li", { "data-reserva": m.reserva || "", "data-estado": m.estado || "" },
      el("h3", { text: m.subject || "(no subject)" }),
      el("p", { class: "hint", text: meta }),
      el("pre", { text: m.body || "" })),
  };
}

async function showMine(email, quiet = false) {
  const status = $("#mine-status");
  if (!quiet) say(status, _("Looking…"), "busy");
  const answer = await fetchMine(email);
  if (!answer.ok) {
    say(status, _("Cannot show them ({status}): {message}", { status: answer.status, message: message(answer) }), "error");
    return null;
  }
  renderMine(answer.data);
  const d = answer.data;
  const problems = [...(d.problems || []), ...(d.mail_error ? [d.mail_error] : [])];
  if (!quiet) {
    const reservations = plural(d.reservations.length, _("reservation"), _("reservations"));
    const emails = plural(d.emails.length, _("email"), _("emails"));
    say(status, _("{reservations} and {emails} for {email}.", { reservations, emails, email: d.email })
      + (problems.length ? ` (${problems.join("; ")})` : ""),
      problems.length ? "error" : "ok");
  }
  return d;
}

// Follow a booking or a cancel until the reservation shows `estado` and its email arrived:
// the reservation is written asynchronously, by a consumer, so the page waits as an app would.
async function follow(email, id, estado) {
  const mine = ++following;
  const status = $("#mine-status");
  const started = Date.now();
  const words = estado === "A" ? _("the reservation") : _("the cancellation");
  say(status, _("Waiting for {what} to travel through Kafka…", { what: words }), "busy");
  while (mine === following && Date.now() - started < FOLLOW_FOR) {
    const d = await showMine(email, true);
    const r = d && d.reservations.find((x) => x.Id === id);
    const mail = d && d.emails.find((m) => m.reserva === id && m.estado === estado);
    if (r && r.Estado === estado && mail) {
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      say(status, _("Reservation {id} is {state}, and its email arrived (after {secs} s).", { id, state: STATE_WORDS[estado], secs }), "ok");
      return;
    }
    if (r && r.Estado === estado) say(status, _("Reservation {id} is {state}; waiting for its email…", { id, state: STATE_WORDS[estado] }), "busy");
    await new Promise((res) => setTimeout(res, 1000));
  }
  if (mine === following) {
    say(status, _("Still waiting for {what} after {secs} s: is a consumer stopped? Press Show to look again.",
      { what: words, secs: FOLLOW_FOR / 1000 }), "error");
  }
}

async function cancel(r) {
  const status = $("#mine-status");
  say(status, _("Cancelling {id}…", { id: r.Id }), "busy");
  const secret = myBookings(r.Email)[r.Id] || "";
  const answer = await call("DELETE", `/api/reservas/${encodeURIComponent(r.Id)}`,
    { headers: secret ? { "X-Boletia-Clave": secret } : {} });
  if (answer.ok) {
    say(status, message(answer), "ok");
    follow(r.Email, r.Id, "X");
  } else {
    say(status, _("Not cancelled ({status}): {message}", { status: answer.status, message: message(answer) }), "error");
  }
}

$("#mine-form").addEventListener("submit", (e) => {
  e.preventDefault();
  following += 1; // stop following an earlier booking
  const email = $("#mine-email").value.trim();
  if (email) sessionStorage.setItem("boletia-email", email);
  showMine(email);
});

const lastEmail = sessionStorage.getItem("boletia-email");
if (lastEmail) {
  $("#mine-email").value = lastEmail;
  $("#book-email").value = lastEmail;
  showMine(lastEmail);
}
