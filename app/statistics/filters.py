"""What a statistics question covers: a period of local days and the cuts (territory subtree, unit,
category, channel, request type, class, level), checked once and turned into ids; and whose
figures a viewer may see (`Scope`): a territory-wide role its territory's subtree, a unit role
its own units' figures only."""
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from app.accounts.models import User
from app.cases.access import scoped_units
from app.clock import utcnow
from app.engine.errors import Forbidden, InvalidData
from app.extensions import db
from app.organisation.models import CLASSES, UNIT_LEVELS, Category, Territory, Unit
from app.statistics import settings
from app.timelimits.models import REQUEST_TYPES

MAX_DAYS = 3 * 366 + 1
#: The cuts, as query parameters.
CUTS = ("territory", "unit", "category", "channel", "request_type", "klass", "level")


@dataclass(frozen=True)
class Filters:
    first: date  # local days, inclusive
    last: date
    start: datetime  # the same as naive UTC: [start, end)
    end: datetime
    territory_path: str | None = None
    territory_code: str | None = None
    unit_ids: tuple[int, ...] | None = None
    category_id: int | None = None
    channel: str | None = None
    request_type: str | None = None
    klass: str | None = None
    level: str | None = None
    #: as given, for links to the same figures or cases (drill-down)
    args: dict = field(default_factory=dict, compare=False)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def today() -> date:
    return utcnow().replace(tzinfo=UTC).astimezone(_zone()).date()


def utc_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    zone = _zone()

    def at(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)

    return at(first), at(last + timedelta(days=1))


def assessment_month(day: date, start_day: int | None = None) -> tuple[date, date]:
    """The assessment month that holds `day`: from `start_day` of a month to the day before it in
    the next (month_start_day 1: the calendar month)."""
    start_day = start_day or settings.current()["month_start_day"]
    first = day.replace(day=start_day) if day.day >= start_day else _month_before(day).replace(day=start_day)
    following = (first.replace(day=1) + timedelta(days=32)).replace(day=start_day)
    return first, following - timedelta(days=1)


def _month_before(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def _day(errors: dict, name: str, value) -> date | None:
    if value in (None, ""):
        return None
    try:
        parsed = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        errors[name] = ["a date as YYYY-MM-DD"]
        return None
    if not 2000 <= parsed.year <= 2200:
        errors[name] = ["a date in the years 2000–2200"]
        return None
    return parsed


def parse(args: dict) -> Filters:
    """Filters from query parameters (`from`, `to` and the CUTS); every problem at once."""
    errors: dict[str, list[str]] = {}
    first, last = _day(errors, "from", args.get("from")), _day(errors, "to", args.get("to"))
    if not errors:
        if first is None and last is None:
            first, last = assessment_month(today())
        first, last = first or last.replace(day=1), last or today()
        if last < first:
            errors["to"] = ["on or after from"]
        elif (last - first).days >= MAX_DAYS:
            errors["to"] = [f"at most {MAX_DAYS} days after from"]
    values = {name: (str(args.get(name)).strip() or None) if args.get(name) is not None else None
              for name in CUTS}
    territory = unit = category = None
    if values["territory"]:
        territory = db.session.execute(select(Territory.path, Territory.code)
                                       .where(Territory.code == values["territory"])).first()
        if territory is None:
            errors["territory"] = [f"no territory {values['territory']}"]
    if values["unit"]:
        unit = db.session.scalar(select(Unit.id).where(Unit.code == values["unit"]))
        if unit is None:
            errors["unit"] = [f"no unit {values['unit']}"]
    if values["category"]:
        category = db.session.scalar(select(Category.id).where(Category.code == values["category"]))
        if category is None:
            errors["category"] = [f"no category {values['category']}"]
    for name, choices in (("request_type", REQUEST_TYPES), ("klass", CLASSES), ("level", UNIT_LEVELS)):
        if values[name] and values[name] not in choices:
            errors[name] = ["one of: " + ", ".join(choices)]
    if values["channel"] and len(values["channel"]) > 40:
        errors["channel"] = ["at most 40 characters"]
    if errors:
        raise InvalidData("some filters are invalid: " + ", ".join(sorted(errors)), errors)
    start, end = utc_bounds(first, last)
    given = {"from": first.isoformat(), "to": last.isoformat(), **{k: v for k, v in values.items() if v}}
    return Filters(first, last, start, end, territory.path if territory else None,
                   territory.code if territory else None, (unit,) if unit else None, category,
                   values["channel"], values["request_type"], values["klass"], values["level"], given)


@dataclass(frozen=True)
class Scope:
    """Whose figures: every case under `paths` (None: the whole city), or only what went through
    `unit_ids` (a unit's own figures)."""

    paths: tuple[str, ...] | None
    unit_ids: tuple[int, ...] | None = None


def scope_of(user: User) -> Scope:
    territory_units, unit_ids = scoped_units(user)
    if territory_units:
        rows = db.session.execute(select(Territory.path, Territory.parent_id)
                                  .join(Unit, Unit.territory_id == Territory.id)
                                  .where(Unit.id.in_(territory_units))).all()
        if not rows or any(parent is None for _, parent in rows):
            return Scope(None)
        return Scope(tuple(sorted(path for path, _ in rows)))
    own = tuple(unit_ids)
    if not own:
        raise Forbidden("statistics are for platform, territory and unit staff")
    return Scope(None, own)


def narrowed(filters: Filters, scope: Scope) -> Filters:
    """A unit's staff see their own units' figures, whatever unit they asked for."""
    if scope.unit_ids is None:
        return filters
    wanted = filters.unit_ids
    unit_ids = tuple(u for u in scope.unit_ids if wanted is None or u in wanted)
    return Filters(**{**{f: getattr(filters, f) for f in Filters.__dataclass_fields__},
                      "unit_ids": unit_ids or (-1,)})
