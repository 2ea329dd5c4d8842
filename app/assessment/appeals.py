"""申诉: a unit's staff appeal one rating of their unit's answer; a platform supervisor accepts it
(the rating is taken out of the unit's rates, figures.conditions) or rejects it.

Filing checks everything here, records the appeal and starts the appeal process
(workflows/appeal.bpmn) on the case; the supervisor's review is a task of that process, whose
registered functions (app/assessment/process_functions.py) call `decide`. The appeal process runs
beside the case's own and never closes or reopens the case (its BPMN says closesCase false). A
rating in a frozen ranking may be appealed too: the live figures change, the snapshot does not.
"""
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.assessment.models import APPEAL_STATUSES, RatingAppeal
from app.cases import access
from app.cases.models import Case
from app.cases.service import get_visible
from app.clock import utcnow
from app.engine import history, repository, runtime
from app.engine.errors import Conflict, Forbidden, InvalidData, NotFound
from app.engine.transaction import execute, transaction
from app.extensions import db
from app.i18n import N_, message_text
from app.notifications.outbox import notify_units
from app.organisation.models import Unit
from app.statistics.models import CaseRating

#: Who may appeal a rating of their unit's answer.
APPEAL_ROLES = ("handler", "unit_reviewer", "leader")
REASON_MAX = 1000
_FAVOURABLE = ("satisfied", "resolved")


def _refusal(user: User, rating: CaseRating, has_open_appeal: bool) -> Exception | None:
    """Why `user` may not appeal `rating` now (None: they may)."""
    if rating.unit_id is None or not user.roles_in(rating.unit_id) & set(APPEAL_ROLES):
        return Forbidden("only the handlers, reviewers and leaders of the rated unit may appeal its rating")
    if rating.excluded:
        return Conflict("the rating is already taken out of the unit's rates")
    if has_open_appeal:
        return Conflict("an appeal of this rating is open already")
    if (rating.satisfaction, rating.resolution) == _FAVOURABLE:
        return InvalidData("nothing to appeal", {"rating_id": [
            "a satisfied and resolved rating counts for the unit: there is nothing to appeal"]})
    return None


def _open_appeal(rating_id: int) -> int | None:
    return db.session.scalar(select(RatingAppeal.id).where(RatingAppeal.rating_id == rating_id,
                                                           RatingAppeal.status == "open"))


def file(user: User, rating_id: int, reason: str, process_id: str) -> RatingAppeal:
    """Appeal a rating with a reason and start the appeal process, in one transaction."""
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX or "\x00" in reason:
        raise InvalidData("the appeal was not filed: reason", {"reason": [
            f"say why the rating should not count: 1 to {REASON_MAX} characters"]})
    with transaction():
        rating = db.session.get(CaseRating, rating_id)
        if rating is None or not access.may_see(user, rating.case_id):
            raise NotFound(f"no rating {rating_id}")
        refusal = _refusal(user, rating, _open_appeal(rating.id) is not None)
        if refusal is not None:
            raise refusal
        definition_id = repository.release_definition_id(process_id)
        if definition_id is None:
            raise NotFound(f"process '{process_id}' is not deployed")
        appeal = RatingAppeal(rating_id=rating.id, case_id=rating.case_id, unit_id=rating.unit_id,
                              reason=reason, status="open", filed_by_id=user.id, filed_at=utcnow())
        db.session.add(appeal)
        try:
            db.session.flush()
        except IntegrityError:  # another appeal of the rating was filed at the same moment
            raise Conflict("an appeal of this rating is open already") from None
        history.record(rating.case_id, "appeal_filed", actor_id=user.id, payload={
            "appeal_id": appeal.id, "rating_id": rating.id, "unit_id": rating.unit_id, "reason": reason})
        territory_id = execute(select(Case.territory_id).where(Case.id == rating.case_id)).scalar()
        started = runtime.start(definition_id, rating.case_id, {
            "case_id": rating.case_id, "appeal_id": appeal.id, "rating_id": rating.id,
            "unit_id": rating.unit_id, "territory_id": territory_id, "appeal_reason": reason}, user.id)
        appeal.instance_id = started.row.id
    return appeal


