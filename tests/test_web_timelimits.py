"""Web pages for time limits (R18, R20, R23): the limit table with its change log and the yellow
share, the calendar overrides and the admin warning about next year, the lights on the home page
and the bell."""
import re
from datetime import date, timedelta

import pytest
from flask_babel import refresh
from sqlalchemy import event, func, select, update

from app.audit.models import AdminChange
from app.clock import utcnow
from app.engine.models import HumanTask
from app.extensions import db
from app.notifications.models import Notification
from app.timelimits import calendar, limits
from app.timelimits.lights import Remaining
from app.timelimits.models import TimeLimit
from app.web.labels import time_left
from tests import factories as f
from tests.web_helpers import post_form, signed_in

ADMIN_ONLY = ("/admin/time-limits", "/admin/calendar")
WORKING_DAY = timedelta(hours=7, minutes=30)


@pytest.fixture
def people(app):
    city = f.territory("210900", "city")
    centre = f.unit("C210900", "city", territory=city, kind="centre")
    return {"admin": f.user("admin", (centre, "administrator")),
            "clerk": f.user("clerk", (centre, "registrar"))}


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def general_handling() -> TimeLimit:
    return limits.find_limit("handling")


def test_an_administrator_changes_the_handling_limit_and_sees_the_change_log(client, people):
    signed_in(client, "admin")
    html = page(client, "/admin/time-limits")
    assert "修改记录" in html and "尚无修改" in html
    row = general_handling()
    assert row.amount == 5
    # the edit link fills the form with the row
    edit = page(client, f"/admin/time-limits?edit={row.id}")
    assert re.search(r'id="f-amount" name="amount" type="text" value="5"', edit)
    saved = post_form(client, "/admin/time-limits", {"phase": "handling", "request_type": "", "klass": "",
                                                     "complexity": "", "level": "", "amount": "6",
                                                     "unit": "working_days"})
    assert saved.status_code == 302
    db.session.expire_all()
    assert general_handling().amount == 6 and general_handling().id == row.id
    html = page(client, "/admin/time-limits")
    log = html[html.index('id="limit-changes"'):]
    assert "Admin" in log and "admin" in log
    assert re.search(r"5 工作日 <small class=\"code\">working_days</small>\s*→\s*6 工作日", log)
    change = db.session.scalars(select(AdminChange).where(AdminChange.entity == "time_limit")).one()
    assert change.old["amount"] == 5 and change.new["amount"] == 6 and change.user_id == people["admin"].id


def test_an_invalid_amount_shows_the_field_error_and_changes_nothing(client, people):
    signed_in(client, "admin")
    before = [limits.as_dict(r) for r in limits.all_limits()]
    for amount, message in (("abc", "须为数字"), ("0", "须大于 0"), ("1.5", "工作日须为整数")):
        refused = post_form(client, "/admin/time-limits", {"phase": "handling", "amount": amount,
                                                           "unit": "working_days"})
        html = refused.get_data(as_text=True)
        assert refused.status_code == 422
        assert 'id="f-amount-error"' in html and message in html and 'aria-invalid="true"' in html
        assert f'value="{amount}"' in html  # the typed value is shown again
    unknown = post_form(client, "/admin/time-limits", {"phase": "lunch", "amount": "1", "unit": "fortnights"})
    html = unknown.get_data(as_text=True)
    assert unknown.status_code == 422 and 'id="f-phase-error"' in html and 'id="f-unit-error"' in html
    db.session.expire_all()
    assert [limits.as_dict(r) for r in limits.all_limits()] == before
    assert db.session.scalar(select(func.count()).select_from(AdminChange)) == 0


def test_an_administrator_sets_the_yellow_share(client, people):
    signed_in(client, "admin")
    assert 'value="0.25"' in page(client, "/admin/time-limits")
    refused = post_form(client, "/admin/time-limits/yellow-share", {"yellow_share": "1.5"})
    assert refused.status_code == 422 and 'id="s-yellow_share-error"' in refused.get_data(as_text=True)
    assert limits.yellow_share() == 0.25
    assert post_form(client, "/admin/time-limits/yellow-share", {"yellow_share": "0.4"}).status_code == 302
    db.session.expire_all()
    assert limits.yellow_share() == 0.4


def test_non_administrators_get_403(client, people):
    signed_in(client, "clerk")
    for path in ADMIN_ONLY:
        response = client.get(path)
        assert response.status_code == 403 and response.mimetype == "text/html", path
    for path, data in (("/admin/time-limits", {"phase": "handling", "amount": "9", "unit": "working_days"}),
                       ("/admin/time-limits/yellow-share", {"yellow_share": "0.5"}),
                       ("/admin/calendar", {"day": "2030-01-05", "kind": "workday", "note": ""}),
                       ("/admin/calendar/delete", {"day": "2030-01-05"})):
        assert post_form(client, path, data).status_code == 403, path
    assert general_handling().amount == 5 and limits.yellow_share() == 0.25
    assert calendar.is_working_day(date(2030, 1, 5)) is False
    signed_in(client, "admin")
    for path in ADMIN_ONLY:
        assert client.get(path).status_code == 200, path


