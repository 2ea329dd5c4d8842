"""The time-limit table (R18, R23): defaults, lookup of the limit that applies, deadlines, and the
administrators' changes with their audit trail.

Lookup
------
A row's null dimension means "any". `find_limit` loads every row of the phase in one query and
keeps those whose non-null dimensions all equal the given values; of these the most specific wins:

1. more non-null dimensions wins;
2. on a tie, the row whose set dimensions rank higher by DIMENSION_PRIORITY
   (complexity > klass > request_type > level) wins, compared lexicographically: e.g. for a
   development-class consultation, "klass=development" (10) beats "request_type=consultation" (1),
   and "complexity=especially_complex" (20) beats both.

Two rows never tie completely: the table is unique on the five dimensions.

Defaults (`DEFAULTS`, inserted by `seed_defaults` into an empty table)
----------------------------------------------------------------------
dispatch 1, sign_for 1 working day ("1+1+7", R8); first_contact 30 minutes (R14); handling (R18):
any 5 ("general 5"), consultation 1, suggestion 1, complaint/simple 2, complaint/complex 5,
klass development 10, klass enforcement 10, complexity especially_complex 20; unit_review 1,
platform_review 1 working day; rating_window 5 working days (the requester's time to rate the
answer: one working week, as the reply itself must come within 7 days); extension_max 20 working
days (an extension may not push the total beyond "at most 20" for especially complex cases);
appeal_review 5 working days (the platform's decision on a unit's appeal of a rating).

Validation (`update_limits`)
----------------------------
phase ∈ phase_codes() (the built-in PHASES and the ones an administrator added), unit ∈ LIMIT_UNITS,
each dimension null or in its allowed set, amount a number
> 0 and at most MAX_AMOUNT[unit] (60 working/calendar days, 480 working hours or hours, 10080
minutes = 7 days) and whole for working_days (the calendar counts whole working days; use
working_hours for less), auto_escalate a boolean. Any invalid row → `InvalidData` naming every problem as
"limits.<index>.<field>", and nothing is changed. Functions flush but do not commit: callers wrap
them in `with transaction():`.
"""
import math
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from app.accounts.roles import entry_problems
from app.audit import service as audit
from app.clock import utcnow
from app.engine.errors import InvalidData
from app.extensions import db
from app.i18n import N_, Problem
from app.organisation.models import CLASSES
from app.timelimits import calendar
from app.timelimits.models import (
    COMPLEXITIES,
    LEVELS,
    LIMIT_UNITS,
    PHASES,
    REQUEST_TYPES,
    Phase,
    Setting,
    TimeLimit,
)

#: The optional dimensions, highest tie-break priority first.
DIMENSION_PRIORITY = ("complexity", "klass", "request_type", "level")
DIMENSIONS = ("request_type", "klass", "complexity", "level")
DIMENSION_CHOICES = {"request_type": REQUEST_TYPES, "klass": CLASSES, "complexity": COMPLEXITIES,
                     "level": LEVELS}
MAX_AMOUNT = {"working_days": 60, "calendar_days": 60, "working_hours": 480, "hours": 480,
              "minutes": 10080}
ROW_FIELDS = ("phase", *DIMENSIONS, "amount", "unit", "auto_escalate")

YELLOW_SHARE_KEY = "yellow_share"
YELLOW_SHARE_DEFAULT = 0.25


def _row(phase: str, amount: float, unit: str = "working_days", **dims) -> dict[str, Any]:
    return {"phase": phase, **{d: dims.get(d) for d in DIMENSIONS}, "amount": amount, "unit": unit,
            "auto_escalate": False}


DEFAULTS: tuple[dict[str, Any], ...] = (
    _row("dispatch", 1),
    _row("sign_for", 1),
    _row("first_contact", 30, "minutes"),
    _row("handling", 5),
    _row("handling", 1, request_type="consultation"),
    _row("handling", 1, request_type="suggestion"),
    _row("handling", 2, request_type="complaint", complexity="simple"),
    _row("handling", 5, request_type="complaint", complexity="complex"),
    _row("handling", 10, klass="development"),
    _row("handling", 10, klass="enforcement"),
    _row("handling", 20, complexity="especially_complex"),
    _row("unit_review", 1),
    _row("platform_review", 1),
    _row("rating_window", 5),
    _row("extension_max", 20),
    _row("appeal_review", 5),
)


def as_dict(row: TimeLimit) -> dict[str, Any]:
    return {"phase": row.phase, **{d: getattr(row, d) for d in DIMENSIONS}, "amount": row.amount,
            "unit": row.unit, "auto_escalate": row.auto_escalate}


