"""Every administrator's change is audited (who, when, old → new) in the same transaction as the
change: territories, units, categories, routing rules, users and memberships (never a password
hash), imports, time limits, settings, calendar overrides (deletions too) and channel keys. A
refused change leaves no entry. The audit is listed at GET /api/v1/admin/audit and /admin/audit."""
import csv
import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from app.audit.models import AdminChange
from app.clock import utcnow
from app.extensions import db
from tests import factories as f
from tests.web_helpers import post_form, signed_in

API = "/api/v1/admin"
DEFAULT_HOURS = [["08:30", "12:00"], ["13:30", "17:30"]]


@pytest.fixture
def org(app):
    city = f.territory("210900", "city", name="阜新市")
    county = f.territory("210902", "county", city, name="海州区")
    centre = f.unit("C210900", "city", territory=city, kind="centre")
    f.unit("U-ROADS", "county", territory=county)
    f.unit("U-WATER", "county", territory=county)
    f.category("lamp", name="路灯")
    f.user("admin", (centre, "administrator"))
    f.user("other_admin", (centre, "administrator"))
    f.user("clerk", (centre, "registrar"))
    return {"centre": centre}


@pytest.fixture
def admin(client, org):
    return f.auth(client, "admin")


def entries() -> list[AdminChange]:
    db.session.expire_all()
    return list(db.session.scalars(select(AdminChange).order_by(AdminChange.id)))


def csv_file(rows: list[list]) -> tuple[io.BytesIO, str]:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return io.BytesIO(buffer.getvalue().encode()), "import.csv"


# (method, path, body) of one change, and the entry it must leave: entity, key, action, old ⊇, new ⊇
CHANGES = {
    "territory created": (("post", "/territories", {"code": "210903", "name": "新邱区", "level": "county",
                                                    "parent_code": "210900"}),
                          ("territory", "210903", "create", None,
                           {"name": "新邱区", "parent_code": "210900"})),
    "territory renamed": (("patch", "/territories/210902", {"name": "海州"}),
                          ("territory", "210902", "update", {"name": "海州区"}, {"name": "海州"})),
    "unit created": (("post", "/units", {"code": "U-PARKS", "name": "公园管理处", "level": "county",
                                         "territory_code": "210902"}),
                     ("unit", "U-PARKS", "create", None, {"territory_code": "210902", "kind": "office"})),
    "unit moved": (("patch", "/units/U-ROADS", {"territory_code": None, "kind": "department"}),
                   ("unit", "U-ROADS", "update", {"territory_code": "210902", "kind": "office"},
                    {"territory_code": None, "kind": "department"})),
    "category created": (("post", "/categories", {"code": "noise", "name": "噪声", "class": "enforcement"}),
                         ("category", "noise", "create", None, {"class": "enforcement"})),
    "category changed": (("patch", "/categories/lamp", {"class": "development"}),
                         ("category", "lamp", "update", {"class": "livelihood"}, {"class": "development"})),
    "routing rule created": (("post", "/routing-rules", {"territory_code": "210902", "level": "county",
                                                         "unit_code": "U-ROADS"}),
                             ("routing_rule", "1", "create", None,
                              {"territory_code": "210902", "category_code": None, "unit_code": "U-ROADS"})),
    "user created": (("post", "/users", {"username": "wang", "display_name": "王伟", "memberships": [
                         {"unit_code": "U-ROADS", "role": "handler"}]}),
                     ("user", "wang", "create", None,
                      {"memberships": ["U-ROADS:handler"], "password": "generated", "active": True})),
    "user's password and memberships changed": (
        ("patch", "/users/clerk", {"password": "a new long password", "memberships": [
            {"unit_code": "C210900", "role": "registrar"}, {"unit_code": "U-WATER", "role": "handler"}]}),
        ("user", "clerk", "update", {"memberships": ["C210900:registrar"]},
         {"memberships": ["C210900:registrar", "U-WATER:handler"], "password": "changed"})),
    "user deactivated": (("patch", "/users/clerk", {"active": False}),
                         ("user", "clerk", "update", {"active": True}, {"active": False})),
    "time limit changed": (("put", "/time-limits", {"limits": [{"phase": "handling", "amount": 6,
                                                                "unit": "working_days"}]}),
                           ("time_limit", None, "update", {"amount": 5}, {"amount": 6})),
    "yellow share": (("put", "/settings/yellow-share", {"value": 0.4}),
                     ("setting", "yellow_share", "update", {"value": 0.25}, {"value": 0.4})),
    "working hours": (("put", "/settings/working-hours", {"intervals": [["09:00", "17:00"]]}),
                      ("setting", "working_hours", "update", {"intervals": DEFAULT_HOURS},
                       {"intervals": [["09:00", "17:00"]]})),
    "calendar override set": (("put", "/calendar/overrides/2026-10-09", {"kind": "holiday", "note": "台风"}),
                              ("calendar_override", "2026-10-09", "create", None,
                               {"kind": "holiday", "note": "台风"})),
    "channel key issued": (("post", "/channel-keys", {"channel": "wechat", "name": "微信",
                                                      "territory_code": "210902"}),
                           ("channel_key", "1", "create", None,
                            {"channel": "wechat", "territory_code": "210902", "active": True})),
}


