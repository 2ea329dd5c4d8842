"""Time limits drive real timers (R20–R23): a limit set through the API makes a running case's
reminder and overdue fire via APScheduler on time; changing a limit and re-applying it moves the
pending timers. (Timers due during scheduler downtime: tests/test_engine_timers.py.)"""
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.engine.models import CaseEvent, HumanTask, Timer
from app.engine.timers import fire_due
from app.engine.transaction import transaction
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.scheduler import build_scheduler
from app.timelimits.limits import update_limits
from app.timelimits.models import SupervisionItem
from tests import factories as f
from tests.complaint_city import Desk, build_city


@pytest.fixture
def township_case_setting(app, client):
    """A village under a township; the village handler holds the case; an administrator."""
    f.deploy("simple_complaint.bpmn")
    city = f.territory("210900", "city")
    township = f.territory("210902001", "township", city)
    village = f.territory("210902001001", "village", township)
    office = f.unit("U-TOWNSHIP", "township", territory=township)
    committee = f.unit("U-VILLAGE", "village", territory=village)
    f.user("admin", (f.unit("C", "city", territory=city, kind="centre"), "administrator"))
    f.user("village_handler", (committee, "handler"))
    f.user("township_handler", (office, "handler"))
    return {"committee": committee, "office": office, "admin": f.auth(client, "admin")}


def set_handling_limit(client, headers, amount, unit="minutes"):
    response = client.put("/api/v1/admin/time-limits", headers=headers,
                          json={"limits": [{"phase": "handling", "amount": amount, "unit": unit}]})
    assert response.status_code == 200, response.json


def timers_by_element(case_id):
    return {t.element_id: t for t in db.session.scalars(
        select(Timer).join(HumanTask, HumanTask.instance_id == Timer.instance_id)
        .where(HumanTask.case_id == case_id))}


def event_times(case_id, kind):
    return list(db.session.scalars(select(CaseEvent.at).where(CaseEvent.case_id == case_id,
                                                              CaseEvent.kind == kind)))


@pytest.mark.slow
def test_R21_a_limit_set_through_the_api_fires_reminder_and_overdue_on_time(
        app, client, township_case_setting):
    # given a handling limit of 12 seconds (0.2 minutes), set by an administrator through the API
    set_handling_limit(client, township_case_setting["admin"], 0.2)
    case = f.case(unit_row=township_case_setting["committee"])
    timers = timers_by_element(case.id)
    reminder_due, overdue_due = timers["handle_reminder"].due_at, timers["handle_overdue"].due_at
    started = timers["handle_overdue"].started_at
    assert abs((overdue_due - started) - timedelta(seconds=12)) < timedelta(seconds=1)
    assert abs((reminder_due - started) - timedelta(seconds=9)) < timedelta(seconds=1)  # last 25%
    task = db.session.scalar(select(HumanTask).where(HumanTask.case_id == case.id))
    assert task.due_at == overdue_due

    # when the scheduler runs past the deadline
    scheduler = build_scheduler(app)
    scheduler.start()
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not event_times(case.id, "overdue"):
            time.sleep(0.5)
            db.session.rollback()
    finally:
        scheduler.shutdown()

    # then the reminder and the overdue mark each happened once, within seconds of their times
    [reminded] = event_times(case.id, "reminder")
    [overdue] = event_times(case.id, "overdue")
    assert timedelta(0) <= reminded - reminder_due < timedelta(seconds=5)
    assert timedelta(0) <= overdue - overdue_due < timedelta(seconds=5)
    # the case is on the supervision list of the village and of the township above it
    listed = set(db.session.scalars(
        select(SupervisionItem.unit_id).where(SupervisionItem.case_id == case.id)))
    assert listed == {township_case_setting["committee"].id, township_case_setting["office"].id}
    # both levels' handlers were notified through the outbox; the handler's task is still open
    kinds = {(m.kind, m.user_id) for m in db.session.scalars(select(OutboxMessage))}
    assert ("reminder", f.user_id("village_handler")) in kinds
    assert {("overdue", f.user_id("village_handler")), ("overdue", f.user_id("township_handler"))} <= kinds
    assert db.session.scalar(select(HumanTask.status).where(HumanTask.case_id == case.id)) == "open"


