"""SQL conditions on case_record that the inbox and the case list both filter by: request type,
class, territory (its subtree) and registration days (local days of TIMEZONE)."""
from datetime import date

from sqlalchemy import any_, func, select

from app.cases.models import Case
from app.extensions import db
from app.organisation.models import Category, Territory
from app.statistics.filters import utc_bounds

_cases, _territories, _categories = Case.__table__, Territory.__table__, Category.__table__
_EARLIEST, _LATEST = date(2000, 1, 1), date(2200, 12, 31)


def request_type_is(request_type: str):
    return _cases.c.request_type == request_type


def class_is(klass: str):
    """The category's class, as a subquery (no join: the case list and the inbox page by id)."""
    return _cases.c.category_id.in_(select(_categories.c.id).where(_categories.c.klass == klass))


def in_territory(path: str):
    """The territory with this materialised path and everything below it."""
    return _cases.c.territory_id.in_(
        select(_territories.c.id).where(_territories.c.path.startswith(path, autoescape=True)))


def territory_path(code: str) -> str | None:
    """Read first, so the database plans with the real prefix (bench/README.md)."""
    return db.session.scalar(select(_territories.c.path).where(_territories.c.code == code))


def registered_between(first: date | None, last: date | None) -> list:
    """Registered on the local days `first` to `last` (either may be open; days beyond the years
    2000–2200 count as those bounds)."""
    start, end = utc_bounds(min(max(first or _EARLIEST, _EARLIEST), _LATEST),
                            min(max(last or _LATEST, _EARLIEST), _LATEST))
    return ([_cases.c.created_at >= start] if first else []) + ([_cases.c.created_at < end] if last else [])


def one_of(case_ids):
    """The case is one of `case_ids` (a SELECT of case ids). On PostgreSQL `id = ANY(ARRAY(…))`: the
    ids are read first, and a newest-first page walks the case index backward over them alone. As
    `IN (…)` the planner may walk every case newest-first instead, probing the set: the red cases
    are days to weeks old, so it passed a few hundred thousand newer ones first (0.6–1.6 s at
    3,000,000 cases, bench/README.md "Scale")."""
    if db.session.get_bind().dialect.name == "postgresql":
        return _cases.c.id == any_(func.array(case_ids.scalar_subquery()))
    return _cases.c.id.in_(case_ids)
