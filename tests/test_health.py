"""GET /healthz: database, scheduler heartbeat and overdue timers."""
import time

from app.scheduler import build_scheduler
from tests import factories as f
from tests.factories import due_in


def test_health_reports_database_and_a_missing_scheduler(client, app):
    body = client.get("/healthz").json
    assert body["database"] == "ok" and body["status"] == "degraded"
    assert body["scheduler"]["status"] == "not running" and body["overdue_timers"] == 0


def test_health_reports_a_running_scheduler(client, app):
    scheduler = build_scheduler(app)
    scheduler.start()
    try:
        time.sleep(0.5)
        body = client.get("/healthz").json
    finally:
        scheduler.shutdown()
    assert body["scheduler"]["status"] == "ok" and body["scheduler"]["last_heartbeat"]


def test_health_counts_timers_overdue_by_more_than_a_minute(client, app, monkeypatch):
    f.deploy("timer_then_task.bpmn")
    unit = f.unit("V1")
    # (a second ahead: a timer already due when the case starts fires at once, under a loaded CI too)
    f.case(unit_row=unit, process_id="timer_then_task", data={"due": due_in(1)})
    time.sleep(1.1)
    assert client.get("/healthz").json["overdue_timers"] == 0  # within the grace minute
    monkeypatch.setattr("app.health.OVERDUE_GRACE_SECONDS", 0)
    assert client.get("/healthz").json["overdue_timers"] == 1
