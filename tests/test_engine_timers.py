"""Timers: mirrored on save, fired by real APScheduler jobs, once, even across restarts and
with several scheduler processes polling one database."""
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from app.engine.models import CaseEvent, HumanTask, Timer
from app.engine.timers import overdue_count
from app.extensions import db
from app.scheduler import build_scheduler
from tests import factories as f
from tests.factories import due_in

ROOT = Path(__file__).resolve().parent.parent


def wait_until(condition, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # see other connections' commits
        if condition():
            return True
        time.sleep(interval)
    return False


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_waiting_timer_is_mirrored_with_its_due_time(app):
    f.deploy("timer_then_task.bpmn")
    unit = f.unit("V1")
    due = datetime.now(UTC) + timedelta(hours=3)
    f.case(unit_row=unit, process_id="timer_then_task", data={"due": due.isoformat()})
    timer = db.session.scalar(select(Timer))
    assert timer.status == "waiting" and timer.element_id == "wait"
    assert abs((timer.due_at - due.replace(tzinfo=None)).total_seconds()) < 0.001
    assert count(HumanTask) == 0


def test_a_timer_due_while_the_app_was_stopped_fires_exactly_once_after_restart(app):
    # given a case waiting on a timer, and no scheduler running while it comes due
    f.deploy("timer_then_task.bpmn")
    unit = f.unit("V1")
    case = f.case(unit_row=unit, process_id="timer_then_task", data={"due": due_in(0.5)})
    time.sleep(1.0)
    assert count(Timer, Timer.status == "waiting") == 1
    assert overdue_count() == 1

    # when the scheduler starts again
    scheduler = build_scheduler(app)
    scheduler.start()
    try:
        assert wait_until(lambda: count(HumanTask, HumanTask.case_id == case.id) == 1, timeout=15)
    finally:
        scheduler.shutdown()

    # and restarts once more, polling a few times
    scheduler = build_scheduler(app)
    scheduler.start()
    time.sleep(1.0)
    scheduler.shutdown()

    # then the timer fired exactly once and the process moved on exactly once
    db.session.rollback()
    assert count(CaseEvent, CaseEvent.kind == "timer_fired", CaseEvent.case_id == case.id) == 1
    assert count(HumanTask, HumanTask.case_id == case.id, HumanTask.element_id == "after_timer") == 1
    assert db.session.scalar(select(Timer.status)) == "fired"
    assert overdue_count() == 0


def test_a_timer_not_yet_due_does_not_fire(app):
    f.deploy("timer_then_task.bpmn")
    unit = f.unit("V1")
    f.case(unit_row=unit, process_id="timer_then_task", data={"due": due_in(3600)})
    scheduler = build_scheduler(app)
    scheduler.start()
    time.sleep(1.0)
    scheduler.shutdown()
    db.session.rollback()
    assert count(CaseEvent, CaseEvent.kind == "timer_fired") == 0
    assert db.session.scalar(select(Timer.status)) == "waiting"


def test_two_scheduler_processes_racing_over_200_due_timers_fire_each_exactly_once(app, database_url):
    # given 200 cases whose timers are all due
    f.deploy("timer_then_task.bpmn")
    unit = f.unit("V1")
    lead = 15.0  # long enough to create them all before any comes due, even on a slow machine
    due = datetime.now(UTC) + timedelta(seconds=lead)
    for i in range(200):
        f.case(title=f"case {i}", unit_row=unit, process_id="timer_then_task",
               data={"due": due.isoformat()})
    assert count(Timer, Timer.status == "waiting") == 200, "timers came due while creating cases"
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.2)
    assert overdue_count() == 200

    # when two separate scheduler processes poll the same database
    env = {**os.environ, "DATABASE_URL": database_url, "SCHEDULER_POLL_SECONDS": "0.1",
           "TIMER_BATCH_SIZE": "7", "FLASK_APP": "run.py"}
    processes = [subprocess.Popen([sys.executable, "-m", "flask", "scheduler"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
    try:
        finished = wait_until(lambda: count(Timer, Timer.status == "fired") == 200, timeout=120,
                              interval=0.5)
        time.sleep(1.0)  # let both go on polling after the last fire
    finally:
        for process in processes:
            process.terminate()
        errors = [p.communicate(timeout=30)[1] for p in processes]
    assert all(p.returncode is not None for p in processes)
    assert finished, f"not all timers fired; scheduler output: {errors}"

    # then every timer fired exactly once and every case has exactly one follow-up task
    db.session.rollback()
    fired_per_case = db.session.execute(
        select(CaseEvent.case_id, func.count()).where(CaseEvent.kind == "timer_fired")
        .group_by(CaseEvent.case_id)).all()
    assert len(fired_per_case) == 200
    assert {n for _, n in fired_per_case} == {1}
    assert count(HumanTask, HumanTask.element_id == "after_timer") == 200
    assert "Traceback" not in "".join(errors), errors
    fired_by = [sum(int(n) for n in re.findall(r"fired (\d+) timer", out)) for out in errors]
    assert sum(fired_by) == 200, fired_by
    print("timers fired per scheduler process:", fired_by)