@pytest.mark.parametrize("change", CHANGES)
def test_each_kind_of_change_leaves_one_entry_with_the_actor_and_old_and_new(client, admin, change):
    (method, path, body), (entity, key, action, old, new) = CHANGES[change]
    before = utcnow() - timedelta(seconds=1)
    response = getattr(client, method)(API + path, json=body, headers=admin)
    assert response.status_code in (200, 201), response.json
    [entry] = entries()
    assert (entry.entity, entry.action, entry.user_id) == (entity, action, f.user_id("admin"))
    assert key is None or entry.entity_key == key
    assert before <= entry.at <= utcnow()
    assert (entry.old is None) if old is None else entry.old.items() >= old.items()
    assert entry.new.items() >= new.items()
    assert "hash" not in repr(entry.old) + repr(entry.new) and "$argon2" not in repr(entry.new)


def test_a_deleted_override_and_a_revoked_key_are_audited_with_what_they_were(client, admin):
    day = f"{API}/calendar/overrides/2026-10-09"
    client.put(day, json={"kind": "holiday", "note": "台风"}, headers=admin)
    client.put(day, json={"kind": "workday", "note": "补班"}, headers=admin)
    assert client.delete(day, headers=admin).status_code == 204
    issued = client.post(f"{API}/channel-keys", json={"channel": "sms"}, headers=admin).json
    assert client.post(f"{API}/channel-keys/{issued['id']}/revoke", headers=admin).status_code == 200
    _, changed, deleted, _, revoked = entries()
    assert (changed.action, changed.old, changed.new) == (
        "update", {"kind": "holiday", "note": "台风"}, {"kind": "workday", "note": "补班"})
    assert (deleted.entity, deleted.entity_key, deleted.action, deleted.old, deleted.new) == (
        "calendar_override", "2026-10-09", "delete", {"kind": "workday", "note": "补班"}, None)
    assert (revoked.entity, revoked.action, revoked.old["active"], revoked.new["active"]) == (
        "channel_key", "update", True, False)
    assert issued["key"] not in repr([(e.old, e.new) for e in entries()])


def test_an_import_leaves_one_entry_with_its_counts_and_a_refused_import_none(client, admin):
    rows = [["username", "display_name", "unit_code", "roles"], ["li.na", "李娜", "U-ROADS", "handler"],
            ["zhao", "赵", "U-WATER", "handler"]]
    imported = client.post(f"{API}/import/users", data={"file": csv_file(rows)}, headers=admin)
    assert imported.status_code == 200, imported.json
    assert imported.json["imported"] == 2
    bad_rows = [rows[0], ["x", "", "NOPE", "boss"]]
    refused = client.post(f"{API}/import/users", data={"file": csv_file(bad_rows)}, headers=admin)
    assert refused.status_code == 422
    [entry] = entries()
    assert (entry.entity, entry.entity_key, entry.action, entry.user_id) == (
        "import", "users", "create", f.user_id("admin"))
    assert entry.new["imported"] == 2 and len(entry.new["file_sha256"]) == 64
    passwords = [p["password"] for p in imported.json["generated_passwords"]]
    assert not any(password in repr(entry.new) for password in passwords)


