// Live board: keeps a server-rendered page (board, projector, Now & Next) in sync over Socket.IO.
//
// The page marks its live parts with data attributes:
//   [data-live-board]     root; data-slug, data-version (the board version it was rendered at);
//                         on the board data-live-url, the fragment of its live regions alone,
//                         and data-live-etag, the tag of the regions it shows (If-None-Match)
//   [data-live-region]    replaced wholesale when we refetch (after a version gap or reconnect)
//   [data-cell="R-S"]     the session cell of room R and slot S; data-capacity, data-free-html
//   [data-topic-id]       a rendered topic card
//   [data-marketplace]    the list of unplaced topics
//   [data-placed-list]    (the marketplace) the list of placed topics, in agenda order by
//                         their data-start, data-position and id
//   [data-where]          (the marketplace, hidden) each room (data-room, its name, capacity,
//                         position) and slot (data-slot, its time as the cards show it)
//   [data-live-status]    where the connection state is shown
//   [data-presence]       how many people are connected to this event
//   [data-announcements]  the ticker list
//   [data-projector]      on the root of the wall screen: re-rendered when organizers switch
//                         what projectors show (projector:changed)
//   [data-headcount]      (Now & Next, the rooms view, the projector) how many people are checked
//                         into topic N now; data-capacity; patched by headcount:changed
//   [data-changes-at]     (Now & Next) the event-clock time "YYYY-MM-DDTHH:MM" at which a slot
//                         starts or ends: the page is refetched then
//   [data-pitch-queue]    the opening marketplace's pitch queue: pitches.js patches it from
//                         pitch:changed
// Changes arrive as board:changed {version, kind, topic?|topics?}; versions increase by one.
// This page asks for them in batches (event:join with batch: true): board:batch {changes: [...]}
// carries several, in order, each applied as if it had come alone.
// A change that is not exactly the next version means we missed something: refetch the page.
import { io } from "socket.io-client";
import { _, ngettext } from "./i18n.js";
import * as pitches from "./pitches.js";

const root = document.querySelector("[data-live-board]");

function text(tag, cls, value) {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  el.textContent = value;
  return el;
}

function setStatus(state, message) {
  document.querySelectorAll("[data-live-status]").forEach((el) => {
    el.dataset.state = state;
    el.textContent = message;
  });
  document.documentElement.dataset.live = state;
}

function topicCard(topic, capacity, tag) {
  const card = document.createElement(tag);
  card.className = "topic-card" + (topic.over_capacity ? " over" : "");
  card.id = "t" + topic.id;
  card.dataset.topicId = topic.id;
  const link = text("a", "topic-title", topic.title);
  link.href = "/t/" + topic.id;
  card.append(link, text("span", "convener", _("by %(name)s", { name: topic.convener.name })));
  // Same words as the server's interest() macro: "5 coming · 12 seats", flagged when too small.
  const interest = text("span", "interest" + (topic.over_capacity ? " over" : ""),
    ngettext("%(num)d coming", "%(num)d coming", topic.interest_count)
    + (capacity ? " · " + ngettext("%(num)d seat", "%(num)d seats", capacity) : ""));
  if (topic.over_capacity) interest.append(" ", text("strong", "flag", _("Over capacity")));
  card.append(interest);
  if (topic.tags && topic.tags.length) card.append(tagChips(topic.tags));
  return card;
}

// Tags: on the wall plain words; on phones and laptops chips that open the marketplace filtered
// by the tag (the same markup as the tag_chips() macro).
function tagChips(tags) {
  if (root.hasAttribute("data-projector")) {
    const line = text("span", "tags", "");
    tags.forEach((tag, i) => line.append(i ? " " : "", text("span", "tag", "#" + tag)));
    return line;
  }
  const list = text("ul", "chips tags", "");
  list.setAttribute("aria-label", _("Tags"));
  for (const tag of tags) {
    const link = text("a", "chip tag", "#" + tag);
    link.href = `/e/${encodeURIComponent(root.dataset.slug)}/marketplace?tag=${encodeURIComponent(tag)}`;
    const item = document.createElement("li");
    item.append(link);
    list.append(item);
  }
  return list;
}

// "I'll come" on a new marketplace card, for members (the page says so): the same form the
// server renders, posting back to this page.
function interestForm(topic) {
  const form = document.createElement("form");
  form.method = "post";
  form.action = `/t/${topic.id}/interest`;
  form.className = "button-form";
  const fields = { csrf_token: document.querySelector('meta[name="csrf-token"]')?.content || "",
    interested: "1", next: location.pathname + location.search + "#t" + topic.id };
  for (const [name, value] of Object.entries(fields)) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.append(input);
  }
  const button = text("button", "btn small", _("I'll come"));
  button.type = "submit";
  form.append(button);
  return form;
}

