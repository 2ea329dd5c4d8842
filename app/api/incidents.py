"""Incidents: process errors at run time, listed for operators and retried after a fix."""
from marshmallow import Schema, fields

from app.api.blueprint import Blueprint
from app.api.fields import UtcDateTime
from app.api.security import permission_required
from app.engine import incidents, timers
from app.engine.transaction import transaction

blp = Blueprint("incidents", __name__, description="Process incidents")


class IncidentSchema(Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    case_id = fields.Integer()
    element_id = fields.String(allow_none=True)
    source = fields.String()
    message = fields.String()
    status = fields.String()
    created_at = UtcDateTime()


@blp.route("")
@permission_required("incident:manage")
@blp.response(200, IncidentSchema(many=True))
def list_open():
    return incidents.open_incidents()


@blp.route("/<int:incident_id>/retry", methods=["POST"])
@permission_required("incident:manage")
@blp.response(200, IncidentSchema)
def retry(incident_id):
    with transaction():
        incident = incidents.prepare_retry(incident_id)
        timer_id = incident.timer_id
    timers.fire(timer_id)
    return incident
