"""A leader turns a hot spot into a supervision order (督办单, R29, R35): one lead unit settles the
hot spot's cases within a limit in working days (the working-day calendar gives the date).

The order is recorded once: a case is under one hot spot order at most, so ordering the same hot
spot again (or two leaders at once) is refused with the order that exists. Each case gets the
order as a supervision-order directive on its page and timeline; the lead unit's leaders,
handlers and reviewers are told through the outbox.

The lead unit keeps the jurisdiction rules (属地管理): it belongs to the hot spot's place or to a
territory above it (the township, the county, the city), and it lies within the leader's own
territory — a county leader orders the county's units, the city's leaders any unit of the city.
"""
from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.cases.models import Case
from app.clock import utcnow
from app.engine import history
from app.engine.errors import Conflict, Forbidden, InvalidData, NotFound
from app.engine.transaction import transaction
from app.extensions import db
from app.notifications.outbox import notify_units
from app.organisation.models import Category, Territory, Unit
from app.statistics import hotspots
from app.statistics.analysis_models import HotspotOrder, HotspotOrderCase
from app.statistics.filters import Scope, scope_of
from app.statistics.links import local_day, site_url
from app.supervision.models import DIRECTIVE_KINDS, CaseDirective
from app.supervision.service import MAX_TEXT
from app.timelimits import calendar

#: The longest limit a leader may give: the especially complex matters' 20 working days (R18) three
#: times over, for a root cause that needs works (a water main, a road).
MAX_WORKING_DAYS = 60
KIND = "supervision_order"
_NOTIFIED_ROLES = ("leader", "handler", "unit_reviewer")


@dataclass(frozen=True)
class Key:
    territory: str
    category: str | None
    first: date
    last: date
    anchor: str


def _key(value) -> Key | None:
    parts = str(value or "").split(":")
    if len(parts) != 5 or not all(parts):
        return None
    try:
        first, last = date.fromisoformat(parts[2]), date.fromisoformat(parts[3])
    except ValueError:
        return None
    return Key(parts[0], None if parts[1] == "-" else parts[1], first, last, parts[4])


def _problems(key, lead_unit, working_days, text) -> dict[str, list[str]]:
    errors = {}
    if _key(key) is None:
        errors["hotspot"] = ["the key of a hot spot, as GET /statistics/hotspots gives it"]
    if not isinstance(lead_unit, str) or not lead_unit.strip():
        errors["lead_unit"] = ["the code of the lead unit"]
    if isinstance(working_days, bool) or not isinstance(working_days, int) \
            or not 1 <= working_days <= MAX_WORKING_DAYS:
        errors["working_days"] = [f"a whole number of working days from 1 to {MAX_WORKING_DAYS}"]
    if not isinstance(text, str) or not text.strip() or len(text.strip()) > MAX_TEXT:
        errors["text"] = [f"1 to {MAX_TEXT} characters"]
    return errors


def _lead_problem(scope: Scope, unit_path: str | None, place_path: str) -> str | None:
    """Why a unit of territory `unit_path` may not lead on a hot spot at `place_path`, if so."""
    if not unit_path or not place_path.startswith(unit_path):
        return "a unit of the hot spot's place or of a territory above it"
    if scope.paths is not None and not any(unit_path.startswith(mine) for mine in scope.paths):
        return "a unit within your jurisdiction"
    return None


def _lead_unit(scope: Scope, code: str, place_path: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == code.strip()))
    if unit is None:
        raise InvalidData("invalid lead unit", {"lead_unit": [f"no unit {code.strip()}"]})
    path = db.session.scalar(select(Territory.path).where(Territory.id == unit.territory_id))
    if problem := _lead_problem(scope, path, place_path):
        raise InvalidData("invalid lead unit", {"lead_unit": [problem]})
    return unit


def lead_units(user: User, territory_codes) -> dict[str, list]:
    """For each hot spot place, the units that may lead its order (the pages' choices)."""
    scope = scope_of(user)
    places = dict(db.session.execute(select(Territory.code, Territory.path)
                                     .where(Territory.code.in_(set(territory_codes) or {""}))).all())
    units = db.session.execute(select(Unit.code, Unit.name, Unit.level, Territory.path)
                               .join(Territory, Territory.id == Unit.territory_id)
                               .order_by(Territory.path, Unit.code)).all()
    return {code: [unit for unit in units if _lead_problem(scope, unit.path, path) is None]
            for code, path in places.items()}