def seed_defaults() -> int:
    """Insert DEFAULTS when the table is empty; returns how many rows were inserted (0 otherwise)."""
    if db.session.scalar(select(func.count()).select_from(TimeLimit)):
        return 0
    db.session.add_all(TimeLimit(**row) for row in DEFAULTS)
    db.session.flush()
    return len(DEFAULTS)


def all_limits() -> list[TimeLimit]:
    """Every row, ordered by phase (in phase_codes() order), then from general to specific."""
    rows = db.session.scalars(select(TimeLimit)).all()
    order = {phase: i for i, phase in enumerate(phase_codes())}
    return sorted(rows, key=lambda r: (order.get(r.phase, len(order)), _specificity(r),
                                       tuple(getattr(r, d) or "" for d in DIMENSIONS)))


def _specificity(row: TimeLimit) -> tuple:
    present = tuple(getattr(row, d) is not None for d in DIMENSION_PRIORITY)
    return (sum(present), present)


def find_limit(phase: str, request_type: str | None = None, klass: str | None = None,
               complexity: str | None = None, level: str | None = None) -> TimeLimit | None:
    """The most specific row of `phase` matching the given dimensions (see the module notes)."""
    given = {"request_type": request_type, "klass": klass, "complexity": complexity, "level": level}
    rows = db.session.scalars(select(TimeLimit).where(TimeLimit.phase == phase)).all()
    matching = [r for r in rows
                if all(getattr(r, d) is None or getattr(r, d) == given[d] for d in DIMENSIONS)]
    return max(matching, key=_specificity, default=None)


def deadline_for(phase: str, start: datetime, **dims) -> datetime | None:
    """`start` plus the applicable limit (naive UTC); None when no row applies."""
    row = find_limit(phase, **dims)
    if row is None:
        return None
    return calendar.add(start, row.amount, row.unit)


# --- changes -----------------------------------------------------------------------------------

def amount_problem(amount: Any, unit: Any) -> str | None:
    """What is wrong with a limit of `amount` `unit` (the unit itself is checked separately)."""
    if isinstance(amount, bool) or not isinstance(amount, int | float) or not math.isfinite(amount):
        return Problem(N_("must be a number"))
    if amount <= 0:
        return Problem(N_("must be > 0"))
    if unit in MAX_AMOUNT and amount > MAX_AMOUNT[unit]:
        return Problem(N_("must be at most %(max)s %(unit)s"), max=MAX_AMOUNT[unit], unit=unit)
    if unit == "working_days" and amount != int(amount):
        return Problem(N_("must be a whole number of working_days (use working_hours)"))
    return None


def trial_deadline(start: datetime, amount: Any, unit: Any) -> datetime:
    """The deadline a limit of `amount` `unit` would give from `start` (naive UTC), computed as
    every deadline is (calendar.add); the amount and unit must be ones the table accepts. For
    checking a limit before it applies; InvalidData names the fields at fault."""
    errors = limit_problems(amount, unit)
    if errors:
        raise InvalidData("invalid limit", errors)
    return calendar.add(start, float(amount), unit)


def limit_problems(amount: Any, unit: Any) -> dict[str, list[str]]:
    """What is wrong with a limit of `amount` `unit`, by field (empty: nothing)."""
    errors = {}
    if unit not in LIMIT_UNITS:
        errors["unit"] = [Problem(N_("must be one of: %(choices)s"), choices=", ".join(LIMIT_UNITS))]
    problem = amount_problem(amount, unit)
    if problem:
        errors["amount"] = [problem]
    return errors


def _problems(row: Any, known_phases: list[str]) -> dict[str, str]:
    if not isinstance(row, dict):
        return {"": "must be an object"}
    problems = {}
    for name in row:
        if name not in ROW_FIELDS:
            problems[name] = Problem(N_("unknown field"))
    if row.get("phase") not in known_phases:
        problems["phase"] = Problem(N_("must be one of: %(choices)s"), choices=", ".join(known_phases))
    for dim in DIMENSIONS:
        value = row.get(dim)
        if value is not None and value not in DIMENSION_CHOICES[dim]:
            problems[dim] = Problem(N_("must be null or one of: %(choices)s"),
                                    choices=", ".join(DIMENSION_CHOICES[dim]))
    unit = row.get("unit")
    if unit not in LIMIT_UNITS:
        problems["unit"] = Problem(N_("must be one of: %(choices)s"), choices=", ".join(LIMIT_UNITS))
    amount = amount_problem(row.get("amount"), unit)
    if amount:
        problems["amount"] = amount
    if "auto_escalate" in row and not isinstance(row["auto_escalate"], bool):
        problems["auto_escalate"] = Problem(N_("must be true or false"))
    return problems


