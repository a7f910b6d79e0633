"""Session photos (the flipchart, the sticky notes): attach, show, delete.

Every upload goes through one pipeline before it is stored, so what we serve is always a plain,
upright, modest JPEG that says nothing about where or with what it was taken:
open with Pillow's JPEG/PNG/WebP decoders only -> refuse more than MAX_PIXELS (decompression
bombs) -> shrink to FULL_SIDE on the long side (JPEG decodes at reduced scale) -> apply the EXIF
orientation -> convert to sRGB / flatten transparency onto white -> copy the pixels into a fresh
image (no EXIF, GPS, XMP, ICC or comments survive) -> JPEG quality 85, plus a THUMB_SIDE thumbnail.
HEIC is not accepted: Pillow needs a plugin for it, and phones' browsers send JPEG when a page asks
for image/* anyway.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO, Any

import sqlalchemy as sa
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import defer, selectinload

from ..extensions import db
from ..i18n import _
from ..models import Event, Photo, Role, Topic, TopicStatus, User
from . import validation as v
from .errors import Conflict, NotAllowed, NotFound, TooLarge, ValidationFailed
from .offload import Slots
from .permissions import can_view_event, require_member, role_in
from .tx import writing

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # one photo file
# A whole upload request: the photo plus the small form fields and multipart framing.
MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES + 64 * 1024
# 50 megapixels: every phone's normal mode (12-50 MP) passes; decoding one takes ~150 MB.
MAX_PIXELS = 50_000_000
FORMATS = ("JPEG", "PNG", "WEBP")
FULL_SIDE = 2000
THUMB_SIDE = 400
JPEG_QUALITY = 85
THUMB_QUALITY = 80
CAPTION_MAX = 200

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))

# At most this many photos are decoded at once (~150 MB each at MAX_PIXELS; one per core).
_PIPELINE_SLOTS = Slots(2)


@dataclass
class ProcessedPhoto:
    data: bytes
    thumbnail: bytes
    width: int
    height: int


# The pipeline ----------------------------------------------------------------------------------

def _size_of(upload: IO[bytes]) -> int:
    upload.seek(0, io.SEEK_END)
    size = upload.tell()
    upload.seek(0)
    return size


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB in sRGB: transparency goes onto white, an embedded colour profile is applied."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: use the pixels as they are
    return image.convert("RGB")


def _fresh(image: Image.Image) -> Image.Image:
    """The same pixels in a new image: no info, EXIF or profile carried over."""
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    return clean


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def process_image(upload: IO[bytes]) -> ProcessedPhoto:
    """Check, orient, shrink, strip and re-encode an uploaded image (see the module docstring),
    off the server's event loop (a large photo takes a second or more of CPU)."""
    return _PIPELINE_SLOTS.run(lambda: _process(upload))