def test_R22_changing_the_limit_and_reapplying_moves_the_pending_timers(app, client, township_case_setting):
    # given a running case under a 1-minute handling limit
    headers = township_case_setting["admin"]
    set_handling_limit(client, headers, 1)
    case = f.case(unit_row=township_case_setting["committee"])
    before = timers_by_element(case.id)
    started = before["handle_overdue"].started_at

    # when the limit becomes 2 hours and is re-applied to open cases
    set_handling_limit(client, headers, 2, "hours")
    reapplied = client.post("/api/v1/admin/time-limits/reapply", headers=headers, json={"phase": "handling"})
    assert reapplied.status_code == 200 and reapplied.json["moved"] == 2

    # then both timers count from the same start under the new limit, in the mirror and the task
    db.session.expire_all()
    after = timers_by_element(case.id)
    assert abs(after["handle_overdue"].due_at - (started + timedelta(hours=2))) < timedelta(seconds=1)
    assert abs(after["handle_reminder"].due_at - (started + timedelta(minutes=90))) < timedelta(seconds=1)
    assert db.session.scalar(select(HumanTask.due_at).where(HumanTask.case_id == case.id)) == \
        after["handle_overdue"].due_at
    # and the change is on the case's timeline; nothing fires at the old time
    assert len(event_times(case.id, "deadline_changed")) == 1
    from app.engine.timers import fire_due
    assert fire_due("test") == 0


def test_R21_deadlines_passed_while_the_scheduler_was_down_fire_once_on_restart(
        app, client, township_case_setting):
    # given a 3-second handling limit and a case started while no scheduler runs
    set_handling_limit(client, township_case_setting["admin"], 0.05)
    case = f.case(unit_row=township_case_setting["committee"])
    time.sleep(3.5)  # both the reminder and the deadline pass during the "downtime"
    # when a scheduler starts, and later restarts
    for _ in range(2):
        scheduler = build_scheduler(app)
        scheduler.start()
        time.sleep(1.5)
        scheduler.shutdown()
    db.session.rollback()
    # then the reminder and the overdue mark each happened exactly once
    assert len(event_times(case.id, "reminder")) == 1
    assert len(event_times(case.id, "overdue")) == 1
    assert db.session.scalar(select(Timer.status).where(Timer.element_id == "handle_overdue")) == "fired"


def test_R14_R20_a_first_contact_past_its_call_back_limit_stays_red_until_the_call_is_made(app, client):
    """The first-contact task carries two deadlines: the call-back (R14, 30 minutes by default)
    and signing for (R8, a working day). Once the call-back passes, the task is overdue: its due
    time stays the call-back's and its light red, although the later deadline is still pending."""
    with transaction():  # a call-back limit of three seconds
        update_limits([{"phase": "first_contact", "amount": 0.05, "unit": "minutes"}])
    city = build_city()
    desk = Desk(client)
    desk.village_case(city["units"])
    task_id = desk.task("handler_village", "first_contact")
    handler = desk.headers("handler_village")
    call_back_due = client.get(f"/api/v1/tasks/{task_id}", headers=handler).json["due_at"]
    # when the call-back limit passes and the scheduler's timer poll runs
    time.sleep(3.2)
    assert fire_due("test-worker") >= 1
    # then the case is on the supervision list, and the task and the case show it overdue
    assert "overdue" in desk.events()
    task = client.get(f"/api/v1/tasks/{task_id}", headers=handler).json
    assert (task["due_at"], task["light"]) == (call_back_due, "red")
    case = desk.case()
    assert (case["due_at"], case["light"]) == (call_back_due, "red")