def override(client, day: str, kind: str, note: str = ""):
    return post_form(client, "/admin/calendar", {"day": day, "kind": kind, "note": note})


def test_an_override_added_on_the_calendar_page_is_listed_and_used(client, people):
    saturday = date(2030, 1, 5)
    assert saturday.weekday() == 5 and calendar.is_working_day(saturday) is False
    signed_in(client, "admin")
    saved = override(client, "2030-01-05", "workday", "调休 <b>")
    assert saved.status_code == 302 and saved.location.endswith("/admin/calendar?year=2030")
    html = page(client, "/admin/calendar?year=2030")
    table = html[html.index('id="overrides"'):]
    assert "2030-01-05" in table and "workday" in table and "调休 &lt;b&gt;" in table
    assert "2030-01-05" not in page(client, "/admin/calendar?year=2031")
    assert calendar.is_working_day(saturday) is True
    # the same date again replaces the override
    assert override(client, "2030-01-05", "holiday").status_code == 302
    assert calendar.is_working_day(date(2030, 1, 7)) is True  # a Monday, untouched
    assert override(client, "2030-01-07", "holiday").status_code == 302
    assert calendar.is_working_day(saturday) is False and calendar.is_working_day(date(2030, 1, 7)) is False
    bad = override(client, "2030-02-30", "sometimes")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="f-day-error"' in html and 'id="f-kind-error"' in html
    deleted = post_form(client, "/admin/calendar/delete", {"day": "2030-01-07"})
    assert deleted.status_code == 302
    assert calendar.is_working_day(date(2030, 1, 7)) is True
    assert post_form(client, "/admin/calendar/delete", {"day": "2030-01-07"}).status_code == 404


def test_the_calendar_page_shows_the_years_official_holidays_make_up_days_and_overrides(client, people):
    signed_in(client, "admin")
    assert override(client, "2026-10-09", "holiday", "台风停工").status_code == 302
    html = page(client, "/admin/calendar?year=2026")
    table = html[html.index('id="calendar-days"'):html.index('id="overrides"')]
    rows = {row.split('datetime="')[1][:10]: row for row in table.split("<tr")[2:]}
    for day, words in (("2026-10-01", ("国庆节", "法定节假日", "休息日")),
                       ("2026-10-10", ("法定调休上班日", "工作日", "星期六")),
                       ("2026-10-09", ("管理员调整", "台风停工"))):
        assert all(word in rows[day] for word in words), day
    assert "2026-10-08" not in rows and "2026-10-04" not in rows  # ordinary weekdays and weekends
    english = client.get("/admin/calendar?year=2026", headers={"Accept-Language": "en"})
    english = english.get_data(as_text=True)
    assert "National Day" in english and "Official make-up working day" in english


def test_the_calendar_page_checks_a_deadline_before_a_limit_applies(client, people):
    signed_in(client, "admin")
    checked = page(client, "/admin/calendar?year=2026&from=2026-09-30T10:00&amount=5&unit=working_days")
    result = checked[checked.index('id="deadline-result"'):]
    assert "2026-10-13 17:30" in result.split("</p>")[0] and "星期二" in result.split("</p>")[0]
    assert 'value="2026-09-30T10:00"' in checked and 'value="5"' in checked
    refused = client.get("/admin/calendar?from=soon&amount=-2&unit=fortnights")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="deadline-result"' not in html
    assert all(f'id="d-{name}-error"' in html for name in ("from", "amount", "unit"))


@pytest.mark.parametrize("unconfirmed", [True, False])
def test_the_admin_index_warns_when_next_years_arrangement_is_unconfirmed(client, people, monkeypatch,
                                                                         unconfirmed):
    asked = []

    def next_year_unconfirmed(today):
        asked.append(today)
        return unconfirmed

    monkeypatch.setattr(calendar, "next_year_unconfirmed", next_year_unconfirmed)
    signed_in(client, "admin")
    html = page(client, "/admin")
    assert asked and isinstance(asked[0], date)
    assert ("明年放假调休安排尚未确认" in html) is unconfirmed
    assert ('id="calendar-warning"' in html) is unconfirmed