function removeTopic(id) {
  document.querySelectorAll(`[data-topic-id="${id}"]`).forEach((card) => {
    const cell = card.closest("[data-cell]");
    card.remove();
    if (cell && !cell.querySelector("[data-topic-id]")) {
      cell.classList.remove("taken");
      cell.classList.add("free");
      cell.innerHTML = cell.dataset.freeHtml || "";
    }
  });
}

function applyTopic(topic) {
  removeTopic(topic.id);
  if (topic.status === "placed") {
    const cell = document.querySelector(`[data-cell="${topic.room_id}-${topic.slot_id}"]`);
    if (!cell) return false;
    cell.classList.remove("free");
    cell.classList.add("taken");
    cell.replaceChildren(topicCard(topic, Number(cell.dataset.capacity) || 0, "article"));
    flash(cell);
  } else if (topic.status === "proposed") {
    const list = document.querySelector("[data-marketplace]");
    if (!list) return true;
    const card = topicCard(topic, 0, "li");
    if (root.hasAttribute("data-member")) card.append(interestForm(topic));
    list.append(card);
    list.closest("section")?.querySelector("[data-empty-note]")?.remove();
    flash(card);
  }
  return true;
}

// A topic already on this page is redrawn where it is, keeping what only the server knew
// (whether this viewer comes: the button under it).
function updateInPlace(topic) {
  const old = document.querySelector(`[data-marketplace] [data-topic-id="${topic.id}"]`);
  if (!old || topic.status !== "proposed") return false;
  const card = topicCard(topic, 0, "li");
  const form = old.querySelector(".button-form");
  if (form) card.append(form);
  old.replaceWith(card);
  flash(card);
  return true;
}

// The marketplace: a card moves to "On the board" with its room and time (drawn from the
// page's [data-where]: the names and times as the server writes them), in agenda order, or
// back to "Not placed yet"; the viewer's "I'll come" / "Not coming" button goes with it. In the
// rush of the opening marketplace every phone on this page used to refetch the whole page for
// every topic placed. False: the server has to draw it (a cell the page does not know, a list
// left empty, which says so in words).
function marketChange(topics) {
  for (const topic of topics) {
    const old = document.querySelector(`[data-placed-list] [data-topic-id="${topic.id}"], `
      + `[data-marketplace] [data-topic-id="${topic.id}"]`);
    if (topic.status === "placed") {
      const card = placedCard(topic, old);
      if (!card) return false;
      old?.remove();
      insertSorted(document.querySelector("[data-placed-list]"), card, placedKey);
      flash(card);
    } else if (topic.status === "proposed" && old?.closest("[data-placed-list]")) {
      const card = topicCard(topic, 0, "li");
      keepForm(card, old, topic);
      old.remove();
      insertSorted(document.querySelector("[data-marketplace]"), card, unplacedKey);
      flash(card);
    } else if (topic.status === "proposed") {
      if (!updateInPlace(topic) && !applyTopic(topic)) return false;
    } else {
      removeTopic(topic.id); // withdrawn, merged
    }
  }
  return [...document.querySelectorAll("[data-marketplace], [data-placed-list]")]
    .every((list) => list.children.length || list.closest("section")?.querySelector(
      "[data-empty-note]"));
}

function placedCard(topic, old) {
  const where = document.querySelector("[data-where]");
  const room = where?.querySelector(`[data-room="${topic.room_id}"]`);
  const slot = where?.querySelector(`[data-slot="${topic.slot_id}"]`);
  if (!room || !slot) return null;
  const card = topicCard(topic, Number(room.dataset.capacity) || 0, "li");
  const line = text("span", "where", "");
  const pin = where.querySelector("svg");
  if (pin) line.append(pin.cloneNode(true));
  line.append(room.textContent, " · ", ...[...slot.childNodes].map((n) => n.cloneNode(true)));
  card.querySelector(".convener").before(line);
  card.dataset.start = slot.dataset.start;
  card.dataset.position = room.dataset.position;
  keepForm(card, old, topic);
  return card;
}

// The viewer's button under the card: the one it had (it knows whether they come), or, for a
// card new to this page, the one a member gets.
function keepForm(card, old, topic) {
  const form = old?.querySelector(".button-form");
  if (form) card.append(form);
  else if (root.hasAttribute("data-member")) card.append(interestForm(topic));
}

// The orders the server lists them in: "On the board" by time, room and id, "Not placed yet"
// as they were posted.
const placedKey = (el) => [el.dataset.start || "", Number(el.dataset.position) || 0,
  Number(el.dataset.topicId)];
const unplacedKey = (el) => [Number(el.dataset.topicId)];

function insertSorted(list, card, key) {
  const mine = key(card);
  const later = (theirs) => {
    const i = theirs.findIndex((value, n) => value !== mine[n]);
    return i >= 0 && theirs[i] > mine[i];
  };
  list.insertBefore(card, [...list.children].find((other) => later(key(other))) || null);
  list.closest("section")?.querySelector("[data-empty-note]")?.remove();
}

