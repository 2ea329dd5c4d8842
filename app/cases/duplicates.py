"""Possible duplicates of a new call (hotline desk) or of a case at triage and dispatch (the task
pages whose BPMN says `shows`=`duplicates`): the same phone, or the same place with a similar
text, within 7 days. Candidates come from two indexed queries; the text
similarity (difflib) runs on at most a few hundred of them."""
from dataclasses import dataclass
from datetime import timedelta
from difflib import SequenceMatcher

from sqlalchemy import select

from app.accounts.models import User
from app.cases import access
from app.cases.models import Case
from app.clock import utcnow
from app.engine import meanings
from app.extensions import db

WINDOW = timedelta(days=7)
SIMILAR = 0.5
MAX_CANDIDATES = 300


@dataclass(frozen=True)
class Duplicate:
    number: str
    title: str
    status: str
    created_at: object
    why: str  # "phone" or "place"


def _similar(a: str, b: str) -> bool:
    return SequenceMatcher(None, a, b).ratio() >= SIMILAR


def possible_duplicates(user: User, phone: str | None, territory_id: int | None,
                        text: str, since=None) -> list[Duplicate]:
    """Cases registered since `since` (default: the last 7 days), within jurisdiction."""
    since = since or utcnow() - WINDOW
    visible = access.visible_cases(user)
    found: dict[str, Duplicate] = {}
    if phone:
        same_phone = (select(Case).where(Case.requester_phone == phone, Case.created_at >= since, visible)
                      .order_by(Case.id.desc()).limit(50))
        for case in db.session.scalars(same_phone):
            found[case.number] = Duplicate(case.number, case.title, case.status, case.created_at, "phone")
    if territory_id and text:
        for case in db.session.scalars(select(Case).where(Case.territory_id == territory_id,
                                                          Case.created_at >= since, visible)
                                       .order_by(Case.id.desc()).limit(MAX_CANDIDATES)):
            if case.number not in found and _similar(text, f"{case.title} {case.description}"):
                found[case.number] = Duplicate(case.number, case.title, case.status, case.created_at, "place")
    return list(found.values())


def of_case(user: User, case) -> list[Duplicate]:
    """Other cases that may be about the same problem as `case`: from 7 days before it on."""
    found = possible_duplicates(user, case.requester_phone, case.territory_id,
                                f"{case.title} {case.description}", since=case.created_at - WINDOW)
    return [d for d in found if d.number != case.number]


def for_task(user: User, task, case) -> list[Duplicate] | None:
    """The case's possible duplicates for an open task whose BPMN element says its page shows
    them (camunda:property shows=duplicates); None for any other task."""
    if task.status != "open" or not meanings.has(task.definition_id, task.element_id, meanings.SHOWS,
                                                 "duplicates"):
        return None
    return of_case(user, case)


def earlier_cases(user: User, phone: str, limit: int = 10) -> list[Case]:
    """The caller's earlier requests (recognised by phone), newest first, within jurisdiction."""
    return list(db.session.scalars(
        select(Case).where(Case.requester_phone == phone, access.visible_cases(user))
        .order_by(Case.id.desc()).limit(limit)))
