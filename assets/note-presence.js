// Presence (awareness) of other people in a note, made safe to show whatever arrives.
//
// Every reader's editor shows the others' names and carets, and y-codemirror puts a state's
// user.color straight into a style attribute: a colour such as "red; position: fixed; inset: 0"
// would cover the page. The server refuses such states (domain/notes.py _awareness_problem);
// this is the second layer: a remote state is rewritten before the awareness sees it, so only
// a colour written #rrggbb and a name of at most NAME_MAX characters of text ever reach the page.
import { modifyAwarenessUpdate } from "y-protocols/awareness";

export const NAME_MAX = 80; // as validation.NAME_MAX on the server
const COLOUR = /^#[0-9a-f]{6}$/i;
const LIGHT = /^#[0-9a-f]{6}([0-9a-f]{2})?$/i;
// Caret and name-tag colours: dark enough for white text on them.
export const COLOURS = ["#1f5fbf", "#1d7a46", "#a3470b", "#8e24aa", "#b3261e", "#00796b",
  "#6d4c41", "#c2185b"];

export function userColour(id) {
  const colour = COLOURS[Math.abs(Number(id) || 0) % COLOURS.length];
  return { color: colour, colorLight: colour + "33" };
}

// A state's `user` as the page may show it: {name, color, colorLight}, nothing else (a colour
// that is not one becomes one of ours, picked by the name).
export function safeUser(user) {
  if (!user || typeof user !== "object") return null;
  const name = typeof user.name === "string" ? user.name.trim().slice(0, NAME_MAX) : "";
  if (!name) return null;
  const color = typeof user.color === "string" && COLOUR.test(user.color) ? user.color
    : userColour([...name].reduce((sum, ch) => sum + ch.codePointAt(0), 0)).color;
  const colorLight = typeof user.colorLight === "string" && LIGHT.test(user.colorLight)
    ? user.colorLight : color + "33";
  return { name, color, colorLight };
}

// An awareness update from the server with every state's user made safe (null when the update
// is malformed: it is then ignored).
export function safeAwarenessUpdate(update) {
  try {
    return modifyAwarenessUpdate(update, (state) => {
      if (!state || typeof state !== "object" || Array.isArray(state)) return null;
      const out = { ...state };
      const user = safeUser(state.user);
      if (user) out.user = user; else delete out.user;
      return out;
    });
  } catch (error) {
    return null;
  }
}
