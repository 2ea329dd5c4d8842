"""The complaint process (workflows/complaint.bpmn), scenario by scenario over the HTTP API:
the path taken, who holds the case at each step, the timeline and how the case ends."""
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from app.casework.models import AccountabilityReferral, CaseReply, UnitAssessment
from app.engine.models import ProcessDefinition, ProcessInstance
from app.engine.timers import fire_due
from app.engine.transaction import transaction
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.timelimits.limits import update_limits
from tests import factories as f
from tests.complaint_city import Desk, build_city


@pytest.fixture
def city(app):
    return build_city()


@pytest.fixture
def desk(client, city):
    return Desk(client)


def test_R10_village_resolves_at_once(desk, city):
    units = city["units"]
    # given a street-lamp complaint registered in a village
    desk.register()
    assert desk.holders() == [("triage", "C-CITY", "registrar")]

    # when the registrar accepts it (a help request, not a complaint, she decides) and the
    # dispatcher confirms the catalogue's village committee
    desk.do("registrar", "triage", action="accept", request_type="help")
    assert desk.case()["request_type"] == "help"
    assert desk.holders() == [("dispatch", "C-CITY", "dispatcher")]
    desk.do("dispatcher", "dispatch", action="assign", unit_id=units["village"].id, level="village",
            complexity="simple")
    assert desk.holders() == [("first_contact", "V-XINGLONG", "handler")]
    desk.sign_for("handler_village")
    assert desk.holders() == [("handle", "V-XINGLONG", "handler")]
    desk.reply("handler_village")
    assert desk.holders() == [("unit_review", "V-XINGLONG", "unit_reviewer")]
    desk.do("reviewer_village", "unit_review", action="approve")
    assert desk.holders() == [("platform_review", "C-CITY", "platform_supervisor")]
    desk.do("supervisor", "platform_review", action="approve")
    assert desk.holders() == [("rating", "C-CITY", "platform_supervisor")]
    desk.rate("satisfied", "resolved")

    # then it is closed, resolved at village level, and nobody holds it any more
    case = desk.case()
    assert (case["status"], case["outcome"], case["resolved_level"]) == ("closed", "satisfied", "village")
    assert case["unit_code"] == "V-XINGLONG" and desk.holders() == []
    assert desk.path() == ["triage", "dispatch", "first_contact", "handle", "unit_review",
                           "platform_review", "rating"]
    assert desk.events() == ["case_created", "route_proposed", "assigned", "first_contact", "reply_drafted",
                             "reply_released", "rated", "process_completed", "case_closed"]


def test_R11_R13_all_handlers_of_the_unit_are_told_and_the_first_to_sign_owns_it(desk, city, app):
    f.user("handler_village_2", (city["units"]["village"], "handler"))
    desk.village_case(city["units"])
    told = set(db.session.scalars(select(OutboxMessage.user_id).where(OutboxMessage.kind == "assigned")))
    assert told == {f.user_id("handler_village"), f.user_id("handler_village_2")}
    task_id = desk.task("handler_village_2", "first_contact")
    assert desk.client.post(f"/api/v1/tasks/{task_id}/claim",
                            headers=desk.headers("handler_village_2")).status_code == 200
    # the other handler no longer has it in the inbox, and cannot complete it
    inbox = desk.client.get("/api/v1/tasks", headers=desk.headers("handler_village")).json
    assert [t for t in inbox if t["case_number"] == desk.number] == []
    late = desk.client.post(f"/api/v1/tasks/{task_id}/complete", headers=desk.headers("handler_village"),
                            json={"data": {"action": "accept", "contact_result": "reached"}})
    assert late.status_code in (403, 404)
    assert desk.holders() == [("first_contact", "V-XINGLONG", "handler")]


