"""Organisation administration: create, update and list territories, units, categories, routing
rules and users. The field rules here are the ones the CSV/XLSX import applies too
(app/accounts/importing.py), so a record the API refuses is refused by an import as well.

Errors
------
* `InvalidData` (422) lists every invalid field at once, e.g. {"level": ["must be one of: ..."]}.
* `Duplicate` (409) when the code / username / (territory, level, category) exists already; it is
  raised only when every field is otherwise valid, so one answer names every fix needed.
* `NotFound` (404) when the record to update does not exist.

Every create and update is audited (app/audit: who, when, old → new) in the caller's
transaction; `actor` is the administrator (None: the system). A user's snapshot never holds the
password hash: a new or changed password is recorded as "password": "set"/"generated"/"changed".

Functions flush but do not commit: callers wrap them in `with transaction():`.
"""
import re
import secrets

from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.accounts import sessions, throttle
from app.accounts.models import Membership, User
from app.accounts.roles import role_codes
from app.accounts.security import hash_password
from app.audit import service as audit
from app.engine.errors import Conflict, InvalidData, NotFound
from app.extensions import db
from app.i18n import N_, Problem
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

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{3,80}")
CODE_PATTERN = re.compile(r"[A-Za-z0-9._-]+")
TERRITORY_CODE_MAX, UNIT_CODE_MAX, CATEGORY_CODE_MAX = 32, 64, 32
NAME_MAX, PATH_MAX = 200, 400
PASSWORD_MIN, PASSWORD_MAX = 8, 200

# Generated passwords are 16 characters from 56 unambiguous ones (no 0/O, 1/l/I): ~93 bits of
# entropy. Key stretching protects guessable passwords; against a 93-bit random secret it adds
# nothing, so these are hashed with a cheap argon2id profile (2 MiB, ~2 ms instead of ~100 ms): that is
# what lets an import of 1,000 users finish in seconds. `authenticate` verifies either profile,
# since argon2 hashes carry their own parameters. Passwords an administrator types are guessable
# and always get the full-cost `hash_password`.
_PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
GENERATED_PASSWORD_LENGTH = 16
_one_time_hasher = PasswordHasher(time_cost=1, memory_cost=2048, parallelism=1)


IS_REQUIRED = Problem(N_("is required"))


class Duplicate(Conflict):
    """409: the record exists already; `errors` names the field."""

    code = "duplicate"

    def __init__(self, message: str, errors: dict[str, list[str]]):
        super().__init__(message)
        self.errors = errors


# --- field rules (each returns a message, or None when the value is fine) ---------------------

def text_problem(value: str | None, max_length: int = NAME_MAX) -> str | None:
    if not value or not value.strip():
        return IS_REQUIRED
    if len(value) > max_length:
        return Problem(N_("must be at most %(max)d characters"), max=max_length)
    return None


def code_problem(value: str | None, max_length: int) -> str | None:
    if not value:
        return IS_REQUIRED
    if len(value) > max_length or not CODE_PATTERN.fullmatch(value):
        return Problem(N_("must be 1–%(max)d letters, digits, '.', '_' or '-'"), max=max_length)
    return None


def username_problem(value: str | None) -> str | None:
    if not value:
        return IS_REQUIRED
    if not USERNAME_PATTERN.fullmatch(value):
        return Problem(N_("must be 3–80 letters, digits, '.', '_' or '-'"))
    return None


def password_problem(value: str) -> str | None:
    if len(value) < PASSWORD_MIN:
        return Problem(N_("must be at least %(min)d characters"), min=PASSWORD_MIN)
    if len(value) > PASSWORD_MAX:
        return Problem(N_("must be at most %(max)d characters"), max=PASSWORD_MAX)
    return None


def choice_problem(value: str | None, choices: tuple[str, ...]) -> str | None:
    if value not in choices:
        return Problem(N_("must be one of: %(choices)s"), choices=", ".join(choices))
    return None


def level_order_problem(level: str, parent_level: str) -> str | None:
    """A territory sits below its parent in TERRITORY_LEVELS (city > county > ... > group)."""
    if TERRITORY_LEVELS.index(level) <= TERRITORY_LEVELS.index(parent_level):
        return Problem(N_("a %(level)s cannot sit under a %(parent)s"), level=level, parent=parent_level)
    return None