def order(user: User, key: str, lead_unit: str, working_days: int, text: str) -> HotspotOrder:
    """Record the order on the hot spot's cases and tell the lead unit; all or nothing."""
    errors = _problems(key, lead_unit, working_days, text)
    if errors:
        raise InvalidData("invalid supervision order", errors)
    if not user.roles & DIRECTIVE_KINDS[KIND]:
        raise Forbidden("your roles may not write a supervision order")
    wanted, text = _key(key), text.strip()
    asked = {"from": wanted.first, "to": wanted.last, "territory": wanted.territory,
             **({"category": wanted.category} if wanted.category else {})}
    filters, scope = hotspots.asked(user, asked)
    spot = next((s for s in hotspots.find(filters, scope, 2) if s.key == key), None)
    if spot is None:
        raise NotFound("no such hot spot within your jurisdiction (its cases may have changed: reload)")
    unit = _lead_unit(scope, lead_unit, spot.place.path)
    try:
        with transaction():
            ids = [request.id for request in spot.requests]
            taken = hotspots.orders_of(ids)
            free = [case_id for case_id in ids if case_id not in taken]
            if not free:
                raise Conflict(f"the hot spot is under supervision order {min(taken.values())} already")
            made = HotspotOrder(hotspot=key, territory_id=spot.place.id,
                                category_id=spot.category[0] if spot.category else None,
                                first_day=spot.first, last_day=spot.last, lead_unit_id=unit.id,
                                working_days=working_days, text=text, author_id=user.id,
                                due_at=calendar.add(utcnow(), working_days, "working_days"))
            db.session.add(made)
            db.session.flush()
            _record(made, unit, free, user)
    except IntegrityError:
        raise Conflict("the hot spot was put under a supervision order at the same time; reload") from None
    return made


def _record(made: HotspotOrder, unit: Unit, case_ids: list[int], user: User) -> None:
    due = local_day(made.due_at)
    with force_locale("zh_CN"):
        directive = _("Hot spot supervision order %(id)s: %(text)s (lead unit %(unit)s, due %(due)s)",
                      id=made.id, text=made.text, unit=unit.name, due=due.isoformat())
        message = _("Supervision order %(id)s on a hot spot of %(count)s requests: %(text)s; due %(due)s. "
                    "Cases: %(link)s", id=made.id, count=len(case_ids), text=made.text, due=due.isoformat(),
                    link=link(made.id))
    for case_id in case_ids:
        db.session.add(HotspotOrderCase(case_id=case_id, order_id=made.id))
        db.session.add(CaseDirective(case_id=case_id, kind=KIND, author_id=user.id, text=directive))
        history.record(case_id, KIND, actor_id=user.id, payload={"text": directive, "hotspot_order": made.id})
    db.session.flush()
    notify_units("hotspot_order", message, [unit.id], roles=_NOTIFIED_ROLES)


def link(order_id: int) -> str:
    return site_url(f"/statistics/hotspots/orders/{order_id}")


def get(user: User, order_id: int) -> dict:
    """An order with its cases, for the leaders who see its place and the lead unit's members."""
    made = db.session.get(HotspotOrder, order_id)
    if made is None or not _may_see(user, made):
        raise NotFound("no such supervision order")
    unit = db.session.get(Unit, made.lead_unit_id)
    place = db.session.get(Territory, made.territory_id)
    category = db.session.get(Category, made.category_id) if made.category_id else None
    cases = db.session.execute(select(Case.number, Case.title, Case.status)
                               .join(HotspotOrderCase, HotspotOrderCase.case_id == Case.id)
                               .where(HotspotOrderCase.order_id == made.id).order_by(Case.id)).all()
    return {"id": made.id, "hotspot": made.hotspot, "territory_code": place.code,
            "territory_name": place.name,
            "category_code": category.code if category else None, "lead_unit_code": unit.code,
            "lead_unit_name": unit.name, "working_days": made.working_days, "due_at": made.due_at,
            "text": made.text, "created_at": made.created_at,
            "cases": [{"number": n, "title": t, "status": s} for n, t, s in cases]}


def _may_see(user: User, made: HotspotOrder) -> bool:
    if made.lead_unit_id in user.unit_ids:
        return True
    try:
        scope = scope_of(user)
    except Forbidden:
        return False
    if scope.paths is None:
        return scope.unit_ids is None
    path = db.session.scalar(select(Territory.path).where(Territory.id == made.territory_id)) or ""
    return any(path.startswith(mine) for mine in scope.paths)

