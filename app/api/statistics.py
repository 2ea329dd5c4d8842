"""Statistics (R31, R33–R35) under /api/v1/statistics: the summary of a period, breakdowns, the
units' ranking (亮晒比) and the cases behind any number. Everything within the viewer's
jurisdiction; the filters are the same query parameters everywhere. Definitions of every figure:
docs/statistics.md."""
from types import SimpleNamespace

from flask import g
from marshmallow import Schema, fields, validate

from app.api.blueprint import Blueprint
from app.api.cases import CaseSchema
from app.api.fields import ChangesSchema, PageArgs
from app.api.security import current_user, permission_required
from app.engine.transaction import transaction
from app.organisation.models import CLASSES, UNIT_LEVELS
from app.statistics import service, settings
from app.statistics.figures import COUNTS, RATES
from app.timelimits.models import REQUEST_TYPES

blp = Blueprint("statistics", __name__, description="Statistics: rates, breakdowns, ranking, drill-down")


class FilterArgs(Schema):
    first = fields.Date(data_key="from", load_default=None, metadata={
        "description": "first local day (default: the current assessment month)"})
    last = fields.Date(data_key="to", load_default=None,
                       metadata={"description": "last local day, inclusive"})
    territory = fields.String(load_default=None, validate=validate.Length(max=32),
                              metadata={"description": "a territory code: its whole subtree"})
    unit = fields.String(load_default=None, validate=validate.Length(max=64))
    category = fields.String(load_default=None, validate=validate.Length(max=32))
    channel = fields.String(load_default=None, validate=validate.Length(max=40))
    request_type = fields.String(load_default=None, validate=validate.OneOf(REQUEST_TYPES))
    klass = fields.String(load_default=None, validate=validate.OneOf(CLASSES))
    level = fields.String(load_default=None, validate=validate.OneOf(UNIT_LEVELS))


def _filters(args: dict) -> dict:
    """The service reads the same names as the query string."""
    given = {k: v for k, v in args.items() if k not in ("first", "last")}
    return {**given, "from": args.get("first"), "to": args.get("last")}


_RATE = {"allow_none": True, "metadata": {"description": "percent, two decimals; null without a denominator"}}


class LevelShareSchema(Schema):
    count = fields.Integer()
    share = fields.Float(allow_none=True)
    drill_down = fields.Dict()


_COUNT_FIELDS = {name: fields.Integer() for name in (*service.SUMMARY_COUNTS, *service.RATE_COUNTS)}
_RATE_FIELDS = {name: fields.Float(**_RATE) for name in RATES}

SummarySchema = Schema.from_dict({
    "period": fields.Dict(keys=fields.String(), values=fields.String()),
    "filters": fields.Dict(),
    **_COUNT_FIELDS, **_RATE_FIELDS,
    "closed_by_level": fields.Dict(keys=fields.String(), values=fields.Nested(LevelShareSchema)),
    "weights": fields.Dict(keys=fields.String(), values=fields.Float()),
    "drill_down": fields.Dict(metadata={
        "description": "per figure, the query of GET /statistics/cases listing the cases behind it "
                       "(for a rate: its numerator and its denominator)"}),
}, name="StatisticsSummary")


class BreakdownArgs(FilterArgs):
    by = fields.String(required=True, validate=validate.OneOf(service.BREAKDOWNS))


BreakdownRowSchema = Schema.from_dict({
    "key": fields.Raw(allow_none=True, metadata={"description": "the level, territory code, category "
                                                                "code, ..., or the day, week or month"}),
    "label": fields.Raw(allow_none=True),
    **{name: fields.Integer(required=False) for name in service.SUMMARY_COUNTS}, **_RATE_FIELDS,
    "drill_down": fields.Dict(allow_none=True),
}, name="StatisticsBreakdownRow")


class UnitArgs(FilterArgs):
    order = fields.String(load_default="score", validate=validate.OneOf(service.UNIT_ORDERS))