@pytest.mark.parametrize("method, path, body, status", [
    ("post", "/territories", {"code": "210902", "name": "x", "level": "county"}, 409),
    ("post", "/territories", {"code": "bad code", "name": "", "level": "planet"}, 422),
    ("patch", "/territories/nowhere", {"name": "x"}, 404),
    ("patch", "/units/U-ROADS", {"kind": "castle"}, 422),
    ("post", "/categories", {"code": "lamp", "name": "again"}, 409),
    ("post", "/routing-rules", {"territory_code": "210902", "level": "county", "unit_code": "NOPE"}, 422),
    ("patch", "/users/clerk", {"password": "short"}, 422),
    ("put", "/time-limits", {"limits": [{"phase": "handling", "amount": -1, "unit": "working_days"}]}, 422),
    ("put", "/settings/yellow-share", {"value": 2}, 422),
    ("put", "/settings/working-hours", {"intervals": [["12:00", "09:00"]]}, 422),
    ("put", "/calendar/overrides/2026-10-09", {"kind": "sometimes"}, 422),
    ("delete", "/calendar/overrides/2026-10-09", None, 404),
    ("post", "/channel-keys", {"channel": "wechat", "webhook_url": "http://10.0.0.1/"}, 422),
    ("post", "/channel-keys/7/revoke", None, 404),
])
def test_a_refused_change_leaves_no_entry(client, admin, method, path, body, status):
    response = getattr(client, method)(API + path, json=body, headers=admin)
    assert response.status_code == status, response.json
    assert entries() == []


def test_a_change_that_changes_nothing_leaves_no_entry(client, admin):
    same_name = client.patch(f"{API}/territories/210902", json={"name": "海州区"}, headers=admin)
    assert same_name.status_code == 200
    same_display = client.get(f"{API}/users?limit=1000", headers=admin).json
    clerk = next(u for u in same_display if u["username"] == "clerk")
    unchanged = client.patch(f"{API}/users/clerk", json={"display_name": clerk["display_name"]},
                             headers=admin)
    assert unchanged.status_code == 200
    assert entries() == []


def test_the_time_limit_change_log_answers_from_the_audit_in_its_old_shape(client, admin):
    handling = {"phase": "handling", "amount": 6, "unit": "working_days"}
    assert client.put(f"{API}/time-limits", json={"limits": [handling]}, headers=admin).status_code == 200
    [change] = client.get(f"{API}/time-limits/changes", headers=admin).json
    assert set(change) == {"id", "time_limit_id", "user_id", "at", "old", "new"}
    assert change["user_id"] == f.user_id("admin") and change["old"]["amount"] == 5
    assert change["time_limit_id"] == int(entries()[0].entity_key)


# --- changes made on the admin pages ------------------------------------------------------------

def test_changes_on_the_admin_pages_are_audited_with_the_signed_in_administrator(client, org):
    signed_in(client, "other_admin")
    assert post_form(client, "/admin/territories", {"code": "210904", "name": "太平区", "level": "county",
                                                     "parent_code": "210900"}).status_code == 302
    holiday = {"day": "2026-10-09", "kind": "holiday", "note": ""}
    assert post_form(client, "/admin/calendar", holiday).status_code == 302
    assert post_form(client, "/admin/calendar/delete", {"day": "2026-10-09"}).status_code == 302
    assert post_form(client, "/admin/time-limits/yellow-share", {"yellow_share": "0.3"}).status_code == 302
    assert post_form(client, "/admin/channel-keys", {"channel": "sms"}).status_code == 200
    assert post_form(client, "/admin/territories", {"code": "", "name": "", "level": ""}).status_code == 422
    made = [(e.entity, e.action, e.user_id) for e in entries()]
    other = f.user_id("other_admin")
    assert made == [("territory", "create", other), ("calendar_override", "create", other),
                    ("calendar_override", "delete", other), ("setting", "update", other),
                    ("channel_key", "create", other)]


# --- listing the audit -----------------------------------------------------------------------------

@pytest.fixture
def history(client, admin):
    """Four changes by two administrators on two days (the first moved back to 1 October)."""
    client.patch(f"{API}/territories/210902", json={"name": "海州"}, headers=admin)
    client.put(f"{API}/settings/yellow-share", json={"value": 0.4}, headers=admin)
    other = f.auth(client, "other_admin")
    client.patch(f"{API}/territories/210902", json={"name": "海州区"}, headers=other)
    client.patch(f"{API}/users/clerk", json={"password": "a new long password"}, headers=other)
    first = entries()[0]
    db.session.execute(update(AdminChange).where(AdminChange.id == first.id)
                       .values(at=datetime(2026, 9, 30, 17, 0)))  # 1 October 01:00 in Beijing
    db.session.commit()
    return entries()


