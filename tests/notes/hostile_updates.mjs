// Hostile note updates built by Node's yjs (the browser's library), for tests/notes.
// Reads the note's state (a v1 update, base64) on stdin; prints {name: base64 update} built on
// it, each as one client would send it to `note:update`.
import * as Y from "yjs";

const input = await new Promise((resolve) => {
  let data = "";
  process.stdin.on("data", (chunk) => { data += chunk; });
  process.stdin.on("end", () => resolve(data.trim()));
});

function edit(change, { v2 = false } = {}) {
  const doc = new Y.Doc();
  if (input) Y.applyUpdate(doc, Buffer.from(input, "base64"));
  const before = Y.encodeStateVector(doc);
  change(doc);
  const update = v2 ? Y.encodeStateAsUpdateV2(doc, before) : Y.encodeStateAsUpdate(doc, before);
  return Buffer.from(update).toString("base64");
}

const text = (doc) => doc.getText("markdown");
const out = {
  plain: edit((doc) => text(doc).insert(text(doc).length, "Plain words.\n")),
  embed: edit((doc) => text(doc).insertEmbed(0, { image: "x" })),
  formatted: edit((doc) => text(doc).insert(0, "bold", { bold: true })),
  format: edit((doc) => text(doc).format(0, 3, { bold: true })),
  xml_element: edit((doc) => text(doc).insertEmbed(0, new Y.XmlElement("p"))),
  nested_text: edit((doc) => text(doc).insertEmbed(0, new Y.Text("inner"))),
  array_items: edit((doc) => doc.getArray("markdown").insert(0, [1, "two", { three: 3 }])),
  text_attribute: edit((doc) => text(doc).setAttribute("hidden", "storage")),
  subdocument: edit((doc) => text(doc).insertEmbed(0, new Y.Doc())),
  other_map: edit((doc) => doc.getMap("other").set("hidden", "storage")),
  other_text: edit((doc) => doc.getText("other").insert(0, "hidden")),
  xml_fragment: edit((doc) => doc.getXmlFragment("fragment").insert(0, [new Y.XmlText("x")])),
  map_subdocument: edit((doc) => doc.getMap("other").set("sub", new Y.Doc())),
  v2: edit((doc) => text(doc).insert(0, "Written by a v2 client.\n"), { v2: true }),
};
// A v1 update followed by bytes that are not part of it.
out.trailing = Buffer.concat([Buffer.from(out.plain, "base64"), Buffer.from([1, 2, 3])])
  .toString("base64");
process.stdout.write(JSON.stringify(out));
