"""Which process new cases start on, by request type and class (administrators)."""
from flask import g
from marshmallow import Schema, fields

from app.api.blueprint import Blueprint
from app.api.security import permission_required
from app.engine import repository
from app.engine.transaction import transaction

blp = Blueprint("process_choices", __name__, description="Process choice by request type and class")


class ChoiceSchema(Schema):
    request_type = fields.String(
        required=True,
        metadata={"description": "consultation, help, complaint, report or suggestion"})
    klass = fields.String(load_default=None, allow_none=True,
                          metadata={"description": "livelihood, development, enforcement; null: any class"})
    process_id = fields.String(required=True)


class ChoiceKeySchema(Schema):
    request_type = fields.String(required=True)
    klass = fields.String(load_default=None, allow_none=True)


@blp.route("/process-choices")
@permission_required("admin:manage")
@blp.response(200, ChoiceSchema(many=True))
def list_choices():
    """Every choice; a case without one starts on the CASE_PROCESS_ID setting's process."""
    return repository.process_choices()


@blp.route("/process-choices", methods=["PUT"])
@permission_required("admin:manage")
@blp.arguments(ChoiceSchema)
@blp.response(200, ChoiceSchema)
def put_choice(payload):
    """New cases of the request type (and class) start on the process; audited."""
    with transaction():
        return repository.set_process_choice(payload["request_type"], payload["klass"], payload["process_id"],
                                             g.user)


@blp.route("/process-choices", methods=["DELETE"])
@permission_required("admin:manage")
@blp.arguments(ChoiceKeySchema, location="query")
@blp.response(204)
def delete_choice(args):
    with transaction():
        repository.delete_process_choice(args["request_type"], args["klass"], g.user)
