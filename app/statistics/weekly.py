"""周分析、周督办、周催办 (R31): once a week, for every county, the cases its leaders must
supervise, delivered to each of them as one notification with a link to the list.

The list holds the county's open cases that are
* **overdue** (超期未办理): an open step is past its deadline now;
* **long unsolved** (长期未解决): registered more than `long_unsolved_working_days` working days ago
  (the statistics settings; the working-day calendar counts the days);
* **group** (群体性) or **repeated** (多次反映): in a hot spot of the last WINDOW_DAYS with
  GROUP_REQUESTERS or more requesters, or made again by the same requester or for the same address
  (app/statistics/hotspots.py; hot spots of two requests or more).

When: the scheduler polls (WEEKLY_ANALYSIS_POLL_SECONDS) and delivers a week's analysis once it is
past WEEKLY_ANALYSIS_AT (default "mon 08:00", local time) of that week, so a scheduler that was
down at that moment catches up when it starts. One row per county and week (a unique key) makes
the delivery happen once however many schedulers run or however often the job runs: the second
insert fails and its notifications roll back with it.
"""
import logging
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Membership, User
from app.cases.models import Case
from app.clock import utcnow
from app.engine.errors import Conflict
from app.engine.transaction import transaction
from app.extensions import db
from app.notifications.outbox import enqueue
from app.organisation.models import Territory, Unit
from app.statistics import figures, hotspots, settings
from app.statistics.analysis_models import WeeklyAnalysis, WeeklyAnalysisCase
from app.statistics.filters import Filters, Scope, utc_bounds
from app.statistics.links import local_day, site_url
from app.timelimits import calendar

log = logging.getLogger(__name__)

#: Group and repeated requests are looked for among the requests of the last 30 days.
WINDOW_DAYS = 30
REASONS = ("overdue", "long_unsolved", "group", "repeated")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KIND = "weekly_analysis"


def parse_when(value: str) -> tuple[int, time]:
    """"mon 08:00" -> (0, 08:00); anything else stops the start (app/config.py)."""
    try:
        day, clock = str(value).strip().lower().split()
        return WEEKDAYS.index(day), time.fromisoformat(clock)
    except ValueError:
        raise ValueError(f"WEEKLY_ANALYSIS_AT must be a weekday and a time like 'mon 08:00', not {value!r}") \
            from None


def week_due(now: datetime) -> tuple[date, datetime]:
    """The Monday of the local week of `now`, and when (naive UTC) that week's analysis is due."""
    today = local_day(now)
    monday = today - timedelta(days=today.weekday())
    weekday, at = parse_when(current_app.config["WEEKLY_ANALYSIS_AT"])
    start, _end = utc_bounds(monday + timedelta(days=weekday), monday + timedelta(days=weekday))
    return monday, start + timedelta(hours=at.hour, minutes=at.minute)


def long_unsolved_since(now: datetime, working_days: int) -> datetime:
    """Open cases registered before this (naive UTC) have been open longer than `working_days`:
    the first local day whose limit has not passed yet, found by halving (the limit grows with the
    day of registration)."""
    today = local_day(now)
    low, high = today - timedelta(days=3 * working_days + 60), today
    while low < high:
        middle = low + (high - low) // 2
        if calendar.add(utc_bounds(middle, middle)[0], working_days, "working_days") < now:
            low = middle + timedelta(days=1)
        else:
            high = middle
    return utc_bounds(low, low)[0]


