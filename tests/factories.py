"""Small builders for test data; tests never rely on the demo data."""
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.accounts.models import Membership, User
from app.accounts.security import hash_password
from app.cases.service import NewCase, create_case
from app.engine import repository
from app.engine.transaction import transaction
from app.extensions import db
from app.organisation.models import Category, RoutingRule, Territory, Unit

PASSWORD = "correct horse battery"
_password_hash = None
_WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows"
_TEST_BPMN = Path(__file__).resolve().parent / "bpmn"


def territory(code: str, level: str = "city", parent: Territory | None = None,
              name: str | None = None) -> Territory:
    row = Territory(code=code, name=name or f"Territory {code}", level=level,
                    parent_id=parent.id if parent else None,
                    path=(parent.path if parent else "/") + code + "/")
    db.session.add(row)
    db.session.commit()
    return row


def unit(code: str, level: str = "village", name: str | None = None,
         territory: Territory | None = None, kind: str = "office") -> Unit:
    row = Unit(code=code, name=name or f"Unit {code}", level=level, kind=kind,
               territory_id=territory.id if territory else None)
    db.session.add(row)
    db.session.commit()
    return row


def user(username: str, *memberships: tuple[Unit, str]) -> User:
    """A user with (unit, role) memberships; all share one password hash to keep tests fast."""
    global _password_hash
    _password_hash = _password_hash or hash_password(PASSWORD)
    row = User(username=username, display_name=username.title(), password_hash=_password_hash)
    row.memberships = [Membership(unit=u, role=role) for u, role in memberships]
    db.session.add(row)
    db.session.commit()
    return row


def user_id(username: str) -> int:
    return db.session.scalar(db.select(User.id).where(User.username == username))


def auth(client, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def deploy(name: str, xml: bytes | None = None):
    """Deploy workflows/<name> (or tests/bpmn/<name>, or the given XML) and return its definitions."""
    if xml is None:
        path = _WORKFLOWS / name if (_WORKFLOWS / name).exists() else _TEST_BPMN / name
        xml = path.read_bytes()
    with transaction():
        return repository.deploy(xml, name)


def case(title: str = "Street lamp broken", unit_row: Unit | None = None, actor: User | None = None,
         **kwargs):
    created, _ = create_case(NewCase(title=title, unit_code=unit_row.code if unit_row else None,
                                     **kwargs), actor)
    return created


def due_in(seconds: float) -> str:
    """An ISO timestamp `seconds` from now, for timeDate timers in test processes."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def category(code: str, klass: str = "livelihood", name: str | None = None) -> Category:
    row = Category(code=code, name=name or f"Category {code}", klass=klass)
    db.session.add(row)
    db.session.commit()
    return row


def routing_rule(territory_row: Territory, level: str, unit_row: Unit,
                 category_row: Category | None = None) -> RoutingRule:
    """Catalogue entry: `unit_row` handles `category_row` (None: any category) in the subtree."""
    row = RoutingRule(territory_id=territory_row.id, level=level, unit_id=unit_row.id,
                      category_id=category_row.id if category_row else None)
    db.session.add(row)
    db.session.commit()
    return row


def county_with_two_townships(**case_fields) -> dict:
    """City 210900 > counties A (townships A1, A2) and B (township B1), one case in each township,
    registered by `registrar` of the city centre; users handler_a1 (A1 office), leader_a (county A
    centre), registrar and admin (city centre). Returns the case views by township code."""
    deploy("simple_complaint.bpmn")
    city = territory("210900", "city")
    county_a, county_b = territory("210902", "county", city), territory("210903", "county", city)
    townships = (territory("210902001", "township", county_a), territory("210902002", "township", county_a),
                 territory("210903001", "township", county_b))
    office = {t.code: unit(f"U{t.code}", "township", territory=t) for t in townships}
    centre_city = unit("C210900", "city", territory=city, kind="centre")
    user("handler_a1", (office["210902001"], "handler"))
    user("leader_a", (unit("C210902", "county", territory=county_a, kind="centre"), "leader"))
    registrar = user("registrar", (centre_city, "registrar"))
    user("admin", (centre_city, "administrator"))
    return {code: case(f"case in {code}", unit_row=office[code], actor=registrar, territory_code=code,
                       **case_fields)
            for code in office}
