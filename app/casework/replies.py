"""Replies (答复, R24): written by the handler, kept here (not in process variables), reviewed by
the unit and the platform, and released to the requester by the platform ("一个门出")."""
from sqlalchemy import insert, select, update

from app.cases import merging
from app.cases.models import Case
from app.casework.models import CaseReply
from app.channels import webhooks
from app.clock import utcnow
from app.engine import history
from app.engine.transaction import execute
from app.extensions import db
from app.i18n import N_, message_text
from app.notifications.outbox import enqueue_to_requester, notify_units
from app.statistics import facts

#: The form fields of a reply; the process hands them over and forgets them.
REPLY_FIELDS = ("policy_basis", "result", "responsible_person", "contact_phone")
_replies, _cases = CaseReply.__table__, Case.__table__


def store(case_id: int, unit_id: int | None, level: str | None, fields: dict,
          author_id: int | None = None) -> int:
    """A draft reply of the unit holding the case, by `author_id` (whom its reviews exclude);
    returns its id for the review steps."""
    reply_id = execute(insert(_replies).returning(_replies.c.id), {
        "case_id": case_id, "unit_id": unit_id, "level": level, "status": "draft", "author_id": author_id,
        "policy_basis": fields.get("policy_basis") or "", "result": fields.get("result") or "",
        "responsible_person": fields.get("responsible_person"),
        "contact_phone": fields.get("contact_phone"),
        "created_at": utcnow()}).scalar_one()
    history.record(case_id, "reply_drafted", actor_id=author_id,
                   payload={"reply_id": reply_id, "unit_id": unit_id, "level": level})
    return reply_id


def send_back(case_id: int, reply_id: int, note: str | None) -> None:
    """A reviewer sends the reply back: the unit's handlers are told why."""
    execute(update(_replies).where(_replies.c.id == reply_id).values(status="sent_back", review_note=note))
    history.record(case_id, "reply_sent_back", payload={"reply_id": reply_id, "note": note})
    unit_id = db.session.scalar(select(CaseReply.unit_id).where(CaseReply.id == reply_id))
    if unit_id is not None:
        text = message_text(N_("The reply was sent back: %(note)s"), note=note or "—")
        notify_units("reply_sent_back", text, [unit_id], roles=("handler",), case_id=case_id)


def author_of(reply_id: int) -> int | None:
    return db.session.scalar(select(CaseReply.author_id).where(CaseReply.id == reply_id))


def release(case_id: int, reply_id: int) -> None:
    """The platform releases the reply: the case records who resolved it at which level (R34)."""
    reply = db.session.get(CaseReply, reply_id)
    now = utcnow()
    execute(update(_replies).where(_replies.c.id == reply_id).values(status="released", released_at=now))
    execute(update(_cases).where(_cases.c.id == case_id).values(
        resolved_level=reply.level or "platform", resolved_unit_id=reply.unit_id))
    facts.replied(case_id)
    history.record(case_id, "reply_released", payload={"reply_id": reply_id, "unit_id": reply.unit_id,
                                                       "level": reply.level})
    _tell_requester(case_id, "reply")
    webhooks.enqueue_for_case(case_id, "reply_released", reply=reply.result)
    merging.tell_merged(case_id)


def answer_at_once(case_id: int, answer: str) -> int:
    """即问即答 (R9): the registrar's answer is the released reply; the platform resolved it."""
    reply_id = execute(insert(_replies).returning(_replies.c.id), {
        "case_id": case_id, "unit_id": None, "level": None, "status": "released", "policy_basis": "",
        "result": answer, "responsible_person": None, "contact_phone": None, "created_at": utcnow(),
        "released_at": utcnow()}).scalar_one()
    execute(update(_cases).where(_cases.c.id == case_id).values(resolved_level="platform",
                                                                resolved_unit_id=None))
    facts.answered_at_intake(case_id)
    history.record(case_id, "answered_at_intake", payload={"reply_id": reply_id})
    webhooks.enqueue_for_case(case_id, "reply_released", reply=answer)
    _tell_requester(case_id, "reply")
    return reply_id


def _tell_requester(case_id: int, kind: str) -> None:
    case = db.session.get(Case, case_id)
    if case.requester_phone:
        text = message_text(N_("Your request %(number)s has been answered; please rate the answer."),
                            number=case.number)
        enqueue_to_requester(kind, text, case.requester_phone, case_id)
