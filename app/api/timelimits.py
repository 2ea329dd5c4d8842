"""Time limits and the working-day calendar, for administrators (R18, R20, R23).

Every endpoint needs the "admin:manage" permission: 401 without a valid token, 403 for other
roles. PUT /time-limits is all or nothing: any invalid row answers 422 (code "invalid_data") with
{"errors": {"limits.<index>.<field>": [messages]}} and nothing is changed.

The calendar (R19): /calendar?year= lists every date of a year as deadlines count it and why;
/calendar/days/<YYYY-MM-DD> answers for one date; /calendar/deadline?from=&amount=&unit= computes
the deadline of a limit before it applies. Overrides: /calendar/overrides/<YYYY-MM-DD> is upserted
with PUT {"kind": "holiday"|"workday", "note"} and removed with DELETE; POST /calendar/overrides
{"from", "to", "kind", "note"} sets every date of a range at once (at most 60 days); an override wins over the
holidays library. Changing one does not move deadlines already computed (re-apply a phase for
that). /calendar/status warns from 1 December while next year's official arrangement is unknown.
Every change here is audited (GET /admin/audit).
"""
import re
from datetime import UTC, date
from zoneinfo import ZoneInfo

from flask import current_app, g
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy.exc import IntegrityError

from app.api.blueprint import Blueprint
from app.api.fields import AdminPageArgs, UtcDateTime
from app.api.security import permission_required
from app.clock import to_naive_utc, utcnow
from app.engine.errors import InvalidData
from app.engine.transaction import transaction
from app.timelimits import calendar, limits, overrides
from app.timelimits.models import LIMIT_UNITS
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
    time_limit_id = fields.Function(lambda change: int(change.entity_key), allow_none=True)
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
    """The changes of the time-limit table, newest first (the audit's entries of entity
    "time_limit"; GET /admin/audit lists them too)."""
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


def _working_hours_view(intervals) -> dict:
    return {"intervals": [[a.strftime("%H:%M"), b.strftime("%H:%M")] for a, b in intervals]}


@blp.route("/settings/working-hours")
@permission_required("admin:manage")
@blp.response(200, WorkingHoursSchema)
def get_working_hours():
    """The daily working hours that "working hours" limits and the close of a working day use."""
    return _working_hours_view(calendar.working_hours())


@blp.route("/settings/working-hours", methods=["PUT"])
@permission_required("admin:manage")
@blp.arguments(WorkingHoursSchema)
@blp.response(200, WorkingHoursSchema)
def set_working_hours(payload):
    """Replace the working hours; a malformed or overlapping set is refused and changes nothing."""
    with transaction():
        return _working_hours_view(limits.set_working_hours(payload["intervals"], g.user))


def _known_phase(code: str) -> bool:
    if code in limits.phase_codes():
        return True
    raise ValidationError(f"unknown phase {code!r}; phases are: " + ", ".join(limits.phase_codes()))


class ReapplySchema(Schema):
    phase = fields.String(required=True, validate=lambda code: _known_phase(code))


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


# --- the calendar and its overrides --------------------------------------------------------------

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
YEAR_MIN, YEAR_MAX = calendar.YEAR_MIN, calendar.YEAR_MAX


def local_today() -> date:
    """Today in the platform's zone (app.config TIMEZONE), from the one clock."""
    zone = ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))
    return utcnow().replace(tzinfo=UTC).astimezone(zone).date()


def _parse_day(value: str) -> date:
    try:
        if _ISO_DAY.match(value):
            day = date.fromisoformat(value)
            if YEAR_MIN <= day.year <= YEAR_MAX:
                return day
    except ValueError:
        pass
    raise InvalidData("invalid date",
                      {"day": [f"not a date of the form YYYY-MM-DD in the years {YEAR_MIN}–{YEAR_MAX}"]})


class OverrideArgs(Schema):
    year = fields.Integer(load_default=None, validate=validate.Range(min=YEAR_MIN, max=YEAR_MAX),
                          metadata={"description": "only this year's overrides; all without it"})


class OverrideSchema(Schema):
    day = fields.Date()
    kind = fields.String(metadata={"description": "holiday or workday"})
    note = fields.String()
    updated_by_id = fields.Integer(allow_none=True)
    updated_at = UtcDateTime()


class OverrideUpdateSchema(Schema):
    kind = fields.String(required=True, metadata={"description": "holiday or workday"})
    note = fields.String(load_default="",
                         metadata={"description": f"at most {overrides.NOTE_MAX} characters"})


class OverrideRangeSchema(Schema):
    first = fields.Date(required=True, data_key="from", metadata={"description": "first date, YYYY-MM-DD"})
    last = fields.Date(required=True, data_key="to", metadata={
        "description": f"last date (inclusive), at most {overrides.RANGE_MAX_DAYS} days in all"})
    kind = fields.String(required=True, metadata={"description": "holiday or workday"})
    note = fields.String(load_default="",
                         metadata={"description": f"at most {overrides.NOTE_MAX} characters"})


