"""Cases: register one (starting its process) and read its status and timeline."""
from flask import current_app, g
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from app.api.blueprint import Blueprint
from app.api.fields import PageArgs, UtcDateTime, request_light
from app.api.security import current_user, permission_required
from app.api.supervision import DirectiveSentSchema, sent
from app.attachments import service as attachments
from app.attachments.download import attachment_response
from app.cases import merging, publication, search
from app.cases.service import LIMITS, NewCase, create_case, get_visible, list_visible, status_for_channel
from app.casework.restart import restart
from app.clock import utcnow
from app.engine.history import timeline
from app.engine.tasks import open_for_case
from app.engine.transaction import transaction
from app.organisation.models import CLASSES
from app.privacy.service import masked, reveal
from app.supervision.models import DIRECTIVE_KINDS
from app.supervision.service import MAX_TEXT as MAX_DIRECTIVE
from app.supervision.service import for_case as directives_of
from app.supervision.service import issue as issue_directive
from app.timelimits import lights
from app.timelimits.models import REQUEST_TYPES
from app.workspace.inbox import LIGHTS

blp = Blueprint("cases", __name__, description="Citizen requests")


def _text(required: bool = False, limit: str | None = None, **metadata) -> fields.String:
    """A text field; its checks are the case service's (app/cases/service.problems), the limit is
    only documented here."""
    if limit:
        metadata["maxLength"] = LIMITS[limit]
    if required:
        return fields.String(required=True, metadata=metadata)
    return fields.String(load_default=None, allow_none=True, metadata=metadata)


class CaseCreateSchema(Schema):
    title = _text(required=True, limit="title")
    description = fields.String(load_default="", metadata={"maxLength": LIMITS["description"]})
    address = fields.String(load_default="", metadata={"maxLength": LIMITS["address"],
                                                       "description": "where the problem is"})
    unit_code = _text(limit="unit_code")
    external_ref = _text(limit="external_ref", description="the channel's own id: a repeat returns that case")
    territory_code = _text(limit="territory_code")
    category_code = _text(limit="category_code")
    requester_name = _text(limit="requester_name")
    requester_phone = _text(description="a mainland mobile (11 digits) or a landline with its area code")
    id_number = _text(description="18-character resident ID number (GB 11643 check character)")
    request_type = _text(enum=list(REQUEST_TYPES))
    public = fields.Boolean(load_default=False, metadata={
        "description": "the requester chose to publish the request on Open311; only a channel "
                       "(X-Api-Key) may say so, never for a report"})


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
    address = fields.String(allow_none=True)
    status = fields.String()
    unit_code = fields.String(allow_none=True)
    territory_code = fields.String(allow_none=True)
    category_code = fields.String(allow_none=True)
    channel = fields.String()
    public = fields.Boolean(metadata={"description": "readable on the public Open311 interface"})
    request_type = fields.String(allow_none=True)
    level = fields.String(allow_none=True, metadata={"description": "level of the unit holding it (R10)"})
    outcome = fields.String(allow_none=True, metadata={
        "description": "not_accepted, satisfied, not_rated, unsatisfied or merged once it ends"})
    resolved_level = fields.String(allow_none=True, metadata={"description": "where it was resolved (R34)"})
    satisfaction = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)
    requester = fields.Function(masked, metadata={"description": "name, masked phone and ID number"})
    due_at = UtcDateTime(allow_none=True, metadata={"description": "deadline of its most urgent open task"})
    light = fields.Function(lambda c: request_light(c.open_since, c.due_at) if c.status == "open" else None,
                            metadata={"description": "blue / yellow / red; null once closed"})
    created_at = UtcDateTime()
    closed_at = UtcDateTime(allow_none=True)


class HolderSchema(Schema):
    task_id = fields.String(attribute="id")
    element_id = fields.String()
    name = fields.String()
    unit_code = fields.String(attribute="candidate_unit_code", allow_none=True)
    role = fields.String(attribute="candidate_role", allow_none=True)
    assignee_id = fields.Integer(allow_none=True)
    due_at = UtcDateTime(allow_none=True)


