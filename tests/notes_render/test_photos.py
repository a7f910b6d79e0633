"""Session photos: the upload pipeline (EXIF gone, upright, resized JPEG), limits, permissions,
serving and deleting."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from PIL import ExifTags, Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from openspace.domain import board, photos
from openspace.extensions import db
from openspace.models import Photo, Topic, User

from .conftest import Elements, login_as


def jpeg_with_gps_and_orientation() -> bytes:
    """3000x1000, red left half and blue right half, EXIF: orientation 6 (turn 90° clockwise
    to show), camera make, and a GPS position."""
    image = Image.new("RGB", (3000, 1000), (220, 20, 20))
    image.paste((20, 20, 220), (1500, 0, 3000, 1000))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Model] = "Snapper 9"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (50.0, 50.0, 47.0),
        ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (4.0, 21.0, 6.0),
    }
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"secret comment")
    return out.getvalue()


def png_with_transparency() -> bytes:
    image = Image.new("RGBA", (600, 300), (0, 0, 0, 0))
    image.paste((10, 150, 10, 255), (0, 0, 300, 300))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def upload(client, topic, data: bytes, filename: str = "photo.jpg", caption: str = "",
           **extra):
    # Encoded here, in memory: the test client would spool a big body to a temporary file that
    # it never closes (a ResourceWarning, an error under filterwarnings = error).
    boundary, body = encode_multipart({
        "photo": FileStorage(io.BytesIO(data), filename=filename), "caption": caption, **extra})
    return client.post(f"/t/{topic.id}/photos", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


@pytest.fixture
def stored(app):
    def all_photos() -> list[Photo]:
        with app.app_context():
            found = list(db.session.scalars(sa.select(Photo).order_by(Photo.id)))
            for photo in found:
                db.session.expunge(photo)
            return found

    return all_photos


@pytest.fixture
def topic(world, make_topic):
    return make_topic(world.event, world.participant, "Flipchart session")


# The pipeline ----------------------------------------------------------------------------------

def test_jpeg_is_stored_upright_resized_and_without_any_metadata(client, world, topic, stored):
    original = jpeg_with_gps_and_orientation()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    login_as(client, world.participant)

    response = upload(client, topic, original, caption="The flipchart")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/t/{topic.id}#photos")
    [photo] = stored()
    assert (photo.topic_id, photo.uploader_id, photo.caption) == (
        topic.id, world.participant.id, "The flipchart")
    assert (photo.width, photo.height, photo.content_type) == (667, 2000, "image/jpeg")
    image = Image.open(io.BytesIO(photo.data))
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (667, 2000))
    assert dict(image.getexif()) == {}
    assert sorted(image.info) == ["jfif", "jfif_density", "jfif_unit", "jfif_version",
                                  "progression", "progressive"]
    assert b"Exif" not in photo.data and b"PhoneCo" not in photo.data
    assert b"secret comment" not in photo.data and b"\xff\xe1" not in photo.data
    # Turned clockwise: the red left half is now on top, the blue right half below.
    red, blue = image.getpixel((333, 100)), image.getpixel((333, 1900))
    assert red[0] > 180 and red[2] < 60 and blue[2] > 180 and blue[0] < 60
    thumb = Image.open(io.BytesIO(photo.thumbnail))
    assert (thumb.format, thumb.size, dict(thumb.getexif())) == ("JPEG", (133, 400), {})


def test_png_with_transparency_becomes_a_jpeg_on_white(client, world, topic, stored):
    login_as(client, world.participant)

    response = upload(client, topic, png_with_transparency(), filename="drawing.png")

    assert response.status_code == 302
    [photo] = stored()
    image = Image.open(io.BytesIO(photo.data))
    assert (image.format, image.size) == ("JPEG", (600, 300))
    assert max(abs(a - b) for a, b in zip(image.getpixel((450, 150)), (255, 255, 255),
                                          strict=True)) < 6
    assert image.getpixel((150, 150))[1] > 120


def test_webp_is_accepted(client, world, topic, stored):
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (1, 2, 3)).save(out, "WEBP")
    login_as(client, world.participant)

    assert upload(client, topic, out.getvalue(), filename="x.webp").status_code == 302
    assert [(p.width, p.height) for p in stored()] == [(300, 200)]


def test_iphone_style_multi_picture_jpeg_keeps_its_first_picture(client, world, topic, stored):
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (250, 0, 0)).save(
        out, "MPO", save_all=True, append_images=[Image.new("RGB", (400, 300), (0, 0, 250))])
    login_as(client, world.participant)

    assert upload(client, topic, out.getvalue()).status_code == 302
    [photo] = stored()
    assert Image.open(io.BytesIO(photo.data)).getpixel((200, 150))[0] > 200


def test_text_file_named_jpg_is_refused_clearly(client, world, topic, stored):
    login_as(client, world.participant)

    response = upload(client, topic, b"just some notes, not a picture\n" * 10,
                      filename="notes.jpg")

    assert response.status_code == 400
    assert "That file is not a JPEG, PNG or WebP image." in response.get_data(as_text=True)
    assert stored() == []


def test_gif_and_truncated_jpeg_are_refused(client, world, topic, stored):
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    login_as(client, world.participant)

    as_gif = upload(client, topic, gif.getvalue(), filename="a.gif")
    cut_off = upload(client, topic, jpeg_with_gps_and_orientation()[:3000])

    assert as_gif.status_code == 400
    assert cut_off.status_code == 400
    assert "could not be read" in cut_off.get_data(as_text=True)
    assert stored() == []


def test_too_many_pixels_is_refused_before_decoding(client, world, topic, stored):
    out = io.BytesIO()
    Image.new("1", (10_000, 6_000)).save(out, "PNG")  # 60 MP, a few KB on the wire
    login_as(client, world.participant)

    response = upload(client, topic, out.getvalue(), filename="bomb.png")

    assert response.status_code == 400
    assert "too many pixels (at most 50 megapixels)" in response.get_data(as_text=True)
    assert stored() == []


def test_oversized_upload_is_413_with_a_clear_message(client, world, topic, stored):
    login_as(client, world.participant)

    response = upload(client, topic, b"\xff\xd8" + bytes(11 * 2**20))

    assert response.status_code == 413
    assert "That photo is too large: at most 10 MB." in response.get_data(as_text=True)
    assert stored() == []


def test_file_just_over_the_limit_is_413_even_when_the_request_fits(client, world, topic,
                                                                    stored):
    login_as(client, world.participant)

    response = upload(client, topic, bytes(photos.MAX_UPLOAD_BYTES + 1))

    assert response.status_code == 413
    assert stored() == []


def test_upload_above_the_app_wide_limit_works_with_csrf_on(app, client, world, topic, stored):
    """The app takes at most 1 MiB per request; photo uploads get 10 MB, and their CSRF token is
    still checked."""
    app.config["WTF_CSRF_ENABLED"] = True
    noise = Image.frombytes("RGB", (900, 900), bytes(range(256)) * (900 * 900 * 3 // 256 + 1))
    big = io.BytesIO()
    noise.save(big, "JPEG", quality=100, subsampling=0)
    assert big.tell() > app.config["MAX_CONTENT_LENGTH"]
    login_as(client, world.participant)
    page = client.get(f"/t/{topic.id}").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)

    without_token = upload(client, topic, big.getvalue())
    with_token = upload(client, topic, big.getvalue(), csrf_token=token)

    assert without_token.status_code == 400
    assert with_token.status_code == 302
    assert len(stored()) == 1


def test_missing_file_and_long_caption_are_400(client, world, topic, stored):
    login_as(client, world.participant)

    no_file = client.post(f"/t/{topic.id}/photos", data={"caption": "x"},
                          content_type="multipart/form-data")
    long_caption = upload(client, topic, png_with_transparency(), caption="x" * 201)

    assert no_file.status_code == 400
    assert "Photo is missing: take one, or choose one from your gallery." in no_file.get_data(
        as_text=True)
    assert long_caption.status_code == 400
    assert "Caption must be at most 200 characters." in long_caption.get_data(as_text=True)
    assert stored() == []


# Permissions -----------------------------------------------------------------------------------

def test_non_members_cannot_upload(client, world, topic, stored):
    login_as(client, world.outsider)

    response = upload(client, topic, png_with_transparency())

    assert response.status_code == 403
    assert stored() == []


def test_anonymous_upload_goes_to_login(client, topic, stored):
    response = upload(client, topic, png_with_transparency())

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert stored() == []


def test_withdrawn_topic_takes_no_photos(app, client, world, topic, stored):
    with app.app_context():
        board.withdraw_topic(topic=db.session.get(Topic, topic.id),
                             user=db.session.get(User, world.participant.id))
    login_as(client, world.participant)

    response = upload(client, topic, png_with_transparency())

    assert response.status_code == 409
    assert stored() == []


def test_photo_urls_serve_jpeg_with_cache_and_nosniff(client, world, topic, stored):
    login_as(client, world.participant)
    upload(client, topic, jpeg_with_gps_and_orientation())
    [photo] = stored()
    anonymous = client.application.test_client()

    full = anonymous.get(f"/photos/{photo.id}.jpg")
    thumb = anonymous.get(f"/photos/{photo.id}/thumb.jpg")

    assert full.status_code == 200 and thumb.status_code == 200
    assert full.get_data() == photo.data and thumb.get_data() == photo.thumbnail
    for response in (full, thumb):
        assert response.headers["Content-Type"] == "image/jpeg"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert anonymous.get(f"/photos/{photo.id + 1}.jpg").status_code == 404


def test_private_event_photos_are_404_for_strangers(app, client, make_event, make_topic, world,
                                                    stored):
    event = make_event(world.organizer, name="Retreat", visibility="private")
    secret = make_topic(event, world.organizer, "Secret")
    login_as(client, world.organizer)
    assert upload(client, secret, png_with_transparency()).status_code == 302
    [photo] = stored()
    stranger = app.test_client()
    outsider = app.test_client()
    login_as(outsider, world.outsider)

    assert stranger.get(f"/photos/{photo.id}.jpg").status_code == 404
    assert stranger.get(f"/photos/{photo.id}/thumb.jpg").status_code == 404
    assert outsider.get(f"/photos/{photo.id}.jpg").status_code == 404
    assert client.get(f"/photos/{photo.id}.jpg").status_code == 200


def test_uploader_and_organizers_may_delete_others_may_not(client, app, world, topic, quick_user,
                                                           join, stored):
    other = quick_user("Rita")
    join(world.event, other)
    login_as(client, world.participant)
    upload(client, topic, png_with_transparency(), caption="first")
    upload(client, topic, png_with_transparency(), caption="second")
    first, second = stored()

    login_as(client, other)
    refused = client.post(f"/photos/{first.id}/delete")
    login_as(client, world.participant)
    own = client.post(f"/photos/{first.id}/delete")
    login_as(client, world.organizer)
    organizer = client.post(f"/photos/{second.id}/delete")

    assert refused.status_code == 403
    assert own.status_code == 302 and organizer.status_code == 302
    assert own.headers["Location"].endswith(f"/t/{topic.id}#photos")
    assert stored() == []


# The topic page --------------------------------------------------------------------------------

def test_topic_page_shows_thumbnails_captions_and_the_upload_form(client, world, topic, stored):
    login_as(client, world.participant)
    upload(client, topic, jpeg_with_gps_and_orientation(), caption="Flipchart <b>1</b>")
    [photo] = stored()

    member_page = client.get(f"/t/{topic.id}").get_data(as_text=True)
    anonymous_page = client.application.test_client().get(f"/t/{topic.id}").get_data(
        as_text=True)

    assert f'<a href="/photos/{photo.id}.jpg">' in member_page
    assert [img for img in Elements(member_page).attrs("img") if "src" in img] == [{
        "src": f"/photos/{photo.id}/thumb.jpg", "alt": "Flipchart <b>1</b>",
        "width": "133", "height": "400", "loading": "lazy"}]
    assert '<span class="caption">Flipchart &lt;b&gt;1&lt;/b&gt;</span>' in member_page
    assert 'accept="image/*" capture="environment"' in member_page
    assert 'enctype="multipart/form-data"' in member_page
    assert f'action="/photos/{photo.id}/delete"' in member_page
    assert f'<a href="/photos/{photo.id}.jpg">' in anonymous_page
    assert 'capture="environment"' not in anonymous_page
    assert "/delete" not in anonymous_page


def test_a_cut_off_jpeg_is_refused_after_a_pdf_was_printed(app, world):
    """Importing WeasyPrint (the first printed PDF) turns on Pillow's LOAD_TRUNCATED_IMAGES for
    the whole process: printing turns it off again, so uploads are still checked whole."""
    from openspace.domain import printing
    from openspace.domain.errors import ValidationFailed

    with app.app_context():
        printing.pdf(user=db.session.get(User, world.organizer.id), html="<p>Sign</p>",
                     stylesheet="")
        with pytest.raises(ValidationFailed) as refused:
            photos.process_image(io.BytesIO(jpeg_with_gps_and_orientation()[:3000]))
    assert refused.value.code == "unreadable_image"
