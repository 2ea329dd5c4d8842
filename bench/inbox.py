"""Inbox benchmark: a handler's inbox (50 tasks) out of 200,000 open cases, SQLite and PostgreSQL.

Requirement: "The inbox of a handler lists 50 tasks out of 200,000 open cases in under 100 ms server
time." Measured here (server time = building the statement, running it and fetching the rows):

  api        app.engine.tasks.inbox(user, limit=50)                     (the REST API's inbox)
  all        app.workspace.inbox.inbox(user, InboxFilter(), basis, 50)  (the web inbox, sort due)
  mine / unclaimed, light red / yellow / blue, text, territory, newest, deep (offset 5,000, or
  the last page when the user has fewer), and the row count of the whole inbox (for paging).

for a village handler (one village unit, ~1,500 open tasks) and a platform dispatcher (the
centre, ~20,000 open dispatch tasks). The population is loaded once with bulk Core inserts and
kept (SQLite file under the temp directory, PostgreSQL database `bench_inbox`); `--reload` rebuilds it.

    .venv/bin/python bench/inbox.py [--backend sqlite|postgresql|both] [--cases 200000] [--reload]
                                    [--reps 30] [--plans main|all|none] [--sqlite-no-stats]

See bench/README.md, section "Inbox (200,000 open cases)".
"""
import sys
from pathlib import Path

# Run as a script, sys.path[0] is bench/, where bench/statistics.py would hide the standard
# library's `statistics`; the repository goes there instead.
HERE, REPO = Path(__file__).resolve().parent, Path(__file__).resolve().parents[1]
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import hashlib  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import timedelta  # noqa: E402

# A fixed key, so create_app does not have to generate instance/secret_key.
os.environ.setdefault("SECRET_KEY", "huiyin-bench-not-secret")

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, event, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import Membership, User  # noqa: E402
from app.cases.models import Case  # noqa: E402
from app.clock import utcnow  # noqa: E402
from app.engine import tasks  # noqa: E402
from app.engine.models import HumanTask, ProcessDefinition, ProcessInstance  # noqa: E402
from app.extensions import db  # noqa: E402
from app.organisation.models import Category, Territory, Unit  # noqa: E402
from app.timelimits import lights  # noqa: E402
from app.timelimits.limits import seed_defaults  # noqa: E402
from app.workspace import inbox as workspace  # noqa: E402
from app.workspace.inbox import InboxFilter  # noqa: E402
from bench.common import Timings, load_average  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_inbox"
PROTECTED_DATABASES = {"test", "postgres", "template0", "template1", "bench"}
PROCESS_ID = "bench_inbox"
LOAD_VERSION = 1  # bump when the population changes, so cached databases are rebuilt
CHUNK = 5000
TARGET_MS = 100.0
HANDLER, DISPATCHER = "bench-handler", "bench-dispatcher"
TEXT_FILTER = "路灯"  # one of the 20 title subjects: about 5 % of the rows match

CITY_CODE = "210900"
SUBJECTS = ("小区路灯不亮", "道路积水严重", "拖欠农民工工资", "噪音扰民", "垃圾清运不及时",
            "供暖温度不达标", "自来水停水", "违章建筑", "占道经营", "养老保险咨询", "医保报销咨询",
            "低保申请", "村道破损", "排水沟堵塞", "电动车充电隐患", "物业服务纠纷", "宅基地纠纷",
            "耕地被占", "学校周边交通", "公交线路建议")
REQUEST_TYPES = (("consultation", 25), ("help", 30), ("complaint", 30), ("report", 8), ("suggestion", 7))
CLASSES = (("livelihood", 70), ("development", 15), ("enforcement", 15))
CHANNELS = ("hotline", "web", "wechat", "app", "api")
# Handling limits of open "handle" tasks, in calendar days (1, 2, 5, 10, 20 working days), weighted.
HANDLE_LIMITS = ((1.4, 10), (2.8, 15), (7.0, 45), (14.0, 20), (28.0, 10))

DUMMY_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="bench">
  <bpmn:process id="bench_inbox" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="dispatch"/>
    <bpmn:userTask id="dispatch" name="派单"/>
    <bpmn:sequenceFlow id="f2" sourceRef="dispatch" targetRef="handle"/>
    <bpmn:userTask id="handle" name="办理"/>
    <bpmn:sequenceFlow id="f3" sourceRef="handle" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


# --------------------------------------------------------------------------------------------
# The population
# --------------------------------------------------------------------------------------------

