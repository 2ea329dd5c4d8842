"""SQLite gets planner statistics from the scheduler (the inbox relies on them)."""
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
