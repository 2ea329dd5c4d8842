"""The functions workflows/complaint.bpmn calls (registered with the script engine).

Each reads the case's facts from the task data it runs in (`case_id`, `unit_id`, `level`, ...)
and hands the work to a casework service; what it returns becomes a process variable. Keep
them thin: the rules live in the services, the order of steps in the BPMN.
"""
from app.casework import assignment, outcomes, replies
from app.clock import utcnow
from app.engine.scripting import current_actor, current_task_data, register
from app.timelimits import extensions
from app.timelimits.process_functions import iso_utc


def _data() -> dict:
    return current_task_data.get() or {}


@register()
def platform_centre(territory_id: int | None) -> int | None:
    """The platform centre whose registrars, dispatchers and supervisors work the case."""
    return assignment.platform_centre_id(territory_id)


@register()
def propose_unit() -> tuple[int | None, str]:
    data = _data()
    return assignment.propose(data["case_id"], data.get("category_id"), data.get("territory_id"),
                              data.get("klass"), data.get("request_type"))


@register()
def assign_case(unit_id: int | None, level: str | None, via: str = "dispatch") -> str:
    """Hand the case to a unit (`via` dispatch or second_handling); returns the start of its
    handling clock (ISO, UTC)."""
    assignment.assign(_data()["case_id"], unit_id, level, via)
    return iso_utc(utcnow())


@register()
def current_user_id() -> int | None:
    """Who completed the task the process is running on from (None: a timer or the requester):
    the first contact's handler keeps the case (`handle`'s assignee)."""
    return current_actor.get()


@register()
def first_contact_made(contact_result: str | None = None) -> None:
    assignment.first_contact(_data()["case_id"], contact_result)


@register()
def return_recorded(reason: str | None = None) -> None:
    assignment.record_return(_data()["case_id"], reason)


@register()
def return_overruled() -> None:
    assignment.overrule_return(_data()["case_id"])


@register()
def escalate_case(reason: str) -> tuple[int | None, str, str]:
    """上报: returns the next level's (unit, level, start of its handling clock)."""
    data = _data()
    unit_id, level = assignment.escalate(data["case_id"], data, reason)
    return unit_id, level, iso_utc(utcnow())


@register()
def extension_allowed(days) -> bool:
    return extensions.allowed("handling", _data(), days)


@register()
def extend_handling(days: int, reason: str) -> str:
    """The approved new handling deadline (ISO, UTC), kept by the process as `handling_due`."""
    return iso_utc(extensions.apply("handling", _data(), days, reason))


@register()
def store_reply() -> int:
    """Move the reply fields out of the process data into a draft reply by the handler who
    completed the task; returns its id."""
    data = _data()
    fields = {name: data.pop(name, None) for name in replies.REPLY_FIELDS}
    return replies.store(data["case_id"], data.get("unit_id"), data.get("level"), fields,
                         current_actor.get())


@register()
def reply_author(reply_id: int) -> int | None:
    """Who wrote the reply: a review's notBy names them (four-eyes)."""
    return replies.author_of(reply_id)


@register()
def send_back_reply(reply_id: int, note: str | None = None) -> None:
    replies.send_back(_data()["case_id"], reply_id, note)


@register()
def release_reply(reply_id: int) -> None:
    replies.release(_data()["case_id"], reply_id)


@register()
def answer_at_once(answer: str) -> int:
    data = _data()
    data.pop("answer", None)
    return replies.answer_at_once(data["case_id"], answer)


@register()
def refuse_case(reason: str, redirect_to: str) -> None:
    outcomes.refuse(_data()["case_id"], reason, redirect_to)


@register()
def record_rating(satisfaction: str, resolution: str) -> bool:
    return outcomes.record_rating(_data()["case_id"], satisfaction, resolution)


@register()
def close_not_rated() -> None:
    outcomes.close_not_rated(_data()["case_id"])


@register()
def record_assessment(result: str, note: str) -> None:
    data = _data()
    outcomes.assess(data["case_id"], data["unit_id"], result, note, data.get("platform_unit_id"))
