"""Statistics benchmark: a city's three years in PostgreSQL, and how fast the figures come back.

Fills a PostgreSQL database with the demo city's organisation (app/demo.py: 7 districts/counties,
their streets, townships, communities and villages, units and categories) and three years of
requests — by default 1,000,000 closed and 100,000 open — with their statistics facts
(case_record's columns, case_assignment, case_rating, unit assessments and accountability
referrals) and, for open requests, a process instance and an open task. Rows are generated in
Python from one seeded random stream and loaded with COPY, in one transaction, the tables'
secondary indexes dropped during the load and built again after it.

Then measures, through the statistics service as the API calls it (app/statistics/service.py,
with a real user of the role the API would see: the city's leader, and a district's leader):
the summary, the units' ranking, every breakdown and a drill-down's first page, for the last
year of the data, N calls after a warm-up, and prints median and p95 per endpoint and scope, and
the table sizes per million cases.

    make bench-statistics
    .venv/bin/python bench/statistics.py [--database URL] [--closed 1000000] [--open 100000]
                                         [--reps 30] [--warmup 3] [--only summary,units] [--explain]
                                         [--without-rollup] [--reload] [--fill-only]

A filled database is kept: a re-run with the same size measures at once; one filled with other
options or an older generator is refused, not emptied, unless `--reload` says so.
See bench/README.md, section "Statistics (a city's three years)".
"""
import sys
from pathlib import Path

# Run as a script, sys.path[0] is bench/, where this file would hide the standard library's
# `statistics`; the repository goes there instead.
HERE, REPO = Path(__file__).resolve().parent, Path(__file__).resolve().parents[1]
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

import bisect  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import date, datetime, timedelta  # noqa: E402
from functools import partial  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

# A fixed key, so create_app does not have to generate instance/secret_key.
os.environ.setdefault("SECRET_KEY", "huiyin-bench-not-secret")

from flask import current_app  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import create_app, demo  # noqa: E402
from app.accounts.models import User  # noqa: E402
from app.cases.models import Case  # noqa: E402
from app.cases.searchable import case_words  # noqa: E402
from app.clock import utcnow  # noqa: E402
from app.engine.models import ProcessDefinition  # noqa: E402
from app.extensions import db  # noqa: E402
from app.organisation.models import Category, Territory, Unit  # noqa: E402
from app.statistics import rollup, service  # noqa: E402
from bench.common import Timings, create_database, empty_schema, fill_parser, keep_fill, load_average  # noqa: E402

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_statistics"
PROTECTED_DATABASES = {"test", "postgres", "template0", "template1", "bench", "bench_inbox"}
PROCESS_ID = "bench_statistics"  # the marker: a process definition named after the fill
FILL_VERSION = 2  # bump when the generated data changes, so kept databases are filled again
CHUNK = 50_000  # cases per COPY round
YEARS_DAYS = 3 * 365
HOUR, DAY = 3600, 86400
#: Which users measure: the city's leader sees the city, the district leader 海州区 (demo.USERS).
SCOPES = (("city", "city_leader"), ("district 210902", "leader"))
TARGETS_MS = {"summary": 300.0, "units": 300.0, "breakdown": 500.0, "hotspots": 2000.0}
TABLES = ("case_record", "case_assignment", "case_rating", "process_instance", "human_task",
          "unit_assessment", "accountability_referral", "statistics_rollup")

#: How requests spread (weights). Districts: the urban 海州区 is the busiest.
COUNTY_WEIGHTS = {"210902": 2.0, "210903": 0.8, "210904": 1.2, "210905": 0.6, "210911": 1.2,
                  "210921": 1.4, "210922": 1.0}
CATEGORY_WEIGHTS = {"lighting": 10, "heating": 12, "noise": 12, "property": 16, "wages": 8, "business": 6,
                    "approval": 4, "land": 3, "building": 9, "stall": 8}
WINTER_MONTHS = (11, 12, 1, 2, 3)  # heating complaints treble (Fuxin heats from November to March)
CHANNELS = {"hotline": 62, "wechat": 14, "web": 9, "app": 7, "sms": 4, "api": 4}
REQUEST_TYPES = {"consultation": 22, "help": 30, "complaint": 32, "report": 8, "suggestion": 8}
#: Local hour of the call (the hotline is busiest mid-morning and mid-afternoon).
HOURS = {h: w for h, w in zip(range(24), (1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 15, 12, 8, 10, 14, 14, 12, 10, 8,
                                            6, 5, 4, 2, 1), strict=True)}
LEVELS = ("village", "township", "county", "city")
#: Where dispatched requests end (Baiyin: 51/32/13/4), and how many levels they climbed first.
RESOLVED_AT = {"village": 51, "township": 32, "county": 13, "city": 4}
ESCALATIONS = {"village": {0: 1}, "township": {0: 70, 1: 30}, "county": {0: 60, 1: 25, 2: 15},
               "city": {0: 60, 1: 25, 2: 15}}
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢"
            "宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
