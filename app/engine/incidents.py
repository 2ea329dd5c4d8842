"""Incidents: run-time process errors, recorded outside the failed transaction so they survive it."""
from sqlalchemy import exists, select, update

from app.accounts.models import User
from app.cases.access import may_see, visible_cases
from app.cases.models import Case
from app.clock import utcnow
from app.engine.errors import Conflict, NotFound
from app.engine.models import Incident, ProcessInstance, Timer
from app.extensions import db


def record(instance_id: int, case_id: int, source: str, message: str, element_id: str | None = None,
           timer_id: str | None = None, task_id: str | None = None) -> Incident:
    """Commit an incident in its own transaction (the caller has already rolled back)."""
    incident = Incident(instance_id=instance_id, case_id=case_id, source=source, message=message,
                        element_id=element_id, timer_id=timer_id, task_id=task_id)
    db.session.add(incident)
    db.session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id)
                       .values(incident_open=True))
    if timer_id is not None:
        timer = db.session.get(Timer, timer_id)
        if timer is not None:
            timer.status = "incident"
            timer.claimed_by = None
            timer.claim_expires_at = None
    db.session.commit()
    return incident


def open_incidents(user: User, limit: int = 100) -> list:
    """Open incidents of cases within the user's jurisdiction, newest first, with the case number."""
    incidents, cases = Incident.__table__, Case.__table__
    return list(db.session.execute(
        select(*incidents.c, cases.c.number.label("case_number"))
        .select_from(incidents.join(cases, cases.c.id == incidents.c.case_id))
        .where(incidents.c.status == "open", visible_cases(user))
        .order_by(incidents.c.id.desc()).limit(limit)))


def resolve_for_task(instance_id: int, task_id: str) -> None:
    """A user action on a task succeeded: incidents its earlier attempts raised are resolved."""
    for incident in db.session.scalars(select(Incident).where(
            Incident.status == "open", Incident.instance_id == instance_id,
            Incident.task_id == task_id)):
        incident.status = "resolved"
        incident.resolved_at = utcnow()
    _refresh_flag(instance_id)


def _refresh_flag(instance_id: int) -> None:
    still_open = exists().where(Incident.instance_id == instance_id, Incident.status == "open")
    db.session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id)
                       .values(incident_open=still_open))


def prepare_retry(incident_id: int, user: User) -> Incident:
    """Mark an incident resolved and put its timer back in the queue; the caller commits. An
    incident of a case outside the user's jurisdiction is 'not found'."""
    incident = db.session.get(Incident, incident_id)
    if incident is None or not may_see(user, incident.case_id):
        raise NotFound(f"no incident {incident_id}")
    if incident.status != "open":
        raise Conflict(f"incident {incident_id} is already {incident.status}")
    if incident.timer_id is None:
        raise Conflict("this incident came from a user action; the user retries that action")
    timer = db.session.get(Timer, incident.timer_id)
    if timer is not None and timer.status == "incident":
        timer.status = "waiting"
    incident.status = "resolved"
    incident.resolved_at = utcnow()
    db.session.flush()
    _refresh_flag(incident.instance_id)
    return incident
