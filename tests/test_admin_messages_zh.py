"""Issue 14, "Chinese throughout": the services' validation messages reach the admin pages (and a
task form's refusal) in the request's language — Chinese by default, English on request — while
the JSON API answers the same refusals in English, as it always did."""
import html
import io

import pytest

from tests import factories as f
from tests.complaint_city import Desk, build_city
from tests.web_helpers import csrf_token, post_form, signed_in

ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def admin(app, client):
    """An administrator of a city's platform centre, signed in on the web client."""
    city = f.territory("210900", "city", name="阜新市")
    centre = f.unit("C210900", "city", territory=city, kind="centre")
    f.user("admin", (centre, "administrator"))
    signed_in(client, "admin")
    return centre


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def refused_in_both_languages(client, path: str, data: dict) -> tuple[str, str]:
    """The page a refused form POST shows, in Chinese (the default) and in English."""
    chinese = post_form(client, path, data, page=path)
    english = post_form(client, path, data, page=path, headers=ENGLISH)
    assert (chinese.status_code, english.status_code) in {(422, 422), (409, 409)}
    return page_text(chinese), page_text(english)


def test_an_unknown_parent_territory_is_named_in_chinese_on_the_page_and_in_english_in_the_api(client, admin):
    # given a territory form whose parent does not exist
    data = {"code": "210921", "name": "阜新县", "level": "county", "parent_code": "2109"}
    # when the administrator submits it, then the page says so in the request's language
    chinese, english = refused_in_both_languages(client, "/admin/territories", data)
    assert "没有代码为 2109 的行政区划" in chinese and "no territory 2109" not in chinese
    assert "no territory 2109" in english
    # and the API answers the same refusal in English
    api = client.post("/api/v1/admin/territories", json={**data}, headers=f.auth(client, "admin"))
    assert api.status_code == 422 and api.json["errors"]["parent_code"] == ["no territory 2109"]


def test_a_duplicate_unit_and_a_bad_code_are_refused_in_chinese(client, admin):
    # given a unit that exists already
    data = {"code": "C210900", "name": "重复", "level": "city", "kind": "centre", "territory_code": "210900"}
    # when the administrator creates it again, then the page says it exists, in either language
    chinese, english = refused_in_both_languages(client, "/admin/units", data)
    assert "单位 C210900 已存在" in chinese and "exists already" not in chinese
    assert "unit C210900 exists already" in english
    # and a code with spaces names the allowed characters in Chinese
    chinese, english = refused_in_both_languages(client, "/admin/units", {**data, "code": "a b"})
    assert "须为 1–64 个字母、数字" in chinese
    assert "must be 1–64 letters, digits" in english


def test_a_users_bad_name_password_unit_and_role_are_refused_in_chinese(client, admin):
    # given a new user with a too short username and password, a unit that does not exist and no such role
    data = {"username": "li", "display_name": "李", "password": "short", "unit_code": "NOWHERE",
            "role": "boss"}
    chinese, english = refused_in_both_languages(client, "/admin/users", data)
    # then every problem is in the request's language
    assert "至少 8 个字符" in chinese and "没有编码为 NOWHERE 的单位" in chinese
    assert "须为 3–80 个字母" in chinese and "未知角色 'boss'；可选角色：" in chinese
    assert "must be at least 8 characters" in english and "no unit NOWHERE" in english
    assert "unknown role 'boss'; roles are: " in english


def test_a_password_change_that_does_not_match_is_refused_in_chinese(client, admin):
    # given the signed-in administrator changes their password with a different repetition
    data = {"current_password": f.PASSWORD, "new_password": "a-long-new-one", "new_password_again": "another"}
    chinese = post_form(client, "/account/password", data, page="/account")
    english = post_form(client, "/account/password", data, page="/account", headers=ENGLISH)
    # then the account page says it does not match, in the request's language
    assert chinese.status_code == english.status_code == 422
    assert "与新密码不一致" in page_text(chinese)
    assert "Does not match the new password." in page_text(english)


