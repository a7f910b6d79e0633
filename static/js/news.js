// Morning and evening news on the projector (no build step: plain JavaScript, no inline code).
// - Rolls through [data-news-item]s one at a time (every ROLL_MS), when there is more than one.
// - Asks live.js to refetch the page's [data-live-region]s every REFRESH_MS, so newly written
//   reports appear, and the wall switches between the agenda and the news when a time slot
//   starts or ends (notes change without a board:changed, hence the timer).
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

  // live.js refetches the page's live regions (after a gap, a reconnect, a new time slot, or
  // when asked here); the news list may have been replaced: start rolling it again.
  function refresh() {
    if (window.openspaceLive) window.openspaceLive.refetch({ quiet: true });
  }
  document.addEventListener("openspace:refetched", start);

  start();
  setInterval(roll, ROLL_MS);
  setInterval(refresh, REFRESH_MS);
})();