def test_the_bell_counts_unread_notifications_and_mark_all_read_clears_them(client, people):
    admin, clerk = people["admin"], people["clerk"]
    now = utcnow()

    def note(user, text, hours_ago, **extra):
        return Notification(user_id=user.id, kind="task", text=text,
                            created_at=now - timedelta(hours=hours_ago), **extra)

    db.session.add_all([note(clerk, "旧通知 <i>first</i>", 2), note(clerk, "新通知 second", 1),
                        note(clerk, "已读 read", 3, read_at=now), note(admin, "someone else's", 0)])
    db.session.commit()
    signed_in(client, "clerk")
    home = page(client, "/")
    assert 'id="unread-count">2<' in home and 'href="/notifications"' in home
    counted = []

    def count_queries(conn, cursor, statement, *args):
        if "count(" in statement.lower() and "notification" in statement.lower():
            counted.append(statement)

    event.listen(db.engine, "before_cursor_execute", count_queries)
    try:
        listing = page(client, "/notifications")  # the header and the page both ask for the count
    finally:
        event.remove(db.engine, "before_cursor_execute", count_queries)
    assert len(counted) == 1
    texts = ("新通知 second", "旧通知 &lt;i&gt;first&lt;/i&gt;", "已读 read")
    positions = [listing.index(text) for text in texts]
    assert positions == sorted(positions)  # newest first
    assert "someone else" not in listing
    assert post_form(client, "/notifications/read-all").status_code == 302
    assert 'id="unread-count">0<' in page(client, "/notifications")
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.read_at.is_(None))) == 1  # the admin's
    signed_in(client, "admin")
    assert 'id="unread-count">1<' in page(client, "/")


def test_a_task_past_its_due_date_shows_the_red_light(client, app):
    county = f.county_with_two_townships()
    own = county["210902001"]
    now = utcnow()
    db.session.execute(update(HumanTask).where(HumanTask.case_id == own.id)
                       .values(created_at=now - timedelta(days=3), due_at=now - timedelta(hours=1)))
    db.session.commit()
    signed_in(client, "handler_a1")
    html = page(client, "/")
    item = html[html.index(own.number) - 400:html.index(own.number)]
    assert 'class="light light-red"' in item and "红灯" in item and "red" in item
    assert "超期" in item  # beside the light: how long it is overdue, in working time
    db.session.execute(update(HumanTask).where(HumanTask.case_id == own.id)
                       .values(due_at=now + timedelta(days=30)))
    db.session.commit()
    html = page(client, "/")
    assert 'class="light light-blue"' in html and "蓝灯" in html and "light-red" not in html


# --- a range of overrides, the official calendar, re-applying a changed limit (issue 14) ----------

def override_range(client, first: str, last: str, kind: str = "holiday", note: str = ""):
    return post_form(client, "/admin/calendar", {"day": first, "to": last, "kind": kind, "note": note})


def test_R19_a_holiday_week_is_entered_at_once(client, people):
    # given an administrator on the calendar page of 2030
    signed_in(client, "admin")
    assert 'id="f-to"' in page(client, "/admin/calendar?year=2030")
    # when a local holiday week is entered as one range
    saved = override_range(client, "2030-02-04", "2030-02-10", note="春节 <b>")
    assert saved.status_code == 302 and saved.location.endswith("/admin/calendar?year=2030")
    # then every date of it is a day off, each change audited as if set alone, and the page lists them
    assert not any(calendar.is_working_day(date(2030, 2, d)) for d in range(4, 11))
    assert calendar.is_working_day(date(2030, 2, 11))
    assert db.session.scalar(select(func.count()).select_from(AdminChange)
                             .where(AdminChange.entity == "calendar_override")) == 7
    html = page(client, "/admin/calendar?year=2030")
    assert "2030-02-04" in html and "2030-02-10" in html and "春节 &lt;b&gt;" in html and "<b>" not in html
    assert "7" in html[html.index('class="notice success"'):].split("</p>")[0]


@pytest.mark.parametrize("first, last", [("2030-03-10", "2030-03-09"),   # ends before it starts
                                         ("2030-01-01", "2030-03-02"),   # 61 days: 60 is the most
                                         ("2030-03-10", "2030-13-01")])  # not a date
def test_R19_a_bad_range_names_the_last_date_and_changes_nothing(client, people, first, last):
    signed_in(client, "admin")
    refused = override_range(client, first, last)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="f-to-error"' in html and 'id="f-day-error"' not in html
    assert "60" in html[html.index('id="f-to-error"'):].split("</p>")[0]
    assert db.session.scalar(select(func.count()).select_from(AdminChange)) == 0
    assert calendar.is_working_day(date(2030, 3, 11))


def test_R19_sixty_days_at_once_are_accepted(client, people):
    signed_in(client, "admin")
    assert override_range(client, "2030-01-01", "2030-03-01", "workday").status_code == 302
    assert calendar.is_working_day(date(2030, 3, 2)) is False  # a Saturday, the 61st day, untouched
    assert calendar.is_working_day(date(2030, 1, 5)) is True


