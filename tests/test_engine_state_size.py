"""Issue 15: a step's cost must not grow with a case's history. The saved process state keeps only
the unfinished part of SpiffWorkflow's task tree (app/engine/pruning.py); these scenarios prove
it stays bounded round the complaint process's loops and that nobody can tell it was pruned."""
import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select

from app.cases.models import Case
from app.clock import utcnow
from app.engine import pruning, repository, serialization
from app.engine.models import CaseEvent, HumanTask, ProcessInstance, Timer
from app.engine.scripting import build_script_engine
from app.engine.timers import fire
from app.engine.transaction import transaction
from app.extensions import db
from app.timelimits.limits import update_limits
from tests.complaint_city import Desk, build_city
from tests.web_helpers import signed_in

BPMN_DIR = Path(__file__).parent / "bpmn"


@pytest.fixture
def city(app):
    return build_city()


def state_size(desk: Desk) -> int:
    """Bytes of the case's stored process state."""
    return len(db.session.scalar(select(ProcessInstance.state).join(Case, Case.id == ProcessInstance.case_id)
                                 .where(Case.number == desk.number)))


def send_back_and_revise(desk: Desk, reviewer: str, handler: str) -> None:
    desk.do(reviewer, "unit_review", action="send_back", review_note="请补充政策依据")
    desk.reply(handler)


def escalate_to_the_city(desk: Desk) -> None:
    """The village handler escalates the case; township and county sign for it and escalate it
    too; the city signs for it."""
    for level in ("village", "township", "county"):
        if level != "village":
            desk.sign_for(f"handler_{level}")
        desk.do(f"handler_{level}", "handle", action="escalate", escalate_reason=f"{level} 无权限解决")
    desk.sign_for("handler_city")


def test_issue15_state_stays_bounded_over_send_back_loops(client, city):
    desk = Desk(client)
    # given a village case whose first reply waits for the unit review
    desk.village_case(city["units"])
    desk.sign_for("handler_village")
    desk.reply("handler_village")
    first_reply = state_size(desk)
    send_back_and_revise(desk, "reviewer_village", "handler_village")
    after_one_loop = state_size(desk)

    # when the reviewer sends the reply back twenty times, then the case climbs to the city,
    # whose handler replies
    for _ in range(19):
        send_back_and_revise(desk, "reviewer_village", "handler_village")
    after_twenty_loops = state_size(desk)
    desk.do("reviewer_village", "unit_review", action="send_back", review_note="应上报")
    escalate_to_the_city(desk)
    desk.reply("handler_city")

    # then the state saved by that reply is the size of the village's first reply (without pruning
    # each loop added about 6 KB), and the case goes on as usual
    at_the_city = state_size(desk)
    assert after_twenty_loops <= after_one_loop * 1.05, (after_one_loop, after_twenty_loops)
    assert at_the_city <= first_reply * 1.2, (first_reply, at_the_city)
    assert desk.holders() == [("unit_review", "D-CITY-HOUSING", "unit_reviewer")]
    desk.approve_reply("reviewer_city")
    desk.rate("satisfied", "resolved")
    assert (desk.case()["status"], desk.case()["resolved_level"]) == ("closed", "city")
    assert desk.path().count("unit_review") == 22


def wait_for_the_deadlines(*desks: Desk) -> None:
    """Sleep until every timer of these cases due in the next seconds is due: the cases are
    registered one after the other, so a fixed sleep could find one case's timers not yet due."""
    soon = (select(func.max(Timer.due_at)).join(ProcessInstance).join(Case)
            .where(Case.number.in_([desk.number for desk in desks]), Timer.status == "waiting",
                   Timer.due_at <= utcnow() + timedelta(seconds=10)))
    last = db.session.scalar(soon)
    db.session.rollback()
    if last is not None:
        time.sleep(max(0.0, (last - utcnow()).total_seconds()) + 0.1)


def fire_due_timers(desk: Desk) -> None:
    """The scheduler's poll, for one case's due timers. Timers due at the same moment fire by
    element id, so that two cases whose mirrors were written in another order fire alike."""
    due = (select(Timer.id).join(ProcessInstance).join(Case)
           .where(Case.number == desk.number, Timer.status == "waiting", Timer.due_at <= utcnow())
           .order_by(Timer.element_id))
    for timer_id in db.session.scalars(due).all():
        fire(timer_id)


