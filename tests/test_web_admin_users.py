"""The administrator's page of one user (/admin/users/<username>): deactivate and reactivate, reset
the password (a generated one, shown once), sign out everywhere, add and remove roles. Each ends
the user's sessions and tokens where it should, and none may leave the platform without an active
administrator."""
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from tests import factories as f
from tests.web_helpers import login, post_form, signed_in


@pytest.fixture
def centre(app):
    city = f.territory("210900", "city")
    centre = f.unit("C210900", "city", territory=city, kind="centre")
    f.user("admin", (centre, "administrator"))
    f.user("wang", (centre, "registrar"))
    return centre


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and urlsplit(response.location).path == "/login"


def user_named(username: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def token_of(client, username: str) -> dict:
    return f.auth(client, username)


def token_works(client, headers) -> bool:
    return client.get("/api/v1/cases", headers=headers).status_code == 200


def act(client, username: str, action: str, data: dict | None = None):
    page = f"/admin/users/{username}"
    return post_form(client, f"{page}/{action}", data, page=page)


def test_the_user_list_links_to_each_users_page(app, client, centre):
    signed_in(client, "admin")
    listing = client.get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/users/wang"' in listing
    html = client.get("/admin/users/wang").get_data(as_text=True)
    assert "Wang" in html and "registrar" in html
    assert client.get("/admin/users/nobody").status_code == 404


@pytest.mark.parametrize(("action", "data"), [("active", {"active": "0"}), ("reset-password", None),
                                              ("sign-out", None)])
def test_deactivation_reset_and_sign_out_end_the_users_sessions_and_tokens(app, client, centre, action, data):
    # given the user signed in in a browser and with an API token
    browser = signed_in(app.test_client(), "wang")
    token = token_of(client, "wang")
    # when the administrator deactivates them, resets their password or signs them out everywhere
    signed_in(client, "admin")
    answer = act(client, "wang", action, data)
    assert answer.status_code in (200, 302), answer.status_code
    # then the browser gets the login page and the token 401; the administrator stays signed in
    assert is_login_redirect(browser.get("/")) and not token_works(client, token)
    assert client.get("/admin/users").status_code == 200


def test_a_reset_shows_the_generated_password_once_and_it_signs_in(app, client, centre):
    signed_in(client, "admin")
    reset = act(client, "wang", "reset-password")
    html = reset.get_data(as_text=True)
    assert reset.status_code == 200 and reset.headers["Cache-Control"] == "no-store"
    password = html.split('id="generated-password">')[1].split("<")[0]
    assert len(password) == 16
    assert 'id="generated-password"' not in client.get("/admin/users/wang").get_data(as_text=True)
    assert login(app.test_client(), "wang", password).status_code == 302


def test_a_deactivated_user_cannot_sign_in_until_reactivated(app, client, centre):
    signed_in(client, "admin")
    assert act(client, "wang", "active", {"active": "0"}).status_code == 302
    assert user_named("wang").active is False
    assert login(app.test_client(), "wang").status_code == 200  # refused
    assert act(client, "wang", "active", {"active": "1"}).status_code == 302
    assert login(app.test_client(), "wang").status_code == 302


def test_roles_are_added_and_removed(app, client, centre):
    signed_in(client, "admin")
    added = act(client, "wang", "memberships",
                {"action": "add", "unit_code": "C210900", "role": "dispatcher"})
    assert added.status_code == 302
    assert user_named("wang").roles == {"registrar", "dispatcher"}
    refused = act(client, "wang", "memberships", {"action": "add", "unit_code": "NOPE", "role": "king"})
    assert refused.status_code == 422 and "没有编码为 NOPE 的单位" in refused.get_data(as_text=True)
    removed = act(client, "wang", "memberships", {"action": "remove", "unit_code": "C210900",
                                                  "role": "registrar"})
    assert removed.status_code == 302 and user_named("wang").roles == {"dispatcher"}


def test_the_last_administrator_cannot_deactivate_or_demote_themselves(app, client, centre):
    signed_in(client, "admin")
    deactivated = act(client, "admin", "active", {"active": "0"})
    demoted = act(client, "admin", "memberships", {"action": "remove", "unit_code": "C210900",
                                                   "role": "administrator"})
    for refused in (deactivated, demoted):
        html = refused.get_data(as_text=True)
        assert refused.status_code == 422 and "此操作将使系统没有在用的管理员" in html
    admin = user_named("admin")
    assert admin.active and admin.roles == {"administrator"}
    assert client.get("/admin/users").status_code == 200  # still signed in
