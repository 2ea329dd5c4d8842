"""Jurisdiction: which cases a user may see (and so act on), as one SQL condition.

- Territory-wide roles (scope "territory": leader, platform_supervisor, dispatcher, registrar,
  auditor, administrator and any role an administrator adds with that scope) see the cases of
  their unit's territory and everything below it; on the root territory (the city centre) that
  is every case.
- Unit roles (scope "unit": handler, unit_reviewer, ...) see the cases their units are responsible
  for or have a task of, now or earlier (a township that escalated a case still sees how it ended).
- Anyone sees a case they hold a task of.

Scopes come from app/accounts/roles.py (the built-in roles and the table `role`).

Everything else answers 'not found', so case numbers cannot be probed.
"""
from sqlalchemy import and_, exists, false, or_, select, true

from app.accounts import roles
from app.accounts.models import User
from app.cases.models import Case
from app.engine.models import HumanTask
from app.extensions import db
from app.organisation.models import Territory, Unit

_cases, _tasks, _territories = Case.__table__, HumanTask.__table__, Territory.__table__


def scoped_units(user: User) -> tuple[set[int], list[int]]:
    """(units where the user holds a territory-wide role, units where they hold a unit role)."""
    scope = roles.scopes() if user.memberships else {}
    territory_units = {m.unit_id for m in user.memberships if scope.get(m.role) == "territory"}
    unit_ids = sorted({m.unit_id for m in user.memberships if scope.get(m.role) == "unit"})
    return territory_units, unit_ids


def unit_branches(user: User) -> list | None:
    """The conditions on case_record whose union is what a user without a territory-wide role sees,
    each answerable newest-first from one index: the cases of their units, those their units had a
    task of, those they held a task of. None for a territory-wide role (`visible_cases` serves).
    A list pages each branch by itself and merges them (service.list_visible): deep pages of a
    unit then read the unit's own cases instead of walking every case newest-first."""
    territory_units, unit_ids = scoped_units(user)
    if territory_units:
        return None
    branches = [_cases.c.id.in_(select(_tasks.c.case_id).where(_tasks.c.assignee_id == user.id))]
    if unit_ids:
        branches += [_cases.c.unit_id.in_(unit_ids),
                     _cases.c.id.in_(select(_tasks.c.case_id).where(_tasks.c.candidate_unit_id.in_(unit_ids)))]
    return branches


def visible_cases(user: User):
    """SQL condition on case_record for the cases `user` may see."""
    territory_units, unit_ids = scoped_units(user)
    conditions = [exists().where(_tasks.c.case_id == _cases.c.id, _tasks.c.assignee_id == user.id)]
    if territory_units:
        paths = db.session.execute(
            select(Territory.path, Territory.parent_id).join(Unit, Unit.territory_id == Territory.id)
            .where(Unit.id.in_(territory_units))).all()
        if any(parent_id is None for _, parent_id in paths):
            return true()
        subtree = select(_territories.c.id).where(
            or_(false(), *(_territories.c.path.startswith(path, autoescape=True) for path, _ in paths)))
        conditions.append(_cases.c.territory_id.in_(subtree))
    if unit_ids:
        conditions.append(_cases.c.unit_id.in_(unit_ids))
        conditions.append(exists().where(_tasks.c.case_id == _cases.c.id,
                                         _tasks.c.candidate_unit_id.in_(unit_ids)))
    return or_(*conditions)


def may_see(user: User, case_id: int) -> bool:
    return db.session.execute(
        select(_cases.c.id).where(and_(_cases.c.id == case_id, visible_cases(user)))).first() is not None
