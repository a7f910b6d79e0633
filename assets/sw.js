// The service worker: the app opens on venue wifi that comes and goes (docs/architecture.md,
// "Offline"). Served from /sw.js (openspace/web/pwa), which puts self.OPENSPACE_BUILD in front:
// {version, shell: [fingerprinted URLs of the app shell and the offline page]}.
//
// - The shell is precached (Workbox) when the worker installs; other static files and the
//   language catalogs are cached the first time they are used (their URLs name their content).
// - The event's pages (board, marketplace, Now & Next, my agenda, More, action items, the
//   summary, topics with their notes, the events list) go to the network first; each good answer is kept in the cache of the viewer
//   it was made for (X-Openspace-Viewer); offline, the kept copy is shown, marked with when the
//   link dropped (assets/pwa.js shows the banner). A page never seen: our offline page.
// - A new viewer (a logout, another account) empties the other viewers' caches.
// - A new deployment is a new worker: it waits until the page says "reload" (SKIP_WAITING).
import { cleanupOutdatedCaches, matchPrecache, precacheAndRoute } from "workbox-precaching";
import { registerRoute, setCatchHandler } from "workbox-routing";
import { CacheFirst } from "workbox-strategies";
import { ExpirationPlugin } from "workbox-expiration";

const BUILD = self.OPENSPACE_BUILD || { version: "dev", shell: [] };
const PAGES = "openspace-pages-v1-"; // + viewer key
const STATIC = "openspace-static-"; // + build version
const META = "openspace-meta-v1";
const OFFLINE_URL = BUILD.shell.find((url) => url.startsWith("/offline")) || "/offline";
// Pages kept for offline use (paths, without query or fragment).
const KEPT = [/^\/$/, /^\/e\/[^/]+$/, /^\/e\/[^/]+\/(marketplace|now|me|more|actions|summary)$/,
  /^\/t\/\d+$/];

let viewer = null; // the key of whom the pages are kept for (null: not known yet)
let offlineSince = null; // when the network last failed us (null: it works)

const kept = (url) => url.origin === self.location.origin && KEPT.some((re) => re.test(url.pathname));
const pageKey = (url) => url.origin + url.pathname + url.search;

precacheAndRoute(BUILD.shell.map((url) => ({
  url, revision: url.includes("?v=") || url.includes("/chunks/") ? null : BUILD.version })));
cleanupOutdatedCaches();

async function knownViewer() {
  if (viewer !== null) return viewer;
  const stored = await (await caches.open(META)).match("/__viewer");
  viewer = stored ? await stored.text() : null;
  return viewer;
}

// Someone else is looking now: nobody else's pages stay on this device.
async function setViewer(key) {
  if (key === (await knownViewer())) return;
  viewer = key;
  await (await caches.open(META)).put("/__viewer", new Response(key));
  await forgetPages(key);
}

async function forgetPages(except) {
  const names = await caches.keys();
  await Promise.all(names.filter((name) => name.startsWith(PAGES) && name !== PAGES + except)
    .map((name) => caches.delete(name)));
}

// The copy we keep: the page as it came, with when and what it was (for the offline list).
async function keep(key, url, response) {
  const html = await response.text();
  const title = (html.match(/<title>([^<]*)<\/title>/) || [])[1] || url.pathname;
  const headers = new Headers({ "Content-Type": "text/html; charset=utf-8",
    "X-Openspace-Saved-At": new Date().toISOString(),
    "X-Openspace-Title": encodeURIComponent(title.trim()) });
  await (await caches.open(PAGES + key)).put(pageKey(url), new Response(html, { headers }));
}