def signature(args) -> str:
    return f"bench-inbox v{LOAD_VERSION} cases={args.cases} seed={args.seed}"


def _scaled(value: int, cases: int, minimum: int) -> int:
    return max(minimum, round(value * cases / 200_000))


def _insert(conn, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        conn.execute(table.insert(), rows[start:start + CHUNK])


def _weighted(rng: random.Random, choices):
    values, weights = zip(*choices, strict=True)
    return lambda: rng.choices(values, weights)[0]


def populate(conn, args, now) -> dict:
    """Insert the territory tree, units, users, 200,000 open cases with their instance and open
    task, and completed tasks. Every row is built in Python and inserted in chunks (executemany)."""
    rng = random.Random(args.seed)
    n_cases = args.cases
    n_dispatch = n_cases // 10  # cases waiting for the platform to dispatch them
    n_handle = n_cases - n_dispatch  # cases at a village committee, step "handle"
    n_measured = _scaled(1500, n_cases, 50)  # open handle tasks of the measured handler's village
    n_completed = args.completed if args.completed is not None else n_cases // 10
    timings = {}

    def step(name, table, rows):
        t0 = time.perf_counter()
        _insert(conn, table, rows)
        timings[name] = (len(rows), time.perf_counter() - t0)

    # Territories: 1 city, 10 counties, 10 townships each, 10 villages each.
    territories, villages, townships, counties = [], [], [], []
    territories.append({"id": 1, "code": CITY_CODE, "name": "滨海市", "level": "city", "parent_id": None,
                        "path": f"/{CITY_CODE}/"})
    next_id = 2
    for c in range(1, 11):
        c_code = f"2109{20 + c:02d}"
        county = {"id": next_id, "code": c_code, "name": f"第{c}区县", "level": "county", "parent_id": 1,
                  "path": f"/{CITY_CODE}/{c_code}/"}
        next_id += 1
        territories.append(county)
        counties.append(county)
        for t in range(1, 11):
            t_code = f"{c_code}{t:03d}"
            township = {"id": next_id, "code": t_code, "name": f"{c}区{t}镇", "level": "township",
                        "parent_id": county["id"], "path": f"{county['path']}{t_code}/"}
            next_id += 1
            territories.append(township)
            townships.append(township)
            for v in range(1, 11):
                v_code = f"{t_code}{v:03d}"
                village = {"id": next_id, "code": v_code, "name": f"{c}区{t}镇{v}村", "level": "village",
                           "parent_id": township["id"], "path": f"{township['path']}{v_code}/"}
                next_id += 1
                territories.append(village)
                villages.append(village)
    step("territory", Territory.__table__, territories)

    # Units: a committee per village, an office per township and county, departments, the centre.
    units = []

    def add_unit(code, name, level, kind, territory_id):
        units.append({"id": len(units) + 1, "code": code, "name": name, "level": level, "kind": kind,
                      "territory_id": territory_id})
        return len(units)

    village_unit = {v["id"]: add_unit(f"V{v['code']}", f"{v['name']}村委会", "village", "committee", v["id"])
                    for v in villages}
    for t in townships:
        add_unit(f"T{t['code']}", f"{t['name']}人民政府", "township", "office", t["id"])
    for c in counties:
        add_unit(f"C{c['code']}", f"{c['name']}人民政府", "county", "office", c["id"])
    for d in range(1, 21):
        add_unit(f"D{d:02d}", f"市直部门{d}", "city", "department", 1)
    centre = add_unit("CENTRE", "市12345热线中心", "city", "centre", 1)
    step("unit", Unit.__table__, units)

    categories = []
    klass = _weighted(rng, CLASSES)
    for i, subject in enumerate(SUBJECTS, start=1):
        categories.append({"id": i, "code": f"CAT{i:02d}", "name": subject, "klass": klass()})
    step("category", Category.__table__, categories)

    # Users: two handlers per village (the measured one is the first of the measured village),
    # five dispatchers at the centre (the first is measured).
    measured_village = villages[len(villages) // 3]
    users, memberships, village_users = [], [], {}

    def add_user(username, unit_id, role):
        uid = len(users) + 1
        users.append({"id": uid, "username": username, "display_name": username, "password_hash": "x",
                      "active": True, "created_at": now})
        memberships.append({"id": uid, "user_id": uid, "unit_id": unit_id, "role": role})
        return uid

    for v in villages:
        first = HANDLER if v is measured_village else f"h{v['code']}a"
        village_users[v["id"]] = (add_user(first, village_unit[v["id"]], "handler"),
                                  add_user(f"h{v['code']}b", village_unit[v["id"]], "handler"))
    dispatchers = [add_user(DISPATCHER if i == 0 else f"dispatcher{i}", centre, "dispatcher")
                   for i in range(5)]
    step("user_account", User.__table__, users)
    step("membership", Membership.__table__, memberships)

    definition = {"id": 1, "process_id": PROCESS_ID, "name": signature(args), "version": 1,
                  "sha256": hashlib.sha256(DUMMY_BPMN.encode()).hexdigest(),
                  "bundle_sha256": hashlib.sha256(DUMMY_BPMN.encode()).hexdigest(),
                  "filename": "bench_inbox.bpmn",
                  "bpmn_xml": DUMMY_BPMN, "deployed_at": now}
    step("process_definition", ProcessDefinition.__table__, [definition])

    # Which village each handle-stage case sits in: the measured village a fixed share, the
    # others log-normally (some villages busy, most quiet); then shuffled, so ids interleave.
    others = [v for v in villages if v is not measured_village]
    weights = [rng.lognormvariate(0, 0.6) for _ in others]
    placement = [measured_village] * n_measured + rng.choices(others, weights, k=n_handle - n_measured)
    placement += [None] * n_dispatch  # None: at dispatch (territory drawn below)
    rng.shuffle(placement)

    request_type = _weighted(rng, REQUEST_TYPES)
    handle_limit = _weighted(rng, HANDLE_LIMITS)
    day = timedelta(days=1)
    cases, instances, open_tasks = [], [], []
    # Open tasks are mostly young: age = 60 days * u^2 (a third under a week, a few near 60 days).
    ages = sorted((60 * rng.random() ** 2 for _ in range(n_cases)), reverse=True)
    for case_id, (village, age) in enumerate(zip(placement, ages, strict=True), start=1):
        at_dispatch = village is None
        if at_dispatch:
            age = age / 12  # a dispatch backlog of up to 5 days
            village = rng.choice(villages)
        created = now - age * day
        subject = rng.randrange(len(SUBJECTS))
        cases.append({
            "id": case_id, "number": f"HY{created:%Y%m%d}-{case_id:06d}",
            "title": f"{SUBJECTS[subject]}（{village['name']}）", "description": "", "status": "open",
            "unit_id": None if at_dispatch else village_unit[village["id"]], "territory_id": village["id"],
            "category_id": subject + 1, "requester_name": "张三", "requester_phone": f"139{case_id:08d}",
            "channel": rng.choice(CHANNELS), "request_type": request_type(),
            "level": None if at_dispatch else "village", "created_at": created})
        instances.append({"id": case_id, "definition_id": 1, "case_id": case_id, "status": "running",
                          "state": "{}", "revision": 1, "incident_open": False, "created_at": created,
                          "updated_at": created})
        if at_dispatch:
            task_created, due = created, created + 1.4 * day
            unit, role, element, name = centre, "dispatcher", "dispatch", "派单"
            claimed = rng.random()
            assignee = (dispatchers[0] if claimed < 0.05 else rng.choice(dispatchers[1:]) if claimed < 0.10
                        else None)
        else:
            task_created = created + min(age, 1.0) * rng.random() * day
            due = None if rng.random() < 0.03 else task_created + handle_limit() * day
            unit, role, element, name = village_unit[village["id"]], "handler", "handle", "办理"
            claimed = rng.random()
            mine, colleague = village_users[village["id"]]
            assignee = mine if claimed < 0.05 else colleague if claimed < 0.10 else None
        open_tasks.append({
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "instance_id": case_id,
            "case_id": case_id, "element_id": element, "name": name, "candidate_unit_id": unit,
            "candidate_role": role, "assignee_id": assignee, "form_key": element, "status": "open",
            "created_at": task_created, "due_at": due, "completed_at": None, "completed_by_id": None,
            "action": None, "data": None})
    step("case_record", Case.__table__, cases)
    step("process_instance", ProcessInstance.__table__, instances)
    step("human_task (open)", HumanTask.__table__, open_tasks)

    # Completed tasks of handle-stage cases: half the platform's dispatch, half the village's
    # sign-for step (same unit as the open task, so the unit's index range holds both statuses).
    completed = []
    handle_cases = [t for t in open_tasks if t["element_id"] == "handle"]
    for task in rng.sample(handle_cases, min(n_completed, len(handle_cases))):
        case = cases[task["case_id"] - 1]
        if rng.random() < 0.5:
            unit, role, element, actor = centre, "dispatcher", "dispatch", rng.choice(dispatchers)
            start = case["created_at"]
        else:
            unit, role, element = task["candidate_unit_id"], "handler", "sign_for"
            actor = village_users[case["territory_id"]][rng.randrange(2)]
            start = task["created_at"]
        done = start + 0.2 * rng.random() * day
        completed.append({
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "instance_id": case["id"],
            "case_id": case["id"], "element_id": element, "name": element, "candidate_unit_id": unit,
            "candidate_role": role, "assignee_id": actor, "form_key": element, "status": "completed",
            "created_at": start, "due_at": start + 1.4 * day, "completed_at": done, "completed_by_id": actor,
            "action": "ok", "data": {"action": "ok"}})
    step("human_task (completed)", HumanTask.__table__, completed)
    return timings


def load(app, args, backend: str) -> bool:
    """Migrate and, unless the population with this signature is there already, load it.
    Returns whether it loaded."""
    with app.app_context():
        upgrade()
        found = db.session.scalar(select(ProcessDefinition.name)
                                  .where(ProcessDefinition.process_id == PROCESS_ID))
        if found == signature(args) and not args.reload:
            print(f"  population found ({found}); --reload rebuilds it")
            return False
        if found is not None and found.startswith("bench-inbox "):
            print(f"  another population ({found}): rebuilding")
            wipe(backend)
            upgrade()
        elif found is not None or db.session.scalar(select(func.count()).select_from(Case)):
            raise SystemExit(f"  {backend}: the database holds other data ({found!r}); use --reload")
        seed_defaults()
        db.session.commit()
        now = utcnow()
        t0 = time.perf_counter()
        with db.engine.begin() as conn:
            timings = populate(conn, args, now)
            if backend == "postgresql":
                for table in ("territory", "unit", "category", "user_account", "membership",
                              "process_definition", "case_record", "process_instance"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                      f"(SELECT max(id) FROM {table}))"))
        loaded = time.perf_counter() - t0
        t1 = time.perf_counter()
        analyze(backend)
        for name, (rows, seconds) in timings.items():
            print(f"  {name:24} {rows:>8} rows  {seconds:6.1f} s")
        print(f"  loaded in {loaded:.1f} s, ANALYZE {time.perf_counter() - t1:.1f} s")
        return True


def wipe(backend: str) -> None:
    """Empty the benchmark database: PostgreSQL drops its public schema, SQLite every table."""
    db.session.remove()
    with db.engine.begin() as conn:
        if backend == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            conn.execute(text("PRAGMA foreign_keys=OFF"))
            names = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table' "
                                      "AND name NOT LIKE 'sqlite_%'")).scalars().all()
            for name in names:
                conn.execute(text(f'DROP TABLE "{name}"'))
    db.engine.dispose()


