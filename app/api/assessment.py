"""Unit assessment (亮晒比) under /api/v1/statistics, beside the figures: assessment schemes and
their versions, frozen rankings of ended assessment periods, appeals (申诉) of ratings, and the
lists of unit assessments (履职评估) and accountability referrals (移交问责). docs/statistics.md,
"Assessment"; docs/api.md."""
from flask import current_app, g
from marshmallow import Schema, fields, validate

from app.api.blueprint import Blueprint
from app.api.fields import ID_RANGE, ChangesSchema, PageArgs, UtcDateTime
from app.api.security import current_user, permission_required
from app.api.statistics import UnitRowSchema
from app.assessment import appeals, records, schemes, snapshots
from app.assessment.models import APPEAL_STATUSES
from app.casework.models import ASSESSMENT_RESULTS
from app.engine.transaction import transaction
from app.statistics import scoring

blp = Blueprint("assessment", __name__,
                description="Unit assessment: schemes, frozen rankings, appeals, assessments and referrals")

_TABLE = {"keys": fields.String(), "values": fields.Float()}


class SchemeSchema(Schema):
    id = fields.Integer(allow_none=True, metadata={"description": "null: the built-in default scheme"})
    code = fields.String()
    version = fields.Integer()
    name = fields.String()
    weights = fields.Dict(**_TABLE, metadata={"description": "unit rate -> weight"})
    deductions = fields.Dict(**_TABLE, metadata={"description": "count -> points per item"})
    active = fields.Boolean()
    created_at = UtcDateTime(allow_none=True)


class SchemeCreateSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(max=40))
    name = fields.String(required=True, validate=validate.Length(max=200))
    weights = fields.Raw(required=True, metadata={"description": "unit rate -> weight (≥ 0, not all 0)"})
    deductions = fields.Raw(load_default=dict, metadata={
        "description": "count -> points per item: " + ", ".join(schemes.DEDUCTIONS)})
    active = fields.Boolean(load_default=False,
                            metadata={"description": "score the ranking with it from now"})


class SchemeChangesSchema(ChangesSchema):
    name = fields.Raw()
    weights = fields.Raw()
    deductions = fields.Raw()


def _scheme(row, active: bool | None = None) -> dict:
    return {"id": row.id, "code": row.code, "version": row.version, "name": row.name, "weights": row.weights,
            "deductions": row.deductions, "active": row.active if active is None else active,
            "created_at": getattr(row, "created_at", None)}


@blp.route("/schemes")
@permission_required("statistics:read")
@blp.response(200, SchemeSchema(many=True))
def list_schemes():
    """Every version of every scheme, by code, newest version first."""
    return [_scheme(row) for row in schemes.versions()]


@blp.route("/schemes/active")
@permission_required("statistics:read")
@blp.response(200, SchemeSchema)
def active_scheme():
    """The scheme version that scores the ranking now (the built-in default while none is defined)."""
    return _scheme(scoring.active_scheme(), active=True)


@blp.route("/schemes", methods=["POST"])
@permission_required("admin:manage")
@blp.arguments(SchemeCreateSchema)
@blp.response(201, SchemeSchema)
def create_scheme(payload):
    """A new scheme (version 1); active when asked, or when no scheme is active yet (audited)."""
    with transaction():
        return _scheme(schemes.create(payload["code"], payload["name"], payload["weights"],
                                      payload["deductions"], g.user, activate=payload["active"]))


@blp.route("/schemes/<string:code>")
@permission_required("statistics:read")
@blp.response(200, SchemeSchema(many=True))
def scheme_versions(code):
    """The versions of one scheme, newest first."""
    return [_scheme(row) for row in schemes.versions(code)]


@blp.route("/schemes/<string:code>", methods=["PATCH"])
@permission_required("admin:manage")
@blp.arguments(SchemeChangesSchema)
@blp.response(200, SchemeSchema)
def revise_scheme(payload, code):
    """Edit a scheme: its next version with the fields given (audited); the old versions stay."""
    with transaction():
        return _scheme(schemes.revise(code, payload, g.user))


