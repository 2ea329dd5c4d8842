"""Possible duplicates of a new call (hotline desk) or of a case at triage and dispatch (the task
pages whose BPMN says `shows`=`duplicates`): the same phone, or the same place with a similar
text, within 7 days.

What is compared and shown is bounded, whatever the place's traffic (a product decision, issue 15;
docs/process-design.md, "shows"): the text (difflib, a few hundred microseconds a pair) is
compared with the MAX_COMPARED newest cases of the same place only, and at most MAX_SHOWN cases
are shown — those of the same phone first (newest first), then the most similar texts — with how
many were found in all, so a page can say that it shows only the most likely. Both candidate
queries read a few columns through indexes."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
#: Cases of the same place whose text is compared: the newest ones within the window.
MAX_COMPARED = 100
#: Duplicates shown; `Duplicates.found` tells how many there were.
MAX_SHOWN = 10
#: Cases of the same phone read (all are duplicates; they come first).
MAX_SAME_PHONE = 50


@dataclass(frozen=True)
class Duplicate:
    number: str
    title: str
    status: str
    created_at: datetime
    why: str  # "phone" or "place"


@dataclass(frozen=True)
class Duplicates:
    """The duplicates shown (at most MAX_SHOWN, the likeliest first) and how many were found;
    iterates and counts like the list shown."""

    shown: list[Duplicate] = field(default_factory=list)
    found: int = 0

    def __iter__(self):
        return iter(self.shown)

    def __len__(self) -> int:
        return len(self.shown)

    @property
    def more(self) -> bool:
        return self.found > len(self.shown)


def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


def possible_duplicates(user: User, phone: str | None, territory_id: int | None, text: str,
                        since: datetime | None = None, besides: str | None = None) -> Duplicates:
    """Cases registered since `since` (default: the last 7 days), within jurisdiction, other than
    the case numbered `besides`."""
    since = since or utcnow() - WINDOW
    recent = [Case.created_at >= since, access.visible_cases(user)]
    if besides is not None:
        recent.append(Case.number != besides)
    columns = (Case.number, Case.title, Case.status, Case.created_at)
    by_phone: list[Duplicate] = []
    if phone:
        rows = db.session.execute(select(*columns).where(Case.requester_phone == phone, *recent)
                                  .order_by(Case.id.desc()).limit(MAX_SAME_PHONE))
        by_phone = [Duplicate(*row, why="phone") for row in rows]
    similar: list[tuple[float, Duplicate]] = []
    if territory_id and text:
        phoned = {d.number for d in by_phone}
        rows = db.session.execute(select(*columns, Case.description)
                                  .where(Case.territory_id == territory_id, *recent)
                                  .order_by(Case.id.desc()).limit(MAX_COMPARED))
        for number, title, status, created_at, description in rows:
            if number not in phoned:
                ratio = _similarity(text, f"{title} {description}")
                if ratio >= SIMILAR:
                    similar.append((ratio, Duplicate(number, title, status, created_at, "place")))
    similar.sort(key=lambda pair: -pair[0])  # stable: the newer of two as similar first
    ranked = by_phone + [duplicate for _, duplicate in similar]
    return Duplicates(ranked[:MAX_SHOWN], len(ranked))


def of_case(user: User, case) -> Duplicates:
    """Other cases that may be about the same problem as `case`: from 7 days before it on."""
    return possible_duplicates(user, case.requester_phone, case.territory_id,
                               f"{case.title} {case.description}", since=case.created_at - WINDOW,
                               besides=case.number)


def for_task(user: User, task, case) -> Duplicates | None:
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
