"""Phases and roles are data an administrator extends: a designer's new step gets its own time limit
and its own role without a programmer, and the access rules follow a new role's scope."""
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.accounts import roles
from app.accounts.models import Role, User
from app.audit.models import AdminChange
from app.cases.access import may_see
from app.extensions import db
from app.timelimits import calendar, limits
from app.timelimits.models import Phase, TimeLimit
from tests import factories as f
from tests.web_helpers import csrf_token, signed_in

BPMN = Path(__file__).resolve().parent / "bpmn"
LEGAL_REVIEW = {"code": "legal_review", "name_zh": "法制审核", "name_en": "Legal review",
                "limit": {"amount": 3, "unit": "working_days"}}


@pytest.fixture
def city(app):
    city = f.territory("210900", "city")
    county = f.territory("210921", "county", city)
    centre = f.unit("210900-CENTER", "city", territory=city, kind="centre")
    county_office = f.unit("210921-OFFICE", "county", territory=county)
    f.user("admin", (centre, "administrator"))
    f.user("designer", (centre, "process_designer"))
    return {"city": city, "county": county, "centre": centre, "county_office": county_office}


def test_an_administrator_adds_a_phase_with_its_limit_and_deadlines_can_count_it(client, city):
    admin = f.auth(client, "admin")

    # when an administrator adds the phase a designer's new step needs
    added = client.post("/api/v1/admin/phases", json=LEGAL_REVIEW, headers=admin)

    # then it is listed for designers, has its limit, and the time-limit table takes rows of it
    assert added.status_code == 201, added.json
    listed = client.get("/api/v1/admin/phases", headers=f.auth(client, "designer")).json
    assert {"code": "legal_review", "name_zh": "法制审核", "name_en": "Legal review",
            "builtin": False} in listed
    start = datetime(2026, 12, 1, 2)
    assert limits.deadline_for("legal_review", start) == calendar.add(start, 3, "working_days")
    specific = client.put("/api/v1/admin/time-limits", headers=admin, json={"limits": [
        {"phase": "legal_review", "klass": "enforcement", "amount": 5, "unit": "working_days"}]})
    assert specific.status_code == 200, specific.json
    assert client.post("/api/v1/admin/time-limits/reapply", json={"phase": "legal_review"},
                       headers=admin).status_code == 200
    # and the change is audited
    audited = select(AdminChange.entity_key).where(AdminChange.entity == "phase")
    assert db.session.scalar(audited) == "legal_review"


def test_a_phase_is_refused_per_field_and_nothing_is_written(client, city):
    admin = f.auth(client, "admin")
    bad = client.post("/api/v1/admin/phases", headers=admin, json={
        "code": "Legal Review!", "name_zh": "", "name_en": "Legal review",
        "limit": {"amount": -1, "unit": "weeks"}})
    assert bad.status_code == 422
    assert set(bad.json["errors"]) == {"code", "name_zh", "limit.amount", "limit.unit"}
    taken = client.post("/api/v1/admin/phases", headers=admin, json={**LEGAL_REVIEW, "code": "handling"})
    assert taken.status_code == 422 and "exists already" in taken.json["errors"]["code"][0]
    assert client.post("/api/v1/admin/phases", json=LEGAL_REVIEW,
                       headers=f.auth(client, "designer")).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Phase)) == 0
    assert db.session.scalar(select(func.count()).select_from(TimeLimit).where(
        TimeLimit.phase.not_in(limits.BUILTIN_PHASES))) == 0
    # a time limit for a phase that does not exist is still refused
    unknown = client.put("/api/v1/admin/time-limits", headers=admin, json={"limits": [
        {"phase": "legal_review", "amount": 5, "unit": "working_days"}]})
    assert unknown.status_code == 422 and "limits.0.phase" in unknown.json["errors"]


