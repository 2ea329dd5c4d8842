"""Possible duplicates of a new call (hotline desk): the same phone, or the same place with a
similar text, within the last 7 days. Candidates come from two indexed queries; the text
similarity (difflib) runs on at most a few hundred of them."""
from dataclasses import dataclass
from datetime import timedelta
from difflib import SequenceMatcher

from sqlalchemy import select

from app.accounts.models import User
from app.cases import access
from app.cases.models import Case
from app.clock import utcnow
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
                        text: str) -> list[Duplicate]:
    since = utcnow() - WINDOW
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


def earlier_cases(user: User, phone: str, limit: int = 10) -> list[Case]:
    """The caller's earlier requests (recognised by phone), newest first, within jurisdiction."""
    return list(db.session.scalars(
        select(Case).where(Case.requester_phone == phone, access.visible_cases(user))
        .order_by(Case.id.desc()).limit(limit)))