class CalendarStatusSchema(Schema):
    today = fields.Date(metadata={"description": "local date in TIMEZONE"})
    next_year = fields.Integer()
    next_year_unconfirmed = fields.Boolean(metadata={
        "description": "from 1 December: no official make-up days and no override for next year"})
    message = fields.String()


class CalendarArgs(Schema):
    year = fields.Integer(validate=validate.Range(min=YEAR_MIN, max=YEAR_MAX),
                          metadata={"description": "default: this year (local)"})


class CalendarDaySchema(Schema):
    date = fields.Date(attribute="day")
    weekday = fields.Function(lambda d: d.day.isoweekday(), metadata={"description": "1 Monday … 7 Sunday"})
    working_day = fields.Boolean()
    reason = fields.String(metadata={"description": "why: " + ", ".join(calendar.REASONS)})
    note = fields.String(metadata={"description": "the holiday's name (official_holiday) or the "
                                                  "administrator's note (override)"})


class CalendarYearSchema(Schema):
    year = fields.Integer()
    working_days = fields.Integer(metadata={"description": "how many working days the year has"})
    days = fields.List(fields.Nested(CalendarDaySchema), metadata={"description": "every date, in order"})


class DeadlineArgs(Schema):
    start = UtcDateTime(required=True, data_key="from", metadata={
        "description": "ISO 8601 date-time the limit starts (received); without an offset: UTC"})
    amount = fields.Float(required=True, allow_nan=False, metadata={"description": "as in the limit table"})
    unit = fields.String(required=True, metadata={"description": "one of " + ", ".join(LIMIT_UNITS)})


class DeadlineSchema(Schema):
    start = UtcDateTime(data_key="from")
    amount = fields.Float()
    unit = fields.String()
    deadline = UtcDateTime()
    deadline_local = fields.String(metadata={"description": "the deadline in TIMEZONE, ISO 8601"})


@blp.route("/calendar")
@permission_required("admin:manage")
@blp.arguments(CalendarArgs, location="query")
@blp.response(200, CalendarYearSchema)
def calendar_year(args):
    """Every date of a year as deadlines count it: working day or not, and why — weekday, weekend,
    official_holiday (with its name), official_workday (a make-up working day) or override (with
    the administrator's note)."""
    year = args.get("year") or local_today().year
    days = calendar.year_days(year)
    return {"year": year, "working_days": sum(day.working_day for day in days), "days": days}


@blp.route("/calendar/days/<string:day>")
@permission_required("admin:manage")
@blp.response(200, CalendarDaySchema)
def calendar_day(day):
    """Whether one date (YYYY-MM-DD) is a working day, and why."""
    return calendar.day_info(_parse_day(day))


@blp.route("/calendar/deadline")
@permission_required("admin:manage")
@blp.arguments(DeadlineArgs, location="query")
@blp.response(200, DeadlineSchema)
def calendar_deadline(args):
    """The deadline a limit of `amount` `unit` starting at `from` gets — computed by the same
    function as every deadline, with the same rules for amount and unit as the limit table."""
    if not YEAR_MIN <= args["start"].year <= YEAR_MAX:
        raise InvalidData("invalid start", {"from": [f"must be in the years {YEAR_MIN}–{YEAR_MAX}"]})
    start = to_naive_utc(args["start"])
    deadline = limits.trial_deadline(start, args["amount"], args["unit"])
    zone = ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))
    return {"start": start, "amount": args["amount"], "unit": args["unit"], "deadline": deadline,
            "deadline_local": deadline.replace(tzinfo=UTC).astimezone(zone).isoformat()}


@blp.route("/calendar/overrides")
@permission_required("admin:manage")
@blp.arguments(OverrideArgs, location="query")
@blp.response(200, OverrideSchema(many=True))
def list_overrides(args):
    """Administrators' holidays and working days, by date."""
    return overrides.list_overrides(args["year"])


@blp.route("/calendar/overrides", methods=["POST"])
@permission_required("admin:manage")
@blp.arguments(OverrideRangeSchema)
@blp.response(200, OverrideSchema(many=True))
def put_override_range(payload):
    """Make every date from `from` to `to` a holiday or a working day at once (e.g. a holiday week);
    an invalid range (422, by field) changes nothing."""
    with transaction():
        return overrides.set_range(payload["first"], payload["last"], payload["kind"], payload["note"],
                                   g.user)


def _upsert(day: date, payload: dict):
    with transaction():
        return overrides.set_override(day, payload["kind"], payload["note"], g.user)


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
        overrides.delete_override(parsed, g.user)


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
