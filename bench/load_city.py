"""The load run's population (bench/load.py): the demo city with staff at every unit, a closed
history loaded with COPY by the statistics benchmark's generator, and open cases driven through
the real services in process to every step of the complaint process, so that the web workers can
go on with them.

Why two ways: closed cases need no process state (lists, case pages and statistics read only
their rows), so the statistics generator writes them fast; open cases must carry a real
SpiffWorkflow instance the engine can complete, which only the services make.
"""
import logging
import multiprocessing
import random
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from zoneinfo import ZoneInfo

from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import select, text

from app import demo
from app.accounts.models import Membership, User
from app.accounts.security import hash_password
from app.cases.service import NewCase, create_case
from app.clock import utcnow
from app.engine import tasks
from app.engine.errors import Conflict
from app.engine.models import HumanTask
from app.engine.transaction import transaction
from app.extensions import db
from app.organisation.models import Unit
from app.statistics import rollup
from app.timelimits.limits import seed_defaults
from bench import statistics as city_fill
from bench.common import keep_fill

PROCESSES = 3  # filling the open cases
POPULATION_VERSION = 2  # 2: the cases carry their search words
#: Where the open cases stop (share of the open cases): a share waits at every step.
STOPS = {"triage": 6, "dispatch": 12, "first_contact": 18, "signed_for": 6, "handle": 28, "unit_review": 10,
         "platform_review": 8, "rating": 12}
PATH = ("triage", "dispatch", "first_contact", "handle", "unit_review", "platform_review", "rating")
#: The open cases' channels, as in the statistics benchmark (hotline: registered by a registrar).
CHANNELS = {"hotline": 62, "wechat": 14, "web": 9, "app": 7, "sms": 4, "api": 4}
REPLY = {"action": "reply", "policy_basis": "《阜新市城市管理条例》",
         "result": "已现场核实并处理完毕，已电话告知诉求人。",
         "responsible_person": "王主任", "contact_phone": "0418-2812345"}


@dataclass
class Staff:
    """The load's logins: username -> (role, unit code); password demo.DEMO_PASSWORD."""
    users: dict[str, tuple[str, str]]


def staff_rows(units: list[Unit]) -> dict[str, tuple[str, str]]:
    """One handler and one unit reviewer per handling unit; a dispatcher, a platform supervisor and a
    leader per platform centre; registrars at the city's centre."""
    found = {}
    for unit in units:
        if unit.kind == "centre":
            for prefix, role in (("d", "dispatcher"), ("s", "platform_supervisor"), ("l", "leader")):
                found[f"{prefix}-{unit.code}"] = (role, unit.code)
        else:
            found[f"h-{unit.code}"] = ("handler", unit.code)
            found[f"r-{unit.code}"] = ("unit_reviewer", unit.code)
    centre = f"{demo.CITY[0]}-CENTER"
    for n in range(1, 5):
        found[f"reg-{n}"] = ("registrar", centre)
    return found


def _add_staff() -> None:
    units = list(db.session.scalars(select(Unit).order_by(Unit.code)))
    by_code = {u.code: u for u in units}
    rows = staff_rows(units)
    password = hash_password(demo.DEMO_PASSWORD)
    for username, (role, code) in rows.items():
        user = User(username=username, display_name=f"压测 {username}", password_hash=password)
        user.memberships.append(Membership(unit_id=by_code[code].id, role=role))
        db.session.add(user)
    db.session.commit()


def signature(args) -> str:
    return f"bench-load v{POPULATION_VERSION} closed={args.closed} open={args.open} seed={args.seed}"


def present() -> str | None:
    """The population's signature, kept as the comment of the schema (invisible to the app: a
    marker row, e.g. a process definition, would be read by every request)."""
    return db.session.scalar(text("SELECT obj_description('public'::regnamespace, 'pg_namespace')"))


def _closed_history(rng: random.Random, closed: int) -> None:
    """The statistics generator's closed requests (no process state), COPYed with the rollup's
    triggers off, then the rollup computed from the facts (as bench/statistics.py does)."""
    city = city_fill.load_city(rng)
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    end = utcnow().replace(microsecond=0, second=0)
    start = end - timedelta(days=365)
    with db.engine.begin() as connection:
        cursor = connection.connection.driver_connection.cursor()
        cursor.execute("SET LOCAL session_replication_role = replica")
        filler = city_fill.Filler(city, rng, start, end, zone.utcoffset(end), definition_id=0)
        for case_id, plan in enumerate(filler.plans(closed, 0), start=1):
            filler.request(case_id, plan)
        city_fill.copy_rows(cursor, filler.rows)
        for table in (t for t in city_fill.COLUMNS if t != "human_task"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"coalesce((SELECT max(id) FROM {table}), 1))")
        rollup.install(connection, zone.key)


