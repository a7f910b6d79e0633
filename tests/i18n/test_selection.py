"""Which language a page speaks: account > cookie > Accept-Language > the event's > English;
the projector and the summary speak the event's unless the viewer chose; the switch."""

from __future__ import annotations

import re

import pytest

from openspace import i18n
from openspace.domain import accounts, events
from openspace.extensions import db
from openspace.models import Event, User
from openspace.web.i18n import COOKIE

from .conftest import login_as, page_language


def _set_event_language(app, event, language: str) -> None:
    with app.app_context():
        e = db.session.get(Event, event.id)
        events.update_event(event=e, user=db.session.get(User, event.organizer_id),
                            data={"language": language})


def _choose(app, user, language) -> None:
    with app.app_context():
        accounts.set_language(user=db.session.get(User, user.id), language=language)


def _lang(client, path: str, **headers) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.status_code
    return page_language(response)[0]


def test_english_when_nothing_says_otherwise(client, world):
    assert _lang(client, "/") == "en"
    assert _lang(client, f"/e/{world.event.slug}") == "en"


def test_the_browser_language_among_those_offered(client, world):
    assert _lang(client, "/", **{"Accept-Language": "de-CH,de;q=0.9,en;q=0.5"}) == "de"
    assert _lang(client, "/", **{"Accept-Language": "pt-PT,pt;q=0.9"}) == "pt-BR"
    assert _lang(client, "/", **{"Accept-Language": "pl,ru;q=0.8"}) == "en"


def test_an_event_page_speaks_the_events_language_when_the_browser_names_none_offered(
        app, client, world):
    _set_event_language(app, world.event, "fr")
    assert _lang(client, f"/e/{world.event.slug}", **{"Accept-Language": "pl"}) == "fr"
    assert _lang(client, f"/e/{world.event.slug}") == "fr"
    # ... but the browser's language wins over it
    assert _lang(client, f"/e/{world.event.slug}", **{"Accept-Language": "it"}) == "it"
    # ... and a page of no event keeps English
    assert _lang(client, "/", **{"Accept-Language": "pl"}) == "en"


def test_the_cookie_wins_over_the_browser_and_the_event(app, client, world):
    _set_event_language(app, world.event, "fr")
    client.set_cookie(COOKIE, "nl", domain="localhost")
    assert _lang(client, f"/e/{world.event.slug}", **{"Accept-Language": "it"}) == "nl"


def test_a_cookie_naming_no_offered_language_is_ignored(client, world):
    client.set_cookie(COOKIE, "xx", domain="localhost")
    assert _lang(client, "/", **{"Accept-Language": "es"}) == "es"


def test_the_accounts_choice_wins_over_everything(app, client, world):
    _set_event_language(app, world.event, "fr")
    _choose(app, world.participant, "ja")
    login_as(client, world.participant)
    client.set_cookie(COOKIE, "nl", domain="localhost")
    assert _lang(client, f"/e/{world.event.slug}", **{"Accept-Language": "it"}) == "ja"
    assert _lang(client, "/") == "ja"


@pytest.mark.parametrize("page", ["projector", "summary"])
def test_projector_and_summary_speak_the_events_language_unless_the_viewer_chose(
        app, client, world, page):
    _set_event_language(app, world.event, "de")
    login_as(client, world.organizer)  # organizers read an unpublished summary
    path = f"/e/{world.event.slug}/{page}"
    assert _lang(client, path, **{"Accept-Language": "fr"}) == "de"
    client.set_cookie(COOKIE, "es", domain="localhost")
    assert _lang(client, path, **{"Accept-Language": "fr"}) == "es"


def test_a_private_events_language_does_not_tell_outsiders_it_exists(app, client, world):
    _set_event_language(app, world.event, "ja")
    with app.app_context():
        events.update_event(event=db.session.get(Event, world.event.id),
                            user=db.session.get(User, world.organizer.id),
                            data={"visibility": "private"})
    login_as(client, world.outsider)
    response = client.get(f"/e/{world.event.slug}", headers={"Accept-Language": "pl"})
    missing = client.get("/e/no-such-event", headers={"Accept-Language": "pl"})
    assert response.status_code == missing.status_code == 404
    assert page_language(response) == page_language(missing) == ("en", "ltr")


