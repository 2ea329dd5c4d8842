"""Process definitions: every process with its versions, each version's BPMN and forms, deploying
a bundle (a BPMN file with its forms, or only checking it: a dry run), and the release pointer."""
from flask import Response, g
from flask_smorest import abort
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from app.api.blueprint import Blueprint
from app.api.fields import ID_RANGE, UtcDateTime
from app.api.security import permission_required
from app.engine import repository, workbench
from app.engine.transaction import transaction

blp = Blueprint("workflows", __name__, description="Process definitions")

MAX_BPMN_BYTES = 5 * 1024 * 1024
MAX_FORM_BYTES = 512 * 1024
MAX_FORMS = 100


class VersionSchema(Schema):
    id = fields.Integer()
    version = fields.Integer()
    deployed_at = UtcDateTime()
    deployed_by = fields.String(allow_none=True, metadata={"description": "who deployed it (None: start-up)"})
    bundle_sha256 = fields.String()
    open_cases = fields.Integer(metadata={"description": "running instances on this version"})
    is_release = fields.Boolean(metadata={"description": "new cases start on this version"})


class ProcessSchema(Schema):
    process_id = fields.String()
    name = fields.String()
    release_version = fields.Integer(allow_none=True)
    versions = fields.List(fields.Nested(VersionSchema), metadata={"description": "newest first"})


class DefinitionSchema(Schema):
    id = fields.Integer(allow_none=True, metadata={"description": "null in a dry run"})
    process_id = fields.String()
    name = fields.String()
    version = fields.Integer()
    sha256 = fields.String()
    bundle_sha256 = fields.String()
    filename = fields.String()
    deployed_at = UtcDateTime(allow_none=True)


class DetailSchema(DefinitionSchema):
    is_release = fields.Boolean()
    forms = fields.List(fields.String(), metadata={"description": "ids of the forms deployed with it"})


class DeployResultSchema(Schema):
    dry_run = fields.Boolean()
    definitions = fields.List(fields.Nested(DefinitionSchema))


class ProblemSchema(Schema):
    element_id = fields.String(allow_none=True)
    message = fields.String()


class DeployErrorSchema(Schema):
    code = fields.String(metadata={"description": "invalid_bpmn for a refused bundle"})
    message = fields.String()
    element_id = fields.String(allow_none=True, metadata={"description": "the first problem's element"})
    errors = fields.Raw(metadata={"description": "a refused bundle: every problem as [{element_id, "
                                                 "message}]; invalid fields: {field: [messages]}"})


class DeployFilesSchema(Schema):
    file = Upload(required=True, metadata={"description": "the BPMN file"})
    forms = fields.List(Upload(), load_default=list,
                        metadata={"description": "form-js files its user tasks name (else the release's)"})


class DeployFormSchema(Schema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "only check, deploy nothing"})
    activate = fields.Boolean(load_default=True,
                              metadata={"description": "new cases start on the new version"})


class ReleaseSchema(Schema):
    version = fields.Integer(required=True, validate=ID_RANGE)


def _read(upload, limit: int, what: str) -> bytes:
    data = upload.read(limit + 1)
    if len(data) > limit:
        abort(413, message=f"{what} may be at most {limit} bytes")
    return data


@blp.route("")
@permission_required("workflow:read")
@blp.response(200, ProcessSchema(many=True))
def overview():
    """Every deployed process, its versions newest first with their open cases, and its release."""
    return repository.processes_overview()


@blp.route("", methods=["POST"])
@permission_required("workflow:deploy")
@blp.arguments(DeployFilesSchema, location="files")
@blp.arguments(DeployFormSchema, location="form")
@blp.response(201, DeployResultSchema)
@blp.alt_response(200, schema=DeployResultSchema, description="a dry run: what would be deployed")
@blp.alt_response(422, schema=DeployErrorSchema, description="the bundle is refused; nothing deployed")
def deploy(files, options):
    """Deploy a BPMN file and its forms as a new version (nothing new for an identical bundle)."""
    if len(files["forms"]) > MAX_FORMS:
        abort(413, message=f"at most {MAX_FORMS} form files per deployment")
    bpmn = _read(files["file"], MAX_BPMN_BYTES, "a BPMN file")
    forms = {(upload.filename or f"form{i}.form"): _read(upload, MAX_FORM_BYTES, "a form file")
             for i, upload in enumerate(files["forms"])}
    with transaction():
        result = repository.deploy_bundle(bpmn, files["file"].filename or "upload.bpmn", forms,
                                          deployed_by_id=g.user.id, **options)
    return result, 200 if result.dry_run else 201


@blp.route("/<process_id>/versions/<int:version>")
@permission_required("workflow:read")
@blp.response(200, DetailSchema)
def version_detail(process_id, version):
    return repository.version_detail(process_id, version)


@blp.route("/<process_id>/versions/<int:version>/bpmn")
@permission_required("workflow:read")
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/xml",
              description="the BPMN file of the version")
def download_bpmn(process_id, version):
    return workbench.bpmn_download(repository.get_version(process_id, version))


@blp.route("/<process_id>/versions/<int:version>/forms/<form_id>")
@permission_required("workflow:read")
@blp.response(200, {"type": "object"}, description="the form-js JSON deployed with the version")
def form(process_id, version, form_id):
    source = repository.version_form(process_id, version, form_id)
    return Response(source, mimetype="application/json")


@blp.route("/<process_id>/release", methods=["PUT"])
@permission_required("workflow:deploy")
@blp.arguments(ReleaseSchema)
@blp.response(200, DetailSchema)
def set_release(payload, process_id):
    """New cases start on this version (an older one rolls the process back); audited."""
    with transaction():
        repository.set_release(process_id, payload["version"], g.user.id)
    return repository.version_detail(process_id, payload["version"])