class Driver:
    """Moves one open case along the complaint process with the staff's logins, in process."""

    def __init__(self, rng: random.Random, staff: Staff) -> None:
        self.rng = rng
        ids = dict(db.session.execute(select(Unit.code, Unit.id)).all())
        users = {u.username: u
                 for u in db.session.scalars(select(User).where(User.username.in_(staff.users)))}
        self.by_unit_role = {(ids[code], role): users[name] for name, (role, code) in staff.users.items()}
        self.registrar = users["reg-1"]

    def _open(self, case_id: int) -> HumanTask:
        return db.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id,
                                                          HumanTask.status == "open")).first()

    def _actor(self, task: HumanTask) -> User:
        if task.assignee_id:
            return db.session.get(User, task.assignee_id)
        return self.by_unit_role[(task.candidate_unit_id, task.candidate_role)]

    def advance(self, case_id: int, stop: str) -> None:
        """Complete the case's steps until its open task is `stop` ("signed_for": first contact,
        signed for but not done)."""
        wanted = "first_contact" if stop == "signed_for" else stop
        for _ in range(len(PATH)):
            task = self._open(case_id)
            if task is None or task.element_id == wanted:
                break
            actor, element = self._actor(task), task.element_id
            db.session.rollback()
            tasks.complete(actor, task.id, self._data(actor, task.id, element))
        if stop == "signed_for" and task is not None:
            tasks.claim(self._actor(task), task.id)
        db.session.rollback()

    def _data(self, actor: User, task_id: str, element: str) -> dict:
        if element == "triage":
            return {"action": "accept"}
        if element == "dispatch":
            _, data, _ = tasks.form_context(actor, task_id)
            db.session.rollback()
            return {"action": "assign", "unit_id": data["proposed_unit_id"], "level": data["proposed_level"],
                    "complexity": self.rng.choice(("simple", "simple", "complex"))}
        if element == "first_contact":
            return {"action": "accept", "contact_result": "reached"}
        if element == "handle":
            return REPLY
        return {"action": "approve"}


def _open_cases(rng: random.Random, staff: Staff, count: int, part: int = 0, parts: int = 1) -> None:
    """Register `count` cases (a registrar for the hotline's, nobody for the channels') and move
    each to a step drawn from STOPS; in the places of this `part` only (_open_cases_in_parallel)."""
    driver = Driver(rng, staff)
    places = [(t.code, t.name) for n, t in enumerate(db.session.execute(text(
        "SELECT code, name FROM territory WHERE level IN ('village', 'grid') ORDER BY code")))
        if n % parts == part]
    categories = [(code, name) for code, name, _, _ in demo.CATEGORIES]
    pick_channel = city_fill.Pick(rng, CHANNELS)
    pick_stop = city_fill.Pick(rng, STOPS)
    pick_type = city_fill.Pick(rng, city_fill.REQUEST_TYPES)
    started = time.perf_counter()
    for n in range(1, count + 1):
        (code, place), (category, name) = rng.choice(places), rng.choice(categories)
        channel = pick_channel()
        new = NewCase(title=f"{name}问题（{place}）", channel=channel, territory_code=code,
                      category_code=category,
                      description=f"{place}{rng.randrange(1, 40)}号楼居民反映："
                                  f"{city_fill.ISSUES[category]}。",
                      requester_name=f"{rng.choice(city_fill.SURNAMES)}先生",
                      requester_phone=f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                      request_type=pick_type())
        actor = driver.registrar if channel == "hotline" else None
        case = _retried(partial(create_case, new, actor))[0]
        _retried(partial(driver.advance, case.id, pick_stop()))
        if n % 250 == 0 or n == count:
            print(f"  open cases, part {part}: {n:,}/{count:,} ({time.perf_counter() - started:.0f} s)",
                  flush=True)


def _retried(step, attempts: int = 5):
    """Parallel fillers sometimes collide (the day's case counter, a deadlock): try again."""
    for attempt in range(attempts):
        try:
            return step()
        except Conflict:
            db.session.rollback()
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    return None


def _drive_part(url: str, seed: int, count: int, part: int, parts: int) -> None:
    """One process's share of the open cases, with its own app and connections."""
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    logging.getLogger("spiff").setLevel(logging.WARNING)  # a line per task state otherwise
    with app.app_context():
        _open_cases(random.Random(seed), Staff(staff_logins()), count, part, parts)


def _open_cases_in_parallel(seed: int, count: int, processes: int) -> None:
    """The services are round-trip bound (about 30 statements a step), so a few processes fill
    the open cases faster than one, even on 2 cores. Each process has its own places: two
    transactions writing the statistics rollup of the same place and day can deadlock (a finding
    of this load run, bench/README.md)."""
    url = db.engine.url.render_as_string(hide_password=False)
    shares = [count // processes + (i < count % processes) for i in range(processes)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        parts = [pool.submit(_drive_part, url, seed + i, share, i, processes)
                 for i, share in enumerate(shares)]
        for part in parts:
            part.result()


def populate(args) -> bool:
    """Build the population unless the database holds this one; True when it was built."""
    upgrade()
    found = present()
    if keep_fill(found, signature(args), args.reload, city_fill.holds_cases(), city_fill.wipe):
        return False
    t0 = time.perf_counter()
    rng = random.Random(args.seed)
    with transaction():
        seed_defaults()
    from app.cli import deploy_command

    result = current_app.test_cli_runner().invoke(deploy_command)
    if result.exit_code:
        raise SystemExit(result.output)
    _closed_history(rng, args.closed)
    print(f"  demo city and {args.closed:,} closed cases (statistics generator, COPY): "
          f"{time.perf_counter() - t0:.0f} s")
    _add_staff()
    db.session.remove()
    t1 = time.perf_counter()
    _open_cases_in_parallel(args.seed, args.open, PROCESSES)
    print(f"  {args.open:,} open cases through the services in process: {time.perf_counter() - t1:.0f} s")
    with transaction() as session:
        session.execute(text(f"COMMENT ON SCHEMA public IS '{signature(args)}'"))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE)"))
    print(f"  population built in {time.perf_counter() - t0:.0f} s")
    return True


def staff_logins() -> dict[str, tuple[str, str]]:
    """The load's logins as stored: username -> (role, unit code)."""
    units = list(db.session.scalars(select(Unit).order_by(Unit.code)))
    return staff_rows(units)