UnitRowSchema = Schema.from_dict({
    "rank": fields.Integer(),
    "unit_code": fields.String(),
    "unit_name": fields.String(),
    "level": fields.String(allow_none=True),
    "received": fields.Integer(metadata={"description": "cases handed to the unit in the period"}),
    "closed": fields.Integer(metadata={"description": "cases it answered that closed in the period"}),
    **{name: fields.Integer() for name in service.UNIT_COUNTS if name != "assignments"},
    **{name: fields.Float(**_RATE) for name in service.UNIT_RATES},
    "score": fields.Float(allow_none=True),
    "drill_down": fields.Dict(),
}, name="StatisticsUnitRow")


class CasesArgs(FilterArgs, PageArgs):
    figure = fields.String(required=True, validate=validate.OneOf([*COUNTS, *RATES]))
    part = fields.String(load_default=None, validate=validate.OneOf(("numerator", "denominator")))


class MatchedCaseSchema(CaseSchema):
    matches = fields.Integer(allow_none=True, metadata={
        "description": "for counts of assignments, ratings or referrals: how many belong to this case"})


class CasesSchema(Schema):
    figure = fields.String()
    part = fields.String(allow_none=True)
    total = fields.Integer()
    filters = fields.Dict()
    cases = fields.List(fields.Nested(MatchedCaseSchema))


class SettingsSchema(Schema):
    basically_satisfied_weight = fields.Float()
    basically_resolved_weight = fields.Float()
    month_start_day = fields.Integer()
    long_unsolved_working_days = fields.Integer()
    public_ranking = fields.Boolean(metadata={"description": "the public ranking page (亮晒比) at /ranking"})


class SettingsUpdateSchema(ChangesSchema):
    basically_satisfied_weight = fields.Raw()
    basically_resolved_weight = fields.Raw()
    month_start_day = fields.Raw()
    long_unsolved_working_days = fields.Raw()
    public_ranking = fields.Raw()


@blp.route("/summary")
@permission_required("statistics:read")
@blp.arguments(FilterArgs, location="query")
@blp.response(200, SummarySchema)
def summary(args):
    """Counts and rates of the period, and the share of closures per level (R33, R34)."""
    return service.summary(current_user(), _filters(args))


@blp.route("/breakdown")
@permission_required("statistics:read")
@blp.arguments(BreakdownArgs, location="query")
@blp.response(200, BreakdownRowSchema(many=True))
def breakdown(args):
    """The summary's figures per level, territory (one level below the one looked at), category,
    channel, request type, class, or per month, week or day."""
    by = args.pop("by")
    return service.breakdown(current_user(), _filters(args), by)


@blp.route("/units")
@permission_required("statistics:read")
@blp.arguments(UnitArgs, location="query")
@blp.response(200, UnitRowSchema(many=True))
def units(args):
    """亮晒比: every unit's own figures and score, ranked (default by score)."""
    order = args.pop("order")
    return service.units(current_user(), _filters(args), order)


@blp.route("/cases")
@permission_required("statistics:read")
@blp.arguments(CasesArgs, location="query")
@blp.response(200, CasesSchema)
def cases(args):
    """The cases behind a figure (`figure`; for a rate also `part`), with the same filters."""
    figure, part = args.pop("figure"), args.pop("part")
    limit, offset = args.pop("limit"), args.pop("offset")
    found = service.cases(current_user(), _filters(args), figure, part, limit, offset)
    found["cases"] = [SimpleNamespace(**row["case"]._mapping, matches=row["matches"])
                      for row in found["cases"]]
    return found


@blp.route("/settings")
@permission_required("statistics:read")
@blp.response(200, SettingsSchema)
def get_settings():
    """基本满意/基本解决 weights, the assessment month's first day, the long-unsolved limit."""
    return settings.current()


@blp.route("/settings", methods=["PATCH"])
@permission_required("admin:manage")
@blp.arguments(SettingsUpdateSchema)
@blp.response(200, SettingsSchema)
def update_settings(payload):
    """Change some settings (administrators; audited)."""
    with transaction():
        return settings.update(payload, g.user)