def analyse(county: Territory, now: datetime) -> dict[int, list[str]]:
    """case id -> the reasons it is on the county's list."""
    first = local_day(now) - timedelta(days=WINDOW_DAYS)
    start, end = utc_bounds(first, local_day(now))
    window = Filters(first, local_day(now), start, end)
    scope = Scope((county.path,))
    within = figures.conditions(figures.SOURCES["cases"], window, scope, unit_figures=False)
    reasons: dict[int, list[str]] = {}

    def add(reason: str, ids) -> None:
        for case_id in ids:
            reasons.setdefault(case_id, []).append(reason)

    add("overdue", db.session.scalars(select(Case.id).where(*within, figures.COUNTS["overdue_now"].where())))
    since = long_unsolved_since(now, settings.current()["long_unsolved_working_days"])
    add("long_unsolved", db.session.scalars(select(Case.id).where(*within, Case.status == "open",
                                                                  Case.created_at < since)))
    spots = hotspots.find(window, scope, 2)
    add("group", [r.id for spot in spots if spot.group for r in spot.requests if r.status == "open"])
    add("repeated", [r.id for spot in spots for r in spot.repeated if r.status == "open"])
    return reasons


def county_leaders(county: Territory) -> list[User]:
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id).join(Unit, Unit.id == Membership.unit_id)
        .where(Unit.territory_id == county.id, Membership.role == "leader", User.active.is_(True))
        .order_by(User.id).distinct()))


def link(analysis_id: int) -> str:
    return site_url(f"/statistics/weekly/{analysis_id}")


def _deliver(county: Territory, week: date, now: datetime) -> WeeklyAnalysis:
    found = analyse(county, now)
    counts = {reason: sum(reason in why for why in found.values()) for reason in REASONS}
    row = WeeklyAnalysis(territory_id=county.id, week=week, overdue=counts["overdue"],
                         long_unsolved=counts["long_unsolved"], group_cases=counts["group"],
                         repeated=counts["repeated"])
    db.session.add(row)
    db.session.flush()  # a second delivery of the week fails here, before anything is sent
    for case_id, why in sorted(found.items()):
        db.session.add(WeeklyAnalysisCase(analysis_id=row.id, case_id=case_id, reasons=",".join(why)))
    with force_locale("zh_CN"):
        text = _("Weekly analysis of %(county)s, week of %(week)s: %(overdue)s overdue, %(long)s long "
                 "unsolved, %(group)s group and %(repeated)s repeated cases. List: %(link)s",
                 county=county.name, week=week.isoformat(), overdue=counts["overdue"],
                 long=counts["long_unsolved"], group=counts["group"], repeated=counts["repeated"],
                 link=link(row.id))
        subject = _("Weekly analysis of %(county)s", county=county.name)
    enqueue(KIND, text, users=county_leaders(county), subject=subject)
    return row


def run(now: datetime | None = None) -> int:
    """Deliver this week's analysis of every county that has none yet, once it is due; how many."""
    now = now or utcnow()
    week, due = week_due(now)
    if now < due:
        return 0
    done = set(db.session.scalars(select(WeeklyAnalysis.territory_id).where(WeeklyAnalysis.week == week)))
    counties = db.session.scalars(select(Territory).where(and_(Territory.level == "county"))
                                  .order_by(Territory.code)).all()
    delivered = 0
    for county in counties:
        if county.id in done:
            continue
        try:
            with transaction():
                _deliver(county, week, now)
            delivered += 1
        except (IntegrityError, Conflict):  # another scheduler delivered it, or holds it now
            log.info("weekly analysis of %s for %s: delivered by another scheduler", county.code, week)
    return delivered


def cases(analysis_id: int, paths: tuple[str, ...] | None) -> tuple[WeeklyAnalysis, Territory, list] | None:
    """An analysis and its cases for a viewer whose territories are `paths` (None: the city);
    None when it does not exist or its county is outside them."""
    row = db.session.get(WeeklyAnalysis, analysis_id)
    if row is None:
        return None
    county = db.session.get(Territory, row.territory_id)
    if paths is not None and not any(county.path.startswith(path) for path in paths):
        return None
    listed = db.session.execute(
        select(Case.number, Case.title, Case.status, Case.created_at, WeeklyAnalysisCase.reasons)
        .join(WeeklyAnalysisCase, WeeklyAnalysisCase.case_id == Case.id)
        .where(WeeklyAnalysisCase.analysis_id == row.id).order_by(Case.id)).all()
    return row, county, listed
