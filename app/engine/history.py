"""History service: the append-only case timeline.

Events recorded during a transaction are buffered on the session and written in one
executemany just before it commits (a deferred write: app/engine/pipeline.py), or before the
timeline is read; a rollback discards them with everything else.
"""
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.engine import pipeline
from app.engine.models import CaseEvent
from app.extensions import db

_BUFFER = "huiyin.case_events"
_INSERT = insert(CaseEvent.__table__).inline()


def record(case_id: int, kind: str, *, instance_id: int | None = None, actor_id: int | None = None,
           element_id: str | None = None, task_id: str | None = None,
           payload: dict[str, Any] | None = None) -> None:
    db.session.info.setdefault(_BUFFER, []).append({
        "case_id": case_id, "instance_id": instance_id, "kind": kind, "actor_id": actor_id,
        "element_id": element_id, "task_id": task_id, "payload": payload, "at": utcnow()})


def write_pending(session: Session) -> None:
    pending = session.info.pop(_BUFFER, None)
    if pending:
        pipeline.defer(session, _INSERT, pending)


pipeline.before_commit_writers.append(write_pending)


@event.listens_for(Session, "after_rollback")
def _discard_after_rollback(session: Session) -> None:
    session.info.pop(_BUFFER, None)


def timeline(case_id: int) -> list[CaseEvent]:
    write_pending(db.session)
    return list(db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)))


def elements_passed(case_id: int) -> set[str]:
    """Elements the case has been through: user tasks completed and timers fired (one query)."""
    write_pending(db.session)
    return set(db.session.scalars(
        select(CaseEvent.element_id).distinct()
        .where(CaseEvent.case_id == case_id, CaseEvent.kind.in_(("task_completed", "timer_fired")),
               CaseEvent.element_id.is_not(None))))