def _what_users_see(desk: Desk) -> dict:
    """The case as its users see it, without ids and clock times: the timeline, the tasks and the
    timers (each with its due time last), and the diagram's done and current steps."""
    case_id = db.session.scalar(select(Case.id).where(Case.number == desk.number))
    timeline = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
    events = [(e.kind, e.element_id, e.actor_id, _without_own_ids(e.payload, desk))
              for e in db.session.scalars(timeline)]
    tasks = [(t.element_id, t.status, t.candidate_unit_id, t.candidate_role, t.assignee_id,
              t.excluded_user_id, t.action, t.data, t.due_at)
             for t in db.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id)
                                         .order_by(HumanTask.created_at, HumanTask.element_id))]
    timers = sorted((t.element_id, t.status, t.fired_at is not None, t.due_at)
                    for t in db.session.scalars(select(Timer).join(ProcessInstance)
                                                .where(ProcessInstance.case_id == case_id)))
    diagram = desk.client.get(f"/cases/{desk.number}/diagram.json").json
    return {"timeline": events, "tasks": tasks, "timers": timers,
            "diagram": (diagram["current"], diagram["done"])}


def _without_own_ids(payload: dict | None, desk: Desk) -> dict | None:
    """A payload without what differs between two identical cases: the number and reply rows."""
    if payload is None:
        return None
    text = json.dumps({k: v for k, v in payload.items() if k != "reply_id"}, ensure_ascii=False)
    return json.loads(text.replace(desk.number, "<number>"))


def assert_users_see_the_same(seen: dict, other: dict) -> None:
    """Equal, but for due times, which may differ by the moments between the two cases' steps."""
    assert seen["timeline"] == other["timeline"]
    assert seen["diagram"] == other["diagram"]
    for key in ("tasks", "timers"):
        assert [row[:-1] for row in seen[key]] == [row[:-1] for row in other[key]], key
        for (*_, due), (*_, other_due) in zip(seen[key], other[key], strict=True):
            assert (due is None) == (other_due is None), key
            assert due is None or abs(due - other_due) < timedelta(minutes=1), key


def test_issue15_pruning_changes_nothing_a_user_sees(client, city, app):
    with transaction():  # the unit's two deadlines to sign for it pass a second after dispatch;
        # the handling limit has passed when the unit signs for it (its clock runs from dispatch)
        update_limits([{"phase": phase, "amount": 0.02, "unit": "minutes"}
                       for phase in ("first_contact", "sign_for")]
                      + [{"phase": "handling", "request_type": "complaint", "complexity": "simple",
                          "amount": 0.0001, "unit": "minutes", "auto_escalate": False}])
    pruned, whole = Desk(client), Desk(client)

    def both(step):
        """The same step on both cases, the second saved as before pruning."""
        step(pruned)
        with pruning.disabled():
            step(whole)

    # given two identical cases, one saved pruned and one whole, driven step by step together
    both(lambda d: d.village_case(city["units"]))
    wait_for_the_deadlines(pruned, whole)
    both(fire_due_timers)  # first_contact is left without a waiting boundary event
    both(lambda d: d.sign_for("handler_village"))
    both(lambda d: d.reply("handler_village"))
    for _ in range(3):
        both(lambda d: send_back_and_revise(d, "reviewer_village", "handler_village"))
    both(lambda d: d.do("reviewer_village", "unit_review", action="send_back", review_note="应上报"))
    both(lambda d: d.do("handler_village", "handle", action="escalate", escalate_reason="村委会无权限解决"))
    both(lambda d: d.sign_for("handler_township"))
    assert state_size(pruned) < state_size(whole) / 3
    signed_in(client, "supervisor")
    # when a user looks at them while they are open, and again once they are closed
    open_pruned, open_whole = _what_users_see(pruned), _what_users_see(whole)
    both(lambda d: d.reply("handler_township"))
    both(lambda d: d.approve_reply("reviewer_township"))
    both(lambda d: d.rate("unsatisfied", "unresolved"))
    both(lambda d: d.do("supervisor", "second_handling", action="same_unit", review_note="请上门核实"))
    both(lambda d: d.sign_for("handler_township"))
    both(lambda d: d.reply("handler_township"))
    both(lambda d: d.approve_reply("reviewer_township"))
    both(lambda d: d.rate("satisfied", "resolved"))

    # then they see the same timeline, tasks, timers and diagram in both
    assert_users_see_the_same(open_pruned, open_whole)
    fired = {e[:2] for e in open_pruned["timeline"]}
    assert {("timer_fired", "sign_for_overdue"), ("overdue", None)} <= fired
    assert open_pruned["diagram"][0] == ["handle"]
    assert_users_see_the_same(_what_users_see(pruned), _what_users_see(whole))
    assert pruned.case()["status"] == whole.case()["status"] == "closed"


