"""The JSON export as backup: export -> import -> export gives the same document; a bad file
is refused with a clear message and changes nothing."""

from __future__ import annotations

import base64
import copy
import io
import json
import os

import pytest
import sqlalchemy as sa
from PIL import ExifTags, Image

from config import TestConfig
from openspace import create_app
from openspace.domain import backup, notes
from openspace.domain.errors import Conflict, ValidationFailed
from openspace.extensions import db
from openspace.models import Event, Note, Photo, Topic, User

from .conftest import jpeg, write_note

pytestmark = pytest.mark.database  # runs on SQLite and again on PostgreSQL (make test-postgres)


def _export(event_id: int) -> str:
    return backup.dumps(backup.export_event(db.session.get(Event, event_id), private=True))


def _counts() -> tuple:
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                 for model in (Event, User, Topic, Note, Photo))


def test_export_delete_import_export_is_identical(app, finished):
    with app.app_context():
        first = _export(finished.event.id)
        db.session.delete(db.session.get(Event, finished.event.id))
        db.session.commit()

        event = backup.import_event(backup.loads(first))

        assert _export(event.id) == first


def test_an_imported_note_goes_on_being_edited(app, finished):
    with app.app_context():
        text = _export(finished.event.id)
        event = backup.import_event(backup.loads(text), slug="copy")
        topic = db.session.scalar(sa.select(Topic).where(Topic.event_id == event.id,
                                                         Topic.title == "Value pricing"))
        pat = topic.convener  # a new name-only account: quick users have no email
        before = notes.current_markdown(topic)

        write_note(topic, pat, before + "- [ ] One more @pat\n")

        assert notes.current_markdown(topic) == before + "- [ ] One more @pat\n"


def test_import_into_an_empty_instance_by_the_command_line(app, finished, tmp_path):
    """The backup/restore path end to end: `openspace export` on one instance, `openspace
    import` on a fresh one, `openspace export` there gives the same file."""
    if os.environ.get("OPENSPACE_TEST_DATABASE_URL"):
        pytest.skip("two instances need two databases: the SQLite run covers this")

    class Empty(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'empty.db'}"

    fresh = create_app(Empty)
    with fresh.app_context():
        db.create_all()
    first, second = tmp_path / "a.json", tmp_path / "b.json"

    exported = app.test_cli_runner().invoke(
        args=["export", finished.event.slug, "--format", "json", "-o", str(first)])
    imported = fresh.test_cli_runner().invoke(args=["import", str(first)])
    again = fresh.test_cli_runner().invoke(args=["export", finished.event.slug, "-o", str(second)])

    assert (exported.exit_code, imported.exit_code, again.exit_code) == (0, 0, 0)
    assert "Imported drupal-cxo: 4 topics, 2 rooms, 4 time slots, 2 members." in imported.output
    assert first.read_text() == second.read_text()
    restored = json.loads(second.read_text())
    assert restored["event"]["join_code"] == finished.event.join_code
    assert [u["name"] for u in restored["users"]] == ["Olga", "Pat"]
    with fresh.app_context():
        db.engine.dispose()


def test_importing_an_existing_slug_is_refused(app, finished):
    with app.app_context():
        text = _export(finished.event.id)
        before = _counts()
        with pytest.raises(Conflict) as raised:
            backup.import_event(backup.loads(text))
        assert raised.value.code == "slug_taken"
        assert _counts() == before


def _broken(data: dict, change) -> dict:
    data = copy.deepcopy(data)
    change(data)
    return data


