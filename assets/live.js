// Live board: keeps a server-rendered page (board, projector, Now & Next) in sync over Socket.IO.
//
// The page marks its live parts with data attributes:
//   [data-live-board]     root; data-slug, data-version (the board version it was rendered at)
//   [data-live-region]    replaced wholesale when we refetch (after a version gap or reconnect)
//   [data-cell="R-S"]     the session cell of room R and slot S; data-capacity, data-free-html
//   [data-topic-id]       a rendered topic card
//   [data-marketplace]    the list of unplaced topics
//   [data-live-status]    where the connection state is shown
//   [data-presence]       how many people are connected to this event
//   [data-announcements]  the ticker list
// Changes arrive as board:changed {version, kind, topic?|topics?}; versions increase by one.
// A change that is not exactly the next version means we missed something: refetch the page.
import { io } from "socket.io-client";

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
  card.append(link, text("span", "convener", "by " + topic.convener.name));
  // Same words as the server's interest() macro: "5 coming · 12 seats", flagged when too small.
  const interest = text("span", "interest" + (topic.over_capacity ? " over" : ""),
    `${topic.interest_count} coming` + (capacity ? ` · ${capacity} seats` : ""));
  if (topic.over_capacity) interest.append(" ", text("strong", "flag", "Over capacity"));
  card.append(interest);
  return card;
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
    list.append(card);
    list.closest("section")?.querySelector("[data-empty-note]")?.remove();
    flash(card);
  }
  return true;
}

function flash(el) {
  el.classList.remove("just-changed");
  void el.offsetWidth; // restart the animation
  el.classList.add("just-changed");
}

let version = root ? Number(root.dataset.version) : 0;
let refetching = null;

// quiet: a routine refresh (the projector's news), not a recovery: no "Back in sync".
async function refetch({ quiet = false } = {}) {
  if (refetching) return refetching;
  refetching = (async () => {
    try {
      const response = await fetch(location.href, { headers: { "X-Live-Refetch": "1" },
        credentials: "same-origin" });
      if (!response.ok) throw new Error(response.status);
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = doc.querySelector("[data-live-board]");
      document.querySelectorAll("[data-live-region]").forEach((region) => {
        const key = region.dataset.liveRegion;
        const next = doc.querySelector(`[data-live-region="${key}"]`);
        if (next) region.replaceWith(document.importNode(next, true));
      });
      if (fresh) version = Number(fresh.dataset.version);
      root.dataset.version = version;
      highlightNow();
      document.dispatchEvent(new CustomEvent("openspace:refetched"));
      if (!quiet) {
        setStatus("synced", "Back in sync");
        setTimeout(() => setStatus("live", "Live"), 2500);
      }
    } catch (error) {
      setStatus("offline", "Could not refresh the board; retrying…");
      setTimeout(() => { refetching = null; refetch(); }, 3000);
      return;
    }
    refetching = null;
  })();
  return refetching;
}

function onChange(change) {
  if (change.version <= version) return; // old news (we refetched past it)
  if (change.version !== version + 1) { refetch(); return; }
  const topics = change.topics || (change.topic ? [change.topic] : []);
  if (!topics.length) { refetch(); return; } // rooms, slots, lock state: re-render the page
  for (const topic of topics) {
    if (!applyTopic(topic)) { refetch(); return; }
  }
  version = change.version;
  root.dataset.version = version;
}

function onAnnouncement({ kind, announcement }) {
  const list = document.querySelector("[data-announcements]");
  if (!list) return;
  if (kind === "deleted") {
    list.querySelector(`[data-announcement-id="${announcement.id}"]`)?.remove();
    return;
  }
  const item = text("li", "announcement", announcement.text);
  item.dataset.announcementId = announcement.id;
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
  if (!root.dataset.timezone) return;
  const now = eventClock();
  document.querySelectorAll("[data-slot-start]").forEach((row) => {
    const running = row.dataset.slotStart <= now && now < row.dataset.slotEnd;
    row.classList.toggle("current", running);
  });
  document.querySelectorAll("[data-event-clock]").forEach((el) => {
    el.textContent = now.slice(11, 16);
  });
}

if (root) {
  setStatus("connecting", "Connecting…");
  const socket = io({ transports: ["websocket", "polling"], reconnectionDelayMax: 5000 });
  let joinedOnce = false;
  socket.on("connect", () => {
    socket.emit("event:join", { slug: root.dataset.slug }, (ack) => {
      if (!ack || !ack.ok) { setStatus("offline", (ack && ack.error.message) || "Refused"); return; }
      if (ack.version !== version || joinedOnce) {
        refetch();
      } else {
        setStatus("live", "Live");
      }
      joinedOnce = true;
    });
  });
  socket.on("disconnect", () => setStatus("offline", "Offline — reconnecting…"));
  socket.io.on("reconnect_attempt", () => setStatus("offline", "Offline — reconnecting…"));
  socket.on("board:changed", onChange);
  socket.on("announcement", onAnnouncement);
  socket.on("presence", ({ count }) => {
    document.querySelectorAll("[data-presence]").forEach((el) => { el.textContent = count; });
  });
  window.addEventListener("offline", () => setStatus("offline", "Offline — reconnecting…"));
  highlightNow();
  setInterval(highlightNow, 20000);
  window.openspaceLive = { socket, refetch, get version() { return version; } };
}
