"""Time limits and the working-day calendar, for administrators (R18, R20, R23).

Every endpoint needs the "admin:manage" permission: 401 without a valid token, 403 for other
roles. PUT /time-limits is all or nothing: any invalid row answers 422 (code "invalid_data") with
{"errors": {"limits.<index>.<field>": [messages]}} and nothing is changed.

Calendar overrides (R19): /calendar/overrides/<YYYY-MM-DD> is upserted with PUT {"kind":
"holiday"|"workday", "note"} and removed with DELETE; an override wins over the holidays library.
Changing one does not move deadlines already computed (re-apply a phase for that).
/calendar/status warns from 1 December while next year's official arrangement is unknown.
"""
import re
from datetime import UTC, date
from zoneinfo import ZoneInfo

from flask import current_app, g
from marshmallow import Schema, fields, validate
from sqlalchemy.exc import IntegrityError

from app.api.blueprint import Blueprint
from app.api.fields import AdminPageArgs, UtcDateTime
from app.api.security import permission_required
from app.clock import utcnow
from app.engine.errors import InvalidData, NotFound
from app.engine.transaction import transaction
from app.extensions import db
from app.timelimits import calendar, limits
from app.timelimits.models import PHASES, CalendarOverride, Setting
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


class ChangeArgs(AdminPageArgs):
    """The change log's page."""


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


class WorkingHoursSchema(Schema):
    intervals = fields.List(fields.List(fields.String(validate=validate.Regexp(r"^\d{2}:\d{2}$")),
                                        validate=validate.Length(equal=2)),
                            required=True, validate=validate.Length(min=1, max=6),
                            metadata={"example": [["08:30", "12:00"], ["13:30", "17:30"]]})


def _working_hours_view() -> dict:
    return {"intervals": [[a.strftime("%H:%M"), b.strftime("%H:%M")] for a, b in calendar.working_hours()]}


@blp.route("/settings/working-hours")
@permission_required("admin:manage")
@blp.response(200, WorkingHoursSchema)
def get_working_hours():
    """The daily working hours that "working hours" limits and the close of a working day use."""
    return _working_hours_view()


@blp.route("/settings/working-hours", methods=["PUT"])
@permission_required("admin:manage")
@blp.arguments(WorkingHoursSchema)
@blp.response(200, WorkingHoursSchema)
def set_working_hours(payload):
    """Replace the working hours; a malformed or overlapping set is refused and changes nothing."""
    with transaction():
        db.session.merge(Setting(key="working_hours", value=payload["intervals"], updated_by_id=g.user.id,
                                 updated_at=utcnow()))
        try:
            calendar.working_hours()
        except ValueError as exc:
            raise InvalidData("invalid working hours", {"intervals": [str(exc)]}) from None
    return _working_hours_view()


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


# --- calendar overrides --------------------------------------------------------------------------

OVERRIDE_KINDS = ("holiday", "workday")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def local_today() -> date:
    """Today in the platform's zone (app.config TIMEZONE), from the one clock."""
    zone = ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))
    return utcnow().replace(tzinfo=UTC).astimezone(zone).date()


def _parse_day(value: str) -> date:
    try:
        if _ISO_DAY.match(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise InvalidData("invalid date", {"day": ["not a date of the form YYYY-MM-DD"]})


class OverrideArgs(Schema):
    year = fields.Integer(load_default=None, validate=validate.Range(min=1900, max=2200),
                          metadata={"description": "only this year's overrides; all without it"})


class OverrideSchema(Schema):
    day = fields.Date()
    kind = fields.String(metadata={"description": "holiday or workday"})
    note = fields.String()
    updated_by_id = fields.Integer(allow_none=True)
    updated_at = UtcDateTime()


class OverrideUpdateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(OVERRIDE_KINDS))
    note = fields.String(load_default="", validate=validate.Length(max=200))


class CalendarStatusSchema(Schema):
    today = fields.Date(metadata={"description": "local date in TIMEZONE"})
    next_year = fields.Integer()
    next_year_unconfirmed = fields.Boolean(metadata={
        "description": "from 1 December: no official make-up days and no override for next year"})
    message = fields.String()


@blp.route("/calendar/overrides")
@permission_required("admin:manage")
@blp.arguments(OverrideArgs, location="query")
@blp.response(200, OverrideSchema(many=True))
def list_overrides(args):
    """Administrators' holidays and working days, by date."""
    query = db.select(CalendarOverride).order_by(CalendarOverride.day)
    if args["year"] is not None:
        year = args["year"]
        query = query.where(CalendarOverride.day >= date(year, 1, 1),
                            CalendarOverride.day <= date(year, 12, 31))
    return db.session.scalars(query).all()


def _upsert(day: date, payload: dict) -> CalendarOverride:
    with transaction():
        row = db.session.get(CalendarOverride, day)
        if row is None:
            row = CalendarOverride(day=day)
            db.session.add(row)
        row.kind, row.note = payload["kind"], payload["note"]
        row.updated_by_id, row.updated_at = g.user.id, utcnow()
    return row


@blp.route("/calendar/overrides/<string:day>", methods=["PUT"])
@permission_required("admin:manage")
@blp.arguments(OverrideUpdateSchema)
@blp.response(200, OverrideSchema)
def put_override(payload, day):
    """Make a date a holiday or a (make-up) working day, or change what it is."""
    parsed = _parse_day(day)
    try:
        return _upsert(parsed, payload)
    except IntegrityError:  # another administrator inserted the same date just now: update it
        return _upsert(parsed, payload)


@blp.route("/calendar/overrides/<string:day>", methods=["DELETE"])
@permission_required("admin:manage")
@blp.response(204)
def delete_override(day):
    """Remove an override: the date is again what the library and the weekday say."""
    parsed = _parse_day(day)
    with transaction():
        row = db.session.get(CalendarOverride, parsed)
        if row is None:
            raise NotFound(f"no calendar override for {parsed.isoformat()}")
        db.session.delete(row)


@blp.route("/calendar/status")
@permission_required("admin:manage")
@blp.response(200, CalendarStatusSchema)
def calendar_status():
    """Whether next year's holiday arrangement still needs entering (shown from 1 December)."""
    today = local_today()
    next_year = today.year + 1
    unconfirmed = calendar.next_year_unconfirmed(today)
    message = (f"The official holiday arrangement for {next_year} is not known yet: deadlines use "
               f"the statutory holidays and Monday–Friday until you enter its holidays and make-up "
               f"working days as calendar overrides." if unconfirmed else "")
    return {"today": today, "next_year": next_year, "next_year_unconfirmed": unconfirmed,
            "message": message}
