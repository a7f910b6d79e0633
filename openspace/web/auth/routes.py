"""Routes of the auth blueprint: register, log in and out, the account page, quick join."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user, user_loaded_from_cookie

from ...domain import accounts, events
from ...domain.errors import DomainError
from ..events.forms import FindByCodeForm
from ..pages import login_required, me, safe_next
from . import bp
from .forms import (
    CredentialsForm,
    JoinForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    QuickJoinForm,
    RegisterForm,
    TokenForm,
)


def _start_session(user, *, remember: bool = False) -> None:
    """A fresh session for a fresh login: nothing from the anonymous session survives."""
    session.clear()
    login_user(user, remember=remember)
    session[accounts.LOGIN_KEY] = accounts.new_login_id()


@user_loaded_from_cookie.connect
def _restored_login(_app, user=None, **_kwargs) -> None:
    """A session restored from the remember cookie is a new login of this browser."""
    session[accounts.LOGIN_KEY] = accounts.new_login_id()


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    next_url = safe_next(request.args.get("next"))
    if form.posted():
        try:
            user = accounts.register_user(email=form.email.data, password=form.password.data,
                                          name=form.name.data)
        except DomainError as error:
            form.show_error(error)
            return render_template("auth/register.html", form=form, next=next_url), error.status
        _start_session(user)
        flash(f"Welcome, {user.name}! Your account is ready.", "success")
        return redirect(next_url or url_for("events.index"))
    return render_template("auth/register.html", form=form, next=next_url)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if not form.is_submitted():
        form.next.data = safe_next(request.args.get("next")) or ""
    if form.posted():
        try:
            user = accounts.authenticate(email=form.email.data, password=form.password.data)
        except DomainError as error:
            form.show_error(error)
            return render_template("auth/login.html", form=form), error.status
        _start_session(user, remember=bool(form.remember.data))
        flash(f"Hello again, {user.name}.", "success")
        return redirect(safe_next(form.next.data) or url_for("events.index"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    user, login = me(), session.get(accounts.LOGIN_KEY)
    logout_user()
    session.clear()
    if user is not None:
        accounts.end_session(user=user, login=login)  # cuts this browser's live connections
    flash("You are logged out.", "info")
    return redirect(url_for("events.index"))


# Account ---------------------------------------------------------------------------------------

def _account_page(status: int = 200, new_token: str | None = None, **forms):
    user = me()
    defaults = {
        "profile": ProfileForm(formdata=None, name=user.name),
        "credentials": CredentialsForm(formdata=None),
        "password": PasswordForm(formdata=None),
        "token": TokenForm(formdata=None),
    }
    defaults.update(forms)
    response = current_app.make_response(
        (render_template("auth/account.html", new_token=new_token, **defaults), status)
    )
    if new_token:
        response.headers["Cache-Control"] = "no-store"  # the token is shown this once only
    return response


@bp.get("/account")
@login_required
def account():
    return _account_page()


@bp.post("/account/profile")
@login_required
def update_profile():
    form = ProfileForm()
    if not form.posted():
        return redirect(url_for("auth.account"))
    try:
        accounts.update_profile(user=me(), name=form.name.data)
    except DomainError as error:
        form.show_error(error)
        return _account_page(error.status, profile=form)
    flash("Your name is saved.", "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/credentials")
@login_required
def add_credentials():
    form = CredentialsForm()
    if not form.posted():
        return redirect(url_for("auth.account"))
    try:
        accounts.add_credentials(user=me(), email=form.email.data, password=form.password.data)
    except DomainError as error:
        form.show_error(error)
        return _account_page(error.status, credentials=form)
    flash("You can now log in with your email and password on any device.", "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/password")
@login_required
def change_password():
    form = PasswordForm()
    if not form.posted():
        return redirect(url_for("auth.account"))
    try:
        user = accounts.change_password(user=me(), current=form.current_password.data,
                                        new=form.new_password.data)
    except DomainError as error:
        form.show_error(error)
        return _account_page(error.status, password=form)
    # The password change logged every session out; this one carries on with the new epoch.
    remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    _start_session(user, remember=remember_cookie in request.cookies)
    flash("Password changed. Your other devices are logged out.", "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/tokens")
@login_required
def create_token():
    form = TokenForm()
    if not form.posted():
        return redirect(url_for("auth.account"))
    try:
        token = accounts.create_token(user=me(), label=form.label.data)
    except DomainError as error:
        form.show_error(error)
        return _account_page(error.status, token=form)
    return _account_page(new_token=token)


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere():
    accounts.end_all_sessions(user=me())
    logout_user()
    session.clear()
    flash("You are logged out on every device, this one included.", "info")
    return redirect(url_for("auth.login"))


# Quick join ------------------------------------------------------------------------------------

@bp.route("/e/<slug>/join", methods=["GET", "POST"])
def quick_join(slug):
    """From the join link or QR code: one tap if logged in, else just a display name."""
    code = request.form.get("join_code") if request.method == "POST" else request.args.get("code")
    ask = FindByCodeForm(formdata=None, code=code or "")
    if not code:
        return render_template("auth/join_code.html", slug=slug, form=ask)
    try:
        event = events.event_for_join_code(code, slug=slug)
    except DomainError as error:
        ask.show_error(error)
        return render_template("auth/join_code.html", slug=slug, form=ask), error.status

    if current_user.is_authenticated:
        form = JoinForm(formdata=None, join_code=code)
        if request.method == "POST":
            events.join_event(event=event, user=me(), join_code=code)
            flash(f"You joined {event.name}.", "success")
            return redirect(url_for("board.show", slug=event.slug))
        return render_template("auth/join.html", event=event, form=form)

    form = QuickJoinForm(join_code=code)
    if form.posted():
        try:
            user = accounts.create_quick_user(name=form.name.data)
        except DomainError as error:
            form.show_error(error)
            return render_template("auth/join.html", event=event, form=form), error.status
        events.join_event(event=event, user=user, join_code=code)
        # A long-lived remember cookie is what keeps a password-less account on this phone.
        _start_session(user, remember=True)
        flash(f"Welcome, {user.name}! You are in. Add an email and password under your name "
              "(top right) to use this account on another device.", "success")
        return redirect(url_for("board.show", slug=event.slug))
    return render_template("auth/join.html", event=event, form=form)
