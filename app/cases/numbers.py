"""Human-friendly case numbers: HY + local date + a per-day sequence, e.g. HY20261122-000123."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError

from app.cases.models import CaseNumberCounter
from app.engine.transaction import execute
from app.extensions import db

_counters = CaseNumberCounter.__table__
_BUMP = (update(_counters).where(_counters.c.day == bindparam("on_day"))
         .values(last_value=_counters.c.last_value + 1).returning(_counters.c.last_value))
_FIRST = insert(_counters).values(last_value=1)


def local_today() -> date:
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def next_case_number(day: date | None = None) -> str:
    """Take the next number of the day. The UPDATE locks the counter row until the caller's
    transaction ends, so concurrent workers never hand out the same number."""
    day = day or local_today()
    value = execute(_BUMP, {"on_day": day}).scalar()
    if value is None:
        try:
            with db.session.begin_nested():
                execute(_FIRST, {"day": day})
            value = 1
        except IntegrityError:  # another worker created today's row first
            value = execute(_BUMP, {"on_day": day}).scalar()
    return f"HY{day:%Y%m%d}-{value:06d}"
