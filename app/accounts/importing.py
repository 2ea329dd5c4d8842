"""Bulk import of users, territories, units, categories and routing rules from CSV or XLSX.

Files
-----
* CSV: UTF-8 with or without BOM, or GB18030 (what Chinese Excel saves) when UTF-8 fails;
  the delimiter is the one of `,` `;` tab that the header row uses most.
* XLSX: the first sheet. The old binary .xls is refused with a hint to save as .xlsx or CSV.
* The first non-blank row is the header (matched case-insensitively; Chinese aliases accepted,
  see `COLUMNS`); wholly blank rows are skipped; unknown columns are ignored.
* At most MAX_FILE_BYTES and MAX_ROWS data rows.

All or nothing
--------------
Every row is validated (field rules shared with app/organisation/admin.py, plus uniqueness within
the file and against the database) before anything is written. If any row is wrong nothing is
written and the `ImportReport` lists every problem (up to MAX_REPORTED_ERRORS) with the row number
the spreadsheet shows (header = row 1; `row_number` None = the file as a whole). Otherwise all rows
are written with bulk inserts in one transaction, together with one audit entry for the import
(app/audit: who, the kind, how many rows, the file's size and SHA-256 — not one entry per row;
keep the file, its hash shows which one it was). Import functions are top-level operations: they
commit (or roll back) the session; `actor` is the administrator (None: the system).

Users
-----
One row per user: `unit_code` and `roles` (separated by `,` `;` `、` or spaces) give the user those
roles in that one unit. Further memberships in other units are added afterwards through
PATCH /api/v1/admin/users/<username>. A repeated username (compared case-insensitively) is an
error on every row after the first. An empty `password` gets a generated one, returned in
`ImportReport.generated_passwords` so the administrator can hand it out.

Password hashing dominates the cost: a password typed into the file is guessable, so it gets the
full argon2 cost of `hash_password` (~0.1 s each on a 2-core server, in a thread pool: argon2-cffi
releases the GIL); a generated one is random (~93 bits) and gets the cheap profile of
`hash_generated_password` (~2 ms). 1,000 users with generated passwords import in 1–2 s; a
file may type at most MAX_TYPED_PASSWORDS passwords, so an import never outlasts an HTTP request.
"""
import csv
import hashlib
import io
import logging
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Membership, User
from app.accounts.roles import role_codes
from app.accounts.security import hash_password
from app.audit import service as audit
from app.engine.transaction import transaction
from app.extensions import db
from app.i18n import N_, Problem
from app.organisation import admin as rules
from app.organisation.models import (
    CLASSES,
    TERRITORY_LEVELS,
    UNIT_KINDS,
    UNIT_LEVELS,
    Category,
    RoutingRule,
    Territory,
    Unit,
)

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 64
MAX_XLSX_UNPACKED_BYTES = 100 * 1024 * 1024  # a 5 MB zip could otherwise unpack to gigabytes
MAX_REPORTED_ERRORS = 1_000
#: Typed passwords get the full argon2 cost (~0.1 s each on 2 cores); more would outlast a request.
MAX_TYPED_PASSWORDS = 200
_CHUNK = 500  # values per IN (...) lookup
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_NOT_A_TABLE = "the file is neither a CSV file (UTF-8 or GB18030 text) nor an XLSX workbook"
_CHANGED_MEANWHILE = ("someone created one of these records while the file was being imported; "
                      "nothing was imported, import the file again")


@dataclass(frozen=True)
class RowError:
    row_number: int | None  # as the spreadsheet shows it (header = 1); None: the whole file
    field: str
    message: str


@dataclass
class ImportReport:
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)
    generated_passwords: dict[str, str] = field(default_factory=dict)  # username -> password

    @property
    def ok(self) -> bool:
        return not self.errors


class _Refused(Exception):
    def __init__(self, message: str, row_number: int | None = None, field: str = "file"):
        super().__init__(message)
        self.error = RowError(row_number, field, message)


# --- columns -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    name: str
    required: bool = True
    aliases: tuple[str, ...] = ()


