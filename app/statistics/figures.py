"""Every figure, defined once: what it counts, in which table, on which date. The summary, the
breakdowns, the ranking and the drill-down to cases all read these definitions, so a number and
the list of cases behind it cannot disagree. The words for people are in docs/statistics.md.

A count belongs to a source — cases, units' assignments, ratings, accountability referrals — and
is dated by one of its columns (a case is received on `created_at`, closed on `closed_at`, a
rating counts in the period it was given). A rate divides weighted counts by a count.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, exists, false, func, literal, or_, select, true
from sqlalchemy.sql import ColumnElement

from app.cases.models import Case
from app.casework.models import AccountabilityReferral
from app.clock import utcnow
from app.engine.models import HumanTask
from app.organisation.models import Category, Territory
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


SOURCES = {
    "cases": Source(_cases, None, _cases.c.level),
    "assignments": Source(_assignments, _assignments.c.unit_id, _assignments.c.level),
    "ratings": Source(_ratings, _ratings.c.unit_id, _ratings.c.level),
    "referrals": Source(_referrals, _referrals.c.unit_id, _cases.c.level),
}


def _overdue_now() -> ColumnElement:
    return exists().where(_tasks.c.case_id == _cases.c.id, _tasks.c.status == "open",
                          _tasks.c.due_at < utcnow())


@dataclass(frozen=True)
class Count:
    name: str
    source: str
    #: the dating column; None: counted as things stand now, whatever the period
    date: object | None
    where: Callable[[], ColumnElement] = true


COUNTS = {c.name: c for c in (
    Count("received", "cases", _cases.c.created_at),
    Count("accepted", "cases", _cases.c.created_at,
          lambda: or_(_cases.c.dispatched_at.is_not(None), _cases.c.intake_answered)),
    Count("not_accepted", "cases", _cases.c.created_at, lambda: _cases.c.outcome == "not_accepted"),
    Count("answered_at_intake", "cases", _cases.c.created_at, lambda: _cases.c.intake_answered),
    Count("extended", "cases", _cases.c.created_at, lambda: _cases.c.extensions > 0),
    Count("dispatched", "cases", _cases.c.dispatched_at),
    Count("responded_on_time", "cases", _cases.c.dispatched_at, lambda: _cases.c.responded_on_time.is_(True)),
    Count("closed", "cases", _cases.c.closed_at),
    Count("closed_on_time", "cases", _cases.c.closed_at, lambda: ~_cases.c.late_reply),
    Count("restarted", "cases", _cases.c.restarted_at),
    Count("open", "cases", None, lambda: _cases.c.status == "open"),
    Count("overdue_now", "cases", None, lambda: and_(_cases.c.status == "open", _overdue_now())),
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

def _subtree(paths) -> ColumnElement:
    return _cases.c.territory_id.in_(select(_territories.c.id).where(
        or_(false(), *(_territories.c.path.startswith(path, autoescape=True) for path in paths))))


def conditions(source: Source, filters: Filters, scope: Scope, unit_figures: bool) -> list[ColumnElement]:
    """The cuts and the viewer's scope, on a source joined with its case."""
    found = []
    if scope.paths is not None:
        found.append(_subtree(scope.paths))
    if filters.territory_path:
        found.append(_subtree([filters.territory_path]))
    if filters.unit_ids is not None:
        if source.unit is None:
            found.append(exists().where(_assignments.c.case_id == _cases.c.id,
                                        _assignments.c.unit_id.in_(filters.unit_ids)))
        else:
            found.append(source.unit.in_(filters.unit_ids))
    if source.table is _ratings and (unit_figures or filters.unit_ids is not None):
        found.append(~_ratings.c.excluded)  # an accepted appeal: not the unit's rating
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


def from_clause(source: Source):
    if source.table is _cases:
        return _cases
    return source.table.join(_cases, _cases.c.id == source.table.c.case_id)


def aggregate(names: list[str], filters: Filters, scope: Scope, key=None,
              unit_figures: bool = False, extra: list | None = None) -> dict:
    """{group key: {count: n}} for counts of ONE source, grouped by `key` (None: one group)."""
    counts = [COUNTS[name] for name in names]
    source = SOURCES[counts[0].source]
    periods = [in_period(c, filters.start, filters.end) for c in counts]
    columns = [func.count().filter(p).label(c.name) for c, p in zip(counts, periods, strict=True)]
    group = (key if key is not None else literal("all")).label("group_key")
    statement = (select(group, *columns).select_from(from_clause(source))
                 .where(*conditions(source, filters, scope, unit_figures), or_(*periods), *(extra or []))
                 .group_by(group))
    from app.extensions import db

    return {row.group_key: {c.name: getattr(row, c.name) for c in counts}
            for row in db.session.execute(statement)}


def by_source(names) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name in names:
        grouped.setdefault(COUNTS[name].source, []).append(name)
    return grouped


def case_condition(name: str, filters: Filters, scope: Scope) -> ColumnElement:
    """The cases counted by count `name` (drill-down): on case_record itself, or through the
    source rows that belong to the case."""
    count = COUNTS[name]
    source = SOURCES[count.source]
    period = in_period(count, filters.start, filters.end)
    own = and_(true(), *conditions(source, filters, scope, unit_figures=False))
    if source.table is _cases:
        return and_(period, own)
    return and_(_cases.c.id.in_(select(source.table.c.case_id).select_from(from_clause(source))
                                .where(period, own)))


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