def territory_path(parent_path: str | None, code: str) -> str:
    return (parent_path or "/") + code + "/"


def parent_code_of(territory: Territory) -> str | None:
    codes = territory.path.strip("/").split("/")
    return codes[-2] if len(codes) > 1 else None


def generate_password() -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(GENERATED_PASSWORD_LENGTH))


def hash_generated_password(password: str) -> str:
    """Only for `generate_password()` output (see the comment on _one_time_hasher)."""
    return _one_time_hasher.hash(password)


# --- helpers -----------------------------------------------------------------------------------

class _Errors(dict):
    def add(self, field: str, message: str | None) -> None:
        if message:
            self.setdefault(field, []).append(message)


def _raise_if(errors: _Errors, duplicates: _Errors | None = None, what: str = "record") -> None:
    if errors:
        for field, messages in (duplicates or {}).items():
            errors.setdefault(field, []).extend(messages)
        raise InvalidData("some fields are invalid: " + ", ".join(sorted(errors)), errors=dict(errors))
    if duplicates:
        raise Duplicate(f"this {what} exists already", errors=dict(duplicates))


def _flush(what: str, field: str) -> None:
    """Flush; a unique-constraint race with a concurrent writer becomes a 409 as well."""
    try:
        db.session.flush()
    except IntegrityError:
        raise Duplicate(f"this {what} exists already",
                        errors={field: [Problem(N_("exists already"))]}) from None


def _by_code(model, code: str | None):
    if not code:
        return None
    return db.session.scalar(select(model).where(model.code == code))


def _required(model, code: str, what: str):
    row = _by_code(model, code)
    if row is None:
        raise NotFound(f"no {what} with code {code}")
    return row


def _page(statement, limit: int, offset: int):
    return list(db.session.scalars(statement.limit(limit).offset(offset)))


def territory_snapshot(row: Territory) -> dict:
    return {"code": row.code, "name": row.name, "level": row.level, "parent_code": parent_code_of(row)}


def unit_snapshot(row: Unit) -> dict:
    return {"code": row.code, "name": row.name, "level": row.level, "kind": row.kind,
            "territory_code": row.territory.code if row.territory else None}


def category_snapshot(row: Category) -> dict:
    return {"code": row.code, "name": row.name, "class": row.klass}


def user_snapshot(user: User) -> dict:
    return {"username": user.username, "display_name": user.display_name, "active": user.active,
            "memberships": sorted(f"{m.unit.code}:{m.role}" for m in user.memberships)}


def username_taken(username: str) -> bool:
    """Usernames are unique regardless of case, so 'Wang' and 'wang' cannot both exist."""
    return db.session.scalar(
        select(func.count()).select_from(User).where(func.lower(User.username) == username.lower())) > 0


# --- territories -------------------------------------------------------------------------------

def list_territories(parent_code: str | None = None, limit: int = 100, offset: int = 0) -> list[Territory]:
    statement = select(Territory).order_by(Territory.path)
    if parent_code:
        parent = _by_code(Territory, parent_code)
        if parent is None:
            return []
        statement = statement.where(Territory.parent_id == parent.id)
    return _page(statement, limit, offset)


def create_territory(code: str, name: str, level: str, parent_code: str | None = None,
                     actor=None) -> Territory:
    errors, duplicates = _Errors(), _Errors()
    errors.add("code", code_problem(code, TERRITORY_CODE_MAX))
    errors.add("name", text_problem(name))
    errors.add("level", choice_problem(level, TERRITORY_LEVELS))
    parent = _by_code(Territory, parent_code)
    if parent_code and parent is None:
        errors.add("parent_code", Problem(N_("no territory %(code)s"), code=parent_code))
    if parent is not None and "level" not in errors:
        errors.add("level", level_order_problem(level, parent.level))
    path = territory_path(parent.path if parent else None, code or "")
    if "code" not in errors and len(path) > PATH_MAX:
        errors.add("code", Problem(N_("the path %(path)s… would exceed %(max)d characters"),
                                   path=path[:40], max=PATH_MAX))
    if "code" not in errors and _by_code(Territory, code) is not None:
        duplicates.add("code", Problem(N_("territory %(code)s exists already"), code=code))
    _raise_if(errors, duplicates, "territory")
    row = Territory(code=code, name=name.strip(), level=level, parent_id=parent.id if parent else None,
                    path=path)
    db.session.add(row)
    _flush("territory", "code")
    audit.record(actor, "territory", row.code, "create", None, territory_snapshot(row))
    return row