def _key(row: dict[str, Any]) -> tuple:
    return (row["phase"], *(row.get(d) for d in DIMENSIONS))


def update_limits(rows: list[dict[str, Any]], user=None) -> list[TimeLimit]:
    """Upsert rows by (phase, request_type, klass, complexity, level); one audit entry (entity
    "time_limit") per row that was created or changed. All or nothing: any invalid row →
    InvalidData, nothing changed. Returns the rows created or changed. `auto_escalate` left out
    keeps an existing row's value (new rows: false)."""
    if not isinstance(rows, list):
        raise InvalidData("limits must be a list", {"limits": ["must be a list"]})
    errors: dict[str, list[str]] = {}
    seen: dict[tuple, int] = {}
    known_phases = phase_codes()
    for index, row in enumerate(rows):
        problems = _problems(row, known_phases)
        if not problems:
            key = _key(row)
            if key in seen:
                problems["phase"] = Problem(N_("same phase and dimensions as limits.%(row)s"), row=seen[key])
            seen.setdefault(key, index)
        for name, message in problems.items():
            errors.setdefault(f"limits.{index}" + (f".{name}" if name else ""), []).append(message)
    if errors:
        raise InvalidData(f"nothing was changed: {len({k.split('.')[1] for k in errors})} "
                          "row(s) are invalid", errors)

    existing = {_key(as_dict(r)): r for r in db.session.scalars(select(TimeLimit)).all()}
    user_id = getattr(user, "id", None)
    now = utcnow()
    changed = []
    for row in rows:
        current = existing.get(_key(row))
        old = as_dict(current) if current else None
        if current is None:
            current = TimeLimit(phase=row["phase"], **{d: row.get(d) for d in DIMENSIONS},
                                auto_escalate=False)
            db.session.add(current)
        wanted = {"amount": float(row["amount"]), "unit": row["unit"],
                  "auto_escalate": row.get("auto_escalate", current.auto_escalate)}
        if old is not None and all(old[name] == value for name, value in wanted.items()):
            continue
        for name, value in wanted.items():
            setattr(current, name, value)
        current.updated_by_id, current.updated_at = user_id, now
        db.session.flush()
        audit.record(user, "time_limit", current.id, "create" if old is None else "update", old,
                     as_dict(current))
        changed.append(current)
    db.session.flush()
    return changed


def list_changes(limit: int = 100, offset: int = 0):
    """The table's changes from the audit (app/audit), newest first."""
    return audit.changes(entity="time_limit", limit=limit, offset=offset)


# --- phases ------------------------------------------------------------------------------------

#: code -> (Chinese name, English name) of the phases the product ships with.
BUILTIN_PHASES: dict[str, tuple[str, str]] = {
    "dispatch": ("分拨", "Dispatch"), "sign_for": ("签收", "Signing for"),
    "first_contact": ("首次联系", "First contact"), "handling": ("办理", "Handling"),
    "unit_review": ("单位审核", "Unit review"), "platform_review": ("平台审核", "Platform review"),
    "rating_window": ("评价期", "Rating window"), "extension_max": ("最长延期", "Maximum extension"),
    "appeal_review": ("申诉审核", "Appeal review"),
}
PHASE_CODE_MAX = 30  # the length of time_limit.phase


def phase_as_dict(row: Phase) -> dict[str, Any]:
    return {"code": row.code, "name_zh": row.name_zh, "name_en": row.name_en, "builtin": row.builtin}


def all_phases() -> list[dict[str, Any]]:
    """Every phase: the built-in ones (valid even before the table is seeded) in their usual
    order, then the ones administrators added, by code."""
    found = {code: {"code": code, "name_zh": zh, "name_en": en, "builtin": True}
             for code, (zh, en) in BUILTIN_PHASES.items()}
    for row in db.session.scalars(select(Phase)):
        found[row.code] = phase_as_dict(row) | {"builtin": row.code in BUILTIN_PHASES}
    order = {code: i for i, code in enumerate(PHASES)}
    return sorted(found.values(), key=lambda p: (order.get(p["code"], len(order)), p["code"]))


def phase_codes() -> list[str]:
    return [p["code"] for p in all_phases()]


