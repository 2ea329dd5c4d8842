"""The tasks API shows each open task's light (R20): blue without a deadline, red once it has
passed, yellow in the last share of its own limit; a task that is no longer open has none."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.clock import utcnow
from app.engine.models import HumanTask
from app.extensions import db
from tests import factories as f


@pytest.fixture
def handler_tasks(app):
    """Three open handling tasks of one village handler, by case title."""
    f.deploy("simple_complaint.bpmn")
    village = f.unit("210902001001", "village")
    centre = f.unit("210900-CENTER", "city", kind="centre")
    registrar = f.user("registrar", (centre, "registrar"))
    f.user("handler", (village, "handler"))
    cases = {title: f.case(title, unit_row=village, actor=registrar) for title in ("none", "late", "soon")}
    return {title: db.session.scalar(select(HumanTask.id).where(HumanTask.case_id == c.id))
            for title, c in cases.items()}


def set_due(task_id, due, created=None):
    values = {"due_at": due} | ({"created_at": created} if created else {})
    db.session.execute(update(HumanTask).where(HumanTask.id == task_id).values(**values))
    db.session.commit()


def test_tasks_carry_their_lights(client, handler_tasks):
    # given one task without a deadline, one past its deadline, and one in the last quarter of its time
    now = utcnow()
    set_due(handler_tasks["none"], None)
    set_due(handler_tasks["late"], now - timedelta(minutes=5))
    set_due(handler_tasks["soon"], now + timedelta(minutes=30), created=now - timedelta(hours=4))
    handler = f.auth(client, "handler")

    # when the handler reads the inbox and the tasks one by one
    inbox = client.get("/api/v1/tasks", headers=handler)
    assert inbox.status_code == 200

    # then each has its light
    lights = {t["id"]: t["light"] for t in inbox.json}
    assert lights == {handler_tasks["none"]: "blue", handler_tasks["late"]: "red",
                      handler_tasks["soon"]: "yellow"}
    for title, expected in (("none", "blue"), ("late", "red")):
        one = client.get(f"/api/v1/tasks/{handler_tasks[title]}", headers=handler)
        assert one.status_code == 200 and one.json["light"] == expected


def test_completed_task_has_no_light(client, handler_tasks):
    set_due(handler_tasks["late"], utcnow() - timedelta(days=1))
    handler = f.auth(client, "handler")
    claimed = client.post(f"/api/v1/tasks/{handler_tasks['late']}/claim", headers=handler)
    assert claimed.status_code == 200 and claimed.json["light"] == "red"
    done = client.post(f"/api/v1/tasks/{handler_tasks['late']}/complete",
                       json={"data": {"action": "reply"}}, headers=handler)
    assert done.status_code == 200 and done.json["light"] is None


def test_R20_a_case_shows_the_light_of_its_most_urgent_open_task(client, app):
    # given an open case (the harness seeded the default limits, so its task has a deadline)
    f.deploy("simple_complaint.bpmn")
    city = f.territory("210900", "city")
    f.user("registrar", (f.unit("C", "city", territory=city, kind="centre"), "registrar"))
    headers = f.auth(client, "registrar")
    number = client.post("/api/v1/cases", headers=headers, json={"title": "x"}).json["number"]
    assert client.get(f"/api/v1/cases/{number}", headers=headers).json["light"] == "blue"
    # when its task's deadline has passed
    db.session.execute(update(HumanTask).values(due_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    # then the case is red, in the list and on its own
    assert client.get(f"/api/v1/cases/{number}", headers=headers).json["light"] == "red"
    assert [c["light"] for c in client.get("/api/v1/cases", headers=headers).json] == ["red"]


def test_R20_lights_cost_no_queries_per_row(client, app):
    """The yellow share is the same for every row of a request: read once."""
    from sqlalchemy import event

    f.deploy("simple_complaint.bpmn")
    city = f.territory("210900", "city")
    unit = f.unit("V1", "village", territory=f.territory("210902001001", "village", city))
    f.user("handler", (unit, "handler"))
    headers = f.auth(client, "handler")

    def statements_for_inbox():
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/api/v1/tasks?limit=200", headers=headers).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    f.case(unit_row=unit)
    with_one = statements_for_inbox()
    for i in range(10):
        f.case(f"case {i}", unit_row=unit)
    assert statements_for_inbox() == with_one
