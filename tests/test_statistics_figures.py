"""Statistics (R33, R34) over the API, with cases built through the API and known outcomes: every
count and rate exactly, the shares of closures per level, the units' ranking, the drill-down to
the cases behind a number, and jurisdiction. Definitions: docs/statistics.md."""
import pytest
from sqlalchemy import select

from app.engine.transaction import transaction
from app.extensions import db
from app.organisation.models import Territory
from app.statistics import settings
from tests import factories as f
from tests.complaint_city import Desk, build_city

API = "/api/v1/statistics"


@pytest.fixture
def city(app):
    return build_city()


_TOKENS: dict = {}


@pytest.fixture(autouse=True)
def _fresh_tokens():
    """Desks of one test share their sign-ins (argon2 makes each one cost ~0.1 s)."""
    _TOKENS.clear()


def desk(client) -> Desk:
    return Desk(client, tokens=_TOKENS)


def village_resolves(client, units, satisfaction="satisfied", resolution="resolved") -> Desk:
    d = desk(client)
    d.village_case(units)
    d.village_answers()
    d.rate(satisfaction, resolution)
    return d


def answered_at_level(client, units, level) -> Desk:
    """Dispatched straight to the unit of `level`, which answers; the requester is satisfied."""
    d = desk(client)
    d.register()
    d.accept_and_dispatch(level, units, level)
    d.sign_for(f"handler_{level}")
    d.reply(f"handler_{level}")
    d.approve_reply(f"reviewer_{level}")
    d.rate("satisfied", "resolved")
    return d


def answered_at_intake(client) -> Desk:
    d = desk(client)
    d.register(title="社保卡补办在哪里", request_type="consultation")
    d.do("registrar", "triage", action="answer", answer="市政务服务中心二楼")
    d.rate("satisfied", "resolved")
    return d


def refused(client) -> Desk:
    d = desk(client)
    d.register(title="邻居打架")
    d.do("registrar", "triage", action="refuse", refusal_reason="emergency", redirect_to="110")
    return d


def seven_cases(client, units) -> dict:
    """A: the village answers (satisfied); B: the village escalates, the township answers
    (basically satisfied, basically resolved); C: the village returns it, the county answers,
    unsatisfied, answers again in second handling (satisfied); D: answered at intake; E: not
    accepted; F: dispatched to the village, not yet signed for; G: still at triage."""
    made = {"A": village_resolves(client, units)}
    b = desk(client)
    b.village_case(units)
    b.sign_for("handler_village")
    b.do("handler_village", "handle", action="escalate", escalate_reason="需要镇里协调")
    b.sign_for("handler_township")
    b.reply("handler_township")
    b.approve_reply("reviewer_township")
    b.rate("basically_satisfied", "basically_resolved")
    c = desk(client)
    c.village_case(units)
    c.do("handler_village", "first_contact", claim=True, action="return", return_reason="县住建局的事")
    c.do("dispatcher", "review_return", action="reroute", unit_id=units["county"].id, level="county")
    for satisfaction, resolution in (("unsatisfied", "unresolved"), ("satisfied", "resolved")):
        c.sign_for("handler_county")
        c.reply("handler_county")
        c.approve_reply("reviewer_county")
        c.rate(satisfaction, resolution)
        if satisfaction == "unsatisfied":
            c.do("supervisor", "second_handling", action="same_unit", review_note="请上门核实")
    made.update(B=b, C=c, D=answered_at_intake(client), E=refused(client))
    made["F"] = desk(client)
    made["F"].village_case(units)
    made["G"] = desk(client)
    made["G"].register()
    return made


def get(client, path, user="leader", **params):
    response = client.get(f"{API}{path}", query_string=params, headers=desk(client).headers(user))
    assert response.status_code == 200, response.json
    return response.json


def test_R33_every_count_and_rate_of_the_summary_is_exact(client, city):
    seven_cases(client, city["units"])
    summary = get(client, "/summary")
    counts = {k: summary[k] for k in ("received", "accepted", "not_accepted", "answered_at_intake",
                                      "dispatched", "closed", "open", "overdue_now", "extended", "returned",
                                      "escalated", "second_handled", "restarted", "referred")}
    assert counts == {"received": 7, "accepted": 5, "not_accepted": 1, "answered_at_intake": 1,
                      "dispatched": 4, "closed": 5, "open": 2, "overdue_now": 0, "extended": 0, "returned": 1,
                      "escalated": 1, "second_handled": 1, "restarted": 0, "referred": 0}
    rates = {k: summary[k] for k in ("acceptance_rate", "completion_rate", "satisfaction_rate",
                                     "resolution_rate", "timeliness_rate", "response_rate", "return_rate",
                                     "redo_rate")}
    # 5/7; 5/7; (3 satisfied + 1 basically) / 5 ratings; the same; 5/5; 3 of 4 dispatched called back
    # on time (F not yet); 1 return / 7 hand-overs; 1 second handling / 5 closed
    assert rates == {"acceptance_rate": 71.43, "completion_rate": 71.43, "satisfaction_rate": 80.0,
                     "resolution_rate": 80.0, "timeliness_rate": 100.0, "response_rate": 75.0,
                     "return_rate": 14.29, "redo_rate": 20.0}
    shares = {level: (share["count"], share["share"]) for level, share in summary["closed_by_level"].items()}
    assert shares == {"village": (1, 33.34), "township": (1, 33.33), "county": (1, 33.33), "city": (0, 0.0)}
    # the inputs of the rates are there too, e.g. for "5 / 7" next to a rate
    assert (summary["rated"], summary["satisfied"], summary["assignments"]) == (5, 3, 7)


