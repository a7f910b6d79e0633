// Morning and evening news on the projector (no build step: plain JavaScript, no inline code).
// - Rolls through [data-news-item]s one at a time (every ROLL_MS), when there is more than one.
// - Refetches the page every REFRESH_MS and swaps its [data-live-region]s (as live.js does after
//   a version gap), so newly written reports appear, and the wall switches between the agenda
//   and the news when a time slot starts or ends.
(() => {
  "use strict";
  const ROLL_MS = 12000;
  const REFRESH_MS = 60000;
  let shown = 0;

  function roll() {
    const list = document.querySelector("[data-news-roll]");
    if (!list) return;
    const items = list.querySelectorAll("[data-news-item]");
    if (items.length < 2) { delete list.dataset.rolling; return; }
    list.dataset.rolling = "";
    shown = (shown + 1) % items.length;
    items.forEach((item, i) => item.classList.toggle("is-shown", i === shown));
  }

  function start() {
    const list = document.querySelector("[data-news-roll]");
    if (!list) return;
    shown = -1;
    roll();
  }

  async function refresh() {
    try {
      const response = await fetch(location.href, { headers: { "X-Live-Refetch": "1" },
        credentials: "same-origin" });
      if (!response.ok) return;
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      document.querySelectorAll("[data-live-region]").forEach((region) => {
        const next = doc.querySelector(`[data-live-region="${region.dataset.liveRegion}"]`);
        if (next && next.innerHTML !== region.innerHTML) {
          region.replaceWith(document.importNode(next, true));
        }
      });
      start();
    } catch (error) {
      // Offline: live.js shows it; try again at the next tick.
    }
  }

  start();
  setInterval(roll, ROLL_MS);
  setInterval(refresh, REFRESH_MS);
})();
