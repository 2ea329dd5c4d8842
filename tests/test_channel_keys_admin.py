"""Channel API keys administered without a shell (R4): an administrator issues, lists and revokes
keys over the admin API and on the admin pages; the key is shown once; a revoked key stops
working at once on the case API and on Open311, and its row stays."""
import pytest
from sqlalchemy import func, select

from app.channels.models import ChannelKey
from app.extensions import db
from tests import factories as f
from tests.complaint_city import build_city
from tests.web_helpers import csrf_token, post_form, signed_in

URL = "/api/v1/admin/channel-keys"
CASE = {"title": "路灯不亮", "territory_code": "210921001001"}


@pytest.fixture
def city(app):
    city = build_city()
    f.user("admin", (city["centre"], "administrator"))
    return city


@pytest.fixture
def admin(client, city):
    return f.auth(client, "admin")


def key_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ChannelKey))


def delivers(client, key: str, ref: str) -> tuple[int, int]:
    """(status of POST /api/v1/cases, status of an Open311 POST) with `key`."""
    api = client.post("/api/v1/cases", json={**CASE, "external_ref": ref}, headers={"X-Api-Key": key})
    open311 = client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "lamp", "description": "路灯不亮",
        "attribute[territory]": "210921001001"})
    return api.status_code, open311.status_code


def test_an_administrator_issues_lists_and_revokes_a_key_over_the_api(client, admin):
    # when an administrator issues a key for a county's WeChat account
    issued = client.post(URL, headers=admin, json={"channel": "wechat", "name": "县微信公众号",
                                                   "territory_code": "210921"})
    # then the answer holds the key, once, and is not cached
    assert issued.status_code == 201, issued.json
    assert issued.headers["Cache-Control"] == "no-store"
    key = issued.json["key"]
    assert key.startswith("hy_wechat_") and issued.json["webhook_secret"] is None
    assert (issued.json["channel"], issued.json["territory_code"], issued.json["active"]) == (
        "wechat", "210921", True)
    # and the list shows it without the key, its hash or a secret
    listed = client.get(URL, headers=admin)
    assert listed.status_code == 200
    [row] = listed.json
    assert row["id"] == issued.json["id"] and row["name"] == "县微信公众号" and row["created_at"]
    assert key not in listed.get_data(as_text=True) and not {"key", "key_hash", "webhook_secret"} & set(row)
    # and the key works on the case API and on Open311
    assert delivers(client, key, "wx-1") == (201, 201)

    # when it is revoked, then it stops at once, and the row stays, inactive
    revoked = client.post(f"{URL}/{row['id']}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json["active"] is False
    assert delivers(client, key, "wx-2") == (401, 403)
    assert [(r["id"], r["active"]) for r in client.get(URL, headers=admin).json] == [(row["id"], False)]
    # revoking again changes nothing; an unknown key is 404
    assert client.post(f"{URL}/{row['id']}/revoke", headers=admin).json["active"] is False
    assert client.post(f"{URL}/999/revoke", headers=admin).status_code == 404
    assert client.post(f"{URL}/{2**70}/revoke", headers=admin).status_code == 404


def test_a_key_with_a_webhook_answers_its_signing_secret_once(client, admin, app):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    issued = client.post(URL, headers=admin, json={"channel": "sms", "webhook_url": "http://10.0.0.8/hook"})
    assert issued.status_code == 201 and len(issued.json["webhook_secret"]) == 64
    assert issued.json["webhook_url"] == "http://10.0.0.8/hook"
    assert issued.json["webhook_secret"] not in client.get(URL, headers=admin).get_data(as_text=True)


@pytest.mark.parametrize("body, fields", [
    ({"channel": "WeChat!"}, {"channel"}),
    ({"channel": "wechat", "territory_code": "nowhere"}, {"territory_code"}),
    ({"channel": "wechat", "webhook_url": "http://127.0.0.1/hook"}, {"webhook_url"}),
    ({"channel": "x", "name": "n" * 201, "webhook_url": "http://169.254.169.254/"},
     {"channel", "name", "webhook_url"}),
    ({"name": "no channel"}, {"channel"}),
])
def test_an_invalid_key_request_names_every_field_and_issues_nothing(client, admin, body, fields):
    refused = client.post(URL, headers=admin, json=body)
    assert refused.status_code == 422 and set(refused.json["errors"]) == fields, refused.json
    assert key_count() == 0


def test_channel_keys_are_for_administrators_only(client, city):
    assert client.get(URL).status_code == 401
    registrar = f.auth(client, "registrar")
    assert client.get(URL, headers=registrar).status_code == 403
    assert client.post(URL, headers=registrar, json={"channel": "wechat"}).status_code == 403
    assert key_count() == 0


def test_the_command_line_still_issues_keys_through_the_same_service(app, city):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["channels", "add-key", "hotline", "--name", "12345 hotline"])
    assert result.exit_code == 0, result.output
    assert "channel hotline key 1: hy_hotline_" in result.output
    refused = runner.invoke(args=["channels", "add-key", "hotline", "--webhook", "http://127.0.0.1/"])
    assert refused.exit_code != 0 and "loopback" in refused.output
    assert key_count() == 1


