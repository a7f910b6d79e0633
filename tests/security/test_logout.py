"""Log out really logs out: the remember cookie is cleared, and a copy of the old cookies,
replayed, no longer logs in (the browser's login row is gone), while the user's other devices
stay logged in. A password reset and disabling an account end every device's login."""

from __future__ import annotations

import sqlalchemy as sa

from openspace.domain import accounts
from openspace.domain.mail import tokens
from openspace.extensions import db
from openspace.models import Login, User
from tests.security.conftest import PASSWORD

REMEMBER = "remember_token"


def _login(client, email, *, remember=True):
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def _cookies(client) -> dict[str, str]:
    return {name: client.get_cookie(name).value
            for name in ("session", REMEMBER) if client.get_cookie(name) is not None}


def _replay(app, cookies: dict[str, str]):
    """A new browser holding copies of these cookies (what was left on a shared tablet)."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value, domain="localhost")
    return other


def _logged_in_as(client) -> int | None:
    response = client.get("/api/v1/me")
    return response.json["id"] if response.status_code == 200 else None


def _cleared(response, name: str) -> bool:
    return any(header.startswith(f"{name}=;") and "Expires=Thu, 01 Jan 1970" in header
               for header in response.headers.getlist("Set-Cookie"))


def test_a_quick_join_attendee_who_logs_out_is_logged_out_on_reload(app, world):
    tablet = app.test_client()
    joined = tablet.post(f"/e/{world.slug}/join", data={"join_code": world.join_code,
                                                        "name": "Tablet Tim"})
    assert joined.status_code == 302
    assert tablet.get_cookie(REMEMBER) is not None
    me = _logged_in_as(tablet)
    assert me is not None

    out = tablet.post("/logout")

    assert out.status_code == 302
    assert _cleared(out, REMEMBER)
    assert tablet.get_cookie(REMEMBER) is None
    assert _logged_in_as(tablet) is None
    assert "Tablet Tim" not in tablet.get("/").get_data(as_text=True)


def test_the_old_cookies_replayed_after_logout_do_not_log_in(app, world):
    email = world.users["participant"][1]
    laptop = app.test_client()
    _login(laptop, email)
    kept = _cookies(laptop)
    assert set(kept) == {"session", REMEMBER}
    assert _logged_in_as(_replay(app, {REMEMBER: kept[REMEMBER]})) is not None

    assert laptop.post("/logout").status_code == 302

    assert _logged_in_as(_replay(app, {REMEMBER: kept[REMEMBER]})) is None
    assert _logged_in_as(_replay(app, {"session": kept["session"]})) is None
    assert _logged_in_as(_replay(app, kept)) is None


def test_logging_out_one_device_keeps_the_others_logged_in(app, world):
    email = world.users["participant"][1]
    laptop, phone = app.test_client(), app.test_client()
    _login(laptop, email)
    _login(phone, email)
    phone_cookie = _cookies(phone)[REMEMBER]

    assert laptop.post("/logout").status_code == 302

    assert _logged_in_as(phone) is not None
    assert _logged_in_as(_replay(app, {REMEMBER: phone_cookie})) is not None
    with app.app_context():
        user_id = world.users["participant"][0]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Login).where(
            Login.user_id == user_id)) == 1


def test_a_password_reset_ends_every_other_devices_login(app, world):
    email = world.users["participant"][1]
    phone = app.test_client()
    _login(phone, email)
    phone_cookie = _cookies(phone)[REMEMBER]
    with app.app_context():
        user = db.session.get(User, world.users["participant"][0])
        secret = tokens.issue(purpose=tokens.RESET, email=email, user=user)
        db.session.commit()
        tokens.reset_password(token=secret, password="a fresh password")
        assert db.session.scalars(sa.select(Login).where(Login.user_id == user.id)).all() == []

    assert _logged_in_as(phone) is None
    assert _logged_in_as(_replay(app, {REMEMBER: phone_cookie})) is None


def test_disabling_an_account_ends_every_devices_login(app, world):
    email = world.users["participant"][1]
    phone = app.test_client()
    _login(phone, email)
    phone_cookie = _cookies(phone)[REMEMBER]
    with app.app_context():
        user = db.session.get(User, world.users["participant"][0])
        accounts.set_disabled(user=user, disabled=True)
        accounts.set_disabled(user=user, disabled=False)  # enabling gives back no session
        assert db.session.scalars(sa.select(Login).where(Login.user_id == user.id)).all() == []

    assert _logged_in_as(phone) is None
    assert _logged_in_as(_replay(app, {REMEMBER: phone_cookie})) is None


def test_a_cookie_from_before_logins_had_rows_is_upgraded_to_a_revocable_one(app, world):
    """After the upgrade, a quick-join attendee's remember cookie "<id>:<epoch>" still opens
    their account once, and the browser gets a cookie of its own login in exchange."""
    from flask_login.utils import encode_cookie

    user_id = world.users["participant"][0]
    with app.test_request_context():
        legacy = encode_cookie(f"{user_id}:0")
    browser = _replay(app, {REMEMBER: legacy})

    response = browser.get("/api/v1/me")

    assert response.status_code == 200 and response.json["id"] == user_id
    renewed = browser.get_cookie(REMEMBER).value
    assert renewed != legacy and renewed.startswith(f"{user_id}:0:")
    assert browser.post("/logout").status_code == 302
    assert _logged_in_as(_replay(app, {REMEMBER: renewed})) is None
