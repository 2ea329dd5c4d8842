"""Scale benchmark: every list and page a user opens, at 3,000,000 requests (issue 15).

Fills PostgreSQL (`bench_scale`, created if missing) with the demo city and three years of
requests — 3,000,000 by default, 10 % open — then measures, per role, the inbox with every filter
(web and API), the case list (first and a deep page), the case page (GET /cases/<number> through
the Flask test client, signed in), and the search by number, phone and text (the public functions
of app/cases/search.py, as the list page calls them), N calls after a warm-up: median and p95.

The requests come from bench/statistics.py's generator (case_record, case_assignment, case_rating,
assessments; COPY, secondary indexes dropped during the load). What the engine writes is real:
three requests of the demo city are first driven through the complaint process with the app's
services (bench/scale_samples.py), and each generated request gets the rows of the sample at its
step — the serialized SpiffWorkflow state (a closed request keeps its completed instance and
state, as the app does), the case_event timeline, the completed human_task rows, the reply —
copied on the server by INSERT … SELECT from a staging row per request.

    make bench-scale
    .venv/bin/python bench/scale.py [--database URL] [--cases 3000000] [--reload] [--fill-only]
                                    [--only inbox,list,page,search] [--users village,dispatcher]
                                    [--reps 20] [--warmup 3] [--explain]

A filled database is kept: a re-run with the same size measures at once; one filled with other
options or an older generator is refused, not emptied, unless `--reload` says so. bench/README.md,
section "Scale (3,000,000 cases)".
"""
import sys
from pathlib import Path

HERE, REPO = Path(__file__).resolve().parent, Path(__file__).resolve().parents[1]
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import timedelta  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

os.environ.setdefault("SECRET_KEY", "huiyin-bench-not-secret")

from flask import current_app  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import create_app, demo  # noqa: E402
from app.accounts.models import User  # noqa: E402
from app.cases import search  # noqa: E402
from app.cases.models import Case  # noqa: E402
from app.cases.service import list_visible  # noqa: E402
from app.clock import utcnow  # noqa: E402
from app.engine import repository, tasks  # noqa: E402
from app.engine.transaction import transaction  # noqa: E402
from app.extensions import db  # noqa: E402
from app.organisation.models import Territory, Unit  # noqa: E402
from app.timelimits import lights  # noqa: E402
from app.timelimits.limits import seed_defaults  # noqa: E402
from app.workspace import inbox as workspace  # noqa: E402
from app.workspace.inbox import InboxFilter  # noqa: E402
from bench import statistics as city_fill  # noqa: E402
from bench.common import Timings, fill_parser, keep_fill, load_average  # noqa: E402
from bench.scale_samples import Samples, collect  # noqa: E402

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_scale"
#: Never these (the tests', PostgreSQL's own, the other benchmarks'), nor test_* / h_* (helpers' tests).
PROTECTED_DATABASES = {"test", "postgres", "template0", "template1", "bench", "bench_inbox",
                       "bench_statistics"}
MARKER = "bench_scale_fill"  # the marker: a table holding the fill's signature
FILL_VERSION = 3  # 3: the cases carry their search words
TARGET_MS = 100.0
PAGE_SIZE = 50  # app/web/cases.py
DEEP_OFFSET = 1000
TEXT = "路灯"  # a category's word: in 10 % of the titles
#: Who measures (app/demo.py's logins): the unit roles at every level, the dispatchers, reviewers.
USERS = ("village", "township", "county", "city", "village_reviewer", "county_reviewer",
         "county_dispatcher", "dispatcher", "county_supervisor", "supervisor")
#: Statistics' open step -> the complaint process's elements it stands for (weights).
ELEMENTS = {"triage": {"triage": 1, "dispatch": 1}, "sign_for": {"first_contact": 1},
            "handle": {"handle": 1}, "unit_review": {"unit_review": 1},
            "revisit": {"platform_review": 2, "rating": 3}}
#: Generated on the server from the samples (their secondary indexes are dropped meanwhile too).
SERVER_TABLES = ("case_event", "case_reply")
STAGE_COLUMNS = ("case_id", "path", "created_at", "last_at", "unit_id", "level", "platform_id", "assignee_id")