@blp.route("/schemes/<string:code>/activate", methods=["POST"])
@permission_required("admin:manage")
@blp.response(200, SchemeSchema)
def activate_scheme(code):
    """Score the ranking with this scheme's latest version from now on (audited)."""
    with transaction():
        return _scheme(schemes.activate(code, g.user))


# --- frozen rankings -----------------------------------------------------------------------------

class SnapshotSchema(Schema):
    id = fields.Integer()
    period_from = fields.Date(attribute="period_first")
    period_to = fields.Date(attribute="period_last")
    frozen_at = UtcDateTime()
    frozen_by = fields.String(allow_none=True, metadata={"description": "username; null: the scheduler"})
    scheme = fields.Dict(metadata={"description": "code, name, version, weights and deductions used"})
    settings = fields.Dict(metadata={"description": "the 基本满意/基本解决 weights used"})
    units = fields.Integer(metadata={"description": "units in the ranking"})


#: A unit's row of a frozen ranking: the live ranking's row without its drill-down link (the cases
#: behind a frozen number may have changed since).
SnapshotRowSchema = Schema.from_dict({name: field for name, field in UnitRowSchema._declared_fields.items()
                                      if name != "drill_down"}, name="AssessmentSnapshotRow")


class SnapshotDetailSchema(SnapshotSchema):
    rows = fields.List(fields.Nested(SnapshotRowSchema), metadata={
        "description": "the ranking as frozen: only the units within your scope, with their city-wide rank"})


class FreezeSchema(Schema):
    day = fields.Date(required=True,
                      metadata={"description": "a day of the ended assessment period to freeze"})


def _snapshot(snapshot, frozen_by, **extra) -> dict:
    return {"id": snapshot.id, "period_first": snapshot.period_first, "period_last": snapshot.period_last,
            "frozen_at": snapshot.frozen_at, "frozen_by": frozen_by, "scheme": snapshot.scheme,
            "settings": snapshot.settings, **extra}


@blp.route("/snapshots")
@permission_required("statistics:read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, SnapshotSchema(many=True))
def list_snapshots(args):
    """Frozen rankings of ended assessment periods, the latest period first."""
    return [_snapshot(row.AssessmentSnapshot, row.frozen_by, units=row.units)
            for row in snapshots.list_snapshots(args["limit"], args["offset"])]


@blp.route("/snapshots", methods=["POST"])
@permission_required("admin:manage")
@blp.arguments(FreezeSchema)
@blp.response(201, SnapshotDetailSchema)
def freeze(payload):
    """Freeze now the ranking of the ended assessment period holding `day` (409 when it is frozen)."""
    with transaction():
        snapshot = snapshots.freeze_now(payload["day"], g.user)
    return _read_snapshot(snapshot.id)


def _read_snapshot(snapshot_id: int) -> dict:
    found = snapshots.get(current_user(), snapshot_id)
    return _snapshot(found["snapshot"], found["frozen_by"], rows=found["rows"], units=len(found["rows"]))


@blp.route("/snapshots/<int:snapshot_id>")
@permission_required("statistics:read")
@blp.response(200, SnapshotDetailSchema)
def read_snapshot(snapshot_id):
    """One frozen ranking, as it was frozen, with the rows of the units within your scope."""
    return _read_snapshot(snapshot_id)


# --- appeals -------------------------------------------------------------------------------------

class AppealSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "open, accepted or rejected"})
    case_number = fields.String()
    rating_id = fields.Integer()
    satisfaction = fields.String()
    resolution = fields.String()
    rated_at = UtcDateTime()
    round = fields.Integer()
    unit_code = fields.String()
    unit_name = fields.String()
    reason = fields.String()
    filed_by = fields.String(metadata={"description": "username"})
    filed_at = UtcDateTime()
    decided_by = fields.String(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)


class AppealArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(APPEAL_STATUSES))
    unit = fields.String(load_default=None, validate=validate.Length(max=64))


class AppealCreateSchema(Schema):
    rating_id = fields.Integer(required=True, validate=ID_RANGE)
    reason = fields.String(required=True, validate=validate.Length(max=2000))


@blp.route("/appeals")
@permission_required("statistics:read")
@blp.arguments(AppealArgs, location="query")
@blp.response(200, AppealSchema(many=True))
def list_appeals(args):
    """Appeals of ratings of the cases within your jurisdiction, newest first."""
    return appeals.list_appeals(current_user(), args["status"], args["unit"], args["limit"], args["offset"])


