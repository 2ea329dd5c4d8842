"""Human tasks: my inbox, one task, sign for it (claim), give it back (unclaim), hand it over to a
colleague, complete it. Completing a task nobody signed for signs for it in the same transaction
(docs/process.md, "Signing for tasks"); the user a task's notBy names gets 403 on claim and
complete.

Each open task carries its light (R20): "blue", "yellow" or "red" by `lights.light(created_at,
due_at, now)`; tasks that are no longer open have none (null). `now` and the yellow share are
read once per request, so a list is judged against one instant.
"""
from marshmallow import Schema, fields, validate

from app.api.blueprint import Blueprint
from app.api.fields import PageArgs, UtcDateTime, request_light
from app.api.security import current_user, permission_required
from app.engine import tasks
from app.guards import MAX_ID

blp = Blueprint("tasks", __name__, description="Human tasks")


def _light(task) -> str | None:
    """The light of a task row (or dict): None unless the task is open."""
    def get(name):
        return task.get(name) if isinstance(task, dict) else getattr(task, name, None)

    return request_light(get("created_at"), get("due_at")) if get("status") == "open" else None


class TaskSchema(Schema):
    id = fields.String()
    case_number = fields.String()
    case_id = fields.Integer()
    element_id = fields.String()
    name = fields.String()
    status = fields.String()
    candidate_unit_id = fields.Integer(allow_none=True)
    candidate_role = fields.String(allow_none=True)
    assignee_id = fields.Integer(allow_none=True)
    excluded_user_id = fields.Integer(allow_none=True, metadata={
        "description": "who may not sign for or complete it (notBy, four-eyes: the reply's author)"})
    form_key = fields.String(allow_none=True)
    created_at = UtcDateTime()
    due_at = UtcDateTime(allow_none=True)
    completed_at = UtcDateTime(allow_none=True)
    action = fields.String(allow_none=True)
    light = fields.Function(_light, allow_none=True, metadata={
        "description": "blue, yellow or red for an open task (blue without a deadline); null otherwise"})


class CompleteSchema(Schema):
    data = fields.Dict(keys=fields.String(), load_default=dict)


class HandOverSchema(Schema):
    to_user_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID),
                                metadata={"description": "a colleague offered the same task (/colleagues)"})


class ColleagueSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()


@blp.route("")
@permission_required("task:work")
@blp.arguments(PageArgs, location="query")
@blp.response(200, TaskSchema(many=True))
def inbox(args):
    return tasks.inbox(current_user(), args["limit"], args["offset"])


@blp.route("/<string:task_id>")
@permission_required("task:work")
@blp.response(200, TaskSchema)
def read(task_id):
    return tasks.get_visible(current_user(), task_id)


@blp.route("/<string:task_id>/claim", methods=["POST"])
@permission_required("task:work")
@blp.response(200, TaskSchema)
def claim(task_id):
    return tasks.claim(current_user(), task_id)


@blp.route("/<string:task_id>/complete", methods=["POST"])
@permission_required("task:work")
@blp.arguments(CompleteSchema)
@blp.response(200, TaskSchema)
def complete(payload, task_id):
    return tasks.complete(current_user(), task_id, payload["data"])


@blp.route("/<string:task_id>/unclaim", methods=["POST"])
@permission_required("task:work")
@blp.response(200, TaskSchema)
def unclaim(task_id):
    """取消签收: the assignee gives the task back to all its candidates."""
    return tasks.unclaim(current_user(), task_id)


@blp.route("/<string:task_id>/colleagues")
@permission_required("task:work")
@blp.response(200, ColleagueSchema(many=True))
def colleagues(task_id):
    """Whom the task may be handed over to: the other users offered it (same unit and role)."""
    return tasks.colleagues(current_user(), task_id)


@blp.route("/<string:task_id>/hand-over", methods=["POST"])
@permission_required("task:work")
@blp.arguments(HandOverSchema)
@blp.response(200, TaskSchema)
def hand_over(payload, task_id):
    """转交: the assignee passes the task to a colleague offered the same task; anyone else is
    refused with 422 on `to_user_id`."""
    task, _ = tasks.hand_over(current_user(), task_id, payload["to_user_id"])
    return task
