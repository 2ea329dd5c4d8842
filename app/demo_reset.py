"""`flask demo-reset`: empty the database so that the demo can be loaded afresh. Meant for the
embedded SQLite demo of `make run`; any other database (PostgreSQL, or a SQLite file holding
another city) is refused unless the operator says --yes."""
from pathlib import Path

from sqlalchemy import inspect, select, text

from app.demo import CITY
from app.engine import repository
from app.extensions import db
from app.organisation.models import Territory


def refusal() -> str | None:
    """Why this database is not the demo's (None: it is, or it is empty)."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return f"the database is {engine.dialect.name}, not the embedded SQLite demo"
    if inspect(engine).has_table(Territory.__tablename__):
        roots = set(db.session.scalars(select(Territory.code).where(Territory.parent_id.is_(None))))
        db.session.rollback()
        if roots - {CITY[0]}:
            return f"the database holds territories other than the demo city: {', '.join(sorted(roots))}"
    return None


def empty_database() -> None:
    """Drop everything: the SQLite file goes (with its write-ahead log), a PostgreSQL database
    loses its public schema. The migrations then build it again."""
    db.session.remove()
    repository.clear_cache()  # the parsed processes of the ids about to be reused
    engine = db.engine
    if engine.dialect.name == "sqlite":
        engine.dispose()
        name = engine.url.database
        if name and name != ":memory:":
            for suffix in ("", "-wal", "-shm"):
                Path(name + suffix).unlink(missing_ok=True)
        return
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
