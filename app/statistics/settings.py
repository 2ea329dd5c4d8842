"""Administrators' settings of the statistics: data, not code (docs/statistics.md).

* `basically_satisfied_weight`, `basically_resolved_weight`: how much a 基本满意 / 基本解决 counts in
  the satisfaction and resolution rates (Beijing's district practice: 0.9; default 1.0).
* `month_start_day`: the assessment month runs from this day of a month to the day before it in
  the next (e.g. 19: the 19th to the 18th); 1 is the calendar month.
* `long_unsolved_working_days`: an open case older than this is "long unsolved" (R31).
* `public_ranking`: publish the rates and the units' ranking (亮晒比) on a page without login
  (/ranking); off by default.
"""
import math
from typing import Any

from app.audit import service as audit
from app.engine.errors import InvalidData
from app.extensions import db
from app.timelimits.models import Setting

KEY = "statistics"
DEFAULTS: dict[str, Any] = {"basically_satisfied_weight": 1.0, "basically_resolved_weight": 1.0,
                            "month_start_day": 1, "long_unsolved_working_days": 30, "public_ranking": False}
#: name -> (smallest, largest, type)
RANGES = {"basically_satisfied_weight": (0.0, 1.0, float), "basically_resolved_weight": (0.0, 1.0, float),
          "month_start_day": (1, 28, int), "long_unsolved_working_days": (1, 365, int),
          "public_ranking": (False, True, bool)}


def current() -> dict[str, Any]:
    stored = db.session.get(Setting, KEY)
    values = dict(DEFAULTS)
    if stored is not None and isinstance(stored.value, dict):
        values.update({k: v for k, v in stored.value.items() if k in DEFAULTS and not _problem(k, v)})
    return values


def _problem(name: str, value: Any) -> str | None:
    low, high, kind = RANGES[name]
    if kind is bool:
        return None if isinstance(value, bool) else "must be true or false"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "must be a number"
    if kind is int and value != int(value):
        return "must be a whole number"
    if not low <= value <= high:
        return f"must be between {low} and {high}"
    return None


def update(changes: dict[str, Any], user) -> dict[str, Any]:
    """Change some settings (audited); every problem is refused at once and nothing changes."""
    errors = {name: ["not a statistics setting; settings are: " + ", ".join(DEFAULTS)]
              for name in changes if name not in DEFAULTS}
    errors |= {name: [problem] for name, value in changes.items()
               if name in DEFAULTS and (problem := _problem(name, value))}
    if errors:
        raise InvalidData("invalid statistics settings", errors)
    old = current()
    new = {**old, **{name: RANGES[name][2](value) for name, value in changes.items()}}
    row = db.session.get(Setting, KEY) or Setting(key=KEY)
    row.value, row.updated_by_id = new, getattr(user, "id", None)
    db.session.add(row)
    db.session.flush()
    audit.record(user, "setting", KEY, "update", old, new)
    return new
