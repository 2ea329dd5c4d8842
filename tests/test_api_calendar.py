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


# --- the calendar the product uses, for administrators ----------------------------------------------

CALENDAR = "/api/v1/admin/calendar"
DEADLINE = f"{CALENDAR}/deadline"
SEPT_30 = "2026-09-30T10:00:00"


def test_the_year_lists_every_date_with_whether_and_why_it_is_a_working_day(client, admin):
    # given an administrator's holiday on an ordinary Friday
    client.put(f"{URL}/2026-10-09", json={"kind": "holiday", "note": "台风停工"}, headers=admin)

    # when the year 2026 is asked for
    answer = client.get(CALENDAR, query_string={"year": 2026}, headers=admin)

    # then every date is there, in order, with the reason the library or the override gives
    assert answer.status_code == 200, answer.json
    days = {d["date"]: d for d in answer.json["days"]}
    assert answer.json["year"] == 2026 and len(answer.json["days"]) == 365
    assert list(days) == sorted(days)
    facts = {
        "2026-10-01": (False, "official_holiday", "National Day", 4),
        "2026-10-07": (False, "official_holiday", "Day off (substituted from 10/10/2026)", 3),
        "2026-10-10": (True, "official_workday", "", 6),   # make-up working Saturday
        "2026-09-20": (True, "official_workday", "", 7),   # make-up working Sunday
        "2026-02-14": (True, "official_workday", "", 6),   # Spring Festival make-up Saturday
        "2026-10-04": (False, "weekend", "", 7),
        "2026-09-30": (True, "weekday", "", 3),
        "2026-10-08": (True, "weekday", "", 4),            # the first working day after National Day
        "2026-10-09": (False, "override", "台风停工", 5),
    }
    for day, (working, reason, note, weekday) in facts.items():
        assert (days[day]["working_day"], days[day]["reason"], days[day]["note"], days[day]["weekday"]) == (
            working, reason, note, weekday), day
    makeup = [d for d, v in days.items() if v["reason"] == "official_workday"]
    assert makeup == ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]

    # and it is the calendar deadlines use, date by date
    db.session.expire_all()
    assert all(v["working_day"] == calendar.is_working_day(date.fromisoformat(d)) for d, v in days.items())
    assert answer.json["working_days"] == sum(v["working_day"] for v in days.values())


def test_one_date_is_answered_on_its_own(client, admin):
    saturday = client.get(f"{CALENDAR}/days/2026-10-10", headers=admin)
    assert saturday.status_code == 200
    assert saturday.json == {"date": "2026-10-10", "weekday": 6, "working_day": True,
                             "reason": "official_workday", "note": ""}
    client.put(f"{URL}/2026-10-10", json={"kind": "holiday", "note": "补休"}, headers=admin)
    assert client.get(f"{CALENDAR}/days/2026-10-10", headers=admin).json["reason"] == "override"
    assert client.get(f"{CALENDAR}/days/2026-10-10", headers=admin).json["working_day"] is False


@pytest.mark.parametrize("start", ["2026-09-30T10:00:00+08:00", "2026-09-30T02:00:00",
                                   "2026-09-30T02:00:00Z"])
def test_the_deadline_is_computed_as_deadlines_are(client, admin, start):
    # 5 working days from the day before National Day: 8, 9, 10 (make-up Saturday), 12, 13 October
    question = {"from": start, "amount": 5, "unit": "working_days"}
    answer = client.get(DEADLINE, headers=admin, query_string=question)
    assert answer.status_code == 200, answer.json
    assert answer.json["deadline"] == "2026-10-13T09:30:00+00:00"
    assert answer.json["deadline_local"] == "2026-10-13T17:30:00+08:00"
    assert answer.json["from"] == "2026-09-30T02:00:00+00:00"
    assert (answer.json["amount"], answer.json["unit"]) == (5, "working_days")


