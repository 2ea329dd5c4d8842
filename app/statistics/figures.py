"""Every figure, defined once: what it counts, in which table, on which date. The summary, the
breakdowns, the ranking and the drill-down to cases all read these definitions, so a number and
the list of cases behind it cannot disagree. The words for people are in docs/statistics.md.

A count belongs to a source — cases, units' assignments, ratings, accountability referrals — and
is dated by one of its columns (a case is received on `created_at`, closed on `closed_at`, a
rating counts in the period it was given). A rate divides weighted counts by a count.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    Column,
    DateTime,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.sql import ColumnElement, visitors

from app.cases.models import Case
from app.casework.models import AccountabilityReferral
from app.clock import utcnow
from app.engine.models import HumanTask
from app.extensions import db
from app.organisation.models import CLASSES, Category, Territory
from app.statistics.filters import Filters, Scope
from app.statistics.models import CaseAssignment, CaseRating

_cases, _assignments, _ratings = Case.__table__, CaseAssignment.__table__, CaseRating.__table__
_referrals, _tasks = AccountabilityReferral.__table__, HumanTask.__table__
_territories, _categories = Territory.__table__, Category.__table__
LEVELS = ("village", "township", "county", "city")


@dataclass(frozen=True)
class Source:
    table: object
    #: the column naming the unit a row belongs to (None: the case's units, through assignments)
    unit: object | None
    level: object
    #: the unit a row counts for in the units' ranking (a case: the unit whose answer closed it)
    ranked_unit: object
    #: what a unit's own figures leave out of this source (None: nothing)
    unit_only: Callable[[], ColumnElement] | None = None


SOURCES = {
    "cases": Source(_cases, None, _cases.c.level, _cases.c.resolved_unit_id),
    "assignments": Source(_assignments, _assignments.c.unit_id, _assignments.c.level, _assignments.c.unit_id),
    # an accepted appeal (申诉) takes the rating out of the unit's rates
    "ratings": Source(_ratings, _ratings.c.unit_id, _ratings.c.level, _ratings.c.unit_id,
                      lambda: ~_ratings.c.excluded),
    "referrals": Source(_referrals, _referrals.c.unit_id, _cases.c.level, _referrals.c.unit_id),
}


def _overdue_now() -> ColumnElement:
    # IN, not a correlated EXISTS: the overdue steps are looked up once, not once per open case
    return _cases.c.id.in_(select(_tasks.c.case_id)
                           .where(_tasks.c.status == "open", _tasks.c.due_at < utcnow()))


@dataclass(frozen=True)
class Count:
    name: str
    source: str
    #: the dating column; None: counted as things stand now, whatever the period
    date: object | None
    where: Callable[[], ColumnElement] = true


def _once(where: Callable[[], ColumnElement]) -> Callable[[], ColumnElement]:
    """A duplicate merged into a main case (重复件, app/cases/merging.py) is counted once, as its
    main case: it is never received, accepted or closed on its own."""
    return lambda: and_(_cases.c.merged_into_id.is_(None), where())


def _case(name: str, date, where: Callable[[], ColumnElement] = true) -> Count:
    return Count(name, "cases", date, _once(where))


COUNTS = {c.name: c for c in (
    _case("received", _cases.c.created_at),
    _case("accepted", _cases.c.created_at,
          lambda: or_(_cases.c.dispatched_at.is_not(None), _cases.c.intake_answered)),
    _case("not_accepted", _cases.c.created_at, lambda: _cases.c.outcome == "not_accepted"),
    _case("answered_at_intake", _cases.c.created_at, lambda: _cases.c.intake_answered),
    _case("extended", _cases.c.created_at, lambda: _cases.c.extensions > 0),
    _case("dispatched", _cases.c.dispatched_at),
    _case("responded_on_time", _cases.c.dispatched_at, lambda: _cases.c.responded_on_time.is_(True)),
    _case("closed", _cases.c.closed_at),
    _case("closed_on_time", _cases.c.closed_at, lambda: ~_cases.c.late_reply),
    _case("restarted", _cases.c.restarted_at),
    _case("open", None, lambda: _cases.c.status == "open"),
    _case("overdue_now", None, lambda: and_(_cases.c.status == "open", _overdue_now())),
    Count("assignments", "assignments", _assignments.c.assigned_at),
    Count("unit_responded_on_time", "assignments", _assignments.c.assigned_at,
          lambda: _assignments.c.responded_on_time.is_(True)),
    Count("returned", "assignments", _assignments.c.returned_at),
    Count("returns_upheld", "assignments", _assignments.c.returned_at,
          lambda: ~_assignments.c.return_overruled),
    Count("returns_overruled", "assignments", _assignments.c.returned_at,
          lambda: _assignments.c.return_overruled),
    Count("escalated", "assignments", _assignments.c.escalated_at),
    Count("second_handled", "assignments", _assignments.c.assigned_at,
          lambda: _assignments.c.via == "second_handling"),
    Count("replied", "assignments", _assignments.c.replied_at),
    Count("replied_on_time", "assignments", _assignments.c.replied_at, lambda: ~_assignments.c.late_reply),
    Count("late_replies", "assignments", _assignments.c.replied_at, lambda: _assignments.c.late_reply),
    Count("rated", "ratings", _ratings.c.rated_at),
    Count("satisfied", "ratings", _ratings.c.rated_at, lambda: _ratings.c.satisfaction == "satisfied"),
    Count("basically_satisfied", "ratings", _ratings.c.rated_at,
          lambda: _ratings.c.satisfaction == "basically_satisfied"),
    Count("resolved", "ratings", _ratings.c.rated_at, lambda: _ratings.c.resolution == "resolved"),
    Count("basically_resolved", "ratings", _ratings.c.rated_at,
          lambda: _ratings.c.resolution == "basically_resolved"),
    Count("referred", "referrals", _referrals.c.created_at),
)}


@dataclass(frozen=True)
class Rate:
    name: str
    #: (count, setting whose value weighs it, or None for 1)
    numerator: tuple[tuple[str, str | None], ...]
    denominator: str


RATES = {r.name: r for r in (
    Rate("acceptance_rate", (("accepted", None),), "received"),
    Rate("completion_rate", (("closed", None),), "received"),
    Rate("satisfaction_rate", (("satisfied", None), ("basically_satisfied", "basically_satisfied_weight")),
         "rated"),
    Rate("resolution_rate", (("resolved", None), ("basically_resolved", "basically_resolved_weight")),
         "rated"),
    Rate("timeliness_rate", (("closed_on_time", None),), "closed"),
    Rate("response_rate", (("responded_on_time", None),), "dispatched"),
    Rate("return_rate", (("returned", None),), "assignments"),
    Rate("redo_rate", (("second_handled", None),), "closed"),
)}
#: A unit's own rates: its assignments, its answers' ratings, its replies.
UNIT_RATES = {r.name: r for r in (
    Rate("completion_rate", (("closed", None),), "assignments"),
    Rate("satisfaction_rate", RATES["satisfaction_rate"].numerator, "rated"),
    Rate("resolution_rate", RATES["resolution_rate"].numerator, "rated"),
    Rate("timeliness_rate", (("replied_on_time", None),), "replied"),
    Rate("response_rate", (("unit_responded_on_time", None),), "answerable"),
    Rate("return_rate", (("returned", None),), "assignments"),
)}


def rate(counts: dict, definition: Rate, weights: dict) -> float | None:
    """In percent with two decimals; None when there is nothing to divide by."""
    denominator = counts.get(definition.denominator) or 0
    if not denominator:
        return None
    numerator = sum(counts.get(name, 0) * (weights[weight] if weight else 1.0)
                    for name, weight in definition.numerator)
    return round(100.0 * numerator / denominator, 2)


# --- SQL -----------------------------------------------------------------------------------------

def _in_subtrees(paths):
    return or_(false(), *(_territories.c.path.startswith(path, autoescape=True) for path in paths))


def subtree(paths, territory=_cases.c.territory_id) -> ColumnElement:
    return territory.in_(select(_territories.c.id).where(_in_subtrees(paths)))


def within(paths, territory=_cases.c.territory_id) -> ColumnElement:
    """`subtree` with the territories looked up first and bound as values: with the subquery,
    PostgreSQL guesses a handful of territories and plans for a few cases (a district's drill-down
    sorted all its 124,000 closed cases for a page of 50: bench/README.md, Statistics)."""
    return territory.in_(db.session.scalars(select(_territories.c.id).where(_in_subtrees(paths))).all())


def conditions(source: Source, filters: Filters, scope: Scope, unit_figures: bool) -> list[ColumnElement]:
    """The cuts and the viewer's scope, on a source joined with its case."""
    found = []
    if scope.paths is not None:
        found.append(within(scope.paths))
    if filters.territory_path:
        found.append(within([filters.territory_path]))
    if filters.unit_ids is not None:
        if source.unit is None:
            found.append(exists().where(_assignments.c.case_id == _cases.c.id,
                                        _assignments.c.unit_id.in_(filters.unit_ids)))
        else:
            found.append(source.unit.in_(filters.unit_ids))
    if source.unit_only is not None and (unit_figures or filters.unit_ids is not None):
        found.append(source.unit_only())
    if filters.category_id is not None:
        found.append(_cases.c.category_id == filters.category_id)
    if filters.klass:
        found.append(_cases.c.category_id.in_(select(_categories.c.id)
                                              .where(_categories.c.klass == filters.klass)))
    for column, value in ((_cases.c.channel, filters.channel), (_cases.c.request_type, filters.request_type),
                          (source.level, filters.level)):
        if value:
            found.append(column == value)
    return found


