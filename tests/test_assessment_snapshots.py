"""Frozen rankings: at the end of each assessment period every unit's figures, score and rank are
frozen with the scheme version used, once, whoever races; a later rating or an accepted appeal
moves the live ranking, never the frozen one."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import scheduler
from app.assessment import snapshots
from app.assessment.models import AssessmentSnapshot, AssessmentSnapshotRow
from app.engine.errors import Conflict
from app.engine.transaction import transaction
from app.extensions import db
from app.statistics import service
from app.statistics.filters import assessment_month, today
from tests.complaint_city import Desk, assessment_city

API = "/api/v1/statistics"
_TOKENS: dict = {}


@pytest.fixture
def city(app):
    return assessment_city(_TOKENS, appeals=True)


@pytest.fixture
def ended(city, monkeypatch):
    """The current assessment period, as if it had ended: the freezing code's 'today' is the
    first day of the next one. Returns its (first, last) day."""
    first, last = assessment_month(today())
    monkeypatch.setattr(snapshots, "today", lambda: last + timedelta(days=1))
    return first, last


def desk(client) -> Desk:
    return Desk(client, tokens=_TOKENS)


def call(client, method: str, path: str, user: str = "leader", expected: int = 200, **kwargs):
    return desk(client).call(method, path if path.startswith("/api") else f"{API}{path}", user, expected,
                             **kwargs)


def answered(client, units, rating: tuple[str, str] | None = ("satisfied", "resolved")) -> Desk:
    d = desk(client)
    d.village_case(units)
    d.village_answers()
    if rating:
        d.rate(*rating)
    return d


def village(rows: list[dict]) -> dict:
    return next(row for row in rows if row["unit_code"] == "V-XINGLONG")


def snapshot_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AssessmentSnapshot))


def test_a_frozen_ranking_does_not_change_after_a_later_rating_or_an_accepted_appeal(app, client, city,
                                                                                     ended):
    # given a period in which the village answered two requests, one rated satisfied
    first, last = ended
    period = {"from": first.isoformat(), "to": last.isoformat()}
    answered(client, city["units"])
    late = answered(client, city["units"], rating=None)
    live = village(call(client, "GET", "/units", query_string=period))
    # when the period ends and the scheduler's job freezes it
    scheduler.freeze_assessments(app)
    [listed] = call(client, "GET", "/snapshots")
    frozen = call(client, "GET", f"/snapshots/{listed['id']}")
    assert (listed["period_from"], listed["period_to"], listed["frozen_by"], listed["scheme"]["code"]) == (
        period["from"], period["to"], None, "default")
    assert village(frozen["rows"]) == {k: v for k, v in live.items() if k != "drill_down"}
    assert (village(frozen["rows"])["rated"], village(frozen["rows"])["satisfaction_rate"]) == (1, 100.0)
    # and later the second request is rated unsatisfied, and the village's appeal of it is accepted
    late.rate("unsatisfied", "unresolved")
    assert village(call(client, "GET", "/units", query_string=period))["satisfaction_rate"] == 50.0
    [rating] = call(client, "GET", "/ratings", "handler_village", query_string={"case": late.number})
    call(client, "POST", "/appeals", "handler_village", 201,
         json={"rating_id": rating["id"], "reason": "不实"})
    late.do("supervisor", "review_appeal", action="accept", decision_note="属实")
    assert village(call(client, "GET", "/units", query_string=period))["rated"] == 1
    # then the frozen ranking is still the one published
    assert call(client, "GET", f"/snapshots/{listed['id']}") == frozen


def test_the_scheduler_job_freezes_each_ended_period_once_and_never_the_current_one(app, client, city,
                                                                                    monkeypatch):
    answered(client, city["units"])
    scheduler.freeze_assessments(app)  # the period of the case has not ended
    assert snapshot_count() == 0
    first, last = assessment_month(today())
    monkeypatch.setattr(snapshots, "today", lambda: last + timedelta(days=1))
    scheduler.freeze_assessments(app)
    scheduler.freeze_assessments(app)  # a second run (or a second scheduler) freezes nothing more
    assert [(s.period_first, s.period_last, s.frozen_by_id) for s in db.session.scalars(
        select(AssessmentSnapshot))] == [(first, last, None)]


def test_a_period_is_frozen_once_when_two_freezes_race(app, client, city, ended, monkeypatch):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time; the race is PostgreSQL's")
    answered(client, city["units"])
    first, last = ended
    # given two freezes that have both found the period unfrozen and computed its ranking
    both_ranked = threading.Barrier(2, timeout=20)
    rank = service.ranking

    def ranked_then_wait(*args, **kwargs):
        rows = rank(*args, **kwargs)
        both_ranked.wait()
        return rows

    monkeypatch.setattr(service, "ranking", ranked_then_wait)
    outcomes: list[str] = []

    def freeze():
        with app.app_context():
            try:
                with transaction():
                    snapshots.freeze(first, last, None)
                outcomes.append("frozen")
            except Conflict:
                outcomes.append("found frozen")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=freeze) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # then one froze it and the other found it frozen: one snapshot, one row per unit
    assert sorted(outcomes) == ["found frozen", "frozen"]
    assert snapshot_count() == 1
    assert db.session.scalar(select(func.count()).select_from(AssessmentSnapshotRow)) == 1


def test_an_administrator_freezes_an_ended_period_now_and_only_once(client, city, monkeypatch):
    answered(client, city["units"])
    day = today().isoformat()
    refused = call(client, "POST", "/snapshots", "admin", 422, json={"day": day})
    assert "has not ended yet" in refused["errors"]["day"][0]
    call(client, "POST", "/snapshots", "leader", 403, json={"day": day})
    first, last = assessment_month(today())
    monkeypatch.setattr(snapshots, "today", lambda: last + timedelta(days=1))
    frozen = call(client, "POST", "/snapshots", "admin", 201, json={"day": day})
    assert (frozen["frozen_by"], frozen["period_from"], [r["unit_code"] for r in frozen["rows"]]) == (
        "admin", first.isoformat(), ["V-XINGLONG"])
    assert "frozen already" in call(client, "POST", "/snapshots", "admin", 409, json={"day": day})["message"]
    audit = call(client, "GET", "/api/v1/admin/audit", "admin",
                 query_string={"entity": "assessment_snapshot"})
    assert [(e["action"], e["entity_key"], e["username"]) for e in audit] == [
        ("create", f"{first.isoformat()}..{last.isoformat()}", "admin")]


def test_a_unit_sees_its_own_row_of_a_frozen_ranking_with_its_city_rank(client, city, ended):
    units = city["units"]
    answered(client, units)
    b = desk(client)  # the township answers an escalated case
    b.village_case(units)
    b.sign_for("handler_village")
    b.do("handler_village", "handle", action="escalate", escalate_reason="需要镇里协调")
    b.sign_for("handler_township")
    b.reply("handler_township")
    b.approve_reply("reviewer_township")
    b.rate("satisfied", "resolved")
    snapshot = call(client, "POST", "/snapshots", "admin", 201, json={"day": ended[0].isoformat()})
    everyone = {r["unit_code"]: r["rank"] for r in snapshot["rows"]}
    assert set(everyone) == {"V-XINGLONG", "T-ZHANGWU"}
    own = call(client, "GET", f"/snapshots/{snapshot['id']}", "handler_township")["rows"]
    assert [(r["unit_code"], r["rank"]) for r in own] == [("T-ZHANGWU", everyone["T-ZHANGWU"])]
