"""`flask demo-reset` (app/demo_reset.py): the embedded SQLite demo is emptied and loaded afresh;
a PostgreSQL database, or a SQLite file holding another city, is left alone unless --yes."""
import pytest
from sqlalchemy import func, select

from app import create_app
from app.accounts.models import User
from app.cases.models import Case
from app.cli import demo_reset_command
from app.demo import USERS
from app.engine.models import ProcessDefinition
from app.extensions import db
from app.organisation.models import Territory
from tests import factories as f


@pytest.fixture
def demo_app(tmp_path):
    """An app on its own SQLite file, as `make run` has under instance/."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'huiyin.sqlite3'}", "TESTING": True})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def reset(app, *args: str):
    return app.test_cli_runner().invoke(demo_reset_command, list(args))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_reset_empties_the_demo_and_loads_it_afresh(demo_app):
    first = reset(demo_app)
    assert first.exit_code == 0, first.output
    assert "demo data reset" in first.output and "Demo logins" in first.output
    assert count(User) == len(USERS) and count(ProcessDefinition) > 0
    # given a case registered in the demo
    registrar = db.session.scalar(select(User).where(User.username == "registrar"))
    f.case("路灯不亮", actor=registrar, territory_code="210902001001", category_code="lighting",
           request_type="help")
    assert count(Case) == 1
    # when the demo is reset, the case is gone and the demo city is back
    again = reset(demo_app)
    assert again.exit_code == 0, again.output
    assert count(Case) == 0 and count(User) == len(USERS)
    assert db.session.scalar(select(Territory.name).where(Territory.code == "210900")) == "阜新市"


def test_demo_reset_leaves_a_sqlite_database_of_another_city_alone_unless_told_yes(demo_app):
    assert reset(demo_app).exit_code == 0
    f.territory("330100", "city", name="杭州市")
    refused = reset(demo_app)
    assert refused.exit_code != 0 and "nothing was changed" in refused.output
    assert count(Territory.__table__.select().where(Territory.code == "330100").subquery()) == 1
    forced = reset(demo_app, "--yes")
    assert forced.exit_code == 0, forced.output
    assert db.session.scalar(select(Territory.id).where(Territory.code == "330100")) is None


def test_demo_reset_refuses_postgresql_without_yes():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/production",
                      "TESTING": True})
    with app.app_context():
        refused = reset(app)
    assert refused.exit_code != 0
    assert "postgresql, not the embedded SQLite demo" in refused.output
    assert "nothing was changed" in refused.output
