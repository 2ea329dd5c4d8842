"""Frozen rankings: at the end of each assessment period (the assessment month,
`month_start_day`) every unit's figures, rates, score and rank, and the scheme version that scored
them, are written once into snapshot tables. A published ranking then stays as published: a late
rating or an accepted appeal changes the live figures (GET /statistics/units), never a snapshot.

The scheduler's hourly job freezes every ended period not frozen yet (from the period of the first
case, at most MAX_CATCH_UP periods back); an administrator may freeze a chosen ended period at
once. Several schedulers may run: the unique (period_first, period_last) lets one freeze win and
the others find it frozen.
"""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.assessment.models import AssessmentSnapshot, AssessmentSnapshotRow
from app.audit import service as audit
from app.cases.models import Case
from app.engine.errors import Conflict, InvalidData, NotFound
from app.engine.transaction import transaction
from app.extensions import db
from app.organisation.models import Territory, Unit
from app.statistics import scoring, service, settings
from app.statistics.filters import Scope, assessment_month, parse, scope_of, today

#: How many ended periods the job looks back over (three years of months).
MAX_CATCH_UP = 36
#: What a snapshot keeps of each unit's ranking row besides its own columns.
_OWN = ("unit_code", "unit_name", "level", "rank", "score", "drill_down")


def _frozen_message(first: date, last: date) -> str:
    return f"the assessment period {first.isoformat()} – {last.isoformat()} is frozen already"


def freeze(first: date, last: date, actor: User | None) -> AssessmentSnapshot:
    """Freeze the ranking of the period `first`..`last` (local days) in the caller's transaction;
    Conflict when it is frozen already (also when another freeze of it committed first)."""
    if db.session.scalar(select(AssessmentSnapshot.id).where(AssessmentSnapshot.period_first == first,
                                                             AssessmentSnapshot.period_last == last)):
        raise Conflict(_frozen_message(first, last))
    scheme = scoring.active_scheme()
    weights = settings.current()
    rows = service.ranking(parse({"from": first.isoformat(), "to": last.isoformat()}), Scope(None), "score",
                           scheme)
    snapshot = AssessmentSnapshot(period_first=first, period_last=last, scheme_id=scheme.id,
                                  scheme=scheme.as_dict(), frozen_by_id=getattr(actor, "id", None),
                                  settings={k: weights[k] for k in ("basically_satisfied_weight",
                                                                    "basically_resolved_weight")})
    db.session.add(snapshot)
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict(_frozen_message(first, last)) from None
    codes = {row["unit_code"] for row in rows}
    unit_ids = dict(db.session.execute(select(Unit.code, Unit.id).where(Unit.code.in_(codes or [""]))).all())
    if rows:
        db.session.execute(insert(AssessmentSnapshotRow), [
            {"snapshot_id": snapshot.id, "unit_id": unit_ids[row["unit_code"]], "unit_code": row["unit_code"],
             "unit_name": row["unit_name"], "level": row["level"], "rank": row["rank"], "score": row["score"],
             "figures": {k: v for k, v in row.items() if k not in _OWN}} for row in rows])
    audit.record(actor, "assessment_snapshot", f"{first.isoformat()}..{last.isoformat()}", "create", None,
                 {"units": len(rows), "scheme": scheme.code, "scheme_version": scheme.version})
    return snapshot


def freeze_now(day: date, actor: User) -> AssessmentSnapshot:
    """An administrator freezes the assessment period that holds `day`, which must have ended."""
    first, last = assessment_month(day)
    if last >= today():
        raise InvalidData("the period has not ended", {"day": [
            f"the assessment period {first.isoformat()} – {last.isoformat()} has not ended yet"]})
    return freeze(first, last, actor)


def _local_day(moment: datetime) -> date:
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


def ended_unfrozen() -> list[tuple[date, date]]:
    """The ended periods since the first case's, not frozen yet, oldest first."""
    first_case = db.session.scalar(select(func.min(Case.created_at)))
    if first_case is None:
        return []
    since = _local_day(first_case)
    frozen = {tuple(row) for row in db.session.execute(
        select(AssessmentSnapshot.period_first, AssessmentSnapshot.period_last))}
    periods = []
    first, _ = assessment_month(today())
    for _ in range(MAX_CATCH_UP):
        first, last = assessment_month(first - timedelta(days=1))
        if last < since:
            break
        if (first, last) not in frozen:
            periods.append((first, last))
    return periods[::-1]


def freeze_ended() -> list[AssessmentSnapshot]:
    """The scheduler's job: freeze every ended period not frozen yet, each in its own transaction;
    a period another scheduler froze meanwhile is skipped."""
    done = []
    for first, last in ended_unfrozen():
        try:
            with transaction():
                done.append(freeze(first, last, None))
        except Conflict:
            continue
    return done


# --- reading -------------------------------------------------------------------------------------

def list_snapshots(limit: int = 50, offset: int = 0) -> list:
    """Frozen rankings, the latest period first, with who froze them (null: the scheduler)."""
    units = (select(func.count()).where(AssessmentSnapshotRow.snapshot_id == AssessmentSnapshot.id)
             .scalar_subquery())
    return list(db.session.execute(
        select(AssessmentSnapshot, User.username.label("frozen_by"), units.label("units"))
        .outerjoin(User, User.id == AssessmentSnapshot.frozen_by_id)
        .order_by(AssessmentSnapshot.period_first.desc(), AssessmentSnapshot.id.desc())
        .limit(limit).offset(offset)))


def _visible_rows(scope: Scope):
    """The units' rows a viewer may see: all for the city, a territory's units for its staff, a
    unit's own row for a unit's staff (ranks stay those of the whole ranking)."""
    if scope.unit_ids is not None:
        return AssessmentSnapshotRow.unit_id.in_(scope.unit_ids)
    if scope.paths is None:
        return None
    return AssessmentSnapshotRow.unit_id.in_(
        select(Unit.id).join(Territory, Territory.id == Unit.territory_id)
        .where(or_(*(Territory.path.startswith(path, autoescape=True) for path in scope.paths))))


def get(user: User, snapshot_id: int) -> dict:
    """One frozen ranking with the rows the user may see, by rank."""
    found = db.session.execute(
        select(AssessmentSnapshot, User.username.label("frozen_by"))
        .outerjoin(User, User.id == AssessmentSnapshot.frozen_by_id)
        .where(AssessmentSnapshot.id == snapshot_id)).first()
    if found is None:
        raise NotFound(f"no snapshot {snapshot_id}")
    visible = _visible_rows(scope_of(user))
    rows = db.session.scalars(select(AssessmentSnapshotRow).where(
        AssessmentSnapshotRow.snapshot_id == snapshot_id, *([visible] if visible is not None else []))
        .order_by(AssessmentSnapshotRow.rank))
    return {"snapshot": found.AssessmentSnapshot, "frozen_by": found.frozen_by,
            "rows": [{"unit_code": r.unit_code, "unit_name": r.unit_name, "level": r.level, "rank": r.rank,
                      "score": r.score, **r.figures} for r in rows]}
