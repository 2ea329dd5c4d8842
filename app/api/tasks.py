"""Human tasks: my inbox, one task, sign for it (claim), complete it."""
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.api.fields import PageArgs, UtcDateTime
from app.api.security import current_user, permission_required
from app.engine import tasks

blp = Blueprint("tasks", __name__, description="Human tasks")


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
