"""The assessment pages: administrators edit a scheme (audited), the rated unit's handler appeals a
rating from the case page and the supervisor finds it in the inbox, frozen rankings and the lists
of unit assessments and referrals. Chinese by default."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.assessment import snapshots
from app.assessment.models import AssessmentScheme, RatingAppeal
from app.audit.models import AdminChange
from app.extensions import db
from app.statistics.filters import assessment_month, today
from tests import factories as f
from tests.complaint_city import Desk, assessment_city
from tests.web_helpers import post_form, signed_in

_TOKENS: dict = {}


@pytest.fixture
def city(app):
    return assessment_city(_TOKENS, appeals=True)


def page(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def test_an_administrator_edits_a_scheme_on_its_page_and_each_change_is_audited(client, city):
    signed_in(client, "admin")
    html = page(client, "/assessment/schemes")
    assert "考核方案" in html and "默认方案" in html  # the default scores until a scheme exists
    created = post_form(client, "/assessment/schemes", {
        "code": "city-2027", "name": "市级考核", "weights.satisfaction_rate": "60",
        "weights.response_rate": "40", "deductions.returns_overruled": ""}, page="/assessment/schemes")
    assert created.status_code == 302
    # a bad number is shown next to its field and nothing is saved
    refused = post_form(client, "/assessment/schemes/city-2027",
                        {"name": "市级考核", "weights.response_rate": "四十"},
                        page="/assessment/schemes?edit=city-2027")
    assert refused.status_code == 422 and "须为数字" in refused.get_data(as_text=True)
    saved = post_form(client, "/assessment/schemes/city-2027", {
        "name": "市级考核", "weights.satisfaction_rate": "50", "weights.response_rate": "50",
        "deductions.late_replies": "2"}, page="/assessment/schemes?edit=city-2027")
    assert saved.status_code == 302
    rows = db.session.scalars(select(AssessmentScheme).order_by(AssessmentScheme.version)).all()
    assert [(r.version, r.active, r.weights, r.deductions) for r in rows] == [
        (1, False, {"satisfaction_rate": 60.0, "response_rate": 40.0}, {}),
        (2, True, {"satisfaction_rate": 50.0, "response_rate": 50.0}, {"late_replies": 2.0})]
    changes = db.session.scalars(select(AdminChange).where(AdminChange.entity == "assessment_scheme")
                                 .order_by(AdminChange.id)).all()
    assert [(c.action, c.user_id) for c in changes] == [("create", f.user_id("admin")),
                                                        ("update", f.user_id("admin"))]
    # and a leader may not edit schemes
    signed_in(client, "leader")
    assert client.get("/assessment/schemes").status_code == 403


def test_the_rated_units_handler_appeals_from_the_case_page_and_the_supervisor_reviews_it(client, city):
    d = Desk(client, tokens=_TOKENS)
    d.village_fails_twice(city["units"])
    signed_in(client, "handler_village")
    html = page(client, f"/cases/{d.number}")
    assert html.count('name="rating_id"') == 2 and "对该评价申诉" in html
    rating_id = re.findall(r'name="rating_id" value="(\d+)"', html)[1]  # the second round's
    filed = post_form(client, "/assessment/appeals",
                      {"number": d.number, "rating_id": rating_id, "reason": "诉求超出本单位职责"},
                      page=f"/cases/{d.number}")
    assert filed.status_code == 302 and filed.location.endswith(f"/cases/{d.number}#ratings")
    html = page(client, f"/cases/{d.number}")
    assert "申诉已提交" in html and "审核中" in html and html.count('name="rating_id"') == 1
    # the case's diagram stays its own process, not the appeal run beside it
    assert '<bpmn:process id="complaint"' in client.get(f"/cases/{d.number}/diagram.json").json["xml"]
    # the supervisor finds the review in the inbox, with the unit's reason on the form
    signed_in(client, "supervisor")
    assert "申诉审核" in page(client, "/inbox")
    task = d.task("supervisor", "review_appeal")
    assert "诉求超出本单位职责" in page(client, f"/tasks/{task}")
    assert "诉求超出本单位职责" in page(client, "/assessment/appeals")
    # a leader of the platform sees the ratings but may not appeal them
    signed_in(client, "leader")
    assert 'name="rating_id"' not in page(client, f"/cases/{d.number}")


def test_frozen_rankings_and_the_assessment_lists_have_their_pages(client, city, monkeypatch):
    d = Desk(client, tokens=_TOKENS)
    d.village_fails_twice(city["units"])
    first, last = assessment_month(today())
    signed_in(client, "admin")
    refused = post_form(client, "/assessment/rankings", {"day": today().isoformat()},
                        page="/assessment/rankings")
    assert refused.status_code == 422 and "has not ended yet" in refused.get_data(as_text=True)
    monkeypatch.setattr(snapshots, "today", lambda: last + timedelta(days=1))
    frozen = post_form(client, "/assessment/rankings", {"day": first.isoformat()},
                       page="/assessment/rankings")
    assert frozen.status_code == 302
    html = page(client, frozen.location)
    assert "V-XINGLONG" in html and "默认方案" in html and first.isoformat() in html
    assert first.isoformat() in page(client, "/assessment/rankings")
    records = page(client, "/assessment/records")
    assert d.number in records and "履职不到位" in records
    assert "no territory nowhere" in page(client, "/assessment/records?territory=nowhere")
    assert db.session.scalars(select(RatingAppeal)).all() == []