def in_period(count: Count, start: datetime, end: datetime) -> ColumnElement:
    if count.date is None:
        return count.where()
    return and_(count.date >= start, count.date < end, count.where())


def from_clause(source: Source, with_case: bool = True):
    if source.table is _cases or not with_case:
        return source.table
    return source.table.join(_cases, _cases.c.id == source.table.c.case_id)


def _reads_cases(*elements) -> bool:
    return any(isinstance(found, Column) and found.table is _cases
               for element in elements for found in visitors.iterate(element))


def scanned(counts: list[Count], start: datetime, end: datetime) -> ColumnElement:
    """The rows any of `counts` may count: their dating columns' ranges (indexed), or what an
    undated count counts. The counts' own conditions go into their FILTER clauses."""
    ranges = {count.date.name: and_(count.date >= start, count.date < end)
              for count in counts if count.date is not None}
    return or_(*ranges.values(), *(count.where() for count in counts if count.date is None))


def aggregate(names: list[str], filters: Filters, scope: Scope, key=None,
              unit_figures: bool = False, extra: list | None = None) -> dict:
    """{group key: {count: n}} for counts of ONE source, grouped by `key` (None: one group)."""
    counts = [COUNTS[name] for name in names]
    source = SOURCES[counts[0].source]
    periods = [in_period(c, filters.start, filters.end) for c in counts]
    columns = [func.count().filter(p).label(c.name) for c, p in zip(counts, periods, strict=True)]
    group = (key if key is not None else literal("all")).label("group_key")
    where = [*conditions(source, filters, scope, unit_figures), *(extra or [])]
    statement = (select(group, *columns)
                 .select_from(from_clause(source, _reads_cases(group, *columns, *where)))
                 .where(*where, scanned(counts, filters.start, filters.end))
                 .group_by(group))
    if db.engine.dialect.name == "postgresql":
        # A year's aggregate is estimated dear enough to be JIT-compiled, which takes longer
        # (0.1–0.8 s) than running it (bench/README.md, section Statistics).
        db.session.execute(text("SET LOCAL jit = off"))
    return {row.group_key: {c.name: getattr(row, c.name) for c in counts}
            for row in db.session.execute(statement)}