def test_a_duplicate_routing_rule_is_refused_in_chinese(client, admin):
    # given a rule for the city's level-city cases
    f.routing_rule(f.territory("210901", "county", name="海州区"), "county", admin)
    data = {"territory_code": "210901", "level": "county", "category_code": "", "unit_code": "C210900"}
    chinese, english = refused_in_both_languages(client, "/admin/routing", data)
    assert "210901 已有一条适用于所有分类的 county 级规则" in chinese
    assert "210901 already has a level-county rule for any category" in english
    # and an unknown unit on the same form
    chinese, english = refused_in_both_languages(client, "/admin/routing", {**data, "unit_code": "NOPE"})
    assert "没有编码为 NOPE 的单位" in chinese and "no unit NOPE" in english


def test_an_invalid_time_limit_is_refused_in_chinese(client, admin):
    # given a time limit of working days that is not a whole number
    data = {"phase": "first_contact", "amount": "1.5", "unit": "working_days"}
    chinese, english = refused_in_both_languages(client, "/admin/time-limits", data)
    assert "工作日须为整数" in chinese and "whole number" not in chinese
    assert "must be a whole number of working_days (use working_hours)" in english
    # and the API answers the same refusal in English
    api = client.put("/api/v1/admin/time-limits", json={"limits": [{**data, "amount": 1.5}]},
                     headers=f.auth(client, "admin"))
    assert api.status_code == 422
    assert api.json["errors"]["limits.0.amount"] == [
        "must be a whole number of working_days (use working_hours)"]


def test_R15_a_refused_action_is_explained_in_chinese_on_the_task_page(app, client):
    # given a village whose return was overruled: at first contact it may only accept now
    city = build_city()
    desk = Desk(client)
    desk.village_case(city["units"])
    desk.do("handler_village", "first_contact", claim=True, action="return", return_reason="不归我们管")
    desk.do("dispatcher", "review_return", action="overrule", review_note="属地管理，村委会办理")
    task = desk.task("handler_village", "first_contact")
    claimed = client.post(f"/api/v1/tasks/{task}/claim", headers=desk.headers("handler_village"))
    assert claimed.status_code == 200
    # when the handler returns it again from the task page
    signed_in(client, "handler_village")
    token = csrf_token(client, f"/tasks/{task}")
    data = {"data": {"action": "return", "return_reason": "还是不归我们管"}}
    chinese = client.post(f"/tasks/{task}/complete", json=data, headers={"X-CSRFToken": token})
    english = client.post(f"/tasks/{task}/complete", json=data, headers={"X-CSRFToken": token, **ENGLISH})
    # then the page's answer names the only choice in the request's language
    assert chinese.status_code == english.status_code == 422
    assert chinese.json["errors"]["action"] == ["本环节只能选择：accept"]
    assert english.json["errors"]["action"] == ["must be one of: accept (at this step)"]
    # and the API still answers in English
    api = desk.submit("handler_village", "first_contact", action="return", return_reason="还是不归我们管")
    assert api.status_code == 422
    assert api.json["errors"]["action"] == ["must be one of: accept (at this step)"]


def test_an_import_names_each_bad_row_in_chinese(client, admin):
    # given a territories file whose row names a parent that does not exist
    rows = "code,name,level,parent_code\r\n210921,阜新县,county,2109\r\n".encode("utf-8-sig")

    def upload(**headers):
        return client.post("/admin/import", headers=headers, data={
            "csrf_token": csrf_token(client, "/admin/import"), "kind": "territories",
            "file": (io.BytesIO(rows), "territories.csv")})

    # when the administrator imports it, then the row's problem is in the request's language
    chinese, english = upload(), upload(**ENGLISH)
    assert chinese.status_code == english.status_code == 422
    assert "没有代码为 2109 的行政区划" in page_text(chinese)
    assert "no territory 2109" in page_text(english)
