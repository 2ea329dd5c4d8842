"""周分析 (R31): a scheduled job finds each county's overdue, long-unsolved, group and repeated cases
and delivers one notification per county leader with a link to the list — once per county and
week, however many schedulers run it. Real APScheduler; definitions in docs/statistics.md."""
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.cases.models import Case
from app.clock import utcnow
from app.engine.models import HumanTask
from app.extensions import db
from app.notifications.dispatcher import dispatch_due
from app.notifications.models import Notification, OutboxMessage
from app.organisation.models import Territory
from app.scheduler import build_scheduler
from app.statistics import weekly
from app.statistics.analysis_models import WeeklyAnalysis, WeeklyAnalysisCase
from app.timelimits import calendar
from tests import factories as f
from tests.complaint_city import Desk, build_city
from tests.web_helpers import signed_in

_TOKENS: dict = {}
LAMP = "兴隆村东头路灯不亮，晚上出行不便"


@pytest.fixture
def city(app):
    _TOKENS.clear()
    made = build_city()
    whole_city = db.session.scalar(select(Territory).where(Territory.code == "210900"))
    county_b = f.territory("210922", "county", whole_city, name="彰武县")
    centre_b = f.unit("C-ZHANGWU", "county", territory=county_b, kind="centre")
    f.user("leader_b", (centre_b, "leader"))
    # the county's leaders: leader roles in units of the county's own territory
    f.user("secretary", (made["units"]["county"], "leader"))
    f.user("deputy", (made["units"]["lead"], "leader"), (made["units"]["lead"], "handler"))
    return made


def register(client, title: str, phone: str, units: dict | None = None) -> str:
    """A request registered; with `units`, dispatched to the village too."""
    desk = Desk(client, tokens=_TOKENS)
    if units:
        desk.village_case(units, title=title, requester_phone=phone)
    else:
        desk.register(title=title, requester_phone=phone)
    return desk.number


def cases_of_the_week(client, city) -> dict[str, str]:
    """An overdue case, a case open for 60 days, the same caller twice about the lamp (repeated),
    and a fresh case of nothing special."""
    made = {"overdue": register(client, "自来水发黄有异味", "13900000001", city["units"]),
            "long": register(client, "供暖费多收了要求退还", "13900000002"),
            "first": register(client, LAMP, "13900000003"),
            "again": register(client, LAMP, "13900000003"),
            "fresh": register(client, "小区广场舞噪音太大", "13900000004")}
    ids = {key: db.session.scalar(select(Case.id).where(Case.number == number))
           for key, number in made.items()}
    db.session.execute(update(HumanTask).where(HumanTask.case_id == ids["overdue"],
                                               HumanTask.status == "open")
                       .values(due_at=utcnow() - timedelta(hours=1)))
    db.session.execute(update(Case).where(Case.id == ids["long"])
                       .values(created_at=utcnow() - timedelta(days=60)))
    db.session.commit()
    return made


def county_analysis(code: str) -> WeeklyAnalysis:
    return db.session.scalar(select(WeeklyAnalysis)
                             .join(Territory, Territory.id == WeeklyAnalysis.territory_id)
                             .where(Territory.code == code))


def listed(analysis: WeeklyAnalysis) -> dict[str, str]:
    return dict(db.session.execute(select(Case.number, WeeklyAnalysisCase.reasons)
                                   .join(WeeklyAnalysisCase, WeeklyAnalysisCase.case_id == Case.id)
                                   .where(WeeklyAnalysisCase.analysis_id == analysis.id)).all())


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_R31_two_schedulers_deliver_one_weekly_analysis_per_county_leader(client, app, city):
    # given the week's cases, and the analysis due already this week
    made = cases_of_the_week(client, city)
    app.config.update(WEEKLY_ANALYSIS_AT="mon 00:00", WEEKLY_ANALYSIS_POLL_SECONDS=0.1)
    county_leaders = {f.user_id(name) for name in ("secretary", "deputy")}
    everyone = county_leaders | {f.user_id("leader_b")}

    def delivered() -> int:
        return db.session.scalar(select(func.count()).select_from(Notification)
                                 .where(Notification.kind == weekly.KIND))

    # when two schedulers run the job every 0.1 s for a while
    schedulers = [build_scheduler(app), build_scheduler(app)]
    for scheduler in schedulers:
        scheduler.start()
    try:
        assert wait_until(lambda: delivered() >= len(everyone), timeout=30)
        time.sleep(1.0)  # many more runs of the job in the same week
    finally:
        for scheduler in schedulers:
            scheduler.shutdown()
    db.session.rollback()
    # then each county was analysed once, and each county leader has exactly one notification
    assert db.session.scalar(select(func.count()).select_from(WeeklyAnalysis)) == 2
    told = db.session.execute(select(Notification.user_id, func.count())
                              .where(Notification.kind == weekly.KIND).group_by(Notification.user_id)).all()
    assert dict(told) == dict.fromkeys(everyone, 1)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == weekly.KIND, OutboxMessage.channel == "in_app")) == len(everyone)
    # and the first county's list holds exactly the overdue, long-unsolved and repeated cases
    county = county_analysis("210921")
    assert listed(county) == {made["overdue"]: "overdue", made["long"]: "long_unsolved",
                              made["first"]: "repeated", made["again"]: "repeated"}
    assert (county.overdue, county.long_unsolved, county.group_cases, county.repeated) == (1, 1, 0, 2)
    # and the secretary's notification links to it
    secretary = f.user_id("secretary")
    text = db.session.scalar(select(Notification.text).where(Notification.user_id == secretary))
    assert f"/statistics/weekly/{county.id}" in text


def test_R31_the_weekly_list_shows_exactly_the_cases_to_county_leaders_only(client, app, city):
    made = cases_of_the_week(client, city)
    app.config["WEEKLY_ANALYSIS_AT"] = "mon 00:00"
    assert weekly.run() == 2
    assert weekly.run() == 0  # the same week again: nothing more
    county = county_analysis("210921")
    page = signed_in(client, "secretary").get(f"/statistics/weekly/{county.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    shown = {number for number in made.values() if number in html}
    assert shown == {made["overdue"], made["long"], made["first"], made["again"]}
    # the other county's leader does not see it
    assert signed_in(client, "leader_b").get(f"/statistics/weekly/{county.id}").status_code == 404
    # and the bell links to the list
    dispatch_due(app)
    bell = signed_in(client, "secretary").get("/notifications").get_data(as_text=True)
    assert f'href="/statistics/weekly/{county.id}"' in bell


def test_long_unsolved_counts_working_days_on_the_calendar(app):
    now = utcnow()
    since = weekly.long_unsolved_since(now, 30)
    # registered just before `since`: its 30 working days have passed; at `since`: not yet
    assert calendar.add(since - timedelta(minutes=1), 30, "working_days") < now
    assert calendar.add(since, 30, "working_days") >= now
