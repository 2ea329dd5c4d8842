"""The steps a requester sees on /track: 受理 → 交办 → 办理 → 答复 → 评价, each with its date.

A step's date is the last time the case's timeline recorded it (the events the casework services
write, never BPMN element ids). A step counts as done only if it came after the steps done before
it, so a case sent back for second handling (R26) or restarted (R27) shows handling again rather
than its first answer. Steps a case skips (an answer at intake has no dispatch) stay empty.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.engine import history
from app.engine.models import CaseEvent
from app.extensions import db

#: step -> the timeline events that mark it (the first step is the case's registration)
STEPS: dict[str, tuple[str, ...]] = {
    "received": (),
    "dispatched": ("assigned",),
    "handling": ("first_contact",),
    "answered": ("reply_released", "answered_at_intake"),
    "rated": ("rated",),
}


@dataclass(frozen=True)
class Step:
    key: str
    at: datetime | None  # when it was done; None: not (yet)
    current: bool  # the step the case is waiting for


def steps(case_id: int, created_at: datetime, closed: bool) -> list[Step]:
    """The requester's steps of a case, in order, with the one it is at marked current."""
    history.write_pending(db.session)
    kinds = [kind for marks in STEPS.values() for kind in marks]
    last = dict(db.session.execute(select(CaseEvent.kind, func.max(CaseEvent.at))
                                   .where(CaseEvent.case_id == case_id, CaseEvent.kind.in_(kinds))
                                   .group_by(CaseEvent.kind)).all())
    done: list[tuple[str, datetime | None]] = []
    latest = created_at
    for key, marks in STEPS.items():
        at = created_at if not marks else max((last[k] for k in marks if k in last), default=None)
        if at is not None and at >= latest:
            latest = at
        else:
            at = None
        done.append((key, at))
    reached = max((index for index, (_, at) in enumerate(done) if at is not None), default=0)
    waiting = None if closed or reached == len(done) - 1 else reached + 1
    return [Step(key, at, index == waiting) for index, (key, at) in enumerate(done)]
