"""The rollup (app/statistics/rollup.py): on PostgreSQL, triggers keep the dated counts per day in
the transaction of every change, however it is made; it equals a recomputation from the facts, and
every figure read from it equals the same figure counted from the facts. SQLite has no rollup."""
import pytest
from sqlalchemy import select, text, update

from app.accounts.models import User
from app.cases.models import Case
from app.engine.transaction import transaction
from app.extensions import db
from app.organisation.models import Category
from app.statistics import rollup, service
from app.statistics.figures import COUNTS
from app.statistics.models import ROLLUP_COUNTS, CaseRating
from tests.complaint_city import build_city
from tests.test_statistics_figures import _fresh_tokens, desk, seven_cases, village_resolves  # noqa: F401

ZONE = "Asia/Shanghai"


@pytest.fixture
def city(app):
    return build_city()


def on_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def kept() -> list[tuple]:
    names = ", ".join(ROLLUP_COUNTS)
    nonzero = " OR ".join(f"{n} <> 0" for n in ROLLUP_COUNTS)
    return sorted(tuple(row) for row in db.session.execute(text(
        f"SELECT face, day, territory_id, key, {names} FROM statistics_rollup WHERE {nonzero}")))


def questions(units: dict) -> list[tuple]:
    """Every breakdown, the summary and the ranking, whole and with each cut."""
    cuts = [{}, {"category": "lamp"}, {"klass": "livelihood"}, {"channel": "api"},
            {"request_type": "complaint"}, {"level": "village"}, {"unit": units["village"].code},
            {"territory": "210921001"}, {"category": "lamp", "channel": "api"}]
    asked = []
    for cut in cuts:
        asked += [("summary", cut, None), ("units", cut, None)]
        asked += [("breakdown", cut, by) for by in service.BREAKDOWNS]
    return asked


def answer(question: tuple, user: User):
    what, cut, by = question
    if what == "summary":
        return service.summary(user, dict(cut))
    if what == "units":
        return service.units(user, dict(cut))
    return service.breakdown(user, dict(cut), by)


def test_the_rollup_keeps_a_column_for_every_dated_count_of_cases_assignments_and_ratings():
    assert list(ROLLUP_COUNTS) == [name for names in rollup.counted().values() for name in names]
    assert all(COUNTS[name].date is not None for name in ROLLUP_COUNTS)


def test_the_rollup_kept_by_the_triggers_equals_a_recomputation_from_the_facts(client, city):
    if not on_postgresql():
        pytest.skip("the rollup is kept on PostgreSQL only")
    # given cases that went every way, one restarted after closing
    units = city["units"]
    seven_cases(client, units)
    restarted = village_resolves(client, units)
    response = client.post(f"/api/v1/cases/{restarted.number}/restart", json={"reason": "抽查：路灯仍不亮"},
                           headers=restarted.headers("supervisor"))
    assert response.status_code == 200, response.json
    restarted.village_answers()
    restarted.rate("satisfied", "resolved")
    # and changes made by other code: an appeal takes a rating out, a case is re-categorised
    other = db.session.scalar(select(Category.id).where(Category.code == "market"))
    with transaction():
        db.session.execute(update(CaseRating).where(CaseRating.id == db.session.scalar(
            select(CaseRating.id).where(CaseRating.unit_id.is_not(None)).limit(1))).values(excluded=True))
        db.session.execute(update(Case).where(Case.number == restarted.number).values(
            category_id=other, request_type="report"))
    # then what the triggers kept is what the facts add up to now
    found = kept()
    assert found and found == rollup.recomputed(db.session.connection(), ZONE)


def test_every_figure_read_from_the_rollup_equals_that_counted_from_the_facts(client, city, monkeypatch):
    seven_cases(client, city["units"])
    with transaction():  # an appeal upheld: the unit's figures leave the rating out
        db.session.execute(update(CaseRating).where(CaseRating.unit_id == city["units"]["county"].id)
                           .values(excluded=True))
    leader = db.session.scalar(select(User).where(User.username == "leader"))
    asked = questions(city["units"])
    assert rollup.usable() == on_postgresql()
    from_rollup = [answer(question, leader) for question in asked]
    monkeypatch.setattr(rollup, "usable", lambda: False)
    from_facts = [answer(question, leader) for question in asked]
    for question, rolled, counted in zip(asked, from_rollup, from_facts, strict=True):
        assert rolled == counted, question
    assert from_facts[0]["received"] == 7


def test_a_rollup_written_for_other_definitions_is_not_read(client, city):
    if not on_postgresql():
        pytest.skip("the rollup is kept on PostgreSQL only")
    village_resolves(client, city["units"])
    leader = db.session.scalar(select(User).where(User.username == "leader"))
    assert db.session.scalar(text(rollup.INSTALLED)) == rollup.signature(ZONE)
    try:
        with transaction():  # as if figures.py had changed since the triggers were written
            other = f"figures 0123456789abcdef {ZONE}"
            db.session.execute(text(f"COMMENT ON FUNCTION statistics_rollup_case_record() IS '{other}'"))
            db.session.execute(text("DELETE FROM statistics_rollup"))
        assert not rollup.usable()
        assert service.summary(leader, {})["closed"] == 1  # counted from the facts
    finally:
        with transaction():
            rows = rollup.install(db.session.connection(), ZONE)
    assert rows and rollup.usable() is True


def test_flask_statistics_rollup_writes_the_triggers_again_and_refills_the_rollup(app, client, city):
    village_resolves(client, city["units"])
    result = app.test_cli_runner().invoke(args=["statistics", "rollup"])
    if not on_postgresql():
        assert result.exit_code != 0 and "PostgreSQL only" in result.output
        return
    assert result.exit_code == 0, result.output
    assert rollup.signature(ZONE) in result.output
    found = kept()
    assert found and found == rollup.recomputed(db.session.connection(), ZONE)
