"""Issue 15: a change's writes wait and travel together (app/engine/pipeline.py). On PostgreSQL
completing the task that closes a case costs five round trips where it cost 12, and the deferred
writes keep the meaning they had when each was sent at once: later reads see them, a failed one
fails the change, a lost race still commits nothing."""
import tempfile

import psycopg
import pytest
from sqlalchemy import event, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.cases.models import Case
from app.engine import runtime, tasks
from app.engine.errors import Conflict
from app.engine.models import CaseEvent, HumanTask
from app.engine.transaction import defer, execute, transaction
from app.extensions import db
from app.organisation.models import Unit
from tests import factories as f

_cases = Case.__table__


@pytest.fixture
def handler_task(app):
    """A case of the simple complaint process whose `handle` task a handler of its unit may do."""
    f.deploy("simple_complaint.bpmn")
    unit = f.unit("V1")
    handler = f.user("alice", (unit, "handler"))
    case = f.case(unit_row=unit)
    task_id = db.session.scalar(select(HumanTask.id).where(HumanTask.case_id == case.id))
    db.session.commit()
    return handler, case, task_id


class RoundTrips:
    """Counts the round trips of the session's connection from libpq's protocol trace: a run of
    messages the client sends, answered by the server, is one."""

    def __enter__(self):
        self.raw = db.session.connection().connection.dbapi_connection
        self.raw.prepare_threshold = None  # no one-off PREPARE round trips in the count
        self.file = tempfile.TemporaryFile()
        self.raw.pgconn.trace(self.file.fileno())
        self.raw.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
        return self

    def __exit__(self, *exc):
        self.raw.pgconn.untrace()
        self.file.seek(0)
        lines = [line[:1] for line in self.file.read().split(b"\n") if line[1:2] == b"\t"]
        self.file.close()
        self.count = sum(1 for i, d in enumerate(lines) if d == b"F" and (i == 0 or lines[i - 1] != b"F"))


def test_completing_the_task_that_closes_a_case_takes_five_round_trips_on_postgresql(handler_task):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no round trips")
    handler, case, task_id = handler_task

    # when the handler completes the task (signing for it, saving the instance, its mirrors and
    # four history events, closing the case)
    with RoundTrips() as trips:
        done = tasks.complete(handler, task_id, {"action": "reply"})

    # then the client waited five times: BEGIN; the load; the instance, its mirrors (the task's
    # UPDATE signs for it too) and the case's closing UPDATE; the statistics fact with the
    # look-up of the channel's webhooks; the history with the COMMIT
    assert done["status"] == "completed"
    assert trips.count == 5, trips.count
    assert db.session.scalar(select(Case.status).where(Case.id == case.id)) == "closed"


def test_a_deferred_write_is_seen_by_the_next_read_of_the_transaction(handler_task):
    _handler, case, _task_id = handler_task
    with transaction():
        # given a deferred change of the case's title
        defer(update(_cases).where(_cases.c.id == case.id).values(title="deferred"))

        # when the transaction reads the case, through Core and through the ORM
        core = execute(select(_cases.c.title).where(_cases.c.id == case.id)).scalar_one()
        orm = db.session.scalar(select(Case.title).where(Case.id == case.id))

    # then both reads see it
    assert (core, orm) == ("deferred", "deferred")


def test_a_deferred_write_that_fails_fails_the_change_with_the_database_error(handler_task):
    _handler, case, _task_id = handler_task
    events_before = db.session.scalar(select(db.func.count()).select_from(CaseEvent))

    # when a change defers an event and then an INSERT that breaks a foreign key
    with pytest.raises(IntegrityError), transaction():
        defer(insert(CaseEvent.__table__), {"case_id": case.id, "kind": "note"})
        defer(insert(CaseEvent.__table__), {"case_id": 999_999, "kind": "note"})
        execute(select(_cases.c.id).where(_cases.c.id == case.id))

    # then nothing of it is stored
    assert db.session.scalar(select(db.func.count()).select_from(CaseEvent)) == events_before


def test_a_deferred_write_that_must_change_one_row_and_changes_none_is_a_conflict(handler_task):
    _handler, case, _task_id = handler_task

    # when a change defers a guarded title change that matches no row, then writes on
    with pytest.raises(Conflict, match="changed meanwhile"), transaction():
        defer(update(_cases).where(_cases.c.id == case.id).values(title="first"))
        defer(update(_cases).where(_cases.c.id == case.id, _cases.c.status == "no such status")
              .values(title="guarded"), conflict="changed meanwhile")
        defer(update(_cases).where(_cases.c.id == case.id).values(title="after"))

    # then it commits nothing, also not what came before or after the guard
    assert db.session.scalar(select(Case.title).where(Case.id == case.id)) == "Street lamp broken"


