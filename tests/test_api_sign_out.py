"""Bearer tokens end when they should: DELETE /api/v1/auth/token revokes the token presented; a
password change or reset, a deactivation or an administrator's sign-out of a user revoke every
token of that user. No change may leave the platform without an active administrator."""
import pytest
from sqlalchemy import func, select

from app.accounts.models import ApiToken
from app.extensions import db
from tests import factories as f


@pytest.fixture
def centre(app):
    city = f.territory("210900", "city")
    centre = f.unit("210900-CENTER", "city", territory=city, kind="centre")
    f.user("admin", (centre, "administrator"))
    f.user("handler", (centre, "handler"))
    return centre


def works(client, headers) -> bool:
    answer = client.get("/api/v1/cases", headers=headers)
    assert answer.status_code in (200, 401), answer.status_code
    return answer.status_code == 200


def test_delete_auth_token_revokes_the_presented_token_only(client, centre):
    # given two tokens of one user
    first, second = f.auth(client, "handler"), f.auth(client, "handler")
    # when the first is revoked
    revoked = client.delete("/api/v1/auth/token", headers=first)
    # then it answers 204 and gets 401 from then on; the other still works
    assert revoked.status_code == 204
    assert not works(client, first) and works(client, second)
    again = client.delete("/api/v1/auth/token", headers=first)
    assert again.status_code == 401 and again.headers["WWW-Authenticate"] == "Bearer"
    assert client.delete("/api/v1/auth/token").status_code == 401


@pytest.mark.parametrize(("method", "path", "body"), [
    ("patch", "/api/v1/admin/users/handler", {"password": "a new password"}),
    ("patch", "/api/v1/admin/users/handler", {"active": False}),
    ("post", "/api/v1/admin/users/handler/reset-password", None),
    ("post", "/api/v1/admin/users/handler/sign-out", None),
])
def test_an_old_token_gets_401_after_a_password_change_reset_deactivation_or_sign_out(
        client, centre, method, path, body):
    # given two tokens of the handler and the administrator's own
    admin = f.auth(client, "admin")
    tokens = [f.auth(client, "handler"), f.auth(client, "handler")]
    # when the administrator changes the handler's password, resets it, deactivates or signs them out
    answer = getattr(client, method)(path, headers=admin, json=body)
    assert answer.status_code == 200, answer.json
    # then every token of the handler gets 401; the administrator's still works
    assert not any(works(client, headers) for headers in tokens)
    assert works(client, admin)
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1


def test_a_reset_password_is_generated_shown_once_and_signs_in(client, centre):
    admin = f.auth(client, "admin")
    reset = client.post("/api/v1/admin/users/handler/reset-password", headers=admin)
    assert reset.status_code == 200 and reset.headers["Cache-Control"] == "no-store"
    password = reset.json["generated_password"]
    assert len(password) == 16 and reset.json["username"] == "handler"
    assert client.post("/api/v1/auth/token", json={"username": "handler", "password": password}
                       ).status_code == 201
    assert client.post("/api/v1/auth/token", json={"username": "handler", "password": f.PASSWORD}
                       ).status_code == 401


def test_sign_out_reports_what_it_ended_and_unknown_users_are_404(client, centre):
    admin = f.auth(client, "admin")
    f.auth(client, "handler")
    signed_out = client.post("/api/v1/admin/users/handler/sign-out", headers=admin)
    assert signed_out.status_code == 200 and signed_out.json == {"tokens": 1, "sessions": 0}
    assert client.post("/api/v1/admin/users/nobody/sign-out", headers=admin).status_code == 404
    assert client.post("/api/v1/admin/users/nobody/reset-password", headers=admin).status_code == 404
    handler = f.auth(client, "handler")
    assert client.post("/api/v1/admin/users/admin/sign-out", headers=handler).status_code == 403


def test_the_last_active_administrator_cannot_deactivate_or_demote_themselves(client, centre):
    admin = f.auth(client, "admin")
    # when the only administrator deactivates themselves, or replaces their roles
    deactivate = client.patch("/api/v1/admin/users/admin", headers=admin, json={"active": False})
    demote = client.patch("/api/v1/admin/users/admin", headers=admin, json={
        "memberships": [{"unit_code": "210900-CENTER", "role": "handler"}]})
    # then both are refused with a field error and nothing changes
    assert deactivate.status_code == 422 and "active" in deactivate.json["errors"]
    assert "administrator" in deactivate.json["errors"]["active"][0]
    assert demote.status_code == 422 and "memberships" in demote.json["errors"]
    me = next(u for u in client.get("/api/v1/admin/users", headers=admin).json if u["username"] == "admin")
    assert me["active"] is True and me["memberships"] == [{"unit_code": "210900-CENTER",
                                                          "role": "administrator"}]
    # but with a second active administrator the first may step down, and the second may not
    client.patch("/api/v1/admin/users/handler", headers=admin, json={
        "memberships": [{"unit_code": "210900-CENTER", "role": "administrator"}]})
    assert client.patch("/api/v1/admin/users/admin", headers=admin, json={"active": False}).status_code == 200
    second = f.auth(client, "handler")
    refused = client.patch("/api/v1/admin/users/handler", headers=second, json={"memberships": []})
    assert refused.status_code == 422 and "memberships" in refused.json["errors"]