def test_R19_an_overridden_official_holiday_still_shows_what_the_state_council_announced(client, people):
    # given National Day 2026 made a working day by an override
    signed_in(client, "admin")
    assert override(client, "2026-10-01", "workday", "抢险").status_code == 302
    # when the administrator picks the year 2026
    html = page(client, "/admin/calendar?year=2026")
    assert 'id="year-form"' in html and 'name="year" type="number"' in html
    # then the row says it counts as a working day by the override, and what the official calendar says
    table = html[html.index('id="calendar-days"'):html.index('id="overrides"')]
    rows = {row.split('datetime="')[1][:10]: row for row in table.split("<tr")[2:]}
    official = rows["2026-10-01"].split('class="official">')[1]
    assert "管理员调整" in rows["2026-10-01"] and "法定节假日" in official and "国庆节" in official
    assert "法定调休上班日" in rows["2026-10-10"].split('class="official">')[1]


def test_R23_the_time_limit_page_says_running_cases_keep_their_deadlines(client, people):
    signed_in(client, "admin")
    html = page(client, "/admin/time-limits")
    notice = html[html.index('id="running-cases-notice"'):].split("</p>")[0]
    assert "重新应用" in notice and 'href="#reapply-heading"' in notice
    assert 'action="/admin/time-limits/reapply"' in html


@pytest.fixture
def running_case(app, people):
    """A case open at a village handler: its handling deadline timers wait."""
    f.deploy("simple_complaint.bpmn")
    village = f.unit("U-VILLAGE", "village", territory=f.territory("210902001001", "village"))
    f.user("village_handler", (village, "handler"))
    return f.case(unit_row=village)


def handling_due(case_id):
    return db.session.scalar(select(HumanTask.due_at).where(HumanTask.case_id == case_id))


def test_R23_a_changed_limit_reaches_running_cases_only_when_re_applied(client, running_case):
    # given a running case under the general 5-working-day handling limit
    before = handling_due(running_case.id)
    signed_in(client, "admin")
    # when the administrator makes it 10 working days
    saved = post_form(client, "/admin/time-limits", {"phase": "handling", "request_type": "", "klass": "",
                                                     "complexity": "", "level": "", "amount": "10",
                                                     "unit": "working_days"})
    assert saved.status_code == 302 and "changed=handling" in saved.location
    # then the page says the running case still has its old deadline, and offers to re-apply
    html = page(client, "/admin/time-limits?changed=handling")
    said = html[html.index('id="changed-notice"'):].split("</p>")[0]
    assert "1" in said and "办理" in said
    assert re.search(r'<option value="handling" selected>', html)
    db.session.expire_all()
    assert handling_due(running_case.id) == before
    # when it re-applies the phase
    done = post_form(client, "/admin/time-limits/reapply", {"phase": "handling"})
    assert done.status_code == 302
    # then the case's deadline moves to the new limit and the page says how many moved
    db.session.expire_all()
    assert handling_due(running_case.id) > before + timedelta(days=5)
    assert "2" in page(client, "/admin/time-limits").split('class="notice success"')[1].split("</p>")[0]


def test_R23_re_applying_needs_a_phase_and_an_administrator(client, running_case):
    signed_in(client, "clerk")
    assert post_form(client, "/admin/time-limits/reapply", {"phase": "handling"}).status_code == 403
    signed_in(client, "admin")
    refused = post_form(client, "/admin/time-limits/reapply", {"phase": "no_such_phase"})
    assert refused.status_code == 422 and 'id="r-phase-error"' in refused.get_data(as_text=True)


@pytest.mark.parametrize("left, chinese, english", [
    (Remaining(timedelta(hours=10, minutes=30), False, WORKING_DAY),
     "剩 1 工作日 3 小时", "1 working day 3 h left"),
    (Remaining(timedelta(hours=17), False, WORKING_DAY), "剩 2 工作日 2 小时", "2 working days 2 h left"),
    (Remaining(timedelta(minutes=25, seconds=59), False, WORKING_DAY), "剩 25 分钟", "25 min left"),
    (Remaining(timedelta(hours=1, minutes=5), False, None), "剩 1 小时 5 分钟", "1 h 5 min left"),
    (Remaining(timedelta(seconds=30), False, WORKING_DAY), "剩余不足 1 分钟", "Less than a minute left"),
    (Remaining(timedelta(hours=2), True, WORKING_DAY), "超期 2 小时", "2 h overdue"),
    (Remaining(3 * WORKING_DAY, True, WORKING_DAY), "超期 3 工作日", "3 working days overdue"),
    (Remaining(timedelta(0), True, WORKING_DAY), "已超期", "Overdue"),
])
def test_R20_the_time_left_reads_as_a_handler_says_it(app, left, chinese, english):
    for language, expected in (("zh-CN", chinese), ("en", english)):
        with app.test_request_context(headers={"Accept-Language": language}):
            refresh()  # the locale is cached on the test's application context
            assert time_left(left) == expected
