"""How a case ends: not accepted (R7), rated (R25), not rated after a revisit (R28), or assessed
after a failed second handling with accountability for repeat failures (R26)."""
from sqlalchemy import insert, select, update

from app.cases.models import Case
from app.casework.models import AccountabilityReferral, UnitAssessment
from app.clock import utcnow
from app.engine import history
from app.engine.transaction import execute
from app.extensions import db
from app.i18n import N_, message_text
from app.notifications.outbox import enqueue_to_requester, notify_units
from app.statistics import facts

SATISFIED = ("satisfied", "basically_satisfied")
RESOLVED = ("resolved", "basically_resolved")
_cases = Case.__table__


def _set_case(case_id: int, **values) -> None:
    execute(update(_cases).where(_cases.c.id == case_id).values(**values))


def refuse(case_id: int, reason: str, redirect_to: str) -> None:
    """不予受理: the requester is told why and where to go instead."""
    _set_case(case_id, outcome="not_accepted")
    history.record(case_id, "not_accepted", payload={"reason": reason, "redirect_to": redirect_to})
    case = db.session.get(Case, case_id)
    if case.requester_phone:
        enqueue_to_requester("not_accepted", message_text(
            N_("Your request %(number)s was not accepted; please turn to: %(where)s."),
            number=case.number, where=redirect_to),
                             case.requester_phone, case_id)


def record_rating(case_id: int, satisfaction: str, resolution: str) -> bool:
    """Store the rating; True when it closes the case (satisfied or basically, resolved or basically)."""
    ok = satisfaction in SATISFIED and resolution in RESOLVED
    _set_case(case_id, satisfaction=satisfaction, resolution=resolution,
              **({"outcome": "satisfied"} if ok else {}))
    facts.rated(case_id, satisfaction, resolution)
    history.record(case_id, "rated", payload={"satisfaction": satisfaction, "resolution": resolution})
    return ok


def close_not_rated(case_id: int) -> None:
    _set_case(case_id, outcome="not_rated")
    history.record(case_id, "not_rated")


def assess(case_id: int, unit_id: int, result: str, note: str, platform_unit_id: int | None = None) -> int:
    """履职评估 of the unit that did the second handling; two "not completed" in a row → 移交问责.

    A referral uses up its pair: after one, the count starts again, so a third failure in a row
    does not refer the unit again but a fourth does.
    """
    _set_case(case_id, outcome="unsatisfied")
    assessment_id = execute(insert(UnitAssessment.__table__).returning(UnitAssessment.__table__.c.id), {
        "case_id": case_id, "unit_id": unit_id, "result": result, "note": note,
        "created_at": utcnow()}).scalar_one()
    history.record(case_id, "assessed", payload={"unit_id": unit_id, "result": result, "note": note})
    if result == "not_completed":
        _refer_if_repeated(case_id, unit_id, assessment_id, platform_unit_id)
    return assessment_id


def _refer_if_repeated(case_id: int, unit_id: int, assessment_id: int, platform_unit_id: int | None) -> None:
    previous = db.session.execute(
        select(UnitAssessment.id, UnitAssessment.result)
        .where(UnitAssessment.unit_id == unit_id, UnitAssessment.id < assessment_id)
        .order_by(UnitAssessment.id.desc()).limit(1)).first()
    if previous is None or previous.result != "not_completed":
        return
    used = db.session.scalar(select(AccountabilityReferral.id)
                             .where(AccountabilityReferral.assessment_id == previous.id))
    if used is not None:
        return
    db.session.add(AccountabilityReferral(unit_id=unit_id, case_id=case_id, assessment_id=assessment_id,
                                          previous_assessment_id=previous.id))
    history.record(case_id, "accountability_referral",
                   payload={"unit_id": unit_id, "assessments": [previous.id, assessment_id]})
    notify_units("accountability", message_text(N_("Referred for accountability: two consecutive failed "
                                                   "assessments of the unit.")),
                 [u for u in (unit_id, platform_unit_id) if u],
                 roles=("leader", "platform_supervisor"), case_id=case_id)
