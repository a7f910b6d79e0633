// Shared session notes, started when they come near the screen (issue 12, Lighthouse).
//
// The editor (note-editor.js: CodeMirror on a Yjs document, most of the page's script) is not
// parsed and set up with the page: on a phone that held the main thread for ~1 s at load, while
// the notes are screens further down than what the topic page is first opened for (where,
// when, "I'll come"). The page fetches the editor's files at the lowest priority (<link
// rel="prefetch">, see module_script in openspace/web/assets.py: in the HTTP cache and the
// worker's for offline, never run), and this starts it once the notes are within a screen of
// view: by the time they are scrolled to, it takes typing. A link to the notes (#notes) or
// notes already in view start it at once, as does a browser without IntersectionObserver.
// Until then the server's formatted notes are in [data-note-editor], as without JavaScript.
const root = document.querySelector("[data-note]");
const AHEAD = "100% 0px"; // start when the notes are within a screen (above or below) of view

let started = false;
function load() {
  if (started) return;
  started = true;
  import("./note-editor.js").then(({ start }) => start(), () => {
    // Not fetched (offline before the editor was ever loaded here): again once back online.
    started = false;
    window.addEventListener("online", load, { once: true });
  });
}

if (root) {
  if (!("IntersectionObserver" in window) || window.location.hash === `#${root.id}`) {
    load();
  } else {
    const near = new IntersectionObserver((entries) => {
      if (!entries.some((entry) => entry.isIntersecting)) return;
      near.disconnect();
      load();
    }, { rootMargin: AHEAD });
    near.observe(root);
  }
}
