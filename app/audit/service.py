"""Record and list administrators' changes (table admin_change).

`record` adds the row to the caller's session, so it is committed or rolled back together with
the change itself: a refused change leaves no entry. An update that changes nothing is not
recorded. Snapshots hold JSON values only (dates as ISO strings) and never a password hash, an API
key or a signing secret: a password change is recorded as `"password": "changed"`.
"""
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.models import AdminChange
from app.clock import to_naive_utc, utcnow
from app.engine.errors import InvalidData
from app.extensions import db

#: What can be changed, as the `entity` of a change. "setting" keys: working_hours, yellow_share.
ENTITIES = ("territory", "unit", "category", "routing_rule", "user", "import", "time_limit", "setting",
            "calendar_override", "channel_key", "assessment_scheme", "assessment_snapshot",
            "process_release", "process_choice",
            "phase", "role", "task")
ACTIONS = ("create", "update", "delete")
KEY_MAX = 200
YEAR_MIN, YEAR_MAX = 2000, 2200  # of the date filters (outside: not a date an entry can have)


def record(actor, entity: str, key: Any, action: str, old: dict | None = None,
           new: dict | None = None) -> AdminChange | None:
    """Add one change by `actor` (a User; None: the system) to the current transaction."""
    if entity not in ENTITIES or action not in ACTIONS:
        raise ValueError(f"unknown audit entity or action: {entity!r} {action!r}")
    if action == "update" and old == new:
        return None
    row = AdminChange(at=utcnow(), user_id=getattr(actor, "id", None), entity=entity,
                      entity_key=str(key)[:KEY_MAX], action=action, old=old, new=new)
    db.session.add(row)
    return row


def day_bounds(first: date | None, last: date | None,
               zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """Local days `first`..`last` (inclusive) as naive-UTC [start, end) bounds."""
    start = to_naive_utc(datetime.combine(first, time.min, tzinfo=zone)) if first else None
    end = to_naive_utc(datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)) if last else None
    return start, end


def changes(entity: str | None = None, username: str | None = None, first: date | None = None,
            last: date | None = None, zone: ZoneInfo | None = None, limit: int = 100,
            offset: int = 0) -> list[AdminChange]:
    """Changes newest first, optionally of one entity, by one user (username, any case), made on
    the local days `first`..`last` of `zone`. Unknown entity or a reversed range → InvalidData."""
    errors = {}
    if entity is not None and entity not in ENTITIES:
        errors["entity"] = ["must be one of: " + ", ".join(ENTITIES)]
    for field, day in (("from", first), ("to", last)):
        if day and not YEAR_MIN <= day.year <= YEAR_MAX:
            errors[field] = [f"must be in the years {YEAR_MIN}–{YEAR_MAX}"]
    if first and last and last < first and not errors:
        errors["to"] = ["must not be before from"]
    if errors:
        raise InvalidData("invalid audit filter", errors)
    statement = select(AdminChange).order_by(AdminChange.at.desc(), AdminChange.id.desc())
    if entity:
        statement = statement.where(AdminChange.entity == entity)
    if username:
        statement = statement.where(AdminChange.user_id.in_(
            select(User.id).where(func.lower(User.username) == username.lower())))
    start, end = day_bounds(first, last, zone or ZoneInfo("UTC"))
    if start:
        statement = statement.where(AdminChange.at >= start)
    if end:
        statement = statement.where(AdminChange.at < end)
    return list(db.session.scalars(statement.limit(limit).offset(offset)))
