"""Administration API: administrators only; create and list the organisation and its users;
imports are all or nothing over HTTP too."""
import csv
import io

import pytest
from sqlalchemy import func, select

from app.accounts.models import Membership, User
from app.extensions import db
from app.organisation.models import Territory
from tests import factories as f

ENDPOINTS = ["territories", "units", "categories", "routing-rules", "users"]


def csv_file(rows: list[list]) -> tuple[io.BytesIO, str]:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return io.BytesIO(buffer.getvalue().encode("utf-8-sig")), "import.csv"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def centre(app):
    city = f.territory("210900", "city", name="阜新市")
    centre = f.unit("210900-CENTER", "city", territory=city, kind="centre")
    f.user("admin", (centre, "administrator"))
    f.user("registrar", (centre, "registrar"), (centre, "process_designer"))
    return centre


@pytest.fixture
def admin(client, centre):
    return f.auth(client, "admin")


@pytest.mark.parametrize("endpoint", [*ENDPOINTS, "import/users"])
def test_admin_endpoints_answer_401_without_a_token(client, centre, endpoint):
    # given no bearer token (or a bad one)
    # when an admin endpoint is called, then it answers 401 and asks for a bearer token
    methods = ("post",) if endpoint.startswith("import") else ("get", "post")
    for method in methods:
        response = getattr(client, method)(f"/api/v1/admin/{endpoint}", json={})
        assert response.status_code == 401, (method, response.json)
        assert response.headers["WWW-Authenticate"] == "Bearer"
    bad = client.get("/api/v1/admin/users", headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401


@pytest.mark.parametrize("endpoint", [*ENDPOINTS, "import/users"])
def test_admin_endpoints_answer_403_to_users_who_are_not_administrators(client, centre, endpoint):
    # given a registrar who is also a process designer, but no administrator
    headers = f.auth(client, "registrar")

    # when they call an admin endpoint, then it answers 403 and nothing changes
    before = count(User)
    post = client.post(f"/api/v1/admin/{endpoint}", json={"username": "x", "code": "x"}, headers=headers)
    assert post.status_code == 403 and post.json["code"] == "forbidden"
    if not endpoint.startswith("import"):
        assert client.get(f"/api/v1/admin/{endpoint}", headers=headers).status_code == 403
    assert count(User) == before


def test_administrator_builds_the_organisation_and_lists_it(client, admin):
    # when an administrator creates a county, a unit there, a category and two routing rules
    county = client.post("/api/v1/admin/territories", headers=admin, json={
        "code": "210902", "name": "海州区", "level": "county", "parent_code": "210900"})
    unit = client.post("/api/v1/admin/units", headers=admin, json={
        "code": "210902-CENTER", "name": "海州区诉求服务中心", "level": "county", "kind": "centre",
        "territory_code": "210902"})
    category = client.post("/api/v1/admin/categories", headers=admin, json={
        "code": "wages", "name": "拖欠工资", "class": "enforcement"})
    any_rule = client.post("/api/v1/admin/routing-rules", headers=admin, json={
        "territory_code": "210902", "level": "county", "unit_code": "210902-CENTER"})
    wages_rule = client.post("/api/v1/admin/routing-rules", headers=admin, json={
        "territory_code": "210902", "level": "county", "category_code": "wages",
        "unit_code": "210902-CENTER"})

    # then each is created (201) with its derived fields
    assert [r.status_code for r in (county, unit, category, any_rule, wages_rule)] == [201] * 5
    assert county.json["path"] == "/210900/210902/" and county.json["parent_code"] == "210900"
    assert unit.json["territory_code"] == "210902" and unit.json["kind"] == "centre"
    assert category.json["class"] == "enforcement"
    assert any_rule.json["category_code"] is None and wages_rule.json["category_code"] == "wages"

    # and the lists show them
    territories = client.get("/api/v1/admin/territories", headers=admin).json
    assert [t["code"] for t in territories] == ["210900", "210902"]
    children = client.get("/api/v1/admin/territories?parent_code=210900", headers=admin).json
    assert [t["code"] for t in children] == ["210902"]
    units = client.get("/api/v1/admin/units?territory_code=210902", headers=admin).json
    assert [u["code"] for u in units] == ["210902-CENTER"]
    assert [c["code"] for c in client.get("/api/v1/admin/categories", headers=admin).json] == ["wages"]
    rules = client.get("/api/v1/admin/routing-rules", headers=admin).json
    assert [(r["territory_code"], r["category_code"], r["unit_code"]) for r in rules] == [
        ("210902", None, "210902-CENTER"), ("210902", "wages", "210902-CENTER")]


def test_created_user_gets_a_generated_password_that_logs_in_and_no_hash_is_ever_returned(client, admin):
    # when an administrator creates a user without a password
    created = client.post("/api/v1/admin/users", headers=admin, json={
        "username": "wangfang", "display_name": "王芳",
        "memberships": [{"unit_code": "210900-CENTER", "role": "registrar"}]})

    # then the answer carries a generated password once, and it logs in
    assert created.status_code == 201, created.json
    assert created.headers["Cache-Control"] == "no-store"
    password = created.json["generated_password"]
    assert len(password) == 16
    token = client.post("/api/v1/auth/token", json={"username": "wangfang", "password": password})
    assert token.status_code == 201 and token.json["roles"] == ["registrar"]

    # and neither the answer nor the list shows a password hash
    listed = client.get("/api/v1/admin/users", headers=admin)
    assert listed.status_code == 200
    wang = next(u for u in listed.json if u["username"] == "wangfang")
    assert wang["memberships"] == [{"unit_code": "210900-CENTER", "role": "registrar"}]
    for body in (created.get_data(as_text=True), listed.get_data(as_text=True)):
        assert "password_hash" not in body and "$argon2" not in body
    assert "generated_password" not in wang


def test_typed_password_is_kept_and_filters_narrow_the_user_list(client, admin):
    # when an administrator creates a user with a typed password
    created = client.post("/api/v1/admin/users", headers=admin, json={
        "username": "li.qiang", "display_name": "李强", "password": "a-good-password",
        "memberships": [{"unit_code": "210900-CENTER", "role": "dispatcher"}]})

    # then no password is generated and the typed one logs in
    assert created.status_code == 201 and created.json["generated_password"] is None
    token = client.post("/api/v1/auth/token", json={"username": "li.qiang", "password": "a-good-password"})
    assert token.status_code == 201
    # and the list can be narrowed to one unit's members
    members = client.get("/api/v1/admin/users?unit_code=210900-CENTER&limit=2", headers=admin).json
    assert [u["username"] for u in members] == ["admin", "li.qiang"]


def test_invalid_fields_answer_422_and_duplicates_answer_409(client, admin):
    # when fields are invalid, then 422 names every bad field
    bad_user = client.post("/api/v1/admin/users", headers=admin, json={
        "username": "a b", "display_name": "", "password": "short",
        "memberships": [{"unit_code": "NOPE", "role": "janitor"}]})
    assert bad_user.status_code == 422
    assert set(bad_user.json["errors"]) == {"username", "display_name", "password", "memberships"}
    bad_unit = client.post("/api/v1/admin/units", headers=admin, json={
        "code": "X", "name": "X", "level": "planet", "territory_code": "NOPE"})
    assert bad_unit.status_code == 422 and set(bad_unit.json["errors"]) == {"level", "territory_code"}
    deep = client.post("/api/v1/admin/territories", headers=admin, json={
        "code": "C1", "name": "C", "level": "city", "parent_code": "210900"})
    assert deep.status_code == 422 and "cannot sit under" in deep.json["errors"]["level"][0]
    missing = client.post("/api/v1/admin/categories", headers=admin, json={"code": "x"})
    assert missing.status_code == 422 and "name" in missing.json["errors"]

    # and when the code or username exists already (in any case), then 409
    again = client.post("/api/v1/admin/territories", headers=admin, json={
        "code": "210900", "name": "again", "level": "city"})
    assert again.status_code == 409 and again.json["code"] == "duplicate"
    assert again.json["errors"] == {"code": ["territory 210900 exists already"]}
    same_user = client.post("/api/v1/admin/users", headers=admin, json={
        "username": "ADMIN", "display_name": "Another admin"})
    assert same_user.status_code == 409 and "username" in same_user.json["errors"]
    rule = {"territory_code": "210900", "level": "city", "unit_code": "210900-CENTER"}
    assert client.post("/api/v1/admin/routing-rules", headers=admin, json=rule).status_code == 201
    assert client.post("/api/v1/admin/routing-rules", headers=admin, json=rule).status_code == 409
    assert count(Territory) == 1 and count(User) == 2


def test_administrator_updates_a_user_and_deactivation_stops_logins(client, admin, centre):
    # given a user with one membership
    f.user("handler", (centre, "handler"))

    # when the administrator replaces the memberships and deactivates the account
    changed = client.patch("/api/v1/admin/users/handler", headers=admin, json={
        "active": False, "memberships": [{"unit_code": "210900-CENTER", "role": "dispatcher"},
                                         {"unit_code": "210900-CENTER", "role": "handler"}]})

    # then the user has the new memberships and can no longer log in
    assert changed.status_code == 200, changed.json
    assert changed.json["active"] is False
    assert [m["role"] for m in changed.json["memberships"]] == ["dispatcher", "handler"]
    assert client.post("/api/v1/auth/token", json={"username": "handler", "password": f.PASSWORD}
                       ).status_code == 401
    assert client.patch("/api/v1/admin/users/nobody", headers=admin, json={"active": True}
                        ).status_code == 404


def test_import_with_bad_rows_answers_422_with_every_bad_row_and_changes_nothing(client, admin):
    # given a users file with an unknown unit on row 3 and an unknown role on row 4
    upload = csv_file([["username", "display_name", "unit_code", "roles"],
                       ["zhang", "张三", "210900-CENTER", "handler"],
                       ["li", "李四", "ABC", "handler"],
                       ["wang", "王五", "210900-CENTER", "janitor"]])
    before = count(User), count(Membership)

    # when it is uploaded
    response = client.post("/api/v1/admin/import/users", headers=admin, data={"file": upload},
                           content_type="multipart/form-data")

    # then 422 lists the rows in the app's error format and nothing was written
    assert response.status_code == 422
    assert response.json["code"] == "import_refused"
    assert "nothing was imported" in response.json["message"]
    errors = response.json["errors"]
    assert set(errors) == {"row 3", "row 4"}
    assert errors["row 3"] == ["username: must be 3–80 letters, digits, '.', '_' or '-'",
                               "unit_code: no unit ABC"]
    assert errors["row 4"][0].startswith("roles: unknown role janitor")
    assert (count(User), count(Membership)) == before


def test_import_of_a_valid_file_answers_200_with_the_count_and_generated_passwords(client, admin):
    # given a territories file and then a users file
    territories = csv_file([["code", "name", "level", "parent_code"],
                            ["210902", "海州区", "county", "210900"]])
    users = csv_file([["username", "display_name", "unit_code", "roles"],
                      ["zhang", "张三", "210900-CENTER", "handler;dispatcher"]])

    # when both are uploaded
    first = client.post("/api/v1/admin/import/territories", headers=admin, data={"file": territories})
    second = client.post("/api/v1/admin/import/users", headers=admin, data={"file": users})

    # then both are imported and the generated password is handed back once
    assert first.status_code == 200 and first.json == {"imported": 1, "generated_passwords": []}
    assert second.status_code == 200 and second.json["imported"] == 1
    assert second.headers["Cache-Control"] == "no-store"
    [generated] = second.json["generated_passwords"]
    login = client.post("/api/v1/auth/token", json=generated)
    assert login.status_code == 201 and login.json["roles"] == ["dispatcher", "handler"]


def test_import_refuses_garbage_unknown_kinds_and_missing_files(client, admin):
    # when a binary file is uploaded, then one file-level error explains it
    garbage = client.post("/api/v1/admin/import/units", headers=admin,
                          data={"file": (io.BytesIO(bytes(range(256))), "units.xls")})
    assert garbage.status_code == 422 and list(garbage.json["errors"]) == ["file"]
    assert "neither a CSV file" in garbage.json["message"]
    # and unknown kinds are 404, a missing file 422
    assert client.post("/api/v1/admin/import/planets", headers=admin,
                       data={"file": csv_file([["a"]])}).status_code == 404
    assert client.post("/api/v1/admin/import/users", headers=admin, data={}).status_code == 422


def test_administrator_renames_and_reassigns_with_patch(client, admin, centre):
    # given a category, a second unit and a rule handled by the centre
    client.post("/api/v1/admin/categories", headers=admin, json={"code": "lamps", "name": "路灯"})
    client.post("/api/v1/admin/units", headers=admin, json={"code": "HR", "name": "人社局", "level": "city",
                                                           "kind": "department"})
    rule = client.post("/api/v1/admin/routing-rules", headers=admin, json={
        "territory_code": "210900", "level": "city", "category_code": "lamps",
        "unit_code": "210900-CENTER"}).json

    # when each is changed with PATCH
    territory = client.patch("/api/v1/admin/territories/210900", headers=admin, json={"name": "阜新"})
    unit = client.patch("/api/v1/admin/units/HR", headers=admin, json={"territory_code": "210900"})
    category = client.patch("/api/v1/admin/categories/lamps", headers=admin, json={"class": "development"})
    moved = client.patch(f"/api/v1/admin/routing-rules/{rule['id']}", headers=admin, json={"unit_code": "HR"})

    # then the answers show the changes; invalid changes are 422, unknown records 404
    assert (territory.status_code, territory.json["name"]) == (200, "阜新")
    assert (unit.status_code, unit.json["territory_code"]) == (200, "210900")
    assert (category.status_code, category.json["class"]) == (200, "development")
    assert (moved.status_code, moved.json["unit_code"], moved.json["category_code"]) == (200, "HR", "lamps")
    assert client.patch("/api/v1/admin/territories/210900", headers=admin, json={"level": "village"}
                        ).status_code == 200  # no children and no parent: any level fits
    assert client.patch("/api/v1/admin/units/HR", headers=admin, json={"kind": "shop"}).status_code == 422
    assert client.patch("/api/v1/admin/units/NOPE", headers=admin, json={"name": "x"}).status_code == 404


def test_import_files_over_the_size_limit_answer_413(client, admin, monkeypatch):
    # given an upload limit of 100 bytes
    monkeypatch.setattr("app.api.admin.MAX_FILE_BYTES", 100)

    # when a larger file is uploaded, then 413 and nothing is imported
    rows = [["username", "display_name", "unit_code", "roles"]] + [
        [f"user{i}", "U", "210900-CENTER", "handler"] for i in range(10)]
    response = client.post("/api/v1/admin/import/users", headers=admin, data={"file": csv_file(rows)})
    assert response.status_code == 413 and response.json["code"] == "too_large"
    assert count(User) == 2


def test_openapi_document_describes_the_admin_endpoints(client, app):
    # when the OpenAPI document is fetched, then it lists the admin paths
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    assert {"/api/v1/admin/users", "/api/v1/admin/import/{kind}"} <= set(spec.json["paths"])
