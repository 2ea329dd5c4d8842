"""Roles as data: the built-in roles plus the ones an administrator adds (table `role`).

A role's scope decides which cases its holders see (app/cases/access.py): "territory" (their
unit's territory and everything below), "unit" (the cases their unit holds or has a task of) or
"tasks" (only cases they hold a task of). The built-in roles are valid even before the table is
seeded, so a fresh database and the tests behave as the product ships; a row can only add roles
or rename one, never take a built-in one away.
"""
import re
from typing import Any

from flask import g, has_request_context
from sqlalchemy import select

from app.accounts.models import ROLES, Role
from app.audit import service as audit
from app.engine.errors import InvalidData
from app.extensions import db
from app.i18n import N_, Problem

SCOPES = ("territory", "unit", "tasks")
CODE = re.compile(r"^[a-z][a-z0-9_]+$")
CODE_MAX = 40
NAME_MAX = 100

#: code -> (Chinese name, English name, scope) of the roles the product ships with.
BUILTIN: dict[str, tuple[str, str, str]] = {
    "registrar": ("登记员", "Registrar", "territory"),
    "dispatcher": ("分拨员", "Dispatcher", "territory"),
    "handler": ("承办人", "Handler", "unit"),
    "unit_reviewer": ("单位审核人", "Unit reviewer", "unit"),
    "platform_supervisor": ("平台督办员", "Platform supervisor", "territory"),
    "leader": ("领导", "Leader", "territory"),
    "administrator": ("管理员", "Administrator", "territory"),
    "process_designer": ("流程设计员", "Process designer", "tasks"),
    "auditor": ("审计员", "Auditor", "territory"),
}


def _rows() -> list[Role]:
    return list(db.session.scalars(select(Role)))


def all_roles() -> list[dict[str, Any]]:
    """Every role (built-in ones first, in their usual order, then added ones by code)."""
    found = {code: {"code": code, "name_zh": zh, "name_en": en, "scope": scope, "builtin": True}
             for code, (zh, en, scope) in BUILTIN.items()}
    for row in _rows():
        found[row.code] = as_dict(row) | {"builtin": row.code in BUILTIN}
    order = {code: i for i, code in enumerate(ROLES)}
    return sorted(found.values(), key=lambda r: (order.get(r["code"], len(order)), r["code"]))


def as_dict(row: Role) -> dict[str, Any]:
    return {"code": row.code, "name_zh": row.name_zh, "name_en": row.name_en, "scope": row.scope,
            "builtin": row.builtin}


def role_codes() -> list[str]:
    return [r["code"] for r in all_roles()]


def scopes() -> dict[str, str]:
    """role code -> scope, for the jurisdiction rule: one small query per request, however many
    jurisdiction checks a page makes."""
    memo = g.get("_role_scopes") if has_request_context() else None
    if memo is None:
        memo = {code: scope for code, (_, _, scope) in BUILTIN.items()}
        memo.update((code, scope) for code, scope in db.session.execute(select(Role.code, Role.scope)))
        if has_request_context():
            g._role_scopes = memo
    return memo


def names() -> dict[str, tuple[str, str]]:
    """role code -> (Chinese name, English name) of the roles added as rows."""
    return {row.code: (row.name_zh, row.name_en) for row in _rows() if row.code not in BUILTIN}


def entry_problems(data: Any, code_max: int | None) -> dict[str, list[str]]:
    """What is wrong with a catalogue entry (a role, a phase): its code (of at most `code_max`
    characters) when one is being created, and its Chinese and English names."""
    if not isinstance(data, dict):
        return {"": [Problem(N_("must be an object"))]}
    errors: dict[str, list[str]] = {}
    code = data.get("code")
    if code_max is not None and not (isinstance(code, str) and len(code) <= code_max and CODE.match(code)):
        errors["code"] = [Problem(N_("2 to %(max)s lower-case letters, digits or _, starting with a letter"),
                                  max=code_max)]
    for name in ("name_zh", "name_en"):
        value = data.get(name)
        if not (isinstance(value, str) and value.strip() and len(value) <= NAME_MAX):
            errors[name] = [Problem(N_("1 to %(max)s characters"), max=NAME_MAX)]
    return errors


def _problems(data: Any, creating: bool) -> dict[str, list[str]]:
    errors = entry_problems(data, CODE_MAX if creating else None)
    if "" in errors:
        return errors
    if data.get("scope") not in SCOPES:
        errors["scope"] = [Problem(N_("must be one of: %(choices)s"), choices=", ".join(SCOPES))]
    return errors


def add_role(data: dict[str, Any], user=None) -> Role:
    """A new role (code, name_zh, name_en, scope); audited. InvalidData names the fields at fault."""
    errors = _problems(data, creating=True)
    if not errors and (data["code"] in BUILTIN or db.session.get(Role, data["code"]) is not None):
        errors["code"] = [Problem(N_("the role %(code)s exists already"), code=data["code"])]
    if errors:
        raise InvalidData("invalid role", errors)
    row = Role(code=data["code"], name_zh=data["name_zh"].strip(), name_en=data["name_en"].strip(),
               scope=data["scope"], builtin=False)
    db.session.add(row)
    db.session.flush()
    audit.record(user, "role", row.code, "create", None, as_dict(row))
    return row


def update_role(code: str, data: dict[str, Any], user=None) -> Role:
    """Rename a role, or change an added role's scope (a built-in role keeps its scope, which the
    product's pages rely on); audited."""
    row = db.session.get(Role, code)
    if row is None and code in BUILTIN:
        zh, en, scope = BUILTIN[code]
        row = Role(code=code, name_zh=zh, name_en=en, scope=scope, builtin=True)
        db.session.add(row)
    if row is None:
        raise InvalidData("unknown role", {"code": [f"there is no role {code}"]})
    errors = _problems(data, creating=False)
    if row.builtin and data.get("scope") != row.scope and "scope" not in errors:
        errors["scope"] = [f"a built-in role keeps its scope ({row.scope})"]
    if errors:
        raise InvalidData("invalid role", errors)
    old = as_dict(row)
    row.name_zh, row.name_en, row.scope = data["name_zh"].strip(), data["name_en"].strip(), data["scope"]
    db.session.flush()
    audit.record(user, "role", row.code, "update", old, as_dict(row))
    return row
