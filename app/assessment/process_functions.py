"""The functions workflows/appeal.bpmn calls (registered with the script engine): the platform's
decision on an appeal, recorded by app/assessment/appeals.py. The reviewer is whoever completed
the review task (scripting.current_actor)."""
from app.assessment import appeals
from app.engine.scripting import current_actor, current_task_data, register


def _appeal_id() -> int:
    return (current_task_data.get() or {})["appeal_id"]


@register()
def accept_appeal(note: str | None = None) -> None:
    """Accepted: the rating no longer counts in the unit's rates."""
    appeals.decide(_appeal_id(), True, note, current_actor.get())


@register()
def reject_appeal(note: str | None = None) -> None:
    appeals.decide(_appeal_id(), False, note, current_actor.get())
