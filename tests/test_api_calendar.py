"""Calendar overrides and the next-year warning over the admin API (R19): administrators only,
bad dates and kinds answer 422 with field errors, and an override changes the working-day calendar."""
from datetime import date, datetime

import pytest

from app.api import timelimits as api_timelimits
from app.extensions import db
from app.timelimits import calendar
from app.timelimits.models import CalendarOverride
from tests import factories as f

URL = "/api/v1/admin/calendar/overrides"
SUNDAY = "2027-02-21"


@pytest.fixture
def people(app):
    centre = f.unit("210900-CENTER", "city", kind="centre")
    f.user("admin", (centre, "administrator"))
    f.user("registrar", (centre, "registrar"), (centre, "process_designer"))


@pytest.fixture
def admin(client, people):
    return f.auth(client, "admin")


def test_overrides_are_created_changed_listed_and_deleted(client, admin):
    # given a Sunday that is a day off
    assert date.fromisoformat(SUNDAY).weekday() == 6
    assert not calendar.is_working_day(date.fromisoformat(SUNDAY))

    # when the administrator makes it a make-up working day, and 2027-10-08 a holiday
    put = client.put(f"{URL}/{SUNDAY}", json={"kind": "workday", "note": "春节调休"}, headers=admin)
    assert put.status_code == 200, put.json
    assert put.json["day"] == SUNDAY and put.json["kind"] == "workday" and put.json["note"] == "春节调休"
    assert put.json["updated_by_id"] == f.user_id("admin")
    client.put(f"{URL}/2027-10-08", json={"kind": "holiday"}, headers=admin)
    client.put(f"{URL}/2026-12-31", json={"kind": "holiday", "note": "other year"}, headers=admin)

    # then the calendar counts the Sunday as a working day
    db.session.expire_all()
    assert calendar.is_working_day(date.fromisoformat(SUNDAY))
    assert not calendar.is_working_day(date(2027, 10, 8))

    # and the year's list has both, by date; without a year every override is listed
    listed = client.get(URL, query_string={"year": 2027}, headers=admin)
    assert listed.status_code == 200
    assert [(o["day"], o["kind"]) for o in listed.json] == [(SUNDAY, "workday"), ("2027-10-08", "holiday")]
    assert len(client.get(URL, headers=admin).json) == 3

    # when the override is changed (upsert), there is still one row for the date
    again = client.put(f"{URL}/{SUNDAY}", json={"kind": "holiday", "note": "changed"}, headers=admin)
    assert again.status_code == 200 and again.json["kind"] == "holiday"
    assert db.session.scalar(db.select(db.func.count()).select_from(CalendarOverride)
                             .where(CalendarOverride.day == date(2027, 2, 21))) == 1

    # when it is deleted, the Sunday is a day off again; deleting it twice answers 404
    assert client.delete(f"{URL}/{SUNDAY}", headers=admin).status_code == 204
    db.session.expire_all()
    assert not calendar.is_working_day(date.fromisoformat(SUNDAY))
    missing = client.delete(f"{URL}/{SUNDAY}", headers=admin)
    assert missing.status_code == 404 and missing.json["code"] == "not_found"


@pytest.mark.parametrize("day, body, field", [
    ("2027-02-30", {"kind": "holiday"}, "day"),
    ("2027-2-3", {"kind": "holiday"}, "day"),
    ("20270203", {"kind": "holiday"}, "day"),
    ("tomorrow", {"kind": "holiday"}, "day"),
    ("2027-02-03", {"kind": "weekend"}, "kind"),
    ("2027-02-03", {}, "kind"),
    ("2027-02-03", {"kind": "holiday", "note": "x" * 201}, "note"),
    ("2027-02-03", {"kind": "holiday", "colour": "red"}, "colour"),
])
def test_bad_dates_and_kinds_answer_422_with_field_errors(client, admin, day, body, field):
    response = client.put(f"{URL}/{day}", json=body, headers=admin)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert db.session.scalar(db.select(db.func.count()).select_from(CalendarOverride)) == 0


