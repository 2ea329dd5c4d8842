"""Send what the outbox holds: claim due messages, send each, record each outcome on its own.

Claiming makes several scheduler processes safe: a claim pushes the message's next_attempt_at
out by NOTIFY_CLAIM_SECONDS (a lease), so other dispatchers skip it while it is being sent; if a
process dies mid-send the lease expires and the message is sent again later (at-least-once).
PostgreSQL claims with SELECT ... FOR UPDATE SKIP LOCKED; SQLite (one writer at a time) with a
conditional UPDATE ... RETURNING.

Outcomes: sent (sent_at); or attempts+1, last_error and a retry after
NOTIFY_RETRY_BASE_SECONDS x 2^(attempts-1), capped at NOTIFY_RETRY_MAX_SECONDS; after
NOTIFY_MAX_ATTEMPTS failures the message is `failed`. dispatch_due never raises.
"""
import logging
from datetime import timedelta

from sqlalchemy import bindparam, select, update

from app.clock import utcnow
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.notifications.senders import senders

log = logging.getLogger(__name__)

_outbox = OutboxMessage.__table__
_MARK_SENT = (update(_outbox).where(_outbox.c.id == bindparam("message_id"))
              .values(status="sent", sent_at=bindparam("now"), last_error=None))
_MARK_FAILED = (update(_outbox).where(_outbox.c.id == bindparam("message_id"))
                .values(status=bindparam("new_status"), attempts=bindparam("new_attempts"),
                        last_error=bindparam("error"), next_attempt_at=bindparam("retry_at")))


def _due(now):
    return (OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)


def claim_due(limit: int, claim_seconds: int) -> list[OutboxMessage]:
    """Claim up to `limit` due messages (committed) and return them, detached from further claims."""
    now = utcnow()
    lease = now + timedelta(seconds=claim_seconds)
    due = select(OutboxMessage.id).where(*_due(now)).order_by(OutboxMessage.next_attempt_at,
                                                               OutboxMessage.id).limit(limit)
    if db.engine.dialect.name == "postgresql":
        ids = list(db.session.scalars(due.with_for_update(skip_locked=True)))
        if ids:
            db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                               .values(next_attempt_at=lease))
    else:
        # SQLite runs one writer at a time, so this conditional UPDATE is an atomic claim.
        ids = list(db.session.scalars(
            update(OutboxMessage).where(OutboxMessage.id.in_(due.scalar_subquery()), *_due(now))
            .values(next_attempt_at=lease).returning(OutboxMessage.id)))
    messages = []
    if ids:
        messages = list(db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
            .execution_options(populate_existing=True)))
    db.session.commit()
    return messages


def retry_delay(attempts: int, base: float, cap: float) -> timedelta:
    """Back-off after the `attempts`-th failure: base, 2 base, 4 base, ... capped."""
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def _send_one(app, message: OutboxMessage, channel_senders: dict) -> bool:
    """Send one claimed message and commit its outcome; True if sent. Raises only if the
    database itself fails (the lease then expires and the message is retried)."""
    try:
        sender = channel_senders.get(message.channel)
        if sender is None:
            raise ValueError(f"no sender for channel {message.channel!r}")
        sender.send(message)  # in-app/SMS-log rows join this transaction
        db.session.execute(_MARK_SENT, {"message_id": message.id, "now": utcnow()})
        db.session.commit()
        return True
    except Exception as exc:
        db.session.rollback()
        attempts = (message.attempts or 0) + 1
        max_attempts = int(app.config.get("NOTIFY_MAX_ATTEMPTS", 8))
        delay = retry_delay(attempts, float(app.config.get("NOTIFY_RETRY_BASE_SECONDS", 30)),
                            float(app.config.get("NOTIFY_RETRY_MAX_SECONDS", 3600)))
        status = "failed" if attempts >= max_attempts else "pending"
        error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("outbox message %s (%s) attempt %d failed%s: %s", message.id, message.channel,
                    attempts, " for good" if status == "failed" else "", error)
        db.session.execute(_MARK_FAILED, {"message_id": message.id, "new_status": status,
                                          "new_attempts": attempts, "error": error,
                                          "retry_at": utcnow() + delay})
        db.session.commit()
        return False


def dispatch_due(app) -> int:
    """Send due outbox messages in batches until none are due; returns how many were sent.
    Call inside an app context. Never raises: problems are logged and retried on a later call."""
    sent = 0
    try:
        batch_size = int(app.config.get("NOTIFY_BATCH_SIZE", 50))
        claim_seconds = int(app.config.get("NOTIFY_CLAIM_SECONDS", 300))
        channel_senders = senders(app)
        db.session.rollback()  # start claims on a fresh transaction
        while True:
            messages = claim_due(batch_size, claim_seconds)
            for message in messages:
                try:
                    sent += _send_one(app, message, channel_senders)
                except Exception:
                    log.exception("outbox message %s: could not record the outcome", message.id)
                    db.session.rollback()
            if len(messages) < batch_size:
                break
    except Exception:
        log.exception("notification dispatch failed")
        try:
            db.session.rollback()
        except Exception:
            log.exception("rollback after a failed dispatch failed")
    if sent:
        log.info("sent %d notification(s)", sent)
    return sent
