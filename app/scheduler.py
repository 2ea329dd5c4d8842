"""APScheduler wiring: a polling job that fires due timers, and a heartbeat for /healthz.

Timers live in the `timer` table, not in APScheduler's job store: any number of scheduler
processes can poll the same database, and claims make sure each timer fires once. A timer that
came due while no scheduler ran is simply due at the first poll after start-up.
"""
import logging
from datetime import timedelta
from functools import wraps

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import delete

from app.clock import utcnow
from app.engine.models import SchedulerHeartbeat
from app.engine.timers import fire_due, worker_name
from app.extensions import db

log = logging.getLogger(__name__)
_DAY = timedelta(days=1)


def job(function):
    """A scheduler job: runs in the app's context, and its database session ends with it (jobs
    run in the scheduler's threads, which Flask's request teardown never reaches)."""
    @wraps(function)
    def run(app, *args):
        with app.app_context():
            try:
                return function(app, *args)
            finally:
                db.session.remove()

    return run


@job
def poll_timers(app, worker: str) -> int:
    fired = fire_due(worker, app.config["TIMER_BATCH_SIZE"], app.config["TIMER_CLAIM_SECONDS"])
    if fired:
        log.info("scheduler %s fired %d timer(s)", worker, fired)
    return fired


@job
def heartbeat(app, worker: str) -> None:
    now = utcnow()
    db.session.merge(SchedulerHeartbeat(name=worker, last_seen_at=now))
    db.session.execute(delete(SchedulerHeartbeat).where(
        SchedulerHeartbeat.last_seen_at < now.replace(microsecond=0) - _DAY))
    db.session.commit()


@job
def send_notifications(app) -> None:
    from app.notifications.dispatcher import dispatch_due

    dispatch_due(app)


@job
def refresh_statistics(app) -> None:
    """SQLite keeps no planner statistics unless told to; without them the inbox scans every open
    task (bench/README.md, Inbox). PostgreSQL's autovacuum does this by itself."""
    if db.engine.dialect.name == "sqlite":
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")


@job
def purge_rate_counters(app) -> None:
    """Rate-limit windows that have ended are deleted (app/ratelimit.py)."""
    from app.ratelimit import purge_expired

    purge_expired()


@job
def purge_sessions(app) -> None:
    """Web sessions and API tokens past their end are deleted (app/accounts/sessions.py)."""
    from app.accounts.sessions import purge_expired

    purge_expired()


@job
def weekly_analysis(app) -> int:
    """周分析 (R31): each county's weekly list to its leaders, once it is due (app/statistics/weekly.py)."""
    from app.statistics import weekly

    return weekly.run()


@job
def freeze_assessments(app) -> None:
    """The rankings of ended assessment periods are frozen (app/assessment/snapshots.py); every
    scheduler runs this, and each period is frozen once."""
    from app.assessment.snapshots import freeze_ended

    frozen = freeze_ended()
    if frozen:
        log.info("froze the ranking of %d assessment period(s)", len(frozen))


def build_scheduler(app, blocking: bool = False):
    worker = worker_name()
    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(timezone="UTC")
    now = utcnow()
    scheduler.add_job(poll_timers, "interval", args=[app, worker], id="poll-timers",
                      seconds=app.config["SCHEDULER_POLL_SECONDS"], next_run_time=now,
                      max_instances=1, coalesce=True)
    scheduler.add_job(heartbeat, "interval", args=[app, worker], id="heartbeat", seconds=10,
                      next_run_time=now, max_instances=1, coalesce=True)
    scheduler.add_job(send_notifications, "interval", args=[app], id="send-notifications",
                      seconds=app.config["SCHEDULER_POLL_SECONDS"], next_run_time=now,
                      max_instances=1, coalesce=True)
    scheduler.add_job(refresh_statistics, "interval", args=[app], id="refresh-statistics", hours=6,
                      next_run_time=now, max_instances=1, coalesce=True)
    scheduler.add_job(purge_rate_counters, "interval", args=[app], id="purge-rate-counters", hours=1,
                      max_instances=1, coalesce=True)
    scheduler.add_job(purge_sessions, "interval", args=[app], id="purge-sessions", hours=1,
                      max_instances=1, coalesce=True)
    from app.statistics.weekly import parse_when

    parse_when(app.config["WEEKLY_ANALYSIS_AT"])  # a wrong setting stops the start, not the week's run
    scheduler.add_job(weekly_analysis, "interval", args=[app], id="weekly-analysis",
                      seconds=app.config["WEEKLY_ANALYSIS_POLL_SECONDS"], next_run_time=now,
                      max_instances=1, coalesce=True)
    scheduler.add_job(freeze_assessments, "interval", args=[app], id="freeze-assessments", hours=1,
                      next_run_time=now, max_instances=1, coalesce=True)
    log.info("scheduler %s polls every %ss", worker, app.config["SCHEDULER_POLL_SECONDS"])
    return scheduler