def update_territory(code: str, changes: dict, actor=None) -> Territory:
    """Rename a territory or change its level (still below its parent and above its children).
    Moving a territory to another parent is not supported: it would re-path the whole subtree."""
    row = _required(Territory, code, "territory")
    old = territory_snapshot(row)
    errors = _Errors()
    if "name" in changes:
        errors.add("name", text_problem(changes["name"]))
    if "level" in changes:
        level = changes["level"]
        errors.add("level", choice_problem(level, TERRITORY_LEVELS))
        if "level" not in errors and row.parent_id is not None:
            parent = db.session.get(Territory, row.parent_id)
            errors.add("level", level_order_problem(level, parent.level))
        if "level" not in errors:
            for child_level in db.session.scalars(
                    select(Territory.level).where(Territory.parent_id == row.id).distinct()):
                errors.add("level", level_order_problem(child_level, level))
    _raise_if(errors)
    if "name" in changes:
        row.name = changes["name"].strip()
    if "level" in changes:
        row.level = changes["level"]
    _flush("territory", "code")
    audit.record(actor, "territory", row.code, "update", old, territory_snapshot(row))
    return row


# --- units -------------------------------------------------------------------------------------

def list_units(territory_code: str | None = None, level: str | None = None, limit: int = 100,
               offset: int = 0) -> list[Unit]:
    statement = select(Unit).order_by(Unit.code)
    if territory_code:
        statement = statement.join(Territory, Unit.territory_id == Territory.id).where(
            Territory.code == territory_code)
    if level:
        statement = statement.where(Unit.level == level)
    return _page(statement, limit, offset)


def _check_unit_fields(errors: _Errors, values: dict) -> Territory | None:
    if "name" in values:
        errors.add("name", text_problem(values["name"]))
    if "level" in values:
        errors.add("level", choice_problem(values["level"], UNIT_LEVELS))
    if "kind" in values:
        errors.add("kind", choice_problem(values["kind"], UNIT_KINDS))
    territory = _by_code(Territory, values.get("territory_code"))
    if values.get("territory_code") and territory is None:
        errors.add("territory_code", Problem(N_("no territory %(code)s"), code=values["territory_code"]))
    return territory


def create_unit(code: str, name: str, level: str, kind: str = "office",
                territory_code: str | None = None, actor=None) -> Unit:
    errors, duplicates = _Errors(), _Errors()
    errors.add("code", code_problem(code, UNIT_CODE_MAX))
    territory = _check_unit_fields(errors, {"name": name, "level": level, "kind": kind,
                                            "territory_code": territory_code})
    if "code" not in errors and _by_code(Unit, code) is not None:
        duplicates.add("code", Problem(N_("unit %(code)s exists already"), code=code))
    _raise_if(errors, duplicates, "unit")
    row = Unit(code=code, name=name.strip(), level=level, kind=kind,
               territory_id=territory.id if territory else None, territory=territory)
    db.session.add(row)
    _flush("unit", "code")
    audit.record(actor, "unit", row.code, "create", None, unit_snapshot(row))
    return row


def update_unit(code: str, changes: dict, actor=None) -> Unit:
    """Change a unit's name, level, kind or territory (territory_code None detaches it)."""
    row = _required(Unit, code, "unit")
    old = unit_snapshot(row)
    errors = _Errors()
    territory = _check_unit_fields(errors, changes)
    _raise_if(errors)
    for field in ("name", "level", "kind"):
        if field in changes:
            setattr(row, field, changes[field].strip() if field == "name" else changes[field])
    if "territory_code" in changes:
        row.territory_id = territory.id if territory else None
        row.territory = territory
    _flush("unit", "code")
    audit.record(actor, "unit", row.code, "update", old, unit_snapshot(row))
    return row


# --- categories --------------------------------------------------------------------------------

def list_categories(limit: int = 100, offset: int = 0) -> list[Category]:
    return _page(select(Category).order_by(Category.code), limit, offset)


