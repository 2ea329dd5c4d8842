"""One case change = one transaction: commit on success, roll back everything on any error.

A lost optimistic-lock race (StaleDataError) or a write lock SQLite could not get becomes
`Conflict`, which the API answers with 409: the caller reloads and tries again. Writes whose
result nobody reads wait and go with the next statement or the COMMIT (app/engine/pipeline.py).
"""
from contextlib import contextmanager

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app.engine import pipeline
from app.engine.errors import Conflict
from app.extensions import db

CONFLICT_MESSAGE = "the case was changed by someone else at the same time; reload and try again"


def _is_lock_error(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "database is locked" in text or "deadlock detected" in text or "could not serialize" in text


def lost_a_lock(exc: BaseException) -> bool:
    """Whether `exc`, or an error it wraps (SpiffWorkflow wraps what a process function raised),
    is a lock the database refused: a deadlock between two writers, a serialization failure,
    SQLite's busy lock. That is a race to retry, not a fault of the process."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, OperationalError) and _is_lock_error(exc):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def execute(statement, params=None):
    """Run a Core statement on the current transaction's connection, bypassing the ORM layer:
    the engine's hot path uses prebuilt statements on tables, not ORM entities. Deferred writes
    go first, in the same round trip."""
    return pipeline.execute(db.session, statement, params)


def defer(statement, params=None, conflict: str | None = None) -> None:
    """A write whose result nobody reads now: sent with the next statement or the COMMIT. With
    `conflict`, changing anything but exactly one row fails the transaction with that Conflict."""
    pipeline.defer(db.session, statement, params, conflict)


@contextmanager
def transaction():
    try:
        yield db.session
        pipeline.commit(db.session)
    except StaleDataError:
        db.session.rollback()
        raise Conflict(CONFLICT_MESSAGE) from None
    except OperationalError as exc:
        db.session.rollback()
        if _is_lock_error(exc):
            raise Conflict(CONFLICT_MESSAGE) from None
        raise
    except BaseException:
        db.session.rollback()
        raise
