"""Web sessions live on the server (app/accounts/sessions.py): logging out, changing one's password
and signing out everywhere end them, so a copied cookie stops working; one query per request finds
the session and its user; the cookie is Secure behind an https public address."""
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from app.accounts import sessions
from app.accounts.models import Membership, UserSession
from app.clock import utcnow
from app.extensions import db
from tests import factories as f
from tests.web_helpers import a_registrar, csrf_token, is_login_redirect, login, post_form, signed_in

NEW_PASSWORD = "a brand new password"


@pytest.fixture
def staff(app):
    return a_registrar()


def copy_of(app, client):
    """Another browser holding a copy of `client`'s session cookie (as a thief would)."""
    thief = app.test_client()
    name = app.config["SESSION_COOKIE_NAME"]
    thief.set_cookie(name, client.get_cookie(name).value)
    return thief


def token_works(client, token: str) -> bool:
    answer = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code in (200, 401), answer.status_code
    return answer.status_code == 200


def api_token(client, password: str = f.PASSWORD) -> str:
    answer = client.post("/api/v1/auth/token", json={"username": "wang", "password": password})
    assert answer.status_code == 201, answer.json
    return answer.json["token"]


def test_logout_ends_the_session_on_the_server(app, client, staff):
    # given a signed-in browser and a copy of its cookie that works
    signed_in(client, "wang")
    thief = copy_of(app, client)
    assert thief.get("/").status_code == 200
    # when the user signs out
    assert is_login_redirect(post_form(client, "/logout"))
    # then the copied cookie gets the login page too
    assert is_login_redirect(thief.get("/"))
    assert db.session.scalar(select(UserSession.revoked_at)) is not None


def test_a_new_login_gets_a_new_session_id_and_ends_the_previous_one(app, client, staff):
    # given a browser signed in, and a copy of that cookie
    signed_in(client, "wang")
    before = copy_of(app, client)
    # when the same browser signs in again (no session fixation: a fresh id)
    again = client.post("/login", data={"csrf_token": csrf_token(client, "/"), "username": "wang",
                                        "password": f.PASSWORD})
    assert again.status_code == 302
    # then the old cookie no longer works, the new one does
    assert is_login_redirect(before.get("/")) and client.get("/").status_code == 200