def test_bad_date_on_delete_and_bad_year_answer_422(client, admin):
    assert client.delete(f"{URL}/2027-13-01", headers=admin).status_code == 422
    bad_year = client.get(URL, query_string={"year": "next"}, headers=admin)
    assert bad_year.status_code == 422 and "year" in bad_year.json["errors"]


@pytest.mark.parametrize("method, path", [("get", URL), ("put", f"{URL}/{SUNDAY}"),
                                          ("delete", f"{URL}/{SUNDAY}"),
                                          ("get", "/api/v1/admin/calendar/status")])
def test_calendar_endpoints_are_for_administrators_only(client, people, method, path):
    body = {"kind": "workday"}
    assert getattr(client, method)(path, json=body).status_code == 401
    registrar = f.auth(client, "registrar")
    response = getattr(client, method)(path, json=body, headers=registrar)
    assert response.status_code == 403 and response.json["code"] == "forbidden"
    assert db.session.scalar(db.select(db.func.count()).select_from(CalendarOverride)) == 0


def test_status_warns_in_december_when_next_year_is_unknown(client, admin, monkeypatch):
    # given a December day whose next year has no official make-up days in the library
    monkeypatch.setattr(api_timelimits, "local_today", lambda: date(2098, 12, 5))

    # when the dashboard asks, then next year is unconfirmed, with a message
    status = client.get("/api/v1/admin/calendar/status", headers=admin)
    assert status.status_code == 200
    assert status.json["today"] == "2098-12-05" and status.json["next_year"] == 2099
    assert status.json["next_year_unconfirmed"] is True and "2099" in status.json["message"]

    # when an administrator enters one override for next year, the warning goes
    client.put(f"{URL}/2099-01-01", json={"kind": "holiday"}, headers=admin)
    status = client.get("/api/v1/admin/calendar/status", headers=admin)
    assert status.json["next_year_unconfirmed"] is False and status.json["message"] == ""


def test_status_is_quiet_before_december(client, admin, monkeypatch):
    monkeypatch.setattr(api_timelimits, "local_today", lambda: date(2098, 6, 1))
    status = client.get("/api/v1/admin/calendar/status", headers=admin).json
    assert status["next_year_unconfirmed"] is False and status["next_year"] == 2099


def test_local_today_uses_the_configured_time_zone(app, monkeypatch):
    # 2027-01-31 20:00 UTC is already 1 February in Beijing
    monkeypatch.setattr(api_timelimits, "utcnow", lambda: datetime(2027, 1, 31, 20, 0))
    assert api_timelimits.local_today() == date(2027, 2, 1)


def test_working_hours_are_set_by_administrators_and_bad_sets_change_nothing(client, app):
    from app.timelimits import calendar

    unit = f.unit("C", "city")
    f.user("admin", (unit, "administrator"))
    headers = f.auth(client, "admin")
    assert client.get("/api/v1/admin/settings/working-hours", headers=headers).json == {
        "intervals": [["08:30", "12:00"], ["13:30", "17:30"]]}
    changed = client.put("/api/v1/admin/settings/working-hours", headers=headers,
                         json={"intervals": [["09:00", "12:00"], ["14:00", "18:00"]]})
    assert changed.status_code == 200 and changed.json["intervals"][1] == ["14:00", "18:00"]
    for bad in ([["12:00", "09:00"]], [["09:00", "13:00"], ["12:00", "18:00"]], [["9am", "5pm"]], []):
        refused = client.put("/api/v1/admin/settings/working-hours", headers=headers, json={"intervals": bad})
        assert refused.status_code == 422, (bad, refused.json)
    assert [(a.hour, b.hour) for a, b in calendar.working_hours()] == [(9, 12), (14, 18)]
