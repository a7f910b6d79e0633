// Builds static/icons.svg: one SVG sprite of the Lucide icons (npm lucide-static, ISC licence)
// the templates use, as <symbol id="NAME">. Templates draw one with the icon() macro
// (templates/_macros.html): <svg><use href="/static/icons.svg#NAME"></svg>, same origin, no CDN.
// Run by `npm run build`; the built sprite is committed, so installing needs no npm.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export const ICONS = [
  "arrow-left", "calendar-days", "check", "chevron-right", "circle-user", "clock", "ellipsis",
  "file-text", "hash", "heart", "info", "languages", "layout-grid", "lock", "lock-open",
  "log-in", "log-out", "map-pin", "megaphone", "monitor", "moon", "notebook-pen", "plus",
  "presentation", "printer", "qr-code", "search", "settings", "shield", "sparkles", "store", "sun", "sun-moon", "tag",
  "user-round", "users", "x",
];

const require = createRequire(import.meta.url);
const folder = join(dirname(require.resolve("lucide-static/package.json")), "icons");
const version = JSON.parse(readFileSync(join(folder, "..", "package.json"), "utf8")).version;

const symbols = ICONS.map((name) => {
  const svg = readFileSync(join(folder, `${name}.svg`), "utf8");
  const body = svg.replace(/<!--[\s\S]*?-->/g, "").replace(/^[\s\S]*?<svg[^>]*>/, "")
    .replace(/<\/svg>\s*$/, "").replace(/\s*\n\s*/g, "").trim();
  return `<symbol id="${name}" viewBox="0 0 24 24" fill="none" stroke="currentColor" `
    + `stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${body}</symbol>`;
});

const sprite = `<svg xmlns="http://www.w3.org/2000/svg"><!-- Lucide ${version} (ISC), `
  + "built by assets/icons.mjs -->\n"
  + symbols.join("\n") + "\n</svg>\n";
writeFileSync(new URL("../static/icons.svg", import.meta.url), sprite);
console.log(`static/icons.svg: ${ICONS.length} icons, ${sprite.length} bytes`);
