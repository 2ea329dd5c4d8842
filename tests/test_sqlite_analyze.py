"""Scheduler housekeeping: SQLite planner statistics (the inbox relies on them) and the purge of
ended rate-limit windows."""
import pytest
from sqlalchemy import text

from app.extensions import db
from app.scheduler import refresh_statistics


def test_the_scheduler_refreshes_sqlite_statistics(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's autovacuum keeps its own statistics")
    db.session.execute(text("DROP TABLE IF EXISTS sqlite_stat1"))
    db.session.commit()
    refresh_statistics(app)
    assert db.session.execute(text("SELECT count(*) FROM sqlite_stat1")).scalar() > 0


def test_ended_rate_limit_windows_are_purged(app):
    from app.ratelimit import RateCounter, allow, purge_expired

    assert allow("1/minute", "test", "a") and not allow("1/minute", "test", "a")
    db.session.add(RateCounter(key="old", count=3, expires_at=0.0))
    db.session.commit()
    assert purge_expired() >= 1
    assert db.session.get(RateCounter, "old") is None
