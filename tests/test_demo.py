"""The demo city (app/demo.py): every request can be routed at every level without fallback, a
second load changes nothing, and there is a login for every role. The only test module that loads
the demo data; ordinary tests build their own with tests/factories.py."""
import time

import pytest
from sqlalchemy import func, select

from app.accounts.models import ROLES, Membership, User
from app.accounts.security import authenticate
from app.demo import DEMO_PASSWORD, load_demo
from app.extensions import db
from app.organisation.models import TERRITORY_LEVELS, UNIT_LEVELS, Category, RoutingRule, Territory, Unit
from app.organisation.routing import resolve

TABLES = (Territory, Category, Unit, RoutingRule, User, Membership)


@pytest.fixture
def demo(app):
    started = time.monotonic()
    lines = load_demo()
    return lines, time.monotonic() - started


def _counts() -> dict[str, int]:
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in TABLES}


def _levels_to_reach(territory: Territory) -> list[str]:
    """A request in a territory climbs from the lowest handling level at or above it (R10): a
    village (or a grid below it) needs village, township, county and city; a township the last
    three; a county county and city; the city only city. Levels below the territory are never asked."""
    depth = TERRITORY_LEVELS.index(territory.level)
    return [level for level in UNIT_LEVELS if TERRITORY_LEVELS.index(level) <= depth]


def test_R2_R10_every_category_resolves_without_fallback_at_every_level_of_every_demo_territory(demo):
    # given the demo city
    categories = db.session.scalars(select(Category)).all()
    territories = db.session.scalars(select(Territory)).all()
    assert len(categories) >= 8 and {t.level for t in territories} >= {"city", "county", "township",
                                                                        "village", "grid"}
    # when every category is routed at every level from every territory
    misses = [(c.code, t.code, level, routing.reason)
              for t in territories for level in _levels_to_reach(t) for c in [*categories, None]
              for routing in [resolve(c.id if c else None, t, level)]
              if routing.fallback or routing.unit is None]
    # then nothing falls back to a centre's manual dispatch
    assert misses == []


def test_R11_R12_R17_demo_routes_by_level_and_class(demo):
    # given
    grid = db.session.scalar(select(Territory).where(Territory.code == "210902001001001"))
    by_code = {c.code: c.id for c in db.session.scalars(select(Category))}
    # when / then: from a grid, livelihood climbs village → township → county centre → city centre
    assert [resolve(by_code["lighting"], grid, level).unit.kind for level in UNIT_LEVELS] == [
        "committee", "office", "centre", "centre"]
    assert resolve(by_code["lighting"], grid, "village").unit.code == "210902001001"
    # development and enforcement go to the responsible department at county and city level
    assert resolve(by_code["land"], grid, "county").unit.code == "210902-ZRJ"
    assert resolve(by_code["stall"], grid, "city").unit.code == "210900-ZFJ"


def test_demo_loads_fast_and_a_second_load_changes_nothing(demo):
    # given a loaded demo
    _, seconds = demo
    before = _counts()
    # when loaded again
    load_demo()
    db.session.expire_all()
    # then
    assert seconds < 3
    assert _counts() == before
    assert before["territory"] > 60 and before["routing_rule"] > 100


def test_R1_demo_territory_paths_follow_the_parents(demo):
    territories = {t.id: t for t in db.session.scalars(select(Territory))}
    for t in territories.values():
        parent = territories.get(t.parent_id)
        assert t.path == f"{parent.path if parent else '/'}{t.code}/"


def test_demo_has_one_login_per_role_with_the_demo_password(demo):
    # given
    lines, _ = demo
    # when
    roles = set(db.session.scalars(select(Membership.role)))
    # then
    assert roles == set(ROLES)
    assert any("registrar" in line for line in lines) and any(DEMO_PASSWORD in line for line in lines)
    assert authenticate("registrar", DEMO_PASSWORD) is not None
    assert authenticate("village", DEMO_PASSWORD).unit_ids == {
        db.session.scalar(select(Unit.id).where(Unit.code == "210902001001"))}
