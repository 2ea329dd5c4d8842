"""Extensions (R22): an approved new date moves the deadline and its reminder, is on the timeline,
and the requester is told by SMS; a date that is earlier or beyond extension_max is refused."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.engine.errors import InvalidData
from app.engine.models import CaseEvent, HumanTask, Timer
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.timelimits.extensions import extend
from tests import factories as f


@pytest.fixture
def waiting_case(app):
    f.deploy("simple_complaint.bpmn")
    city = f.territory("210900", "city")
    unit = f.unit("V1", "village", territory=f.territory("210902001001", "village", city))
    return f.case(unit_row=unit, requester_phone="13812345678")


def deadline_timers(case_id):
    """Due time of each waiting timer of the case, by element (values, not live objects)."""
    return {t.element_id: t.due_at for t in db.session.scalars(
        select(Timer).join(HumanTask, HumanTask.instance_id == Timer.instance_id)
        .where(HumanTask.case_id == case_id))}


def test_R22_an_approved_extension_moves_the_deadline_and_tells_the_requester(waiting_case):
    before = deadline_timers(waiting_case.id)
    new_due = before["handle_overdue"] + timedelta(days=3)

    moved = extend(waiting_case.id, "handling", new_due, None, "需要现场勘查 site survey needed")

    db.session.expire_all()
    after = deadline_timers(waiting_case.id)
    assert moved == 2 and after["handle_overdue"] == new_due
    assert before["handle_reminder"] < after["handle_reminder"] < new_due
    assert db.session.scalar(select(HumanTask.due_at).where(HumanTask.case_id == waiting_case.id)) == new_due
    [event] = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "deadline_extended"))
    assert event.payload["note"] == "需要现场勘查 site survey needed"
    [sms] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "extension"))
    assert sms.channel == "sms" and sms.address == "13812345678" and waiting_case.number in sms.body


@pytest.mark.parametrize("shift, field", [(timedelta(hours=-1), "new_due"), (timedelta(days=120), "new_due")])
def test_R22_an_earlier_or_too_late_date_is_refused_and_nothing_moves(waiting_case, shift, field):
    before = deadline_timers(waiting_case.id)["handle_overdue"]
    with pytest.raises(InvalidData) as refused:
        extend(waiting_case.id, "handling", before + shift, None, "reason")
    assert field in refused.value.errors
    db.session.rollback()
    assert deadline_timers(waiting_case.id)["handle_overdue"] == before
    assert db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.kind == "extension")) is None
