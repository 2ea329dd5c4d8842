"""Bulk imports from CSV / XLSX: all or nothing, every bad row reported with its spreadsheet row
number, 1,000 users in seconds, Chinese encodings and headers, garbage refused with one error."""
import csv
import io
import time
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select

from app.accounts import importing
from app.accounts.importing import RowError
from app.accounts.models import Membership, User
from app.accounts.security import authenticate
from app.extensions import db
from app.organisation.models import Category, RoutingRule, Territory, Unit
from tests import factories as f

HEADER = ["username", "display_name", "password", "unit_code", "roles", "active"]
TYPED_PASSWORD = "typed-password-1"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def csv_bytes(rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


ENCODERS = {"csv": csv_bytes, "xlsx": xlsx_bytes}


def thousand_users() -> list[list]:
    """A header and 1,000 valid users over two units; rows 2-4 type a password, the rest leave
    it empty (generated). Data row i is spreadsheet row i + 1."""
    rows = [HEADER]
    for i in range(1, 1001):
        password = TYPED_PASSWORD if i <= 3 else ""
        unit_code = "210902001001" if i % 2 else "210902001"
        roles = "handler;unit_reviewer" if i % 10 == 0 else "handler"
        rows.append([f"user{i:04d}", f"承办人 {i}", password, unit_code, roles, ""])
    return rows


def break_three_rows(rows: list[list]) -> None:
    """Spreadsheet row 101: unknown unit; row 502: unknown role; row 900 repeats row 11's username."""
    rows[100][3] = "NO-SUCH-UNIT"
    rows[501][4] = "handler,janitor"
    rows[899][0] = rows[10][0]


@pytest.fixture
def units(app):
    city = f.territory("210900", "city")
    return [f.unit("210902001", "township", territory=city), f.unit("210902001001", "village")]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_three_bad_rows_in_a_thousand_import_nothing_and_are_each_reported(units, fmt):
    # given 1,000 user rows of which exactly three are wrong
    rows = thousand_users()
    break_three_rows(rows)
    before = count(User), count(Membership)

    # when the file is imported
    report = importing.import_users(ENCODERS[fmt](rows))

    # then nothing is written and exactly those three rows are reported, with their fields
    assert report.imported == 0 and report.generated_passwords == {}
    assert (count(User), count(Membership)) == before
    assert [(e.row_number, e.field) for e in report.errors] == [
        (101, "unit_code"), (502, "roles"), (900, "username")]
    assert "NO-SUCH-UNIT" in report.errors[0].message
    assert "janitor" in report.errors[1].message
    assert "row 11" in report.errors[2].message


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_thousand_valid_users_import_in_seconds_with_memberships_and_usable_passwords(units, fmt):
    # given 1,000 valid user rows, three with typed passwords and the rest without
    data = ENCODERS[fmt](thousand_users())

    # when the file is imported
    started = time.perf_counter()
    report = importing.import_users(data)
    elapsed = time.perf_counter() - started
    print(f"\n1,000 users from {fmt} on {db.engine.dialect.name}: {elapsed:.2f} s")

    # then every user exists with the memberships of its row, quickly
    assert report.errors == [] and report.imported == 1000
    assert elapsed < 10
    assert count(User) == 1000
    assert count(Membership) == 1000 + 100  # every tenth user is also a unit reviewer
    user10 = db.session.scalar(select(User).where(User.username == "user0010"))
    assert user10.display_name == "承办人 10" and user10.active
    assert {(m.unit.code, m.role) for m in user10.memberships} == {
        ("210902001", "handler"), ("210902001", "unit_reviewer")}

    # and generated passwords are reported for the users without one, and they log in
    assert len(report.generated_passwords) == 997
    assert "user0001" not in report.generated_passwords
    assert authenticate("user0500", report.generated_passwords["user0500"]).username == "user0500"
    assert authenticate("user0500", "wrong password") is None
    # and a typed password logs in too
    assert authenticate("user0002", TYPED_PASSWORD).username == "user0002"


def test_gb18030_csv_with_chinese_headers_imports(units):
    # given a CSV saved by Chinese Excel: GB18030, Chinese column names and role names, no BOM
    rows = [["用户名", "姓名", "密码", "单位编码", "角色", "启用"],
            ["wangfang", "王芳", "", "210902001", "承办人；审核员", "是"],
            ["lixiang", "李想", "", "210902001001", "handler", "否"]]
    data = csv_bytes(rows, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")

    # when it is imported
    report = importing.import_users(data)

    # then the names survive and the Chinese values are understood
    assert report.errors == [] and report.imported == 2
    wang = db.session.scalar(select(User).where(User.username == "wangfang"))
    assert wang.display_name == "王芳" and wang.active
    assert wang.roles == {"handler", "unit_reviewer"}
    assert db.session.scalar(select(User.active).where(User.username == "lixiang")) is False


@pytest.mark.parametrize("data, expected", [
    (bytes(range(256)) * 40, "neither a CSV file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old Excel .xls"),
    (b"PK\x03\x04 not really a zip", "neither a CSV file"),
    (b"", "empty"),
], ids=["random-bytes", "xls", "broken-zip", "empty"])
def test_a_file_that_is_no_table_gets_one_clear_error(app, data, expected):
    # given a file that is neither CSV nor XLSX
    # when it is imported
    report = importing.import_users(data)

    # then there is exactly one error, about the whole file
    assert report.imported == 0
    assert len(report.errors) == 1
    assert report.errors[0].row_number is None and report.errors[0].field == "file"
    assert expected in report.errors[0].message


def test_a_zip_that_is_not_a_workbook_is_refused(app):
    # given a valid zip without a workbook inside
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")

    # when it is imported, then one error says it is no workbook
    report = importing.import_users(buffer.getvalue())
    assert [(e.row_number, e.field) for e in report.errors] == [(None, "file")]
    assert "XLSX" in report.errors[0].message


def test_a_header_without_required_columns_is_reported_on_row_one(units):
    # given a CSV whose header lacks unit_code and roles
    data = csv_bytes([["username", "display_name"], ["wang", "Wang"]])

    # when it is imported, then row 1 names both missing columns and nothing is written
    report = importing.import_users(data)
    assert {(e.row_number, e.field) for e in report.errors if e.field != "header"} == {
        (1, "unit_code"), (1, "roles")}
    assert count(User) == 0


def test_every_problem_of_every_row_is_reported(units):
    # given rows with several problems each, one clashing with an existing user regardless of case
    f.user("existing", (units[0], "handler"))
    rows = [HEADER,
            ["ab", "", "short", "210902001", "handler", ""],
            ["Existing", "E", "", "210902001", "", "maybe"],
            ["ok.user", "OK", "", "210902001", "handler", ""]]

    # when imported
    report = importing.import_users(csv_bytes(rows))

    # then each problem is listed under its row and field, and nothing is written
    assert [(e.row_number, e.field) for e in report.errors] == [
        (2, "username"), (2, "display_name"), (2, "password"),
        (3, "roles"), (3, "active"), (3, "username")]
    assert "exists already" in report.errors[-1].message
    assert count(User) == 1


def test_blank_rows_are_skipped_but_row_numbers_stay_those_of_the_sheet(units):
    # given an XLSX with blank rows between users and a bad unit on sheet row 5
    rows = [HEADER, ["wang", "Wang", "", "210902001", "handler", ""], [], [],
            ["lili", "Li", "", "NOPE", "handler", ""]]

    # when imported, then the error is on row 5 as Excel shows it
    report = importing.import_users(xlsx_bytes(rows))
    assert [(e.row_number, e.field) for e in report.errors] == [(5, "unit_code")]


def test_files_over_the_size_or_row_limits_are_refused(units, monkeypatch):
    # given limits of 2 data rows and 200 bytes
    monkeypatch.setattr(importing, "MAX_ROWS", 2)
    rows = [HEADER] + [[f"user{i}", "U", "", "210902001", "handler", ""] for i in range(3)]

    # when files over them are imported, then each gets one error about the file
    too_many = importing.import_users(csv_bytes(rows))
    assert [e.field for e in too_many.errors] == ["file"] and "more than 2" in too_many.errors[0].message
    monkeypatch.setattr(importing, "MAX_FILE_BYTES", 200)
    too_big = importing.import_users(csv_bytes(rows * 5))
    assert [e.field for e in too_big.errors] == ["file"] and "larger than" in too_big.errors[0].message
    assert count(User) == 0


def test_territories_import_with_parents_earlier_in_the_file_and_computed_paths(app):
    # given a city in the database and a file of its subtree, parents before children
    f.territory("210900", "city")
    rows = [["code", "name", "level", "parent_code"],
            ["210902", "海州区", "county", "210900"],
            ["210902001", "和平街道", "township", "210902"],
            ["210902001001", "新兴社区", "village", "210902001"]]

    # when imported
    report = importing.import_territories(xlsx_bytes(rows))

    # then the tree and its materialised paths are written
    assert report.errors == [] and report.imported == 3
    village = db.session.scalar(select(Territory).where(Territory.code == "210902001001"))
    assert village.path == "/210900/210902/210902001/210902001001/"
    township = db.session.scalar(select(Territory).where(Territory.code == "210902001"))
    assert village.parent_id == township.id


def test_territory_rows_with_late_parents_wrong_levels_or_unknown_parents_are_refused(app):
    # given a file with a child before its parent, a county under a township, an unknown parent
    rows = [["code", "name", "level", "parent_code"],
            ["T1", "Township", "township", "C1"],
            ["C1", "County", "county", ""],
            ["C2", "County 2", "county", "C1"],
            ["X", "Lost", "village", "NOWHERE"],
            ["C1", "Again", "county", ""]]

    # when imported
    report = importing.import_territories(csv_bytes(rows))

    # then each row is reported and nothing is written
    assert [(e.row_number, e.field) for e in report.errors] == [
        (2, "parent_code"), (4, "level"), (5, "parent_code"), (6, "code")]
    assert "row 3" in report.errors[0].message
    assert count(Territory) == 0


def test_units_categories_and_routing_rules_import(app):
    # given a territory, then files of units, categories and routing rules referring to it
    f.territory("210900", "city")
    units = csv_bytes([["code", "name", "level", "kind", "territory_code"],
                       ["210900-CENTER", "中心", "city", "centre", "210900"],
                       ["210900-HR", "人社局", "city", "department", ""]])
    categories = csv_bytes([["code", "name", "class"], ["wages", "拖欠工资", "enforcement"],
                            ["lamps", "路灯", ""]])
    routing = csv_bytes([["territory_code", "level", "category_code", "unit_code"],
                         ["210900", "city", "", "210900-CENTER"],
                         ["210900", "city", "wages", "210900-HR"]])

    # when imported in order
    reports = [importing.import_units(units), importing.import_categories(categories),
               importing.import_routing_rules(routing)]

    # then everything is written
    assert [(r.imported, r.errors) for r in reports] == [(2, []), (2, []), (2, [])]
    assert db.session.scalar(select(Unit.kind).where(Unit.code == "210900-CENTER")) == "centre"
    assert db.session.scalar(select(Category.klass).where(Category.code == "lamps")) == "livelihood"
    assert count(RoutingRule) == 2

    # and importing the any-category rule again is refused, as is an unknown unit or category
    again = importing.import_routing_rules(csv_bytes([
        ["territory_code", "level", "category_code", "unit_code"],
        ["210900", "city", "", "210900-HR"],
        ["210900", "township", "nothing", "NOPE"]]))
    assert [(e.row_number, e.field) for e in again.errors] == [
        (2, "category_code"), (3, "category_code"), (3, "unit_code")]
    assert count(RoutingRule) == 2


def test_unit_rows_with_unknown_territory_or_bad_level_are_refused(app):
    # given a unit file with an unknown territory and an invalid level and kind
    data = csv_bytes([["code", "name", "level", "kind", "territory_code"],
                      ["U1", "Unit", "planet", "shop", "NOPE"]])

    # when imported, then all three problems of row 2 are listed
    report = importing.import_units(data)
    assert report.errors == [
        RowError(2, "level", report.errors[0].message), RowError(2, "kind", report.errors[1].message),
        RowError(2, "territory_code", "no territory NOPE")]
    assert count(Unit) == 0


def test_a_user_created_by_someone_else_during_the_import_rolls_everything_back(units, monkeypatch):
    # given an import whose check for existing usernames ran before a concurrent insert of "zhang"
    f.user("zhang", (units[0], "handler"))
    monkeypatch.setattr(importing, "_existing_usernames", lambda usernames: set())
    rows = [HEADER, ["wang", "Wang", "", "210902001", "handler", ""],
            ["zhang", "Zhang", "", "210902001", "handler", ""]]

    # when the rows are written, then the unique constraint refuses and nothing is kept
    report = importing.import_users(csv_bytes(rows))
    assert report.imported == 0 and report.generated_passwords == {}
    assert [(e.row_number, e.field) for e in report.errors] == [(None, "file")]
    assert "import the file again" in report.errors[0].message
    assert count(User) == 1


def test_too_many_typed_passwords_are_refused_before_any_hashing(units, monkeypatch):
    # given a limit of 2 typed passwords and a file typing 3
    monkeypatch.setattr(importing, "MAX_TYPED_PASSWORDS", 2)

    # when imported, then one error about the whole file explains what to do, and nothing is written
    report = importing.import_users(csv_bytes(thousand_users()[:6]))
    assert [(e.row_number, e.field) for e in report.errors] == [(None, "password")]
    assert "leave the password column empty" in report.errors[0].message
    assert count(User) == 0
