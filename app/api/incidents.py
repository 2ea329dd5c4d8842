"""Incidents: process errors at run time, listed for operators and retried after a fix; and the
repair of a stuck case (move it to a step, or close it with a reason) under /api/v1/cases."""
from marshmallow import Schema, fields, validate

from app.api.blueprint import Blueprint
from app.api.fields import UtcDateTime
from app.api.security import current_user, permission_required
from app.engine import incidents, repair, timers
from app.engine.transaction import transaction

blp = Blueprint("incidents", __name__, description="Process incidents")
repair_blp = Blueprint("repair", __name__, description="Repair of stuck cases")


class IncidentSchema(Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    case_id = fields.Integer()
    case_number = fields.String()
    element_id = fields.String(allow_none=True)
    source = fields.String()
    message = fields.String()
    status = fields.String()
    created_at = UtcDateTime()


class StepSchema(Schema):
    element_id = fields.String()
    name = fields.String()


class MoveArgs(Schema):
    element_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class CloseArgs(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class RepairSchema(Schema):
    case_number = fields.String()
    from_element = fields.String(data_key="from", attribute="from")
    to_element = fields.String(data_key="to", attribute="to")
    closed = fields.Boolean()


@blp.route("")
@permission_required("incident:manage")
@blp.response(200, IncidentSchema(many=True))
def list_open():
    """Open incidents of cases within your jurisdiction, newest first."""
    return incidents.open_incidents(current_user())


@blp.route("/<int:incident_id>/retry", methods=["POST"])
@permission_required("incident:manage")
@blp.response(200, IncidentSchema)
def retry(incident_id):
    with transaction():
        incident = incidents.prepare_retry(incident_id, current_user())
        timer_id = incident.timer_id
    timers.fire(timer_id)
    return incident


@repair_blp.route("/<number>/repair")
@permission_required("incident:manage")
@repair_blp.response(200, StepSchema(many=True))
def steps(number):
    """The steps (user tasks of the case's process version) the case can be moved to."""
    return repair.steps(current_user(), number)


@repair_blp.route("/<number>/repair/move-to", methods=["POST"])
@permission_required("incident:manage")
@repair_blp.arguments(MoveArgs)
@repair_blp.response(200, RepairSchema)
def move_to(args, number):
    """Move a stuck case to the chosen step; where it waited is cancelled. Recorded on the timeline."""
    return repair.move_to(current_user(), number, args["element_id"], args["reason"])


@repair_blp.route("/<number>/repair/close", methods=["POST"])
@permission_required("incident:manage")
@repair_blp.arguments(CloseArgs)
@repair_blp.response(200, RepairSchema)
def close(args, number):
    """End the case's process and close the case, with a reason recorded on the timeline."""
    return repair.close(current_user(), number, args["reason"])