BROKEN = {
    "not json": None,
    "wrong format": lambda d: d.update(format="something-else"),
    "future version": lambda d: d.update(version=3),
    "language this server does not speak": lambda d: d["event"].update(language="xx"),
    "missing title": lambda d: d["topics"][0].pop("title"),
    "title too long": lambda d: d["topics"][0].update(title="x" * 121),
    "unknown room": lambda d: d["topics"][0].update(room="r99"),
    "bad zone": lambda d: d["event"].update(timezone="Mars/Olympus"),
    "note text differs from its CRDT": lambda d: d["topics"][0]["note"].update(markdown="hi"),
    "crdt not base64": lambda d: d["topics"][0]["note"]["crdt"].update(data="!!!"),
    "photo not a JPEG": lambda d: d["topics"][0]["photos"][0].update(data="aGVsbG8="),
    "two topics in one cell": lambda d: d["topics"][2].update(room=d["topics"][0]["room"],
                                                              slot=d["topics"][0]["slot"]),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_bad_file_is_refused_and_changes_nothing(app, finished, case):
    with app.app_context():
        data = json.loads(_export(finished.event.id))
        before = _counts()
        text = "{not json" if BROKEN[case] is None else json.dumps(
            _broken(data, BROKEN[case]) | {"event": {**_broken(data, BROKEN[case])["event"],
                                                     "slug": "restored"}})

        with pytest.raises(ValidationFailed) as raised:
            backup.import_event(backup.loads(text))

        assert raised.value.message.startswith("Not an importable openspace event")
        assert _counts() == before
        assert db.session.scalar(sa.select(Event).where(Event.slug == "restored")) is None


def test_a_bad_file_names_the_place(app, finished):
    with app.app_context():
        data = json.loads(_export(finished.event.id))
        data["topics"][1]["room"] = "r99"
        data["event"]["slug"] = "restored"
        with pytest.raises(ValidationFailed) as raised:
            backup.import_event(data)
        assert "$.topics[1].room" in raised.value.message


def test_cli_import_of_a_bad_file_says_why(finished, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "openspace-event", "version": 1}')
    app = create_app(TestConfig)
    result = app.test_cli_runner().invoke(args=["import", str(bad)])
    assert result.exit_code == 1
    assert "Not an importable openspace event: $: 'event' is a required property" \
        in result.output


# `openspace import` applies the API's rules to every value ------------------------------------

def _import_file(app, tmp_path, data: dict | str, *args: str):
    """Run `openspace import FILE` on a real file, as an operator would."""
    path = tmp_path / "event.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return app.test_cli_runner().invoke(args=["import", str(path), *args])


def _exported(app, finished) -> dict:
    with app.app_context():
        data = json.loads(_export(finished.event.id))
    data["event"]["slug"] = "restored"
    return data


def _refused(app, tmp_path, data, *args) -> str:
    """The import fails with a message (no traceback) and changes nothing."""
    with app.app_context():
        before = _counts()
    result = _import_file(app, tmp_path, data, *args)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # a message, no traceback
    with app.app_context():
        assert _counts() == before
        assert db.session.scalar(sa.select(Event.id).where(Event.slug == "restored")) is None
    return result.output


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (640, 480), (10, 120, 200))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 12"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({
        ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (50.0, 50.0, 24.0),
        ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (4.0, 21.0, 6.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"shot at home")
    return out.getvalue()


