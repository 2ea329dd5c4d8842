"""重复件合并: a duplicate is merged into the open main case about the same problem.

The duplicate closes as merged (outcome "merged", `merged_into_id`) through the same path as any
case whose process ends early (app/engine/repair.end_process: open tasks and timers cancelled, the
case closed, statistics, webhooks), in one transaction with the timeline of both cases and the SMS
to its requester. From then on its requester is answered with the main case: told when the main
case's reply is released (`tell_merged`), and shown that reply on /track
(app/citizen/service.merged_answer). Statistics count the pair once (app/statistics/figures.py).

Refusals name the field they concern (`into`, `case`, `note`): English for the API, and the msgids
with their values for pages that show them in the reader's language (`Refused.translated`).
"""
from dataclasses import dataclass, field

from flask_babel import force_locale, gettext
from sqlalchemy import select, update

from app.accounts.models import User
from app.cases import service
from app.cases.models import Case
from app.engine import history, repair
from app.engine.errors import InvalidData, NotFound
from app.engine.transaction import execute, transaction
from app.extensions import db
from app.i18n import DEFAULT_LOCALE, N_
from app.notifications.outbox import enqueue_to_requester

NOTE_LIMIT = 500
OUTCOME = "merged"
_cases = Case.__table__

NO_TARGET = N_("Enter the number of the case to merge into.")
ITSELF = N_("A case cannot be merged into itself.")
UNKNOWN = N_("There is no case %(number)s within your jurisdiction.")
TARGET_MERGED = N_("Case %(number)s was itself merged into %(main)s; merge into %(main)s instead.")
TARGET_CLOSED = N_("Case %(number)s is closed; merge into an open case.")
CLOSED = N_("Case %(number)s is closed already; only an open case can be merged.")
NOTE_TOO_LONG = N_("At most %(limit)d characters.")
MERGED_SMS = N_("Your request %(number)s is being handled together with request %(main)s about the "
                "same problem; you will receive its answer.")
ANSWERED_SMS = N_("Your request %(number)s, handled together with %(main)s, has been answered; see the "
                  "answer on the tracking page.")


class Refused(InvalidData):
    """Why a merge was refused, by field; `reasons` keeps each msgid with its values."""

    def __init__(self, reasons: dict[str, list[tuple[str, dict]]]):
        errors = {name: [msgid % values for msgid, values in found] for name, found in reasons.items()}
        super().__init__("the case was not merged: " + ", ".join(sorted(errors)), errors)
        self.reasons = reasons

    def translated(self) -> dict[str, list[str]]:
        """The reasons in the request's language."""
        return {name: [gettext(msgid, **values) for msgid, values in found]
                for name, found in self.reasons.items()}


@dataclass(frozen=True)
class Merged:
    number: str
    merged_into: str
    status: str
    outcome: str


@dataclass(frozen=True)
class Links:
    """A case's merges: the main case it was merged into, and the cases merged into it."""

    into: str | None = None
    merged: list[str] = field(default_factory=list)


def _visible(user: User, number: str):
    try:
        return service.get_visible(user, number)
    except NotFound:
        return None


def _problems(duplicate, target: str, main, note: str) -> dict[str, list[tuple[str, dict]]]:
    found: dict[str, list[tuple[str, dict]]] = {}

    def bad(name: str, msgid: str, **values) -> None:
        found.setdefault(name, []).append((msgid, values))

    if duplicate.status != "open":
        bad("case", CLOSED, number=duplicate.number)
    if not target:
        bad("into", NO_TARGET)
    elif target == duplicate.number:
        bad("into", ITSELF)
    elif main is None:
        bad("into", UNKNOWN, number=target)
    elif main.merged_into_id is not None:
        bad("into", TARGET_MERGED, number=main.number, main=_number(main.merged_into_id))
    elif main.status != "open":
        bad("into", TARGET_CLOSED, number=main.number)
    if len(note) > NOTE_LIMIT:
        bad("note", NOTE_TOO_LONG, limit=NOTE_LIMIT)
    return found


def _number(case_id: int) -> str:
    return execute(select(_cases.c.number).where(_cases.c.id == case_id)).scalar_one()


def _for_citizen(msgid: str, **values) -> str:
    """An SMS to a requester: in the platform's language, whoever's request caused it."""
    with force_locale(DEFAULT_LOCALE):
        return gettext(msgid, **values)


def merge(user: User, number: str, into: str | None, note: str | None = None) -> Merged:
    """Merge case `number` (within the user's jurisdiction, else NotFound) into the open case
    `into`. Cases merged into the duplicate before follow it to the main case."""
    target, text = (into or "").strip().upper(), (note or "").strip()
    with transaction():
        duplicate = service.get_visible(user, number)
        main = _visible(user, target) if target and target != duplicate.number else None
        reasons = _problems(duplicate, target, main, text)
        if reasons:
            raise Refused(reasons)
        execute(update(_cases).where(_cases.c.id == duplicate.id)
                .values(merged_into_id=main.id, outcome=OUTCOME))
        followers = execute(update(_cases).where(_cases.c.merged_into_id == duplicate.id)
                            .values(merged_into_id=main.id).returning(_cases.c.number)).scalars().all()
        repair.end_process(duplicate.id, number, user.id, "merged_into",
                           {"into": main.number, "note": text})
        history.record(main.id, "merged_from", actor_id=user.id,
                       payload={"case": number, "note": text, "with": sorted(followers)})
        if duplicate.requester_phone:
            enqueue_to_requester("merged", _for_citizen(MERGED_SMS, number=number, main=main.number),
                                 duplicate.requester_phone, duplicate.id)
    return Merged(number, main.number, "closed", OUTCOME)


def tell_merged(main_id: int) -> None:
    """The main case's reply was released: the requesters of the cases merged into it are told,
    in the transaction of the release."""
    main = _number(main_id)
    for case in db.session.scalars(select(Case).where(Case.merged_into_id == main_id).order_by(Case.id)):
        history.record(case.id, "merged_answer", payload={"case": main})
        if case.requester_phone:
            enqueue_to_requester("reply", _for_citizen(ANSWERED_SMS, number=case.number, main=main),
                                 case.requester_phone, case.id)


def links(case) -> Links:
    """The main case of `case` and the cases merged into it, by number."""
    into = _number(case.merged_into_id) if case.merged_into_id is not None else None
    merged = list(execute(select(_cases.c.number).where(_cases.c.merged_into_id == case.id)
                          .order_by(_cases.c.id)).scalars())
    return Links(into, merged)