def analyze(backend: str, without_stats: bool = False) -> None:
    """ANALYZE; with `without_stats` (SQLite only) the statistics are deleted instead, as in a
    database nobody ever analysed (the app itself never runs ANALYZE)."""
    if backend == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
        return
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
        if without_stats:
            conn.execute(text("DELETE FROM sqlite_stat1"))
    db.session.remove()
    db.engine.dispose()  # connections read the statistics when they load the schema


# --------------------------------------------------------------------------------------------
# Databases
# --------------------------------------------------------------------------------------------

def sqlite_url(args) -> str:
    path = Path(args.sqlite or Path(tempfile.gettempdir()) / "huiyin-bench" / f"inbox-{args.cases}.sqlite3")
    path.parent.mkdir(parents=True, exist_ok=True)
    if args.reload:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def pg_url(args) -> str:
    parsed = make_url(args.pg)
    name = parsed.database or ""
    if name in PROTECTED_DATABASES or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise SystemExit(f"refusing to use database '{name}': the benchmark may drop its schema")
    engine = create_engine(parsed)
    try:
        with engine.connect():
            pass
    except Exception as exc:  # the database does not exist yet
        if "does not exist" not in str(exc):
            raise
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
    if args.reload:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return args.pg


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------

@dataclass
class Variant:
    key: str
    label: str
    run: Callable[[User], list]
    main: bool = False  # its plan is printed with --plans main


