"""Supervision lists (R29–R32): the supervision list, instructed cases and the unsatisfied zone.
Directives are written on a case: POST /api/v1/cases/<number>/directives (api/cases.py), which
answers with DirectiveSentSchema: the directive and whom it reached."""
from marshmallow import Schema, fields

from app.api.blueprint import Blueprint
from app.api.fields import PageArgs, UtcDateTime
from app.api.security import current_user, permission_required
from app.supervision import service

blp = Blueprint("supervision", __name__, description="Supervision: directives and lists")


class RecipientSchema(Schema):
    user_id = fields.Integer()
    name = fields.String()
    unit = fields.String(allow_none=True, metadata={"description": "the unit the open step is offered in"})


class DirectiveSentSchema(Schema):
    kind = fields.String()
    text = fields.String()
    author = fields.String()
    created_at = UtcDateTime()
    recipients = fields.List(fields.Nested(RecipientSchema), metadata={
        "description": "who was told: the handler who signed for each open step, else all its candidates"})


def sent(issued: service.Issued, author: str) -> dict:
    """The answer to a directive written: what was recorded and whom it reached."""
    directive = issued.directive
    return {"kind": directive.kind, "text": directive.text, "author": author,
            "created_at": directive.created_at, "recipients": issued.recipients}


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
