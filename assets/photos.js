// Session photos on a weak link (loaded by pwa.js on pages with the upload form).
//
// The form still works without JavaScript (a plain multipart post). With it, a chosen photo is
// made smaller in the browser first (at most LONG_SIDE px on its long side, turned upright as
// the camera meant: createImageBitmap applies the EXIF orientation; the server still strips
// EXIF and re-encodes), then put in a queue kept in IndexedDB, and sent from there with a
// progress bar. A dropped link or a closed page loses nothing: the queue is sent when the
// connection is back, or the next time a topic page opens. The server's refusal (too large,
// not allowed) is shown with the photo, to retry or remove.
import { _ } from "./i18n.js";

const LONG_SIDE = 2000;
const QUALITY = 0.85;
const KEEP_AS_IS = 1.5 * 1024 * 1024; // a JPEG this small and within LONG_SIDE goes as it is
const RETRY_EVERY = 15000; // ms, while the link is down
const DB = "openspace-photos";
const STORE = "queue";

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "id",
      autoIncrement: true });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function store(mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const result = work(tx.objectStore(STORE));
    tx.oncomplete = () => { db.close(); resolve(result && result.result); };
    tx.onerror = () => { db.close(); reject(tx.error); };
  });
}

const queued = () => store("readonly", (s) => s.getAll());
const enqueue = (item) => store("readwrite", (s) => s.add(item));
const dequeue = (id) => store("readwrite", (s) => s.delete(id));
const update = (item) => store("readwrite", (s) => s.put(item));

// The photo as it will be sent: a JPEG within LONG_SIDE, upright.
async function smaller(file) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
  if (scale === 1 && file.type === "image/jpeg" && file.size <= KEEP_AS_IS) {
    bitmap.close();
    return file;
  }
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return new Promise((resolve, reject) => canvas.toBlob(
    (blob) => (blob ? resolve(blob) : reject(new Error("toBlob"))), "image/jpeg", QUALITY));
}

function csrfToken() {
  const meta = document.querySelector("meta[name=csrf-token]");
  return meta ? meta.content : "";
}

// The server's words from a refused upload (it answers with the topic page and its alert).
function refusal(html) {
  const doc = new DOMParser().parseFromString(html || "", "text/html");
  const alert = doc.querySelector("main .alert, main [role=alert]");
  return (alert && alert.textContent.trim()) || _("The server refused the photo.");
}

// One upload: resolves "done", "offline" (no answer: try again later) or the refusal text.
function send(item, onProgress) {
  return new Promise((resolve) => {
    const body = new FormData();
    body.append("csrf_token", csrfToken());
    body.append("photo", item.blob, item.name);
    body.append("caption", item.caption || "");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", item.action);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve("done");
      else if (xhr.status >= 500 || xhr.status === 429) resolve("offline"); // passes: retry
      else resolve({ refused: refusal(xhr.responseText) });
    };
    xhr.onerror = () => resolve("offline");
    xhr.ontimeout = () => resolve("offline");
    xhr.send(body);
  });
}

function button(label, onClick) {
  const el = document.createElement("button");
  el.type = "button";
  el.className = "btn small";
  el.textContent = label;
  el.addEventListener("click", onClick);
  return el;
}

function start(form) {
  form.dataset.worksOffline = ""; // pwa.js lets it through offline: the queue waits
  const list = document.createElement("ul");
  list.className = "photo-queue";
  list.dataset.photoQueue = "";
  list.setAttribute("aria-live", "polite");
  form.after(list);
  const rows = new Map(); // queue id -> {row, bar, status, actions}
  let running = false;
  let retryTimer = null;

  function row(item) {
    if (rows.has(item.id)) return rows.get(item.id);
    const li = document.createElement("li");
    li.className = "photo-queue-item";
    li.dataset.photoItem = item.id;
    const name = document.createElement("span");
    name.className = "photo-queue-name";
    name.textContent = item.caption || item.name;
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = 0;
    bar.setAttribute("aria-label", _("Upload progress"));
    const status = document.createElement("span");
    status.className = "photo-queue-status";
    const actions = document.createElement("span");
    actions.className = "photo-queue-actions";
    li.append(name, bar, status, actions);
    list.append(li);
    const entry = { li, bar, status, actions };
    rows.set(item.id, entry);
    return entry;
  }

  function show(item, state, text) {
    const entry = row(item);
    entry.li.dataset.state = state;
    entry.status.textContent = text;
    entry.actions.replaceChildren();
    if (state === "waiting") entry.actions.append(button(_("Retry"), () => run()));
    if (state === "refused") {
      entry.actions.append(button(_("Retry"), async () => {
        item.refused = null; // sent again once
        await update(item);
        run();
      }));
      entry.actions.append(button(_("Remove"), async () => {
        await dequeue(item.id);
        entry.li.remove();
        rows.delete(item.id);
      }));
    }
  }

  async function refreshPhotos() {
    try {
      const response = await fetch(location.href, { credentials: "same-origin" });
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = doc.querySelector("#photos .photo-grid, #photos .empty-note");
      const here = document.querySelector("#photos .photo-grid, #photos .empty-note");
      if (fresh && here) here.replaceWith(document.importNode(fresh, true));
    } catch (error) { /* the photos show on the next visit */ }
  }

  async function run() {
    if (running) return;
    running = true;
    clearTimeout(retryTimer);
    let sent = 0;
    try {
      for (const item of await queued()) {
        if (item.refused) {
          show(item, "refused", _("Not uploaded: %(reason)s", { reason: item.refused }));
          continue;
        }
        show(item, "sending", _("Uploading…"));
        const entry = row(item);
        const result = await send(item, (part) => { entry.bar.value = part; });
        if (result === "done") {
          await dequeue(item.id);
          entry.bar.value = 1;
          show(item, "done", _("Uploaded."));
          sent += 1;
        } else if (result === "offline") {
          show(item, "waiting", _("Waiting for the connection: it uploads when you are back online."));
          retryTimer = setTimeout(run, RETRY_EVERY);
          break; // in order: the next ones wait too
        } else {
          item.refused = result.refused;
          await update(item);
          show(item, "refused", _("Not uploaded: %(reason)s", { reason: result.refused }));
        }
      }
    } finally {
      running = false;
    }
    if (sent) await refreshPhotos();
  }

  form.addEventListener("submit", async (event) => {
    const file = [...form.querySelectorAll("input[type=file]")]
      .map((input) => input.files && input.files[0]).find(Boolean);
    if (!file) return; // nothing chosen: the server says so, as without JavaScript
    event.preventDefault();
    const caption = form.querySelector("input[name=caption]");
    const pending = { id: -Date.now(), name: file.name, caption: caption ? caption.value : "" };
    show(pending, "preparing", _("Making the photo smaller…"));
    let blob;
    try {
      blob = await smaller(file);
    } catch (error) {
      blob = file; // a format the browser cannot draw: the server decides
    }
    rows.get(pending.id).li.remove();
    rows.delete(pending.id);
    const name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
    await enqueue({ action: form.action, blob, name: blob === file ? file.name : name,
      caption: pending.caption, added: new Date().toISOString() });
    form.reset();
    // (photo-picker.js hides its preview when told the inputs changed)
    form.querySelectorAll("input[type=file]").forEach((input) => input.dispatchEvent(
      new Event("change")));
    run();
  }, true);

  window.addEventListener("online", run);
  run(); // what an earlier page left in the queue
  window.openspacePhotos = { run, queued };
}

const form = document.querySelector("form.photo-upload");
if (form && window.indexedDB && window.createImageBitmap) start(form);
