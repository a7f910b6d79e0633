// "@" in the notes editor offers the event's members (names, never e-mail addresses) and writes
// the handle the action items read (`- [ ] what @Ada_Lovelace`): domain/actions.py handle_of.
// The list comes once per page from GET /api/v1/events/<slug>/mentions (members only); offline,
// or for a reader, nothing is offered and "@" is just a character.
import { autocompletion } from "@codemirror/autocomplete";


// An "@" not inside a word, an e-mail address or a URL, then what is typed of the handle.
const TYPED = /(?:^|[^\w@./:])@[\p{L}\p{N}_.-]*$/u;

function loader(url) {
  let members = null;
  return async () => {
    if (members) return members;
    const response = await fetch(url, { credentials: "same-origin",
      headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`mentions: ${response.status}`);
    members = (await response.json()).members || [];
    return members;
  };
}

function fold(text) {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

export function mentions(url) {
  const load = loader(url);
  return autocompletion({
    activateOnTyping: true,
    icons: false,
    override: [async (context) => {
      const before = context.matchBefore(TYPED);
      if (!before) return null;
      const at = before.text.lastIndexOf("@");
      const from = before.from + at;
      const typed = fold(before.text.slice(at + 1));
      let members;
      try {
        members = await load();
      } catch {
        return null; // offline or not a member: no suggestions, typing goes on
      }
      const options = members
        .filter((m) => !typed || fold(m.name).split(/\s+/).some((w) => w.startsWith(typed))
          || fold(m.handle).startsWith(typed))
        .slice(0, 20)
        .map((m) => ({ label: `@${m.handle}`, displayLabel: m.name, detail: `@${m.handle}`,
          apply: `@${m.handle} `, type: "variable" }));
      return { from, options, filter: false,
        validFor: /^@[\p{L}\p{N}_.-]*$/u };
    }],
    tooltipClass: () => "mention-menu",
  });
}