_USERNAME = Column("username", aliases=("用户名", "账号", "帐号", "登录名", "user"))
_DISPLAY_NAME = Column("display_name", aliases=("姓名", "显示名", "名字", "displayname", "full_name"))
_PASSWORD = Column("password", required=False, aliases=("密码", "初始密码"))
_UNIT_CODE = Column("unit_code", aliases=("单位编码", "单位代码", "unit", "单位"))
_ROLES = Column("roles", aliases=("角色", "role"))
_ACTIVE = Column("active", required=False, aliases=("启用", "是否启用", "状态", "enabled"))
_CODE = Column("code", aliases=("编码", "代码", "区划代码"))
_NAME = Column("name", aliases=("名称",))
_LEVEL = Column("level", aliases=("层级", "级别"))
_PARENT_CODE = Column("parent_code", required=False, aliases=("上级编码", "上级代码", "parent"))
_KIND = Column("kind", required=False, aliases=("类型", "单位类型"))
_TERRITORY_CODE = Column("territory_code", aliases=("区划编码", "区划代码", "territory"))
_CLASS = Column("class", required=False, aliases=("klass", "类别", "分类"))
_CATEGORY_CODE = Column("category_code", required=False, aliases=("事项编码", "分类编码", "category"))

COLUMNS: dict[str, tuple[Column, ...]] = {
    "users": (_USERNAME, _DISPLAY_NAME, _PASSWORD, _UNIT_CODE, _ROLES, _ACTIVE),
    "territories": (_CODE, _NAME, _LEVEL, _PARENT_CODE),
    "units": (_CODE, _NAME, _LEVEL, _KIND, Column("territory_code", required=False,
                                                   aliases=_TERRITORY_CODE.aliases)),
    "categories": (_CODE, _NAME, _CLASS),
    "routing-rules": (_TERRITORY_CODE, _LEVEL, _CATEGORY_CODE,
                      Column("unit_code", aliases=_UNIT_CODE.aliases)),
}

#: Role names are matched case-insensitively; these Chinese names are accepted as well.
ROLE_ALIASES = {"话务员": "registrar", "登记员": "registrar", "交办员": "dispatcher", "派单员": "dispatcher",
                "承办人": "handler", "承办员": "handler", "审核员": "unit_reviewer",
                "平台督办员": "platform_supervisor", "督办员": "platform_supervisor", "领导": "leader",
                "管理员": "administrator", "系统管理员": "administrator",
                "流程设计员": "process_designer", "审计员": "auditor"}
_ROLE_SEPARATORS = re.compile(r"[,;，；、\s]+")
_TRUE = {"1", "true", "yes", "y", "是", "启用", "正常"}
_FALSE = {"0", "false", "no", "n", "否", "停用", "禁用"}


def _normalise(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().lower())


# --- reading the file --------------------------------------------------------------------------

def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise _Refused(_NOT_A_TABLE) from None
    if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text):
        raise _Refused(_NOT_A_TABLE)  # NUL and other control characters: a binary file
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, record in enumerate(reader, start=1):
            yield number, [cell.strip() for cell in record[:MAX_COLUMNS]]
    except csv.Error as exc:
        raise _Refused(f"the CSV file cannot be read: {exc}", reader.line_num) from None


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _Refused(_NOT_A_TABLE) from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise _Refused(f"the workbook unpacks to more than {MAX_XLSX_UNPACKED_BYTES // 2**20} MB")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors for a damaged or foreign zip
        raise _Refused("the file is not a readable XLSX workbook") from None
    try:
        if not workbook.worksheets:
            raise _Refused("the workbook has no sheet")
        sheet = workbook.worksheets[0]
        try:
            for number, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), 1):
                yield number, [_cell_text(value) for value in values]
        except _Refused:
            raise
        except Exception:  # damaged sheet XML
            raise _Refused("the first sheet of the workbook cannot be read") from None
    finally:
        workbook.close()


def _read_table(data: bytes, columns: tuple[Column, ...]) -> list[tuple[int, dict[str, str]]]:
    """The data rows as (row number, {column name: text}); raises _Refused for the whole file."""
    if len(data) > MAX_FILE_BYTES:
        raise _Refused(f"the file is larger than {MAX_FILE_BYTES // 2**20} MB")
    if not data.strip():
        raise _Refused("the file is empty")
    if data.startswith(_OLE2_MAGIC):
        raise _Refused("old Excel .xls files are not supported: save the sheet as .xlsx or CSV")
    rows = _xlsx_rows(data) if data.startswith(b"PK\x03\x04") else _csv_rows(data)
    header, table = None, []
    try:
        for number, cells in rows:
            if not any(cells):
                continue
            if header is None:
                header = _map_header(number, cells, columns)
                continue
            if len(table) >= MAX_ROWS:
                raise _Refused(f"the file has more than {MAX_ROWS} data rows; split it")
            table.append((number, {name: cells[i] if i < len(cells) else "" for i, name in header.items()}))
    finally:
        rows.close()  # closes the workbook at once, also when stopping early
    if header is None:
        raise _Refused("the file is empty")
    return table


