"""Case service: register a case and start its process in one transaction; who may see a case."""
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from app.accounts.models import Unit, User
from app.cases.models import Case
from app.cases.numbers import next_case_number
from app.clock import utcnow
from app.engine import history, repository, runtime
from app.engine.errors import InvalidData, NotFound
from app.engine.models import ProcessInstance
from app.engine.transaction import transaction
from app.extensions import db

# Roles that work for the whole platform and so see every case (refined by jurisdiction later).
PLATFORM_ROLES = {"registrar", "dispatcher", "platform_supervisor", "administrator", "auditor"}


@dataclass
class NewCase:
    title: str
    description: str = ""
    unit_code: str | None = None
    channel: str = "api"
    external_ref: str | None = None
    process_id: str | None = None  # default: the CASE_PROCESS_ID setting
    data: dict | None = None  # extra start variables (kept small: ids and decisions)


def create_case(new: NewCase, actor: User | None) -> tuple[Case, bool]:
    """Register a case and start the case process. Returns (case, created); a repeated
    (channel, external_ref) returns the existing case instead of a second one."""
    with transaction():
        if new.external_ref:
            existing = db.session.scalar(select(Case).where(
                Case.channel == new.channel, Case.external_ref == new.external_ref))
            if existing is not None:
                return existing, False
        unit = None
        if new.unit_code:
            unit = db.session.scalar(select(Unit).where(Unit.code == new.unit_code))
            if unit is None:
                raise InvalidData("unknown unit", {"unit_code": [f"no unit with code {new.unit_code}"]})
        process_id = new.process_id or current_app.config["CASE_PROCESS_ID"]
        definition = repository.latest_definition(process_id)
        if definition is None:
            raise NotFound(f"process '{process_id}' is not deployed")
        case = Case(number=next_case_number(), title=new.title, description=new.description,
                    unit_id=unit.id if unit else None, channel=new.channel,
                    external_ref=new.external_ref, created_by_id=actor.id if actor else None)
        db.session.add(case)
        db.session.flush()
        actor_id = actor.id if actor else None
        history.record(case.id, "case_created", actor_id=actor_id,
                       payload={"channel": case.channel, "number": case.number})
        start_data = {**(new.data or {}), "case_id": case.id, "unit_id": case.unit_id}
        runtime.start(definition, case.id, start_data, actor_id)
    return case, True


@runtime.process_completed.connect
def _close_case(instance: ProcessInstance, actor_id: int | None = None) -> None:
    case = db.session.get(Case, instance.case_id)
    if case is not None and case.status != "closed":
        case.status = "closed"
        case.closed_at = utcnow()
        history.record(case.id, "case_closed", instance_id=instance.id, actor_id=actor_id)


def may_see(user: User, case: Case) -> bool:
    return bool(user.roles & PLATFORM_ROLES) or case.unit_id in user.unit_ids


def get_visible(user: User, number: str) -> Case:
    """A case the user may see; others answer 'not found' so case numbers cannot be probed."""
    case = db.session.scalar(select(Case).where(Case.number == number))
    if case is None or not may_see(user, case):
        raise NotFound(f"no case {number}")
    return case
