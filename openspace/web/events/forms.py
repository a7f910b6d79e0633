"""Forms of the event pages: input only; openspace.domain.events validates."""

from flask_babel import lazy_pgettext
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from ... import i18n
from ...domain.events import JOIN_CODE_LENGTH
from ...domain.validation import (
    CAPACITY_MAX,
    EMAIL_MAX,
    EVENT_NAME_MAX,
    HASHTAG_MAX,
    ROOM_NAME_MAX,
    SLOT_LABEL_MAX,
    SLUG_MAX,
    THEME_MAX,
    VENUE_MAX,
)
from ...models import Event, SlotKind, Visibility
from ..pages import DomainForm

# Suggestions for the time zone field; any IANA zone may be typed (the domain checks it).
COMMON_ZONES = (
    "UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Brussels",
    "Europe/Amsterdam", "Europe/Paris", "Europe/Berlin", "Europe/Madrid", "Europe/Rome",
    "Europe/Vienna", "Europe/Zurich", "Europe/Stockholm", "Europe/Warsaw", "Europe/Prague",
    "Europe/Helsinki", "Europe/Athens", "Europe/Istanbul", "Europe/Kyiv", "Africa/Lagos",
    "Africa/Nairobi", "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore",
    "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
    "America/Sao_Paulo", "America/New_York", "America/Toronto", "America/Chicago",
    "America/Denver", "America/Los_Angeles", "America/Mexico_City",
)

VISIBILITY_CHOICES = [
    SelectChoice(Visibility.PUBLIC.value, i18n._l("Public — listed on the home page")),
    SelectChoice(Visibility.UNLISTED.value, i18n._l("Unlisted — anyone with the link")),
    SelectChoice(Visibility.PRIVATE.value, i18n._l("Private — members only")),
]

KIND_CHOICES = [
    SelectChoice(SlotKind.SESSION.value, i18n._l("Session (rooms take topics)")),
    SelectChoice(SlotKind.PLENARY.value, i18n._l("Plenary (everyone together)")),
    SelectChoice(SlotKind.BREAK.value, lazy_pgettext("slot kind", "Break")),
]

# No validation constant for zones (the domain checks membership in the IANA list): the column.
TIMEZONE_MAX = Event.__table__.c.timezone.type.length

EVENT_FIELDS = ("name", "theme", "venue", "timezone", "starts_on", "ends_on", "hashtag",
                "visibility", "language")
# Each language named in itself, so whoever reads it finds their own.
LANGUAGE_CHOICES = [SelectChoice(tag, name) for tag, name in i18n.LANGUAGES.items()]


def _date(label: str) -> StringField:
    return StringField(label, render_kw={"type": "date", "maxlength": 10})


class EventSettingsForm(DomainForm):
    name = StringField(i18n._l("Event name"),
                       render_kw={"maxlength": EVENT_NAME_MAX, "required": True})
    theme = TextAreaField(i18n._l("Theme or calling question"), render_kw={"maxlength": THEME_MAX,
                                                                   "rows": 3})
    venue = StringField(i18n._l("Venue"), render_kw={"maxlength": VENUE_MAX})
    timezone = StringField(i18n._l("Time zone"), render_kw={
        "maxlength": TIMEZONE_MAX, "list": "zones", "autocomplete": "off", "spellcheck": "false",
        "placeholder": "Europe/Brussels", "required": True})
    starts_on = _date(i18n._l("First day"))
    ends_on = _date(i18n._l("Last day (empty for a one-day event)"))
    hashtag = StringField(i18n._l("Hashtag"), render_kw={"maxlength": HASHTAG_MAX,
                                                "placeholder": "#opendrupal"})
    visibility = SelectField(i18n._l("Who can see it"), choices=VISIBILITY_CHOICES,
                             validate_choice=False)
    language = SelectField(i18n._l("Language of the event"), choices=LANGUAGE_CHOICES,
                           validate_choice=False)


class EventForm(EventSettingsForm):
    slug = StringField(i18n._l("Web address (optional)"), render_kw={
        "maxlength": SLUG_MAX, "autocapitalize": "none", "spellcheck": "false",
        "placeholder": "drupal-cxo-2026"})


class RoomForm(DomainForm):
    name = StringField(i18n._l("Room"), render_kw={"maxlength": ROOM_NAME_MAX, "required": True})
    capacity = StringField(i18n._l("Seats"), render_kw={
        "type": "number", "min": 1, "max": CAPACITY_MAX, "inputmode": "numeric"})


class SlotForm(DomainForm):
    field_aliases = {"starts_at": "start", "ends_at": "end"}

    day = SelectField(i18n._l("Day"), validate_choice=False)
    start = StringField(i18n._l("Starts"),
                        render_kw={"type": "time", "maxlength": 5, "required": True})
    end = StringField(i18n._l("Ends"), render_kw={"type": "time", "maxlength": 5, "required": True})
    kind = SelectField(i18n._l("Kind"), choices=KIND_CHOICES, validate_choice=False)
    label = StringField(i18n._l("Label (optional)"), render_kw={"maxlength": SLOT_LABEL_MAX,
                                                       "placeholder": i18n._l("Opening circle")})

    def slot_data(self) -> dict:
        """The domain's shape: local date-times in the event's zone."""
        day, start, end = self.day.data or "", self.start.data or "", self.end.data or ""
        return {
            "starts_at": f"{day}T{start}" if day and start else None,
            "ends_at": f"{day}T{end}" if day and end else None,
            "kind": self.kind.data,
            "label": self.label.data,
        }


class OrganizerForm(DomainForm):
    email = EmailField(i18n._l("Their email address"), render_kw={"maxlength": EMAIL_MAX,
                                                             "required": True})


class FindByCodeForm(DomainForm):
    """The home page's "join with a code" box (a GET form: it changes nothing)."""

    class Meta:
        csrf = False

    field_aliases = {"join_code": "code"}
    code = StringField(i18n._l("Join code"), render_kw={
        "maxlength": JOIN_CODE_LENGTH, "autocomplete": "off", "autocapitalize": "characters",
        "spellcheck": "false", "required": True})


class InviteForm(DomainForm):
    email = EmailField(i18n._l("Their email"), render_kw={"maxlength": EMAIL_MAX, "required": True,
                                                 "autocomplete": "off"})
    role = SelectField(i18n._l("As"), choices=[SelectChoice("participant", i18n._l("Participant")),
                                      SelectChoice("organizer", i18n._l("Co-organizer"))],
                       default="participant")


class RestoreForm(DomainForm):
    """The upload is read by the view itself (under the restore size limit)."""

    slug = StringField(i18n._l("Address (optional: to restore under another one)"),
                       render_kw={"maxlength": 64, "autocapitalize": "none",
                                  "spellcheck": "false"})
