"""History service: the append-only case timeline."""
from typing import Any

from sqlalchemy import select

from app.clock import utcnow
from app.engine.models import CaseEvent
from app.extensions import db


def record(case_id: int, kind: str, *, instance_id: int | None = None, actor_id: int | None = None,
           element_id: str | None = None, task_id: str | None = None,
           payload: dict[str, Any] | None = None) -> CaseEvent:
    event = CaseEvent(case_id=case_id, instance_id=instance_id, kind=kind, actor_id=actor_id,
                      element_id=element_id, task_id=task_id, payload=payload, at=utcnow())
    db.session.add(event)
    return event


def timeline(case_id: int) -> list[CaseEvent]:
    return list(db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)))
