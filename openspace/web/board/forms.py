"""Forms of the board pages: input only; openspace.domain.board validates."""

from wtforms import HiddenField, StringField, TextAreaField

from ...domain.validation import DESCRIPTION_MAX, TAG_MAX, TAGS_MAX, TITLE_MAX
from ...i18n import _l
from ..pages import DomainForm

# The tags box holds up to TAGS_MAX tags of TAG_MAX characters, each followed by ", ".
TAGS_INPUT_MAX = TAGS_MAX * (TAG_MAX + 2)


class TopicForm(DomainForm):
    title = StringField(_l("Title"), render_kw={"maxlength": TITLE_MAX, "required": True})
    description = TextAreaField(_l("What is it about? (optional)"), render_kw={
        "maxlength": DESCRIPTION_MAX, "rows": 4})
    tags = StringField(_l("Tags, separated by commas (optional)"), render_kw={
        "maxlength": TAGS_INPUT_MAX, "placeholder": _l("hiring, pricing"),
        "autocapitalize": "none"})

    def topic_data(self) -> dict:
        return self.values("title", "description", "tags")


class PitchForm(DomainForm):
    """ "I want to announce a topic": a new topic's title, or one of your topics (topic_id)."""

    title = StringField(_l("Your topic's title"), render_kw={
        "maxlength": TITLE_MAX, "required": True, "enterkeyhint": "send"})
    topic_id = HiddenField()


class PitchSecondsForm(DomainForm):
    # A string: the domain checks the number (30-90) and says what is wrong, in every transport.
    seconds = StringField(_l("Seconds per pitch (30 to 90)"), render_kw={
        "type": "number", "min": 30, "max": 90, "step": 5, "inputmode": "numeric",
        "required": True})
