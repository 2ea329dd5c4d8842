"""Write directives on a case, and the lists supervisors work from (R29–R32).

A directive is recorded on the timeline and sent to whoever holds the case now: the units of its
open tasks and the handlers who signed for them. An instruction (批示) is shown at the top of the
case and on the handler's task page; instructed cases are tracked until closed (R30).
"""
from sqlalchemy import func, or_, select

from app.accounts.models import User
from app.cases import access
from app.cases.models import Case
from app.cases.service import get_visible
from app.engine import history
from app.engine.errors import Forbidden, InvalidData
from app.engine.models import HumanTask
from app.engine.transaction import transaction
from app.extensions import db
from app.i18n import N_, message_text
from app.notifications.outbox import enqueue, notify_units
from app.supervision.models import DIRECTIVE_KINDS, CaseDirective
from app.timelimits.models import SupervisionItem

MAX_TEXT = 1000
_TITLES = {"reminder_note": N_("Reminder note"), "supervision_order": N_("Supervision order"),
           "instruction": N_("Leader instruction")}


def issue(user: User, number: str, kind: str, text: str) -> CaseDirective:
    """Write a directive on a visible case; only the roles of DIRECTIVE_KINDS[kind] may."""
    errors = {}
    if kind not in DIRECTIVE_KINDS:
        errors["kind"] = [f"must be one of: {', '.join(DIRECTIVE_KINDS)}"]
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        errors["text"] = [f"1 to {MAX_TEXT} characters"]
    if errors:
        raise InvalidData("invalid directive", errors)
    if not user.roles & DIRECTIVE_KINDS[kind]:
        raise Forbidden(f"your roles may not write a {kind}")
    with transaction():
        case = get_visible(user, number)
        directive = CaseDirective(case_id=case.id, kind=kind, author_id=user.id, text=text)
        db.session.add(directive)
        db.session.flush()
        history.record(case.id, kind, actor_id=user.id, payload={"text": text})
        _tell_holders(case, kind, text)
    return directive


def _tell_holders(case, kind: str, text: str) -> None:
    holders = db.session.execute(select(HumanTask.candidate_unit_id, HumanTask.assignee_id)
                                 .where(HumanTask.case_id == case.id, HumanTask.status == "open")).all()
    message = message_text(N_("%(kind)s (%(number)s): %(text)s"), kind=message_text(_TITLES[kind]),
                           number=case.number, text=text)
    units = {unit for unit, _ in holders if unit is not None}
    if units:
        notify_units(kind, message, sorted(units), roles=("handler", "unit_reviewer", "leader"),
                     case_id=case.id)
    assignees = [db.session.get(User, user_id) for _, user_id in holders if user_id is not None]
    if assignees:
        enqueue(kind, message, users=assignees, case_id=case.id)


def for_case(case_id: int) -> list:
    """Directives of a case, instructions first, then newest first."""
    rows = db.session.execute(
        select(CaseDirective.id, CaseDirective.kind, CaseDirective.text, CaseDirective.created_at,
               User.display_name.label("author"))
        .join(User, User.id == CaseDirective.author_id)
        .where(CaseDirective.case_id == case_id).order_by(CaseDirective.id.desc())).all()
    return sorted(rows, key=lambda row: row.kind != "instruction")


def instructed_cases(user: User, limit: int = 50, offset: int = 0) -> tuple[list, dict]:
    """Cases with a leader's instruction (R30), newest instruction first, and how many are closed."""
    latest = (select(CaseDirective.case_id, func.max(CaseDirective.id).label("last"))
              .where(CaseDirective.kind == "instruction").group_by(CaseDirective.case_id).subquery())
    visible = select(Case).join(latest, latest.c.case_id == Case.id).where(access.visible_cases(user))
    rows = db.session.scalars(visible.order_by(latest.c.last.desc()).limit(limit).offset(offset)).all()
    counts = db.session.execute(
        select(func.count(), func.count().filter(Case.status == "closed"))
        .select_from(Case).join(latest, latest.c.case_id == Case.id).where(access.visible_cases(user))).one()
    return list(rows), {"instructed": counts[0], "closed": counts[1]}


def supervision_list(user: User, limit: int = 50, offset: int = 0) -> list:
    """待督办: open overdue items on the supervision lists of the user's units (R21, R31)."""
    return list(db.session.execute(
        select(SupervisionItem.id, SupervisionItem.kind, SupervisionItem.created_at, Case.number,
               Case.title, Case.status, Case.level)
        .join(Case, Case.id == SupervisionItem.case_id)
        .where(SupervisionItem.resolved_at.is_(None), SupervisionItem.unit_id.in_(sorted(user.unit_ids)))
        .order_by(SupervisionItem.created_at).limit(limit).offset(offset)))


def unsatisfied_zone(user: User, limit: int = 50, offset: int = 0) -> list:
    """办理不满意专区 (R32): cases rated unsatisfied or unresolved, within the user's jurisdiction."""
    return list(db.session.scalars(
        select(Case).where(or_(Case.satisfaction == "unsatisfied", Case.resolution == "unresolved",
                               Case.outcome == "unsatisfied"), access.visible_cases(user))
        .order_by(Case.id.desc()).limit(limit).offset(offset)))