// A kept copy as served offline: <html> says since when we are offline and when it was saved.
async function offlineCopy(copy, extra = "") {
  const html = await copy.text();
  const since = (offlineSince || new Date()).toISOString();
  const saved = copy.headers.get("X-Openspace-Saved-At") || "";
  const marked = html.replace("<html", `<html data-offline-since="${since}" `
    + `data-offline-saved="${saved}"${extra}`);
  return new Response(marked, { headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function offlinePage(extra = "") {
  const page = await matchPrecache(OFFLINE_URL);
  // Always there: a worker whose precache failed is never installed.
  return page ? offlineCopy(page, extra) : Response.error();
}

async function page({ request, url }) {
  const navigate = request.mode === "navigate";
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    offlineSince = offlineSince || new Date();
    if (!navigate) return Response.error(); // live.js's refetch: it says so and retries
    const key = await knownViewer();
    const copy = key && await (await caches.open(PAGES + key)).match(pageKey(url));
    return copy ? offlineCopy(copy) : offlinePage();
  }
  offlineSince = null;
  const key = response.headers.get("X-Openspace-Viewer");
  if (key) {
    await setViewer(key);
    const type = response.headers.get("Content-Type") || "";
    if (response.status === 200 && type.startsWith("text/html")) {
      await keep(key, url, response.clone());
    }
  }
  return response;
}

// Other pages (account, settings, forms): the network, our offline page when there is none.
async function network({ request }) {
  try {
    const response = await fetch(request);
    offlineSince = null;
    const key = response.headers.get("X-Openspace-Viewer");
    if (key) await setViewer(key);
    return response;
  } catch (error) {
    offlineSince = offlineSince || new Date();
    if (request.mode !== "navigate") return Response.error();
    // A form sent without a link: say it did not go (the offline page shows "not sent").
    return offlinePage(request.method === "POST" ? " data-offline-post" : "");
  }
}

registerRoute(({ request, url }) => request.method === "GET" && kept(url)
  && (request.mode === "navigate" || request.headers.has("X-Live-Refetch")), page);
registerRoute(({ request }) => request.mode === "navigate", network);
registerRoute(({ request }) => request.mode === "navigate", network, "POST");
// Fingerprinted: the same URL is the same bytes, so the cache answers without asking.
registerRoute(({ url }) => url.origin === self.location.origin
  && (url.pathname.startsWith("/static/") || url.pathname.startsWith("/i18n/"))
  && (url.searchParams.has("v") || url.pathname.startsWith("/static/js/chunks/")),
new CacheFirst({ cacheName: STATIC + BUILD.version,
  plugins: [new ExpirationPlugin({ maxEntries: 80 })] }));
setCatchHandler(async () => Response.error());

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith(STATIC)
      && name !== STATIC + BUILD.version).map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  const reply = (value) => event.ports[0] && event.ports[0].postMessage(value);
  if (data.type === "SKIP_WAITING") {
    self.skipWaiting();
  } else if (data.type === "CLAIM") {
    // A page that loaded past this worker (a hard reload, or while it was activating: its
    // claim came before the page existed) asks to be taken over now, not at its next load.
    event.waitUntil(self.clients.claim().then(() => reply({ ok: true })));
  } else if (data.type === "VERSION") {
    reply({ version: BUILD.version });
  } else if (data.type === "LOGOUT") {
    // Before the logout form goes: this account's pages leave the device now.
    viewer = null;
    event.waitUntil(Promise.all([forgetPages(null), caches.open(META)
      .then((cache) => cache.delete("/__viewer"))]).then(() => reply({ ok: true })));
  } else if (data.type === "KEEP" && Array.isArray(data.urls)) {
    // The page the worker did not see (the first visit, before it controlled the page), and
    // what it loaded: fetched again through our own routes, so they are kept like the rest.
    event.waitUntil(Promise.all(data.urls.map(async (href) => {
      const url = new URL(href, self.location.origin);
      if (url.origin !== self.location.origin) return;
      try {
        if (kept(url)) {
          await page({ request: new Request(url.href, { credentials: "same-origin" }), url });
        } else if (url.searchParams.has("v") || url.pathname.startsWith("/static/js/chunks/")) {
          const cache = await caches.open(STATIC + BUILD.version);
          if (!(await cache.match(url.href))) await cache.add(url.href);
        }
      } catch (error) { /* offline again: kept next time */ }
    })).then(() => reply({ ok: true })));
  }
});