function flash(el) {
  el.classList.remove("just-changed");
  void el.offsetWidth; // restart the animation
  el.classList.add("just-changed");
}

let version = root ? Number(root.dataset.version) : 0;
// The service worker keeps a copy of this page for offline reloads, as it was when it passed
// through (the load, not the live changes since: the board refetches only its live regions).
// When the phone leaves the page (another app, the screen locked: often just before the signal
// goes), a page that changed since is handed to the worker again, so an offline reload shows
// what was on the screen. Once per change, and spread over the moments people put their
// phones away, never all at once like a reconnect's refetches.
let keptVersion = version;
function keepPage() {
  const worker = navigator.serviceWorker && navigator.serviceWorker.controller;
  if (!root || !worker || version === keptVersion || !navigator.onLine
      || document.documentElement.hasAttribute("data-offline-since")) return;
  keptVersion = version;
  worker.postMessage({ type: "KEEP", urls: [location.href] });
}
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") keepPage();
});
window.addEventListener("pagehide", keepPage);
let refetching = null;

// quiet: a routine refresh (the projector's news), not a recovery: no "Back in sync".
async function refetch({ quiet = false } = {}) {
  if (refetching) return refetching;
  refetching = (async () => {
    try {
      // The board names a fragment of its live regions (data-live-url), cached per version on
      // the server: with the tag of what this page shows (data-live-etag) it answers 304 when
      // nothing changed (a reconnect); other pages refetch themselves.
      const url = root.dataset.liveUrl;
      const headers = { "X-Live-Refetch": "1" };
      if (url && root.dataset.liveEtag) headers["If-None-Match"] = root.dataset.liveEtag;
      const response = await fetch(url || location.href, { headers, credentials: "same-origin",
        cache: url ? "no-store" : "default" });
      if (response.status !== 304) {
        if (!response.ok) throw new Error(response.status);
        const doc = new DOMParser().parseFromString(await response.text(), "text/html");
        const fresh = doc.querySelector("[data-live-board]");
        // A fragment's forms carry no CSRF token (other viewers get the same bytes): the page's.
        const token = document.querySelector('meta[name="csrf-token"]')?.content || "";
        doc.querySelectorAll('input[name="csrf_token"]').forEach((input) => {
          if (!input.value) input.value = token;
        });
        document.querySelectorAll("[data-live-region]").forEach((region) => {
          const key = region.dataset.liveRegion;
          const next = doc.querySelector(`[data-live-region="${key}"]`);
          if (next) region.replaceWith(document.importNode(next, true));
        });
        if (fresh) version = Number(fresh.dataset.version);
        if (url) root.dataset.liveEtag = response.headers.get("ETag") || "";
      }
      root.dataset.version = version;
      highlightNow();
      document.dispatchEvent(new CustomEvent("openspace:refetched"));
      if (!quiet) {
        setStatus("synced", _("Back in sync"));
        setTimeout(() => setStatus("live", _("Live")), 2500);
      }
    } catch (error) {
      setStatus("offline", _("Could not refresh the board; retrying…"));
      setTimeout(() => { refetching = null; refetch(); }, 3000);
      return;
    }
    refetching = null;
  })();
  return refetching;
}

// Applies one change; false when it made the page refetch (what follows it is in the answer).
function onChange(change) {
  if (change.version <= version) return true; // old news (we refetched past it)
  if (change.version !== version + 1) { refetch(); return false; }
  const topics = change.topics || (change.topic ? [change.topic] : []);
  if (!topics.length) { refetch(); return false; } // rooms, slots, lock state: re-render
  // The marketplace page moves cards between its two lists itself (marketChange); a filtered
  // one would have to know the filter, and an emptied list says so in words: the server draws.
  const market = document.querySelector("[data-placed-list]");
  if (market) {
    const drawn = !root.hasAttribute("data-filtered") && marketChange(topics);
    version = change.version;
    root.dataset.version = version;
    delete root.dataset.liveEtag;
    if (!drawn) refetch({ quiet: true });
    return true;
  }
  for (const topic of topics) {
    if (!updateInPlace(topic) && !applyTopic(topic)) { refetch(); return false; }
  }
  delete root.dataset.liveEtag; // patched here: no longer what the server's tag names
  version = change.version;
  root.dataset.version = version;
  return true;
}

function onBatch(batch) {
  for (const change of (batch && batch.changes) || []) {
    if (!onChange(change)) return;
  }
}

