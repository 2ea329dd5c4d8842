"""Who holds a case: the catalogue's proposal, assignment to a unit at a level, escalation.

Levels climb village → township → county → city (R10). Livelihood requests start at the lowest
level at or above the request's territory; development and enforcement requests start at the
county (district), where the catalogue names the responsible department (R12). A dispatcher
may change any proposal, and sends cross-county matters to the city level (R17).
"""
from sqlalchemy import select, update

from app.cases.models import Case
from app.channels import webhooks
from app.engine import history
from app.engine.transaction import execute
from app.extensions import db
from app.i18n import N_, message_text
from app.notifications.outbox import notify_units
from app.organisation.models import UNIT_LEVELS, Territory, Unit
from app.organisation.routing import nearest_centre, resolve
from app.statistics import facts
from app.statistics.models import VIA

_LEVEL_OF_TERRITORY = {"city": "city", "county": "county", "township": "township"}
_cases = Case.__table__


def platform_centre_id(territory_id: int | None) -> int | None:
    """The platform centre serving the territory; without a territory, the top-most centre."""
    territory = db.session.get(Territory, territory_id) if territory_id else None
    if territory is not None:
        centre = nearest_centre(territory)
        return centre.id if centre else None
    return db.session.scalar(
        select(Unit.id).join(Territory, Unit.territory_id == Territory.id)
        .where(Unit.kind == "centre").order_by(db.func.length(Territory.path), Unit.id).limit(1))


def starting_level(klass: str | None, territory: Territory | None) -> str:
    own = _LEVEL_OF_TERRITORY.get(territory.level, "village") if territory else "city"
    if klass in ("development", "enforcement"):
        return "city" if own == "city" else "county"
    return own


def propose(case_id: int, category_id: int | None, territory_id: int | None,
            klass: str | None, request_type: str | None) -> tuple[int | None, str]:
    """The unit and level the routing catalogue proposes to the dispatcher (R2, R8). The case
    takes the request type triage settled on (R6), so lists and statistics agree with the limits."""
    execute(update(_cases).where(_cases.c.id == case_id).values(request_type=request_type))
    territory = db.session.get(Territory, territory_id) if territory_id else None
    level = starting_level(klass, territory)
    if territory is None:
        unit_id, reason = platform_centre_id(None), "no territory: the platform dispatches it"
    else:
        routing = resolve(category_id, territory, level)
        unit_id, reason = (routing.unit.id if routing.unit else None), routing.reason
    history.record(case_id, "route_proposed", payload={"unit_id": unit_id, "level": level, "reason": reason})
    return unit_id, level


def assign(case_id: int, unit_id: int | None, level: str | None, via: str = "dispatch") -> None:
    """The case is now held by `unit_id` at `level` (shown on the case and in lists); all the
    unit's handlers are told at once (R11), whoever signs for it first owns it (R13). `via`:
    dispatch, escalation or second_handling (app/statistics/models.py)."""
    if via not in VIA:
        raise ValueError(f"a case is assigned by one of {', '.join(VIA)}, not {via!r}")
    execute(update(_cases).where(_cases.c.id == case_id).values(unit_id=unit_id, level=level))
    facts.assigned(case_id, unit_id, level, via)
    history.record(case_id, "assigned", payload={"unit_id": unit_id, "level": level})
    webhooks.enqueue_for_case(case_id, "assigned")
    if unit_id is not None:
        notify_units("assigned", message_text(N_("A new request is waiting to be signed for.")), [unit_id],
                     roles=("handler",), case_id=case_id)


def next_level(level: str | None) -> str:
    if level not in UNIT_LEVELS or level == UNIT_LEVELS[-1]:
        raise ValueError(f"a case at level {level!r} cannot be escalated further")
    return UNIT_LEVELS[UNIT_LEVELS.index(level) + 1]


def escalate(case_id: int, data: dict, reason: str) -> tuple[int | None, str]:
    """上报 (R10, R11): the catalogue's unit one level up takes the case; returns (unit, level)."""
    from_unit, from_level = data.get("unit_id"), data.get("level")
    level = next_level(from_level)
    territory_id = data.get("territory_id")
    territory = db.session.get(Territory, territory_id) if territory_id else None
    if territory is None:
        unit_id, why = platform_centre_id(None), "no territory: the platform centre"
    else:
        routing = resolve(data.get("category_id"), territory, level)
        unit_id, why = (routing.unit.id if routing.unit else None), routing.reason
    history.record(case_id, "escalated", payload={
        "from_level": from_level, "to_level": level, "from_unit_id": from_unit, "to_unit_id": unit_id,
        "reason": reason, "routing": why})
    facts.escalated(case_id)
    assign(case_id, unit_id, level, via="escalation")
    return unit_id, level


def first_contact(case_id: int, contact_result: str | None) -> None:
    """签收 and the call to the requester (R13, R14) are done."""
    history.record(case_id, "first_contact", payload={"contact_result": contact_result})
    facts.first_contact_made(case_id)


def record_return(case_id: int, reason: str | None) -> None:
    """退单 (R15): the unit says the request is not its matter; the dispatcher decides."""
    history.record(case_id, "returned", payload={"reason": reason})
    facts.returned(case_id)


def overrule_return(case_id: int) -> None:
    """The dispatcher finds the return unjustified: the unit keeps the case (and cannot return it
    again, which the process's allowedActions says)."""
    history.record(case_id, "return_overruled")
    facts.return_overruled(case_id)
