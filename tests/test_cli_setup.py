"""`flask setup`: a new installation gets its city, its platform centre and a first administrator
who can sign in; it cannot be run again to make a second administrator behind the first's back."""
from sqlalchemy import select

from app.audit.models import AdminChange
from app.extensions import db
from app.organisation.models import Territory, Unit


def test_setup_creates_the_city_its_centre_and_an_administrator_who_can_sign_in(app, client):
    result = app.test_cli_runner().invoke(args=["setup", "210900", "阜新市", "chief"])
    assert result.exit_code == 0, result.output
    password = result.output.split("(shown once): ")[1].strip()
    assert db.session.scalar(select(Territory.level).where(Territory.code == "210900")) == "city"
    assert db.session.scalar(select(Unit.kind).where(Unit.code == "C210900")) == "centre"
    token = client.post("/api/v1/auth/token", json={"username": "chief", "password": password})
    assert token.status_code == 201 and token.json["roles"] == ["administrator"]
    assert {e for e, in db.session.execute(select(AdminChange.entity))} == {"territory", "unit", "user"}


def test_setup_is_refused_once_an_administrator_exists(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["setup", "210900", "阜新市", "chief"]).exit_code == 0
    again = runner.invoke(args=["setup", "210901", "别市", "intruder"])
    assert again.exit_code != 0 and "administrator exists already" in again.output
    assert db.session.scalar(select(Territory.id).where(Territory.code == "210901")) is None