def create_category(code: str, name: str, klass: str = "livelihood", actor=None) -> Category:
    errors, duplicates = _Errors(), _Errors()
    errors.add("code", code_problem(code, CATEGORY_CODE_MAX))
    errors.add("name", text_problem(name))
    errors.add("class", choice_problem(klass, CLASSES))
    if "code" not in errors and _by_code(Category, code) is not None:
        duplicates.add("code", Problem(N_("category %(code)s exists already"), code=code))
    _raise_if(errors, duplicates, "category")
    row = Category(code=code, name=name.strip(), klass=klass)
    db.session.add(row)
    _flush("category", "code")
    audit.record(actor, "category", row.code, "create", None, category_snapshot(row))
    return row


def update_category(code: str, changes: dict, actor=None) -> Category:
    row = _required(Category, code, "category")
    old = category_snapshot(row)
    errors = _Errors()
    if "name" in changes:
        errors.add("name", text_problem(changes["name"]))
    if "klass" in changes:
        errors.add("class", choice_problem(changes["klass"], CLASSES))
    _raise_if(errors)
    if "name" in changes:
        row.name = changes["name"].strip()
    if "klass" in changes:
        row.klass = changes["klass"]
    _flush("category", "code")
    audit.record(actor, "category", row.code, "update", old, category_snapshot(row))
    return row


# --- routing rules -----------------------------------------------------------------------------

def list_routing_rules(territory_code: str | None = None, level: str | None = None, limit: int = 100,
                       offset: int = 0) -> list[dict]:
    """Rules as dicts with codes instead of ids (category_code None: any category)."""
    statement = (select(RoutingRule.id, Territory.code.label("territory_code"), RoutingRule.level,
                        Category.code.label("category_code"), Unit.code.label("unit_code"))
                 .join(Territory, RoutingRule.territory_id == Territory.id)
                 .join(Unit, RoutingRule.unit_id == Unit.id)
                 .outerjoin(Category, RoutingRule.category_id == Category.id)
                 .order_by(Territory.path, RoutingRule.level, Category.code.nulls_first(), RoutingRule.id))
    if territory_code:
        statement = statement.where(Territory.code == territory_code)
    if level:
        statement = statement.where(RoutingRule.level == level)
    return [row._asdict() for row in db.session.execute(statement.limit(limit).offset(offset))]


def routing_rule_exists(territory_id: int, level: str, category_id: int | None) -> bool:
    """The unique constraint does not cover category null (NULLs differ in SQL), so check here."""
    category_match = (RoutingRule.category_id.is_(None) if category_id is None
                      else RoutingRule.category_id == category_id)
    return db.session.scalar(select(func.count()).select_from(RoutingRule).where(
        RoutingRule.territory_id == territory_id, RoutingRule.level == level, category_match)) > 0


def _rule_view(rule: RoutingRule, territory_code: str, category_code: str | None, unit_code: str) -> dict:
    return {"id": rule.id, "territory_code": territory_code, "level": rule.level,
            "category_code": category_code, "unit_code": unit_code}


def create_routing_rule(territory_code: str, level: str, unit_code: str,
                        category_code: str | None = None, actor=None) -> dict:
    errors, duplicates = _Errors(), _Errors()
    territory = _by_code(Territory, territory_code)
    if territory is None:
        errors.add("territory_code", Problem(N_("no territory %(code)s"), code=territory_code)
                   if territory_code else IS_REQUIRED)
    errors.add("level", choice_problem(level, UNIT_LEVELS))
    category = _by_code(Category, category_code)
    if category_code and category is None:
        errors.add("category_code", Problem(N_("no category %(code)s"), code=category_code))
    unit = _by_code(Unit, unit_code)
    if unit is None:
        errors.add("unit_code", Problem(N_("no unit %(code)s"), code=unit_code) if unit_code else IS_REQUIRED)
    if not errors and routing_rule_exists(territory.id, level, category.id if category else None):
        duplicates.add("category_code", Problem(
            N_("%(territory)s already has a level-%(level)s rule for category %(category)s"),
            territory=territory_code, level=level, category=category_code) if category else Problem(
            N_("%(territory)s already has a level-%(level)s rule for any category"),
            territory=territory_code, level=level))
    _raise_if(errors, duplicates, "routing rule")
    rule = RoutingRule(territory_id=territory.id, level=level, category_id=category.id if category else None,
                       unit_id=unit.id, unit=unit)
    db.session.add(rule)
    _flush("routing rule", "category_code")
    view = _rule_view(rule, territory.code, category_code or None, unit.code)
    audit.record(actor, "routing_rule", rule.id, "create", None, _rule_snapshot(view))
    return view


