"""Real process states for the scale benchmark (bench/scale.py): a few requests of the demo city
driven through the complaint process with the app's own services, and what the database holds
for them at each step — the serialized SpiffWorkflow state, the case's timeline, the completed
tasks. The fill copies these texts to its generated requests, so that process_instance and
case_event hold what the engine would write, not placeholders.
"""
import json
from dataclasses import dataclass, field

from sqlalchemy import select, text

from app.accounts.models import User
from app.cases.models import Case
from app.cases.service import NewCase, create_case
from app.engine import tasks
from app.engine.models import CaseEvent, HumanTask, ProcessInstance
from app.extensions import db

#: The answers each step gets on the main path (tests/complaint_city.py's Desk does the same).
ANSWERS = {
    "triage": {"action": "accept"},
    "dispatch": {"action": "assign", "level": "village", "complexity": "simple"},
    "first_contact": {"action": "accept", "contact_result": "reached"},
    "handle": {"action": "reply", "policy_basis": "《城市道路照明设施管理规定》",
               "result": "已更换灯泡，恢复照明", "responsible_person": "王主任",
               "contact_phone": "13900001111"},
    "unit_review": {"action": "approve"},
    "platform_review": {"action": "approve"},
    "rating": {"satisfaction": "satisfied", "resolution": "resolved", "rating_channel": "phone"},
}
#: Other ends of a request: refused at triage, answered at intake (then rated).
OTHER_PATHS = {
    "refused": [("triage", {"action": "refuse", "refusal_reason": "emergency", "redirect_to": "110 报警"})],
    "intake": [("triage", {"action": "answer", "answer": "已告知办理流程和所需材料"}),
               ("rating", ANSWERS["rating"])],
}


@dataclass
class Step:
    """The database's rows for a request waiting at `element` (None: the process has ended)."""
    element: str | None
    state: str
    status: str
    task: dict | None  # the open task's name, role, form key and its unit's kind (UNIT_KINDS)
    events: list[tuple] = field(default_factory=list)  # (kind, element_id, payload json) in order
    completed: list[dict] = field(default_factory=list)  # completed human_task rows, in order


@dataclass
class Samples:
    definition_id: int
    open: dict[str, Step]  # element -> the main path waiting there
    closed: dict[str, Step]  # dispatched, refused, intake -> the ended process


def _kind(unit_id: int | None, units: dict[str, int]) -> str:
    """Which of the request's units a task was offered to: intake (the city's 12345 centre),
    platform (the county's centre, platform_centre), or unit (the unit it was dispatched to)."""
    return next((kind for kind, found in units.items() if found == unit_id), "unit")


def _snapshot(case_id: int, units: dict[str, int]) -> Step:
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case_id)
                                  .order_by(ProcessInstance.id.desc())).first()
    events = [(e.kind, e.element_id, None if e.payload is None else json.dumps(e.payload, ensure_ascii=False))
              for e in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                          .order_by(CaseEvent.id))]
    rows = list(db.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id)
                                   .order_by(HumanTask.created_at, HumanTask.id)))
    done = [{"element_id": t.element_id, "name": t.name, "candidate_role": t.candidate_role,
             "form_key": t.form_key, "action": t.action, "unit": _kind(t.candidate_unit_id, units),
             "data": None if t.data is None else json.dumps(t.data, ensure_ascii=False)}
            for t in rows if t.status != "open"]
    open_ = [t for t in rows if t.status == "open"]
    task = None
    if open_:
        t = open_[0]
        task = {"element_id": t.element_id, "name": t.name, "candidate_role": t.candidate_role,
                "form_key": t.form_key, "unit": _kind(t.candidate_unit_id, units)}
    return Step(task and task["element_id"], instance.state, instance.status, task, events, done)


def _complete(case_id: int, element: str, answer: dict, unit_id: int) -> None:
    task = db.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id,
                                                      HumanTask.status == "open")).one()
    assert task.element_id == element, f"waiting at {task.element_id}, not {element}"
    user = next(iter(tasks.candidates(task)))
    data = {**answer, "unit_id": unit_id} if element == "dispatch" else answer
    tasks.complete(user, task.id, data)
    db.session.remove()


def _register(registrar: User, territory_code: str, category_code: str) -> int:
    created, _ = create_case(NewCase(title="路灯不亮（样本）", description="小区门口路灯坏了一个月",
                                     address="1号楼", territory_code=territory_code,
                                     category_code=category_code, requester_name="王先生",
                                     requester_phone="13812345678", request_type="complaint",
                                     channel="hotline"), registrar)
    db.session.remove()
    return created.id


def collect(territory_code: str, category_code: str, village_unit: int, units: dict[str, int]) -> Samples:
    """Drive three requests through the process and keep each step's rows; then empty every table
    that holds requests (the fill starts from case id 1)."""
    registrar = db.session.scalar(select(User).where(User.username == "registrar"))
    opened: dict[str, Step] = {}
    case_id = _register(registrar, territory_code, category_code)
    for element, answer in ANSWERS.items():
        step = _snapshot(case_id, units)
        assert step.element == element, f"the process waits at {step.element}, not {element}"
        opened[element] = step
        _complete(case_id, element, answer, village_unit)
    closed = {"dispatched": _snapshot(case_id, units)}
    for path, answers in OTHER_PATHS.items():
        case_id = _register(registrar, territory_code, category_code)
        for element, answer in answers:
            _complete(case_id, element, answer, village_unit)
        closed[path] = _snapshot(case_id, units)
    for step in closed.values():
        assert step.status == "completed", step.status
    definition_id = db.session.scalar(select(ProcessInstance.definition_id).limit(1))
    db.session.remove()  # its read would hold a lock the TRUNCATE waits for
    with db.engine.begin() as conn:
        conn.execute(text("TRUNCATE case_record, outbox_message, notification RESTART IDENTITY CASCADE"))
    assert not db.session.scalar(select(Case.id).limit(1))
    return Samples(definition_id, opened, closed)
