"""Concurrent writers to one instance: exactly one wins, the other gets 409, nothing is lost."""
import threading
import time

import pytest
from sqlalchemy import func, select, update

from app.engine import runtime
from app.engine.errors import Conflict
from app.engine.models import CaseEvent, HumanTask, Incident, ProcessInstance
from app.extensions import db
from app.organisation.models import Unit
from tests import factories as f


def test_two_concurrent_completions_of_one_task_give_one_success_and_one_conflict(app, client):
    # given an open task signed for (签收) by alice, who sends her answer from two tabs at once (or
    # double-clicks): the claim is taken before the instance loads, so this is the race that
    # remains once a task has its one holder
    f.deploy("simple_complaint.bpmn")
    unit = f.unit("V1")
    f.user("alice", (unit, "handler"))
    case = f.case(unit_row=unit)
    task_id = db.session.scalar(select(HumanTask.id).where(HumanTask.case_id == case.id))
    alice = f.auth(client, "alice")
    assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=alice).status_code == 200
    headers = {"tab1": alice, "tab2": alice}
    revision_before = db.session.scalar(select(ProcessInstance.revision))

    # when both requests have loaded the instance before either saves
    both_loaded = threading.Barrier(2, timeout=10)

    def wait_for_the_other(_loaded):
        both_loaded.wait()

    results = {}

    def complete(name):
        results[name] = client.post(f"/api/v1/tasks/{task_id}/complete",
                                    json={"data": {"action": f"reply-by-{name}"}}, headers=headers[name])

    runtime.instance_loaded.connect(wait_for_the_other)
    try:
        threads = [threading.Thread(target=complete, args=(name,)) for name in headers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        runtime.instance_loaded.disconnect(wait_for_the_other)

    # then exactly one succeeded and the other was told of the conflict
    statuses = sorted(r.status_code for r in results.values())
    assert statuses == [200, 409], {k: (r.status_code, r.json) for k, r in results.items()}
    loser = next(r for r in results.values() if r.status_code == 409)
    assert loser.json["code"] == "conflict"
    winner = next(name for name, r in results.items() if r.status_code == 200)

    # and the instance moved by exactly one revision, with one completion in history
    db.session.expire_all()
    assert db.session.scalar(select(ProcessInstance.revision)) == revision_before + 1
    done = db.session.get(HumanTask, task_id)
    assert done.status == "completed" and done.action == f"reply-by-{winner}"
    completions = db.session.scalar(select(func.count()).select_from(CaseEvent)
                                    .where(CaseEvent.kind == "task_completed"))
    assert completions == 1


def test_a_deadlock_inside_a_step_is_a_conflict_to_retry_not_an_incident(app):
    """Two writers can deadlock on rows they both update (the statistics rollup's day rows, say).
    PostgreSQL breaks the cycle by failing one of them; that one must get 409 and nothing written,
    not a process incident."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: no deadlock")
    # given two rows, the first locked by another transaction
    first, second = f.unit("V1"), f.unit("V2")
    db.session.commit()
    other = db.engine.connect()
    other.begin()
    other.execute(update(Unit).where(Unit.id == first.id).values(name="other"))
    outcome = []

    def step():
        db.session.execute(update(Unit).where(Unit.id == second.id).values(name="step"))
        db.session.execute(update(Unit).where(Unit.id == first.id).values(name="step"))

    def run_step():
        with app.app_context():
            try:
                runtime.run(None, step, source="task")
            except Exception as error:  # what the step raised is the outcome
                outcome.append(error)

    # when a step locks the second row and waits for the first while the other transaction,
    # holding the first, asks for the second
    runner = threading.Thread(target=run_step)
    runner.start()
    time.sleep(0.5)
    other.execute(update(Unit).where(Unit.id == second.id).values(name="other"))
    runner.join(timeout=10)
    other.rollback()
    other.close()

    # then the step, which PostgreSQL chose to fail, ends as a Conflict, and no incident is filed
    assert [type(error) for error in outcome] == [Conflict]
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 0
