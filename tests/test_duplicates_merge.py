"""重复件 (issue 14): triage and dispatch show a case's likely duplicates, and the registrar or the
dispatcher merges a duplicate into the open main case. The duplicate closes as merged, its
requester is told and later receives the main case's answer (SMS and /track), and statistics count
the pair once. Bad merges are refused by field and change nothing.

Driven over HTTP: the API as the city's staff (tests/complaint_city.py) and the web pages with a
signed-in browser session (CSRF on)."""
import re

import pytest
from sqlalchemy import select

from app.cases.models import Case
from app.citizen.service import tracking_token
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.organisation.models import Territory
from app.statistics import rollup
from tests import factories as f
from tests.complaint_city import Desk, build_city
from tests.web_helpers import post_form, signed_in

PHONE = "13812345678"
OTHER_PHONE = "13998765432"


@pytest.fixture
def city(app):
    return build_city()


def two_calls(client, main_phone: str = PHONE, **requesters) -> tuple[Desk, Desk]:
    """The same street lamp reported twice: the main case, then the duplicate (by the same caller
    unless `main_phone` says otherwise)."""
    main, duplicate = Desk(client), Desk(client)
    duplicate.tokens = main.tokens
    main.register(title="兴隆村路灯不亮", description="兴隆村村口路灯三天不亮", requester_phone=main_phone,
                  requester_name=requesters.get("main_name"))
    duplicate.register(title="村口路灯坏了", description="兴隆村村口的路灯一直不亮", requester_phone=PHONE,
                       requester_name=requesters.get("duplicate_name"))
    return main, duplicate


def merge(desk: Desk, into: str, user: str = "registrar", expected: int = 200, **body):
    return desk.call("POST", f"/api/v1/cases/{desk.number}/merge", user, expected,
                     json={"into": into, **body})


def sms_to(number: str) -> list[OutboxMessage]:
    case_id = db.session.scalar(select(Case.id).where(Case.number == number))
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case_id,
                                                               OutboxMessage.channel == "sms")
                                   .order_by(OutboxMessage.id)))


def state(desk: Desk) -> tuple:
    """What a refused merge must leave as it was."""
    case = desk.case()
    return case["status"], case["outcome"], case["merges"], desk.holders(), desk.events()


