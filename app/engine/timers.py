"""Timer service: find due timers, claim them so only one scheduler fires each, and fire them.

Claiming is an optimisation, not the guarantee: firing loads the instance and saves it under
the optimistic lock, so even two firings of one timer change the instance once.
"""
import logging
import os
import socket
from datetime import timedelta
from uuid import uuid4

from sqlalchemy import bindparam, func, or_, select, update

from app.clock import utcnow
from app.engine import runtime
from app.engine.errors import Conflict, ProcessIncident
from app.engine.models import ProcessInstance, Timer
from app.engine.transaction import execute, transaction
from app.extensions import db

log = logging.getLogger(__name__)

_timers, _instances = Timer.__table__, ProcessInstance.__table__
_LOAD_FOR_FIRE = (select(*runtime.INSTANCE_COLUMNS, _timers.c.status.label("timer_status"))
                  .select_from(_instances.join(_timers, _timers.c.instance_id == _instances.c.id))
                  .where(_timers.c.id == bindparam("timer_id")))
_RELEASE = (update(_timers).where(_timers.c.id == bindparam("timer_id"), _timers.c.status == "waiting")
            .values(claimed_by=None, claim_expires_at=None))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _claimable(now):
    return (Timer.status == "waiting", Timer.due_at <= now,
            or_(Timer.claim_expires_at.is_(None), Timer.claim_expires_at < now))


def claim_due(worker: str, limit: int, claim_seconds: int) -> list[str]:
    """Claim up to `limit` due timers for `worker`; returns their ids (committed)."""
    now = utcnow()
    token = f"{worker}:{uuid4().hex[:12]}"[-80:]
    values = {"claimed_by": token, "claim_expires_at": now + timedelta(seconds=claim_seconds)}
    if db.engine.dialect.name == "postgresql":
        ids = list(db.session.scalars(
            select(Timer.id).where(*_claimable(now)).order_by(Timer.due_at).limit(limit)
            .with_for_update(skip_locked=True)))
        if ids:
            db.session.execute(update(Timer).where(Timer.id.in_(ids)).values(**values))
    else:
        # SQLite runs one writer at a time, so a conditional UPDATE is an atomic claim.
        due = select(Timer.id).where(*_claimable(now)).order_by(Timer.due_at).limit(limit)
        db.session.execute(update(Timer).where(Timer.id.in_(due), *_claimable(now)).values(**values))
        ids = list(db.session.scalars(select(Timer.id).where(Timer.claimed_by == token)))
    db.session.commit()
    return ids


def fire(timer_id: str) -> bool:
    """Fire one claimed timer: refresh the instance's timers, run, save. True if it fired."""
    with transaction():
        found = execute(_LOAD_FOR_FIRE, {"timer_id": timer_id}).first()
        if found is None or found.timer_status != "waiting":
            return False
        loaded = runtime.load(found)

        def step():
            loaded.workflow.refresh_timers()
            loaded.workflow.do_engine_steps()

        runtime.run(loaded, step, source="timer", timer_id=timer_id)
        after = runtime.save(loaded, None, source="timer")
        fired = timer_id in loaded.before.waiting_timers and timer_id not in after.waiting_timers
        if not fired:  # not yet due by the engine's clock: release it for the next poll
            execute(_RELEASE, {"timer_id": timer_id})
    return fired


def fire_due(worker: str, batch_size: int = 50, claim_seconds: int = 300) -> int:
    """One scheduler tick: claim and fire due timers until none are left; returns how many fired."""
    fired = 0
    while True:
        ids = claim_due(worker, batch_size, claim_seconds)
        if not ids:
            return fired
        for timer_id in ids:
            try:
                fired += fire(timer_id)
            except Conflict:
                _release(timer_id)  # the instance moved meanwhile; the next tick tries again
            except ProcessIncident as exc:
                log.warning("timer %s raised an incident: %s", timer_id, exc.message)
        if len(ids) < batch_size:
            return fired


def _release(timer_id: str) -> None:
    execute(_RELEASE, {"timer_id": timer_id})
    db.session.commit()


def overdue_count(grace_seconds: int = 0) -> int:
    """Timers that should have fired already; a growing number means no scheduler is running."""
    limit = utcnow() - timedelta(seconds=grace_seconds)
    return db.session.scalar(select(func.count()).select_from(Timer).where(
        Timer.status == "waiting", Timer.due_at <= limit))
