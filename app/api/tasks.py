"""Human tasks: my inbox, one task, sign for it (claim), complete it.

Each open task carries its light (R20): "blue", "yellow" or "red" by `lights.light(created_at,
due_at, now)`; tasks that are no longer open have none (null). `now` and the yellow share are
read once per request, so a list is judged against one instant.
"""
from marshmallow import Schema, fields

from app.api.blueprint import Blueprint
from app.api.fields import PageArgs, UtcDateTime, request_light
from app.api.security import current_user, permission_required
from app.engine import tasks

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
    form_key = fields.String(allow_none=True)
    created_at = UtcDateTime()
    due_at = UtcDateTime(allow_none=True)
    completed_at = UtcDateTime(allow_none=True)
    action = fields.String(allow_none=True)
    light = fields.Function(_light, allow_none=True, metadata={
        "description": "blue, yellow or red for an open task (blue without a deadline); null otherwise"})


class CompleteSchema(Schema):
    data = fields.Dict(keys=fields.String(), load_default=dict)


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