def test_R33_basically_satisfied_counts_with_the_weight_an_administrator_sets(client, city, app):
    seven_cases(client, city["units"])
    with transaction():
        settings.update({"basically_satisfied_weight": 0.9}, None)
    summary = get(client, "/summary")
    assert (summary["satisfaction_rate"], summary["resolution_rate"]) == (78.0, 80.0)  # (3 + 0.9) / 5


def test_R33_R34_fuxin_completion_and_baiyin_level_shares_on_a_scaled_down_city(client, city):
    # given 119 requests: 100 answered at the levels in Baiyin's proportions, 17 answered at intake,
    # and 2 still open (Fuxin: 53182 of 54088 closed = 98.32%)
    units = city["units"]
    for level, n in (("village", 51), ("township", 32), ("county", 13), ("city", 4)):
        for _ in range(n):
            answered_at_level(client, units, level)
    for _ in range(17):
        answered_at_intake(client)
    for _ in range(2):
        desk(client).register()
    summary = get(client, "/summary")
    assert (summary["received"], summary["closed"], summary["completion_rate"]) == (119, 117, 98.32)
    assert {level: share["share"] for level, share in summary["closed_by_level"].items()} == {
        "village": 51.0, "township": 32.0, "county": 13.0, "city": 4.0}


def test_every_number_drills_down_to_the_cases_counted(client, city):
    made = seven_cases(client, city["units"])
    summary = get(client, "/summary")
    for figure in ("received", "closed", "returned", "dispatched", "open"):
        listed = get(client, "/cases", **summary["drill_down"][figure])
        assert listed["total"] == summary[figure] or figure == "returned"
    for level, share in summary["closed_by_level"].items():  # a level's share lists its cases
        assert get(client, "/cases", **share["drill_down"])["total"] == share["count"], level
    returned = get(client, "/cases", **summary["drill_down"]["returned"])
    assert [(c["number"], c["matches"]) for c in returned["cases"]] == [(made["C"].number, 1)]
    numerator = get(client, "/cases", **summary["drill_down"]["response_rate"]["numerator"])
    denominator = get(client, "/cases", **summary["drill_down"]["response_rate"]["denominator"])
    assert {c["number"] for c in numerator["cases"]} == {made[k].number for k in "ABC"}
    assert {c["number"] for c in denominator["cases"]} == {made[k].number for k in "ABCF"}


def test_R33_units_are_ranked_on_their_own_figures(client, city):
    seven_cases(client, city["units"])
    rows = {row["unit_code"]: row for row in get(client, "/units")}
    village = rows["V-XINGLONG"]
    # the village was handed A, B, C and F; it returned C (upheld), answered A, escalated B
    assert (village["received"], village["closed"], village["returned"], village["escalated"]) == (4, 1, 1, 1)
    assert (village["response_rate"], village["completion_rate"], village["satisfaction_rate"]) == (
        66.67, 25.0, 100.0)
    county = rows["K-FUXIN-COUNTY"]
    assert (county["received"], county["closed"], county["rated"], county["satisfaction_rate"]) == (
        2, 1, 2, 50.0)
    assert [row["rank"] for row in get(client, "/units", order="received")][:1] == [1]
    assert get(client, "/units", order="received")[0]["unit_code"] == "V-XINGLONG"


def test_a_district_leader_sees_only_the_district(client, city):
    # given a second county with its own village, and a case in each county
    units = city["units"]
    whole_city = db.session.scalar(select(Territory).where(Territory.code == "210900"))
    county_b = f.territory("210922", "county", whole_city, name="彰武县")
    village_b = f.territory("210922001001", "village", county_b, name="前进村")
    unit_b = f.unit("V-QIANJIN", "village", territory=village_b, kind="committee")
    f.routing_rule(village_b, "village", unit_b)
    centre_b = f.unit("C-ZHANGWU", "county", territory=county_b, kind="centre")
    f.user("leader_b", (centre_b, "leader"))
    village_resolves(client, units)
    d = desk(client)
    d.register(territory_code="210922001001")
    # when the county's leader asks, then only the county's case is counted, listed and ranked
    summary = get(client, "/summary", user="leader_b")
    assert (summary["received"], summary["closed"]) == (1, 0)
    listed = get(client, "/cases", user="leader_b", figure="received")
    assert [c["number"] for c in listed["cases"]] == [d.number]
    assert get(client, "/units", user="leader_b") == []
    # and asking for the other county's territory changes nothing: it is outside the scope
    assert get(client, "/summary", user="leader_b", territory="210921")["received"] == 0


def test_a_unit_sees_its_own_figures_only(client, city):
    seven_cases(client, city["units"])
    rows = get(client, "/units", user="handler_township")
    assert [row["unit_code"] for row in rows] == ["T-ZHANGWU"]
    summary = get(client, "/summary", user="handler_township")
    assert (summary["received"], summary["escalated"]) == (1, 0)  # case B came through the township