@blp.route("/appeals", methods=["POST"])
@permission_required("rating:appeal")
@blp.arguments(AppealCreateSchema)
@blp.response(201, AppealSchema)
def file_appeal(payload):
    """申诉: the rated unit's staff appeal one rating of its answer; a platform supervisor reviews it
    in their inbox (the appeal process). Accepted, the rating leaves the unit's rates."""
    appeal = appeals.file(current_user(), payload["rating_id"], payload["reason"],
                          current_app.config["APPEAL_PROCESS_ID"])
    return appeals.appeal_view(appeal.id)


class RatingArgs(Schema):
    case = fields.String(required=True, validate=validate.Length(min=1, max=32),
                         metadata={"description": "case number"})


class RatingSchema(Schema):
    id = fields.Integer()
    round = fields.Integer(metadata={"description": "2 for the rating after second handling"})
    satisfaction = fields.String()
    resolution = fields.String()
    rated_at = UtcDateTime()
    unit_code = fields.String(allow_none=True, metadata={"description": "whose answer; null: at intake"})
    unit_name = fields.String(allow_none=True)
    excluded = fields.Boolean(metadata={"description": "taken out of the unit's rates by an accepted appeal"})
    appeal_status = fields.Function(lambda r: r["appeal"].status if r["appeal"] else None, allow_none=True,
                                    metadata={"description": "of its latest appeal"})
    may_appeal = fields.Boolean(metadata={"description": "you may appeal it now"})


@blp.route("/ratings")
@permission_required("case:read")
@blp.arguments(RatingArgs, location="query")
@blp.response(200, RatingSchema(many=True))
def case_ratings(args):
    """The ratings of one case (their ids are what an appeal names)."""
    return appeals.ratings_of_number(current_user(), args["case"])


# --- unit assessments and referrals (R26) --------------------------------------------------------

class RecordArgs(PageArgs):
    first = fields.Date(data_key="from", load_default=None, metadata={
        "description": "first local day (default: the current assessment month)"})
    last = fields.Date(data_key="to", load_default=None,
                       metadata={"description": "last local day, inclusive"})
    territory = fields.String(load_default=None, validate=validate.Length(max=32),
                              metadata={"description": "a territory code: its whole subtree (the case's)"})
    unit = fields.String(load_default=None, validate=validate.Length(max=64))


class AssessmentArgs(RecordArgs):
    result = fields.String(load_default=None, validate=validate.OneOf(ASSESSMENT_RESULTS))


class AssessmentSchema(Schema):
    id = fields.Integer()
    result = fields.String(metadata={"description": "completed or not_completed"})
    note = fields.String()
    created_at = UtcDateTime()
    case_number = fields.String()
    unit_code = fields.String()
    unit_name = fields.String()
    referral_id = fields.Integer(allow_none=True, metadata={"description": "the referral it led to"})


class ReferralSchema(Schema):
    id = fields.Integer()
    created_at = UtcDateTime()
    case_number = fields.String()
    unit_code = fields.String()
    unit_name = fields.String()
    assessment_id = fields.Integer()
    previous_assessment_id = fields.Integer()


def _record_filters(args: dict) -> dict:
    return {"from": args.pop("first"), "to": args.pop("last"), "territory": args.pop("territory"),
            "unit": args.pop("unit")}


@blp.route("/assessments")
@permission_required("statistics:read")
@blp.arguments(AssessmentArgs, location="query")
@blp.response(200, AssessmentSchema(many=True))
def list_assessments(args):
    """履职评估 (R26) of the period within your scope, newest first."""
    return records.assessments(current_user(), _record_filters(args), args["result"], args["limit"],
                               args["offset"])["rows"]


@blp.route("/referrals")
@permission_required("statistics:read")
@blp.arguments(RecordArgs, location="query")
@blp.response(200, ReferralSchema(many=True))
def list_referrals(args):
    """移交问责 (R26) of the period within your scope, newest first."""
    return records.referrals(current_user(), _record_filters(args), args["limit"], args["offset"])["rows"]
