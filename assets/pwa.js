// The page's side of the installable app (every page loads it; the worker is assets/sw.js):
// - registers the service worker, and hands it the first page it did not see load;
// - a page that is a copy kept on this device (the worker marks <html data-offline-since>)
//   says so: "Offline since 10:42 — showing what you saw last";
// - forms need the connection: sent offline, they stay on the page with a clear note (board
//   actions are not queued, docs/architecture.md "Offline" says why);
// - logging out first empties this account's kept pages;
// - a new deployment's worker waits: "A new version is ready — Reload";
// - the offline page lists what is kept;
// - pages with the photo upload form load photos.js (downscale, progress, a queue).
import { _, formatTime } from "./i18n.js";

const html = document.documentElement;
const PAGES = "openspace-pages-v1-";
const sw = "serviceWorker" in navigator ? navigator.serviceWorker : null;

function isOfflineCopy() {
  return Boolean(html.dataset.offlineSince);
}

// Times on the event's clock (the banner names the event's zone on the event's pages).
function eventZone() {
  const el = document.querySelector("[data-offline-banner][data-timezone], [data-timezone]");
  return (el && el.dataset.timezone) || undefined;
}

function showOfflineBanner() {
  const banner = document.querySelector("[data-offline-banner]");
  // (The offline page says it all itself.)
  if (!banner || !isOfflineCopy() || document.querySelector("[data-offline-list]")) return;
  const since = new Date(html.dataset.offlineSince);
  banner.textContent = _("Offline since %(time)s — showing what you saw last",
    { time: formatTime(since, eventZone()) });
  banner.hidden = false;
  html.classList.add("has-notice"); // room at the foot of the page, so nothing hides under it
  window.addEventListener("online", () => {
    banner.textContent = _("Back online: reload the page for the latest.");
  });
}

// Forms cannot be sent without a link: keep what was typed and say so, never a browser error.
function guardForms() {
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
    if (form.hasAttribute("data-works-offline")) return; // photos: queued (photos.js)
    if (navigator.onLine !== false && !isOfflineCopy()) return;
    event.preventDefault();
    const template = document.querySelector("template[data-offline-form-note]");
    if (!template || form.querySelector(".offline-form-note")) return;
    const note = template.content.firstElementChild.cloneNode(true);
    form.append(note);
    window.addEventListener("online", () => note.remove(), { once: true });
  }, true);
}

// Ask the worker something and wait for its answer (or give up after a second).
function ask(worker, message) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(resolve, 1000);
    channel.port1.onmessage = () => { clearTimeout(timer); resolve(); };
    worker.postMessage(message, [channel.port2]);
  });
}

async function forgetPages() {
  if (sw && sw.controller) await ask(sw.controller, { type: "LOGOUT" });
  if (window.caches) {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith(PAGES)).map((n) => caches.delete(n)));
  }
}

function guardLogout() {
  document.querySelectorAll("form[action$='/logout'], form[action$='/logout-everywhere']")
    .forEach((form) => {
      form.addEventListener("submit", (event) => {
        if (form.dataset.cleared || event.defaultPrevented) return;
        event.preventDefault();
        forgetPages().finally(() => { form.dataset.cleared = "1"; form.submit(); });
      });
    });
}

async function listKept() {
  const list = document.querySelector("[data-offline-list]");
  if (!list) return;
  if (html.hasAttribute("data-offline-post")) {
    document.querySelector("[data-offline-post-note]").hidden = false;
  }
  const pages = [];
  if (window.caches) {
    for (const name of (await caches.keys()).filter((n) => n.startsWith(PAGES))) {
      const cache = await caches.open(name);
      for (const request of await cache.keys()) {
        const copy = await cache.match(request);
        pages.push({ url: new URL(request.url),
          title: decodeURIComponent(copy.headers.get("X-Openspace-Title") || ""),
          saved: copy.headers.get("X-Openspace-Saved-At") });
      }
    }
  }
  pages.sort((a, b) => (b.saved || "").localeCompare(a.saved || ""));
  list.replaceChildren(...pages.map((page) => {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = page.url.pathname + page.url.search;
    link.textContent = page.title || page.url.pathname;
    item.append(link);
    if (page.saved) {
      const when = document.createElement("span");
      when.className = "muted";
      when.textContent = _("saved %(time)s", { time: formatTime(new Date(page.saved)) });
      item.append(when);
    }
    return item;
  }));
  document.querySelector("[data-offline-empty]").hidden = pages.length > 0;
}

function offerUpdate(registration) {
  const prompt = document.querySelector("[data-update-prompt]");
  if (!prompt) return;
  const show = () => {
    if (!registration.waiting || !sw.controller) return; // the first install needs no reload
    prompt.hidden = false;
    html.classList.add("has-notice");
  };
  show();
  registration.addEventListener("updatefound", () => {
    const next = registration.installing;
    if (next) next.addEventListener("statechange", () => { if (next.state === "installed") show(); });
  });
  prompt.querySelector("[data-update-reload]").addEventListener("click", () => {
    let reloading = false;
    sw.addEventListener("controllerchange", () => {
      if (!reloading) { reloading = true; location.reload(); }
    });
    if (registration.waiting) registration.waiting.postMessage({ type: "SKIP_WAITING" });
  });
}

async function register() {
  const controlled = Boolean(sw.controller);
  const registration = await sw.register("/sw.js", { scope: "/" });
  offerUpdate(registration);
  if (controlled || isOfflineCopy()) { html.dataset.sw = "ready"; return; }
  // The worker did not see this page load: it takes the page over (a first visit, a hard
  // reload, a page that loaded while it was activating), and gets the page and what it loaded.
  const ready = await sw.ready;
  if (ready.active && !sw.controller) await ask(ready.active, { type: "CLAIM" });
  const urls = [location.href, ...performance.getEntriesByType("resource")
    .map((entry) => entry.name).filter((name) => name.startsWith(location.origin + "/static/")
      || name.startsWith(location.origin + "/i18n/"))];
  if (ready.active) await ask(ready.active, { type: "KEEP", urls });
  html.dataset.sw = "ready";
}

showOfflineBanner();
guardForms();
if (document.querySelector("form.photo-upload")) import("./photos.js");
guardLogout();
listKept();
if (sw) {
  const start = () => register().catch(() => { /* no worker: the app works as a website */ });
  if (document.readyState === "complete") start(); else window.addEventListener("load", start);
}