# --------------------------------------------------------------------------------------------
# The fill
# --------------------------------------------------------------------------------------------

def signature(args) -> str:
    return f"bench-scale v{FILL_VERSION} cases={args.cases} seed={args.seed}"


def database_url(args) -> str:
    name = make_url(args.database).database or ""
    if name in PROTECTED_DATABASES or name.startswith(("test", "h_")):
        raise SystemExit(f"refusing to use database '{name}': the benchmark may drop its schema")
    city_fill.PROTECTED_DATABASES = PROTECTED_DATABASES
    return city_fill.database_url(args)


class ScaleFiller(city_fill.Filler):
    """The statistics generator, with the engine's rows left to the server: each request's open
    task is written here (its unit, role and limit are the generator's), everything the samples
    give — instance, timeline, completed tasks, reply — as one staging row."""

    def __init__(self, *args, samples: Samples, centres: dict[str, int], handlers: dict[int, int]) -> None:
        super().__init__(*args)
        self.samples, self.centres, self.handlers = samples, centres, handlers
        self.picks = {step: city_fill.Pick(self.rng, weights) for step, weights in ELEMENTS.items()}
        self.rows["stage"] = []

    def _emit(self, case_id, plan, place, category, case, holds, ratings, task) -> None:
        super()._emit(case_id, plan, place, category, case, holds, ratings, None)
        at, platform = self._at, self.centres[place.county]
        if task is None:
            path = "closed:" + (plan.kind if plan.kind in ("refused", "intake") else "dispatched")
            last, unit, assignee = case["closed"], case["unit"], None
        else:
            step, unit, _role, since, due = task
            path = self.picks[step]()
            sample = self.samples.open[path].task
            unit = {"intake": self.centres["city"], "platform": platform}.get(sample["unit"], unit)
            # the handler who signed for a request keeps its next steps (the process claims them)
            assignee = self.handlers.get(unit) if path in ("handle",) else None
            self.rows["human_task"].append("\t".join((
                str(uuid.UUID(int=self.rng.getrandbits(128), version=4)), str(case_id), str(case_id), path,
                sample["name"], str(unit), sample["candidate_role"], "open", str(at(since)),
                city_fill._t(at(due)), city_fill._n(assignee), city_fill._n(sample["form_key"]))))
            last, unit = since, case["unit"]
        self.rows["stage"].append("\t".join((
            str(case_id), path, str(at(plan.created)), str(at(last)), city_fill._n(unit),
            city_fill._n(case["level"]), str(platform), city_fill._n(assignee))))


COLUMNS = {**city_fill.COLUMNS,
           "human_task": (*city_fill.COLUMNS["human_task"], "assignee_id", "form_key"),
           "stage": STAGE_COLUMNS}
COLUMNS.pop("process_instance")


def copy_rows(cursor, rows: dict[str, list[str]]) -> None:
    for table, lines in rows.items():
        if lines:
            name = "scale_stage" if table == "stage" else table
            with cursor.copy(f"COPY {name} ({', '.join(COLUMNS[table])}) FROM STDIN") as copy:
                copy.write("\n".join(lines) + "\n")
            lines.clear()


def _samples_tables(cursor, samples: Samples) -> None:
    """The samples as tables the server joins with the staging rows."""
    cursor.execute("CREATE TEMP TABLE scale_state (path text PRIMARY KEY, status text, state text)"
                   " ON COMMIT DROP")
    cursor.execute("CREATE TEMP TABLE scale_event (path text, ord int, n int, kind text, element_id text,"
                   " payload json) ON COMMIT DROP")
    cursor.execute("CREATE TEMP TABLE scale_done (path text, ord int, n int, element_id text, name text,"
                   " role text, form_key text, action text, unit text, data json) ON COMMIT DROP")
    steps = {**samples.open, **{f"closed:{key}": step for key, step in samples.closed.items()}}
    for path, step in steps.items():
        cursor.execute("INSERT INTO scale_state VALUES (%s, %s, %s)", (path, step.status, step.state))
        for i, (kind, element, payload) in enumerate(step.events):
            cursor.execute("INSERT INTO scale_event VALUES (%s, %s, %s, %s, %s, %s)",
                           (path, i, len(step.events), kind, element, payload))
        for i, done in enumerate(step.completed):
            cursor.execute("INSERT INTO scale_done VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                           (path, i, len(step.completed), done["element_id"], done["name"],
                            done["candidate_role"], done["form_key"], done["action"], done["unit"],
                            done["data"]))
    cursor.execute("CREATE TEMP TABLE scale_stage (case_id int, path text, created_at timestamp,"
                   " last_at timestamp, unit_id int, level text, platform_id int, assignee_id int)"
                   " ON COMMIT DROP")