def test_lang_and_dir_follow_the_language(client, world):
    response = client.get("/", headers={"Accept-Language": "ja"})
    assert page_language(response) == ("ja", "ltr")
    assert i18n.direction("ar") == "rtl" and i18n.direction("he") == "rtl"


def test_the_navigation_is_translated(client, world):
    html = client.get(f"/e/{world.event.slug}", headers={"Accept-Language": "de"}).get_data(
        as_text=True)
    # (a translation is trusted as HTML, like a {% trans %} block: "&" stays as written)
    assert re.search(r'aria-current="page">(<svg[^>]*>.*?</svg>)?Agendawand</a>', html)
    assert re.search(r'</svg>Jetzt & gleich</a>', html)
    assert 'lang="de"' in html and "<span>Anmelden</span></a>" in html


# The switch ------------------------------------------------------------------------------------

def test_switching_comes_back_to_the_same_page_and_speaks_the_new_language(client, world):
    page = f"/e/{world.event.slug}/now?mode=x"
    response = client.post("/language", data={"language": "it", "next": page})
    assert response.status_code == 303
    assert response.headers["Location"] == page
    assert _lang(client, page) == "it"


def test_switching_while_logged_in_saves_the_choice_on_the_account(app, client, world):
    login_as(client, world.participant)
    client.post("/language", data={"language": "pt-BR", "next": "/"})
    with app.app_context():
        assert db.session.get(User, world.participant.id).locale == "pt-BR"
    other_device = app.test_client()
    login_as(other_device, world.participant)
    assert _lang(other_device, "/") == "pt-BR"


def test_automatic_forgets_the_choice(app, client, world):
    login_as(client, world.participant)
    client.post("/language", data={"language": "ja", "next": "/"})
    response = client.post("/language", data={"language": "", "next": "/"})
    assert COOKIE + "=;" in response.headers["Set-Cookie"]
    with app.app_context():
        assert db.session.get(User, world.participant.id).locale is None
    assert _lang(client, "/", **{"Accept-Language": "nl"}) == "nl"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil",
                                    "javascript:alert(1)", ""])
def test_switching_never_redirects_off_the_site(client, world, target):
    response = client.post("/language", data={"language": "fr", "next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_a_language_not_offered_is_refused_and_changes_nothing(app, client, world):
    login_as(client, world.participant)
    response = client.post("/language", data={"language": "xx", "next": "/"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"]["language"].startswith("must be one of")
    assert "Set-Cookie" not in response.headers or COOKIE not in response.headers["Set-Cookie"]
    with app.app_context():
        assert db.session.get(User, world.participant.id).locale is None


def test_switching_needs_the_csrf_token(app, client, world):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/language", data={"language": "fr", "next": "/"})
    assert response.status_code == 400
    assert COOKIE not in response.headers.get("Set-Cookie", "")


def test_every_page_has_the_switch_coming_back_to_it(client, world):
    html = client.get(f"/e/{world.event.slug}/now").get_data(as_text=True)
    assert 'action="/language"' in html
    assert f'name="next" value="/e/{world.event.slug}/now"' in html
    for tag, name in i18n.LANGUAGES.items():
        assert f'<option value="{tag}" lang="{tag}"' in html and name in html


def test_the_pseudo_locale_is_offered_only_where_configured(app, client, world):
    assert _lang(client, "/", **{"Accept-Language": i18n.PSEUDO}) == i18n.PSEUDO
    html = client.get("/", headers={"Accept-Language": i18n.PSEUDO}).get_data(as_text=True)
    assert "[Ĺöĝ îñ" in html  # "Log in" went through the catalog
    app.config["PSEUDO_LOCALE"] = False
    assert _lang(app.test_client(), "/", **{"Accept-Language": i18n.PSEUDO}) == "en"


@pytest.mark.parametrize("secure", [False, True])
def test_the_language_cookie_is_httponly_lax_and_secure_like_the_session(app, client, world,
                                                                         secure):
    app.config["SESSION_COOKIE_SECURE"] = secure
    cookie = client.post("/language", data={"language": "fr", "next": "/"}).headers[
        "Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=fr;")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=31536000" in cookie
    assert ("Secure" in cookie) is secure