@dataclass
class Result(Timings):
    user: str
    key: str
    label: str
    rows: int
    times_ms: list[float] = field(default_factory=list)
    ids: list = field(default_factory=list)  # what the last call returned


@dataclass
class Profile:
    username: str
    territory_code: str  # for the territory filter
    territory_label: str
    open_total: int  # rows of the whole inbox (scope all)
    deep_offset: int


def profile_for(username: str, at) -> Profile:
    user = db.session.scalar(select(User).where(User.username == username))
    total = workspace.count(user, InboxFilter(), at)
    unit = db.session.get(Unit, user.memberships[0].unit_id)
    if username == HANDLER:
        # the handler's own village: every row matches, the subtree is one territory
        territory = db.session.get(Territory, unit.territory_id)
    else:
        # one county of ten: about a tenth of the centre's rows
        territory = db.session.scalar(select(Territory).where(Territory.level == "county")
                                      .order_by(Territory.code).limit(1))
    deep = 5000 if total >= 5050 else max(0, (total - 1) // 50 * 50)
    return Profile(username, territory.code, f"{territory.level} {territory.code}", total, deep)


def variants(profile: Profile, at) -> list[Variant]:
    def web(wanted: InboxFilter, offset: int = 0):
        return lambda user: workspace.inbox(user, wanted, at, limit=50, offset=offset)

    def count(user):
        return [workspace.count(user, InboxFilter(), at)]

    return [
        Variant("api", "API tasks.inbox (limit 50)", lambda user: tasks.inbox(user, limit=50), main=True),
        Variant("all", "web, scope all, sort due", web(InboxFilter()), main=True),
        Variant("mine", "web, scope mine", web(InboxFilter(scope="mine"))),
        Variant("unclaimed", "web, scope unclaimed", web(InboxFilter(scope="unclaimed")), main=True),
        Variant("red", "web, light red", web(InboxFilter(light="red")), main=True),
        Variant("yellow", "web, light yellow", web(InboxFilter(light="yellow"))),
        Variant("blue", "web, light blue", web(InboxFilter(light="blue"))),
        Variant("text", f"web, text '{TEXT_FILTER}'", web(InboxFilter(text=TEXT_FILTER)), main=True),
        Variant("territory", f"web, territory ({profile.territory_label})",
                web(InboxFilter(territory_code=profile.territory_code)), main=True),
        Variant("newest", "web, sort newest", web(InboxFilter(sort="newest")), main=True),
        Variant("deep", f"web, page at offset {profile.deep_offset}", web(InboxFilter(), profile.deep_offset),
                main=True),
        Variant("count", "web, count of scope all (paging)", count),
    ]


class Capture:
    """Remembers the last statement sent to the database while `on`, to EXPLAIN exactly that."""

    def __init__(self, engine) -> None:
        self.on = False
        self.last = None
        event.listen(engine, "before_cursor_execute", self._before)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        if self.on:
            self.last = (statement, parameters)


def explain(backend: str, statement: str, parameters) -> list[str]:
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if backend == "postgresql" else "EXPLAIN QUERY PLAN "
    rows = db.session.connection().exec_driver_sql(prefix + statement, parameters).all()
    if backend == "postgresql":
        return [row[0] for row in rows]
    depth = {}
    lines = []
    for node_id, parent, _, detail in rows:  # (id, parent, notused, detail)
        depth[node_id] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node_id] + detail)
    return lines


