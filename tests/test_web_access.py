"""Web pages and jurisdiction: who sees which case, masked personal data and its audited reveal,
administration for administrators only, escaping of user text."""
import io

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.cases.service import NewCase, create_case
from app.engine import tasks
from app.engine.models import HumanTask
from app.extensions import db
from app.organisation.models import Territory
from app.privacy.models import PersonalDataAccess
from tests import factories as f
from tests.web_helpers import csrf_token, post_form, signed_in, with_check_character, without_tokens

PHONE = "13812345678"
MASKED_PHONE = "138****5678"
ID_NUMBER = with_check_character("21090219800101123")
MASKED_ID = ID_NUMBER[:4] + "*" * 10 + ID_NUMBER[-4:]
ADMIN_PAGES = ("/admin", "/admin/territories", "/admin/units", "/admin/categories", "/admin/routing",
               "/admin/users", "/admin/import")


@pytest.fixture
def county(app):
    return f.county_with_two_townships(requester_name="张三", requester_phone=PHONE, id_number=ID_NUMBER)


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def audit_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(PersonalDataAccess))


def test_a_township_handler_cannot_see_another_townships_case(client, county):
    own, other = county["210902001"], county["210902002"]
    signed_in(client, "handler_a1")
    assert own.number in page(client, f"/cases/{own.number}")
    refused = client.get(f"/cases/{other.number}")
    missing = client.get("/cases/HY19990101-000001")
    assert refused.status_code == missing.status_code == 404 and refused.mimetype == "text/html"
    # outside the jurisdiction reads exactly like a number that does not exist
    assert without_tokens(refused.get_data(as_text=True)) == without_tokens(missing.get_data(as_text=True))
    listed = page(client, "/cases")
    assert own.number in listed
    assert other.number not in listed and county["210903001"].number not in listed


def test_a_county_leader_sees_every_case_of_the_county_and_none_outside(client, county):
    signed_in(client, "leader_a")
    listed = page(client, "/cases")
    for code in ("210902001", "210902002"):
        assert county[code].number in listed
        assert client.get(f"/cases/{county[code].number}").status_code == 200
    assert county["210903001"].number not in listed
    assert client.get(f"/cases/{county['210903001'].number}").status_code == 404


def test_the_case_page_shows_personal_data_masked(client, county):
    case = county["210902001"]
    signed_in(client, "registrar")
    for path in (f"/cases/{case.number}", "/cases"):
        html = page(client, path)
        assert MASKED_PHONE in html and PHONE not in html
        assert ID_NUMBER not in html
    html = page(client, f"/cases/{case.number}")
    assert MASKED_ID in html and "张三" in html
    assert case.territory_code in html and f"U{case.territory_code}" in html and "办理中" in html
    assert "<strong>登记</strong>" in html and "case_created" not in html  # the timeline: a name, no code


def test_the_registrar_reveals_personal_data_and_it_is_audited(client, county):
    case = county["210902001"]
    signed_in(client, "registrar")
    assert 'id="reveal-button"' in page(client, f"/cases/{case.number}")
    revealed = post_form(client, f"/cases/{case.number}/personal-data", page=f"/cases/{case.number}")
    assert revealed.status_code == 200 and revealed.headers["Cache-Control"] == "no-store"
    html = revealed.get_data(as_text=True)
    assert PHONE in html and ID_NUMBER in html
    rows = db.session.scalars(select(PersonalDataAccess)).all()
    assert [(r.user_id, r.case_id, r.via, r.fields) for r in rows] == [
        (f.user_id("registrar"), case.id, "web", "requester_phone,id_number")]
    # htmx asks for the section only
    partial = post_form(client, f"/cases/{case.number}/personal-data", headers={"HX-Request": "true"})
    fragment = partial.get_data(as_text=True)
    assert partial.status_code == 200 and "<html" not in fragment and PHONE in fragment
    assert fragment.lstrip().startswith('<section id="personal-data"')
    assert audit_rows() == 2
    # a fresh page view is masked again
    assert PHONE not in page(client, f"/cases/{case.number}")


def test_a_leaders_reveal_is_refused_and_writes_nothing(client, county):
    case = county["210902001"]
    signed_in(client, "leader_a")
    html = page(client, f"/cases/{case.number}")
    assert 'id="reveal-button"' not in html and "查看完整信息" not in html  # no button for the leader
    refused = post_form(client, f"/cases/{case.number}/personal-data")
    assert refused.status_code == 403 and refused.mimetype == "text/html"
    assert PHONE not in refused.get_data(as_text=True)
    assert audit_rows() == 0


def test_a_handler_without_the_task_is_refused_and_outside_the_jurisdiction_gets_404(client, county):
    signed_in(client, "handler_a1")
    own, other = county["210902001"], county["210902002"]
    # the handler has not signed for the task of the own case yet: privacy.reveal refuses
    refused = post_form(client, f"/cases/{own.number}/personal-data")
    assert refused.status_code == 403 and PHONE not in refused.get_data(as_text=True)
    # htmx requests get the refusal as an alert fragment for the page's alert area
    alert = post_form(client, f"/cases/{own.number}/personal-data", headers={"HX-Request": "true"})
    assert alert.status_code == 403 and alert.headers["HX-Retarget"] == "#htmx-alert"
    assert "<html" not in alert.get_data(as_text=True)
    assert post_form(client, f"/cases/{other.number}/personal-data").status_code == 404
    assert audit_rows() == 0
    # once the handler has signed for the case's task, the reveal is allowed (and audited)
    handler = db.session.get(User, f.user_id("handler_a1"))
    tasks.claim(handler, db.session.scalar(select(HumanTask.id).where(HumanTask.case_id == own.id)))
    revealed = post_form(client, f"/cases/{own.number}/personal-data")
    assert revealed.status_code == 200 and PHONE in revealed.get_data(as_text=True)
    assert db.session.scalars(select(PersonalDataAccess.via)).all() == ["web"]


