"""The facts statistics count are kept as the case moves (app/statistics/facts.py): each unit that
holds a case gets an assignment with its response, return, escalation and reply; each rating is
kept with the unit it rates. Migration 0012 rebuilds the same facts from the timelines of cases
that existed before it — shown here to agree with the facts kept live."""
import time
from datetime import timedelta

from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from app.cases.models import Case
from app.engine import repository
from app.engine.timers import fire_due
from app.engine.transaction import transaction
from app.extensions import db
from app.statistics.models import CaseAssignment, CaseRating
from app.timelimits.limits import seed_defaults, update_limits
from tests.complaint_city import Desk, build_city

CASE_FACTS = ("dispatched_at", "intake_answered", "responded_on_time", "late_reply", "returns", "escalations",
              "extensions", "second_handled", "restarted_at")
ASSIGNMENT_FACTS = ("unit_id", "level", "via", "assigned_at", "responded_at", "responded_on_time",
                    "late_response", "returned_at", "return_overruled", "escalated_at", "replied_at",
                    "late_reply", "ended_at")


def assignments(number: str) -> list[dict]:
    case_id = db.session.scalar(select(Case.id).where(Case.number == number))
    rows = db.session.scalars(select(CaseAssignment).where(CaseAssignment.case_id == case_id)
                              .order_by(CaseAssignment.id))
    return [{name: getattr(row, name) for name in ASSIGNMENT_FACTS} for row in rows]


def escalating_case(desk, units) -> None:
    """Village escalates, the township answers; the requester is satisfied."""
    desk.village_case(units)
    desk.sign_for("handler_village")
    desk.do("handler_village", "handle", action="escalate", escalate_reason="需要镇里协调 needs the township")
    desk.sign_for("handler_township")
    desk.reply("handler_township")
    desk.approve_reply("reviewer_township")
    desk.rate("satisfied", "resolved")


def returned_and_rerouted(desk, units) -> None:
    desk.village_case(units)
    desk.do("handler_village", "first_contact", claim=True, action="return", return_reason="县住建局的事")
    desk.do("dispatcher", "review_return", action="reroute", unit_id=units["county"].id, level="county")
    desk.sign_for("handler_county")


def returned_and_overruled(desk, units) -> None:
    desk.village_case(units)
    desk.do("handler_village", "first_contact", claim=True, action="return", return_reason="不归我们管")
    desk.do("dispatcher", "review_return", action="overrule", review_note="属地管理")
    desk.sign_for("handler_village")


def unsatisfied_then_second_handling(desk, units) -> None:
    desk.village_case(units)
    desk.village_answers()
    desk.rate("unsatisfied", "unresolved")
    desk.do("supervisor", "second_handling", action="same_unit", review_note="请上门核实")
    desk.village_answers()
    desk.rate("basically_satisfied", "basically_resolved")


def answered_at_intake(desk, units) -> None:
    desk.register(title="社保卡补办在哪里", request_type="consultation")
    desk.do("registrar", "triage", action="answer", answer="市政务服务中心二楼")
    desk.rate("satisfied", "resolved")


def test_each_unit_that_holds_a_case_gets_an_assignment_with_what_it_did(app, client):
    units = build_city()["units"]
    desk = Desk(client)
    escalating_case(desk, units)
    village, township = assignments(desk.number)
    assert (village["via"], village["unit_id"], township["via"], township["unit_id"]) == (
        "dispatch", units["village"].id, "escalation", units["township"].id)
    assert village["responded_on_time"] and village["escalated_at"] and village["replied_at"] is None
    assert village["ended_at"] == township["assigned_at"]
    assert township["responded_on_time"] and township["replied_at"] and township["ended_at"]
    case = db.session.scalar(select(Case).where(Case.number == desk.number))
    assert (case.escalations, case.returns, case.responded_on_time, case.late_reply) == (1, 0, True, False)
    [rating] = db.session.scalars(select(CaseRating).where(CaseRating.case_id == case.id)).all()
    assert (rating.unit_id, rating.level, rating.round, rating.satisfaction) == (
        units["township"].id, "township", 1, "satisfied")


def test_a_return_is_the_returning_units_and_an_overruled_one_is_marked(app, client):
    units = build_city()["units"]
    rerouted, overruled = Desk(client), Desk(client)
    returned_and_rerouted(rerouted, units)
    returned_and_overruled(overruled, units)
    first, second = assignments(rerouted.number)
    assert (first["returned_at"] is not None, first["return_overruled"], second["via"]) == (
        True, False, "dispatch")
    [only] = assignments(overruled.number)
    assert (only["returned_at"] is not None, only["return_overruled"], only["responded_on_time"]) == (
        True, True, True)


def test_a_late_first_contact_is_a_late_response_of_the_unit_holding_the_case(app, client):
    with transaction():  # three seconds to call the requester back
        update_limits([{"phase": "first_contact", "amount": 0.05, "unit": "minutes"}])
    units = build_city()["units"]
    desk = Desk(client)
    desk.village_case(units)
    time.sleep(3.2)
    assert fire_due("test-worker") >= 1
    desk.sign_for("handler_village")
    [village] = assignments(desk.number)
    assert (village["late_response"], village["responded_on_time"]) == (True, False)
    assert db.session.scalar(select(Case.responded_on_time).where(Case.number == desk.number)) is False


def test_facts_kept_live_equal_what_migration_0012_rebuilds_from_the_timelines(make_app, tmp_path):
    # given cases that went every way, on their own database (it is migrated down and up again)
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'facts.sqlite3'}")
    with app.app_context():
        upgrade()
        seed_defaults()
        db.session.commit()
        repository.clear_cache()
        units = build_city()["units"]
        client = app.test_client()
        for scenario in (escalating_case, returned_and_rerouted, returned_and_overruled,
                         unsatisfied_then_second_handling, answered_at_intake):
            scenario(Desk(client), units)
        live = snapshot()
        # when the facts are dropped and rebuilt from the timelines
        downgrade(revision="0011")
        upgrade(revision="0012")
        # then they are the same (times within the moment between a fact and its event)
        assert same(snapshot(), live)
        db.session.remove()


def snapshot() -> dict:
    db.session.expire_all()
    # the facts' columns only: the table has more columns at the head than at revision 0012
    facts = select(Case.number, *(getattr(Case, name) for name in CASE_FACTS)).order_by(Case.id)
    cases = {row.number: {name: getattr(row, name) for name in CASE_FACTS}
             for row in db.session.execute(facts)}
    ratings = [(r.case_id, r.unit_id, r.level, r.round, r.satisfaction, r.resolution)
               for r in db.session.scalars(select(CaseRating).order_by(CaseRating.id))]
    return {"cases": cases, "assignments": {number: assignments(number) for number in cases},
            "ratings": ratings}


def same(rebuilt, live, where: str = "", tolerance=timedelta(seconds=1)) -> bool:
    """Equal, except that two times may differ by the moment between a fact and its event."""
    if isinstance(live, dict):
        assert rebuilt.keys() == live.keys(), where
        return all(same(rebuilt[k], live[k], f"{where}.{k}") for k in live)
    if isinstance(live, list):
        assert len(rebuilt) == len(live), where
        return all(same(a, b, f"{where}[{i}]") for i, (a, b) in enumerate(zip(rebuilt, live, strict=True)))
    if hasattr(live, "isoformat") and hasattr(rebuilt, "isoformat"):
        assert abs(rebuilt - live) <= tolerance, where
        return True
    assert rebuilt == live, where
    return True
