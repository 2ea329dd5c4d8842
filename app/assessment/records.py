"""履职评估 and 移交问责 (R26) as lists: the platform's assessments of units after a failed second
handling and the accountability referrals they led to (app/casework/outcomes.py writes them),
filtered like every statistic — a period of local days (default: the current assessment month),
a unit, a territory's subtree (the case's territory) — within the viewer's scope: a territory's
staff see its subtree, a unit's staff their own unit's rows."""
from sqlalchemy import select

from app.accounts.models import User
from app.cases.models import Case
from app.casework.models import ASSESSMENT_RESULTS, AccountabilityReferral, UnitAssessment
from app.engine.errors import InvalidData
from app.extensions import db
from app.organisation.models import Unit
from app.statistics import figures
from app.statistics.filters import narrowed, parse, scope_of

_assessments, _referrals = UnitAssessment.__table__, AccountabilityReferral.__table__
_cases, _units = Case.__table__, Unit.__table__
ASSESSMENTS = figures.Source(_assessments, _assessments.c.unit_id, _cases.c.level, _assessments.c.unit_id)


def _conditions(user: User, args: dict, source: figures.Source, dated) -> tuple[list, dict]:
    scope = scope_of(user)
    filters = narrowed(parse(args), scope)
    return ([dated >= filters.start, dated < filters.end,
             *figures.conditions(source, filters, scope, unit_figures=False)], filters.args)


def assessments(user: User, args: dict, result: str | None = None, limit: int = 50, offset: int = 0) -> dict:
    """Unit assessments of the period, newest first, each with the referral it led to (if any)."""
    if result is not None and result not in ASSESSMENT_RESULTS:
        raise InvalidData("unknown result", {"result": ["one of: " + ", ".join(ASSESSMENT_RESULTS)]})
    where, given = _conditions(user, args, ASSESSMENTS, _assessments.c.created_at)
    if result:
        where.append(_assessments.c.result == result)
    rows = db.session.execute(
        select(_assessments.c.id, _assessments.c.result, _assessments.c.note, _assessments.c.created_at,
               _cases.c.number.label("case_number"), _units.c.code.label("unit_code"),
               _units.c.name.label("unit_name"), _referrals.c.id.label("referral_id"))
        .select_from(figures.from_clause(ASSESSMENTS).join(_units, _units.c.id == _assessments.c.unit_id)
                     .outerjoin(_referrals, _referrals.c.assessment_id == _assessments.c.id))
        .where(*where).order_by(_assessments.c.created_at.desc(), _assessments.c.id.desc())
        .limit(limit).offset(offset)).all()
    return {"filters": {**given, **({"result": result} if result else {})}, "rows": rows}


def referrals(user: User, args: dict, limit: int = 50, offset: int = 0) -> dict:
    """Accountability referrals of the period, newest first, with the two assessments behind each."""
    source = figures.SOURCES["referrals"]
    where, given = _conditions(user, args, source, _referrals.c.created_at)
    rows = db.session.execute(
        select(_referrals.c.id, _referrals.c.created_at, _referrals.c.assessment_id,
               _referrals.c.previous_assessment_id, _cases.c.number.label("case_number"),
               _units.c.code.label("unit_code"), _units.c.name.label("unit_name"))
        .select_from(figures.from_clause(source).join(_units, _units.c.id == _referrals.c.unit_id))
        .where(*where).order_by(_referrals.c.created_at.desc(), _referrals.c.id.desc())
        .limit(limit).offset(offset)).all()
    return {"filters": given, "rows": rows}