def _map_header(number: int, cells: list[str], columns: tuple[Column, ...]) -> dict[int, str]:
    lookup = {}
    for column in columns:
        for alias in (column.name, *column.aliases):
            lookup[_normalise(alias)] = column.name
    header, problems = {}, []
    for index, cell in enumerate(cells):
        name = lookup.get(_normalise(cell))
        if name is None:
            continue
        if name in header.values():
            problems.append(RowError(number, name, "this column appears twice"))
        header[index] = name
    for column in columns:
        if column.required and column.name not in header.values():
            problems.append(RowError(number, column.name, "missing column"))
    if problems:
        expected = ", ".join(c.name if c.required else f"[{c.name}]" for c in columns)
        problems.append(RowError(number, "header", f"the header row must name the columns {expected}"))
        raise _HeaderRefused(problems)
    return header


class _HeaderRefused(Exception):
    def __init__(self, errors: list[RowError]):
        super().__init__("bad header")
        self.errors = errors


# --- the common frame ----------------------------------------------------------------------------

class _Problems(list):
    def add(self, row: int, field: str, message: str | None) -> None:
        if message:
            self.append(RowError(row, field, message))


def _existing(column, values) -> set:
    """Which of `values` exist in `column` (in chunks, to stay under bind-parameter limits)."""
    values, found = sorted(set(values)), set()
    for start in range(0, len(values), _CHUNK):
        found.update(db.session.scalars(select(column).where(column.in_(values[start:start + _CHUNK]))))
    return found


def _ids_by_code(model, codes, *extra) -> dict[str, tuple]:
    codes, found = sorted({c for c in codes if c}), {}
    for start in range(0, len(codes), _CHUNK):
        for row in db.session.execute(select(model.code, model.id, *extra)
                                      .where(model.code.in_(codes[start:start + _CHUNK]))):
            found[row[0]] = tuple(row[1:])
    return found


def _run(kind: str, data: bytes, validate: Callable, write: Callable, actor) -> ImportReport:
    """Read, validate (one short read transaction), then write everything in one transaction,
    with one audit entry for the whole import (its counts and the file's SHA-256)."""
    report = ImportReport()
    try:
        table = _read_table(data, COLUMNS[kind])
    except _Refused as refused:
        report.errors.append(refused.error)
        return report
    except _HeaderRefused as refused:
        report.errors.extend(refused.errors)
        return report
    if not table:
        report.errors.append(RowError(None, "file", "the file has a header but no data rows"))
        return report
    with transaction():
        problems = _Problems()
        plan = validate(table, problems)
    if problems:
        problems.sort(key=lambda e: (e.row_number or 0))
        report.errors = problems[:MAX_REPORTED_ERRORS]
        if len(problems) > MAX_REPORTED_ERRORS:
            report.errors.append(RowError(None, "file", f"… and {len(problems) - MAX_REPORTED_ERRORS} "
                                                        "more problems not listed"))
        return report
    try:
        with transaction():
            report.imported = write(plan, report)
            audit.record(actor, "import", kind, "create", None,
                         {"kind": kind, "imported": report.imported, "file_bytes": len(data),
                          "file_sha256": hashlib.sha256(data).hexdigest()})
    except IntegrityError:
        report.imported, report.generated_passwords = 0, {}
        report.errors.append(RowError(None, "file", _CHANGED_MEANWHILE))
    log.info("import of %s: %d rows imported, %d problems", kind, report.imported, len(report.errors))
    return report


def _duplicates_in_file(table, key: Callable, field_name: str, problems: _Problems, what: str) -> None:
    first_row = {}
    for number, row in table:
        value = key(row)
        if not value:
            continue
        if value in first_row:
            problems.add(number, field_name,
                         f"{what} {row[field_name]} appears already in row {first_row[value]}")
        else:
            first_row[value] = number


# --- users -------------------------------------------------------------------------------------