def test_R10_R11_escalation_climbs_village_township_county_city_and_records_the_resolving_level(desk, city):
    units = city["units"]
    # given a case the village committee holds
    desk.village_case(units)
    # when each level signs for it and escalates with a reason
    for level, next_code in (("village", "T-ZHANGWU"), ("township", "K-FUXIN-COUNTY"),
                             ("county", "D-CITY-HOUSING")):
        desk.sign_for(f"handler_{level}")
        desk.do(f"handler_{level}", "handle", action="escalate", escalate_reason=f"{level} 无权限解决")
        # then the next level's handlers hold it, and the case shows the new unit and level
        assert desk.holders() == [("first_contact", next_code, "handler")]
        assert desk.case()["unit_code"] == next_code
    # and at the city level there is nowhere higher to go
    desk.sign_for("handler_city")
    refused = desk.submit("handler_city", "handle", action="escalate", escalate_reason="没有更高一级了")
    assert refused.status_code == 422 and "action" in refused.json["errors"]
    assert desk.holders() == [("handle", "D-CITY-HOUSING", "handler")]
    desk.reply("handler_city")
    desk.approve_reply("reviewer_city")
    desk.rate("basically_satisfied", "basically_resolved")

    case = desk.case()
    assert (case["status"], case["outcome"], case["level"], case["resolved_level"]) == (
        "closed", "satisfied", "city", "city")
    escalations = [e["payload"] for e in case["timeline"] if e["kind"] == "escalated"]
    assert [(e["from_level"], e["to_level"]) for e in escalations] == [
        ("village", "township"), ("township", "county"), ("county", "city")]
    assert escalations[0]["reason"] == "village 无权限解决"


def test_R15_a_unit_returns_the_request_and_the_dispatcher_reroutes_it(desk, city):
    units = city["units"]
    desk.village_case(units)
    # when the village committee returns it as outside its duties
    desk.do("handler_village", "first_contact", claim=True, action="return",
            return_reason="属于县住建局职责 county housing bureau's duty")
    # then the dispatcher holds it again and re-routes it to the county
    assert desk.holders() == [("review_return", "C-CITY", "dispatcher")]
    desk.do("dispatcher", "review_return", action="reroute", unit_id=units["county"].id, level="county")
    assert desk.holders() == [("first_contact", "K-FUXIN-COUNTY", "handler")]
    assert desk.case()["unit_code"] == "K-FUXIN-COUNTY"
    desk.sign_for("handler_county")
    desk.reply("handler_county")
    desk.approve_reply("reviewer_county")
    desk.rate("satisfied", "resolved")
    case = desk.case()
    assert (case["outcome"], case["resolved_level"]) == ("satisfied", "county")
    assert desk.path()[:4] == ["triage", "dispatch", "first_contact", "review_return"]


def test_R15_an_overruled_unit_cannot_return_the_request_again(desk, city):
    units = city["units"]
    desk.village_case(units)
    desk.do("handler_village", "first_contact", claim=True, action="return", return_reason="不归我们管")
    # when the dispatcher overrules the return
    desk.do("dispatcher", "review_return", action="overrule", review_note="属地管理，村委会办理")
    # then the same unit holds it, and a second return is refused with a reason on `action`
    assert desk.holders() == [("first_contact", "V-XINGLONG", "handler")]
    again = desk.submit("handler_village", "first_contact", claim=True, action="return",
                        return_reason="还是不归我们管")
    assert again.status_code == 422 and again.json["errors"]["action"] == [
        "must be one of: accept (at this step)"]
    assert desk.holders() == [("first_contact", "V-XINGLONG", "handler")]
    desk.sign_for("handler_village")
    assert desk.holders() == [("handle", "V-XINGLONG", "handler")]


def test_R9_a_consultation_is_answered_at_intake_and_rated(desk, city):
    # given a consultation the registrar can answer at once
    desk.register(title="社保卡补办在哪里 Where to replace a social-security card",
                  request_type="consultation")
    desk.do("registrar", "triage", action="answer", answer="到市政务服务中心二楼社保窗口办理")
    # then it goes straight to rating, answered by the platform
    assert desk.holders() == [("rating", "C-CITY", "platform_supervisor")]
    desk.rate("satisfied", "resolved")
    case = desk.case()
    assert (case["status"], case["outcome"], case["resolved_level"]) == ("closed", "satisfied", "platform")
    assert desk.path() == ["triage", "rating"]
    assert desk.events() == ["case_created", "answered_at_intake", "rated", "process_completed",
                             "case_closed"]


