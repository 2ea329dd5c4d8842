"""Links that leave a request: notifications carry the web address of the list they announce (on
PUBLIC_BASE_URL when set, else a path on this site), and dates are told in local days."""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def site_url(path: str) -> str:
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    return f"{base}{path}"


def local_day(moment: datetime) -> date:
    """The local day of a naive-UTC time."""
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()
