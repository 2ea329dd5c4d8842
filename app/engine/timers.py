"""Timer service: find due timers, claim them so only one scheduler fires each, and fire them.

Claiming is an optimisation, not the guarantee: firing loads the instance and saves it under
the optimistic lock, so even two firings of one timer change the instance once.
"""
import logging
import os
import socket
from datetime import timedelta
from uuid import uuid4

from sqlalchemy import func, or_, select, update

from app.clock import utcnow
from app.engine import runtime
from app.engine.errors import Conflict, ProcessIncident
from app.engine.models import ProcessInstance, Timer
from app.engine.transaction import transaction
from app.extensions import db

log = logging.getLogger(__name__)


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
        found = db.session.execute(
            select(Timer, ProcessInstance).join(ProcessInstance, Timer.instance_id == ProcessInstance.id)
            .where(Timer.id == timer_id)).first()
        if found is None or found[0].status != "waiting":
            return False
        timer, row = found
        loaded = runtime.load(row)

        def step():
            loaded.workflow.refresh_timers()
            loaded.workflow.do_engine_steps()

        runtime.run(loaded, step, source="timer", timer_id=timer_id)
        after = runtime.save(loaded, None, source="timer")
        fired = timer_id in loaded.before.waiting_timers and timer_id not in after.waiting_timers
        if not fired:  # not yet due by the engine's clock: release it for the next poll
            timer.claimed_by = None
            timer.claim_expires_at = None
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
    db.session.execute(update(Timer).where(Timer.id == timer_id, Timer.status == "waiting")
                       .values(claimed_by=None, claim_expires_at=None))
    db.session.commit()


def overdue_count(grace_seconds: int = 0) -> int:
    """Timers that should have fired already; a growing number means no scheduler is running."""
    limit = utcnow() - timedelta(seconds=grace_seconds)
    return db.session.scalar(select(func.count()).select_from(Timer).where(
        Timer.status == "waiting", Timer.due_at <= limit))