#: What the server writes from the staging rows: a moment `ord` of `n` steps between registration
#: and the last step; the sample's units stand for the request's own.
_SPREAD = "s.created_at + (s.last_at - s.created_at) * ({ord}::float / greatest({n}, 1))"
SERVER_FILL = {
    "process_instance": (
        "INSERT INTO process_instance (id, definition_id, case_id, status, state, revision, incident_open,"
        " created_at, updated_at) SELECT s.case_id, %(definition)s, s.case_id,"
        " CASE WHEN st.status = 'completed' THEN 'completed' ELSE 'running' END, st.state, 1 + ("
        " SELECT count(*) FROM scale_done d WHERE d.path = s.path), false, s.created_at, s.last_at"
        " FROM scale_stage s JOIN scale_state st ON st.path = s.path"),
    "human_task": (
        "INSERT INTO human_task (id, instance_id, case_id, element_id, name, candidate_unit_id,"
        " candidate_role, status, created_at, completed_at, action, data, form_key)"
        " SELECT md5(s.case_id || '-' || d.ord)::uuid::text, s.case_id, s.case_id, d.element_id, d.name,"
        " CASE d.unit WHEN 'intake' THEN %(centre)s WHEN 'platform' THEN s.platform_id ELSE"
        " coalesce(s.unit_id, s.platform_id) END, d.role, 'completed', "
        + _SPREAD.format(ord="d.ord", n="d.n + 1") + ", " + _SPREAD.format(ord="d.ord + 1", n="d.n + 1")
        + ", d.action, d.data, d.form_key FROM scale_stage s JOIN scale_done d ON d.path = s.path"),
    "case_event": (
        "INSERT INTO case_event (case_id, instance_id, kind, element_id, at, payload)"
        " SELECT s.case_id, s.case_id, e.kind, e.element_id, " + _SPREAD.format(ord="e.ord", n="e.n - 1")
        + ", e.payload FROM scale_stage s JOIN scale_event e ON e.path = s.path ORDER BY s.case_id, e.ord"),
    "case_reply": (
        "INSERT INTO case_reply (case_id, unit_id, level, policy_basis, result, responsible_person,"
        " contact_phone, status, created_at, released_at)"
        " SELECT s.case_id, s.unit_id, s.level, '《城市道路照明设施管理规定》',"
        " '已到现场核实并处理，已电话告知诉求人',"
        " '王主任', '13900001111', CASE WHEN s.path IN ('unit_review', 'platform_review') THEN 'draft'"
        " ELSE 'released' END, s.last_at, CASE WHEN s.path IN ('unit_review', 'platform_review') THEN NULL"
        " ELSE s.last_at END FROM scale_stage s"
        " WHERE s.path IN ('unit_review', 'platform_review', 'rating', 'closed:dispatched',"
        " 'closed:intake')"),
}


def _server_fill(cursor, timings: dict[str, float], parameters: dict) -> None:
    """The engine's rows of one chunk of requests, from its staging rows (then emptied): a
    chunk's sort fits in memory, where 27 M timeline rows at once spill to disk."""
    for table, statement in SERVER_FILL.items():
        t1 = time.perf_counter()
        cursor.execute(statement, parameters)
        timings[table] += time.perf_counter() - t1
    cursor.execute("TRUNCATE scale_stage")


