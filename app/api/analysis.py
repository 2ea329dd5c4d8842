"""Analysis for leaders (R31, R35) under /api/v1/statistics, beside the figures: hot spots, the
supervision orders made from them, and the monthly report as an XLSX workbook. The same filters
as every statistics endpoint; everything within the viewer's jurisdiction (docs/statistics.md)."""
from flask import Response
from marshmallow import Schema, fields, validate

from app.api.blueprint import Blueprint
from app.api.fields import UtcDateTime
from app.api.security import current_user, permission_required
from app.api.statistics import FilterArgs, _filters
from app.statistics import hotspot_orders, hotspots, report

blp = Blueprint("analysis", __name__, description="Statistics: hot spots, supervision orders, monthly report")


class HotspotArgs(FilterArgs):
    min_count = fields.Integer(load_default=hotspots.MIN_COUNT, validate=validate.Range(min=2, max=10000),
                               metadata={"description": "the fewest similar requests that make a hot spot"})


HotspotRowSchema = Schema.from_dict({
    "key": fields.String(metadata={"description": "names the hot spot (POST /statistics/hotspots/orders)"}),
    "territory_code": fields.String(metadata={"description": "the village or community (or the territory "
                                                             "a request was registered at, above villages)"}),
    "territory_name": fields.String(),
    "category_code": fields.String(allow_none=True),
    "category_name": fields.String(allow_none=True),
    "count": fields.Integer(),
    "open": fields.Integer(),
    "requesters": fields.Integer(metadata={"description": "different requesters (phone or ID number)"}),
    "group": fields.Boolean(metadata={"description": f"{hotspots.GROUP_REQUESTERS} or more requesters"}),
    "repeated": fields.Boolean(metadata={"description": "the same requester or address more than once"}),
    "repeated_cases": fields.List(fields.String()),
    "keywords": fields.List(fields.String()),
    "cases": fields.List(fields.String(), metadata={"description": "the case numbers"}),
    "orders": fields.List(fields.Integer(), metadata={"description": "supervision orders on its cases"}),
    "drill_down": fields.Dict(metadata={"description": "the query of GET /statistics/cases listing the "
                                                       "requests of its place and category"}),
}, name="Hotspot")


class OrderBodySchema(Schema):
    hotspot = fields.String(required=True, validate=validate.Length(max=200))
    lead_unit = fields.String(required=True, validate=validate.Length(max=64))
    working_days = fields.Integer(required=True, strict=True)
    text = fields.String(required=True, validate=validate.Length(max=5000))


class OrderCaseSchema(Schema):
    number = fields.String()
    title = fields.String()
    status = fields.String()


class OrderSchema(Schema):
    id = fields.Integer()
    hotspot = fields.String()
    territory_code = fields.String()
    territory_name = fields.String()
    category_code = fields.String(allow_none=True)
    lead_unit_code = fields.String()
    lead_unit_name = fields.String()
    working_days = fields.Integer()
    due_at = UtcDateTime()
    text = fields.String()
    created_at = UtcDateTime()
    cases = fields.List(fields.Nested(OrderCaseSchema))


class ExportArgs(FilterArgs):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(("xlsx",)))


@blp.route("/hotspots")
@permission_required("statistics:read")
@blp.arguments(HotspotArgs, location="query")
@blp.response(200, HotspotRowSchema(many=True))
def list_hotspots(args):
    """Hot spots: at least `min_count` similar requests in one place and category in the period
    (at most 92 days), biggest first, with the repeated and group flags (R35)."""
    min_count = args.pop("min_count")
    return hotspots.hotspots(current_user(), _filters(args), min_count)


@blp.route("/hotspots/orders", methods=["POST"])
@permission_required("case:direct")
@blp.arguments(OrderBodySchema)
@blp.response(201, OrderSchema)
def order_hotspot(payload):
    """督办单 from a hot spot: a lead unit settles its cases within `working_days` working days;
    recorded on each case and sent to the lead unit. Leaders and platform supervisors send them."""
    made = hotspot_orders.order(current_user(), payload["hotspot"], payload["lead_unit"],
                                payload["working_days"], payload["text"])
    return hotspot_orders.get(current_user(), made.id)


@blp.route("/hotspots/orders/<int:order_id>")
@permission_required("statistics:read")
@blp.response(200, OrderSchema)
def read_order(order_id):
    """A hot spot's supervision order and its cases (its place's leaders and the lead unit)."""
    return hotspot_orders.get(current_user(), order_id)


@blp.route("/export")
@permission_required("statistics:read")
@blp.arguments(ExportArgs, location="query")
@blp.response(200, {"type": "string", "format": "binary"}, content_type=report.XLSX,
              description="The monthly report workbook: summary with definitions, breakdowns, ranking, "
                          "hot spots; no personal data")
def export(args):
    """The monthly report for leaders as an XLSX workbook, with the same filters."""
    args.pop("format")
    content, filename = report.workbook(current_user(), _filters(args))
    return Response(content, mimetype=report.XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "private, no-store"})
