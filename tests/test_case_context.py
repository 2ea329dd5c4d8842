"""Task pages and the case page show what the step needs (issue 14): the reply under review (R24),
what earlier steps wrote (newest first), unit and territory names rather than codes, the round
and restart badges, the requester's phone on the calling step (R14) and, after completing a
task, where the case went. Over HTTP with the test client; the browser scenarios are in
tests/test_browser_task_context.py."""
import re

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.privacy.models import PersonalDataAccess
from tests.complaint_city import UNIT_NAMES, Desk, named_city
from tests.web_helpers import csrf_token, post_form, signed_in

REPLY = ("已更换灯泡，恢复照明", "《城市道路照明设施管理规定》", "王主任", "13900001111")
NAMES = UNIT_NAMES


@pytest.fixture
def city(app):
    return named_city()


@pytest.fixture
def desk(client, city):
    return Desk(client)


def task_page(desk, user: str, element: str) -> str:
    signed_in(desk.client, user)
    response = desk.client.get(f"/tasks/{desk.task(user, element)}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def case_page(desk, user: str) -> str:
    signed_in(desk.client, user)
    response = desk.client.get(f"/cases/{desk.number}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(page: str, element_id: str) -> str:
    """The HTML of the element with this id up to its closing tag (sections do not nest here)."""
    found = re.search(rf'<(\w+)[^>]*id="{element_id}".*?</\1>', page, re.S)
    assert found, f"no #{element_id} on the page"
    return found.group(0)


def test_R24_the_reviewers_see_the_reply_under_review_and_the_case_page_the_released_one(desk, city):
    # given the village committee replied to a case
    desk.village_case(city["units"])
    desk.sign_for("handler_village")
    desk.reply("handler_village")
    # when the unit's reviewer opens the unit review
    reply = section(task_page(desk, "reviewer_village", "unit_review"), "reply-under-review")
    # then the whole reply is there: result, policy basis, responsible person, contact phone, unit
    for text in (*REPLY, NAMES["village"]):
        assert text in reply
    # and so it is for the platform's review once the unit approved it
    desk.do("reviewer_village", "unit_review", action="approve")
    platform = task_page(desk, "supervisor", "platform_review")
    assert "已更换灯泡，恢复照明" in section(platform, "reply-under-review")
    # and once released the case page shows it as the released reply
    desk.do("supervisor", "platform_review", action="approve")
    page = case_page(desk, "supervisor")
    assert "已更换灯泡，恢复照明" in section(page, "reply-released") and 'id="reply-under-review"' not in page


def test_R24_a_sent_back_reply_shows_with_the_reviewers_note(desk, city):
    desk.village_case(city["units"])
    desk.sign_for("handler_village")
    desk.reply("handler_village")
    desk.do("reviewer_village", "unit_review", action="send_back", review_note="请补充整改照片")
    page = task_page(desk, "handler_village", "handle")
    sent_back = section(page, "replies-sent-back")
    assert "已更换灯泡，恢复照明" in sent_back and "请补充整改照片" in sent_back


def test_every_earlier_note_is_on_the_task_page_newest_first(desk, city):
    # given a dispatcher's note, a first-contact record and an escalation reason
    units = city["units"]
    desk.register()
    desk.do("registrar", "triage", action="accept")
    desk.do("dispatcher", "dispatch", action="assign", unit_id=units["village"].id, level="village",
            complexity="simple", note="请当天联系诉求人")
    desk.do("handler_village", "first_contact", claim=True, action="accept", contact_result="reached",
            contact_note="已电话联系，约定明早查看")
    desk.do("handler_village", "handle", action="escalate", escalate_reason="村级无权限，需镇里协调")
    # when the township opens its first-contact task
    notes = section(task_page(desk, "handler_township", "first_contact"), "earlier-notes")
    # then each note is there with who wrote it, newest first
    written = ("村级无权限，需镇里协调", "已电话联系，约定明早查看", "请当天联系诉求人")  # newest first
    order = [notes.index(text) for text in written]
    assert order == sorted(order)
    assert "Handler_Village" in notes and "Dispatcher" in notes and NAMES["village"] in notes
    # and the escalation reason the handler wrote is not repeated from the timeline
    assert notes.count("村级无权限，需镇里协调") == 1


def test_the_citizens_rating_comment_reaches_the_second_handling_page(desk, city):
    # given the requester rated the released answer unsatisfied, with a comment, on the public page
    desk.village_case(city["units"])
    desk.village_answers()
    desk.rate_online("unsatisfied", "unresolved", "灯还是时亮时不亮")
    # when the supervisor opens second handling, the comment is among the earlier notes
    notes = section(task_page(desk, "supervisor", "second_handling"), "earlier-notes")
    assert "灯还是时亮时不亮" in notes
    # and the case page shows it too
    assert "灯还是时亮时不亮" in section(case_page(desk, "supervisor"), "earlier-notes")


def test_units_and_territories_are_named_not_coded(desk, city):
    desk.village_case(city["units"])
    page = task_page(desk, "handler_village", "first_contact")
    assert NAMES["village"] in section(page, "case-unit") and "V-XINGLONG" not in page
    assert "兴隆村" in section(page, "case-territory") and "210921001001" not in page
    case = case_page(desk, "supervisor")
    assert NAMES["village"] in section(case, "case-unit") and "兴隆村" in section(case, "case-territory")
    facts = re.search(r'<dl class="facts">.*?</dl>', case, re.S).group(0)  # status, holders, unit, place
    for code in ("V-XINGLONG", "C-CITY", "210921001001"):
        assert code not in facts, code


def test_R26_round_two_is_marked_on_the_task_the_case_and_the_inbox(desk, city):
    # given the requester rejected the first answer and the platform handed the case back
    desk.village_case(city["units"])
    assert "badge-round" not in task_page(desk, "handler_village", "first_contact")
    desk.village_answers()
    desk.rate("unsatisfied", "unresolved")
    desk.do("supervisor", "second_handling", action="same_unit")
    # then the village's new task, its inbox row and the case page say it is the second handling
    assert "badge-round" in task_page(desk, "handler_village", "first_contact")
    inbox = desk.client.get("/inbox").get_data(as_text=True)
    row = re.search(rf'<tr id="task-[^"]+">(?:(?!</tr>).)*{desk.number}.*?</tr>', inbox, re.S).group(0)
    assert "badge-round" in row
    assert "badge-round" in case_page(desk, "supervisor")


def test_R27_a_restarted_case_is_marked_and_shows_the_spot_checks_reason(desk, city):
    desk.village_case(city["units"])
    desk.village_answers()
    desk.rate("satisfied", "resolved")
    desk.call("POST", f"/api/v1/cases/{desk.number}/restart", "supervisor",
              json={"reason": "抽查回访：路灯仍不亮"})
    page = task_page(desk, "handler_village", "first_contact")
    assert "badge-restart" in page and "抽查回访：路灯仍不亮" in section(page, "earlier-notes")


def test_after_dispatch_the_dispatcher_is_told_where_the_case_went(desk, city, client):
    desk.register()
    desk.do("registrar", "triage", action="accept")
    task = desk.task("dispatcher", "dispatch")
    signed_in(client, "dispatcher")
    token = csrf_token(client, f"/tasks/{task}")
    answer = {"action": "assign", "unit_id": city["units"]["village"].id, "level": "village",
              "complexity": "simple"}
    done = client.post(f"/tasks/{task}/complete", headers={"X-CSRFToken": token}, json={"data": answer})
    assert done.status_code == 200
    assert NAMES["village"] in done.json["message"]
    # and the next page says it once
    assert NAMES["village"] in client.get(done.json["next"]).get_data(as_text=True)


def test_R14_the_calling_step_shows_the_requesters_phone_masked_and_reveals_it_audited(desk, city, client):
    desk.village_case(city["units"], requester_name="李女士")
    task = desk.task("handler_village", "first_contact")
    signed_in(client, "handler_village")
    page = client.get(f"/tasks/{task}").get_data(as_text=True)
    contact = section(page, "personal-data")
    # given the task is not signed for yet: name and masked phone, no reveal
    assert "李女士" in contact and "138****5678" in contact and "13812345678" not in page
    assert 'id="reveal-button"' not in contact
    # when the handler signs for it, the reveal is one click away and is audited
    post_form(client, f"/tasks/{task}/claim", page=f"/tasks/{task}")
    assert 'id="reveal-button"' in client.get(f"/tasks/{task}").get_data(as_text=True)
    revealed = post_form(client, f"/cases/{desk.number}/personal-data", page=f"/tasks/{task}",
                         headers={"HX-Request": "true"})
    assert revealed.status_code == 200 and "13812345678" in revealed.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PersonalDataAccess)) == 1
    # and a step whose BPMN does not say so shows no requester box
    desk.do("handler_village", "first_contact", action="accept", contact_result="reached")
    handle = client.get(f"/tasks/{desk.task('handler_village', 'handle')}").get_data(as_text=True)
    assert 'id="personal-data"' not in handle


def test_issue15_the_case_page_reads_each_process_version_once_and_no_saved_state(desk, city):
    # given a case whose timeline names the actions of three steps of one instance
    desk.village_case(city["units"])
    desk.sign_for("handler_village")
    desk.reply("handler_village")
    signed_in(desk.client, "handler_village")
    statements = []
    listener = lambda conn, cursor, statement, *args: statements.append(" ".join(statement.split()))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        # when a handler opens the case page
        response = desk.client.get(f"/cases/{desk.number}")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    # then the instance's process version is asked for once, and its saved state (tens of KB of
    # JSON on a finished request) never
    versions = [s for s in statements if s.startswith("SELECT process_instance.definition_id FROM")]
    assert len(versions) == 1
    assert not [s for s in statements if "process_instance.state" in s]
