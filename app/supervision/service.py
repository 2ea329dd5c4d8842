"""Write directives on a case, and the lists supervisors work from (R29–R32).

A directive is recorded on the timeline and sent to whoever holds the case now: for each open task,
the handler who signed for it, or, while nobody has, every user it is offered to (its unit's
holders of its role). A case that nobody holds (closed, or its step offered to nobody) gets no
directive: it is refused, so nobody is told "sent" when nothing was. An instruction (批示) is
shown at the top of the case and on the handler's task page; instructed cases are tracked until
closed (R30).
"""
from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import func, or_, select

from app.accounts.models import User
from app.cases import access
from app.cases.models import Case
from app.cases.service import get_visible
from app.engine import history, tasks
from app.engine.errors import Forbidden, InvalidData
from app.engine.models import HumanTask
from app.engine.transaction import transaction
from app.extensions import db
from app.i18n import N_, message_text
from app.notifications.outbox import enqueue
from app.organisation.models import Unit
from app.supervision.models import DIRECTIVE_KINDS, CaseDirective
from app.timelimits.models import SupervisionItem

MAX_TEXT = 1000
_TITLES = {"reminder_note": N_("Reminder note"), "supervision_order": N_("Supervision order"),
           "instruction": N_("Leader instruction")}


@dataclass(frozen=True)
class Recipient:
    user_id: int
    name: str
    #: the unit the task is offered in (None: a task offered without a unit)
    unit: str | None


@dataclass(frozen=True)
class Issued:
    directive: CaseDirective
    recipients: list[Recipient]


def issue(user: User, number: str, kind: str, text: str) -> Issued:
    """Write a directive on a visible case; only the roles of DIRECTIVE_KINDS[kind] may. Refused
    (field `case`) when nobody holds the case now."""
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
        recipients = holders(case.id)
        if not recipients:
            raise InvalidData("nobody holds the case", {"case": [_nobody_holds(case)]})
        directive = CaseDirective(case_id=case.id, kind=kind, author_id=user.id, text=text)
        db.session.add(directive)
        db.session.flush()
        history.record(case.id, kind, actor_id=user.id,
                       payload={"text": text, "recipient_ids": [r.user_id for r in recipients]})
        users = [db.session.get(User, r.user_id) for r in recipients]
        message = message_text(N_("%(kind)s (%(number)s): %(text)s"), kind=message_text(_TITLES[kind]),
                               number=case.number, text=text)
        enqueue(kind, message, users=users, case_id=case.id)
    return Issued(directive, recipients)


def _nobody_holds(case) -> str:
    if case.status == "closed":
        return gettext("The case is closed: no step is open, so nobody would receive it. Nothing was "
                       "recorded.")
    return gettext("Nobody holds this case's open step (no active user has its role in its unit), so "
                   "nobody would receive it. Nothing was recorded.")


def holders(case_id: int) -> list[Recipient]:
    """Who holds the case now: the holders of each of its open tasks (tasks.holders), each once."""
    rows = db.session.execute(
        select(HumanTask.assignee_id, HumanTask.candidate_unit_id, HumanTask.candidate_role,
               HumanTask.excluded_user_id, Unit.name.label("unit_name"))
        .outerjoin(Unit, Unit.id == HumanTask.candidate_unit_id)
        .where(HumanTask.case_id == case_id, HumanTask.status == "open")
        .order_by(HumanTask.created_at, HumanTask.id)).all()
    found: dict[int, Recipient] = {}
    for row in rows:
        for person in tasks.holders(row):
            found.setdefault(person.id, Recipient(person.id, person.display_name, row.unit_name))
    return list(found.values())


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