def _prepare(rng: random.Random):
    """Time limits, the deployed workflows, the demo city; the real samples (their rows are
    removed again)."""
    seed_defaults()
    db.session.commit()
    with transaction():
        repository.deploy_directory(REPO / "workflows")
    city = city_fill.load_city(rng)
    units = {u.code: u.id for u in db.session.scalars(select(Unit))}
    village = "210902001001"
    samples = collect(village, "lighting", units[village],
                      {"intake": units[f"{demo.CITY[0]}-CENTER"], "platform": units["210902-CENTER"]})
    centres = {county: units[f"{county}-CENTER"] for county in city_fill.COUNTY_WEIGHTS}
    centres["city"] = units[f"{demo.CITY[0]}-CENTER"]
    handlers = dict(db.session.execute(text(
        "SELECT unit_id, min(user_id) FROM membership WHERE role = 'handler' GROUP BY unit_id")).all())
    db.session.remove()
    return city, samples, centres, handlers


def fill(args) -> bool:
    """Migrate; unless the database holds this fill already, load the city and its requests."""
    t0 = time.perf_counter()
    upgrade()
    found = db.session.scalar(text(f"SELECT max(signature) FROM {MARKER}")) if db.session.scalar(
        text("SELECT to_regclass(:name)"), {"name": MARKER}) else None
    db.session.remove()
    if keep_fill(found, signature(args), args.reload, city_fill.holds_cases(), city_fill.wipe):
        return False
    rng = random.Random(args.seed)
    city, samples, centres, handlers = _prepare(rng)
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    end = utcnow().replace(microsecond=0, second=0)
    start = end - timedelta(days=city_fill.YEARS_DAYS)
    print(f"  migrated, the demo city and three real requests ({time.perf_counter() - t0:.1f} s)")
    timings = {}
    with db.engine.begin() as connection:
        cursor = connection.connection.driver_connection.cursor()
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute("SET LOCAL work_mem = '256MB'")  # a chunk's timeline is sorted in memory
        cursor.execute("SET LOCAL session_replication_role = replica")  # no FK or rollup triggers per row
        cursor.execute(f"CREATE TABLE {MARKER} (signature text)")
        cursor.execute(f"INSERT INTO {MARKER} VALUES (%s)", (signature(args),))
        tables = [*city_fill.COLUMNS, *SERVER_TABLES]
        indexes = cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY(%s)"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)", (tables,)).fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        _samples_tables(cursor, samples)
        filler = ScaleFiller(city, rng, start, end, zone.utcoffset(end), samples.definition_id,
                             samples=samples, centres=centres, handlers=handlers)
        opened = round(args.cases * args.open_share)
        plans = filler.plans(args.cases - opened, opened)
        timings = dict.fromkeys(("generated", "copied", *SERVER_FILL), 0.0)
        parameters = {"definition": samples.definition_id, "centre": centres["city"]}
        with ThreadPoolExecutor(1) as server:  # the server writes a chunk while Python makes the next
            writing = None
            for first in range(0, len(plans), city_fill.CHUNK):
                t1 = time.perf_counter()
                for case_id, plan in enumerate(plans[first:first + city_fill.CHUNK], start=first + 1):
                    filler.request(case_id, plan)
                t2 = time.perf_counter()
                if writing is not None:
                    writing.result()
                t3 = time.perf_counter()
                copy_rows(cursor, filler.rows)
                timings["generated"] += t2 - t1
                timings["copied"] += time.perf_counter() - t3
                writing = server.submit(_server_fill, cursor, timings, parameters)
                done = min(first + city_fill.CHUNK, len(plans))
                print(f"\r  {done:>9,} requests: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
                      + f"; {time.perf_counter() - t0:.0f} s in all", end="", flush=True)
            writing.result()
        print()
        cursor.execute("INSERT INTO case_number_counter (day, last_value) SELECT"
                       " to_date(substr(number, 3, 8), 'YYYYMMDD'), max(substr(number, 12)::int)"
                       " FROM case_record GROUP BY 1 ON CONFLICT (day) DO UPDATE"
                       " SET last_value = greatest(case_number_counter.last_value, excluded.last_value)")
        t1 = time.perf_counter()
        for _, definition in indexes:
            cursor.execute(definition)
        for table in ("case_record", "case_assignment", "case_rating", "process_instance", "case_event",
                      "case_reply", "unit_assessment", "accountability_referral"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"coalesce((SELECT max(id) FROM {table}), 1))")
        timings["indexes"] = time.perf_counter() - t1
        print(f"  {len(indexes)} indexes built again ({timings['indexes']:.1f} s)")
    t1 = time.perf_counter()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE)"))
    print(f"  VACUUM ANALYZE {time.perf_counter() - t1:.1f} s; filled in {time.perf_counter() - t0:.1f} s"
          f" (load average {load_average()})")
    return True


