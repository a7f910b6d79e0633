// The opening marketplace's pitch queue, live: patches the marketplace's panel, the queue page
// (with the facilitator's controls) and the projector from `pitch:changed` (the whole queue
// state, domain/pitches.py queue_state), and runs the countdowns.
//
// The pages mark the parts:
//   [data-pitch-queue]            a block showing the queue; data-version, data-server-time
//                                 (the server's UTC clock when rendered), data-seconds
//   [data-pitch-current]          shown while someone announces; inside it
//     [data-pitch-current-title], [data-pitch-current-convener]
//   [data-pitch-nobody]           shown while nobody announces
//   [data-pitch-countdown]        data-ends-at (UTC ISO): "0:42", then "Time!"
//   [data-pitch-next]             the list of the next in line (re-drawn)
//   [data-pitch-waiting]          "12 waiting"
//   [data-pitch-if-open] / [data-pitch-if-closed]   shown while the queue is open / closed
//   [data-pitch-hide-closed]      hidden while the queue is closed (unless it holds your place)
//   [data-pitch-current-id]       the facilitator's "next" form field: who they saw announcing
//   [data-pitch-mine="ID"]        your own place; data-state "waiting" or "current";
//     [data-pitch-place]          "Number 3 in line, about 2 minutes to go."
// Each state carries the queue's version: an older one than shown is ignored. Your own place
// turning into your turn (or ending) refetches the page's live regions: only you do that.
import { _, ngettext } from "./i18n.js";

let version = -1;
let offset = 0; // server clock minus this device's clock, in ms
let seconds = 60;
let current = null; // the state's current pitch
let state = null;

function serverNow() {
  return Date.now() + offset;
}

function syncClock(serverTime) {
  const at = Date.parse(serverTime);
  if (!Number.isNaN(at)) offset = at - Date.now();
}

export function placeText(place, minutes) {
  if (place === 1 && minutes <= 0) return _("You're first in line: get ready.");
  return ngettext("Number %(place)d in line, about %(num)d minute to go.",
    "Number %(place)d in line, about %(num)d minutes to go.", minutes, { place });
}

function waitMinutes(place) {
  let left = 0;
  if (current && current.ends_at) {
    left = Math.max(0, Math.ceil((Date.parse(current.ends_at) - serverNow()) / 1000));
  }
  return Math.ceil((left + (place - 1) * seconds) / 60);
}

function show(selector, visible) {
  document.querySelectorAll(selector).forEach((el) => { el.hidden = !visible; });
}

function item(pitch) {
  const li = document.createElement("li");
  li.className = "pitch-next-item";
  const title = document.createElement("span");
  title.className = "pitch-next-title";
  title.textContent = pitch.topic.title;
  const who = document.createElement("span");
  who.className = "convener";
  who.textContent = _("by %(name)s", { name: pitch.convener.name });
  li.append(title, " ", who);
  return li;
}

export function tick() {
  document.querySelectorAll("[data-pitch-countdown]").forEach((el) => {
    const end = Date.parse(el.dataset.endsAt || "");
    if (Number.isNaN(end)) { el.textContent = ""; return; }
    const left = Math.ceil((end - serverNow()) / 1000);
    el.classList.toggle("over", left <= 0);
    el.classList.toggle("ending", left > 0 && left <= 10);
    if (left <= 0) {
      el.textContent = _("Time!");
    } else {
      el.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    }
  });
  if (state) patchMine(state, null);
}

// Your own places: the text of where you are; a change of kind (your turn came, your pitch
// ended) asks the server for the page's live parts again (buttons change).
function patchMine(queue, refetch) {
  let changed = false;
  document.querySelectorAll("[data-pitch-mine]").forEach((el) => {
    const id = Number(el.dataset.pitchMine);
    const now = queue.current && queue.current.id === id ? "current"
      : (queue.order.includes(id) ? "waiting" : "gone");
    if (now !== el.dataset.state) { changed = true; return; }
    if (now === "waiting") {
      const place = queue.order.indexOf(id) + 1;
      el.querySelectorAll("[data-pitch-place]").forEach((p) => {
        p.textContent = placeText(place, waitMinutes(place));
      });
    }
  });
  if (changed && refetch) refetch({ quiet: true });
}

export function applyQueue(queue, { refetch, projector } = {}) {
  if (!queue || typeof queue.version !== "number" || queue.version <= version) return;
  version = queue.version;
  state = queue;
  seconds = queue.seconds;
  current = queue.current;
  syncClock(queue.server_time);
  document.querySelectorAll("[data-pitch-queue]").forEach((el) => {
    el.dataset.version = queue.version;
    el.dataset.seconds = queue.seconds;
  });
  show("[data-pitch-current]", Boolean(current));
  show("[data-pitch-nobody]", !current);
  document.querySelectorAll("[data-pitch-current-title]").forEach((el) => {
    el.textContent = current ? current.topic.title : "";
  });
  document.querySelectorAll("[data-pitch-current-convener]").forEach((el) => {
    el.textContent = current ? _("by %(name)s", { name: current.convener.name }) : "";
  });
  document.querySelectorAll("[data-pitch-countdown]").forEach((el) => {
    if (!el.closest("[data-pitch-mine]")) el.dataset.endsAt = current ? current.ends_at : "";
  });
  document.querySelectorAll("[data-pitch-current-id]").forEach((el) => {
    el.value = current ? current.id : "";
  });
  document.querySelectorAll("[data-pitch-next]").forEach((list) => {
    list.replaceChildren(...queue.next.map(item));
  });
  show("[data-pitch-next-empty]", queue.next.length === 0);
  document.querySelectorAll("[data-pitch-waiting]").forEach((el) => {
    el.textContent = ngettext("%(num)d waiting", "%(num)d waiting", queue.waiting);
  });
  show("[data-pitch-if-open]", queue.open);
  show("[data-pitch-if-closed]", !queue.open);
  document.querySelectorAll("[data-pitch-hide-closed]").forEach((el) => {
    el.hidden = !queue.open && !current && !el.querySelector("[data-pitch-mine]");
  });
  // A projector on "automatic" shows the queue while it is open: switch what it shows.
  if (projector && refetch) {
    const main = document.querySelector("[data-shows]");
    if (main && main.dataset.mode === "auto" && queue.open !== (main.dataset.shows === "pitches")) {
      refetch({ quiet: true });
    }
  }
  patchMine(queue, refetch);
  tick();
}

// The state the page was rendered with (after a refetch too: the regions are new).
export function readRendered() {
  const el = document.querySelector("[data-pitch-queue]");
  if (!el) return false;
  const rendered = Number(el.dataset.version);
  if (rendered > version || !state) {
    version = rendered;
    seconds = Number(el.dataset.seconds) || seconds;
    syncClock(el.dataset.serverTime);
  }
  return true;
}

export function start() {
  if (!readRendered()) return;
  document.addEventListener("openspace:refetched", () => { version = -1; state = null; readRendered(); tick(); });
  tick();
  setInterval(tick, 250);
}
