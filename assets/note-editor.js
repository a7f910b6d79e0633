// Shared session notes: a CodeMirror editor on a Yjs document, synced over Socket.IO and kept in
// IndexedDB, so a note typed on a phone survives venue wifi dropping out and the page reloading.
// Loaded and started by notes.js when the notes come near the screen (not with the page).
//
// The page marks the note with data attributes:
//   [data-note]           root; data-topic-id, data-editable ("1" for members), data-user-name,
//                         data-user-id, data-store (the IndexedDB name of this note)
//   [data-note-editor]    where the editor goes (its contents are the no-JavaScript fallback)
//   [data-note-status]    the sync state: data-state saved | saving | offline | error | live
//   [data-note-people]    who else has the note open
//
// The contract with the server (see sockets.py), on every (re)connect:
//   note:join {topic_id, state_vector} -> ack {ok, update, state_vector}: apply what we lack, send
//   what the server lacks. Then local edits go out merged, at most SEND_EVERY, one batch in flight:
//   note:update {topic_id, update} -> ack {ok} once the server has committed it ("Saved").
//   The server relays others' note:update and note:awareness {topic_id, update} to us.
//   It refuses an update larger than MAX_UPDATE: a bigger one (a long paste, a lot typed offline)
//   goes out cut into several (note-updates.js), and batches are merged only up to that size.
// Updates are binary: we send Uint8Array, socket.io-client hands received binary over as ArrayBuffer.
import * as Y from "yjs";
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate,
  removeAwarenessStates } from "y-protocols/awareness";
import { IndexeddbPersistence } from "y-indexeddb";
import { yCollab, yUndoManagerKeymap } from "y-codemirror.next";
import { Compartment, EditorState } from "@codemirror/state";
import { EditorView, keymap, placeholder, drawSelection } from "@codemirror/view";
import { defaultKeymap, indentWithTab } from "@codemirror/commands";
import { splitUpdate } from "./note-updates.js";
import { _ } from "./i18n.js";
import { safeAwarenessUpdate, userColour } from "./note-presence.js";

const SEND_EVERY = 100; // ms between batches of keystrokes: at most ten messages a second
const ACK_TIMEOUT = 15000; // a batch not acknowledged by then is sent again (updates are idempotent)
const RETRY_AFTER = 3000; // after a refusal the server may lift (rate limit)
const MAX_RESYNCS = 3; // a copy the server keeps refusing as out of sync is shown as an error
const RECONNECT_AFTER = 5000; // ms: the client not loaded, or socket.io's longest wait
const IDB_WAIT = 1500; // join without the local copy rather than hang if IndexedDB never answers
const REMOTE = "remote"; // transaction origin of what came from the server
const MAX_UPDATE = 64 * 1024; // the server's limit on one note:update (domain/notes.py)
const BATCH_BYTES = MAX_UPDATE - 1024; // what we send at most in one message
const STATES = {
  connecting: _("Connecting…"),
  saved: _("Saved"),
  saving: _("Saving…"),
  offline: _("Offline — your text is kept on this device and will sync"),
  live: _("Live"),
  readoffline: _("Offline — showing the text as last seen on this device"),
};

const root = document.querySelector("[data-note]");

const bytes = (data) => (data instanceof Uint8Array ? data : new Uint8Array(data));
// An update with no structs and no deletions encodes as two zero bytes.
const isEmpty = (update) => !update || update.length <= 2;
// Refusals that pass by themselves: a rate limit, a database busy for a moment.
const transient = (ack) => Boolean(ack && ack.error && ["rate_limited", "busy"].includes(
  ack.error.code));
// When to try a transient refusal again: when the server says it may pass (a rate limit's
// retry_after: after a long paste, the budget of bytes written into notes may take a minute).
const retryWait = (ack) => Math.max(RETRY_AFTER, 1000 * (Number(ack.error.retry_after) || 0));

function setStatus(state, message) {
  const el = root.querySelector("[data-note-status]");
  root.dataset.noteState = state;
  if (!el) return;
  el.dataset.state = state;
  el.textContent = message || STATES[state];
}

function showPeople(awareness, editable) {
  const list = root.querySelector("[data-note-people]");
  if (!list) return;
  const seen = new Map();
  awareness.getStates().forEach((state, clientID) => {
    if (clientID === awareness.clientID || !state.user || !state.user.name) return;
    seen.set(state.user.name + state.user.color, state.user); // one entry for a user's two tabs
  });
  list.replaceChildren();
  if (!seen.size) { list.hidden = true; return; }
  list.hidden = false;
  // One sentence with the names in it: the translation decides where they go.
  const marker = "\u0000";
  const sentence = editable ? _("Also here: %(names)s", { names: marker })
    : _("Writing: %(names)s", { names: marker });
  const [before, after = ""] = sentence.split(marker);
  list.append(before);
  [...seen.values()].forEach((user, i) => {
    if (i) list.append(_(", "));
    const name = document.createElement("span");
    name.className = "note-person";
    name.dataset.notePerson = user.name;
    name.style.setProperty("--person", user.color);
    name.textContent = user.name;
    list.append(name);
  });
  list.append(after);
}

