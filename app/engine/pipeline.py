"""Deferred writes: statements whose result nobody reads at once wait on the session and are sent
together, just before the next statement that does need a result, or with the COMMIT.

Saving an instance writes its revision-guarded UPDATE, task and timer mirrors and history rows;
sent one by one on PostgreSQL, each costs a round trip to the server in which the client only
waits. Deferred, they travel in one psycopg pipeline together with the statement that follows
them (or the COMMIT): one round trip for all (bench/README.md, "Engine benchmark"). On SQLite,
which has no round trips, they simply run one after the other at the same moments.

The order of statements never changes: a read through the session (`transaction.execute`, ORM
queries, flushes) sends what is pending first. A write that must change exactly one row
(`conflict=...`, e.g. the revision guard) is checked as soon as it has run; changing none raises
`Conflict` and the transaction rolls back, as if it had failed at once. A transaction with such a
write pending sends it before its COMMIT, so a lost race is never committed. When a later write
of the same batch then fails too (the winner already inserted the timer row this change inserts
again), the lost guard is what is reported: Conflict, not the database error it caused.
"""
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from flask import has_app_context
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.engine.errors import Conflict
from app.extensions import db

_PENDING = "huiyin.deferred_writes"  # session.info: the writes not sent yet
_END_PIPELINE = "huiyin.end_pipeline"  # connection.info: ends the pipeline after the next statement
_COMMIT = text("COMMIT")
#: Called with the session before its deferred writes are sent at commit (e.g. the history turns
#: its buffered rows into one write).
before_commit_writers: list[Callable[[Session], None]] = []


@dataclass(frozen=True)
class _Write:
    statement: Any
    params: Any
    conflict: str | None


def defer(session: Session, statement, params=None, conflict: str | None = None) -> None:
    """Send `statement` later; with `conflict`, it must change exactly one row or the transaction
    fails with Conflict(conflict). An INSERT is sent `inline()`: nobody waits for the new row's
    key (SQLAlchemy would otherwise ask for it with RETURNING)."""
    if statement.is_insert and not statement._inline:
        statement = statement.inline()
    session.info.setdefault(_PENDING, []).append(_Write(statement, params, conflict))


def execute(session: Session, statement, params=None):
    """Run a Core statement on the session's connection, the deferred writes first (on
    PostgreSQL in the same round trip), and return its result."""
    connection = session.connection()
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return connection.execute(statement, params)
    results, result = _send(connection, pending, (statement, params))
    _check(pending, results)
    return result


def send(session: Session) -> None:
    """Send the deferred writes now (one round trip on PostgreSQL)."""
    pending = session.info.pop(_PENDING, None)
    if pending:
        results, _ = _send(session.connection(), pending, None)
        _check(pending, results)


def commit(session: Session) -> None:
    """Commit, the deferred writes first. On PostgreSQL, when none of them must be checked, they
    and the COMMIT share one round trip; SQLAlchemy's own commit then finds the server's
    transaction already ended and sends nothing."""
    session.flush()
    for write in before_commit_writers:
        write(session)
    pending = session.info.get(_PENDING)
    if pending and _psycopg(session.connection()) is not None and not any(w.conflict for w in pending):
        del session.info[_PENDING]
        _send(session.connection(), pending, (_COMMIT, None))
    session.commit()


def discard(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _psycopg(connection):
    """The psycopg connection under a SQLAlchemy connection, or None (another driver)."""
    raw = connection.connection.dbapi_connection
    return raw if hasattr(raw, "pipeline") else None


def _send(connection, pending: list[_Write], last: tuple | None):
    """Run the writes, then `last` (statement, params) if given; on psycopg in one pipeline, ended
    right after `last` has been sent so that SQLAlchemy finds its result as usual."""
    results = []
    try:
        return results, _run(connection, pending, last, results)
    except Exception as error:  # the driver's or SQLAlchemy's error, whichever ended the pipeline
        for write, result in zip(pending, results, strict=False):
            if write.conflict is not None and result.context.cursor.rowcount == 0:
                raise Conflict(write.conflict) from error
        raise


def _run(connection, pending: list[_Write], last: tuple | None, results: list):
    """`_send`'s work: the writes' results are appended to `results` as they are sent (a guard's
    row count is known once a later statement has failed: the server ran them in order)."""
    raw = _psycopg(connection)
    if raw is None:
        results.extend(connection.execute(w.statement, w.params) for w in pending)
        return connection.execute(*last) if last else None
    with ExitStack() as stack:
        stack.enter_context(raw.pipeline())
        results.extend(connection.execute(w.statement, w.params) for w in pending)
        if last is None:
            return None
        connection.info[_END_PIPELINE] = stack.close
        try:
            return connection.execute(*last)
        finally:
            connection.info.pop(_END_PIPELINE, None)


@event.listens_for(Engine, "after_cursor_execute")
def _end_pipeline(connection, _cursor, _statement, _parameters, _context, _executemany) -> None:
    """Ending the pipeline sends what is queued with a Sync and reads every result, this
    statement's too: before SQLAlchemy looks at it, and inside its error handling, so a failed
    deferred write raises the usual IntegrityError & co."""
    end = connection.info.pop(_END_PIPELINE, None) if connection.info else None
    if end is not None:
        end()


def _check(pending: list[_Write], results: list) -> None:
    for write, result in zip(pending, results, strict=True):
        if write.conflict is not None and result.context.cursor.rowcount != 1:
            raise Conflict(write.conflict)


@event.listens_for(Session, "do_orm_execute")
def _send_before_orm_statement(state) -> None:
    send(state.session)


@event.listens_for(Session, "before_flush")
def _send_before_flush(session, _flush_context, _instances) -> None:
    send(session)


@event.listens_for(Session, "before_commit")
def _send_before_commit(session) -> None:
    for write in before_commit_writers:
        write(session)
    send(session)


@event.listens_for(Engine, "savepoint")
def _send_before_savepoint(connection, _name) -> None:
    """Writes deferred before a SAVEPOINT belong before it: rolling back to it must keep them."""
    if has_app_context() and db.session.info.get(_PENDING):
        pending = db.session.info.pop(_PENDING)
        results, _ = _send(connection, pending, None)
        _check(pending, results)


@event.listens_for(Session, "after_rollback")
def _discard_after_rollback(session) -> None:
    discard(session)
