"""履职评估 and 移交问责 (R26) as lists in the API: filtered by period, unit, territory subtree and
result, within the viewer's scope (they used to be timeline entries only)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.organisation.models import Territory
from app.statistics.filters import today
from tests import factories as f
from tests.complaint_city import Desk, build_city

API = "/api/v1/statistics"
_TOKENS: dict = {}


@pytest.fixture
def city(app):
    _TOKENS.clear()
    return build_city()


def get(client, path: str, user: str = "leader", expected: int = 200, **params):
    response = client.get(f"{API}{path}", query_string=params,
                          headers=Desk(client, tokens=_TOKENS).headers(user))
    assert response.status_code == expected, response.json
    return response.json


def test_R26_unit_assessments_and_referrals_are_listed_and_filtered(client, city):
    # given three cases the village failed twice: assessed completed, not completed, not completed
    # (the second "not completed" in a row refers the village for accountability)
    made = []
    for result in ("completed", "not_completed", "not_completed"):
        d = Desk(client, tokens=_TOKENS)
        d.village_fails_twice(city["units"], result=result)
        made.append(d.number)
    # then the city's leader sees the three assessments, newest first, and the one referral
    listed = get(client, "/assessments")
    assert [(a["case_number"], a["result"], a["unit_code"]) for a in listed] == [
        (made[2], "not_completed", "V-XINGLONG"), (made[1], "not_completed", "V-XINGLONG"),
        (made[0], "completed", "V-XINGLONG")]
    assert listed[0]["note"] == "未按承诺时间整改"
    [referral] = get(client, "/referrals")
    assert (referral["case_number"], referral["unit_code"]) == (made[2], "V-XINGLONG")
    assert (referral["assessment_id"], referral["previous_assessment_id"]) == (
        listed[0]["id"], listed[1]["id"])
    assert [a["referral_id"] for a in listed] == [referral["id"], None, None]
    # filtered by result, unit, territory subtree and period
    assert [a["case_number"] for a in get(client, "/assessments", result="completed")] == [made[0]]
    assert get(client, "/assessments", unit="T-ZHANGWU") == []
    assert get(client, "/referrals", unit="T-ZHANGWU") == []
    assert len(get(client, "/assessments", territory="210921001")) == 3
    yesterday = (today() - timedelta(days=1)).isoformat()
    assert get(client, "/assessments", **{"from": yesterday, "to": yesterday}) == []
    assert get(client, "/referrals", **{"from": yesterday, "to": yesterday}) == []
    assert "territory" in get(client, "/assessments", expected=422, territory="nowhere")["errors"]
    assert "result" in get(client, "/assessments", expected=422, result="maybe")["errors"]
    # within the viewer's scope: the village's own staff see them, the township's none
    assert len(get(client, "/assessments", user="handler_village")) == 3
    assert get(client, "/assessments", user="handler_township") == []
    assert get(client, "/referrals", user="reviewer_township") == []


def test_R26_a_district_leader_sees_only_the_districts_assessments(client, city):
    # given an assessment in the first county and the leader of a second county of the city
    Desk(client, tokens=_TOKENS).village_fails_twice(city["units"])
    whole_city = db.session.scalar(select(Territory).where(Territory.code == "210900"))
    other_county = f.territory("210922", "county", whole_city, name="彰武县")
    f.user("leader_b", (f.unit("C-ZHANGWU", "county", territory=other_county, kind="centre"), "leader"))
    # then only the city sees it, also when the second county asks for the first one's territory
    assert len(get(client, "/assessments")) == 1
    assert get(client, "/assessments", user="leader_b") == []
    assert get(client, "/assessments", user="leader_b", territory="210921") == []