def test_changing_my_password_ends_every_other_session_and_token(app, client, staff):
    # given two browsers, a copy of the first one's cookie, and an API token
    signed_in(client, "wang")
    thief = copy_of(app, client)
    other = signed_in(app.test_client(), "wang")
    token = api_token(client)
    # when the user changes their password on the account page
    changed = post_form(client, "/account/password", {
        "current_password": f.PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
        page="/account")
    assert changed.status_code == 302 and changed.location == "/account"
    # then the browser that did it stays signed in (with a new session id) ...
    assert client.get("/account").status_code == 200
    # ... while the copied cookie, the other browser and the token are signed out
    assert is_login_redirect(thief.get("/")) and is_login_redirect(other.get("/"))
    assert not token_works(client, token)
    # and only the new password signs in
    assert login(app.test_client(), "wang").status_code == 200
    assert login(app.test_client(), "wang", NEW_PASSWORD).status_code == 302


def test_a_refused_password_change_names_the_field_and_changes_nothing(app, client, staff):
    signed_in(client, "wang")
    token = api_token(client)
    cases = [({"current_password": "wrong", "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
              "current_password"),
             ({"current_password": f.PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": "other"},
              "new_password_again"),
             ({"current_password": f.PASSWORD, "new_password": "short", "new_password_again": "short"},
              "new_password")]
    for data, field in cases:
        refused = post_form(client, "/account/password", data, page="/account")
        assert refused.status_code == 422, field
        assert f'id="f-{field}-error"' in refused.get_data(as_text=True), field
    assert token_works(client, token) and client.get("/").status_code == 200
    assert login(app.test_client(), "wang").status_code == 302  # the old password still signs in


def test_sign_out_everywhere_from_the_account_page(app, client, staff):
    signed_in(client, "wang")
    other = signed_in(app.test_client(), "wang")
    token = api_token(client)
    assert is_login_redirect(post_form(client, "/account/sign-out", page="/account"))
    assert is_login_redirect(client.get("/")) and is_login_redirect(other.get("/"))
    assert not token_works(client, token)


def test_the_account_page_lists_my_active_sessions(app, client, staff):
    # given two sessions of mine from different browsers and addresses, and one ended
    signed_in(client, "wang")
    phone = app.test_client()
    phone.environ_base.update({"HTTP_USER_AGENT": "PhoneBrowser/1.0", "REMOTE_ADDR": "10.0.0.7"})
    signed_in(phone, "wang")
    ended = signed_in(app.test_client(), "wang")
    post_form(ended, "/logout")
    # when I open my account page
    html = client.get("/account").get_data(as_text=True)
    # then both active ones are listed with browser and address, the one in use marked
    assert html.count('class="session-row') == 2
    assert "PhoneBrowser/1.0" in html and "10.0.0.7" in html
    assert html.count('class="session-row current"') == 1


def test_one_query_finds_the_session_its_user_and_all_their_roles(app, client, staff):
    # given a user with two roles, signed in
    staff.memberships.append(Membership(unit_id=staff.memberships[0].unit_id, role="dispatcher"))
    db.session.commit()
    signed_in(client, "wang")
    statements = []

    def record(conn, cursor, statement, *args):
        lowered = statement.lower()
        if "user_session" in lowered or "user_account" in lowered or "membership" in lowered:
            statements.append(lowered)

    # when a page is requested
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        home = client.get("/")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    # then one statement found the session with its user and every role
    assert len(statements) == 1, statements
    assert "user_account" in statements[0] and "membership" in statements[0]
    html = home.get_data(as_text=True)
    assert home.status_code == 200
    assert "派单员" in html and "登记员" in html  # every role read in that one statement


def test_a_session_ends_after_web_session_hours_however_busy(app, client, staff, monkeypatch):
    signed_in(client, "wang")
    hours = app.config["WEB_SESSION_HOURS"]
    start = utcnow()
    monkeypatch.setattr("app.accounts.sessions.utcnow", lambda: start + timedelta(hours=hours, seconds=-60))
    assert client.get("/").status_code == 200  # used until the last minute ...
    monkeypatch.setattr("app.accounts.sessions.utcnow", lambda: start + timedelta(hours=hours, seconds=1))
    assert is_login_redirect(client.get("/"))  # ... it still ends on time


def test_last_seen_is_written_at_most_every_few_minutes(app, client, staff, monkeypatch):
    signed_in(client, "wang")
    first = db.session.scalar(select(UserSession.last_seen_at))
    start = utcnow()
    monkeypatch.setattr("app.accounts.sessions.utcnow", lambda: start + timedelta(minutes=1))
    client.get("/")
    db.session.expire_all()
    assert db.session.scalar(select(UserSession.last_seen_at)) == first
    monkeypatch.setattr("app.accounts.sessions.utcnow", lambda: start + timedelta(minutes=10))
    client.get("/")
    db.session.expire_all()
    assert db.session.scalar(select(UserSession.last_seen_at)) == start + timedelta(minutes=10)


def test_ended_sessions_and_tokens_are_purged(app, client, staff, monkeypatch):
    signed_in(client, "wang")
    api_token(client)
    assert sessions.purge_expired() == 0
    hours = max(app.config["WEB_SESSION_HOURS"], app.config["API_TOKEN_HOURS"]) + 1
    later = utcnow() + timedelta(hours=hours)
    monkeypatch.setattr("app.accounts.sessions.utcnow", lambda: later)
    assert sessions.purge_expired() == 2
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


@pytest.mark.parametrize(("environment", "secure"), [
    ({"PUBLIC_BASE_URL": "https://huiyin.example.gov.cn"}, True),
    ({"PUBLIC_BASE_URL": "http://huiyin.example.gov.cn"}, False),
    ({}, False),
    ({"PUBLIC_BASE_URL": "https://huiyin.example.gov.cn", "SESSION_COOKIE_SECURE": "0"}, False),
    ({"PUBLIC_BASE_URL": "http://10.0.0.1", "SESSION_COOKIE_SECURE": "1"}, True),
])
def test_the_session_cookie_is_secure_when_the_public_site_is_https(make_app, monkeypatch, environment,
                                                                     secure):
    for name in ("PUBLIC_BASE_URL", "SESSION_COOKIE_SECURE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app = make_app()
    assert app.config["SESSION_COOKIE_SECURE"] is secure
    cookie = app.test_client().get("/login", base_url="https://localhost").headers["Set-Cookie"]
    assert ("; Secure" in cookie) is secure
