"""Assessment schemes (考核方案) as data: what a unit's score weighs and what it takes off.

A scheme has a `code` and versions 1, 2, ...; editing it adds the next version with the changed
values, and the old versions stay (frozen rankings name the version they used). Exactly one
version is active once any scheme exists — a new scheme becomes active when none is, editing the
active scheme makes its new version the active one, and activating a scheme activates its latest
version. Every change is audited (entity `assessment_scheme`). The score rule itself is in
app/statistics/scoring.py and docs/statistics.md.

Functions flush but do not commit: callers wrap them in `with transaction():`.
"""
import math
import re
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.assessment.models import AssessmentScheme
from app.audit import service as audit
from app.engine.errors import Conflict, InvalidData, NotFound
from app.extensions import db
from app.statistics.figures import UNIT_RATES

CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
NAME_MAX = 100
#: The counts of a unit's row a scheme may take points off for, per item.
DEDUCTIONS = ("late_replies", "returns_overruled", "returned", "referred")
MAX_WEIGHT = 1000
MAX_POINTS = 100
CONCURRENT = "the scheme was changed at the same time by someone else; reload and try again"


def _number_problem(value: Any, largest: float) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return "must be a number"
    if not 0 <= value <= largest:
        return f"must be between 0 and {largest}"
    return None


def _table_problems(errors: dict, name: str, table: Any, allowed, largest: float) -> None:
    if not isinstance(table, dict):
        errors[name] = ["an object: name -> number"]
        return
    for key, value in table.items():
        if key not in allowed:
            errors[f"{name}.{key}"] = [f"not one of: {', '.join(allowed)}"]
        elif problem := _number_problem(value, largest):
            errors[f"{name}.{key}"] = [problem]


def problems(name: Any, weights: Any, deductions: Any) -> dict[str, list[str]]:
    """Every problem of a scheme's values, by field (`weights.<rate>`, `deductions.<count>`)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > NAME_MAX:
        errors["name"] = [f"1 to {NAME_MAX} characters"]
    _table_problems(errors, "weights", weights, tuple(UNIT_RATES), MAX_WEIGHT)
    _table_problems(errors, "deductions", deductions, DEDUCTIONS, MAX_POINTS)
    if isinstance(weights, dict) and not any(k.startswith("weights") for k in errors) and not sum(
            weights.values()):
        errors["weights"] = ["at least one rate needs a weight above 0"]
    return errors


def _values(row: AssessmentScheme) -> dict:
    return {"version": row.version, "name": row.name, "weights": row.weights, "deductions": row.deductions,
            "active": row.active}


def versions(code: str | None = None) -> list[AssessmentScheme]:
    """Every version (of one scheme: NotFound when there is none), by code, newest version first."""
    statement = select(AssessmentScheme).order_by(AssessmentScheme.code, AssessmentScheme.version.desc())
    if code is not None:
        statement = statement.where(AssessmentScheme.code == code)
    found = list(db.session.scalars(statement))
    if code is not None and not found:
        raise NotFound(f"no assessment scheme {code}")
    return found


def latest(code: str) -> AssessmentScheme:
    row = db.session.scalar(select(AssessmentScheme).where(AssessmentScheme.code == code)
                            .order_by(AssessmentScheme.version.desc()).limit(1))
    if row is None:
        raise NotFound(f"no assessment scheme {code}")
    return row


def _active_row() -> AssessmentScheme | None:
    return db.session.scalar(select(AssessmentScheme).where(AssessmentScheme.active.is_(True)))


def _cleaned(table: dict) -> dict[str, float]:
    return {key: float(value) for key, value in table.items()}


def _saved(row: AssessmentScheme, active: bool) -> AssessmentScheme:
    """Flush a new or changed version; when it is to be active, the active one stops being so
    first. Two administrators changing schemes at once: the second gets Conflict."""
    try:
        if active:
            db.session.execute(update(AssessmentScheme).where(AssessmentScheme.active.is_(True))
                               .values(active=False).execution_options(synchronize_session="fetch"))
        row.active = active
        db.session.add(row)
        db.session.flush()
    except IntegrityError:
        raise Conflict(CONCURRENT) from None
    return row


def create(code: Any, name: Any, weights: Any, deductions: Any, actor,
           activate: bool = False) -> AssessmentScheme:
    """A new scheme, version 1; active when asked or when no scheme is active yet."""
    errors = problems(name, weights, deductions)
    if not isinstance(code, str) or not CODE.fullmatch(code):
        errors["code"] = ["1 to 40 lower-case letters, digits, - and _, starting with a letter or digit"]
    elif db.session.scalar(select(func.count()).where(AssessmentScheme.code == code)):
        errors["code"] = [f"the scheme {code} exists; edit it to add a version"]
    if errors:
        raise InvalidData("the scheme was not saved: " + ", ".join(sorted(errors)), errors)
    row = _saved(AssessmentScheme(code=code, version=1, name=name.strip(), weights=_cleaned(weights),
                                  deductions=_cleaned(deductions), created_by_id=getattr(actor, "id", None)),
                 active=activate or _active_row() is None)
    audit.record(actor, "assessment_scheme", code, "create", None, _values(row))
    return row


def revise(code: str, changes: dict, actor) -> AssessmentScheme:
    """The scheme's next version: the latest with `changes` (name, weights, deductions); active
    when the latest was."""
    previous = latest(code)
    unknown = {name: ["not a field of a scheme; fields are: name, weights, deductions"]
               for name in changes if name not in ("name", "weights", "deductions")}
    merged = {"name": previous.name, "weights": previous.weights, "deductions": previous.deductions,
              **{k: v for k, v in changes.items() if k not in unknown}}
    errors = unknown | problems(merged["name"], merged["weights"], merged["deductions"])
    if errors:
        raise InvalidData("the scheme was not saved: " + ", ".join(sorted(errors)), errors)
    if (merged["name"].strip(), _cleaned(merged["weights"]), _cleaned(merged["deductions"])) == (
            previous.name, previous.weights, previous.deductions):
        return previous  # nothing changes: no new version
    old = _values(previous)
    row = AssessmentScheme(code=code, version=previous.version + 1, name=merged["name"].strip(),
                           weights=_cleaned(merged["weights"]), deductions=_cleaned(merged["deductions"]),
                           created_by_id=getattr(actor, "id", None))
    _saved(row, active=previous.active)
    audit.record(actor, "assessment_scheme", code, "update", old, _values(row))
    return row


def activate(code: str, actor) -> AssessmentScheme:
    """The scheme's latest version scores the ranking from now on."""
    row = latest(code)
    if row.active:
        return row
    before = _active_row()
    if before is not None:
        audit.record(actor, "assessment_scheme", before.code, "update", _values(before),
                     {**_values(before), "active": False})
    old = _values(row)
    _saved(row, active=True)
    audit.record(actor, "assessment_scheme", code, "update", old, _values(row))
    return row