def test_R7_an_out_of_scope_request_is_refused_with_its_reason_and_where_to_go(desk, city, app):
    desk.register(title="邻居打架 A fight next door")
    # when the registrar refuses it as an emergency
    missing = desk.submit("registrar", "triage", action="refuse", refusal_reason="emergency")
    assert missing.status_code == 422 and set(missing.json["errors"]) == {"redirect_to"}
    desk.do("registrar", "triage", action="refuse", refusal_reason="emergency", redirect_to="110 报警")
    # then it is closed as not accepted, with the reason on the timeline and an SMS to the requester
    case = desk.case()
    assert (case["status"], case["outcome"]) == ("closed", "not_accepted")
    [refusal] = [e["payload"] for e in case["timeline"] if e["kind"] == "not_accepted"]
    assert refusal == {"reason": "emergency", "redirect_to": "110 报警"}
    [sms] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "not_accepted"))
    assert "110 报警" in sms.body and sms.address == "13812345678"
    assert desk.holders() == []


def test_R12_enforcement_case_with_two_cooperating_units(desk, city):
    units = city["units"]
    # given an unlicensed-trading report: the catalogue proposes the market department
    desk.register(title="无证经营 Unlicensed stall", category_code="market", request_type="report")
    desk.do("registrar", "triage", action="accept")
    [proposal] = [e["payload"] for e in desk.case()["timeline"] if e["kind"] == "route_proposed"]
    assert (proposal["unit_id"], proposal["level"]) == (units["lead"].id, "county")
    # when the dispatcher confirms the lead unit with police and urban management cooperating
    desk.do("dispatcher", "dispatch", action="assign", unit_id=units["lead"].id, level="county",
            complexity="complex", cooperating_unit_ids=[units["police"].id, units["urban"].id])
    desk.sign_for("handler_lead")
    # then both cooperating units hold a part at the same time
    assert desk.holders() == [("cooperate", "P-POLICE", "handler"), ("cooperate", "U-URBAN", "handler")]
    desk.do("handler_police", "cooperate", part="已出警核查 police checked the site")
    assert desk.holders() == [("cooperate", "U-URBAN", "handler")]
    desk.do("handler_urban", "cooperate", part="已暂扣经营工具 stall equipment seized")
    # and once all parts are in, the lead unit replies
    assert desk.holders() == [("handle", "E-MARKET", "handler")]
    desk.reply("handler_lead")
    desk.approve_reply("reviewer_lead")
    desk.rate("satisfied", "resolved")
    case = desk.case()
    assert (case["outcome"], case["resolved_level"], case["unit_code"]) == ("satisfied", "county", "E-MARKET")
    assert desk.path().count("cooperate") == 2


def test_R24_a_reply_sent_back_by_the_unit_reviewer_is_revised_and_approved(desk, city, app):
    units = city["units"]
    desk.village_case(units)
    desk.sign_for("handler_village")
    desk.reply("handler_village")
    # when the unit reviewer sends it back with a note
    no_note = desk.submit("reviewer_village", "unit_review", action="send_back")
    assert no_note.status_code == 422 and "review_note" in no_note.json["errors"]
    desk.do("reviewer_village", "unit_review", action="send_back", review_note="缺少政策依据条款号")
    # then the handler holds it again (and is told why), revises, and the second reply passes both reviews
    assert desk.holders() == [("handle", "V-XINGLONG", "handler")]
    [told] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply_sent_back"))
    assert told.user_id == f.user_id("handler_village") and "缺少政策依据条款号" in told.body
    desk.reply("handler_village")
    desk.approve_reply("reviewer_village")
    assert desk.holders() == [("rating", "C-CITY", "platform_supervisor")]
    replies = db.session.execute(select(CaseReply.status, CaseReply.review_note).order_by(CaseReply.id)).all()
    assert [tuple(r) for r in replies] == [("sent_back", "缺少政策依据条款号"), ("released", None)]
    assert desk.path() == ["triage", "dispatch", "first_contact", "handle", "unit_review", "handle",
                           "unit_review", "platform_review"]


def test_R26_unsatisfied_goes_to_second_handling_and_then_closes_satisfied(desk, city):
    units = city["units"]
    desk.village_case(units)
    desk.village_answers()
    # when the requester is unsatisfied
    desk.rate("unsatisfied", "unresolved")
    # then the platform hands it back for second handling, to the same unit
    assert desk.holders() == [("second_handling", "C-CITY", "platform_supervisor")]
    desk.do("supervisor", "second_handling", action="same_unit", review_note="请上门核实")
    assert desk.holders() == [("first_contact", "V-XINGLONG", "handler")]
    desk.village_answers()
    desk.rate("satisfied", "resolved")
    case = desk.case()
    assert (case["status"], case["outcome"], case["satisfaction"]) == ("closed", "satisfied", "satisfied")
    assert [e for e in desk.events() if e in ("rated", "assigned")] == [
        "assigned", "rated", "assigned", "rated"]


