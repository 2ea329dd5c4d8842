"""The routing catalogue (R2): which unit handles category C in territory T at level L.

`resolve(category_id, territory, level)` answers with a `Routing`; it never raises for a missing
catalogue entry, so a case can always be registered and handed to somebody (R8).

Rules
-----
1. Candidates are the routing rules of level L on the territory itself and on each of its
   ancestors (read from `Territory.path`), for category C or for any category (category null).
   They are fetched in one query.
2. The nearest territory that has a candidate wins: a rule on a county applies to all its
   townships, villages and grids unless a deeper node has its own rule for that level (属地管理).
3. On that territory, a rule for the exact category beats the any-category rule (谁主管谁负责:
   development and enforcement categories go to the responsible department, R12).
   With `category_id=None` (not yet classified) only any-category rules match.
4. No rule at all: the case falls back to the platform centre — the unit of kind "centre" on the
   nearest territory (the territory itself included) that has one — whose dispatcher routes it
   by hand; `fallback=True` and `reason` names what was missing, so an administrator can fill the
   gap. If there is no centre either, `unit` is None (still `fallback=True`, with a reason).

Levels are the handling levels of R10 (`UNIT_LEVELS`). Rules hang on the territory they serve, so
a village-level rule sits on a village: asking for level "village" on a township finds nothing
and falls back — callers ask only for levels at or above the territory's own level.
"""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.extensions import db
from app.organisation.models import RoutingRule, Territory, Unit


@dataclass(frozen=True)
class Routing:
    """The answer of `resolve`: the unit (None if nobody at all), the rule used (None on a
    fallback), whether it is a fallback to a platform centre, and a human-readable reason."""

    unit: Unit | None
    rule_id: int | None
    fallback: bool
    reason: str


def ancestors(territory: Territory) -> list[Territory]:
    """The territory and its ancestors, nearest first, in one query (codes come from `path`)."""
    codes = territory.ancestor_codes()
    rows = {row.code: row for row in db.session.scalars(select(Territory).where(Territory.code.in_(codes)))}
    return [rows[code] for code in codes if code in rows]


def resolve(category_id: int | None, territory: Territory, level: str) -> Routing:
    """The unit that handles `category_id` in `territory` at `level` (see the module docstring)."""
    codes = territory.ancestor_codes()  # nearest first
    depth = {code: index for index, code in enumerate(codes)}
    category_match = (RoutingRule.category_id.is_(None) if category_id is None
                      else or_(RoutingRule.category_id == category_id, RoutingRule.category_id.is_(None)))
    candidates = db.session.execute(
        select(RoutingRule, Territory.code, Territory.name)
        .join(Territory, RoutingRule.territory_id == Territory.id)
        .where(Territory.code.in_(codes), RoutingRule.level == level, category_match)
    ).all()
    if candidates:
        rule, code, name = min(candidates, key=lambda row: (depth[row.code], row[0].category_id is None))
        where = {"level": _level(level), "place": name, "code": code}
        which = (_("Rule for any category at the %(level)s level in %(place)s (%(code)s)", **where)
                 if rule.category_id is None else
                 _("Rule for this category at the %(level)s level in %(place)s (%(code)s)", **where))
        return Routing(rule.unit, rule.id, False, which)

    where = {"level": _level(level), "place": territory.name, "code": territory.code}
    missing = (_("No routing rule for unclassified requests at the %(level)s level in %(place)s (%(code)s) "
                 "or above", **where) if category_id is None else
               _("No routing rule for category %(category)s at the %(level)s level in %(place)s (%(code)s) "
                 "or above", category=category_id, **where))
    centre = nearest_centre(territory)
    if centre is None:
        return Routing(None, None, True, _("%(missing)s, and no platform centre to fall back to",
                                           missing=missing))
    return Routing(centre, None, True, _("%(missing)s; the platform centre %(centre)s dispatches it",
                                         missing=missing, centre=centre.name))


def _level(level: str) -> str:
    """The level's name in the current language (the reason is kept on the case's timeline)."""
    from app.web.labels import LEVELS, label

    return label(level, LEVELS)


def nearest_centre(territory: Territory) -> Unit | None:
    """The platform centre (unit of kind "centre") on the territory or its nearest ancestor."""
    codes = territory.ancestor_codes()
    depth = {code: index for index, code in enumerate(codes)}
    centres = db.session.execute(
        select(Unit, Territory.code)
        .join(Territory, Unit.territory_id == Territory.id)
        .where(Territory.code.in_(codes), Unit.kind == "centre")
    ).all()
    if not centres:
        return None
    centre, _ = min(centres, key=lambda row: (depth[row.code], row[0].id))
    return centre
