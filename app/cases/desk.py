"""The hotline desk (R5, R9): one form per call. The caller is recognised by phone; possible
duplicates are shown before saving and the call can be linked to one of them instead of becoming
a new case; a consultation can be answered at once (即问即答)."""
from dataclasses import dataclass

from sqlalchemy import select

from app.accounts.models import User
from app.cases import duplicates
from app.cases.service import NewCase, create_case, get_visible
from app.cases.validation import phone_problem
from app.engine import history, tasks
from app.engine.errors import InvalidData
from app.engine.transaction import transaction
from app.extensions import db
from app.organisation.models import Category, Territory
from app.timelimits.models import REQUEST_TYPES

DECISIONS = ("accept", "answer")


@dataclass
class Call:
    phone: str
    request_type: str
    category_code: str
    territory_code: str
    title: str
    description: str
    name: str = ""
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


def _check(call: Call) -> None:
    problems: dict[str, list[str]] = {}
    if phone_problem(call.phone or ""):
        problems["phone"] = [phone_problem(call.phone or "")]
    if call.request_type not in REQUEST_TYPES:
        problems["request_type"] = ["choose a type"]
    if not db.session.scalar(select(Category.id).where(Category.code == call.category_code)):
        problems["category_code"] = ["choose a category"]
    if not _territory_id(call):
        problems["territory_code"] = ["choose the place"]
    if not 1 <= len(call.title) <= 200:
        problems["title"] = ["1 to 200 characters"]
    if len(call.description) > 10000:
        problems["description"] = ["at most 10000 characters"]
    if call.decision not in DECISIONS:
        problems["decision"] = ["accept or answer"]
    if call.decision == "answer" and not 1 <= len(call.answer) <= 2000:
        problems["answer"] = ["the answer given on the phone, 1 to 2000 characters"]
    if problems:
        raise InvalidData("the call was not saved", problems)


def register_call(user: User, call: Call) -> Outcome:
    _check(call)
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
    case, _ = create_case(NewCase(
        title=call.title, description=call.description, channel="hotline", category_code=call.category_code,
        territory_code=call.territory_code, requester_name=call.name or None, requester_phone=call.phone,
        request_type=call.request_type), user)
    triage = next((h for h in tasks.open_for_case(case.id) if h.element_id == "triage"), None)
    if triage is not None:  # the desk triages as it registers: accepted, or answered at once
        data = {"action": call.decision, **({"answer": call.answer} if call.decision == "answer" else {})}
        tasks.complete(user, triage.id, data)
    return Outcome("created", case.number)
