"""Supervision lists (R29–R32): the supervision list, instructed cases and the unsatisfied zone.
Directives are written on a case: POST /api/v1/cases/<number>/directives (api/cases.py)."""
from marshmallow import Schema, fields

from app.api.blueprint import Blueprint
from app.api.fields import PageArgs, UtcDateTime
from app.api.security import current_user, permission_required
from app.supervision import service

blp = Blueprint("supervision", __name__, description="Supervision: directives and lists")


class SupervisionItemSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    created_at = UtcDateTime()
    case_number = fields.String(attribute="number")
    title = fields.String()
    status = fields.String()
    level = fields.String(allow_none=True)


class CaseBriefSchema(Schema):
    number = fields.String()
    title = fields.String()
    status = fields.String()
    level = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    satisfaction = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)


class InstructedSchema(Schema):
    instructed = fields.Integer()
    closed = fields.Integer()
    cases = fields.List(fields.Nested(CaseBriefSchema))


@blp.route("/items")
@permission_required("case:read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, SupervisionItemSchema(many=True))
def supervision_items(args):
    """待督办: open overdue items on my units' supervision lists, oldest first."""
    return service.supervision_list(current_user(), args["limit"], args["offset"])


@blp.route("/unsatisfied")
@permission_required("case:read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, CaseBriefSchema(many=True))
def unsatisfied(args):
    """办理不满意专区: cases rated unsatisfied or unresolved within my jurisdiction."""
    return service.unsatisfied_zone(current_user(), args["limit"], args["offset"])


@blp.route("/instructed")
@permission_required("case:read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, InstructedSchema)
def instructed(args):
    """Cases with a leader's instruction (R30), and how many of them are closed."""
    cases, counts = service.instructed_cases(current_user(), args["limit"], args["offset"])
    return {**counts, "cases": cases}