class DirectiveSchema(Schema):
    kind = fields.String()
    text = fields.String()
    author = fields.String()
    created_at = UtcDateTime()


class MergeLinksSchema(Schema):
    into = fields.String(allow_none=True)
    merged = fields.List(fields.String())


class CaseDetailSchema(CaseSchema):
    timeline = fields.Function(lambda c: EventSchema(many=True).dump(timeline(c.id)))
    attachments = fields.Function(lambda c: AttachmentSchema(many=True).dump(attachments.for_case(c.id)))
    directives = fields.Function(lambda c: DirectiveSchema(many=True).dump(directives_of(c.id)),
                                 metadata={"description": "催办单, 督办单 and 批示, instructions first"})
    holders = fields.Function(lambda c: HolderSchema(many=True).dump(open_for_case(c.id)), metadata={
        "description": "who holds the case now: its open tasks (unit, role, signed-for assignee)"})
    merges = fields.Function(lambda c: MergeLinksSchema().dump(merging.links(c)), metadata={
        "description": "重复件: the main case it was merged into, and the cases merged into it"})


@blp.route("", methods=["POST"])
@permission_required("case:create", channels=True)
@blp.arguments(CaseCreateSchema)
@blp.response(201, CaseSchema)
@blp.alt_response(200, schema=CaseSchema, description="A case with this external_ref exists already")
def create(payload):
    """Register a case, as a registrar (bearer token) or as a channel (`X-Api-Key`: the case's
    channel is the key's). Repeating an `external_ref` returns the existing case with 200, so a
    retried delivery never creates a second case."""
    channel = g.channel
    if channel is not None:
        payload = {**payload, "channel": channel.channel}
    case, created = create_case(NewCase(**payload), current_user())
    return case, (201 if created else 200)


class PersonalDataSchema(Schema):
    requester_name = fields.String(allow_none=True)
    requester_phone = fields.String(allow_none=True)
    id_number = fields.String(allow_none=True)


def _search_field(description: str, **metadata) -> fields.String:
    return fields.String(load_default=None, metadata={"description": description, **metadata})


#: The case list's search and filters, named as on the /cases page (app/cases/search.py checks them).
CaseListArgs = PageArgs.from_dict({
    "number": _search_field("the whole case number, or a part of it"),
    "phone": _search_field("the requester's whole phone number (exact match)"),
    "q": _search_field("words of the title, the description or the address; every word must be "
                       "there (docs/api.md, Case search)"),
    "status": _search_field("open or closed", enum=list(search.STATUSES)),
    "type": _search_field("request type", enum=list(REQUEST_TYPES)),
    "class": _search_field("the category's class", enum=list(CLASSES)),
    "light": _search_field("the light of the open case's most urgent step", enum=list(LIGHTS)),
    "territory": _search_field("territory code: that territory and everything below it"),
    "unit": _search_field("code of the unit holding the case"),
    "from": _search_field("registered on or after this local day (YYYY-MM-DD)"),
    "to": _search_field("registered on or before this local day (YYYY-MM-DD)"),
}, name="CaseListArgs")


@blp.route("")
@permission_required("case:read")
@blp.arguments(CaseListArgs, location="query")
@blp.response(200, CaseSchema(many=True))
def list_cases(args):
    """Cases within your jurisdiction, newest first; searched and filtered as on the /cases page
    (a bad filter: 422 with the problem under its parameter's name)."""
    wanted = search.parse(args)
    return list_visible(current_user(), args["limit"], args["offset"],
                        where=search.condition(wanted, lights.basis(utcnow())))


@blp.route("/<string:number>")
@permission_required("case:read")
@blp.response(200, CaseDetailSchema)
def read(number):
    return get_visible(current_user(), number)


@blp.route("/<string:number>/personal-data", methods=["POST"])
@permission_required("personal_data:reveal")
@blp.response(200, PersonalDataSchema)
def reveal_personal_data(number):
    """Reveal the requester's full phone and ID number; every reveal is written to the audit log."""
    with transaction():
        return reveal(current_user(), get_visible(current_user(), number), via="api")