// Loaded after the editor is up (issue 13, venue wifi): the Markdown language with its list
// keys, and the @-mentions autocomplete with it, are chunks of their own that the page does not
// wait for. The editor takes typing at once, as plain text; when a chunk arrives its compartment
// is filled in (a reconfiguration: the text, the selection and the undo history stay as they
// are). Offline with a chunk not cached, the editor goes on without it.
const language = new Compartment();
const listKeys = new Compartment();
const completion = new Compartment();

function loadLater(view, editable) {
  import("./note-markdown.js").then((markdown) => view.dispatch({ effects: [
    language.reconfigure(markdown.language), listKeys.reconfigure(markdown.listKeys)] }))
    .catch(() => { /* plain text, as before it loaded */ });
  if (!editable || !root.dataset.mentions) return;
  import("./mentions.js").then(({ mentions }) => view.dispatch({
    effects: completion.reconfigure(mentions(root.dataset.mentions)) }))
    .catch(() => { /* "@" is just a character */ });
}

export function start() {
  const topicId = Number(root.dataset.topicId);
  const editable = root.dataset.editable === "1";
  const mount = root.querySelector("[data-note-editor]");
  const doc = new Y.Doc();
  const text = doc.getText("markdown");
  const awareness = new Awareness(doc);
  const me = { name: root.dataset.userName || _("Someone"), ...userColour(root.dataset.userId) };
  if (editable) {
    awareness.setLocalStateField("user", me);
  } else {
    awareness.setLocalState(null); // readers are not shown to the writers
  }

  const persistence = new IndexeddbPersistence(root.dataset.store || `openspace-note-${topicId}`,
    doc);

  mount.replaceChildren();
  const view = new EditorView({
    parent: mount,
    state: EditorState.create({
      doc: text.toString(),
      extensions: [
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ "aria-label": _("Session notes"), autocapitalize: "sentences",
          autocorrect: "on", spellcheck: "true" }),
        drawSelection(),
        language.of([]), // the Markdown language and its highlighting (note-markdown.js)
        placeholder(editable ? _("Key points, recommendations, action items (- [ ] what @owner)…")
          : _("Nothing written yet.")),
        listKeys.of([]), // Enter continues a list, Backspace takes its mark away
        keymap.of([...yUndoManagerKeymap, ...defaultKeymap, indentWithTab]),
        yCollab(text, awareness, editable ? {} : { undoManager: false }),
        EditorState.readOnly.of(!editable),
        EditorView.editable.of(editable),
        completion.of([]), // "@" offers the event's members (mentions.js)
      ],
    }),
  });
  loadLater(view, editable);

  // --- Sending: local edits, merged, one batch in flight, kept until the server commits them. ---
  let socket = null; // made once the Socket.IO client has loaded (see connect, below)
  let outbox = []; // local updates not sent yet
  let inflight = null; // the batch the server has not acknowledged
  let joined = false;
  let epoch = 0; // bumped on every (dis)connect: acks of an older connection are stale
  let lastSent = 0;
  let flushTimer = null;
  let refused = null; // the server's last refusal, shown until something gets through
  let tooBig = null; // said once the server refused an update as too large: it stays unsaved
  let lost = false; // the connection failed or dropped (as opposed to: not made yet)
  let resyncs = 0; // resyncs since the server last accepted an update: a bound, not a loop

  function showState() {
    if (!joined) {
      const offline = lost || navigator.onLine === false;
      setStatus(!offline ? "connecting" : editable ? "offline" : "readoffline");
    } else if (refused || tooBig) {
      setStatus("error", refused || tooBig);
    } else if (!editable) {
      setStatus("live");
    } else {
      setStatus(inflight || outbox.length ? "saving" : "saved");
    }
  }

  function scheduleFlush(wait = Math.max(0, lastSent + SEND_EVERY - Date.now())) {
    if (flushTimer || !joined || inflight) return;
    flushTimer = setTimeout(() => { flushTimer = null; flush(); }, wait);
  }

  function flush() {
    if (!joined || inflight || !outbox.length) { showState(); return; }
    // As many updates as fit in one message the server accepts; one too large on its own is
    // sent in pieces, in order.
    outbox = outbox.flatMap((update) => splitUpdate(update, BATCH_BYTES));
    let count = 1;
    let size = outbox[0].length;
    while (count < outbox.length && size + outbox[count].length <= BATCH_BYTES) {
      size += outbox[count].length;
      count += 1;
    }
    const batch = outbox.splice(0, count);
    send(batch.length === 1 ? batch[0] : Y.mergeUpdates(batch));
  }

  // The server refused an update as too large (should not happen: we cut them to size). Sending
  // it again cannot work, so it is dropped from the queue, not retried, and the message stays:
  // the change is on this device only. (Later edits build on it, so the server will refuse them
  // as out of sync, a bounded number of times: MAX_RESYNCS.)
  function tooLarge(ack) {
    tooBig = _("%(reason)s It is kept on this device but could not be saved.",
      { reason: ack.error.message });
    showState();
  }

  function send(update) {
    const mine = epoch;
    inflight = update;
    lastSent = Date.now();
    showState();
    socket.timeout(ACK_TIMEOUT).emit("note:update", { topic_id: topicId, update }, (err, ack) => {
      if (mine !== epoch) return; // reconnected since: the state-vector sync took this over
      inflight = null;
      if (err || !ack || !ack.ok) {
        if (ack && ack.error && ack.error.fields && ack.error.fields.update === "is too large") {
          tooLarge(ack);
          return;
        }
        outbox.unshift(update); // keep it until the server has it
        if (ack && ack.error && ack.error.code === "out_of_sync" && resyncs < MAX_RESYNCS) {
          resync();
          return;
        }
        if (!err) {
          refused = (ack && ack.error && ack.error.message) || _("The note could not be saved.");
          // A refusal that may pass is tried again when it may (the text stays in the document,
          // in IndexedDB and in the outbox meanwhile, and edits made in between go after it);
          // others wait for the next edit or reconnect, so a forbidden edit does not loop.
          if (transient(ack)) {
            refused = _("%(reason)s Your text is kept on this device meanwhile.",
              { reason: refused });
            scheduleFlush(retryWait(ack));
          }
          showState();
          return;
        }
        scheduleFlush();
        return;
      }
      refused = null;
      resyncs = 0;
      if (outbox.length) scheduleFlush(); else showState();
    });
  }

  doc.on("update", (update, origin) => {
    if (origin === REMOTE || !editable) return;
    if (origin === persistence && !joined) return; // the join's state-vector sync sends it
    outbox.push(update);
    // A new edit is a new try, unless a retry is already set for when the server may take it.
    if (refused && !flushTimer) refused = null;
    scheduleFlush();
    showState();
  });

  // --- Awareness: who else is here, their carets and selections. ---
  let awarenessTimer = null;
  function sendAwareness() {
    if (!editable || awarenessTimer) return; // readers only say hello (see join)
    awarenessTimer = setTimeout(() => {
      awarenessTimer = null;
      if (!joined) return;
      socket.emit("note:awareness", { topic_id: topicId,
        update: encodeAwarenessUpdate(awareness, [doc.clientID]) });
    }, SEND_EVERY);
  }
  // Everyone says hello with a new `joined` mark on each (re)join; whoever sees a new mark answers
  // with their own state, so a newcomer sees the others at once, not at their next renewal (15 s).
  const answered = new Map(); // client id -> the `joined` mark we answered
  awareness.on("update", ({ added, updated }, origin) => {
    if (origin !== REMOTE) { sendAwareness(); return; }
    const states = awareness.getStates();
    const hello = added.concat(updated).filter((id) => {
      const mark = states.get(id) && states.get(id).joined;
      if (!mark || answered.get(id) === mark) return false;
      answered.set(id, mark);
      return true;
    });
    if (hello.length) sendAwareness();
  });
  awareness.on("change", () => showPeople(awareness, editable));

  // --- The connection ---
  // Sync by state vector again on this connection: after the server said we are out of sync, or
  // when an update we received builds on one we never got.
  function resync() {
    resyncs += 1;
    epoch += 1;
    joined = false; // edits wait for the sync, which sends them
    join();
  }

  function join() {
    const mine = epoch;
    socket.timeout(ACK_TIMEOUT).emit("note:join",
      { topic_id: topicId, state_vector: Y.encodeStateVector(doc) }, (err, ack) => {
        if (mine !== epoch) return;
        if (err) { join(); return; } // no answer: ask again on the same connection
        if (!ack || !ack.ok) {
          refused = (ack && ack.error && ack.error.message) || _("Could not open the note.");
          setStatus("error", refused);
          if (transient(ack)) setTimeout(() => { if (mine === epoch) join(); }, RETRY_AFTER);
          return;
        }
        if (ack.update) Y.applyUpdate(doc, bytes(ack.update), REMOTE);
        joined = true;
        refused = null;
        outbox = [];
        inflight = null;
        if (editable) {
          // Everything the server lacks, typed offline or unacknowledged before a disconnect; with
          // no server state vector to diff against, the whole state (the server ignores dupes).
          const missing = ack.state_vector ? Y.encodeStateAsUpdate(doc, bytes(ack.state_vector))
            : Y.encodeStateAsUpdate(doc);
          if (missing.length > BATCH_BYTES) {
            outbox = splitUpdate(missing, BATCH_BYTES);
            flush();
          } else if (!isEmpty(missing)) {
            send(missing);
          }
          awareness.setLocalStateField("joined", Date.now()); // sent as our hello
        }
        // (Readers send no awareness: the server relays only members'. They see the writers as
        // soon as those move their caret or renew their state, within 15 s.)
        showState();
      });
  }

  // The connection's handlers, on the socket once it is made.
  function listen() {
    socket.on("connect", () => { epoch += 1; joined = false; lost = false; showState(); join(); });
    socket.on("connect_error", () => { lost = true; showState(); });
    socket.on("disconnect", (reason) => {
      if (reason === "io server disconnect") socket.connect(); // the client only retries its own
      epoch += 1;
      lost = true;
      joined = false;
      inflight = null; // still in the document: the next join's sync sends it
      clearTimeout(flushTimer);
      flushTimer = null;
      const others = [...awareness.getStates().keys()].filter((id) => id !== doc.clientID);
      removeAwarenessStates(awareness, others, REMOTE); // we no longer hear from them
      showState();
    });
    socket.io.on("reconnect_attempt", showState);
    let resyncTimer = null;
    socket.on("note:update", ({ topic_id: id, update }) => {
      if (id !== topicId || !update) return;
      Y.applyUpdate(doc, bytes(update), REMOTE);
      // Yjs holds back an update whose predecessors it has not seen. If they don't follow soon,
      // we missed something: sync again by state vector, as after a reconnect.
      if ((doc.store.pendingStructs || doc.store.pendingDs) && !resyncTimer) {
        resyncTimer = setTimeout(() => {
          resyncTimer = null;
          if (joined && (doc.store.pendingStructs || doc.store.pendingDs)) resync();
        }, 2000);
      }
    });
    // The event turned private or was deleted: the page reloads into what this reader may see.
    socket.on("access:ended", () => { socket.disconnect(); window.location.reload(); });
    // Others' presence, made safe first (note-presence.js): it ends up in style attributes.
    socket.on("note:awareness", ({ topic_id: id, update }) => {
      if (id !== topicId || !update) return;
      const safe = safeAwarenessUpdate(bytes(update));
      if (safe) applyAwarenessUpdate(awareness, safe, REMOTE);
    });
  }
  window.addEventListener("offline", showState);
  window.addEventListener("online", showState);
  // Leaving: the others drop our caret now rather than after 30 s. A page kept in the
  // back-forward cache and shown again comes back with our name.
  window.addEventListener("pagehide", () => {
    if (joined && editable) {
      removeAwarenessStates(awareness, [doc.clientID], "unload");
      socket.emit("note:awareness", { topic_id: topicId,
        update: encodeAwarenessUpdate(awareness, [doc.clientID]) });
    }
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted && editable) awareness.setLocalState({ user: me, joined: Date.now() });
  });

  showState();
  // Join with the local copy loaded, so the first sync also sends what was typed offline.
  // The Socket.IO client is a chunk of its own (the board's), loaded after the editor is up
  // rather than before it (issue 13): it comes while IndexedDB opens. Not fetched (the link
  // dropped just then): tried again every few seconds, as socket.io retries a connection.
  let client = import("./note-connection.js");
  let connected = false;
  const connect = () => {
    if (connected) return;
    connected = true;
    client.then(({ io }) => {
      // A connection attempt that hangs (wifi that lets the handshake in but nothing back) is
      // given up after `timeout` and retried, instead of after socket.io's default 20 s.
      socket = io({ transports: ["websocket", "polling"], reconnectionDelayMax: RECONNECT_AFTER,
        timeout: 8000, autoConnect: false });
      listen();
      socket.connect();
    }, () => {
      lost = true;
      showState();
      setTimeout(() => {
        client = import("./note-connection.js");
        connected = false;
        connect();
      }, RECONNECT_AFTER);
    });
  };
  persistence.whenSynced.then(connect);
  setTimeout(connect, IDB_WAIT);

  const store = persistence.name;
  window.openspaceNotes = { doc, text, view, awareness, persistence,
    get socket() { return socket; },
    get pending() { return Boolean(inflight || outbox.length); },
    // The text as this device has it stored: what a reload would start from.
    async storedText() {
      const copy = new Y.Doc();
      const reader = new IndexeddbPersistence(store, copy);
      await reader.whenSynced;
      const stored = copy.getText("markdown").toString();
      await reader.destroy();
      copy.destroy();
      return stored;
    } };
}