def test_a_reveal_without_csrf_token_is_refused(client, county):
    signed_in(client, "registrar")
    response = client.post(f"/cases/{county['210902001'].number}/personal-data")
    assert response.status_code == 400 and PHONE not in response.get_data(as_text=True)
    assert audit_rows() == 0


def test_the_home_page_lists_my_open_tasks(client, county):
    signed_in(client, "handler_a1")
    html = page(client, "/")
    assert county["210902001"].number in html and county["210902002"].number not in html
    assert 'id="open-task-count">1<' in html
    assert "/admin" not in html
    signed_in(client, "admin")
    assert 'href="/admin"' in page(client, "/")


def test_admin_pages_answer_403_to_non_admins(client, county):
    for username in ("handler_a1", "leader_a", "registrar"):
        signed_in(client, username)
        for path in ADMIN_PAGES:
            response = client.get(path)
            assert response.status_code == 403 and response.mimetype == "text/html", (username, path)
        created = post_form(client, "/admin/territories",
                            {"code": "999", "name": "x", "level": "county", "parent_code": "210900"})
        assert created.status_code == 403
    assert db.session.scalar(select(Territory).where(Territory.code == "999")) is None
    signed_in(client, "admin")
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 200, path


def test_user_text_is_escaped_on_the_case_page(client, county):
    script = "<script>alert('x')</script>"
    case, _ = create_case(NewCase(title=f"灯不亮 {script}", description=f"描述 {script}",
                                  territory_code="210902001", requester_name=f"李四{script}"), None)
    signed_in(client, "registrar")
    for path in (f"/cases/{case.number}", "/cases"):
        html = page(client, path)
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


# --- administration forms ------------------------------------------------------------------------

def test_an_administrator_creates_a_territory_and_sees_field_errors(client, county):
    signed_in(client, "admin")
    township = {"code": "210902003", "name": "新镇 <b>", "level": "township", "parent_code": "210902"}
    created = post_form(client, "/admin/territories", township)
    assert created.status_code == 302
    tree = page(client, "/admin/territories")
    assert "210902003" in tree and "新镇 &lt;b&gt;" in tree
    assert db.session.scalar(select(Territory.path).where(Territory.code == "210902003")) == \
        "/210900/210902/210902003/"
    duplicate = post_form(client, "/admin/territories", {**township, "name": "again"})
    assert duplicate.status_code == 409 and 'id="f-code-error"' in duplicate.get_data(as_text=True)
    invalid = post_form(client, "/admin/territories", {"code": "", "name": "", "level": "planet"})
    html = invalid.get_data(as_text=True)
    assert invalid.status_code == 422
    assert all(f'id="f-{name}-error"' in html for name in ("code", "name", "level"))


def test_an_administrator_creates_units_categories_rules_and_users(client, county):
    signed_in(client, "admin")
    unit = {"code": "V1", "name": "一村", "level": "village", "kind": "committee",
            "territory_code": "210902001"}
    assert post_form(client, "/admin/units", unit).status_code == 302
    assert "一村" in page(client, "/admin/units")
    assert post_form(client, "/admin/categories",
                     {"code": "light", "name": "路灯", "class": "livelihood"}).status_code == 302
    assert "路灯" in page(client, "/admin/categories")
    rule = {"territory_code": "210902001", "level": "village", "category_code": "light", "unit_code": "V1"}
    assert post_form(client, "/admin/routing", rule).status_code == 302
    rules = page(client, "/admin/routing?territory_code=210902001")
    assert "V1" in rules and "light" in rules
    user = post_form(client, "/admin/users", {"username": "li.si", "display_name": "李四", "password": "",
                                              "unit_code": "V1", "role": "handler"})
    html = user.get_data(as_text=True)
    assert user.status_code == 200 and 'id="generated-password"' in html
    assert user.headers["Cache-Control"] == "no-store"
    assert "li.si" in page(client, "/admin/users")
    bad = post_form(client, "/admin/users", {"username": "x", "display_name": "", "unit_code": "NOPE",
                                             "role": "king"})
    assert bad.status_code == 422 and "没有编码为 NOPE 的单位" in bad.get_data(as_text=True)


def test_an_import_shows_every_bad_row_and_imports_nothing(client, county):
    signed_in(client, "admin")
    token = csrf_token(client, "/admin/import")
    bad = "code,name,class\nwater,供水,livelihood\nwater,again,livelihood\n,no code,planet\n"
    refused = client.post("/admin/import", data={"csrf_token": token, "kind": "categories",
                                                 "file": (io.BytesIO(bad.encode()), "c.csv")})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="import-errors"' in html
    assert "<td>3</td>" in html and "<td>4</td>" in html
    assert "water" not in page(client, "/admin/categories")
    good = "code,name,class\nwater,供水,livelihood\n"
    imported = client.post("/admin/import", data={"csrf_token": token, "kind": "categories",
                                                  "file": (io.BytesIO(good.encode()), "c.csv")})
    assert imported.status_code == 200 and "已导入 1 条" in imported.get_data(as_text=True)
    assert "供水" in page(client, "/admin/categories")
    missing = client.post("/admin/import", data={"csrf_token": token, "kind": "planets"})
    assert missing.status_code == 422 and 'id="f-kind-error"' in missing.get_data(as_text=True)