def test_the_deadline_follows_overrides_and_every_unit_of_the_limit_table(client, admin):
    def deadline(amount, unit, start="2026-09-16T11:00:00+08:00"):
        question = {"from": start, "amount": amount, "unit": unit}
        answer = client.get(DEADLINE, headers=admin, query_string=question)
        assert answer.status_code == 200, answer.json
        return answer.json["deadline_local"]

    assert deadline(2, "working_hours") == "2026-09-16T14:30:00+08:00"  # lunch is skipped
    assert deadline(30, "minutes") == "2026-09-16T11:30:00+08:00"
    assert deadline(1.5, "hours") == "2026-09-16T12:30:00+08:00"
    assert deadline(2, "calendar_days") == "2026-09-18T11:00:00+08:00"
    assert deadline(1, "working_days") == "2026-09-17T17:30:00+08:00"
    client.put(f"{URL}/2026-09-17", json={"kind": "holiday"}, headers=admin)
    assert deadline(1, "working_days") == "2026-09-18T17:30:00+08:00"


@pytest.mark.parametrize("path, query, field", [
    (CALENDAR, {"year": 1899}, "year"),
    (CALENDAR, {"year": 2201}, "year"),
    (CALENDAR, {"year": "next"}, "year"),
    (f"{CALENDAR}/days/2026-02-30", {}, "day"),
    (f"{CALENDAR}/days/9999-01-01", {}, "day"),
    (f"{CALENDAR}/days/20261001", {}, "day"),
    (DEADLINE, {"from": "yesterday", "amount": 1, "unit": "working_days"}, "from"),
    (DEADLINE, {"amount": 1, "unit": "working_days"}, "from"),
    (DEADLINE, {"from": "0001-01-01T00:00:00+08:00", "amount": 1, "unit": "hours"}, "from"),
    (DEADLINE, {"from": "9999-12-31T23:00:00-05:00", "amount": 1, "unit": "hours"}, "from"),
    (DEADLINE, {"from": SEPT_30, "amount": -1, "unit": "working_days"}, "amount"),
    (DEADLINE, {"from": SEPT_30, "amount": 1.5, "unit": "working_days"}, "amount"),
    (DEADLINE, {"from": SEPT_30, "amount": 61, "unit": "working_days"}, "amount"),
    (DEADLINE, {"from": SEPT_30, "amount": "1e400", "unit": "hours"}, "amount"),
    (DEADLINE, {"from": SEPT_30, "amount": "nan", "unit": "hours"}, "amount"),
    (DEADLINE, {"from": SEPT_30, "amount": "five", "unit": "hours"}, "amount"),
    (DEADLINE, {"from": SEPT_30, "amount": 1, "unit": "fortnights"}, "unit"),
])
def test_bad_calendar_questions_answer_422_by_field(client, admin, path, query, field):
    answer = client.get(path, query_string=query, headers=admin)
    assert answer.status_code == 422, answer.json
    assert field in answer.json["errors"], answer.json


@pytest.mark.parametrize("path", [f"{CALENDAR}?year=2026", f"{CALENDAR}/days/2026-10-01",
                                  f"{DEADLINE}?from={SEPT_30}&amount=1&unit=hours"])
def test_the_calendar_questions_are_for_administrators_only(client, people, path):
    assert client.get(path).status_code == 401
    assert client.get(path, headers=f.auth(client, "registrar")).status_code == 403


def test_R19_a_range_of_overrides_is_set_at_once_over_the_api(client, admin):
    # when the administrator makes a week of 2027 holidays with one request
    week = {"from": "2027-05-03", "to": "2027-05-09", "kind": "holiday", "note": "假期"}
    saved = client.post(URL, json=week, headers=admin)
    # then all seven dates are overrides and count as days off
    assert saved.status_code == 200, saved.json
    assert [row["day"] for row in saved.json] == [f"2027-05-0{d}" for d in range(3, 10)]
    assert not any(calendar.is_working_day(date(2027, 5, d)) for d in range(3, 10))


@pytest.mark.parametrize("body, field", [
    ({"from": "2027-05-09", "to": "2027-05-03", "kind": "holiday"}, "to"),
    ({"from": "2027-01-01", "to": "2027-03-02", "kind": "holiday"}, "to"),
    ({"from": "2027-05-03", "to": "2027-05-04", "kind": "sometimes"}, "kind"),
    ({"from": "0001-01-01", "to": "0001-01-02", "kind": "holiday"}, "from"),
])
def test_R19_a_bad_range_answers_422_by_field_and_changes_nothing(client, admin, body, field):
    refused = client.post(URL, json=body, headers=admin)
    assert refused.status_code == 422 and field in refused.json["errors"], refused.json
    assert db.session.query(CalendarOverride).count() == 0