SIZE_TABLES = ("case_record", "process_instance", "human_task", "case_event", "case_assignment",
               "case_rating", "case_reply", "unit_assessment", "accountability_referral")


def table_sizes() -> list[tuple[str, int, float, float]]:
    """(table, rows, MB of the table with its TOAST, MB of its indexes)."""
    found = []
    with db.engine.connect() as conn:
        for table in SIZE_TABLES:
            rows = conn.scalar(text(f"SELECT count(*) FROM {table}"))
            heap, indexes = conn.execute(text("SELECT pg_table_size(:t), pg_indexes_size(:t)"),
                                         {"t": table}).one()
            found.append((table, rows, heap / 2**20, indexes / 2**20))
    return found


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------

@dataclass
class Probe:
    group: str  # inbox, list, page, search
    key: str
    call: Callable[[User], object]


@dataclass
class Result(Timings):
    user: str
    probe: Probe
    rows: int = 0
    times_ms: list[float] = field(default_factory=list)


def _listed(wanted: dict, offset: int = 0):
    """The case list as app/web/cases.py asks for it: parse, condition, one page (+1)."""
    def call(user):
        condition = search.condition(search.parse(wanted), lights.basis(utcnow()))
        return list_visible(user, limit=PAGE_SIZE + 1, offset=offset, where=condition)
    return call


def probes(user: User, client) -> list[Probe]:
    """Everything the user opens; the case page, number and phone are of a case the user sees."""
    at = lights.basis(utcnow())
    unit = db.session.get(Unit, user.memberships[0].unit_id)
    territory = db.session.get(Territory, unit.territory_id)
    # a territory filter inside the user's own: a township of a county, a county of the city
    inner = db.session.scalar(select(Territory).where(Territory.parent_id == territory.id)
                              .order_by(Territory.code).limit(1)) or territory
    newest = list_visible(user, limit=1)
    sample = newest[0] if newest else None
    month_ago = (utcnow() - timedelta(days=30)).date()

    def web(wanted: InboxFilter, offset: int = 0):
        return lambda u: workspace.inbox(u, wanted, at, limit=50, offset=offset)

    found = [Probe("inbox", "API tasks.inbox", lambda u: tasks.inbox(u, limit=50))]
    found += [Probe("inbox", f"inbox {label}", web(wanted)) for label, wanted in (
        ("all (due)", InboxFilter()), ("mine", InboxFilter(scope="mine")),
        ("unclaimed", InboxFilter(scope="unclaimed")), ("queue dispatch", InboxFilter(queue="dispatch")),
        ("queue review", InboxFilter(queue="review")),
        ("type complaint", InboxFilter(request_type="complaint")),
        ("class livelihood", InboxFilter(klass="livelihood")), ("light red", InboxFilter(light="red")),
        ("light yellow", InboxFilter(light="yellow")), ("light blue", InboxFilter(light="blue")),
        ("territory below own", InboxFilter(territory_code=inner.code)),
        ("last 30 days", InboxFilter(created_from=month_ago)), (f"text {TEXT}", InboxFilter(text=TEXT)),
        ("sort newest", InboxFilter(sort="newest")), ("sort oldest", InboxFilter(sort="oldest")))]
    found += [Probe("inbox", "inbox page at offset 500", web(InboxFilter(), 500)),
              Probe("inbox", "inbox count", lambda u: [workspace.count(u, InboxFilter(), at)])]
    found += [Probe("list", "case list, page 1", _listed({})),
              Probe("list", f"case list, offset {DEEP_OFFSET}", _listed({}, DEEP_OFFSET)),
              Probe("list", "case list, open", _listed({"status": "open"})),
              Probe("list", "case list, territory below own", _listed({"territory": inner.code})),
              Probe("list", "case list, light red", _listed({"light": "red"})),
              Probe("list", "case list, last 30 days", _listed({"from": month_ago.isoformat()}))]
    if sample is not None:
        found += [Probe("search", "search by number", _listed({"number": sample.number})),
                  Probe("search", "search by phone", _listed({"phone": sample.requester_phone})),
                  Probe("search", f"search by text {TEXT}", _listed({"q": TEXT})),
                  Probe("page", "case page GET /cases/<number>", _page(client, sample.number))]
    return found