def measure(backend: str, args, capture: Capture, at, show_plans: bool, tag: str = "") -> list[Result]:
    results = []
    for username in (HANDLER, DISPATCHER):
        db.session.remove()
        profile = profile_for(username, at)
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        print(f"\n  {username}: {profile.open_total} open tasks in the inbox (scope all){tag}")
        for variant in variants(profile, at):
            result = Result(username, variant.key, variant.label, 0)
            for rep in range(args.warmup + args.reps):
                db.session.remove()  # a fresh session per request, as a server would have
                user = db.session.get(User, user_id)  # memberships load here (selectin), untimed
                start = time.perf_counter()
                rows = variant.run(user)
                elapsed = (time.perf_counter() - start) * 1000
                if rep >= args.warmup:
                    result.times_ms.append(elapsed)
                result.rows = len(rows) if variant.key != "count" else rows[0]
                result.ids = [row[0] for row in rows] if variant.key != "count" else list(rows)
            results.append(result)
            verdict = "meets" if result.p95 < TARGET_MS else "MISSES"
            print(f"    {variant.label:44} rows {result.rows:>6}  median {result.median:7.1f} ms"
                  f"  p95 {result.p95:7.1f} ms  {verdict}")
            if show_plans and (args.plans == "all" or variant.main):
                db.session.remove()
                user = db.session.get(User, user_id)
                capture.on = True
                try:
                    variant.run(user)
                finally:
                    capture.on = False
                statement, parameters = capture.last
                for line in explain(backend, statement, parameters):
                    print(f"        | {line}")
    db.session.remove()
    return results


