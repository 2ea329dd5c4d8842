"""Web sign-in: session login/logout, CSRF on every form, one message for every refused login,
redirects to /login that never lead off-site, session expiry, and the API left as it was."""
from urllib.parse import parse_qs, urlsplit

import pytest

from app.engine.transaction import transaction
from app.extensions import db
from app.organisation import admin
from tests import factories as f
from tests.web_helpers import (
    a_registrar,
    csrf_token,
    in_english,
    is_login_redirect,
    login,
    post_form,
    signed_in,
    without_tokens,
)


@pytest.fixture
def staff(app):
    return a_registrar()


def test_login_page_labels_every_field(client, staff):
    html = client.get("/login").get_data(as_text=True)
    for name in ("username", "password"):
        assert f'<label for="f-{name}">' in html and f'id="f-{name}" name="{name}"' in html
    assert '<html lang="zh-CN">' in html and "<h1>" in html


def test_login_and_logout(client, staff):
    assert is_login_redirect(client.get("/"))
    response = login(client, "wang")
    assert response.status_code == 302 and response.location == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    home = client.get("/")
    assert home.status_code == 200 and "Wang" in home.get_data(as_text=True)
    # logout is a POST with the CSRF token; afterwards the pages want a login again
    logout = post_form(client, "/logout")
    assert is_login_redirect(logout)
    assert is_login_redirect(client.get("/"))


def test_logout_is_post_only(client, staff):
    signed_in(client, "wang")
    response = client.get("/logout")
    assert response.status_code == 405 and response.mimetype == "text/html"
    assert client.get("/").status_code == 200


def test_a_post_without_csrf_token_is_refused(client, staff):
    refused = client.post("/login", data={"username": "wang", "password": f.PASSWORD})
    assert refused.status_code == 400 and refused.mimetype == "text/html"
    assert is_login_redirect(client.get("/"))  # not signed in
    signed_in(client, "wang")
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/").status_code == 200  # still signed in


def test_wrong_password_unknown_user_and_deactivated_account_show_the_same_message(client, staff):
    wrong = login(client, "wang", "wrong password")
    assert wrong.status_code == 200 and "用户名或密码错误" in wrong.get_data(as_text=True)
    unknown = login(client, "nobody", "wrong password")
    staff.active = False
    db.session.commit()
    inactive = login(client, "wang")  # the right password of a deactivated account
    unknown_html = without_tokens(unknown.get_data(as_text=True)).replace('value="nobody"', 'value="wang"')
    assert inactive.status_code == wrong.status_code == unknown.status_code
    assert without_tokens(inactive.get_data(as_text=True)) == without_tokens(wrong.get_data(as_text=True))
    assert unknown_html == without_tokens(wrong.get_data(as_text=True))
    assert is_login_redirect(client.get("/"))


def test_the_refusal_reads_the_same_in_english(client, staff):
    in_english(client)
    wrong = login(client, "wang", "wrong password")
    unknown = login(client, "nobody", "wrong password")
    html = without_tokens(wrong.get_data(as_text=True))
    assert wrong.status_code == unknown.status_code == 200
    assert '<html lang="en">' in html and "Wrong username or password" in html
    assert "用户名或密码错误" not in html
    unknown_html = without_tokens(unknown.get_data(as_text=True))
    assert unknown_html.replace('value="nobody"', 'value="wang"') == html


def test_empty_fields_are_named_next_to_the_form(client, staff):
    html = login(client, "", "").get_data(as_text=True)
    assert 'id="f-username-error"' in html and 'id="f-password-error"' in html
    assert "请输入用户名" in html and "请输入密码" in html


def test_anonymous_users_are_sent_to_login_and_come_back(client, staff):
    response = client.get("/cases?page=2")
    assert is_login_redirect(response)
    assert parse_qs(urlsplit(response.location).query)["next"] == ["/cases?page=2"]
    assert is_login_redirect(client.get("/admin/users"))
    assert 'name="next" value="/cases?page=2"' in client.get(response.location).get_data(as_text=True)
    back = login(client, "wang", next_url="/cases?page=2")
    assert back.status_code == 302 and back.location == "/cases?page=2"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/x", "/\\evil.example", "\\\\evil.example", "http:/evil.example",
    "javascript:alert(1)", "/\t/evil.example", "/%09/evil.example\n", " //evil.example",
])
def test_next_cannot_redirect_off_site(client, staff, target):
    response = login(client, "wang", next_url=target)
    assert response.status_code == 302 and response.location == "/"
    # signed in already: /login?next= redirects at once, and must not leave the site either
    again = client.get("/login", query_string={"next": target})
    assert again.status_code == 302 and again.location == "/"


def test_a_session_ends_when_the_account_is_deactivated(client, staff):
    signed_in(client, "wang")
    staff.active = False
    db.session.commit()
    assert is_login_redirect(client.get("/"))


def test_a_session_ends_when_an_administrator_sets_a_new_password(client, staff):
    signed_in(client, "wang")
    with transaction():
        admin.update_user("wang", {"password": "a new password"})
    assert is_login_redirect(client.get("/"))


def test_htmx_requests_of_anonymous_users_get_a_full_page_redirect(client, staff):
    response = client.post("/cases/X/personal-data", headers={"HX-Request": "true"},
                           data={"csrf_token": csrf_token(client)})
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/login"


def test_web_pages_get_html_errors_and_security_headers(client, staff):
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert "未找到" in missing.get_data(as_text=True)
    page = client.get("/login")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"


def test_the_api_keeps_bearer_tokens_and_json_errors(client, staff):
    # no CSRF token needed under /api (bearer tokens, never the session cookie)
    headers = f.auth(client, "wang")
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    unauthorised = client.get("/api/v1/cases")
    assert unauthorised.status_code == 401 and unauthorised.json["code"] == "unauthorized"
    missing = client.get("/api/v1/no-such-endpoint")
    assert missing.status_code == 404 and missing.json["code"] == "not_found"
    not_found = client.get("/api/v1/cases/HY19990101-000001", headers=headers)
    assert not_found.status_code == 404 and not_found.json["code"] == "not_found"
    # a signed-in browser session is no credential for the API
    signed_in(client, "wang")
    assert client.get("/api/v1/cases").status_code == 401
