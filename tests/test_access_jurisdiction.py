"""Jurisdiction (R13, R16): who may read, list and act on which case; outside it, 404."""
import pytest
from sqlalchemy import select, update

from app.accounts.models import User
from app.cases import service
from app.cases.models import Case
from app.engine.models import HumanTask
from app.extensions import db
from app.organisation.models import Unit
from tests import factories as f


@pytest.fixture
def county_with_two_townships(app):
    return f.county_with_two_townships()


def numbers(response):
    return sorted(c["number"] for c in response.json)


def test_R13_a_township_handler_cannot_read_list_or_act_on_another_townships_case(
        client, county_with_two_townships):
    cases = county_with_two_townships
    headers = f.auth(client, "handler_a1")
    own, other = cases["210902001"], cases["210902002"]
    # reads: own case yes, the neighbour's is not found
    assert client.get(f"/api/v1/cases/{own.number}", headers=headers).status_code == 200
    refused = client.get(f"/api/v1/cases/{other.number}", headers=headers)
    assert refused.status_code == 404 and refused.json["code"] == "not_found"
    # lists: only the own case
    assert numbers(client.get("/api/v1/cases", headers=headers)) == [own.number]
    # acts: the neighbour's task and personal data are not found either
    task_id = db.session.scalar(select(HumanTask.id).where(HumanTask.case_id == other.id))
    assert client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}},
                       headers=headers).status_code == 404
    assert client.post(f"/api/v1/cases/{other.number}/personal-data", headers=headers).status_code == 404
    assert db.session.scalar(select(HumanTask.status).where(HumanTask.id == task_id)) == "open"


def test_R16_a_county_leader_sees_every_case_in_the_county_and_none_outside(
        client, county_with_two_townships):
    cases = county_with_two_townships
    headers = f.auth(client, "leader_a")
    in_county = sorted(cases[c].number for c in ("210902001", "210902002"))
    assert numbers(client.get("/api/v1/cases", headers=headers)) == in_county
    for code in ("210902001", "210902002"):
        assert client.get(f"/api/v1/cases/{cases[code].number}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/cases/{cases['210903001'].number}", headers=headers).status_code == 404


def test_the_city_centre_sees_all_cases(client, county_with_two_townships):
    cases = county_with_two_townships
    headers = f.auth(client, "registrar")
    assert numbers(client.get("/api/v1/cases", headers=headers)) == sorted(c.number for c in cases.values())


def test_a_handler_who_held_a_task_still_sees_the_case_after_it_moved_on(client, county_with_two_townships):
    # given the A1 handler completed the case's task (the case is closed and its unit unchanged)
    own = county_with_two_townships["210902001"]
    headers = f.auth(client, "handler_a1")
    task_id = db.session.scalar(select(HumanTask.id).where(HumanTask.case_id == own.id))
    assert client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"action": "reply"}},
                       headers=headers).status_code == 200
    # then the case stays readable to them
    assert client.get(f"/api/v1/cases/{own.number}", headers=headers).json["status"] == "closed"


def test_R13_a_unit_roles_pages_are_its_whole_jurisdiction_newest_first(app):
    # given handler_a1's jurisdiction through each of its three branches: cases of the A1 office,
    # a case of A2 that A1 once had a task of, a case of B1 whose task handler_a1 holds; and
    # cases of A2 and B1 they may not see
    cases = f.county_with_two_townships()
    registrar, office_a1 = f.user_id("registrar"), cases["210902001"].unit_id
    own = [cases["210902001"]] + [f.case(f"A1 case {n}", unit_row=db.session.get(Unit, office_a1),
                                         actor=db.session.get(User, registrar), territory_code="210902001")
                                  for n in range(4)]
    once_a1, held = cases["210902002"], cases["210903001"]
    unseen = [f.case(f"unseen {code}", unit_row=db.session.get(Unit, cases[code].unit_id),
                     actor=db.session.get(User, registrar), territory_code=code)
              for code in ("210902002", "210903001")]
    db.session.execute(update(HumanTask).where(HumanTask.case_id == once_a1.id)
                       .values(candidate_unit_id=office_a1))
    db.session.execute(update(HumanTask).where(HumanTask.case_id == held.id)
                       .values(assignee_id=f.user_id("handler_a1")))
    db.session.commit()
    handler = db.session.get(User, f.user_id("handler_a1"))
    visible = sorted((c.id for c in [*own, once_a1, held]), reverse=True)
    # when the case list is read two cases a page, with and without a filter
    pages = [service.list_visible(handler, limit=2, offset=offset) for offset in range(0, 10, 2)]
    newest_open = service.list_visible(handler, limit=3, offset=1, where=Case.__table__.c.status == "open")
    # then the pages are the jurisdiction newest first, nothing twice, nothing else
    assert [row.id for page in pages for row in page] == visible
    assert [row.id for row in newest_open] == visible[1:4]
    assert not {c.id for c in unseen} & {row.id for page in pages for row in page}