def _process(upload: IO[bytes]) -> ProcessedPhoto:
    if _size_of(upload) > MAX_UPLOAD_BYTES:
        raise TooLarge(_("That photo is too large: at most %(num)d MB.",
                         num=MAX_UPLOAD_BYTES // 2**20),
                       fields={"photo": _("too large")})
    try:
        with Image.open(upload, formats=FORMATS) as image:
            if image.width * image.height > MAX_PIXELS:
                raise Image.DecompressionBombError(f"{image.width}x{image.height}")
            # A square box: shrinking before rotating gives the same result, and lets Pillow
            # decode a JPEG at a reduced scale instead of in full.
            image.thumbnail((FULL_SIDE, FULL_SIDE), Image.Resampling.LANCZOS)
            upright = ImageOps.exif_transpose(image)
            full = _fresh(_to_rgb(upright))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ValidationFailed(
            _("That image has too many pixels (at most %(num)d megapixels).",
              num=MAX_PIXELS // 1_000_000),
            code="image_too_big", fields={"photo": _("too many pixels")}) from error
    except UnidentifiedImageError as error:
        raise ValidationFailed(
            _("That file is not a JPEG, PNG or WebP image."), code="unsupported_image",
            fields={"photo": _("must be a JPEG, PNG or WebP image")}) from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ValidationFailed(
            _("That image could not be read (damaged or cut off)."), code="unreadable_image",
            fields={"photo": _("could not be read")}) from error
    thumb = full.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    return ProcessedPhoto(data=_jpeg(full, JPEG_QUALITY), thumbnail=_jpeg(thumb, THUMB_QUALITY),
                          width=full.width, height=full.height)


def _as_written(data: bytes, side: int) -> bool:
    """Is this what the pipeline writes: a JPEG in RGB within side x side, with no EXIF, XMP,
    ICC profile, comment or other application segment (only JFIF), nothing after its end
    marker, that decodes in full? (Checked on the header before any pixel is decoded.)"""
    if len(data) > MAX_UPLOAD_BYTES or not data.endswith(b"\xff\xd9"):
        return False
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
            if (image.mode != "RGB" or max(image.size) > side
                    or any(marker != "APP0" or not payload.startswith(b"JFIF\0")
                           for marker, payload in image.applist)):
                return False
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning,
            UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        return False
    return True


def restore_photo(data: bytes, thumbnail: bytes) -> ProcessedPhoto:
    """A photo from a backup (`openspace import`). What this pipeline wrote is kept byte for
    byte, so restoring a backup never re-encodes (and degrades) its photos; anything else, be
    it a photo with EXIF and GPS, 100 megapixels or not an image at all, goes through the
    pipeline as an upload does (and is refused as an upload would be)."""
    if _as_written(data, FULL_SIDE) and _as_written(thumbnail, THUMB_SIDE):
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
            width, height = image.size
        return ProcessedPhoto(data=data, thumbnail=thumbnail, width=width, height=height)
    return process_image(io.BytesIO(data))


# Operations ------------------------------------------------------------------------------------

def _require_active(topic: Topic) -> None:
    if not topic.is_active:
        raise Conflict(_("This topic was merged: photos go on the session that remains.")
                       if topic.status == TopicStatus.MERGED else
                       _("This topic was withdrawn: photos go on the session that remains."),
                       code="topic_inactive")


def add_photo(*, topic: Topic, user: User | None, upload: IO[bytes] | None,
              caption: Any = "") -> Photo:
    """A member of the event attaches a photo to an active session (board lock or not)."""
    fields = v.Fields()
    caption_ = v.text(fields, "caption", caption, max_len=CAPTION_MAX)
    if upload is None:
        fields.add("photo", _("is missing: take one, or choose one from your gallery"))
    if fields.errors:  # said in full: the upload form shows this one message
        sentences = []
        if "caption" in fields.errors:
            sentences.append(_("Caption %(problem)s.", problem=fields.errors["caption"]))
        if "photo" in fields.errors:
            sentences.append(_("Photo is missing: take one, or choose one from your gallery."))
        raise ValidationFailed(" ".join(sentences), fields=fields.errors)
    require_member(user, topic.event)  # before spending CPU on the image
    processed = process_image(upload)
    with writing():
        require_member(user, topic.event)
        _require_active(topic)
        photo = Photo(topic_id=topic.id, uploader_id=user.id, caption=caption_,
                      content_type="image/jpeg", width=processed.width,
                      height=processed.height, data=processed.data,
                      thumbnail=processed.thumbnail)
        db.session.add(photo)
    return photo


def get_photo(photo_id: Any, user: User | None) -> Photo:
    """A photo the user may see (photos of private events 404 for non-members); its bytes are
    not loaded."""
    photo = db.session.get(Photo, v.identifier("photo_id", photo_id),
                           options=[defer(Photo.data), defer(Photo.thumbnail)])
    if photo is None or not can_view_event(user, db.session.get(Topic, photo.topic_id).event):
        raise NotFound(_("No such photo."))
    return photo


def photo_image(*, photo_id: Any, user: User | None, thumbnail: bool = False) -> bytes:
    """The stored JPEG (or its thumbnail) of a photo the user may see."""
    column = Photo.thumbnail if thumbnail else Photo.data
    row = db.session.execute(
        sa.select(column, Event)
        .join(Topic, Topic.id == Photo.topic_id)
        .join(Event, Event.id == Topic.event_id)
        .where(Photo.id == v.identifier("photo_id", photo_id))
    ).first()
    if row is None or not can_view_event(user, row[1]):
        raise NotFound(_("No such photo."))
    return row[0]


def can_delete_photo(user: User | None, photo: Photo, role: Role | None) -> bool:
    """The uploader and the event's organizers may delete a photo."""
    if role is None or user is None:
        return False
    return role == Role.ORGANIZER or photo.uploader_id == user.id


def delete_photo(*, photo: Photo, user: User | None) -> Topic:
    """The uploader or an organizer removes a photo; returns its topic."""
    with writing():
        topic = db.session.get(Topic, photo.topic_id)
        role = require_member(user, topic.event)
        if not can_delete_photo(user, photo, role):
            raise NotAllowed(_("Only the person who added a photo or an organizer can delete it."))
        db.session.delete(photo)
    return topic


def topic_photos(*, topic: Topic, user: User | None) -> dict:
    """A session's photos (without their bytes), and what this user may do with them."""
    if not can_view_event(user, topic.event):
        raise NotFound(_("No such topic."))
    photos = list(db.session.scalars(
        sa.select(Photo)
        .where(Photo.topic_id == topic.id)
        .options(defer(Photo.data), defer(Photo.thumbnail), selectinload(Photo.uploader))
        .order_by(Photo.created_at, Photo.id)
    ))
    role = role_in(user, topic.event)
    return {
        "photos": photos,
        "can_upload": role is not None and topic.is_active,
        "deletable": {p.id for p in photos if can_delete_photo(user, p, role)},
    }
