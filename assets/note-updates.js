// Cutting a Yjs (v1) update into several smaller ones that, applied in order, do the same.
//
// The server refuses a note:update larger than MAX_UPDATE (openspace/domain/notes.py). A paste
// of a long text is one Yjs transaction, hence one update holding one long string item; so are
// the offline edits a reconnect sends in one go. splitUpdate() re-encodes such an update as a
// sequence of updates of at most `maxBytes`: long strings are cut into consecutive items (each
// piece's left origin is the previous piece's last character, exactly how Yjs itself splits an
// item), structs are grouped per client in clock order, and the deletions go last on their own.
import * as Y from "yjs";

// Pieces of a string item: at most this many UTF-16 units, 3 bytes each in UTF-8 at most (an
// astral character is 2 units and 4 bytes).
const bytesPerUnit = 3;

function varUint(value) {
  const out = [];
  let n = value;
  while (n > 0x7f) {
    out.push(0x80 | (n % 0x80));
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

function encodedSize(struct) {
  const encoder = new Y.UpdateEncoderV1();
  struct.write(encoder, 0);
  return encoder.toUint8Array().length;
}

// A string item cut into items of at most `units` UTF-16 units, never inside a surrogate pair.
function cutString(item, units) {
  const { str } = item.content;
  const { client, clock } = item.id;
  const parts = [];
  for (let at = 0; at < str.length;) {
    let end = Math.min(str.length, at + units);
    const last = str.charCodeAt(end - 1);
    if (end < str.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    const origin = at === 0 ? item.origin : Y.createID(client, clock + at - 1);
    parts.push(new Y.Item(Y.createID(client, clock + at), null, origin, null, item.rightOrigin,
      item.parent, item.parentSub, new Y.ContentString(str.slice(at, end))));
    at = end;
  }
  return parts;
}

// One update: one client's consecutive structs, no deletions.
function encodeStructs(structs) {
  const encoder = new Y.UpdateEncoderV1();
  structs.forEach((struct) => struct.write(encoder, 0));
  const body = encoder.toUint8Array();
  const head = [...varUint(1), ...varUint(structs.length), ...varUint(structs[0].id.client),
    ...varUint(structs[0].id.clock)];
  const update = new Uint8Array(head.length + body.length + 1);
  update.set(head, 0);
  update.set(body, head.length);
  update[update.length - 1] = 0; // an empty delete set
  return update;
}

// One update: no structs, the deletions of `ds` (client -> [{clock, len}]).
function encodeDeletions(ds) {
  const out = [0, ...varUint(ds.clients.size)];
  ds.clients.forEach((ranges, client) => {
    out.push(...varUint(client), ...varUint(ranges.length));
    ranges.forEach(({ clock, len }) => out.push(...varUint(clock), ...varUint(len)));
  });
  return new Uint8Array(out);
}

// The update itself if it is at most maxBytes, else the pieces to send, in order.
export function splitUpdate(update, maxBytes) {
  if (update.length <= maxBytes) return [update];
  const budget = maxBytes - 64; // room for the header
  const units = Math.floor(budget / bytesPerUnit);
  const pieces = [];
  let group = [];
  let size = 0;
  const close = () => {
    if (group.length) pieces.push(encodeStructs(group));
    group = [];
    size = 0;
  };
  const { structs, ds } = Y.decodeUpdate(update);
  for (const struct of structs) {
    if (struct instanceof Y.Skip) { close(); continue; } // a gap: what follows starts anew
    const parts = struct instanceof Y.Item && struct.content instanceof Y.ContentString
      && struct.content.str.length > units ? cutString(struct, units) : [struct];
    for (const part of parts) {
      const partSize = encodedSize(part);
      const last = group[group.length - 1];
      if (last && (last.id.client !== part.id.client
        || last.id.clock + last.length !== part.id.clock || size + partSize > budget)) close();
      group.push(part);
      size += partSize;
    }
  }
  close();
  if (ds.clients.size) pieces.push(encodeDeletions(ds));
  return pieces;
}