def phase_names() -> dict[str, tuple[str, str]]:
    """code -> (Chinese name, English name) of the phases added as rows."""
    return {row.code: (row.name_zh, row.name_en) for row in db.session.scalars(select(Phase))
            if row.code not in BUILTIN_PHASES}


def add_phase(data: dict[str, Any], limit: dict[str, Any] | None = None, user=None) -> Phase:
    """A new phase (code, name_zh, name_en) and, when given, its general time limit
    ({amount, unit}), in one change: a phase nobody gave a limit would leave `deadline()` without
    an answer. Audited; InvalidData names the fields at fault and nothing is written."""
    errors = entry_problems(data, PHASE_CODE_MAX)
    taken = not errors.keys() & {"", "code"} and (
        data["code"] in BUILTIN_PHASES or db.session.get(Phase, data["code"]) is not None)
    if taken:
        errors["code"] = [Problem(N_("the phase %(code)s exists already"), code=data["code"])]
    if limit is not None:
        errors.update({f"limit.{k}": v for k, v in limit_problems(
            limit.get("amount") if isinstance(limit, dict) else None,
            limit.get("unit") if isinstance(limit, dict) else None).items()})
    if errors:
        raise InvalidData("invalid phase", errors)
    row = Phase(code=data["code"], name_zh=data["name_zh"].strip(), name_en=data["name_en"].strip(),
                builtin=False)
    db.session.add(row)
    db.session.flush()
    audit.record(user, "phase", row.code, "create", None, phase_as_dict(row))
    if limit is not None:
        update_limits([{"phase": row.code, "amount": limit["amount"], "unit": limit["unit"]}], user)
    return row


def update_phase(code: str, data: dict[str, Any], user=None) -> Phase:
    """Rename a phase (its code stays: BPMN files name it); audited."""
    row = db.session.get(Phase, code)
    if row is None and code in BUILTIN_PHASES:
        zh, en = BUILTIN_PHASES[code]
        row = Phase(code=code, name_zh=zh, name_en=en, builtin=True)
        db.session.add(row)
    if row is None:
        raise InvalidData("unknown phase", {"code": [f"there is no phase {code}"]})
    errors = entry_problems(data, None)
    if errors:
        raise InvalidData("invalid phase", errors)
    old = phase_as_dict(row)
    row.name_zh, row.name_en = data["name_zh"].strip(), data["name_en"].strip()
    db.session.flush()
    audit.record(user, "phase", row.code, "update", old, phase_as_dict(row))
    return row


# --- settings ----------------------------------------------------------------------------------

def _share_problem(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return Problem(N_("must be a number"))
    if not 0 <= value < 1:
        return Problem(N_("must be at least 0 and less than 1"))
    return None


def yellow_share() -> float:
    """Share of a limit's total time below which the light turns yellow (Setting "yellow_share")."""
    setting = db.session.get(Setting, YELLOW_SHARE_KEY)
    if setting is None or _share_problem(setting.value):
        return YELLOW_SHARE_DEFAULT
    return float(setting.value)


def set_yellow_share(value: Any, user=None) -> float:
    problem = _share_problem(value)
    if problem:
        raise InvalidData("invalid yellow share", {"value": [problem]})
    old = yellow_share()
    setting = _setting(YELLOW_SHARE_KEY, float(value), user)
    audit.record(user, "setting", YELLOW_SHARE_KEY, "update", {"value": old}, {"value": setting.value})
    return setting.value


def set_working_hours(intervals: list[list[str]], user=None) -> list[tuple]:
    """Replace the daily working hours ([["08:30", "12:00"], ...]); a malformed, reversed or
    overlapping set raises InvalidData (field "intervals") and changes nothing."""
    old = _hours_view(calendar.working_hours())
    _setting("working_hours", intervals, user)
    try:
        hours = calendar.working_hours()
    except (TypeError, ValueError) as exc:
        raise InvalidData("invalid working hours", {"intervals": [str(exc)]}) from None
    audit.record(user, "setting", "working_hours", "update", {"intervals": old},
                 {"intervals": _hours_view(hours)})
    return hours


def _hours_view(intervals) -> list[list[str]]:
    return [[start.strftime("%H:%M"), end.strftime("%H:%M")] for start, end in intervals]


def _setting(key: str, value: Any, user) -> Setting:
    setting = db.session.get(Setting, key)
    if setting is None:
        setting = Setting(key=key)
        db.session.add(setting)
    setting.value = value
    setting.updated_by_id, setting.updated_at = getattr(user, "id", None), utcnow()
    db.session.flush()
    return setting
