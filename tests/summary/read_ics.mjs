// Reads an iCalendar file with two independent JavaScript parsers, ical.js (Thunderbird's) and
// node-ical, and prints {"ical.js": {uid: [start, end]}, "node-ical": {...}} as UTC ISO times.
// Used by tests/summary/test_ical.py: every reader must see each session at the same instant.
import fs from "node:fs";
import ICAL from "ical.js";
import nodeIcal from "node-ical";

const text = fs.readFileSync(process.argv[2], "utf8");
const out = { "ical.js": {}, "node-ical": {} };

const calendar = new ICAL.Component(ICAL.parse(text));
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(zone);
}
for (const component of calendar.getAllSubcomponents("vevent")) {
  const event = new ICAL.Event(component);
  out["ical.js"][event.uid] = [event.startDate.toJSDate().toISOString(),
    event.endDate.toJSDate().toISOString()];
}

for (const item of Object.values(nodeIcal.sync.parseICS(text))) {
  if (item.type === "VEVENT") {
    out["node-ical"][item.uid] = [item.start.toISOString(), item.end.toISOString()];
  }
}
process.stdout.write(JSON.stringify(out));
