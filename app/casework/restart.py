"""重启办理 (R27): a platform spot-check of a closed case finds the requester still unsatisfied and
restarts handling. The case reopens and a new instance of the case process starts on the newest
version, going straight to second handling by the unit that last held it."""
from sqlalchemy import select, update

from app.accounts.models import User
from app.cases import service
from app.cases.models import Case
from app.engine import history, repository, runtime
from app.engine.errors import Conflict, InvalidData, NotFound
from app.engine.transaction import execute, transaction
from app.organisation.models import Category
from app.statistics import facts

_cases = Case.__table__


def restart(user: User, number: str, reason: str, process_id: str):
    if not reason.strip():
        raise InvalidData("a reason is required", {"reason": ["say what the spot-check found"]})
    with transaction():
        case = service.get_visible(user, number)
        if case.status != "closed":
            raise Conflict(f"case {number} is still open; only a closed case can be restarted")
        if case.merged_into_id is not None:
            raise Conflict(f"case {number} was merged into another case; restart that one instead")
        if case.unit_id is None:
            raise Conflict(f"case {number} was never handled by a unit; register a new request instead")
        definition_id = repository.release_definition_id(process_id)
        if definition_id is None:
            raise NotFound(f"process '{process_id}' is not deployed")
        execute(update(_cases).where(_cases.c.id == case.id)
                .values(status="open", closed_at=None, outcome=None, satisfaction=None, resolution=None))
        history.record(case.id, "restarted", actor_id=user.id, payload={"reason": reason})
        facts.restarted(case.id)
        klass = execute(select(Category.klass).where(Category.id == case.category_id)).scalar()
        runtime.start(definition_id, case.id, service.start_variables(
            case.id, case.unit_id, case.territory_id, case.category_id, klass, case.request_type,
            level=case.level, restart=True), user.id)
    return service.get_visible(user, number)
