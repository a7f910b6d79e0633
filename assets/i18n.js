// Texts of the browser code, from the same catalogs as the pages' (translations/*/messages.po).
//
// The page loads its language's catalog as a script before its own code
// (/i18n/<language>.js sets window.openspaceCatalog: base.html does it on every page that has
// scripts), so the texts are there when this code runs. Wrap every text people see:
//
//   import { _, ngettext } from "./i18n.js";
//   _("Back in sync")
//   _("by %(name)s", { name: topic.convener.name })
//   ngettext("%(num)d coming", "%(num)d coming", count)      // %(num)s / %(num)d is the count
//
// Only calls spelled _("...") and ngettext("...", "...", n) with literal texts are extracted by
// `make translations` (pybabel's JavaScript extractor), so never build a text to translate
// from pieces. Placeholders are written %(name)s as in Python; a text given no variables is
// left as it is ("100%" stays). docs/translating.md has the whole convention.

function messages() {
  const catalog = window.openspaceCatalog;
  return (catalog && catalog.messages) || {};
}

// The language the page is in (<html lang>), e.g. "de" or "pt-BR".
export function language() {
  return document.documentElement.lang || "en";
}

function format(text, vars) {
  if (!vars) return text;
  return text.replace(/%\((\w+)\)[sd]|%%/g, (match, name) => {
    if (match === "%%") return "%";
    return Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : match;
  });
}

export function _(msgid, vars) {
  const text = messages()[msgid];
  return format(typeof text === "string" ? text : msgid, vars);
}

let rules = null;

// The catalog keeps each plural text under its CLDR category ("one", "few", "other"...), the
// names Intl.PluralRules answers with, so the browser needs no plural formula (and no eval).
export function ngettext(singular, plural, n, vars) {
  const forms = messages()[singular];
  let text;
  if (forms && typeof forms === "object") {
    if (!rules || rules.resolvedOptions().locale !== language()) {
      rules = new Intl.PluralRules(language());
    }
    text = forms[rules.select(n)] || forms.other;
  }
  if (text === undefined) text = n === 1 ? singular : plural;
  return format(text, Object.assign({ num: n }, vars));
}

// Numbers and times as the page's language writes them; times on the event's clock (pass the
// event's IANA zone, e.g. root.dataset.timezone), never the phone's.
export function formatNumber(n) {
  return new Intl.NumberFormat(language()).format(n);
}

// English on a 24-hour clock, as the server writes it (docs/translating.md), whatever the
// phone's region; the other languages as they write times.
export function formatTime(date, timeZone) {
  const options = { timeZone, hour: "numeric", minute: "2-digit" };
  if (language().startsWith("en")) Object.assign(options, { hour: "2-digit", hourCycle: "h23" });
  return new Intl.DateTimeFormat(language(), options).format(date);
}
