"""`openspace export` in every format, read back by the formats' own parsers."""

from __future__ import annotations

import io
import json
import zipfile

import icalendar
import jsonschema
from markdown_it import MarkdownIt

from openspace.domain import backup


def _export(app, finished, fmt, tmp_path) -> bytes:
    out = tmp_path / f"export.{fmt}"
    result = app.test_cli_runner().invoke(
        args=["export", finished.event.slug, "--format", fmt, "-o", str(out),
              "--base-url", "https://ost.example.org"])
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def test_export_md_links_photos_on_the_base_url(app, finished, tmp_path):
    text = _export(app, finished, "md", tmp_path).decode()
    tokens = MarkdownIt("commonmark").parse(text)
    images = [c.attrGet("src") for t in tokens if t.type == "inline" for c in t.children or []
              if c.type == "image"]
    assert len(images) == 1 and images[0].startswith("https://ost.example.org/photos/")


def test_export_zip_json_and_ics(app, finished, tmp_path):
    archive = zipfile.ZipFile(io.BytesIO(_export(app, finished, "zip", tmp_path)))
    assert f"{finished.event.slug}/index.md" in archive.namelist()

    data = json.loads(_export(app, finished, "json", tmp_path))
    jsonschema.validate(data, backup.schema(), cls=jsonschema.Draft202012Validator)
    assert data["event"]["join_code"] == finished.event.join_code  # the backup keeps it

    cal = icalendar.Calendar.from_ical(_export(app, finished, "ics", tmp_path))
    urls = {str(e["url"]) for e in cal.walk("VEVENT") if "url" in e}
    assert f"https://ost.example.org/t/{finished.pricing.id}" in urls
    assert all(str(e["uid"]).endswith("@ost.example.org") for e in cal.walk("VEVENT"))


def test_export_of_an_unknown_event_says_so(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["export", "nope", "--format", "md"])
    assert result.exit_code == 1
    assert "No event with the slug 'nope'" in result.output
