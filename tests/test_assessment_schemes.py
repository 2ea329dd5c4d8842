"""Assessment schemes (考核方案) as data: versioned, exactly one active, every change audited, and
the active version scores the ranking (亮晒比) in GET /api/v1/statistics/units."""
import pytest
from sqlalchemy import func, select

from app.assessment.models import AssessmentScheme
from app.extensions import db
from tests.complaint_city import Desk, assessment_city

API = "/api/v1/statistics"
_TOKENS: dict = {}


@pytest.fixture
def city(app):
    return assessment_city(_TOKENS)


def call(client, method: str, path: str, user: str = "admin", expected: int = 200, **kwargs):
    return Desk(client, tokens=_TOKENS).call(method, path if path.startswith("/api") else f"{API}{path}",
                                             user, expected, **kwargs)


def village_score(client) -> float:
    [row] = [r for r in call(client, "GET", "/units", "leader") if r["unit_code"] == "V-XINGLONG"]
    return row["score"]


def village_with_three_cases(client, units) -> None:
    """The village answers A (called back in time, satisfied), returns C to the county (upheld) and
    has not yet signed for F: response 1 of 2 answerable hand-overs (50%), satisfaction and
    resolution 100%, one return."""
    a = Desk(client, tokens=_TOKENS)
    a.village_case(units)
    a.village_answers()
    a.rate("satisfied", "resolved")
    c = Desk(client, tokens=_TOKENS)
    c.village_case(units)
    c.do("handler_village", "first_contact", claim=True, action="return", return_reason="县住建局的事")
    c.do("dispatcher", "review_return", action="reroute", unit_id=units["county"].id, level="county")
    Desk(client, tokens=_TOKENS).village_case(units)


def test_changing_the_weights_changes_a_units_score_and_is_audited(client, city):
    village_with_three_cases(client, city["units"])
    # given no scheme: the default weighs response 30, resolution 35, satisfaction 35
    assert call(client, "GET", "/schemes/active", "leader")["code"] == "default"
    assert village_score(client) == 85.0  # (30 × 50 + 35 × 100 + 35 × 100) / 100
    # when an administrator defines a scheme weighing satisfaction only, it scores the ranking
    call(client, "POST", "/schemes", "leader", 403, json={"code": "x", "name": "x", "weights": {}})
    created = call(client, "POST", "/schemes", expected=201, json={
        "code": "city-2027", "name": "市级考核 2027", "weights": {"satisfaction_rate": 100}})
    assert (created["version"], created["active"]) == (1, True)
    assert village_score(client) == 100.0
    # and editing it (response only, 5 points off per return) adds version 2, which scores now
    revised = call(client, "PATCH", "/schemes/city-2027",
                   json={"weights": {"response_rate": 1}, "deductions": {"returned": 5}})
    assert (revised["version"], revised["active"], revised["name"]) == (2, True, "市级考核 2027")
    assert village_score(client) == 45.0  # 50 − 5 × 1 return
    assert [(v["version"], v["active"]) for v in call(client, "GET", "/schemes/city-2027", "leader")] == [
        (2, True), (1, False)]
    # then both changes are in the audit, with who, and old → new
    audit = call(client, "GET", "/api/v1/admin/audit", query_string={"entity": "assessment_scheme"})
    assert [(e["action"], e["entity_key"], e["username"]) for e in audit] == [
        ("update", "city-2027", "admin"), ("create", "city-2027", "admin")]
    assert (audit[0]["old"]["weights"], audit[0]["new"]["weights"]) == (
        {"satisfaction_rate": 100.0}, {"response_rate": 1.0})
    assert (audit[0]["old"]["version"], audit[0]["new"]["version"], audit[0]["new"]["deductions"]) == (
        1, 2, {"returned": 5.0})


def test_a_scheme_with_bad_weights_or_deductions_is_refused_by_field_and_nothing_is_saved(client, city):
    refused = call(client, "POST", "/schemes", expected=422, json={
        "code": "Bad Code", "name": " ",
        "weights": {"speed": 1, "completion_rate": -1, "resolution_rate": "30", "satisfaction_rate": True},
        "deductions": {"overdue_days": 1, "late_replies": 101}})
    assert set(refused["errors"]) == {"code", "name", "weights.speed", "weights.completion_rate",
                                      "weights.resolution_rate", "weights.satisfaction_rate",
                                      "deductions.overdue_days", "deductions.late_replies"}
    assert refused["errors"]["weights.resolution_rate"] == ["must be a number"]
    assert refused["errors"]["deductions.late_replies"] == ["must be between 0 and 100"]
    zero = call(client, "POST", "/schemes", expected=422, json={
        "code": "zero", "name": "零", "weights": {"response_rate": 0}})
    assert zero["errors"] == {"weights": ["at least one rate needs a weight above 0"]}
    assert "weights" in call(client, "POST", "/schemes", expected=422, json={
        "code": "list", "name": "list", "weights": [1, 2]})["errors"]
    assert call(client, "GET", "/schemes") == []
    call(client, "PATCH", "/schemes/none", expected=404, json={"name": "x"})
    assert call(client, "GET", "/api/v1/admin/audit", query_string={"entity": "assessment_scheme"}) == []


def active_codes() -> list[tuple[str, int]]:
    db.session.expire_all()
    return [(row.code, row.version) for row in db.session.scalars(
        select(AssessmentScheme).where(AssessmentScheme.active.is_(True)))]


def test_exactly_one_scheme_version_is_active(client, city):
    weights = {"satisfaction_rate": 1}
    call(client, "POST", "/schemes", expected=201, json={"code": "a", "name": "A", "weights": weights})
    b = call(client, "POST", "/schemes", expected=201, json={"code": "b", "name": "B", "weights": weights})
    assert b["active"] is False and active_codes() == [("a", 1)]
    call(client, "POST", "/schemes/b/activate")
    assert active_codes() == [("b", 1)] and call(client, "GET", "/schemes/active", "leader")["code"] == "b"
    # editing an inactive scheme adds an inactive version; the same values add none
    assert call(client, "PATCH", "/schemes/a", json={"name": "A2"})["active"] is False
    assert call(client, "PATCH", "/schemes/a", json={"name": "A2"})["version"] == 2
    call(client, "POST", "/schemes", expected=201, json={"code": "c", "name": "C", "weights": weights,
                                                          "active": True})
    assert active_codes() == [("c", 1)]
    assert db.session.scalar(select(func.count()).select_from(AssessmentScheme)) == 4
