"""The schema changes only through migrations: after `upgrade`, autogenerate finds nothing to do."""
import json

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app import create_app
from app.extensions import db


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_migration_0011_moves_the_time_limit_change_log_into_the_audit_and_back(tmp_path):
    # given a database at 0008 whose time-limit change log has a created and a changed row (SQLite
    # only: the session's PostgreSQL database is shared by the other tests)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}", "TESTING": True})
    with app.app_context():
        upgrade(revision="0008")
        for statement in (
                "INSERT INTO user_account (id, username, display_name, password_hash, active, created_at,"
                " failed_logins) VALUES (1, 'admin', 'Admin', 'x', 1, '2026-01-01', 0)",
                "INSERT INTO time_limit (id, phase, amount, unit, auto_escalate, updated_at)"
                " VALUES (7, 'handling', 6, 'working_days', 0, '2026-01-02')",
                "INSERT INTO time_limit_change (time_limit_id, user_id, at, old, new) VALUES"
                " (7, 1, '2026-01-01 08:00:00', 'null', '{\"amount\": 5}'),"
                " (7, 1, '2026-01-02 08:00:00', '{\"amount\": 5}', '{\"amount\": 6}')"):
            db.session.execute(text(statement))
        db.session.commit()

        # when 0011 runs, then they are audit entries of entity time_limit
        upgrade(revision="0011")
        rows = db.session.execute(text("SELECT entity, entity_key, action, user_id, at, old, new"
                                       " FROM admin_change ORDER BY id")).all()
        assert [tuple(row[:4]) for row in rows] == [("time_limit", "7", "create", 1),
                                                    ("time_limit", "7", "update", 1)]
        assert [(json.loads(row.old), json.loads(row.new)) for row in rows] == [
            (None, {"amount": 5}), ({"amount": 5}, {"amount": 6})]
        assert not inspect(db.engine).has_table("time_limit_change")

        # and a downgrade puts them back
        downgrade(revision="0008")
        back = db.session.execute(text("SELECT time_limit_id, old, new FROM time_limit_change"
                                       " ORDER BY id")).all()
        assert [(row[0], json.loads(row.old), json.loads(row.new)) for row in back] == [
            (7, None, {"amount": 5}), (7, {"amount": 5}, {"amount": 6})]
        assert not inspect(db.engine).has_table("admin_change")
        db.session.remove()
        db.engine.dispose()


def test_migration_0013_gives_a_seeded_time_limit_table_the_appeal_review_limit(tmp_path):
    # given a database at 0012 whose time-limit table was seeded (SQLite only, as above)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}", "TESTING": True})
    with app.app_context():
        upgrade(revision="0012")
        db.session.execute(text("INSERT INTO time_limit (phase, amount, unit, auto_escalate, updated_at)"
                                " VALUES ('handling', 5, 'working_days', 0, '2026-01-02')"))
        db.session.commit()

        # when 0013 runs, then appeals get their default review limit of 5 working days
        upgrade(revision="0013")
        limits = db.session.execute(text("SELECT phase, amount, unit FROM time_limit ORDER BY id")).all()
        assert [tuple(row) for row in limits] == [("handling", 5, "working_days"),
                                                  ("appeal_review", 5, "working_days")]

        # and a downgrade takes it away with the assessment tables
        downgrade(revision="0012")
        assert db.session.execute(text("SELECT phase FROM time_limit")).scalars().all() == ["handling"]
        assert not inspect(db.engine).has_table("rating_appeal")
        db.session.remove()
        db.engine.dispose()