ISSUES = {"lighting": "路灯已经坏了很久，晚上出行很不安全",
          "heating": "家里暖气温度只有十几度，老人孩子受不了",
          "noise": "附近施工和商铺音响夜间噪声很大，影响休息",
          "property": "物业不作为，楼道堆物和漏水问题长期没人管",
          "wages": "在工地干活的工资被拖欠好几个月了，多次讨要未果",
          "business": "办理营业执照时被要求反复提交材料",
          "approval": "项目审批材料交了很久一直没有结果", "land": "企业用地手续办理进度缓慢，影响开工",
          "building": "楼下有人私搭乱建，占用公共通道", "stall": "早市摊贩占道经营，车辆和行人无法通行"}
ASKS = ("希望有关部门尽快处理。", "请尽快派人来看看，谢谢。", "多次反映没有解决，希望这次能给个答复。",
        "希望能给个明确的处理时间。")
TASKS = {"triage": "分类受理", "sign_for": "签收", "handle": "办理", "unit_review": "单位审核",
         "revisit": "回访"}
DUMMY_BPMN = ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
              'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="bench">'
              '<bpmn:process id="bench_statistics" isExecutable="false"/></bpmn:definitions>')


# --------------------------------------------------------------------------------------------
# The city (app/demo.py)
# --------------------------------------------------------------------------------------------

@dataclass
class Place:
    """A village or community (or a grid of one): where a request comes from."""
    territory_id: int
    name: str
    county: str
    units: dict[str, int]  # level -> the territory's own unit at that level (committee ... centre)


@dataclass
class City:
    places: list[Place]
    place_weights: list[float]
    categories: dict[str, tuple[int, str, str]]  # code -> (id, name, department key or None)
    departments: dict[tuple[str, str], int]  # (county or city code, key) -> unit id
    unit_level: dict[int, str]
    units_at: dict[str, list[int]]  # level -> every unit id of that level (for wrong dispatches)
    centre: int  # the city's 12345 centre

    def unit(self, place: Place, level: str, category: str) -> int:
        """Who handles `category` at `level` for `place` (the demo's routing, R10–R12)."""
        key = self.categories[category][2]
        if level in ("county", "city") and key:
            return self.departments[(place.county if level == "county" else demo.CITY[0], key)]
        return place.units[level]


def load_city(rng: random.Random) -> City:
    """The demo organisation, loaded into the database, with the ids the rows need."""
    demo.load_demo()
    territories = {t.code: t for t in db.session.scalars(select(Territory))}
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    places, weights = [], []
    for code, territory in sorted(territories.items()):
        if territory.level not in ("village", "grid"):
            continue
        village = code[:12]
        own = {"village": units[village].id, "township": units[code[:9]].id,
               "county": units[f"{code[:6]}-CENTER"].id, "city": units[f"{demo.CITY[0]}-CENTER"].id}
        places.append(Place(territory.id, territory.name, code[:6], own))
        weights.append(COUNTY_WEIGHTS[code[:6]] * rng.lognormvariate(0, 0.5)
                       * (0.5 if territory.level == "grid" else 1.0))
    departments = {}
    for code, unit in units.items():
        scope, _, key = code.partition("-")
        if key and key != "CENTER":
            departments[(scope, key)] = unit.id
    categories = {code: (db.session.scalar(select(Category.id).where(Category.code == code)), name, key)
                  for code, name, _, key in demo.CATEGORIES}
    units_at = {level: [u.id for u in units.values() if u.level == level] for level in LEVELS}
    return City(places, weights, categories, departments, {u.id: u.level for u in units.values()}, units_at,
                units[f"{demo.CITY[0]}-CENTER"].id)


# --------------------------------------------------------------------------------------------
# Generating the rows
# --------------------------------------------------------------------------------------------

class Pick:
    """A weighted choice with one random number (faster than random.choices per call)."""

    def __init__(self, rng: random.Random, weights: dict) -> None:
        self.rng, self.items = rng, list(weights)
        self.cumulative, total = [], 0.0
        for weight in weights.values():
            total += weight
            self.cumulative.append(total)

    def __call__(self):
        return self.items[bisect.bisect(self.cumulative, self.rng.random() * self.cumulative[-1])]


def _t(value: datetime | None) -> str:
    return "\\N" if value is None else str(value)


def _b(value: bool | None) -> str:
    return "\\N" if value is None else ("t" if value else "f")


def _n(value) -> str:
    return "\\N" if value is None else str(value)


COLUMNS = {
    "case_record": ("id", "number", "title", "description", "address", "status", "unit_id", "territory_id",
                    "category_id", "requester_name", "requester_phone", "channel", "public", "request_type",
                    "level", "outcome", "resolved_level", "resolved_unit_id", "satisfaction", "resolution",
                    "created_at", "closed_at", "dispatched_at", "intake_answered", "responded_on_time",
                    "late_reply", "returns", "escalations", "extensions", "second_handled", "restarted_at",
                    "search_words"),
    "process_instance": ("id", "definition_id", "case_id", "status", "state", "revision", "incident_open",
                         "created_at", "updated_at"),
    "human_task": ("id", "instance_id", "case_id", "element_id", "name", "candidate_unit_id",
                   "candidate_role", "status", "created_at", "due_at"),
    "case_assignment": ("id", "case_id", "unit_id", "level", "via", "assigned_at", "responded_at",
                        "responded_on_time", "late_response", "returned_at", "return_overruled",
                        "escalated_at", "replied_at", "late_reply", "ended_at"),
    "case_rating": ("id", "case_id", "unit_id", "level", "round", "satisfaction", "resolution", "rated_at",
                    "excluded"),
    "unit_assessment": ("id", "case_id", "unit_id", "result", "note", "created_at"),
    "accountability_referral": ("id", "unit_id", "case_id", "assessment_id", "previous_assessment_id",
                                "created_at"),
}


