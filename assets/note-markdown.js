// The notes editor's Markdown: the language (highlighting) and its list commands. Loaded after
// the editor is up (assets/notes.js imports it dynamically, esbuild makes it a chunk of its
// own): on venue wifi the editor takes typing without waiting for these ~70 kB (issue 13).
import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { keymap } from "@codemirror/view";
// The language and its list commands only: markdown() would also bundle the HTML, CSS and
// JavaScript parsers for embedded code (~150 kB) that a session note does not need.
import { deleteMarkupBackward, insertNewlineContinueMarkup,
  markdownLanguage } from "@codemirror/lang-markdown";
import { tags } from "@lezer/highlight";

// Markdown highlighting in the page's own colours: the text stays plain text with light marks.
const highlight = HighlightStyle.define([
  { tag: tags.heading1, fontWeight: "700", fontSize: "1.25em" },
  { tag: tags.heading2, fontWeight: "700", fontSize: "1.15em" },
  { tag: [tags.heading3, tags.heading4, tags.heading5, tags.heading6], fontWeight: "700" },
  { tag: tags.strong, fontWeight: "700" },
  { tag: tags.emphasis, fontStyle: "italic" },
  { tag: tags.strikethrough, textDecoration: "line-through" },
  { tag: [tags.link, tags.url], color: "var(--accent)" },
  { tag: tags.monospace, fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace" },
  { tag: [tags.processingInstruction, tags.contentSeparator], color: "var(--muted)" },
]);

// What goes in the editor's markdown compartment, in this order.
export const language = [markdownLanguage, syntaxHighlighting(highlight)];
// Enter continues a list ("- ", "1. ", "- [ ] "), Backspace takes its mark away.
export const listKeys = keymap.of([{ key: "Enter", run: insertNewlineContinueMarkup },
  { key: "Backspace", run: deleteMarkupBackward }]);