def test_a_new_role_is_accepted_for_memberships_and_sees_cases_by_its_scope(client, city):
    admin = f.auth(client, "admin")
    f.deploy("simple_complaint.bpmn")
    county_case = f.case("县里的案子", unit_row=city["county_office"], territory_code="210921")
    city_case = f.case("市里的案子", unit_row=city["centre"], territory_code="210900")

    # given two roles an administrator added: one seeing its unit's cases, one its territory's
    for code, scope in (("legal_officer", "unit"), ("county_inspector", "territory")):
        added = client.post("/api/v1/admin/roles", headers=admin, json={
            "code": code, "name_zh": code, "name_en": code.replace("_", " ").title(), "scope": scope})
        assert added.status_code == 201, added.json

    # when users get them through the membership admin
    for username, role in (("falv", "legal_officer"), ("chacha", "county_inspector")):
        created = client.post("/api/v1/admin/users", headers=admin, json={
            "username": username, "display_name": username,
            "memberships": [{"unit_code": "210921-OFFICE", "role": role}]})
        assert created.status_code == 201, created.json

    # then each sees what its scope says
    legal, inspector = (db.session.scalar(select(User).where(User.username == u)) for u in ("falv", "chacha"))
    assert may_see(legal, county_case.id) and not may_see(legal, city_case.id)
    assert may_see(inspector, county_case.id) and not may_see(inspector, city_case.id)
    # and a role nobody added is still refused
    refused = client.post("/api/v1/admin/users", headers=admin, json={
        "username": "xiaoli", "display_name": "x",
        "memberships": [{"unit_code": "210921-OFFICE", "role": "janitor"}]})
    assert refused.status_code == 422 and "legal_officer" in refused.json["errors"]["memberships"][0]


def test_a_user_holding_only_an_added_role_works_the_tasks_offered_to_it(client, city):
    # given a role an administrator added and a process whose task is offered to it
    roles.add_role({"code": "legal_officer", "name_zh": "法制员", "name_en": "Legal officer",
                    "scope": "unit"})
    db.session.commit()
    xml = (BPMN / "simple_complaint.bpmn").read_text("utf-8").replace(
        'camunda:candidateGroups="handler"', 'camunda:candidateGroups="legal_officer"')
    f.deploy("legal.bpmn", xml.encode())
    f.user("falv", (city["county_office"], "legal_officer"))
    case = f.case("执法案件", unit_row=city["county_office"], territory_code="210921")
    headers = f.auth(client, "falv")

    # when the holder of the new role opens the inbox and completes the task
    inbox = client.get("/api/v1/tasks", headers=headers)
    assert inbox.status_code == 200, inbox.json
    [task] = [t for t in inbox.json if t["case_number"] == case.number]
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}}, headers=headers)

    # then the case moves on, and the role grants nothing beyond working its tasks
    assert done.status_code == 200, done.json
    assert client.get("/api/v1/admin/phases", headers=headers).status_code == 403


def test_a_built_in_role_keeps_its_scope_and_bad_roles_are_refused(client, city):
    admin = f.auth(client, "admin")
    changed = client.put("/api/v1/admin/roles/handler", headers=admin,
                         json={"name_zh": "承办员", "name_en": "Handler", "scope": "territory"})
    assert changed.status_code == 422 and "scope" in changed.json["errors"]
    bad = client.post("/api/v1/admin/roles", headers=admin,
                      json={"code": "x", "name_zh": "x", "name_en": "x", "scope": "city"})
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"code", "scope"}
    assert db.session.scalar(select(func.count()).select_from(Role)) == 0


def test_the_admin_page_adds_a_phase_and_pages_show_its_stored_name_by_language(client, city):
    signed_in(client, "admin")
    saved = client.post("/admin/phases", data={
        "csrf_token": csrf_token(client, "/admin/phases-roles"), "code": "legal_review",
        "name_zh": "法制审核", "name_en": "Legal review", "amount": "3", "unit": "working_days"})
    assert saved.status_code == 302
    chinese = client.get("/admin/time-limits").get_data(as_text=True)
    assert "法制审核" in chinese
    english = client.get("/admin/time-limits", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Legal review" in english
    refused = client.post("/admin/roles", data={
        "csrf_token": csrf_token(client, "/admin/phases-roles"), "code": "<b>", "name_zh": "",
        "name_en": "x", "scope": "unit"})
    assert refused.status_code == 422
    assert "&lt;b&gt;" in refused.get_data(as_text=True) and "<b>" not in refused.get_data(as_text=True)