@pytest.mark.parametrize("then", ["read", "commit"])
def test_a_lost_guard_followed_by_a_write_the_winner_already_made_is_a_conflict(handler_task, then):
    # given a change whose guarded write finds the row changed meanwhile, and whose next write
    # repeats a row the winner already inserted (as a completion racing another re-inserts the
    # timer both of them started): found in a load run as a 500 with a duplicate key
    _handler, case, _task_id = handler_task
    first_event = db.session.scalar(select(CaseEvent.id).where(CaseEvent.case_id == case.id).limit(1))

    # when the change sends them, before a read or at its commit
    with pytest.raises(Conflict, match="changed meanwhile"), transaction():
        defer(update(_cases).where(_cases.c.id == case.id, _cases.c.status == "no such status")
              .values(title="guarded"), conflict="changed meanwhile")
        defer(insert(CaseEvent.__table__), {"id": first_event, "case_id": case.id, "kind": "note"})
        if then == "read":
            execute(select(_cases.c.id).where(_cases.c.id == case.id))

    # then it is the lost race that is reported, and nothing of the change is stored
    assert db.session.scalar(select(Case.title).where(Case.id == case.id)) == "Street lamp broken"


def test_a_task_signed_for_by_someone_else_meanwhile_is_a_conflict_and_stays_theirs(handler_task):
    handler, _case, task_id = handler_task
    bob = f.user("bob", (db.session.get(Unit, handler.memberships[0].unit_id), "handler"))
    db.session.commit()

    # given bob signs for the task after alice's request loaded it unassigned
    def sign_for_bob_meanwhile(_loaded):
        with db.engine.begin() as other:
            other.execute(update(HumanTask.__table__).where(HumanTask.id == task_id)
                          .values(assignee_id=bob.id))

    runtime.instance_loaded.connect(sign_for_bob_meanwhile)
    try:
        # when alice completes it
        with pytest.raises(Conflict):
            tasks.complete(handler, task_id, {"action": "reply"})
    finally:
        runtime.instance_loaded.disconnect(sign_for_bob_meanwhile)

    # then the task is still open and bob's, and alice's answer is nowhere
    db.session.expire_all()
    task = db.session.get(HumanTask, task_id)
    assert (task.status, task.assignee_id) == ("open", bob.id)
    assert db.session.scalar(select(db.func.count()).select_from(CaseEvent)
                             .where(CaseEvent.kind == "task_completed")) == 0


def test_a_write_deferred_before_a_savepoint_stays_when_the_savepoint_rolls_back(handler_task):
    _handler, case, _task_id = handler_task
    with transaction():
        # given a deferred title change, then a savepoint whose INSERT fails and is rolled back
        defer(update(_cases).where(_cases.c.id == case.id).values(title="kept"))
        with pytest.raises(IntegrityError), db.session.begin_nested():
            execute(insert(CaseEvent.__table__), {"case_id": 999_999, "kind": "note"})

    # then the change made before the savepoint is committed
    assert db.session.scalar(select(Case.title).where(Case.id == case.id)) == "kept"


def test_completing_a_task_nobody_signed_for_signs_for_it_in_the_completions_update(handler_task):
    handler, case, task_id = handler_task
    updates = []

    def note_update(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("UPDATE HUMAN_TASK"):
            updates.append(statement)

    # when the handler completes the task nobody has signed for
    event.listen(db.engine, "before_cursor_execute", note_update)
    try:
        tasks.complete(handler, task_id, {"action": "reply"})
    finally:
        event.remove(db.engine, "before_cursor_execute", note_update)

    # then one UPDATE of the task both signs for and completes it
    assert len(updates) == 1, updates
    task = db.session.get(HumanTask, task_id)
    assert (task.status, task.assignee_id, task.completed_by_id) == ("completed", handler.id, handler.id)
    # and the timeline still says it was signed for (by completing it) before it was completed
    kinds = db.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id,
                                                            CaseEvent.task_id == task_id)
                               .order_by(CaseEvent.id)).all()
    assert kinds[-2:] == ["task_claimed", "task_completed"], kinds