def decide(appeal_id: int, accepted: bool, note: str | None, reviewer_id: int | None) -> None:
    """The platform's decision (called by the appeal process): accepted takes the rating out of
    the unit's rates; either way the appeal keeps the reviewer, the time and the note, the case's
    timeline shows it and the unit is told."""
    appeal = db.session.get(RatingAppeal, appeal_id)
    if appeal is None or appeal.status != "open":
        raise Conflict(f"appeal {appeal_id} is not open")
    appeal.status = "accepted" if accepted else "rejected"
    appeal.decided_by_id, appeal.decided_at, appeal.decision_note = reviewer_id, utcnow(), note
    if accepted:
        execute(update(CaseRating.__table__).where(CaseRating.__table__.c.id == appeal.rating_id)
                .values(excluded=True))
    history.record(appeal.case_id, f"appeal_{appeal.status}", actor_id=reviewer_id, payload={
        "appeal_id": appeal.id, "rating_id": appeal.rating_id, "unit_id": appeal.unit_id, "note": note})
    text = message_text(N_("Appeal accepted: the rating no longer counts for the unit.") if accepted
                        else N_("Appeal rejected."))
    notify_units("appeal_decided", text, [appeal.unit_id], roles=APPEAL_ROLES, case_id=appeal.case_id)


# --- reading -------------------------------------------------------------------------------------

_filer, _reviewer = aliased(User), aliased(User)
_APPEALS = (select(RatingAppeal.id, RatingAppeal.status, RatingAppeal.reason, RatingAppeal.filed_at,
                   RatingAppeal.decided_at, RatingAppeal.decision_note, RatingAppeal.rating_id,
                   Case.number.label("case_number"), Unit.code.label("unit_code"),
                   Unit.name.label("unit_name"),
                   CaseRating.satisfaction, CaseRating.resolution, CaseRating.rated_at, CaseRating.round,
                   _filer.username.label("filed_by"), _reviewer.username.label("decided_by"))
            .join(Case, Case.id == RatingAppeal.case_id).join(Unit, Unit.id == RatingAppeal.unit_id)
            .join(CaseRating, CaseRating.id == RatingAppeal.rating_id)
            .join(_filer, _filer.id == RatingAppeal.filed_by_id)
            .outerjoin(_reviewer, _reviewer.id == RatingAppeal.decided_by_id))


def list_appeals(user: User, status: str | None = None, unit_code: str | None = None, limit: int = 50,
                 offset: int = 0) -> list:
    """Appeals of ratings of the cases the user may see, newest first."""
    if status is not None and status not in APPEAL_STATUSES:
        raise InvalidData("unknown status", {"status": ["one of: " + ", ".join(APPEAL_STATUSES)]})
    statement = _APPEALS.where(access.visible_cases(user))
    if status:
        statement = statement.where(RatingAppeal.status == status)
    if unit_code:
        statement = statement.where(Unit.code == unit_code)
    return list(db.session.execute(statement.order_by(RatingAppeal.id.desc()).limit(limit).offset(offset)))


def appeal_view(appeal_id: int):
    return db.session.execute(_APPEALS.where(RatingAppeal.id == appeal_id)).one()


def ratings_of_case(user: User, case_id: int) -> list[dict]:
    """The case's ratings (the caller has checked the case is visible), each with its unit, its
    latest appeal and whether the user may appeal it now."""
    appeals = {row.rating_id: row for row in db.session.execute(  # the latest of each rating wins
        select(RatingAppeal.rating_id, RatingAppeal.status, RatingAppeal.reason, RatingAppeal.decision_note)
        .where(RatingAppeal.case_id == case_id).order_by(RatingAppeal.id))}
    rows = db.session.execute(select(CaseRating, Unit.code, Unit.name)
                              .outerjoin(Unit, Unit.id == CaseRating.unit_id)
                              .where(CaseRating.case_id == case_id).order_by(CaseRating.id))
    found = []
    for rating, unit_code, unit_name in rows:
        appeal = appeals.get(rating.id)
        open_appeal = appeal is not None and appeal.status == "open"
        found.append({"id": rating.id, "round": rating.round, "satisfaction": rating.satisfaction,
                      "resolution": rating.resolution, "rated_at": rating.rated_at,
                      "excluded": rating.excluded,
                      "unit_code": unit_code, "unit_name": unit_name, "appeal": appeal,
                      "may_appeal": _refusal(user, rating, open_appeal) is None})
    return found


def ratings_of_number(user: User, number: str) -> list[dict]:
    return ratings_of_case(user, get_visible(user, number).id)