def test_R26_second_unsatisfied_rating_triggers_assessment(desk, city, app):
    desk.village_fails_twice(city["units"])
    case = desk.case()
    assert (case["status"], case["outcome"]) == ("closed", "unsatisfied")
    [assessment] = db.session.scalars(select(UnitAssessment))
    assert (assessment.unit_id, assessment.result) == (city["units"]["village"].id, "not_completed")
    assert db.session.scalar(select(AccountabilityReferral.id)) is None  # the first failure only


def test_R26_second_consecutive_not_completed_assessment_refers_the_unit_for_accountability(
        client, city, app):
    units = city["units"]
    first, second = Desk(client), Desk(client)
    first.village_fails_twice(units)
    second.village_fails_twice(units)
    [referral] = db.session.scalars(select(AccountabilityReferral))
    assert referral.unit_id == units["village"].id
    assert [e["kind"] for e in second.case()["timeline"]].count("accountability_referral") == 1
    assert "accountability_referral" not in [e["kind"] for e in first.case()["timeline"]]
    # and the unit's leader and the platform's supervisors are told
    told = set(db.session.scalars(
        select(OutboxMessage.user_id).where(OutboxMessage.kind == "accountability")))
    assert told == {f.user_id("leader_village"), f.user_id("leader"), f.user_id("supervisor")}


def test_R25_no_rating_within_the_window_opens_a_revisit_and_unreachable_closes_not_rated(desk, city, app):
    with transaction():  # a rating window of three seconds
        update_limits([{"phase": "rating_window", "amount": 0.05, "unit": "minutes"}])
    units = city["units"]
    desk.village_case(units)
    desk.village_answers()
    assert desk.holders() == [("rating", "C-CITY", "platform_supervisor")]
    # when nobody rates before the window closes and the scheduler's timer poll runs
    time.sleep(3.2)
    assert fire_due("test-worker") >= 1
    # then the rating task is gone and the platform holds a revisit call
    assert desk.holders() == [("revisit", "C-CITY", "platform_supervisor")]
    desk.do("supervisor", "revisit", action="unreachable")
    case = desk.case()
    assert (case["status"], case["outcome"]) == ("closed", "not_rated")
    assert "timer_fired" in [e["kind"] for e in case["timeline"]]


def test_R27_a_spot_check_restarts_a_closed_case_for_second_handling(desk, city):
    units = city["units"]
    desk.village_case(units)
    desk.village_answers()
    desk.rate("satisfied", "resolved")
    assert desk.case()["status"] == "closed"
    # when the platform's spot-check finds the lamp still out and restarts handling
    restarted = desk.client.post(f"/api/v1/cases/{desk.number}/restart",
                                 json={"reason": "抽查回访：路灯仍不亮"}, headers=desk.headers("supervisor"))
    assert restarted.status_code == 200, restarted.json
    # then the case is open again and the village committee holds it for second handling
    assert (restarted.json["status"], restarted.json["outcome"]) == ("open", None)
    assert desk.holders() == [("first_contact", "V-XINGLONG", "handler")]
    desk.village_answers()
    desk.rate("unsatisfied", "unresolved")
    # and, being a second handling, a further failure goes to assessment
    assert desk.holders() == [("assess", "C-CITY", "platform_supervisor")]
    assert "restarted" in desk.events()
    # a case that is still open cannot be restarted, and only the platform may restart
    again = desk.client.post(f"/api/v1/cases/{desk.number}/restart", json={"reason": "again"},
                             headers=desk.headers("supervisor"))
    assert again.status_code == 409
    handler = desk.client.post(f"/api/v1/cases/{desk.number}/restart", json={"reason": "x"},
                               headers=desk.headers("handler_village"))
    assert handler.status_code == 403