def _roles(text: str, roles: list[str]) -> tuple[list[str], list[str]]:
    """(known roles without repeats, unknown names)."""
    known, unknown = [], []
    for name in filter(None, _ROLE_SEPARATORS.split(text)):
        role = ROLE_ALIASES.get(name, name.lower())
        if role not in roles:
            unknown.append(name)
        elif role not in known:
            known.append(role)
    return known, unknown


def _active(text: str) -> bool | None:
    lowered = text.lower()
    return True if not lowered or lowered in _TRUE else False if lowered in _FALSE else None


def _validate_users(table, problems: _Problems) -> list[dict]:
    plan, all_roles = [], role_codes()
    for number, row in table:
        problems.add(number, "username", rules.username_problem(row["username"]))
        problems.add(number, "display_name", rules.text_problem(row["display_name"]))
        if row.get("password"):
            problems.add(number, "password", rules.password_problem(row["password"]))
        if not row["unit_code"]:
            problems.add(number, "unit_code", "is required")
        roles, unknown = _roles(row["roles"], all_roles)
        if unknown:
            problems.add(number, "roles",
                         f"unknown role {', '.join(unknown)}; roles are: {', '.join(all_roles)}")
        elif not roles:
            problems.add(number, "roles", "at least one role is required")
        active = _active(row.get("active", ""))
        if active is None:
            problems.add(number, "active", f"{row['active']!r} is neither true nor false")
        plan.append({"row": number, "username": row["username"], "display_name": row["display_name"].strip(),
                     "password": row.get("password", ""), "unit_code": row["unit_code"], "roles": roles,
                     "active": active})
    typed = sum(1 for item in plan if item["password"])
    if typed > MAX_TYPED_PASSWORDS:
        problems.add(None, "password", f"the file sets {typed} passwords, at most {MAX_TYPED_PASSWORDS} "
                     "per import (each takes ~0.1 s to hash safely): leave the password column empty to "
                     "have passwords generated, or split the file")
    _duplicates_in_file(table, lambda row: row["username"].lower(), "username", problems, "username")
    taken = {name.lower() for name in _existing_usernames([p["username"] for p in plan])}
    units = _ids_by_code(Unit, (p["unit_code"] for p in plan))
    for item in plan:
        if item["username"].lower() in taken:
            problems.add(item["row"], "username", Problem(N_("user %(username)s exists already"),
                                                          username=item["username"]))
        if item["unit_code"] and item["unit_code"] not in units:
            problems.add(item["row"], "unit_code", Problem(N_("no unit %(code)s"), code=item["unit_code"]))
        elif item["unit_code"]:
            item["unit_id"] = units[item["unit_code"]][0]
    return plan


def _existing_usernames(usernames: list[str]) -> set[str]:
    lowered, found = sorted({u.lower() for u in usernames if u}), set()
    for start in range(0, len(lowered), _CHUNK):
        found.update(db.session.scalars(
            select(User.username).where(func.lower(User.username).in_(lowered[start:start + _CHUNK]))))
    return found


def _hash_all(plan: list[dict], report: ImportReport) -> list[str]:
    """Hash every password in a thread pool (argon2-cffi releases the GIL while hashing)."""
    jobs = []
    for item in plan:
        if item["password"]:
            jobs.append((hash_password, item["password"]))
        else:
            generated = rules.generate_password()
            report.generated_passwords[item["username"]] = generated
            jobs.append((rules.hash_generated_password, generated))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return list(pool.map(lambda job: job[0](job[1]), jobs))


def _write_users(plan: list[dict], report: ImportReport) -> int:
    hashes = _hash_all(plan, report)
    users = [{"username": item["username"], "display_name": item["display_name"], "password_hash": digest,
              "active": item["active"]} for item, digest in zip(plan, hashes, strict=True)]
    ids = {}
    for start in range(0, len(users), _CHUNK):
        result = db.session.execute(insert(User).returning(User.username, User.id),
                                    users[start:start + _CHUNK])
        ids.update((username, user_id) for username, user_id in result)
    memberships = [{"user_id": ids[item["username"]], "unit_id": item["unit_id"], "role": role}
                   for item in plan for role in item["roles"]]
    if memberships:
        db.session.execute(insert(Membership), memberships)
    return len(users)


def import_users(data: bytes, actor=None) -> ImportReport:
    """Import users with one membership unit each (see the module docstring)."""
    return _run("users", data, _validate_users, _write_users, actor)


