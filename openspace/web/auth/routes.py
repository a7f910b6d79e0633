"""Routes of the auth blueprint: register, log in and out, the account page, quick join."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ...domain import accounts, events, mail
from ...domain.errors import DomainError
from ...domain.mail import invitations, tokens
from ...i18n import _
from ..events.forms import FindByCodeForm
from ..pages import login_required, me, safe_next
from . import bp
from .forms import (
    ConfirmForm,
    CredentialsForm,
    EmailOnlyForm,
    InvitationForm,
    JoinForm,
    LoginForm,
    NotificationsForm,
    PasswordForm,
    ProfileForm,
    QuickJoinForm,
    RegisterForm,
    ResetForm,
    TokenForm,
)


def _start_session(user, *, remember: bool = False) -> None:
    """A fresh session for a fresh login: nothing from the anonymous session survives. The
    login is a row of its own (accounts.start_login), named in the session and remember
    cookies, so that logging out revokes this browser's cookies and no other device's."""
    session.clear()
    login_user(user, remember=remember)
    session["_user_id"] = accounts.start_login(user=user)


def _end_session() -> None:
    """This browser is logged out: the session emptied, then Flask-Login's logout, whose "clear
    the remember cookie" flag must outlive the emptying (it did not, once)."""
    session.clear()
    logout_user()


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    next_url = safe_next(request.args.get("next"))
    if form.posted():
        try:
            user = accounts.register_user(email=form.email.data, password=form.password.data,
                                          name=form.name.data, client=request.remote_addr)
        except DomainError as error:
            form.show_error(error)
            return render_template("auth/register.html", form=form, next=next_url), error.status
        _start_session(user)
        flash(_("Welcome, %(name)s! Your account is ready.", name=user.name), "success")
        return redirect(next_url or url_for("events.index"))
    return render_template("auth/register.html", form=form, next=next_url)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if not form.is_submitted():
        form.next.data = safe_next(request.args.get("next")) or ""
    if form.posted():
        try:
            user = accounts.authenticate(email=form.email.data, password=form.password.data,
                                         client=request.remote_addr)
        except DomainError as error:
            form.show_error(error)
            return render_template("auth/login.html", form=form), error.status
        _start_session(user, remember=bool(form.remember.data))
        flash(_("Hello again, %(name)s.", name=user.name), "success")
        return redirect(safe_next(form.next.data) or url_for("events.index"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    user, session_id = me(), session.get("_user_id")
    _end_session()
    if user is not None:
        # Its login row goes (a replayed cookie no longer works); its live connections are cut.
        accounts.end_session(user=user, session_id=session_id)
    flash(_("You are logged out."), "info")
    return redirect(url_for("events.index"))


# Account ---------------------------------------------------------------------------------------

def _account_page(status: int = 200, new_token: str | None = None, **forms):
    user = me()
    defaults = {
        "email": EmailOnlyForm(formdata=None),
        "notifications": NotificationsForm(formdata=None, sessions=user.notify_sessions,
                                           summary=user.notify_summary),
        "profile": ProfileForm(formdata=None, name=user.name),
        "credentials": CredentialsForm(formdata=None),
        "password": PasswordForm(formdata=None),
        "token": TokenForm(formdata=None),
    }
    defaults.update(forms)
    response = current_app.make_response(
        (render_template("auth/account.html", new_token=new_token, mail_on=mail.enabled(),
                         **defaults), status)
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
    flash(_("Your name is saved."), "success")
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
    flash(_("You can now log in with your email and password on any device."), "success")
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
    flash(_("Password changed. Your other devices are logged out."), "success")
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
    _end_session()
    flash(_("You are logged out on every device, this one included."), "info")
    return redirect(url_for("auth.login"))


# Quick join ------------------------------------------------------------------------------------

@bp.route("/e/<slug>/join", methods=["GET", "POST"])
def quick_join(slug):
    """From the join link or QR code: one tap if logged in, else just a display name. A `next`
    (a printed session's QR code: its notes) is where joining leads, instead of the board."""
    code = request.form.get("join_code") if request.method == "POST" else request.args.get("code")
    after = safe_next(request.values.get("next")) or ""
    ask = FindByCodeForm(formdata=None, code=code or "")
    if not code:
        return render_template("auth/join_code.html", slug=slug, form=ask, after=after)
    try:
        event = events.event_for_join_code(code, slug=slug, user=me(),
                                           client=request.remote_addr)
    except DomainError as error:
        ask.show_error(error)
        return render_template("auth/join_code.html", slug=slug, form=ask,
                               after=after), error.status
    onward = after or url_for("board.show", slug=event.slug)

    if current_user.is_authenticated:
        form = JoinForm(formdata=None, join_code=code)
        if request.method == "POST":
            events.join_event(event=event, user=me(), join_code=code)
            flash(_("You joined %(event)s.", event=event.name), "success")
            return redirect(onward)
        return render_template("auth/join.html", event=event, form=form, after=after)

    form = QuickJoinForm(join_code=code)
    if form.posted():
        try:
            user = accounts.create_quick_user(name=form.name.data, client=request.remote_addr,
                                              event_id=event.id)
        except DomainError as error:
            form.show_error(error)
            return render_template("auth/join.html", event=event, form=form,
                                   after=after), error.status
        events.join_event(event=event, user=user, join_code=code)
        # A long-lived remember cookie is what keeps a password-less account on this phone.
        _start_session(user, remember=True)
        if mail.enabled():  # an address alone keeps it: sign-in links come there
            flash(_("Welcome, %(name)s! You are in. Add your email under your name (top right) "
                    "to keep this account on another device.", name=user.name), "success")
        else:
            flash(_("Welcome, %(name)s! You are in. Add an email and password under your name "
                    "(top right) to use this account on another device.", name=user.name),
                  "success")
        return redirect(onward)
    return render_template("auth/join.html", event=event, form=form, after=after)


# Mail: password reset, sign-in links, confirming an address, invitations ---------------------
# Every GET of a mailed link only shows a button: mail scanners and link previews open links,
# and must not use them up.

def _mail_page(template: str, status: int = 200, **context):
    return render_template(template, mail_on=mail.enabled(), **context), status


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = EmailOnlyForm()
    if form.posted():
        try:
            sent = tokens.request_password_reset(email=form.email.data,
                                                 client=request.remote_addr)
        except DomainError as error:
            form.show_error(error)
            return _mail_page("auth/forgot.html", error.status, form=form, what="reset")
        flash(sent.message, "info")
        return redirect(url_for("auth.login"))
    return _mail_page("auth/forgot.html", form=form, what="reset")


@bp.route("/login/link", methods=["GET", "POST"])
def request_signin_link():
    form = EmailOnlyForm()
    if not form.is_submitted():
        form.next.data = safe_next(request.args.get("next")) or ""
    if form.posted():
        try:
            sent = tokens.request_signin_link(email=form.email.data, client=request.remote_addr,
                                              next_path=safe_next(form.next.data) or "")
        except DomainError as error:
            form.show_error(error)
            return _mail_page("auth/forgot.html", error.status, form=form, what="signin")
        flash(sent.message, "info")
        return redirect(url_for("auth.login"))
    return _mail_page("auth/forgot.html", form=form, what="signin")


def _link_problem(error: DomainError, what: str):
    return render_template("auth/link_problem.html", error=error, what=what), error.status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    try:
        tokens.peek(token, tokens.RESET)
    except DomainError as error:
        return _link_problem(error, "reset")
    form = ResetForm()
    if form.posted():
        try:
            user = tokens.reset_password(token=token, password=form.password.data)
        except tokens.LinkInvalid as error:
            return _link_problem(error, "reset")
        except DomainError as error:
            form.show_error(error)
            return render_template("auth/reset.html", form=form), error.status
        _start_session(user)
        flash(_("Your new password is set. Your other devices are logged out."), "success")
        return redirect(url_for("events.index"))
    return render_template("auth/reset.html", form=form)


@bp.route("/login/link/<token>", methods=["GET", "POST"])
def signin_link(token):
    try:
        row = tokens.peek(token, tokens.SIGNIN)
    except DomainError as error:
        return _link_problem(error, "signin")
    form = ConfirmForm()
    if form.posted():
        try:
            user, next_path = tokens.sign_in(token=token)
        except tokens.LinkInvalid as error:
            return _link_problem(error, "signin")
        _start_session(user, remember=True)
        flash(_("Hello again, %(name)s.", name=user.name), "success")
        return redirect(safe_next(next_path) or url_for("events.index"))
    return render_template("auth/signin_link.html", form=form, account=row.user)


@bp.post("/account/email")
@login_required
def add_email():
    form = EmailOnlyForm()
    if not form.posted():
        return redirect(url_for("auth.account"))
    try:
        sent = tokens.request_email_confirmation(user=me(), email=form.email.data)
    except DomainError as error:
        form.show_error(error)
        return _account_page(error.status, email=form)
    flash(sent.message, "info")
    return redirect(url_for("auth.account"))


@bp.route("/account/email/<token>", methods=["GET", "POST"])
def confirm_email(token):
    try:
        row = tokens.peek(token, tokens.CONFIRM)
    except DomainError as error:
        return _link_problem(error, "confirm")
    form = ConfirmForm()
    if form.posted():
        try:
            user = tokens.confirm_email(token=token)
        except DomainError as error:
            return _link_problem(error, "confirm")
        if me() is None or me().id != user.id:
            _start_session(user, remember=True)
        flash(_("%(email)s is now your account's address: on any device, log in with "
                "“E-mail me a sign-in link”.", email=user.email), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/confirm_email.html", form=form, row=row)


@bp.post("/account/notifications")
@login_required
def set_notifications():
    form = NotificationsForm()
    if not form.posted():
        return redirect(url_for("auth.account"))
    try:
        accounts.set_notifications(user=me(), sessions=bool(form.sessions.data),
                                   summary=bool(form.summary.data))
    except DomainError as error:
        form.show_error(error)
        return _account_page(error.status, notifications=form)
    flash(_("Your mail settings are saved."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token):
    try:
        row = invitations.look(token)
    except DomainError as error:
        return _link_problem(error, "invite")
    form = InvitationForm()
    has_account = me() is None and invitations.account_for(row) is not None
    if form.posted():
        try:
            user, event, created = invitations.accept(token=token, user=me(),
                                                      name=form.name.data)
        except tokens.LinkInvalid as error:
            return _link_problem(error, "invite")
        except DomainError as error:
            form.show_error(error)
            return render_template("auth/invitation.html", form=form, row=row,
                                   has_account=has_account), error.status
        if created:
            _start_session(user, remember=True)
        flash(_("You joined %(event)s.", event=event.name), "success")
        return redirect(url_for("board.show", slug=event.slug))
    return render_template("auth/invitation.html", form=form, row=row, has_account=has_account)
