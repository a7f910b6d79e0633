"""Forms of the auth pages: input only; the domain (accounts, events) validates."""

from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField

from ...domain.events import JOIN_CODE_LENGTH
from ...domain.validation import (
    EMAIL_MAX,
    NAME_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    TOKEN_LABEL_MAX,
)
from ...i18n import _l
from ..pages import DomainForm


def _email(label=None) -> EmailField:
    return EmailField(label or _l("Email"), render_kw={
        "maxlength": EMAIL_MAX, "autocomplete": "email", "required": True})


def _new_password(label) -> PasswordField:
    return PasswordField(label, render_kw={"maxlength": PASSWORD_MAX, "minlength": PASSWORD_MIN,
                                           "autocomplete": "new-password", "required": True})


def _name(label=None) -> StringField:
    return StringField(label or _l("Your name"), render_kw={
        "maxlength": NAME_MAX, "autocomplete": "name", "required": True})


class RegisterForm(DomainForm):
    name = _name()
    email = _email()
    password = _new_password(_l("Password"))


class LoginForm(DomainForm):
    email = _email()
    password = PasswordField(_l("Password"), render_kw={
        "maxlength": PASSWORD_MAX, "autocomplete": "current-password", "required": True})
    remember = BooleanField(_l("Keep me logged in on this device"))
    next = HiddenField()


class QuickJoinForm(DomainForm):
    """Anonymous attendees: a display name is all it takes."""

    name = _name(_l("Your name, as others will see it"))
    join_code = HiddenField()


class JoinForm(DomainForm):
    """Logged-in users join with a code (from the link, or typed from the projector)."""

    join_code = StringField(_l("Join code"), render_kw={
        "maxlength": JOIN_CODE_LENGTH, "autocomplete": "off", "autocapitalize": "characters",
        "spellcheck": "false", "required": True})


class ProfileForm(DomainForm):
    name = _name()


class CredentialsForm(DomainForm):
    email = _email()
    password = _new_password(_l("Password"))


class PasswordForm(DomainForm):
    current_password = PasswordField(_l("Current password"), render_kw={
        "maxlength": PASSWORD_MAX, "autocomplete": "current-password", "required": True})
    new_password = _new_password(_l("New password"))


class TokenForm(DomainForm):
    label = StringField(_l("What is it for? (optional)"), render_kw={"maxlength": TOKEN_LABEL_MAX})


class EmailOnlyForm(DomainForm):
    """Asking for a link by mail: a reset, a sign-in link, an address to confirm."""

    email = _email()
    next = HiddenField()


class ResetForm(DomainForm):
    password = _new_password(_l("New password"))


class ConfirmForm(DomainForm):
    """One button that uses a mailed link (a GET never does: mail scanners open links)."""


class InvitationForm(DomainForm):
    name = _name(_l("Your name, as others will see it"))


class NotificationsForm(DomainForm):
    sessions = BooleanField(_l("Sessions I'll come to moved or were withdrawn"))
    summary = BooleanField(_l("The summary of one of my events was published"))