# --- territories -------------------------------------------------------------------------------

def _validate_territories(table, problems: _Problems) -> list[dict]:
    plan, in_file = [], {}  # code -> plan item of a valid-looking earlier row
    codes_in_file: dict[str, int] = {}
    for number, row in table:
        codes_in_file.setdefault(row["code"], number)
    mentioned = [row["code"] for _, row in table] + [row.get("parent_code", "") for _, row in table]
    existing = _ids_by_code(Territory, mentioned, Territory.level, Territory.path)
    _duplicates_in_file(table, lambda row: row["code"], "code", problems, "territory")
    for number, row in table:
        code, level, parent_code = row["code"], row["level"], row.get("parent_code", "")
        problems.add(number, "code", rules.code_problem(code, rules.TERRITORY_CODE_MAX))
        problems.add(number, "name", rules.text_problem(row["name"]))
        level_problem = rules.choice_problem(level, TERRITORY_LEVELS)
        problems.add(number, "level", level_problem)
        if code in existing:
            problems.add(number, "code", Problem(N_("territory %(code)s exists already"), code=code))
        parent_level = parent_path = None
        if parent_code in in_file:
            parent_level, parent_path = in_file[parent_code]["level"], in_file[parent_code]["path"]
        elif parent_code in existing:
            _, parent_level, parent_path = existing[parent_code]
        elif parent_code and parent_code in codes_in_file and codes_in_file[parent_code] > number:
            problems.add(number, "parent_code", f"parent {parent_code} must come before this row "
                                                f"(it is in row {codes_in_file[parent_code]})")
        elif parent_code:
            problems.add(number, "parent_code", Problem(N_("no territory %(code)s"), code=parent_code))
        if parent_level and not level_problem:
            problems.add(number, "level", rules.level_order_problem(level, parent_level))
        path = rules.territory_path(parent_path, code)
        if len(path) > rules.PATH_MAX:
            problems.add(number, "code", f"the path would exceed {rules.PATH_MAX} characters")
        item = {"row": number, "code": code, "name": row["name"].strip(), "level": level,
                "parent_code": parent_code or None, "path": path}
        plan.append(item)
        in_file.setdefault(code, item)
    return plan


def _write_territories(plan: list[dict], report: ImportReport) -> int:
    """Insert by depth, so each parent's id is known before its children are inserted."""
    ids = {}
    parents = _ids_by_code(Territory, {item["parent_code"] for item in plan})
    ids.update({code: value[0] for code, value in parents.items()})
    by_depth: dict[int, list[dict]] = {}
    for item in plan:
        by_depth.setdefault(item["path"].count("/"), []).append(item)
    for depth in sorted(by_depth):
        rows = [{"code": i["code"], "name": i["name"], "level": i["level"], "path": i["path"],
                 "parent_id": ids[i["parent_code"]] if i["parent_code"] else None} for i in by_depth[depth]]
        for start in range(0, len(rows), _CHUNK):
            result = db.session.execute(insert(Territory).returning(Territory.code, Territory.id),
                                        rows[start:start + _CHUNK])
            ids.update((code, territory_id) for code, territory_id in result)
    return len(plan)


def import_territories(data: bytes, actor=None) -> ImportReport:
    """Import territories (code, name, level, parent_code); a parent is either in the database or
    in an earlier row of the same file."""
    return _run("territories", data, _validate_territories, _write_territories, actor)


# --- units -------------------------------------------------------------------------------------

def _validate_units(table, problems: _Problems) -> list[dict]:
    existing = _existing(Unit.code, [row["code"] for _, row in table])
    territories = _ids_by_code(Territory, (row.get("territory_code", "") for _, row in table))
    _duplicates_in_file(table, lambda row: row["code"], "code", problems, "unit")
    plan = []
    for number, row in table:
        kind = row.get("kind") or "office"
        territory_code = row.get("territory_code", "")
        problems.add(number, "code", rules.code_problem(row["code"], rules.UNIT_CODE_MAX))
        problems.add(number, "name", rules.text_problem(row["name"]))
        problems.add(number, "level", rules.choice_problem(row["level"], UNIT_LEVELS))
        problems.add(number, "kind", rules.choice_problem(kind, UNIT_KINDS))
        if row["code"] in existing:
            problems.add(number, "code", Problem(N_("unit %(code)s exists already"), code=row["code"]))
        if territory_code and territory_code not in territories:
            problems.add(number, "territory_code", Problem(N_("no territory %(code)s"), code=territory_code))
        territory_id = territories[territory_code][0] if territory_code in territories else None
        plan.append({"code": row["code"], "name": row["name"].strip(), "level": row["level"], "kind": kind,
                     "territory_id": territory_id})
    return plan


