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
from ..pages import DomainForm


def _email(label: str = "Email") -> EmailField:
    return EmailField(label, render_kw={"maxlength": EMAIL_MAX, "autocomplete": "email",
                                        "required": True})


def _new_password(label: str) -> PasswordField:
    return PasswordField(label, render_kw={"maxlength": PASSWORD_MAX, "minlength": PASSWORD_MIN,
                                           "autocomplete": "new-password", "required": True})


def _name(label: str = "Your name") -> StringField:
    return StringField(label, render_kw={"maxlength": NAME_MAX, "autocomplete": "name",
                                         "required": True})


class RegisterForm(DomainForm):
    name = _name()
    email = _email()
    password = _new_password("Password")


class LoginForm(DomainForm):
    email = _email()
    password = PasswordField("Password", render_kw={
        "maxlength": PASSWORD_MAX, "autocomplete": "current-password", "required": True})
    remember = BooleanField("Keep me logged in on this device")
    next = HiddenField()


class QuickJoinForm(DomainForm):
    """Anonymous attendees: a display name is all it takes."""

    name = _name("Your name, as others will see it")
    join_code = HiddenField()


class JoinForm(DomainForm):
    """Logged-in users join with a code (from the link, or typed from the projector)."""

    join_code = StringField("Join code", render_kw={
        "maxlength": JOIN_CODE_LENGTH, "autocomplete": "off", "autocapitalize": "characters",
        "spellcheck": "false", "required": True})


class ProfileForm(DomainForm):
    name = _name()


class CredentialsForm(DomainForm):
    email = _email()
    password = _new_password("Password")


class PasswordForm(DomainForm):
    current_password = PasswordField("Current password", render_kw={
        "maxlength": PASSWORD_MAX, "autocomplete": "current-password", "required": True})
    new_password = _new_password("New password")


class TokenForm(DomainForm):
    label = StringField("What is it for? (optional)", render_kw={"maxlength": TOKEN_LABEL_MAX})