function onAnnouncement({ kind, announcement }) {
  const list = document.querySelector("[data-announcements]");
  if (!list) return;
  if (kind === "deleted") {
    list.querySelector(`[data-announcement-id="${announcement.id}"]`)?.remove();
    return;
  }
  // The server formats the time on the event's clock (domain/times.py): shown as sent.
  const item = document.createElement("li");
  item.className = "announcement";
  item.dataset.announcementId = announcement.id;
  const time = text("time", "announcement-time", announcement.time || "");
  time.dateTime = announcement.created_at;
  item.append(time, " ", announcement.text);
  list.prepend(item);
  while (list.children.length > 5) list.lastElementChild.remove();
  flash(item);
}

// The event's wall clock, for highlighting the running slot on the projector and Now & Next.
function eventClock() {
  const zone = root.dataset.timezone;
  const parts = new Intl.DateTimeFormat("sv-SE", { timeZone: zone, year: "numeric",
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false })
    .format(new Date());
  return parts.replace(" ", "T"); // "2026-11-23T10:05"
}

function highlightNow() {
  if (!root.dataset.timezone) return null;
  const now = eventClock();
  let current = null;
  document.querySelectorAll("[data-slot-start]").forEach((row) => {
    const running = row.dataset.slotStart <= now && now < row.dataset.slotEnd;
    row.classList.toggle("current", running);
    if (running && !current) current = row;
  });
  // The running clock is the one time the browser formats: in the event's zone, with the
  // locale the server names (domain/times.py BROWSER_LOCALE), so it reads like the server's.
  document.querySelectorAll("[data-event-clock]").forEach((el) => {
    el.textContent = new Intl.DateTimeFormat(el.dataset.clockLocale || "en-GB", {
      timeZone: root.dataset.timezone, hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).format(new Date());
  });
  // Now & Next changes by the clock too: when a slot starts or ends, fetch the new answer.
  const changes = document.querySelector("[data-changes-at]");
  if (changes && changes.dataset.changesAt && changes.dataset.changesAt <= now) {
    changes.dataset.changesAt = "";
    refetch({ quiet: true });
  }
  return current;
}

// The board opens at the running slot (the now line), unless the link named a place: the
// page's own first screen (propose, the marketplace) is one swipe up.
function scrollToNow(current) {
  if (!current || !root.hasAttribute("data-scroll-now") || location.hash) return;
  const top = current.getBoundingClientRect().top;
  if (top > 0 && top < window.innerHeight * 0.6) return; // already in sight
  current.scrollIntoView({ block: "start" });
}

if (root) {
  setStatus("connecting", _("Connecting…"));
  const socket = io({ transports: ["websocket", "polling"], reconnectionDelayMax: 5000 });
  let joinedOnce = false;
  socket.on("connect", () => {
    socket.emit("event:join", { slug: root.dataset.slug, batch: true }, (ack) => {
      if (!ack || !ack.ok) {
        setStatus("offline", (ack && ack.error.message) || _("Refused"));
        return;
      }
      if (ack.version !== version || joinedOnce) {
        refetch();
      } else {
        setStatus("live", _("Live"));
      }
      joinedOnce = true;
    });
  });
  socket.on("disconnect", () => setStatus("offline", _("Offline — reconnecting…")));
  socket.io.on("reconnect_attempt", () => setStatus("offline", _("Offline — reconnecting…")));
  socket.on("board:changed", onChange);
  socket.on("board:batch", onBatch);
  // The event turned private or was deleted: the page reloads into what this visitor may see.
  socket.on("access:ended", () => { socket.disconnect(); window.location.reload(); });
  socket.on("announcement", onAnnouncement);
  socket.on("projector:changed", () => {
    if (root.hasAttribute("data-projector")) refetch({ quiet: true });
  });
  socket.on("headcount:changed", ({ counts }) => {
    // Check-ins (the law of two feet): patch the counts in place (200 people checking in must
    // not make every phone refetch the page 200 times).
    (counts || []).forEach((c) => {
      document.querySelectorAll(`[data-headcount="${Number(c.topic_id)}"]`).forEach((el) => {
        el.textContent = ngettext("%(num)s here", "%(num)s here", c.here, { num: c.here });
        el.classList.toggle("over", Boolean(c.over_capacity));
        el.closest("[data-headcount-row]")?.classList.toggle("over", Boolean(c.over_capacity));
      });
    });
  });
  // The pitch queue: one broadcast per change, carrying the whole (small) state.
  socket.on("pitch:changed", (queue) => pitches.applyQueue(queue, {
    refetch, projector: root.hasAttribute("data-projector") }));
  pitches.start();
  socket.on("presence", ({ count }) => {
    document.querySelectorAll("[data-presence]").forEach((el) => { el.textContent = count; });
  });
  window.addEventListener("offline", () => setStatus("offline", _("Offline — reconnecting…")));
  scrollToNow(highlightNow());
  setInterval(highlightNow, 20000);
  window.openspaceLive = { socket, refetch, get version() { return version; } };
}