def _claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header claims another size (a decompression bomb)."""
    data = bytearray(jpeg(16, 16).getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def test_an_imported_photo_goes_through_the_photo_pipeline(app, finished, tmp_path):
    data = _exported(app, finished)
    photo = data["topics"][0]["photos"][0]
    photo["data"] = _b64(_jpeg_with_gps())
    with Image.open(io.BytesIO(_jpeg_with_gps())) as original:
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # what a phone sends

    result = _import_file(app, tmp_path, data)

    assert result.exit_code == 0, result.output
    with app.app_context():
        event = db.session.scalar(sa.select(Event).where(Event.slug == "restored"))
        stored = db.session.scalar(sa.select(Photo).join(Topic).where(Topic.event_id == event.id))
        for blob in (stored.data, stored.thumbnail):
            with Image.open(io.BytesIO(blob)) as image:
                assert [marker for marker, _ in image.applist] == ["APP0"]  # JFIF only
                assert not image.getexif()
                assert "comment" not in image.info
        assert (stored.width, stored.height) == (640, 480)


def test_a_backup_s_photos_are_kept_byte_for_byte(app, finished, tmp_path):
    """What the pipeline wrote is not re-encoded on the way back (no loss per restore)."""
    data = _exported(app, finished)
    assert _import_file(app, tmp_path, data).exit_code == 0
    with app.app_context():
        photos = db.session.scalars(sa.select(Photo).order_by(Photo.id)).all()
        assert photos[0].data == photos[1].data and photos[0].thumbnail == photos[1].thumbnail


@pytest.mark.parametrize("claim, message", [
    ((10_000, 10_000), "That image has too many pixels (at most 50 megapixels)."),
    ((60_000, 60_000), "That image has too many pixels (at most 50 megapixels)."),
])
def test_an_imported_photo_claiming_too_many_pixels_is_refused(app, finished, tmp_path, claim,
                                                              message):
    data = _exported(app, finished)
    data["topics"][0]["photos"][0]["data"] = _b64(_claiming(*claim))

    output = _refused(app, tmp_path, data)

    assert f"$.topics[0].photos[0].data: {message}" in output


def test_control_characters_and_nul_are_refused_where_the_api_refuses_them(app, finished,
                                                                          tmp_path):
    data = _exported(app, finished)
    data["topics"][0]["title"] = "Value\x00pricing"
    data["users"][0]["name"] = "Ol\x07ga"
    data["rooms"][0]["name"] = "Atrium\x1b[31m"
    data["announcements"][0]["text"] = "Lunch\x0bin the atrium"
    data["topics"][0]["note"]["markdown"] = data["topics"][0]["note"]["markdown"] + "\x00"

    output = _refused(app, tmp_path, data)

    assert "$.topics[0].note.markdown: contains a NUL character" in output
    data["topics"][0]["note"]["markdown"] = data["topics"][0]["note"]["markdown"][:-1]
    output = _refused(app, tmp_path, data)
    for place in ("$.users[0].name", "$.rooms[0].name"):
        assert f"{place}: contains control characters" in output
    assert "$.topics[0].title: contains control characters" in output
    assert "$.announcements[0].text: contains control characters" in output


def test_a_note_over_the_size_limit_is_refused(app, finished, tmp_path):
    data = _exported(app, finished)
    data["topics"][0]["note"]["markdown"] = "x" * (30 * 1024 * 1024)

    output = _refused(app, tmp_path, data)

    assert "$.topics[0].note.markdown: must be at most 262144 characters" in output
    assert len(output) < 2000  # the value is not quoted back
    assert backup.schema()["$defs"]["note"]["properties"]["markdown"]["maxLength"] \
        == notes.MAX_NOTE_CHARS


def test_a_value_with_a_trailing_newline_does_not_pass_the_schema(app, finished, tmp_path):
    data = _exported(app, finished)
    data["event"]["slug"] = finished.event.slug + "\n"  # a second "drupal-cxo"
    data["topics"][0]["title"] = "Value pricing\n"

    output = _refused(app, tmp_path, data)

    assert "$.event.slug: must match" in output
    assert "$.topics[0].title: must match" in output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1


@pytest.mark.parametrize("slug", ["../../etc/x Y", "UPPER CASE", "-dash", "x" * 65])
def test_the_slug_option_is_checked_like_any_event_address(app, finished, tmp_path, slug):
    output = _refused(app, tmp_path, _exported(app, finished), "--slug", slug)
    assert f"{slug!r} cannot be an event's address" in output or "at most 64" in output


def test_topics_in_plenary_slots_overlapping_slots_and_self_merges_are_refused(app, finished,
                                                                             tmp_path):
    data = _exported(app, finished)
    plenary = next(s["key"] for s in data["slots"] if s["kind"] == "plenary")
    placed = next(n for n, t in enumerate(data["topics"]) if t["status"] == "placed")
    data["topics"][placed]["slot"] = plenary
    never = next(n for n, t in enumerate(data["topics"]) if t["status"] == "proposed")
    data["topics"][never].update(status="merged", merged_into=data["topics"][never]["key"])
    data["slots"].append({"key": "s99", "starts_at": data["slots"][0]["starts_at"],
                          "ends_at": data["slots"][0]["ends_at"], "kind": "break",
                          "label": "Coffee"})

    output = _refused(app, tmp_path, data)

    assert f"$.topics[{never}].merged_into: A topic cannot be merged into itself." in output
    assert "$.slots[4].starts_at: Time slots may not overlap. (overlaps " in output
    data["slots"].pop()
    data["topics"][never].update(status="proposed", merged_into=None)
    output = _refused(app, tmp_path, data)
    assert (f"$.topics[{placed}].slot: That time is a plenary: everyone is together, no "
            "sessions run. (is not a session slot)") in output


def test_a_merge_loop_is_refused(app, finished, tmp_path):
    data = _exported(app, finished)
    first, second = data["topics"][2], data["topics"][3]
    first.update(status="merged", merged_into=second["key"], room=None, slot=None)
    second.update(status="merged", merged_into=first["key"], room=None, slot=None)

    output = _refused(app, tmp_path, data)

    assert "$.topics[2].merged_into: A topic cannot be merged into itself." in output


def test_a_skipped_local_time_and_dates_out_of_bounds_are_refused(app, finished, tmp_path):
    data = _exported(app, finished)
    data["event"].update(starts_on="0001-01-01", ends_on="0001-01-01")
    output = _refused(app, tmp_path, data)
    assert "$.event.starts_on: must be between 2000-01-01 and 2100-12-31" in output

    data = _exported(app, finished)
    data["event"].update(starts_on="2027-03-28", ends_on="2027-03-28")
    for slot, (start, end) in zip(data["slots"], [("01:00", "02:00"), ("02:30", "03:30"),
                                                  ("04:00", "05:00"), ("05:00", "06:00")],
                                  strict=True):
        slot.update(starts_at=f"2027-03-28T{start}", ends_at=f"2027-03-28T{end}")
    output = _refused(app, tmp_path, data)
    assert ("$.slots[0].ends_at: 2027-03-28 02:00 does not exist in Europe/Brussels: the "
            "clocks go forward then and skip it") in output
    assert "$.slots[1].starts_at: 2027-03-28 02:30 does not exist" in output


@pytest.mark.parametrize("depth", [50, 100_000])
def test_deep_nesting_is_refused_without_a_traceback(app, finished, tmp_path, depth):
    text = ('{"format": "openspace-event", "version": 1, "generator": '
            + "[" * depth + "]" * depth + "}")
    output = _refused(app, tmp_path, text)
    assert "Not an importable openspace event: $: nests deeper than 16 levels" in output


def test_every_bad_value_is_named_once_with_its_path(app, finished, tmp_path):
    data = _exported(app, finished)
    data["topics"][0]["title"] = "   "
    data["topics"][1]["description"] = "\x01"
    data["rooms"][1]["name"] = " "
    data["members"][0]["joined_at"] = "2026-13-45T00:00:00Z"

    output = _refused(app, tmp_path, data)

    assert "Not an importable openspace event (4 problems):" in output
    for line in ("$.topics[0].title: is required", "$.rooms[1].name: is required",
                 "$.topics[1].description: contains control characters",
                 "$.members[0].joined_at: month must be in 1..12"):
        assert line in output


def test_the_schema_names_every_place_it_refuses(app, finished, tmp_path):
    data = _exported(app, finished)
    data["topics"][0]["title"] = ""
    data["rooms"][1]["capacity"] = 0
    data["users"][0]["name"] = ["Olga"]

    output = _refused(app, tmp_path, data)

    assert "Not an importable openspace event (3 problems):" in output
    for line in ("$.topics[0].title: must not be empty", "$.rooms[1].capacity: must be at "
                 "least 1", "$.users[0].name: must be string"):
        assert line in output