def task_page(client, desk: Desk, user: str, element: str) -> str:
    signed_in(client, user)
    response = client.get(f"/tasks/{desk.task(user, element)}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def duplicates_section(page: str) -> str:
    found = re.search(r'<section aria-labelledby="duplicates-heading".*?</section>', page, re.S)
    return found.group(0) if found else ""


def test_triage_and_dispatch_show_the_likely_duplicates_with_the_merge_form(client, city):
    main, duplicate = two_calls(client)

    triage = duplicates_section(task_page(client, duplicate, "registrar", "triage"))
    assert f">{main.number}</a>" in triage and "同一号码" in triage and "合并到此件" in triage
    assert f'name="into" value="{main.number}"' in triage
    assert f'action="/cases/{duplicate.number}/merge"' in triage
    assert f">{duplicate.number}<" not in triage  # never itself

    duplicate.do("registrar", "triage", action="accept")
    dispatch = duplicates_section(task_page(client, duplicate, "dispatcher", "dispatch"))
    assert f'name="into" value="{main.number}"' in dispatch

    duplicate.do("dispatcher", "dispatch", action="assign", unit_id=city["units"]["village"].id,
                 level="village", complexity="simple")
    first_contact = task_page(client, duplicate, "handler_village", "first_contact")
    assert duplicates_section(first_contact) == ""  # its BPMN element does not show duplicates


def test_a_case_with_nothing_alike_shows_no_candidates(client, city):
    lone = Desk(client)
    lone.register(title="噪音扰民", description="夜间施工噪音", requester_phone=OTHER_PHONE,
                  territory_code="210921001")
    section = duplicates_section(task_page(client, lone, "registrar", "triage"))
    assert 'name="into"' not in section and "没有" in section


def test_merging_closes_the_duplicate_as_merged_and_the_main_case_stays_open(client, city):
    main, duplicate = two_calls(client)
    main.do("registrar", "triage", action="accept")
    main_before = main.holders()

    merged = merge(duplicate, main.number, note="同一路灯 same lamp")

    assert merged == {"number": duplicate.number, "merged_into": main.number, "status": "closed",
                      "outcome": "merged"}
    closed = duplicate.case()
    assert (closed["status"], closed["outcome"], closed["light"]) == ("closed", "merged", None)
    assert closed["merges"] == {"into": main.number, "merged": []}
    assert duplicate.holders() == []  # its triage task was cancelled
    assert duplicate.events()[-3:] == ["merged_into", "process_completed", "case_closed"]
    assert main.case()["status"] == "open" and main.holders() == main_before
    assert main.case()["merges"] == {"into": None, "merged": [duplicate.number]}
    assert main.events()[-1] == "merged_from"


def test_the_duplicates_requester_is_told_it_is_merged(client, city):
    main, duplicate = two_calls(client)
    merge(duplicate, main.number)
    [sms] = sms_to(duplicate.number)
    assert (sms.address, sms.kind) == (PHONE, "merged")
    assert f"您的诉求 {duplicate.number} 已与 {main.number} 合并办理" in sms.body


def test_the_dispatcher_may_merge_and_a_handler_may_not(client, city):
    main, duplicate = two_calls(client)
    duplicate.do("registrar", "triage", action="accept")
    merge(duplicate, main.number, user="handler_village", expected=403)
    merge(duplicate, main.number, user="dispatcher")
    assert duplicate.case()["outcome"] == "merged"


def test_bad_merges_are_refused_by_field_and_change_nothing(client, city):
    main, duplicate = two_calls(client)
    third = Desk(client, tokens=main.tokens)
    third.register(title="路灯又坏了", requester_phone=PHONE)
    merge(third, main.number)  # third is merged (so closed) from now on
    before = state(duplicate), state(main)

    assert merge(duplicate, duplicate.number, expected=422)["errors"] == {
        "into": ["A case cannot be merged into itself."]}
    assert merge(duplicate, third.number, expected=422)["errors"] == {"into": [
        f"Case {third.number} was itself merged into {main.number}; merge into {main.number} instead."]}
    assert merge(duplicate, "HY20000101-000001", expected=422)["errors"] == {
        "into": ["There is no case HY20000101-000001 within your jurisdiction."]}
    assert merge(duplicate, main.number, note="长" * 501, expected=422)["errors"] == {
        "note": ["At most 500 characters."]}
    assert set(merge(duplicate, "", expected=422)["errors"]) == {"into"}
    assert "into" in duplicate.call("POST", f"/api/v1/cases/{duplicate.number}/merge", "registrar", 422,
                                    json={"note": "x"})["errors"]
    assert merge(third, main.number, expected=422)["errors"] == {
        "case": [f"Case {third.number} is closed already; only an open case can be merged."]}

    assert (state(duplicate), state(main)) == before
    assert [m.kind for m in sms_to(duplicate.number)] == []


def test_a_merge_into_a_closed_case_is_refused(client, city):
    main, duplicate = two_calls(client)
    main.accept_and_dispatch("village", city["units"], "village")
    main.village_answers()
    main.rate("satisfied", "resolved")
    assert main.case()["status"] == "closed"
    before = state(duplicate)
    assert merge(duplicate, main.number, expected=422)["errors"] == {
        "into": [f"Case {main.number} is closed; merge into an open case."]}
    assert state(duplicate) == before


def test_a_case_outside_the_jurisdiction_is_not_found_and_not_merged(client, city):
    main, duplicate = two_calls(client)
    the_city = db.session.scalar(select(Territory).where(Territory.code == "210900"))
    elsewhere = f.territory("210922", "county", the_city, name="彰武县")
    f.user("far_registrar", (f.unit("K-ZHANGWU", "county", territory=elsewhere), "registrar"))
    before = state(duplicate), state(main)
    merge(duplicate, main.number, user="far_registrar", expected=404)
    assert (state(duplicate), state(main)) == before


def test_merging_a_main_case_takes_its_own_duplicates_along(client, city):
    main, duplicate = two_calls(client)
    third = Desk(client, tokens=main.tokens)
    third.register(title="路灯又坏了", requester_phone=PHONE)
    merge(third, duplicate.number)
    merge(duplicate, main.number)
    assert third.case()["merges"]["into"] == main.number
    assert main.case()["merges"]["merged"] == [duplicate.number, third.number]


def test_when_the_main_case_is_answered_the_merged_requester_is_told_and_tracks_the_answer(client, city):
    main, duplicate = two_calls(client, OTHER_PHONE, main_name="李四", duplicate_name="张三")
    main.accept_and_dispatch("village", city["units"], "village")
    merge(duplicate, main.number)

    track = client.get(f"/track/{tracking_token(duplicate.number)}").get_data(as_text=True)
    assert f"已合并至 {main.number}" in track and "答复发布后将在此显示" in track

    main.village_answers()  # the platform releases the village's reply

    told = sms_to(duplicate.number)[-1]
    assert (told.address, told.kind) == (PHONE, "reply")
    assert f"您的诉求 {duplicate.number}" in told.body and main.number in told.body
    track = client.get(f"/track/{tracking_token(duplicate.number)}").get_data(as_text=True)
    assert f"已合并至 {main.number}" in track
    assert "已更换灯泡，恢复照明" in track and "13900001111" in track
    for personal in (OTHER_PHONE, "李四", "139****5432"):  # the main case's requester: never
        assert personal not in track
    assert "merged_answer" in duplicate.events()


def test_statistics_count_a_merged_pair_once(client, city, monkeypatch):
    main, duplicate = two_calls(client)

    def summary() -> dict:
        """The summary as PostgreSQL reads it from the rollup its triggers keep, and from the facts."""
        answer = client.get("/api/v1/statistics/summary", headers=main.headers("supervisor")).json
        with monkeypatch.context() as facts_only:
            facts_only.setattr(rollup, "usable", lambda: False)
            assert client.get("/api/v1/statistics/summary", headers=main.headers("supervisor")).json == answer
        return answer

    assert rollup.usable() == (db.engine.dialect.name == "postgresql")
    assert summary()["received"] == 2

    merge(duplicate, main.number)
    counts = summary()
    assert (counts["received"], counts["closed"], counts["open"]) == (1, 0, 1)

    main.accept_and_dispatch("village", city["units"], "village")
    main.village_answers()
    main.rate("satisfied", "resolved")
    counts = summary()
    assert (counts["received"], counts["accepted"], counts["dispatched"], counts["closed"]) == (1, 1, 1, 1)
    assert counts["completion_rate"] == 100.0


def test_the_case_page_offers_the_merge_and_a_refusal_is_shown_in_chinese(client, city):
    main, duplicate = two_calls(client)
    signed_in(client, "registrar")
    page = client.get(f"/cases/{duplicate.number}").get_data(as_text=True)
    assert 'id="merge-into"' in page

    refused = post_form(client, f"/cases/{duplicate.number}/merge", {"into": duplicate.number},
                        page=f"/cases/{duplicate.number}", follow_redirects=True)
    assert "未合并：案件不能合并到自身。" in refused.get_data(as_text=True)
    assert duplicate.case()["status"] == "open"

    done = post_form(client, f"/cases/{duplicate.number}/merge",
                     {"into": main.number.lower(), "note": "同一路灯"}, page=f"/cases/{duplicate.number}")
    assert done.status_code == 302 and done.location.endswith(f"/cases/{main.number}")
    page = client.get(f"/cases/{duplicate.number}").get_data(as_text=True)
    assert f'id="merged-into">已合并至 <a href="/cases/{main.number}">' in page
    assert 'id="merge-into"' not in page  # closed: no merge form


def test_restarting_a_merged_case_is_refused(client, city):
    main, duplicate = two_calls(client)
    merge(duplicate, main.number)
    duplicate.call("POST", f"/api/v1/cases/{duplicate.number}/restart", "supervisor", 409,
                   json={"reason": "抽查"})