@dataclass(slots=True)
class Plan:
    """Drawn first for every request, so that ids follow the time of registration."""
    created: int  # seconds after the start of the three years (UTC)
    kind: str  # refused, intake, dispatched (closed) or open
    span: int  # seconds from registration to closing (closed), or its age at the end (open)
    request_type: str


@dataclass(slots=True)
class Hold:
    """One unit holding the request (a case_assignment row in the making)."""
    unit: int
    via: str
    assigned: int
    responded: int | None = None
    late_response: bool = False
    returned: int | None = None
    overruled: bool = False
    escalated: int | None = None
    replied: int | None = None
    late_reply: bool = False
    ended: int | None = None


class Filler:
    """Generates the city's requests, in order of registration, as COPY text rows per table."""

    def __init__(self, city: City, rng: random.Random, start: datetime, end: datetime, offset: timedelta,
                 definition_id: int) -> None:
        self.city, self.rng, self.start, self.offset = city, rng, start, offset
        self.definition_id = definition_id
        self.length = int((end - start).total_seconds())
        self.place = Pick(rng, dict(enumerate(city.place_weights)))
        self.category = Pick(rng, CATEGORY_WEIGHTS)
        self.winter_category = Pick(rng, {k: w * (3 if k == "heating" else 1)
                                          for k, w in CATEGORY_WEIGHTS.items()})
        self.channel, self.request_type = Pick(rng, CHANNELS), Pick(rng, REQUEST_TYPES)
        self.hour, self.resolved_at = Pick(rng, HOURS), Pick(rng, RESOLVED_AT)
        self.open_level = Pick(rng, {"village": 50, "township": 30, "county": 15, "city": 5})
        self.escalations = {level: Pick(rng, weights) for level, weights in ESCALATIONS.items()}
        self.ids = dict.fromkeys(("case_assignment", "case_rating", "process_instance", "unit_assessment",
                                  "accountability_referral"), 0)
        self.rows: dict[str, list[str]] = {table: [] for table in COLUMNS}
        self.last_assessment: dict[int, tuple[int, str]] = {}  # unit -> (its latest assessment, result)
        self.referred: set[int] = set()  # assessments a referral used up
        self.numbered: dict[str, int] = {}  # local day -> its last case number (app/cases/numbers.py)

    # --- plans: when, what kind, how long ------------------------------------------------------

    def _registered(self) -> int:
        """A moment of registration in the three years: busier on weekdays, in the day, and
        growing ~15 % a year."""
        rng, days, first = self.rng, self.length // DAY, self.start.weekday()
        while True:
            day = rng.randrange(days)
            weekday = (first + day) % 7
            if rng.random() < (0.7 if weekday >= 5 else 1.0) * (0.7 + 0.3 * day / days):
                local = day * DAY + self.hour() * HOUR + rng.randrange(HOUR)
                return max(0, local - int(self.offset.total_seconds()))

    def _span(self, kind: str) -> int:
        rng = self.rng
        if kind == "refused":
            return rng.randrange(60, 2 * HOUR)
        if kind == "intake":  # answered at once; rated within days, or closed after the revisit
            return rng.randrange(5 * 60, 3 * DAY)
        return int(min(90 * DAY, max(4 * HOUR, rng.lognormvariate(math.log(6 * DAY), 0.8))))

    def plans(self, closed: int, open_: int) -> list[Plan]:
        rng, found = self.rng, []
        for _ in range(closed):
            request_type = self.request_type()
            draw = rng.random()
            at_once = 0.5 if request_type == "consultation" else 0.04  # answered at intake
            kind = "refused" if draw < 0.02 else "intake" if draw < 0.02 + at_once else "dispatched"
            span = self._span(kind)
            created = self._registered()
            while created + span >= self.length:  # closed before the end: recent requests are open more often
                created = self._registered()
            found.append(Plan(created, kind, span, request_type))
        for _ in range(open_):
            age = max(10 * 60, int(150 * DAY * rng.random() ** 2.5))
            found.append(Plan(self.length - age, "open", age, self.request_type()))
        found.sort(key=lambda plan: plan.created)
        return found

    # --- one request ---------------------------------------------------------------------------

    def _at(self, seconds: int | None) -> datetime | None:
        return None if seconds is None else self.start + timedelta(seconds=seconds)

    def _points(self, count: int, low: int, high: int) -> list[int]:
        return sorted(self.rng.randrange(low, max(low + 1, high)) for _ in range(count))

    def _rating(self, happy: bool) -> tuple[str, str]:
        rng = self.rng
        if happy:
            satisfaction = "satisfied" if rng.random() < 0.84 else "basically_satisfied"
            resolved = rng.random() < (0.88 if satisfaction == "satisfied" else 0.45)
            return satisfaction, "resolved" if resolved else "basically_resolved"
        satisfaction = "unsatisfied" if rng.random() < 0.7 else "basically_satisfied"
        if satisfaction == "unsatisfied" and rng.random() < 0.2:
            return satisfaction, "basically_resolved"
        return satisfaction, "unresolved"

    def _holds(self, place: Place, category: str, level: str, returned: bool, overruled: bool,
               second: bool) -> list[Hold]:
        """The units that hold the request in turn: a wrong unit that returns it, the unit it was
        dispatched to and the levels it climbed to `level`, the same unit again for second
        handling; 1–3 in all."""
        rng = self.rng
        climbs = self.escalations[level]()
        bounced = returned and not overruled
        while bounced + 1 + climbs + second > 3:
            if second:
                second = False
            else:
                climbs -= 1
        top = LEVELS.index(level)
        chain = [self.city.unit(place, LEVELS[i], category) for i in range(top - climbs, top + 1)]
        holds = []
        if bounced:
            wrong = chain[0]
            while wrong == chain[0]:
                wrong = rng.choice(self.city.units_at[LEVELS[top - climbs]])
            holds.append(Hold(wrong, "dispatch", 0))
        holds += [Hold(unit, "dispatch" if i == 0 else "escalation", 0) for i, unit in enumerate(chain)]
        if second:
            holds.append(Hold(chain[-1], "second_handling", 0))
        return holds

    def _timeline(self, holds: list[Hold], dispatched: int, until: int, overruled: bool, replies: int,
                  closes: bool) -> list[int]:
        """Times the holds: hand-overs, the returns, escalations and replies between `dispatched`
        and `until`; returns the reply times (the rating after a reply follows it)."""
        rng = self.rng
        main = [h for h in holds if h.via != "second_handling"]
        points = self._points(len(holds) - 1 + overruled + replies, dispatched + 60, until)
        holds[0].assigned = dispatched
        cursor = 0
        if overruled:
            holds[0].returned, holds[0].overruled = points[cursor], True
            cursor += 1
        reply_times = []
        for i, hold in enumerate(holds):
            if i > 0:
                hold.assigned = points[cursor]
                cursor += 1
                before = holds[i - 1]
                before.ended = hold.assigned
                if hold.via == "dispatch":
                    before.returned = max(before.assigned, hold.assigned - rng.randrange(0, 4 * HOUR))
                elif hold.via == "escalation":
                    before.escalated = hold.assigned
            if (hold is main[-1] or hold.via == "second_handling") and cursor < len(points):
                hold.replied = points[cursor]
                reply_times.append(hold.replied)
                cursor += 1
        for i, hold in enumerate(holds):
            if hold.returned is not None and not hold.overruled:
                continue  # a unit that returns the request made no call
            end = holds[i + 1].assigned if i + 1 < len(holds) else until
            wait = int(rng.expovariate(1 / (5 * HOUR)))
            hold.responded = hold.assigned + min(wait, max(60, (end - hold.assigned) // 3))
            hold.late_response = rng.random() < 0.07
        if closes:
            holds[-1].ended = until
        return reply_times

    def request(self, case_id: int, plan: Plan) -> None:
        rng, city = self.rng, self.city
        created = plan.created
        place = city.places[self.place()]
        month = (self.start + timedelta(seconds=created) + self.offset).month
        category = (self.winter_category if month in WINTER_MONTHS else self.category)()
        closed = None if plan.kind == "open" else created + plan.span
        case = {"status": "open" if closed is None else "closed", "unit": None, "level": None,
                "outcome": None, "resolved_level": None, "resolved_unit": None, "satisfaction": None,
                "resolution": None, "closed": closed, "dispatched": None, "intake": False, "on_time": None,
                "late_reply": False, "returns": 0, "escalations": 0, "extensions": 0, "second": False,
                "restarted": None}
        ratings: list[tuple] = []  # (unit, round, satisfaction, resolution, at)
        holds: list[Hold] = []
        task = None  # (element, unit, role, created, due) of an open request
        if plan.kind == "refused":
            case["outcome"] = "not_accepted"
        elif plan.kind == "intake":
            case.update(intake=True, resolved_level="platform")
            if rng.random() < 0.7:
                satisfaction, resolution = self._rating(True)
                ratings.append((None, 1, satisfaction, resolution, closed))
                case.update(outcome="satisfied", satisfaction=satisfaction, resolution=resolution)
            else:
                case["outcome"] = "not_rated"
        elif plan.kind == "dispatched":
            self._closed_dispatched(case, place, category, created, closed, holds, ratings)
        elif rng.random() < 0.08:  # open, still at triage
            task = ("triage", city.centre, "registrar", created, created + 2 * HOUR)
        else:
            task = self._open_dispatched(case, place, category, created, holds, ratings)
        self._emit(case_id, plan, place, category, case, holds, ratings, task)

    def _closed_dispatched(self, case, place, category, created, closed, holds, ratings) -> None:
        rng = self.rng
        level = self.resolved_at()
        returned = rng.random() < 0.045
        overruled = returned and rng.random() < 0.25
        rated = rng.random() < 0.88
        second = rated and rng.random() < 0.05
        holds += self._holds(place, category, level, returned, overruled, second)
        second = holds[-1].via == "second_handling"
        dispatched = created + min(int(rng.expovariate(1 / (2 * HOUR))), (closed - created) // 10)
        replies = self._timeline(holds, dispatched, closed, overruled, 2 if second else 1, True)
        final = holds[-1]
        final.late_reply = rng.random() < 0.06
        if second:  # unsatisfied with the first answer: rated between the answer and second handling
            first_answer = holds[-2]
            first_answer.late_reply = final.late_reply
            satisfaction, resolution = self._rating(False)
            ratings.append((first_answer.unit, 1, satisfaction, resolution,
                            (replies[0] + final.assigned) // 2))
        if rated:
            happy = not second or rng.random() < 0.8
            satisfaction, resolution = self._rating(happy)
            ratings.append((final.unit, 2 if second else 1, satisfaction, resolution, closed))
            case.update(satisfaction=satisfaction, resolution=resolution,
                        outcome="satisfied" if happy else "unsatisfied")
            if not happy:
                self._assessed(case, final.unit, closed)
        else:
            case["outcome"] = "not_rated"
        self._case_facts(case, holds, dispatched)
        case.update(resolved_level=self.city.unit_level[final.unit], resolved_unit=final.unit)
        if rng.random() < 0.003:
            case["restarted"] = closed - (closed - dispatched) // 3

    def _open_dispatched(self, case, place, category, created, holds, ratings) -> tuple:
        rng = self.rng
        now = self.length
        level = self.open_level()
        returned = rng.random() < 0.045
        overruled = returned and rng.random() < 0.25
        second = rng.random() < 0.02
        holds += self._holds(place, category, level, returned, overruled, second)
        second = holds[-1].via == "second_handling"
        dispatched = created + min(int(rng.expovariate(1 / (2 * HOUR))), (now - created) // 5)
        stage = rng.random()
        answered = stage < 0.1 and not second
        replies = self._timeline(holds, dispatched, now - 60, overruled, int(second or answered), False)
        current = holds[-1]
        signing = not answered and (current.responded is None or stage < 0.25)  # not yet signed for
        if signing:
            current.responded, current.late_response = None, False
        if second:  # in second handling after an unsatisfied rating of the first answer
            satisfaction, resolution = self._rating(False)
            rated = (replies[0] + current.assigned) // 2
            ratings.append((holds[-2].unit, 1, satisfaction, resolution, rated))
        self._case_facts(case, holds, dispatched)
        if answered:
            case.update(resolved_level=self.city.unit_level[current.unit], resolved_unit=current.unit)
            return ("revisit", self.city.centre, "platform_supervisor", current.replied,
                    current.replied + 7 * DAY)
        if signing:
            return ("sign_for", current.unit, "handler", current.assigned, current.assigned + DAY)
        element = "unit_review" if stage > 0.92 else "handle"
        due = current.assigned + rng.choice((5, 10, 15)) * 7 * DAY // 5
        if due < now and rng.random() < 0.8:  # most long-running requests had their limit extended
            due = now + rng.randrange(DAY, 15 * DAY)
            case["extensions"] += 1
        return (element, current.unit, "unit_reviewer" if element == "unit_review" else "handler",
                current.assigned, due)

    def _case_facts(self, case, holds: list[Hold], dispatched: int) -> None:
        rng = self.rng
        current = holds[-1]
        responding = next((h for h in holds if h.responded is not None), None)
        case.update(
            unit=current.unit, level=self.city.unit_level[current.unit], dispatched=dispatched,
            on_time=None if responding is None else not responding.late_response,
            late_reply=any(h.late_reply for h in holds), returns=sum(h.returned is not None for h in holds),
            escalations=sum(h.escalated is not None for h in holds),
            second=any(h.via == "second_handling" for h in holds),
            extensions=(2 if rng.random() < 0.1 else 1) if rng.random() < 0.03 else 0)

    def _assessed(self, case, unit: int, at: int) -> None:
        """履职评估 after a failed second handling; two failures in a row → 移交问责 (R26)."""
        self.ids["unit_assessment"] += 1
        assessment = self.ids["unit_assessment"]
        result = "not_completed" if self.rng.random() < 0.5 else "completed"
        case["assessment"] = (assessment, unit, result, at)
        previous = self.last_assessment.get(unit)
        self.last_assessment[unit] = (assessment, result)
        if (result == "not_completed" and previous and previous[1] == "not_completed"
                and previous[0] not in self.referred):
            self.referred.add(previous[0])
            self.ids["accountability_referral"] += 1
            case["referral"] = (self.ids["accountability_referral"], previous[0])

    # --- rows ----------------------------------------------------------------------------------

    def _emit(self, case_id, plan, place, category, case, holds, ratings, task) -> None:
        rng, at, rows = self.rng, self._at, self.rows
        created = at(plan.created)
        category_id, category_name, _ = self.city.categories[category]
        surname = SURNAMES[rng.randrange(len(SURNAMES))]
        address = f"{place.name}{rng.randrange(1, 40)}号楼{rng.randrange(1, 7)}单元"
        description = f"{address}居民来电反映：{ISSUES[category]}。{ASKS[rng.randrange(len(ASKS))]}"
        title = f"{category_name}问题（{place.name}）"
        local_day = (created + self.offset).strftime("%Y%m%d")
        self.numbered[local_day] = sequence = self.numbered.get(local_day, 0) + 1
        rows["case_record"].append("\t".join((
            str(case_id), f"HY{local_day}-{sequence:06d}", title,
            description, address, case["status"], _n(case["unit"]), str(place.territory_id), str(category_id),
            f"{surname}{'先生' if rng.random() < 0.5 else '女士'}",
            f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
            self.channel(), "f", plan.request_type, _n(case["level"]), _n(case["outcome"]),
            _n(case["resolved_level"]), _n(case["resolved_unit"]), _n(case["satisfaction"]),
            _n(case["resolution"]), str(created), _t(at(case["closed"])), _t(at(case["dispatched"])),
            _b(case["intake"]), _b(case["on_time"]), _b(case["late_reply"]), str(case["returns"]),
            str(case["escalations"]), str(case["extensions"]), _b(case["second"]),
            _t(at(case["restarted"])), case_words(title, description, address))))
        for hold in holds:
            self.ids["case_assignment"] += 1
            level = self.city.unit_level[hold.unit]
            rows["case_assignment"].append("\t".join((
                str(self.ids["case_assignment"]), str(case_id), str(hold.unit), level, hold.via,
                str(at(hold.assigned)), _t(at(hold.responded)),
                _b(None if hold.responded is None else not hold.late_response), _b(hold.late_response),
                _t(at(hold.returned)), _b(hold.overruled), _t(at(hold.escalated)), _t(at(hold.replied)),
                _b(hold.late_reply), _t(at(hold.ended)))))
        for unit, round_, satisfaction, resolution, rated in ratings:
            self.ids["case_rating"] += 1
            # an appeal upheld takes some unsatisfied ratings out of the unit's rates
            excluded = unit is not None and satisfaction == "unsatisfied" and rng.random() < 0.2
            rows["case_rating"].append("\t".join((
                str(self.ids["case_rating"]), str(case_id), _n(unit),
                _n(None if unit is None else self.city.unit_level[unit]), str(round_), satisfaction,
                resolution, str(at(rated)), _b(excluded))))
        if "assessment" in case:
            assessment, unit, result, when = case["assessment"]
            rows["unit_assessment"].append("\t".join((str(assessment), str(case_id), str(unit), result,
                                                      "二次办理仍不满意", str(at(when)))))
            if "referral" in case:
                referral, previous = case["referral"]
                rows["accountability_referral"].append("\t".join((
                    str(referral), str(unit), str(case_id), str(assessment), str(previous), str(at(when)))))
        if task is not None:
            self.ids["process_instance"] += 1
            instance = self.ids["process_instance"]
            element, unit, role, since, due = task
            rows["process_instance"].append("\t".join((
                str(instance), str(self.definition_id), str(case_id), "running", "{}", "1", "f", str(created),
                str(at(since)))))
            rows["human_task"].append("\t".join((
                str(uuid.UUID(int=rng.getrandbits(128), version=4)), str(instance), str(case_id), element,
                TASKS[element], str(unit), role, "open", str(at(since)), str(at(due)))))


def copy_rows(cursor, rows: dict[str, list[str]]) -> None:
    for table, lines in rows.items():
        if lines:
            with cursor.copy(f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN") as copy:
                copy.write("\n".join(lines) + "\n")
            lines.clear()


# --------------------------------------------------------------------------------------------
# The database
# --------------------------------------------------------------------------------------------

def signature(args) -> str:
    return f"bench-statistics v{FILL_VERSION} closed={args.closed} open={args.open} seed={args.seed}"


def database_url(args) -> str:
    """The benchmark's database, created if missing; never one the tests or other benchmarks use."""
    parsed = make_url(args.database)
    name = parsed.database or ""
    if parsed.get_backend_name() != "postgresql":
        raise SystemExit("the statistics benchmark needs PostgreSQL (--database or DATABASE_URL)")
    if name in PROTECTED_DATABASES or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise SystemExit(f"refusing to use database '{name}': the benchmark may drop its schema")
    create_database(args.database)
    return parsed.render_as_string(hide_password=False)


def wipe() -> None:
    """Empty the app's database (its whole public schema) and migrate it again."""
    db.session.remove()
    empty_schema(db.engine)
    db.engine.dispose()
    upgrade()


def holds_cases() -> bool:
    return db.session.scalar(select(Case.id).limit(1)) is not None


def fill(args) -> bool:
    """Migrate; unless the database holds this fill already, load the city and its requests."""
    t0 = time.perf_counter()
    upgrade()
    print(f"  migrated ({time.perf_counter() - t0:.1f} s)")
    found = db.session.scalar(select(ProcessDefinition.name)
                              .where(ProcessDefinition.process_id == PROCESS_ID))
    if keep_fill(found, signature(args), args.reload, holds_cases(), wipe):
        return False
    t0 = time.perf_counter()
    rng = random.Random(args.seed)
    city = load_city(rng)
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    end = utcnow().replace(microsecond=0, second=0)
    start = end - timedelta(days=YEARS_DAYS)
    offset = zone.utcoffset(end)
    print(f"  the demo city: {len(city.places)} villages/communities/grids, {len(city.unit_level)} units "
          f"({time.perf_counter() - t0:.1f} s)")
    with db.engine.begin() as connection:
        cursor = connection.connection.driver_connection.cursor()
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        # no rollup triggers per row: the rollup is computed from the facts at the end, as
        # migration 0016 does for an existing installation
        cursor.execute("SET LOCAL session_replication_role = replica")
        definition_id = cursor.execute(
            "INSERT INTO process_definition (process_id, name, version, sha256, bundle_sha256, filename,"
            " bpmn_xml, deployed_at) VALUES (%s, %s, 1, %s, %s, 'bench_statistics.bpmn', %s, now())"
            " RETURNING id",
            (PROCESS_ID, signature(args), "0" * 64, "0" * 64, DUMMY_BPMN)).fetchone()[0]
        indexes = cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY(%s)"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)", (list(COLUMNS),)).fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        filler = Filler(city, rng, start, end, offset, definition_id)
        t1 = time.perf_counter()
        plans = filler.plans(args.closed, args.open)
        print(f"  {len(plans):,} requests planned ({time.perf_counter() - t1:.1f} s)")
        generating = copying = 0.0
        for first in range(0, len(plans), CHUNK):
            t1 = time.perf_counter()
            for case_id, plan in enumerate(plans[first:first + CHUNK], start=first + 1):
                filler.request(case_id, plan)
            t2 = time.perf_counter()
            copy_rows(cursor, filler.rows)
            generating, copying = generating + t2 - t1, copying + time.perf_counter() - t2
            print(f"\r  {min(first + CHUNK, len(plans)):>9,} requests: generated {generating:5.1f} s, "
                  f"copied {copying:5.1f} s", end="", flush=True)
        print()
        t1 = time.perf_counter()
        for _, definition in indexes:
            cursor.execute(definition)
        for table in (t for t in COLUMNS if t != "human_task"):  # its ids are uuids
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"coalesce((SELECT max(id) FROM {table}), 1))")
        print(f"  {len(indexes)} indexes built again ({time.perf_counter() - t1:.1f} s)")
        t1 = time.perf_counter()
        rows = rollup.install(connection, zone.key)
        print(f"  the rollup computed from the facts: {rows:,} rows ({time.perf_counter() - t1:.1f} s)")
    t1 = time.perf_counter()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE) " + ", ".join((*COLUMNS, "statistics_rollup"))))
    print(f"  VACUUM ANALYZE {time.perf_counter() - t1:.1f} s; filled in {time.perf_counter() - t0:.1f} s")
    return True


def table_sizes() -> list[tuple[str, int, float, float]]:
    """(table, rows, MB of the table, MB of its indexes)."""
    found = []
    with db.engine.connect() as conn:
        for table in TABLES:
            rows = conn.scalar(text(f"SELECT count(*) FROM {table}"))
            heap, indexes = conn.execute(text(
                "SELECT pg_table_size(:t), pg_indexes_size(:t)"), {"t": table}).one()
            found.append((table, rows, heap / 2**20, indexes / 2**20))
    return found


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------

@dataclass
class Endpoint:
    key: str
    group: str  # summary, units, breakdown, cases, hotspots: which target applies
    call: Callable[[User, dict], object]


def endpoints() -> list[Endpoint]:
    """What the API serves, called as the API calls it (app/api/statistics.py)."""
    found = [Endpoint("summary", "summary", service.summary),
             Endpoint("units (order=score)", "units", partial(service.units, order="score"))]
    found += [Endpoint(f"breakdown by={by}", "breakdown", partial(service.breakdown, by=by))
              for by in service.BREAKDOWNS]
    found += [Endpoint("cases figure=closed, page 1", "cases", partial(service.cases, figure="closed")),
              Endpoint("cases figure=satisfaction_rate numerator, page 1", "cases",
                       partial(service.cases, figure="satisfaction_rate", part="numerator"))]
    return found + hotspot_endpoints()


def hotspot_endpoints() -> list[Endpoint]:
    """Hot spots (app/statistics/hotspots.py, target 2 s), as the API calls them. They cover at
    most 92 days, so they are measured over the last 30 days of the period (a city-month)."""
    from app.statistics import hotspots

    def last_month(user: User, args: dict):
        given = args.get("to") or date.today()
        last = given if isinstance(given, date) else date.fromisoformat(given)
        month = {**args, "from": (last - timedelta(days=29)).isoformat(), "to": last.isoformat()}
        return hotspots.hotspots(user, month, min_count=5)

    return [Endpoint("hotspots (min_count=5, last 30 days)", "hotspots", last_month)]


@dataclass
class Result(Timings):
    scope: str
    endpoint: Endpoint
    rows: int = 0
    times_ms: list[float] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        target = TARGETS_MS.get(self.endpoint.group)
        if target is None:
            return ""
        return f"< {target:.0f} ms: {'met' if self.p95 < target else 'MISSED'}"


class Capture:
    """The statements one call sends (for --explain)."""

    def __init__(self, engine) -> None:
        self.on, self.statements = False, []
        event.listen(engine, "before_cursor_execute", self._before)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        if self.on:
            self.statements.append((statement, parameters))


def _size(value) -> int:
    if isinstance(value, list):
        return len(value)
    if isinstance(value, dict) and "cases" in value:
        return value["total"]
    return 1


def measure(args, period: dict) -> list[Result]:
    capture = Capture(db.engine)
    wanted = [e for e in endpoints() if not args.only or any(w in e.key for w in args.only.split(","))]
    results = []
    for scope, username in SCOPES:
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        print(f"\n  {scope} (user {username}), {period['from']} .. {period['to']}")
        for endpoint in wanted:
            result = Result(scope, endpoint)
            for rep in range(args.warmup + args.reps):
                db.session.remove()  # a fresh session per request, as a server would have
                user = db.session.get(User, user_id)  # with its memberships, untimed
                started = time.perf_counter()
                found = endpoint.call(user, dict(period))
                elapsed = (time.perf_counter() - started) * 1000
                if rep >= args.warmup:
                    result.times_ms.append(elapsed)
                result.rows = _size(found)
            results.append(result)
            print(f"    {endpoint.key:50} {result.rows:>9,}  median {result.median:7.1f} ms  "
                  f"p95 {result.p95:7.1f} ms  {result.verdict}")
            if args.explain:
                explain(capture, endpoint, user_id, period)
    db.session.remove()
    return results


def explain(capture: Capture, endpoint: Endpoint, user_id: int, period: dict) -> None:
    db.session.remove()
    user = db.session.get(User, user_id)
    explain_call(capture, lambda: endpoint.call(user, dict(period)))


def explain_call(capture: Capture, call: Callable[[], object]) -> None:
    """Print the plan (EXPLAIN ANALYZE, BUFFERS) of every SELECT that `call` sends."""
    capture.statements, capture.on = [], True
    try:
        call()
    finally:
        capture.on = False
    for statement, parameters in capture.statements:
        if not statement.lstrip().upper().startswith("SELECT") or "FROM setting" in statement:
            continue
        lines = db.session.connection().exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).scalars().all()
        print("        | " + "\n        | ".join(lines) + "\n        |")


def report(results: list[Result], sizes, cases: int, loads: tuple[str, str]) -> None:
    print(f"\n=== Summary: median / p95 in ms (load average before {loads[0]}, after {loads[1]})\n")
    scopes = [scope for scope, _ in SCOPES]
    print("| endpoint | " + " | ".join(f"{s} rows | {s} median / p95" for s in scopes) + " | target (p95) |")
    print("|---|" + "---|---|" * len(scopes) + "---|")
    for key in dict.fromkeys(r.endpoint.key for r in results):
        cells, target = [], ""
        for scope in scopes:
            found = next((r for r in results if r.scope == scope and r.endpoint.key == key), None)
            if found is None:
                cells += ["", ""]
                continue
            mark = " ✗" if found.verdict.endswith("MISSED") else ""
            cells += [f"{found.rows:,}", f"{found.median:.0f} / {found.p95:.0f}{mark}"]
            target = f"{TARGETS_MS[found.endpoint.group]:.0f}" if found.endpoint.group in TARGETS_MS else "–"
        print(f"| {key} | " + " | ".join(cells) + f" | {target} |")
    print_table_sizes(sizes, cases)


def print_table_sizes(sizes, cases: int, heap_label: str = "table MB") -> None:
    """`sizes`: (table, rows, heap MB, indexes MB) rows, printed with their values per million cases."""
    per = 1_000_000 / cases
    print(f"\n=== Table sizes ({cases:,} cases; per million cases in brackets)\n")
    print(f"| table | rows | {heap_label} | indexes MB | total MB |")
    print("|---|---|---|---|---|")
    total = ("all", sum(row[1] for row in sizes), sum(row[2] for row in sizes), sum(row[3] for row in sizes))
    for table, rows, heap, indexes in (*sizes, total):
        cells = [f"{value:,.0f} ({value * per:,.0f})" for value in (rows, heap, indexes, heap + indexes)]
        print(f"| {table} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = fill_parser(__doc__, os.environ.get("DATABASE_URL", DEFAULT_DATABASE), reps=30, warmup=3)
    parser.add_argument("--closed", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--only", help="comma-separated parts of endpoint names, e.g. summary,units,by=day")
    parser.add_argument("--without-rollup", action="store_true",
                        help="count everything from the facts, as SQLite does (to compare)")
    args = parser.parse_args()
    url = database_url(args)
    print(f"=== {make_url(url).render_as_string(hide_password=True)}")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        fill(args)
        if args.fill_only:
            return
        cases = db.session.scalar(select(func.count()).select_from(Case))
        last = db.session.scalar(select(func.max(Case.created_at)))
        zone = ZoneInfo(app.config["TIMEZONE"])
        last_day = (last + zone.utcoffset(last)).date()
        period = {"from": last_day - timedelta(days=364), "to": last_day}
        if args.without_rollup:
            rollup.usable = lambda: False
            print("  --without-rollup: every figure counted from the facts")
        loads = [load_average()]
        results = measure(args, period)
        loads.append(load_average())
        report(results, table_sizes(), cases, (loads[0], loads[1]))


if __name__ == "__main__":
    main()