def _rule_snapshot(view: dict) -> dict:
    return {name: view[name] for name in ("territory_code", "level", "category_code", "unit_code")}


def update_routing_rule(rule_id: int, changes: dict, actor=None) -> dict:
    """Hand a rule to another unit (territory, level and category identify the rule)."""
    rule = db.session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound(f"no routing rule {rule_id}")
    old_unit = rule.unit.code
    errors = _Errors()
    unit = _by_code(Unit, changes.get("unit_code"))
    if "unit_code" in changes and unit is None:
        errors.add("unit_code", Problem(N_("no unit %(code)s"), code=changes["unit_code"]))
    _raise_if(errors)
    if unit is not None:
        rule.unit_id, rule.unit = unit.id, unit
    _flush("routing rule", "category_code")
    territory = db.session.get(Territory, rule.territory_id)
    category = db.session.get(Category, rule.category_id) if rule.category_id else None
    view = _rule_view(rule, territory.code, category.code if category else None, rule.unit.code)
    audit.record(actor, "routing_rule", rule.id, "update", _rule_snapshot(view) | {"unit_code": old_unit},
                 _rule_snapshot(view))
    return view


# --- users -------------------------------------------------------------------------------------

def list_users(unit_code: str | None = None, limit: int = 100, offset: int = 0) -> list[User]:
    statement = select(User).order_by(User.username)
    if unit_code:
        members = select(Membership.user_id).join(Unit, Membership.unit_id == Unit.id).where(
            Unit.code == unit_code)
        statement = statement.where(User.id.in_(members))
    return _page(statement, limit, offset)


def _memberships(errors: _Errors, memberships: list[dict]) -> list[tuple[Unit, str]]:
    """[{"unit_code", "role"}] -> [(unit, role)] without repeats; problems go under "memberships"."""
    result, seen, known = [], set(), role_codes()
    for item in memberships:
        code, role = item.get("unit_code"), item.get("role")
        unit = _by_code(Unit, code)
        if unit is None:
            errors.add("memberships", Problem(N_("no unit %(code)s"), code=code) if code
                       else Problem(N_("unit_code is required")))
        if role not in known:
            errors.add("memberships", Problem(N_("unknown role %(role)s; roles are: %(roles)s"),
                                              role=repr(role), roles=", ".join(known)))
        if unit is not None and role in known and (unit.id, role) not in seen:
            seen.add((unit.id, role))
            result.append((unit, role))
    return result


def create_user(username: str, display_name: str, password: str | None = None, active: bool = True,
                memberships: list[dict] | None = None, actor=None) -> tuple[User, str | None]:
    """Create a user; without a password one is generated and returned (the only time it is
    readable) so the administrator can hand it out. Returns (user, generated password or None)."""
    errors, duplicates = _Errors(), _Errors()
    errors.add("username", username_problem(username))
    errors.add("display_name", text_problem(display_name))
    if password:
        errors.add("password", password_problem(password))
    pairs = _memberships(errors, memberships or [])
    if "username" not in errors and username_taken(username):
        duplicates.add("username", Problem(N_("user %(username)s exists already"), username=username))
    _raise_if(errors, duplicates, "user")
    generated = None if password else generate_password()
    password_hash = hash_password(password) if password else hash_generated_password(generated)
    user = User(username=username, display_name=display_name.strip(), password_hash=password_hash,
                active=active)
    user.memberships = [Membership(unit=unit, role=role) for unit, role in pairs]
    db.session.add(user)
    _flush("user", "username")
    audit.record(actor, "user", user.username, "create", None,
                 user_snapshot(user) | {"password": "generated" if generated else "set"})
    return user, generated


NO_ADMINISTRATOR_LEFT = Problem(N_("would leave no active administrator; make another user an administrator "
                                   "first"))


def _find_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username}")
    return user


def _is_active_administrator(user: User) -> bool:
    return user.active and "administrator" in user.roles


