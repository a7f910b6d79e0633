"""Forms of the event pages: input only; openspace.domain.events validates."""

from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

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
    SelectChoice(Visibility.PUBLIC.value, "Public — listed on the home page"),
    SelectChoice(Visibility.UNLISTED.value, "Unlisted — anyone with the link"),
    SelectChoice(Visibility.PRIVATE.value, "Private — members only"),
]

KIND_CHOICES = [
    SelectChoice(SlotKind.SESSION.value, "Session (rooms take topics)"),
    SelectChoice(SlotKind.PLENARY.value, "Plenary (everyone together)"),
    SelectChoice(SlotKind.BREAK.value, "Break"),
]

# No validation constant for zones (the domain checks membership in the IANA list): the column.
TIMEZONE_MAX = Event.__table__.c.timezone.type.length

EVENT_FIELDS = ("name", "theme", "venue", "timezone", "starts_on", "ends_on", "hashtag",
                "visibility")


def _date(label: str) -> StringField:
    return StringField(label, render_kw={"type": "date", "maxlength": 10})


class EventSettingsForm(DomainForm):
    name = StringField("Event name", render_kw={"maxlength": EVENT_NAME_MAX, "required": True})
    theme = TextAreaField("Theme or calling question", render_kw={"maxlength": THEME_MAX,
                                                                   "rows": 3})
    venue = StringField("Venue", render_kw={"maxlength": VENUE_MAX})
    timezone = StringField("Time zone", render_kw={
        "maxlength": TIMEZONE_MAX, "list": "zones", "autocomplete": "off", "spellcheck": "false",
        "placeholder": "Europe/Brussels", "required": True})
    starts_on = _date("First day")
    ends_on = _date("Last day (empty for a one-day event)")
    hashtag = StringField("Hashtag", render_kw={"maxlength": HASHTAG_MAX,
                                                "placeholder": "#opendrupal"})
    visibility = SelectField("Who can see it", choices=VISIBILITY_CHOICES, validate_choice=False)


class EventForm(EventSettingsForm):
    slug = StringField("Web address (optional)", render_kw={
        "maxlength": SLUG_MAX, "autocapitalize": "none", "spellcheck": "false",
        "placeholder": "drupal-cxo-2026"})


class RoomForm(DomainForm):
    name = StringField("Room", render_kw={"maxlength": ROOM_NAME_MAX, "required": True})
    capacity = StringField("Seats", render_kw={
        "type": "number", "min": 1, "max": CAPACITY_MAX, "inputmode": "numeric"})


class SlotForm(DomainForm):
    field_aliases = {"starts_at": "start", "ends_at": "end"}

    day = SelectField("Day", validate_choice=False)
    start = StringField("Starts", render_kw={"type": "time", "maxlength": 5, "required": True})
    end = StringField("Ends", render_kw={"type": "time", "maxlength": 5, "required": True})
    kind = SelectField("Kind", choices=KIND_CHOICES, validate_choice=False)
    label = StringField("Label (optional)", render_kw={"maxlength": SLOT_LABEL_MAX,
                                                       "placeholder": "Opening circle"})

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
    email = EmailField("Email of their account", render_kw={"maxlength": EMAIL_MAX,
                                                             "required": True})


class FindByCodeForm(DomainForm):
    """The home page's "join with a code" box (a GET form: it changes nothing)."""

    class Meta:
        csrf = False

    field_aliases = {"join_code": "code"}
    code = StringField("Join code", render_kw={
        "maxlength": JOIN_CODE_LENGTH, "autocomplete": "off", "autocapitalize": "characters",
        "spellcheck": "false", "required": True})
