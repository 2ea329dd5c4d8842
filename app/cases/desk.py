"""The hotline desk (R5, R9): one form per call. The caller is recognised by phone; possible
duplicates are shown before saving and the call can be linked to one of them instead of becoming
a new case; a consultation can be answered at once (即问即答)."""
from dataclasses import dataclass

from sqlalchemy import select

from app.accounts.models import User
from app.cases import duplicates
from app.cases.service import NewCase, check, create_case, get_visible
from app.cases.validation import storable
from app.engine import history, meanings, tasks
from app.engine.transaction import transaction
from app.extensions import db
from app.organisation.models import Territory

DECISIONS = ("accept", "answer")
MAX_ANSWER = 2000
#: The case service's field names -> the desk form's.
FIELD_NAMES = {"requester_phone": "phone", "requester_name": "name"}


@dataclass
class Call:
    phone: str
    request_type: str
    category_code: str
    territory_code: str
    title: str
    description: str
    name: str = ""
    address: str = ""
    decision: str = "accept"
    answer: str = ""
    duplicate_of: str = ""
    confirmed_new: bool = False


@dataclass
class Outcome:
    kind: str  # "duplicates", "linked" or "created"
    number: str | None = None
    duplicates: list | None = None


def _territory_id(call: Call) -> int | None:
    return db.session.scalar(select(Territory.id).where(Territory.code == call.territory_code))


def _new_case(call: Call) -> NewCase:
    return NewCase(title=call.title, description=call.description, address=call.address, channel="hotline",
                   category_code=call.category_code or None, territory_code=call.territory_code or None,
                   requester_name=call.name or None, requester_phone=call.phone or None,
                   request_type=call.request_type or None)


def _check(user: User, call: Call, new: NewCase) -> None:
    """The case service's checks, plus what the desk needs: the caller's phone, type, category and
    place, and a decision (with the answer given, for one answered on the phone)."""
    extra: dict[str, list[str]] = {}
    for field, missing in (("phone", "the caller's phone is needed"), ("request_type", "choose a type"),
                           ("category_code", "choose a category"), ("territory_code", "choose the place")):
        if not getattr(call, field):
            extra[field] = [missing]
    if call.decision not in DECISIONS:
        extra["decision"] = ["accept or answer"]
    if call.decision == "answer" and not (1 <= len(call.answer) <= MAX_ANSWER and storable(call.answer)):
        extra["answer"] = [f"the answer given on the phone, 1 to {MAX_ANSWER} characters"]
    check(new, user, extra, FIELD_NAMES)


def register_call(user: User, call: Call) -> Outcome:
    new = _new_case(call)
    _check(user, call, new)
    if call.duplicate_of:
        with transaction():
            existing = get_visible(user, call.duplicate_of)
            history.record(existing.id, "duplicate_call", actor_id=user.id,
                           payload={"text": call.title, "channel": "hotline"})
        return Outcome("linked", existing.number)
    if not call.confirmed_new:
        found = duplicates.possible_duplicates(user, call.phone, _territory_id(call),
                                               f"{call.title} {call.description}")
        if found:
            return Outcome("duplicates", duplicates=found)
    case, _ = create_case(new, user)
    marked = meanings.elements(meanings.MEANING, "triage")
    triage = next((h for h in tasks.open_for_case(case.id) if h.element_id in marked), None)
    if triage is not None:  # the desk triages as it registers: accepted, or answered at once
        data = {"action": call.decision, **({"answer": call.answer} if call.decision == "answer" else {})}
        tasks.complete(user, triage.id, data)
    return Outcome("created", case.number)
