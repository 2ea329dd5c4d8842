"""申诉 (appeals of ratings): the rated unit's staff appeal one rating of its answer; a platform
supervisor reviews it in the inbox (workflows/appeal.bpmn). Accepted, the rating leaves the unit's
rates; rejected, nothing changes; either way the case's timeline and the appeal keep who decided,
when and why, and the appeal process never closes or reopens the case."""
import pytest
from sqlalchemy import select

from app.assessment.models import RatingAppeal
from app.extensions import db
from tests import factories as f
from tests.complaint_city import Desk, build_city

API = "/api/v1/statistics"
_TOKENS: dict = {}


@pytest.fixture
def city(app):
    _TOKENS.clear()  # Desks of one test share their sign-ins (argon2 makes each cost ~0.1 s)
    built = build_city()
    f.deploy("appeal.bpmn")
    return built


def desk(client) -> Desk:
    return Desk(client, tokens=_TOKENS)


def call(client, method: str, path: str, user: str, expected: int = 200, **kwargs):
    response = client.open(f"{API}{path}", method=method, headers=desk(client).headers(user), **kwargs)
    assert response.status_code == expected, response.json
    return response.json


def inbox(client, user: str = "supervisor") -> list[dict]:
    response = client.get("/api/v1/tasks", headers=desk(client).headers(user))
    assert response.status_code == 200, response.json
    return response.json


def village_unit(client) -> dict:
    [row] = [r for r in call(client, "GET", "/units", "leader") if r["unit_code"] == "V-XINGLONG"]
    return row


def ratings(client, number: str, user: str = "handler_village") -> list[dict]:
    return call(client, "GET", "/ratings", user, query_string={"case": number})


def appeal(client, rating_id: int, user: str = "handler_village", expected: int = 201,
           reason: str = "诉求人要求超出政策范围 The demand is outside the policy"):
    return call(client, "POST", "/appeals", user, expected, json={"rating_id": rating_id, "reason": reason})


def satisfied_and_failed(client, units) -> tuple[Desk, Desk]:
    """The village answers A (satisfied) and fails B twice (unsatisfied, assessed, closed): its
    satisfaction rate is 1 of 3 ratings."""
    a, b = desk(client), desk(client)
    a.village_case(units)
    a.village_answers()
    a.rate("satisfied", "resolved")
    b.village_fails_twice(units)
    return a, b


def test_an_accepted_appeal_takes_the_case_out_of_the_units_satisfaction_rate(client, city):
    # given the village's three ratings, one satisfied (33.33%), and case B closed unsatisfied
    _, b = satisfied_and_failed(client, city["units"])
    assert (village_unit(client)["rated"], village_unit(client)["satisfaction_rate"]) == (3, 33.33)
    closed_at = b.case()["closed_at"]
    first, second = ratings(client, b.number)
    assert (first["round"], second["round"]) == (1, 2)
    assert second["may_appeal"] is True

    # when the village's handler appeals B's second rating
    filed = appeal(client, second["id"])
    assert (filed["status"], filed["case_number"], filed["unit_code"], filed["filed_by"]) == (
        "open", b.number, "V-XINGLONG", "handler_village")

    # then the appeal waits in the platform supervisor's inbox like any task
    assert [(t["case_number"], t["element_id"]) for t in inbox(client)] == [(b.number, "review_appeal")]

    # and when the supervisor accepts it, the rating no longer counts for the village
    b.do("supervisor", "review_appeal", action="accept", decision_note="诉求超出政策范围，属实")
    row = village_unit(client)
    assert (row["rated"], row["satisfied"], row["satisfaction_rate"], row["resolution_rate"]) == (
        2, 1, 50.0, 50.0)
    # the appeal keeps the reason, the reviewer and the time; the case stays closed as it was
    [decided] = call(client, "GET", "/appeals", "leader")
    assert (decided["status"], decided["decided_by"], decided["decision_note"]) == (
        "accepted", "supervisor", "诉求超出政策范围，属实")
    assert decided["decided_at"] is not None and decided["reason"] == filed["reason"]
    case = b.case()
    assert (case["status"], case["closed_at"], case["outcome"]) == ("closed", closed_at, "unsatisfied")
    events = b.events()
    assert events[events.index("appeal_filed"):] == ["appeal_filed", "appeal_accepted", "process_completed"]
    assert [r["excluded"] for r in ratings(client, b.number)] == [False, True]


def test_a_rejected_appeal_changes_no_rate(client, city):
    _, b = satisfied_and_failed(client, city["units"])
    _, second = ratings(client, b.number)
    appeal(client, second["id"], user="leader_village")
    b.do("supervisor", "review_appeal", action="reject", decision_note="评价真实有效")
    assert village_unit(client)["satisfaction_rate"] == 33.33
    [decided] = call(client, "GET", "/appeals", "handler_village", query_string={"status": "rejected"})
    assert (decided["decided_by"], decided["decision_note"], decided["filed_by"]) == (
        "supervisor", "评价真实有效", "leader_village")
    assert "appeal_rejected" in b.events() and b.case()["status"] == "closed"
    assert [r["excluded"] for r in ratings(client, b.number)] == [False, False]


def test_ending_the_appeal_process_does_not_close_a_case_still_in_handling(client, city):
    # given a case back at the village for second handling after an unsatisfied rating
    d = desk(client)
    d.village_case(city["units"])
    d.village_answers()
    d.rate("unsatisfied", "unresolved")
    d.do("supervisor", "second_handling", action="same_unit")
    [first] = ratings(client, d.number)
    # when the village's appeal of that rating is decided
    appeal(client, first["id"])
    d.do("supervisor", "review_appeal", action="accept", decision_note="已核实")
    # then the case is still open and its own process goes on to the end
    assert d.case()["status"] == "open"
    assert d.holders() == [("first_contact", "V-XINGLONG", "handler")]
    d.village_answers()
    d.rate("satisfied", "resolved")
    assert d.case()["status"] == "closed"


def test_only_the_rated_units_staff_appeal_and_one_appeal_of_a_rating_is_open_at_a_time(client, city):
    a, b = satisfied_and_failed(client, city["units"])
    first, second = ratings(client, b.number)
    # another unit's handler, and the platform's leader, may not appeal the village's rating
    assert ratings(client, b.number, user="leader")[1]["may_appeal"] is False
    appeal(client, second["id"], user="handler_township", expected=404)  # not a case it may see
    appeal(client, second["id"], user="leader", expected=403)
    appeal(client, second["id"], user="registrar", expected=403)
    # a satisfied and resolved rating counts for the unit: nothing to appeal
    [good] = ratings(client, a.number)
    assert good["may_appeal"] is False
    refused = appeal(client, good["id"], expected=422)
    assert "rating_id" in refused["errors"]
    # a reason is required; an unknown rating is not found
    assert "reason" in appeal(client, second["id"], reason="  ", expected=422)["errors"]
    appeal(client, 999999, expected=404)
    # one open appeal per rating; the other rating of the case may be appealed beside it
    appeal(client, second["id"])
    assert "open already" in appeal(client, second["id"], user="reviewer_village", expected=409)["message"]
    appeal(client, first["id"])
    assert db.session.scalars(select(RatingAppeal.status)).all() == ["open", "open"]
    assert [t["element_id"] for t in inbox(client)] == ["review_appeal", "review_appeal"]
