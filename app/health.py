"""GET /healthz: database reachable, scheduler alive (by its heartbeat), overdue timers."""
from datetime import timedelta

from flask import Blueprint, jsonify
from sqlalchemy import func, select, text

from app.clock import utcnow
from app.engine.models import SchedulerHeartbeat
from app.engine.timers import overdue_count
from app.extensions import db

bp = Blueprint("health", __name__)

HEARTBEAT_STALE_SECONDS = 30
#: A timer this late means no scheduler is firing timers (a poll takes about a second).
OVERDUE_GRACE_SECONDS = 60


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # report, never crash: this is what load balancers poll
        db.session.rollback()
        return jsonify(status="error", database=f"unreachable: {type(exc).__name__}"), 503
    last_beat = db.session.scalar(select(func.max(SchedulerHeartbeat.last_seen_at)))
    alive = last_beat is not None and utcnow() - last_beat < timedelta(seconds=HEARTBEAT_STALE_SECONDS)
    # 200 either way: this web worker serves requests; a missing scheduler shows as "degraded".
    return jsonify(
        status="ok" if alive else "degraded",
        database="ok",
        scheduler={"status": "ok" if alive else "not running",
                   "last_heartbeat": last_beat.isoformat() + "Z" if last_beat else None},
        overdue_timers=overdue_count(grace_seconds=OVERDUE_GRACE_SECONDS),
    )