def light_counts(at) -> None:
    """How the measured users' open tasks split into lights (informative)."""
    for username in (HANDLER, DISPATCHER):
        user = db.session.scalar(select(User).where(User.username == username))
        counts = {colour: workspace.count(user, InboxFilter(light=colour), at) for colour in lights_order()}
        print(f"  {username}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


def lights_order():
    return ("red", "yellow", "blue")


def run_backend(backend: str, args) -> dict[str, list[Result]]:
    url = sqlite_url(args) if backend == "sqlite" else pg_url(args)
    print(f"\n=== {backend}: {url}")
    print(f"  load average {load_average()} (2 cores: other work on the machine disturbs the figures)")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    load(app, args, backend)
    out = {}
    with app.app_context():
        counts = db.session.execute(select(
            select(func.count()).select_from(Case).scalar_subquery(),
            select(func.count()).select_from(HumanTask).where(HumanTask.status == "open").scalar_subquery(),
            select(func.count()).select_from(HumanTask).where(HumanTask.status != "open").scalar_subquery(),
            select(func.count()).select_from(Territory).scalar_subquery(),
            select(func.count()).select_from(Unit).scalar_subquery())).one()
        print(f"  cases {counts[0]}, open tasks {counts[1]}, other tasks {counts[2]}, "
              f"territories {counts[3]}, units {counts[4]}")
        # One basis for every phase: a page of yellow tasks changes by the minute (the most urgent
        # yellow tasks turn red), so phases measured minutes apart would not see the same rows.
        lights.basis(utcnow())  # warm: the first call loads the holiday calendar
        db.session.remove()
        t0 = time.perf_counter()
        at = lights.basis(utcnow())
        elapsed = (time.perf_counter() - t0) * 1000
        print(f"  lights.basis(utcnow()): {elapsed:.1f} ms (per request, not in the figures below)")
        light_counts(at)
        no_stats = backend == "sqlite" and args.sqlite_no_stats
        if no_stats:
            print("  SQLite statistics deleted (--sqlite-no-stats): the planner works without ANALYZE")
            analyze(backend, without_stats=True)
        capture = Capture(db.engine)
        out["baseline"] = measure(backend, args, capture, at, args.plans != "none")
        if no_stats:
            analyze(backend)  # the cached database keeps its statistics
        print(f"  load average {load_average()}")
        db.session.remove()
        db.engine.dispose()
    return out


def report(all_results: dict[str, dict[str, list[Result]]]) -> None:
    print("\n=== Summary (server time per call, ms; target < 100 ms)\n")
    columns = [(backend, phase) for backend, phases in all_results.items() for phase in phases]
    header = "| user | variant | rows | " + " | ".join(
        f"{backend}{'' if phase == 'baseline' else ' ' + phase} median / p95"
        for backend, phase in columns) + " |"
    print(header)
    print("|" + "---|" * (3 + len(columns)))
    first = all_results[columns[0][0]][columns[0][1]]
    for i, result in enumerate(first):
        cells = []
        for backend, phase in columns:
            other = all_results[backend][phase][i]
            mark = "" if other.p95 < TARGET_MS else " ✗"
            cells.append(f"{other.median:.1f} / {other.p95:.1f}{mark}")
        print(f"| {result.user} | {result.label} | {result.rows} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--completed", type=int, default=None, help="completed tasks (default cases / 10)")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--reload", action="store_true", help="rebuild the population")
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--plans", choices=("main", "all", "none"), default="main")
    parser.add_argument("--sqlite-no-stats", action="store_true",
                        help="SQLite: measure without planner statistics (before the scheduler's ANALYZE)")
    parser.add_argument("--sqlite", help="SQLite file (default: <tmp>/huiyin-bench/inbox-<cases>.sqlite3)")
    parser.add_argument("--pg", default=os.environ.get("BENCH_INBOX_DATABASE_URL", DEFAULT_PG))
    args = parser.parse_args()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    all_results = {backend: run_backend(backend, args) for backend in backends}
    report(all_results)


if __name__ == "__main__":
    main()
