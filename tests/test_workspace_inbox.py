"""The inbox query (app/workspace/inbox.py): its SQL light filter agrees with lights.light row by
row; scopes, queues, text and territory filters narrow it; sorting by due time."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.accounts.models import User
from app.clock import utcnow
from app.engine.models import HumanTask
from app.engine.tasks import claim
from app.extensions import db
from app.timelimits.lights import basis, light
from app.workspace.inbox import InboxFilter, inbox
from tests import factories as f


@pytest.fixture
def village(app):
    f.deploy("simple_complaint.bpmn")
    city = f.territory("210900", "city")
    township = f.territory("210902001", "township", city)
    unit = f.unit("V1", "village", territory=f.territory("210902001001", "village", township))
    other = f.unit("V2", "village", territory=f.territory("210903001001", "village", city))
    handler = f.user("handler", (unit, "handler"))
    f.user("handler2", (unit, "handler"))
    f.user("elsewhere", (other, "handler"))
    return unit, handler


def shape(task_id, created_ago: timedelta, due_in: timedelta | None):
    now = utcnow()
    db.session.execute(update(HumanTask).where(HumanTask.id == task_id).values(
        created_at=now - created_ago, due_at=None if due_in is None else now + due_in))


def test_R20_the_light_filter_agrees_with_the_light_of_every_row(village):
    unit, handler = village
    spans = [(timedelta(days=10), timedelta(days=-1)),   # overdue
             (timedelta(days=10), timedelta(days=1)),    # last 10% left
             (timedelta(hours=1), timedelta(hours=20)),  # due by tomorrow's close
             (timedelta(hours=1), timedelta(days=30)),   # plenty of time
             (timedelta(hours=1), None)]                 # no deadline
    for i, (ago, due) in enumerate(spans * 2):
        case = f.case(f"case {i}", unit_row=unit)
        shape(db.session.scalar(db.select(HumanTask.id).where(HumanTask.case_id == case.id)), ago, due)
    db.session.commit()
    at = basis(utcnow())
    everything = inbox(handler, InboxFilter(), at, limit=100)
    expected = {row.id: light(row.created_at, row.due_at, at) for row in everything}
    assert set(expected.values()) == {"red", "yellow", "blue"}
    for colour in ("red", "yellow", "blue"):
        found = {row.id for row in inbox(handler, InboxFilter(light=colour), at, limit=100)}
        assert found == {task for task, c in expected.items() if c == colour}, colour
    # sorted by due time, no deadline last
    dues = [row.due_at for row in everything]
    assert dues == sorted(dues, key=lambda d: (d is None, d))


def test_scopes_text_and_territory_narrow_the_inbox(village):
    unit, handler = village
    lamp = f.case("路灯不亮", unit_row=unit, territory_code="210902001001")
    f.case("噪声扰民", unit_row=unit, territory_code="210902001001")
    at = basis(utcnow())
    lamp_task = db.session.scalar(db.select(HumanTask.id).where(HumanTask.case_id == lamp.id))
    claim(handler, lamp_task)
    handler2 = db.session.scalar(db.select(User).where(User.username == "handler2"))
    assert [r.title for r in inbox(handler, InboxFilter(scope="mine"), at)] == ["路灯不亮"]
    assert [r.title for r in inbox(handler, InboxFilter(scope="unclaimed"), at)] == ["噪声扰民"]
    assert [r.title for r in inbox(handler2, InboxFilter(), at)] == ["噪声扰民"]  # signed for by another
    assert [r.title for r in inbox(handler, InboxFilter(text="路灯"), at)] == ["路灯不亮"]
    assert [r.title for r in inbox(handler, InboxFilter(text=lamp.number[-6:]), at)] == ["路灯不亮"]
    assert inbox(handler, InboxFilter(text="%"), at) == []  # wildcards are plain text
    assert len(inbox(handler, InboxFilter(territory_code="210902001"), at)) == 2
    assert inbox(handler, InboxFilter(territory_code="210903001001"), at) == []
    assert inbox(handler, InboxFilter(queue="review"), at) == []