def _page(client, number: str):
    def call(_user):
        response = client.get(f"/cases/{number}")
        assert response.status_code == 200, response.status_code
        return [response]
    return call


_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def signed_in(app, username: str):
    """A test client signed in as the demo user (app/demo.py's password)."""
    client = app.test_client()
    token = _TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"csrf_token": token, "username": username,
                                           "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def explain(capture: city_fill.Capture, probe: Probe, user_id: int) -> None:
    db.session.remove()
    user = db.session.get(User, user_id)
    city_fill.explain_call(capture, lambda: probe.call(user))


def measure(app, args) -> list[Result]:
    capture = city_fill.Capture(db.engine)
    results = []
    users = args.users.split(",") if args.users else USERS
    for username in users:
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        client = signed_in(app, username)
        user = db.session.get(User, user_id)
        print(f"\n  {username} ({', '.join(f'{m.role}@{m.unit_id}' for m in user.memberships)})")
        wanted = [p for p in probes(user, client)
                  if not args.only or any(w in f"{p.group} {p.key}" for w in args.only.split(","))]
        for probe in wanted:
            result = Result(username, probe)
            for rep in range(args.warmup + args.reps):
                db.session.remove()  # a fresh session per request, as a server would have
                user = db.session.get(User, user_id)  # with its memberships, untimed
                started = time.perf_counter()
                found = probe.call(user)
                elapsed = (time.perf_counter() - started) * 1000
                if rep >= args.warmup:
                    result.times_ms.append(elapsed)
                result.rows = found[0] if probe.key == "inbox count" else len(found)
            results.append(result)
            mark = "" if result.p95 < TARGET_MS else "  ✗"
            print(f"    {probe.key:40} {result.rows:>7,}  median {result.median:7.1f}"
                  f"  p95 {result.p95:7.1f}{mark}")
            if args.explain:
                explain(capture, probe, user_id)
    db.session.remove()
    return results


def report(results: list[Result], sizes, cases: int, loads: tuple[str, str]) -> None:
    print(f"\n=== Summary: median / p95 in ms, target p95 < {TARGET_MS:.0f} ms"
          f" (load average before {loads[0]}, after {loads[1]})\n")
    users = list(dict.fromkeys(r.user for r in results))
    print("| probe | " + " | ".join(users) + " |")
    print("|---|" + "---|" * len(users))
    for key in dict.fromkeys(r.probe.key for r in results):
        cells = []
        for user in users:
            found = next((r for r in results if r.user == user and r.probe.key == key), None)
            cells.append("" if found is None else
                         f"{found.median:.0f} / {found.p95:.0f}{'' if found.p95 < TARGET_MS else ' ✗'}")
        print(f"| {key} | " + " | ".join(cells) + " |")
    missed = [r for r in results if r.p95 >= TARGET_MS]
    print(f"\n  {len(results) - len(missed)} of {len(results)} under {TARGET_MS:.0f} ms at p95")
    city_fill.print_table_sizes(sizes, cases, heap_label="table MB (with TOAST)")


def main() -> None:
    parser = fill_parser(__doc__, os.environ.get("BENCH_SCALE_DATABASE_URL", DEFAULT_DATABASE),
                         reps=20, warmup=3)
    parser.add_argument("--cases", type=int, default=3_000_000)
    parser.add_argument("--open-share", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=20261215)
    parser.add_argument("--only", help="comma-separated parts of probe names, e.g. inbox,list,page,search")
    parser.add_argument("--users", help=f"comma-separated demo logins (default {','.join(USERS)})")
    args = parser.parse_args()
    url = database_url(args)
    shown = make_url(url).render_as_string(hide_password=True)
    print(f"=== {shown}  (load average {load_average()})")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        fill(args)
        if args.fill_only:
            return
        cases = db.session.scalar(select(func.count()).select_from(Case))
        loads = [load_average()]
        results = measure(app, args)
        loads.append(load_average())
        report(results, table_sizes(), cases, (loads[0], loads[1]))


if __name__ == "__main__":
    main()