def _write_plain(model) -> Callable:
    def write(plan: list[dict], report: ImportReport) -> int:
        for start in range(0, len(plan), _CHUNK):
            db.session.execute(insert(model), plan[start:start + _CHUNK])
        return len(plan)

    return write


def import_units(data: bytes, actor=None) -> ImportReport:
    """Import units (code, name, level, [kind], [territory_code]); territories must exist."""
    return _run("units", data, _validate_units, _write_plain(Unit), actor)


# --- categories --------------------------------------------------------------------------------

def _validate_categories(table, problems: _Problems) -> list[dict]:
    existing = _existing(Category.code, [row["code"] for _, row in table])
    _duplicates_in_file(table, lambda row: row["code"], "code", problems, "category")
    plan = []
    for number, row in table:
        klass = row.get("class") or "livelihood"
        problems.add(number, "code", rules.code_problem(row["code"], rules.CATEGORY_CODE_MAX))
        problems.add(number, "name", rules.text_problem(row["name"]))
        problems.add(number, "class", rules.choice_problem(klass, CLASSES))
        if row["code"] in existing:
            problems.add(number, "code", Problem(N_("category %(code)s exists already"), code=row["code"]))
        plan.append({"code": row["code"], "name": row["name"].strip(), "klass": klass})
    return plan


def import_categories(data: bytes, actor=None) -> ImportReport:
    """Import request categories (code, name, [class])."""
    return _run("categories", data, _validate_categories, _write_plain(Category), actor)


# --- routing rules -----------------------------------------------------------------------------

def _validate_routing_rules(table, problems: _Problems) -> list[dict]:
    territories = _ids_by_code(Territory, (row["territory_code"] for _, row in table))
    categories = _ids_by_code(Category, (row.get("category_code", "") for _, row in table))
    units = _ids_by_code(Unit, (row["unit_code"] for _, row in table))
    existing = {tuple(row) for row in db.session.execute(
        select(RoutingRule.territory_id, RoutingRule.level, RoutingRule.category_id))}
    plan, seen = [], {}
    for number, row in table:
        territory_code, level = row["territory_code"], row["level"]
        category_code, unit_code = row.get("category_code", ""), row["unit_code"]
        if territory_code not in territories:
            problems.add(number, "territory_code", Problem(N_("no territory %(code)s"), code=territory_code)
                         if territory_code else rules.IS_REQUIRED)
        problems.add(number, "level", rules.choice_problem(level, UNIT_LEVELS))
        if category_code and category_code not in categories:
            problems.add(number, "category_code", Problem(N_("no category %(code)s"), code=category_code))
        if unit_code not in units:
            problems.add(number, "unit_code", Problem(N_("no unit %(code)s"), code=unit_code) if unit_code
                         else rules.IS_REQUIRED)
        territory_id = territories.get(territory_code, (None,))[0]
        category_id = categories[category_code][0] if category_code in categories else None
        key = (territory_id, level, category_id)
        if territory_id is not None and (not category_code or category_id is not None):
            what = f"category {category_code}" if category_code else "any category"
            if key in existing:
                problems.add(number, "category_code", f"{territory_code} already has a level-{level} rule "
                                                      f"for {what}")
            elif key in seen:
                problems.add(number, "category_code", f"the level-{level} rule of {territory_code} for "
                                                      f"{what} is in row {seen[key]} already")
            seen.setdefault(key, number)
        plan.append({"territory_id": territory_id, "level": level, "category_id": category_id,
                     "unit_id": units.get(unit_code, (None,))[0]})
    return plan


def import_routing_rules(data: bytes, actor=None) -> ImportReport:
    """Import routing rules (territory_code, level, [category_code: empty = any], unit_code)."""
    return _run("routing-rules", data, _validate_routing_rules, _write_plain(RoutingRule), actor)


IMPORTERS: dict[str, Callable[..., ImportReport]] = {
    "users": import_users,
    "territories": import_territories,
    "units": import_units,
    "categories": import_categories,
    "routing-rules": import_routing_rules,
}