def test_R16_the_dispatcher_sends_a_difficult_case_to_the_chief_handler_who_reassigns_it(desk, city):
    units = city["units"]
    desk.register(title="多年积案 A years-old dispute")
    desk.do("registrar", "triage", action="accept")
    # when the dispatcher sends it to the chief handler
    desk.do("dispatcher", "dispatch", action="chief", complexity="especially_complex")
    assert desk.holders() == [("chief_reassign", "C-CITY", "leader")]
    # then the chief's instruction (批示) and choice of unit decide who handles it
    desk.do("leader", "chief_reassign", unit_id=units["county"].id, level="county",
            instruction="县住建局牵头，十日内办结")
    assert desk.holders() == [("first_contact", "K-FUXIN-COUNTY", "handler")]
    case = desk.case()
    assert (case["unit_code"], case["level"]) == ("K-FUXIN-COUNTY", "county")


def test_R22_an_approved_extension_moves_the_deadline_and_tells_the_requester(desk, city, app):
    units = city["units"]
    desk.village_case(units)
    desk.sign_for("handler_village")
    [holder] = desk.case()["holders"]
    before = datetime.fromisoformat(holder["due_at"])
    # when the handler asks for three more working days and the platform approves
    desk.do("handler_village", "handle", action="extension", extension_days=3,
            extension_reason="需要现场勘查 site survey needed")
    assert desk.holders() == [("review_extension", "C-CITY", "platform_supervisor")]
    desk.do("supervisor", "review_extension", action="approve")
    # then the handler holds it again with a later deadline, on the timeline and told by SMS
    [holder] = desk.case()["holders"]
    after = datetime.fromisoformat(holder["due_at"])
    assert holder["element_id"] == "handle" and (after - before).days >= 3
    [extended] = [e["payload"] for e in desk.case()["timeline"] if e["kind"] == "deadline_extended"]
    assert extended["days"] == 3 and extended["note"] == "需要现场勘查 site survey needed"
    [sms] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "extension"))
    assert desk.number in sms.body and sms.address == "13812345678"
    # and a reply sent back later keeps the extended deadline (the unit's clock does not restart)
    desk.reply("handler_village")
    desk.do("reviewer_village", "unit_review", action="send_back", review_note="补充材料")
    [holder] = desk.case()["holders"]
    assert datetime.fromisoformat(holder["due_at"]) == after


def test_R22_an_extension_beyond_extension_max_can_only_be_rejected(desk, city):
    units = city["units"]
    desk.village_case(units)
    desk.sign_for("handler_village")
    [holder] = desk.case()["holders"]
    desk.do("handler_village", "handle", action="extension", extension_days=20, extension_reason="工程量很大")
    approve = desk.submit("supervisor", "review_extension", action="approve")
    assert approve.status_code == 422 and approve.json["errors"]["action"] == [
        "must be one of: reject (at this step)"]
    desk.do("supervisor", "review_extension", action="reject", review_note="超出最长延期")
    [after] = desk.case()["holders"]
    assert (after["element_id"], after["due_at"]) == ("handle", holder["due_at"])
    assert "deadline_extended" not in desk.events()


def test_bad_form_data_is_refused_per_field_and_changes_nothing(desk, city):
    units = city["units"]
    desk.register()
    desk.do("registrar", "triage", action="accept")
    before = desk.case()["timeline"]
    for data, field in (({"action": "assign", "unit_id": 999999, "level": "village", "complexity": "simple"},
                         "unit_id"),
                        ({"action": "assign", "unit_id": units["village"].id, "level": "galaxy",
                          "complexity": "simple"}, "level"),
                        ({"action": "assign", "unit_id": units["village"].id, "level": "village"},
                         "complexity"),
                        ({"action": "teleport", "complexity": "simple"}, "action"),
                        ({"action": "chief", "complexity": "simple", "colour": "red"}, "colour")):
        refused = desk.submit("dispatcher", "dispatch", **data)
        assert refused.status_code == 422, refused.json
        assert field in refused.json["errors"], (field, refused.json)
    assert desk.case()["timeline"] == before
    assert desk.holders() == [("dispatch", "C-CITY", "dispatcher")]