def test_the_audit_api_lists_changes_newest_first_with_filters(client, admin, history):
    listed = client.get(f"{API}/audit", headers=admin)
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json] == [history[3].id, history[2].id, history[1].id, history[0].id]
    newest = listed.json[0]
    assert (newest["username"], newest["entity"], newest["entity_key"], newest["action"]) == (
        "other_admin", "user", "clerk", "update")
    assert newest["new"]["password"] == "changed" and newest["at"].endswith("+00:00")

    def ids(**query):
        answer = client.get(f"{API}/audit", query_string=query, headers=admin)
        assert answer.status_code == 200, answer.json
        return [c["id"] for c in answer.json]

    assert ids(entity="territory") == [history[2].id, history[0].id]
    assert ids(user="OTHER_ADMIN") == [history[3].id, history[2].id]
    assert ids(**{"from": "2026-10-01", "to": "2026-10-01"}) == [history[0].id]
    assert ids(user="nobody") == []
    assert ids(limit=2, offset=1) == [history[2].id, history[1].id]


@pytest.mark.parametrize("query, field", [({"entity": "planet"}, "entity"), ({"from": "yesterday"}, "from"),
                                          ({"from": "2026-10-02", "to": "2026-10-01"}, "to"),
                                          ({"limit": 0}, "limit"), ({"user": "x" * 81}, "user"),
                                          ({"from": "0001-01-01"}, "from"), ({"to": "9999-12-31"}, "to")])
def test_bad_audit_filters_answer_422_by_field(client, admin, query, field):
    answer = client.get(f"{API}/audit", query_string=query, headers=admin)
    assert answer.status_code == 422 and field in answer.json["errors"], answer.json


def test_the_audit_is_for_administrators_only(client, org):
    assert client.get(f"{API}/audit").status_code == 401
    assert client.get(f"{API}/audit", headers=f.auth(client, "clerk")).status_code == 403
    signed_in(client, "clerk")
    assert client.get("/admin/audit").status_code == 403


def test_the_audit_page_lists_changes_readably_with_filters_and_paging(client, admin, history, monkeypatch):
    signed_in(client, "admin")
    html = client.get("/admin/audit").get_data(as_text=True)
    table = html[html.index('id="audit"'):]
    rows = table.split("<tr")[2:]
    assert len(rows) == 4 and f'id="change-{history[3].id}"' in rows[0]
    assert "Other_Admin" in rows[0] and "用户" in rows[0] and "clerk" in rows[0] and "changed" in rows[0]
    assert "海州 → 海州区" in rows[1] and "0.25 → 0.4" in rows[2]
    assert "2026-10-01 01:00:00" in rows[3]
    filtered = client.get("/admin/audit?entity=territory&user=admin&from=2026-10-01&to=2026-10-01")
    assert filtered.get_data(as_text=True).count('id="change-') == 1
    for query, field in (("from=soon&entity=planet", "from"), ("to=9999-12-31", "to"),
                         ("entity=planet", "entity")):
        bad = client.get(f"/admin/audit?{query}")
        assert bad.status_code == 422 and f'id="f-{field}-error"' in bad.get_data(as_text=True), query
    monkeypatch.setattr("app.web.admin.AUDIT_PAGE_SIZE", 3)
    first = client.get("/admin/audit?entity=").get_data(as_text=True)
    assert first.count('id="change-') == 3 and "page=2" in first
    assert client.get("/admin/audit?page=2").get_data(as_text=True).count('id="change-') == 1
    assert db.session.scalar(select(func.count()).select_from(AdminChange)) == 4


def test_the_audit_page_shows_working_hours_and_memberships_readably(client, admin):
    client.put(f"{API}/settings/working-hours", json={"intervals": [["09:00", "17:00"]]}, headers=admin)
    client.patch(f"{API}/users/clerk", json={"memberships": [{"unit_code": "U-WATER", "role": "handler"}]},
                 headers=admin)
    signed_in(client, "admin")
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "08:30–12:00, 13:30–17:30 → 09:00–17:00" in html
    assert "C210900:registrar → U-WATER:handler" in html