# --- the admin page ------------------------------------------------------------------------------

def test_an_administrator_issues_a_key_on_the_page_and_sees_it_once(client, city):
    signed_in(client, "admin")
    page = client.get("/admin/channel-keys")
    assert page.status_code == 200 and "尚无渠道密钥" in page.get_data(as_text=True)
    # when the form is sent, the answer shows the key once
    issued = post_form(client, "/admin/channel-keys", {"channel": "wechat", "name": "WeChat",
                                                      "territory_code": "210921", "webhook_url": ""})
    html = issued.get_data(as_text=True)
    assert issued.status_code == 200 and 'id="new-key"' in html
    key = html.split('id="new-key">')[1].split("<")[0]
    assert key.startswith("hy_wechat_") and issued.headers["Cache-Control"] == "no-store"
    # then the list shows the key's row, never the key again
    listing = client.get("/admin/channel-keys").get_data(as_text=True)
    table = listing[listing.index('id="channel-keys"'):]
    assert "wechat" in table and "210921" in table and "启用" in table and key not in listing
    assert delivers(client, key, "wx-9")[0] == 201


def test_an_invalid_key_form_is_shown_again_with_its_errors(client, city):
    signed_in(client, "admin")
    refused = post_form(client, "/admin/channel-keys", {"channel": "WeChat", "name": "",
                                                       "territory_code": "", "webhook_url": "http://[::1]/x"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'id="f-channel-error"' in html and 'id="f-webhook_url-error"' in html and 'value="WeChat"' in html
    assert key_count() == 0


def test_a_key_is_revoked_on_the_page_with_the_csrf_token_only(client, city):
    signed_in(client, "admin")
    html = post_form(client, "/admin/channel-keys", {"channel": "sms"}).get_data(as_text=True)
    key = html.split('id="new-key">')[1].split("<")[0]
    key_id = db.session.scalar(select(ChannelKey.id))
    # without the token nothing happens
    forged = client.post(f"/admin/channel-keys/{key_id}/revoke")
    assert forged.status_code == 400 and db.session.get(ChannelKey, key_id).active is True
    # with it, the key is revoked and stops working
    revoked = client.post(f"/admin/channel-keys/{key_id}/revoke",
                          data={"csrf_token": csrf_token(client, "/admin/channel-keys")})
    assert revoked.status_code == 302
    db.session.expire_all()
    assert db.session.get(ChannelKey, key_id).active is False
    assert "已停用" in client.get("/admin/channel-keys").get_data(as_text=True)
    assert delivers(client, key, "sms-1") == (401, 403)
    assert post_form(client, "/admin/channel-keys/999/revoke").status_code == 404


def test_the_key_page_is_for_administrators_only(client, city):
    signed_in(client, "registrar")
    assert client.get("/admin/channel-keys").status_code == 403
    assert post_form(client, "/admin/channel-keys", {"channel": "wechat"}).status_code == 403
    assert key_count() == 0