def test_issue15_an_instance_saved_whole_before_pruning_loads_and_completes(client, city):
    desk = Desk(client)
    # given a case saved whole, as before pruning, through three send-backs
    with pruning.disabled():
        desk.village_case(city["units"])
        desk.sign_for("handler_village")
        desk.reply("handler_village")
        for _ in range(3):
            send_back_and_revise(desk, "reviewer_village", "handler_village")
    saved_whole = state_size(desk)

    # when its unit reviewer sends it back once more, with pruning
    desk.do("reviewer_village", "unit_review", action="send_back", review_note="再补充")

    # then the old state loaded and the new one is pruned, and the case runs to its end
    assert state_size(desk) < saved_whole / 2
    assert desk.holders() == [("handle", "V-XINGLONG", "handler")]
    desk.reply("handler_village")
    desk.approve_reply("reviewer_village")
    desk.rate("satisfied", "resolved")
    assert desk.case()["status"] == "closed"
    assert desk.path() == ["triage", "dispatch", "first_contact", *["handle", "unit_review"] * 5,
                           "platform_review", "rating"]


# Engine level: BPMN the complaint process does not have ----------------------------------------

_engine = build_script_engine()


def _ready(workflow) -> list[str]:
    return sorted(t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY, manual=True))


def _loop(bpmn: str, prune: bool, rounds: int = 4) -> tuple[list, list[int]]:
    """Run tests/bpmn/<bpmn> round its loop: complete `a` and `b` (in turn first), then `decide`,
    saving and loading the instance before every step. Returns the ready tasks after each step
    and the size of each saved state."""
    parsed = repository.parse((BPMN_DIR / bpmn).read_bytes(), bpmn)["looping"]
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=_engine)
    workflow.do_engine_steps()
    steps = []
    for round_ in range(rounds):
        branches = ["a", "b"] if round_ % 2 == 0 else ["b", "a"]
        steps += [(b, {}) for b in branches] + [("decide", {"more": round_ < rounds - 1})]
    seen, sizes = [], []
    previous = pruning.enabled
    pruning.enabled = prune
    try:
        for element, data in steps:
            state = serialization.dumps(workflow)
            sizes.append(len(state))
            workflow = serialization.loads(state, parsed, _engine)
            [task] = [t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                      if t.task_spec.bpmn_id == element]
            task.data.update(data)
            task.run()
            workflow.do_engine_steps()
            seen.append(_ready(workflow))
    finally:
        pruning.enabled = previous
    assert workflow.completed
    return seen, sizes


def test_issue15_a_parallel_gateway_merging_inside_a_loop_keeps_its_history():
    # given a loop through a parallel split and join: SpiffWorkflow finds the join's incoming flows
    # by climbing the tree to the process start, so such a process is saved whole
    pruned, whole = _loop("loop_parallel.bpmn", True), _loop("loop_parallel.bpmn", False)
    assert pruned[0] == whole[0]
    assert pruned[1][-1] > pruned[1][2] * 2  # it still grows


def test_issue15_a_parallel_section_in_a_subprocess_loops_in_bounded_state():
    # given the same loop with the parallel section inside a subprocess: each finished subprocess
    # is dropped with the task that called it
    bpmn = "loop_parallel_subprocess.bpmn"
    pruned, whole = _loop(bpmn, True), _loop(bpmn, False)
    assert pruned[0] == whole[0]
    assert max(pruned[1]) <= pruned[1][0] * 1.05
    assert whole[1][-1] > whole[1][0] * 2
