"""Time limits and the working-day calendar, for administrators (R18, R20, R23).

Every endpoint needs the "admin:manage" permission: 401 without a valid token, 403 for other
roles. PUT /time-limits is all or nothing: any invalid row answers 422 (code "invalid_data") with
{"errors": {"limits.<index>.<field>": [messages]}} and nothing is changed.
"""
from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.api.fields import UtcDateTime
from app.api.security import permission_required
from app.engine.transaction import transaction
from app.timelimits import limits
from app.timelimits.models import PHASES
from app.timelimits.reapply import reapply

blp = Blueprint("timelimits", __name__, description="Time limits and calendar")


class TimeLimitSchema(Schema):
    id = fields.Integer()
    phase = fields.String()
    request_type = fields.String(allow_none=True, metadata={"description": "null: any"})
    klass = fields.String(allow_none=True, metadata={"description": "null: any"})
    complexity = fields.String(allow_none=True, metadata={"description": "null: any"})
    level = fields.String(allow_none=True, metadata={"description": "null: any"})
    amount = fields.Float()
    unit = fields.String()
    auto_escalate = fields.Boolean()
    updated_by_id = fields.Integer(allow_none=True)
    updated_at = UtcDateTime()


class TimeLimitsUpdateSchema(Schema):
    limits = fields.List(fields.Raw(), required=True, metadata={
        "description": "rows {phase, request_type?, klass?, complexity?, level?, amount, unit, "
                       "auto_escalate?}, upserted by phase and the four dimensions"})


class ChangeArgs(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class TimeLimitChangeSchema(Schema):
    id = fields.Integer()
    time_limit_id = fields.Integer(allow_none=True)
    user_id = fields.Integer(allow_none=True)
    at = UtcDateTime()
    old = fields.Dict(allow_none=True)
    new = fields.Dict(allow_none=True)


class YellowShareSchema(Schema):
    value = fields.Raw(required=True, metadata={"description": "0 ≤ value < 1, default 0.25"})


@blp.route("/time-limits")
@permission_required("admin:manage")
@blp.response(200, TimeLimitSchema(many=True))
def list_time_limits():
    """Every row of the time-limit table, by phase, general rows first."""
    return limits.all_limits()


@blp.route("/time-limits", methods=["PUT"])
@permission_required("admin:manage")
@blp.arguments(TimeLimitsUpdateSchema)
@blp.response(200, TimeLimitSchema(many=True))
def update_time_limits(payload):
    """Create or change rows (matched on phase + request_type + klass + complexity + level); each
    changed row is audited. Answers the whole table."""
    with transaction():
        limits.update_limits(payload["limits"], g.user)
    return limits.all_limits()


@blp.route("/time-limits/changes")
@permission_required("admin:manage")
@blp.arguments(ChangeArgs, location="query")
@blp.response(200, TimeLimitChangeSchema(many=True))
def list_time_limit_changes(args):
    """The audit log of the time-limit table, newest first."""
    return limits.list_changes(**args)


@blp.route("/settings/yellow-share")
@permission_required("admin:manage")
@blp.response(200, YellowShareSchema)
def get_yellow_share():
    """Share of a limit's total time below which a light turns yellow."""
    return {"value": limits.yellow_share()}


@blp.route("/settings/yellow-share", methods=["PUT"])
@permission_required("admin:manage")
@blp.arguments(YellowShareSchema)
@blp.response(200, YellowShareSchema)
def set_yellow_share(payload):
    with transaction():
        return {"value": limits.set_yellow_share(payload["value"], g.user)}


class ReapplySchema(Schema):
    phase = fields.String(required=True, validate=validate.OneOf(PHASES))


class ReapplyResultSchema(Schema):
    moved = fields.Integer(metadata={"description": "timers moved"})
    conflicts = fields.Integer(metadata={"description": "instances that changed meanwhile; run again"})


@blp.route("/time-limits/reapply", methods=["POST"])
@permission_required("admin:manage")
@blp.arguments(ReapplySchema)
@blp.response(200, ReapplyResultSchema)
def reapply_limits(payload):
    """Re-apply the current limits of a phase to open cases: pending timers move (audited per case)."""
    return reapply(payload["phase"], actor_id=g.user.id)
