"""Human-friendly case numbers: HY + local date + a per-day sequence, e.g. HY20261122-000123."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from app.cases.models import CaseNumberCounter
from app.extensions import db


def local_today() -> date:
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def next_case_number(day: date | None = None) -> str:
    """Take the next number of the day. The UPDATE locks the counter row until the caller's
    transaction ends, so concurrent workers never hand out the same number."""
    day = day or local_today()
    bump = (update(CaseNumberCounter).where(CaseNumberCounter.day == day)
            .values(last_value=CaseNumberCounter.last_value + 1)
            .returning(CaseNumberCounter.last_value))
    value = db.session.execute(bump).scalar()
    if value is None:
        try:
            with db.session.begin_nested():
                db.session.add(CaseNumberCounter(day=day, last_value=1))
            value = 1
        except IntegrityError:  # another worker created today's row first
            value = db.session.execute(bump).scalar()
    return f"HY{day:%Y%m%d}-{value:06d}"