def has_active_administrator() -> bool:
    return db.session.scalar(select(func.count()).select_from(User).join(Membership).where(
        Membership.role == "administrator", User.active.is_(True))) > 0


def _other_active_administrators(user: User) -> int:
    """How many besides `user`. Their rows are locked (PostgreSQL) in id order, so two
    administrators stepping down at the same time are checked one after the other and cannot both
    succeed."""
    administrators = select(Membership.user_id).where(Membership.role == "administrator")
    return len(db.session.scalars(
        select(User.id).where(User.id.in_(administrators), User.active.is_(True), User.id != user.id)
        .order_by(User.id).with_for_update()).all())


def _set_password(user: User, password_hash: str) -> None:
    """A new password ends every session and token of the user (sessions.revoke_all)."""
    user.password_hash = password_hash
    sessions.revoke_all(user)


def update_user(username: str, changes: dict, actor=None) -> User:
    """Change display_name, active, password, or replace the memberships as a whole. A new
    password or a deactivation signs the user out everywhere (web sessions and API tokens). No
    change may leave the platform without an active administrator."""
    user = _find_user(username)
    old = user_snapshot(user)
    errors = _Errors()
    if "display_name" in changes:
        errors.add("display_name", text_problem(changes["display_name"]))
    if "password" in changes:
        errors.add("password", password_problem(changes["password"] or ""))
    pairs = _memberships(errors, changes["memberships"]) if "memberships" in changes else None
    active = bool(changes["active"]) if "active" in changes else user.active
    stays_administrator = active and (pairs is None or any(role == "administrator" for _, role in pairs))
    steps_down = not errors and _is_active_administrator(user) and not stays_administrator
    if steps_down and not _other_active_administrators(user):
        errors.add("memberships" if active else "active", NO_ADMINISTRATOR_LEFT)
    _raise_if(errors)
    if "display_name" in changes:
        user.display_name = changes["display_name"].strip()
    if not active and user.active:
        sessions.revoke_all(user)
    user.active = active
    if "password" in changes:
        _set_password(user, hash_password(changes["password"]))
    if pairs is not None:
        wanted = {(unit.id, role) for unit, role in pairs}
        user.memberships = [m for m in user.memberships if (m.unit_id, m.role) in wanted]
        have = {(m.unit_id, m.role) for m in user.memberships}
        db.session.flush()  # delete the dropped rows before inserting, for the unique constraint
        user.memberships.extend(Membership(unit=unit, role=role) for unit, role in pairs
                                if (unit.id, role) not in have)
    _flush("user", "username")
    audit.record(actor, "user", user.username, "update", old,
                 user_snapshot(user) | ({"password": "changed"} if "password" in changes else {}))
    return user


def reset_password(username: str, actor=None) -> tuple[User, str]:
    """A generated password replaces the user's (returned: the only time it is readable), and the
    user is signed out everywhere."""
    user = _find_user(username)
    generated = generate_password()
    _set_password(user, hash_generated_password(generated))
    _flush("user", "username")
    audit.record(actor, "user", user.username, "update", {"password": None}, {"password": "reset"})
    return user, generated


def sign_out_everywhere(username: str, actor=None) -> dict[str, int]:
    """An administrator ends every web session and API token of the user (see sessions.revoke_all)."""
    user = _find_user(username)
    ended = sessions.revoke_all(user)
    audit.record(actor, "user", user.username, "update", {"signed_out": None}, {"signed_out": "everywhere"})
    return ended


def change_own_password(user: User, current: str, new: str, repeated: str, address: str | None) -> None:
    """A user changes their own password: the current one is checked like a sign-in (failures are
    throttled and counted, so a borrowed session cannot guess it), and every session and token of
    the user ends; the caller starts a new session for the browser that did it."""
    errors = _Errors()
    errors.add("new_password", password_problem(new))
    if new != repeated:
        errors.add("new_password_again", Problem(N_("does not match the new password")))
    try:
        verified = throttle.authenticate(user.username, current, address) if current else None
    except throttle.Throttled:
        verified = None
    if verified is None:
        errors.add("current_password", Problem(N_("is not your current password, or there were too many "
                                                  "failed attempts from this address")))
    _raise_if(errors)
    _set_password(user, hash_password(new))
    _flush("user", "username")