def test_an_edited_complaint_process_becomes_version_2_and_running_cases_finish_on_version_1(
        client, city, app):
    units = city["units"]
    old = Desk(client)
    old.village_case(units, title="老案件 started on version 1")
    # when a designer adds a second platform review step and deploys the edited file
    xml = (Path(__file__).parent.parent / "workflows" / "complaint.bpmn").read_text()
    edited = xml.replace('sourceRef="release" targetRef="rating"',
                         'sourceRef="release" targetRef="final_check"')
    edited = edited.replace("<bpmn:incoming>f_released</bpmn:incoming>",
                            "<bpmn:incoming>f_final</bpmn:incoming>")
    edited = edited.replace("</bpmn:process>", (
        '<bpmn:userTask id="final_check" name="终审 Final check" '
        'camunda:candidateGroups="platform_supervisor">'
        '<bpmn:incoming>f_released</bpmn:incoming><bpmn:outgoing>f_final</bpmn:outgoing></bpmn:userTask>'
        '<bpmn:sequenceFlow id="f_final" sourceRef="final_check" targetRef="rating" /></bpmn:process>'))
    assert edited.count("final_check") == 3
    [v2] = f.deploy("complaint.bpmn", edited.encode())
    assert v2.version == 2
    new = Desk(client)
    new.village_case(units, title="新案件 started on version 2")
    # then each case runs its own version to the end: only the new one has the extra step
    for desk in (old, new):
        desk.village_answers()
    assert old.holders() == [("rating", "C-CITY", "platform_supervisor")]
    assert new.holders() == [("final_check", None, "platform_supervisor")]
    new.do("supervisor", "final_check")
    for desk in (old, new):
        desk.rate("satisfied", "resolved")
        assert desk.case()["status"] == "closed"
    versions = dict(db.session.execute(select(ProcessInstance.case_id, ProcessDefinition.version)
                                       .join(ProcessDefinition)).all())
    assert sorted(versions.values()) == [1, 2]


@pytest.mark.parametrize("auto_escalate", [True, False])
def test_R21_overdue_handling_escalates_by_itself_only_when_the_table_says_so(desk, city, app, auto_escalate):
    with transaction():  # simple complaints get three seconds, with or without automatic escalation
        update_limits([{"phase": "handling", "request_type": "complaint", "complexity": "simple",
                        "amount": 0.05, "unit": "minutes", "auto_escalate": auto_escalate}])
    desk.village_case(city["units"])
    desk.sign_for("handler_village")
    # when the village lets the handling limit pass and the scheduler's timer poll runs
    time.sleep(3.2)
    assert fire_due("test-worker") >= 1  # one firing may catch up both, the reminder and the overdue
    events = desk.events()
    assert "reminder" in events and "overdue" in events
    if auto_escalate:
        # then the township holds it, escalated with the overdue as the reason
        assert desk.holders() == [("first_contact", "T-ZHANGWU", "handler")]
        [escalation] = [e["payload"] for e in desk.case()["timeline"] if e["kind"] == "escalated"]
        assert (escalation["from_level"], escalation["to_level"]) == ("village", "township")
        assert "超期" in escalation["reason"]
    else:
        # then the village still holds it, now on the supervision lists
        assert desk.holders() == [("handle", "V-XINGLONG", "handler")]
        assert "escalated" not in events


def test_R26_an_intake_answer_rated_unsatisfied_is_rerouted_to_a_unit_for_second_handling(desk, city):
    units = city["units"]
    desk.register(title="社保卡补办 Social-security card", request_type="consultation")
    desk.do("registrar", "triage", action="answer", answer="到市政务服务中心办理")
    desk.rate("unsatisfied", "unresolved")
    # when the platform hands it on: no unit has handled it, so "same unit" is not offered
    same = desk.submit("supervisor", "second_handling", action="same_unit")
    assert same.status_code == 422
    assert same.json["errors"]["action"] == ["must be one of: reroute (at this step)"]
    desk.do("supervisor", "second_handling", action="reroute", unit_id=units["township"].id, level="township")
    # then the township handles it as a second handling
    assert desk.holders() == [("first_contact", "T-ZHANGWU", "handler")]
    desk.sign_for("handler_township")
    desk.reply("handler_township")
    desk.approve_reply("reviewer_township")
    desk.rate("satisfied", "resolved")
    case = desk.case()
    assert (case["outcome"], case["resolved_level"], case["unit_code"]) == (
        "satisfied", "township", "T-ZHANGWU")
