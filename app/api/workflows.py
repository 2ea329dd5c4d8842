"""Deployed process definitions: list the latest versions, deploy a BPMN file."""
from flask import g
from flask_smorest import abort
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from app.api.blueprint import Blueprint
from app.api.fields import UtcDateTime
from app.api.security import permission_required
from app.engine import repository
from app.engine.transaction import transaction

blp = Blueprint("workflows", __name__, description="Process definitions")

MAX_BPMN_BYTES = 5 * 1024 * 1024


class DefinitionSchema(Schema):
    id = fields.Integer()
    process_id = fields.String()
    name = fields.String()
    version = fields.Integer()
    sha256 = fields.String()
    filename = fields.String()
    deployed_at = UtcDateTime()


class DeploySchema(Schema):
    file = Upload(required=True)


@blp.route("")
@permission_required("workflow:read")
@blp.response(200, DefinitionSchema(many=True))
def list_definitions():
    return repository.list_latest()


@blp.route("", methods=["POST"])
@permission_required("workflow:deploy")
@blp.arguments(DeploySchema, location="files")
@blp.response(201, DefinitionSchema(many=True))
def deploy(files):
    upload = files["file"]
    xml = upload.read(MAX_BPMN_BYTES + 1)
    if len(xml) > MAX_BPMN_BYTES:
        abort(413, message=f"a BPMN file may be at most {MAX_BPMN_BYTES} bytes")
    with transaction():
        return repository.deploy(xml, upload.filename or "upload.bpmn", deployed_by_id=g.user.id)