def by_source(names) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name in names:
        grouped.setdefault(COUNTS[name].source, []).append(name)
    return grouped


def case_condition(name: str, filters: Filters, scope: Scope) -> ColumnElement:
    """The cases counted by count `name` (drill-down)."""
    return cases_counted([name], filters, scope)


def cases_counted(names: list[str], filters: Filters, scope: Scope) -> ColumnElement:
    """The cases counted by any of `names` (drill-down): on case_record itself, or through the
    source rows that belong to the case — one IN per source, which the database answers with one
    semi-join (an OR of INs it would look up once per case)."""
    found = []
    for source_name, source_names in by_source(names).items():
        source = SOURCES[source_name]
        own = conditions(source, filters, scope, unit_figures=False)
        periods = or_(*(in_period(COUNTS[n], filters.start, filters.end) for n in source_names))
        if source.table is _cases:
            found.append(and_(periods, *own))
        else:
            found.append(_cases.c.id.in_(select(source.table.c.case_id)
                                         .select_from(from_clause(source, _reads_cases(*own)))
                                         .where(periods, *own)))
    return or_(*found)


def matches(name: str, filters: Filters, scope: Scope):
    """(case id, how many rows of the count belong to it): what the drill-down shows next to each
    case when the count is of assignments, ratings or referrals."""
    count = COUNTS[name]
    source = SOURCES[count.source]
    return (select(source.table.c.case_id, func.count().label("matches")).select_from(from_clause(source))
            .where(in_period(count, filters.start, filters.end),
                   *conditions(source, filters, scope, unit_figures=False))
            .group_by(source.table.c.case_id))


