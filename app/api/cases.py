"""Cases: register one (starting its process) and read its status and timeline."""
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.api.fields import UtcDateTime
from app.api.security import current_user, permission_required
from app.cases.service import NewCase, create_case, get_visible
from app.engine.history import timeline

blp = Blueprint("cases", __name__, description="Citizen requests")


class CaseCreateSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=10000))
    unit_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    external_ref = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120))


class EventSchema(Schema):
    kind = fields.String()
    at = UtcDateTime()
    element_id = fields.String()
    actor_id = fields.Integer()
    payload = fields.Dict()


class CaseSchema(Schema):
    number = fields.String()
    title = fields.String()
    description = fields.String()
    status = fields.String()
    unit_code = fields.String(allow_none=True)
    channel = fields.String()
    created_at = UtcDateTime()
    closed_at = UtcDateTime()


class CaseDetailSchema(CaseSchema):
    timeline = fields.Function(lambda c: EventSchema(many=True).dump(timeline(c.id)))


@blp.route("", methods=["POST"])
@permission_required("case:create")
@blp.arguments(CaseCreateSchema)
@blp.response(201, CaseSchema)
@blp.alt_response(200, schema=CaseSchema, description="A case with this external_ref exists already")
def create(payload):
    """Register a case; repeating an `external_ref` returns the existing case with 200."""
    case, created = create_case(NewCase(**payload), current_user())
    return case, (201 if created else 200)


@blp.route("/<string:number>")
@permission_required("case:read")
@blp.response(200, CaseDetailSchema)
def read(number):
    return get_visible(current_user(), number)