@blp.route("/<string:number>/unpublish", methods=["POST"])
@permission_required("case:moderate")
@blp.response(200, CaseSchema)
def unpublish_case(number):
    """Moderation: take a case its requester had published off the public Open311 reads (recorded
    on its timeline). A case that is not public stays as it is."""
    return publication.unpublish(current_user(), number)


class RestartSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


@blp.route("/<string:number>/restart", methods=["POST"])
@permission_required("case:restart")
@blp.arguments(RestartSchema)
@blp.response(200, CaseSchema)
def restart_case(payload, number):
    """重启办理: a spot-check found a closed case unresolved; it goes back for second handling."""
    return restart(current_user(), number, payload["reason"], current_app.config["CASE_PROCESS_ID"])


class MergeSchema(Schema):
    into = fields.String(required=True, metadata={"description": "the number of the open main case"})
    note = fields.String(load_default=None, allow_none=True, metadata={"maxLength": merging.NOTE_LIMIT})


class MergedSchema(Schema):
    number = fields.String()
    merged_into = fields.String()
    status = fields.String()
    outcome = fields.String()


@blp.route("/<string:number>/merge", methods=["POST"])
@permission_required("case:merge")
@blp.arguments(MergeSchema)
@blp.response(200, MergedSchema)
def merge_case(payload, number):
    """重复件: merge this case into the open main case about the same problem. It closes as merged,
    its requester is told and later receives the main case's answer; statistics count the pair
    once. Refused with 422 and the reasons by field (into, case, note); outside your
    jurisdiction 404."""
    return merging.merge(current_user(), number, payload["into"], payload["note"])


class DirectiveInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(DIRECTIVE_KINDS))
    text = fields.String(required=True, validate=validate.Length(min=1, max=MAX_DIRECTIVE))


@blp.route("/<string:number>/directives", methods=["POST"])
@permission_required("case:direct")
@blp.arguments(DirectiveInSchema)
@blp.response(201, DirectiveSentSchema)
def write_directive(payload, number):
    """催办单 (reminder_note), 督办单 (supervision_order) or 批示 (instruction, leaders only); sent to
    whoever holds the case now (named in `recipients`) and shown on the case and the handler's
    task. A case nobody holds (closed) is refused with 422 on `case`."""
    issued = issue_directive(current_user(), number, payload["kind"], payload["text"])
    return sent(issued, current_user().display_name)


class AttachmentSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    created_at = UtcDateTime()


class UploadSchema(Schema):
    file = Upload(required=True)


@blp.route("/<string:number>/attachments", methods=["POST"])
@permission_required("case:attach")
@blp.arguments(UploadSchema, location="files")
@blp.response(201, AttachmentSchema)
def add_attachment(files, number):
    """Attach a photo (JPEG, PNG, WebP), a short MP4 video or a PDF (multipart field `file`)."""
    upload = files["file"]
    return attachments.add(current_user(), number, upload.filename or "file",
                           upload.read(attachments.MAX_BYTES + 1))


@blp.route("/<string:number>/attachments/<int:attachment_id>")
@permission_required("case:read")
@blp.response(200, description="The file itself, with its content type")
def read_attachment(number, attachment_id):
    return attachment_response(attachments.read(current_user(), number, attachment_id))


class CaseStatusSchema(Schema):
    number = fields.String()
    channel = fields.String()
    external_ref = fields.String(allow_none=True)
    status = fields.String()
    level = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    resolved_level = fields.String(allow_none=True)
    created_at = UtcDateTime()
    closed_at = UtcDateTime(allow_none=True)


@blp.route("/<string:number>/status")
@permission_required("case:read", channels=True)
@blp.response(200, CaseStatusSchema)
def read_status(number):
    """Where a case stands, for the channel that delivered it (`X-Api-Key`) or for staff: no
    personal data, no internal notes. A channel sees only its own cases (others: 404)."""
    if g.channel is not None:
        return status_for_channel(g.channel.channel, number)
    return get_visible(current_user(), number)