def level_key():
    """The level of the unit holding a case — for a closed case, the level whose answer closed it
    (the same column the `level` cut reads, so a level's share drills down to its cases)."""
    return case(*[(_cases.c.level == level, level) for level in LEVELS], else_=None)


# --- what counts are grouped by ----------------------------------------------------------------

#: Breakdowns by the date of each count.
PERIODS = ("month", "week", "day")


def local_time(column, zone: str | None = None, dialect: str | None = None) -> ColumnElement:
    """A naive-UTC column as the platform's local time (TIMEZONE). SQLite has no time zones: it
    shifts by the zone's offset now."""
    zone = zone or current_app.config["TIMEZONE"]
    if (dialect or db.engine.dialect.name) == "postgresql":
        return func.timezone(zone, func.timezone("UTC", column))
    hours = int(datetime.now(ZoneInfo(zone)).utcoffset() / timedelta(hours=1))
    return func.datetime(column, f"{hours:+d} hours")


def period_key(local, period: str) -> ColumnElement:
    """The day, week (its Monday) or month of a local time, as text."""
    if db.engine.dialect.name == "postgresql":
        truncated = func.date_trunc(period, cast(local, DateTime))
        return func.to_char(truncated, "YYYY-MM" if period == "month" else "YYYY-MM-DD")
    if period == "month":
        return func.strftime("%Y-%m", local)
    if period == "week":
        return func.date(local, "-6 days", "weekday 1")
    return func.date(local)


def klass_key(category_id) -> ColumnElement:
    return case(*[(category_id.in_(select(_categories.c.id).where(_categories.c.klass == klass)), klass)
                  for klass in CLASSES], else_=None)


def territory_key(territory_id, children) -> ColumnElement:
    """The code of the child territory (of `children`) whose subtree holds `territory_id`."""
    if not children:
        return literal(None)
    return case(*[(subtree([child.path], territory_id), child.code) for child in children], else_=None)


def key(by: str | None, source: Source, date=None, children=()) -> ColumnElement | None:
    """The SQL key of a breakdown `by` for a source's rows (None: the source has no such key);
    for a period, of the counts dated by `date`; for territory, one of `children`."""
    c = _cases.c
    if by is None:
        return literal("all")
    if by in PERIODS:
        return period_key(local_time(date), by)
    return {"level": source.level, "category": c.category_id, "channel": c.channel,
            "request_type": c.request_type, "klass": klass_key(c.category_id),
            "territory": territory_key(c.territory_id, children), "unit": source.ranked_unit,
            "resolved_level": level_key() if source.table is _cases else None}[by]
