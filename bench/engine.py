"""Engine benchmark: the two-user-task comparison process, in process or over HTTP.

One instance = three operations, each its own transaction (HTTP: its own request):
  create    create a case and run its process to user task `handle`
  handle    complete `handle` with {"approved": True}
  rate      complete `rate`
Only these three operations are timed and counted (SQL statements, commits). Between them, an
untimed query finds the next task's id in `human_task` (and, with --assign direct, assigns it
to the benchmark user; see bench/README.md for why).

    .venv/bin/python bench/engine.py [--backend sqlite|postgresql|both] [--http] [--n 200] [--runs 3]
"""
import argparse
import cProfile
import functools
import inspect
import logging
import os
import pstats
import re
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Run as a script, sys.path[0] is bench/, not the repository, and bench/statistics.py would hide
# the standard library's statistics module.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
import statistics  # noqa: E402

# A fixed key, so create_app does not have to generate instance/secret_key.
os.environ.setdefault("SECRET_KEY", "huiyin-bench-not-secret")

from flask_migrate import upgrade  # noqa: E402
from lxml import etree  # noqa: E402
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.camunda.parser import CamundaParser  # noqa: E402
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from sqlalchemy import event, func, select, update  # noqa: E402
from sqlalchemy.engine import Connection, Engine, make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import Membership, User  # noqa: E402
from app.accounts.security import hash_password, issue_token  # noqa: E402
from app.api import cases as api_cases  # noqa: E402
from app.api import security as api_security  # noqa: E402
from app.cases.models import Case  # noqa: E402
from app.cases.service import NewCase, create_case  # noqa: E402
from app.engine import history, mirrors, repository, runtime, serialization, tasks, validation  # noqa: E402
from app.engine.errors import NotFound  # noqa: E402
from app.engine.models import HumanTask, ProcessInstance  # noqa: E402
from app.engine.transaction import transaction  # noqa: E402
from app.extensions import db  # noqa: E402
from app.organisation.models import Unit  # noqa: E402
from bench.common import create_database, empty_database, load_average  # noqa: E402

PROCESS_ID = "Process_two_user_tasks"
#: shared/ sits beside the main checkout (/work/main) and above the worktrees (/work/wt/<name>).
DEFAULT_BPMN = next((p / "shared/bench/two_user_tasks.bpmn" for p in Path(__file__).resolve().parents
                     if (p / "shared/bench/two_user_tasks.bpmn").exists()),
                    Path(__file__).resolve().parents[2] / "shared/bench/two_user_tasks.bpmn")
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
OPERATIONS = ("create", "handle", "rate")
OPERATION_LABELS = {"create": "create + run to handle", "handle": "complete handle",
                    "rate": "complete rate"}
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"

# spiffworkflow-backend figures from shared/bench/README.md: (inst/s SQLite, inst/s PostgreSQL,
# statements / instance, commits / instance), and Huiyin's targets (10x).
PEER = {"service": (11.0, 8.7, 191, 17), "http": (6.9, 5.4, 237, 17)}
TARGET = {"service": (110.0, 87.0), "http": (70.0, 55.0)}
PROTECTED_DATABASES = {"test", "postgres", "template0", "template1"}


# --------------------------------------------------------------------------------------------
# Counting SQL statements, commits and the time spent in them
# --------------------------------------------------------------------------------------------

class SqlCounter:
    """Counts statements and commits on one engine while `active`; executemany counts as one."""

    current: "SqlCounter | None" = None  # the counter whose engine the last commit went to

    def __init__(self, engine) -> None:
        self.active = False
        self.statements = 0
        self.commits = 0
        self.checkouts = 0
        self.execute_seconds = 0.0
        self.commit_seconds = 0.0
        self._statement_started = 0.0
        self._commit_started = None
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "checkout", self._checkout)
        self._engine = engine

    def detach(self) -> None:
        event.remove(self._engine, "before_cursor_execute", self._before)
        event.remove(self._engine, "after_cursor_execute", self._after)
        event.remove(self._engine, "commit", self._commit)
        event.remove(self._engine, "checkout", self._checkout)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        if self.active:
            self.statements += 1
            self._statement_started = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.active:
            self.execute_seconds += time.perf_counter() - self._statement_started

    def _checkout(self, dbapi_connection, record, proxy):
        if self.active:  # with pool_pre_ping (--experiment pre-ping), one more round trip each
            self.checkouts += 1

    def _commit(self, conn):
        if self.active:
            self.commits += 1
            self._commit_started = time.perf_counter()
            SqlCounter.current = self

    def commit_done(self) -> None:
        if self._commit_started is not None:
            self.commit_seconds += time.perf_counter() - self._commit_started
            self._commit_started = None


class RoundTrips:
    """Counts the client's waits on PostgreSQL from libpq's own protocol trace (PQtrace): a run of
    messages the client sends, answered by a run of messages from the server, is one round trip.
    That counts what the client really waits for: statements, the BEGIN psycopg sends before a
    transaction's first statement, COMMIT, pool pre-pings, and a pipelined executemany as one.
    Tracing costs time, so it runs on untimed instances of its own (see `run_once`)."""

    def __init__(self, engine) -> None:
        self.active = False
        self.by_operation: dict[str, list[int]] = defaultdict(list)
        self._file = tempfile.TemporaryFile()  # noqa: SIM115  (kept open for the process)
        self._connections: list = []
        event.listen(engine, "connect", self._connect)

    def _connect(self, dbapi_connection, record) -> None:
        self._connections.append(dbapi_connection)
        if self.active:
            self._trace(dbapi_connection)

    def _trace(self, connection) -> None:
        import psycopg

        connection.pgconn.trace(self._file.fileno())
        connection.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)

    def count(self, operation: str, fn):
        self._connections = [c for c in self._connections if not c.closed]
        for connection in self._connections:
            self._trace(connection)
        self.active = True
        try:
            return fn()
        finally:
            self.active = False
            for connection in self._connections:
                if not connection.closed:
                    connection.pgconn.untrace()  # flushes the trace
            self._file.seek(0)
            # One message a line, "F" (frontend) or "B" (backend), a tab, its length, ...; a
            # query's own newlines continue its line.
            directions = [line[:1] for line in self._file.read().split(b"\n") if line[1:2] == b"\t"]
            self._file.seek(0)
            self._file.truncate()
            sends = [i for i, d in enumerate(directions)
                     if d == b"F" and (i == 0 or directions[i - 1] != b"F")]
            self.by_operation[operation].append(len(sends))


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:  # the engine "commit" event fires before the DBAPI commit
    if SqlCounter.current is not None:
        SqlCounter.current.commit_done()


class CpuBreakdown:
    """The client's CPU time in the timed operations by component (--breakdown): time.process_time
    around a few functions, each charged its own time without that of the others it calls, and the
    driver's time inside SQLAlchemy's from its cursor events. cProfile charges every Python call
    the same overhead and so inflates code made of many small calls (SQLAlchemy, Flask) several
    times; this costs microseconds per wrapped call. Enabled and disabled like a cProfile.Profile."""

    REST = "the rest: the engine's and the app's own code, the benchmark's call"
    DRIVER = "SQL: the driver (sqlite3 / psycopg), database work included for SQLite"

    def __init__(self, http: bool) -> None:
        import flask
        import flask.testing
        import marshmallow
        import webargs.core

        points = [
            (Connection, "execute", "SQL: SQLAlchemy Core"),
            (Session, "connection", "SQL: transaction begin, pool checkout"),
            (Session, "commit", "SQL: commit (session, pool return, DBAPI commit)"),
            (runtime, "run", "SpiffWorkflow: running (and task property expressions)"),
            (BpmnWorkflow, "__init__", "SpiffWorkflow: new workflow object"),
            (serialization, "loads", "state from JSON (SpiffWorkflow converters)"),
            (serialization, "dumps", "state to JSON (SpiffWorkflow converters)"),
            (mirrors.Snapshot, "of", "mirrors: snapshots, task and timer rows"),
            (mirrors, "sync_tasks", "mirrors: snapshots, task and timer rows"),
            (mirrors, "sync_timers", "mirrors: snapshots, task and timer rows"),
            (history, "record", "history events"),
        ]
        if http:  # the services the views call are the app's code, not the HTTP layer's
            points += [
                (tasks, "complete", self.REST),
                (api_cases, "create_case", self.REST),
                (api_security, "user_for_token", "HTTP: the token's user (and the request's session)"),
                (flask.Flask, "wsgi_app", "HTTP: Flask and werkzeug"),
                (webargs.core.Parser, "parse", "HTTP: webargs (JSON body, schema load)"),
                (marshmallow.Schema, "dump", "HTTP: marshmallow (response)"),
                (flask.testing.FlaskClient, "open", "HTTP: the test client (request, response)"),
            ]
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.active = False
        self._stack: list[list] = []
        self._driver_started = 0.0
        self._restore = [self._wrap(owner, name, label) for owner, name, label in points]
        event.listen(Engine, "before_cursor_execute", self._before_cursor)
        event.listen(Engine, "after_cursor_execute", self._after_cursor)

    def _wrap(self, owner, name: str, label: str):
        found = inspect.getattr_static(owner, name)
        original = found.__func__ if isinstance(found, classmethod) else found

        @functools.wraps(original)
        def timed(*args, **kwargs):
            if not self.active:
                return original(*args, **kwargs)
            self._enter(label)
            try:
                return original(*args, **kwargs)
            finally:
                self._leave()

        setattr(owner, name, classmethod(timed) if isinstance(found, classmethod) else timed)
        return owner, name, found

    def _enter(self, label: str) -> None:
        self._stack.append([label, time.process_time(), 0.0])

    def _leave(self) -> None:
        label, started, inner = self._stack.pop()
        spent = time.process_time() - started
        self.seconds[label] += spent - inner
        self.calls[label] += 1
        if self._stack:
            self._stack[-1][2] += spent

    def _before_cursor(self, *_args) -> None:
        self._driver_started = time.process_time()

    def _after_cursor(self, *_args) -> None:
        if self.active:  # inside SQLAlchemy's execute: moved from its share to the driver's
            spent = time.process_time() - self._driver_started
            self.seconds[self.DRIVER] += spent
            self.seconds["SQL: SQLAlchemy Core"] -= spent

    def enable(self) -> None:
        self.active = True
        self._enter(self.REST)

    def disable(self) -> None:
        self._leave()
        self.active = False

    def detach(self) -> None:
        for owner, name, found in self._restore:
            setattr(owner, name, found)
        event.remove(Engine, "before_cursor_execute", self._before_cursor)
        event.remove(Engine, "after_cursor_execute", self._after_cursor)

    def print(self, label: str, n: int) -> None:
        total = sum(self.seconds.values())
        print(f"\n== client CPU by component: {label}, {n} instances, timed operations only "
              f"({total / n * 1000:.2f} ms/instance; load average {load_average()}) ==")
        for component, seconds in sorted(self.seconds.items(), key=lambda kv: -kv[1]):
            print(f"  {seconds / n * 1000:7.3f} ms/instance {seconds / total * 100:5.1f} %  {component}")


# --------------------------------------------------------------------------------------------
# Databases
# --------------------------------------------------------------------------------------------

def ensure_pg_database(url: str) -> None:
    """Create the benchmark database if missing; refuse the shared `test` database."""
    parsed = make_url(url)
    name = parsed.database or ""
    if name in PROTECTED_DATABASES or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise SystemExit(f"refusing to use database '{name}': the benchmark drops its schema")
    create_database(url)


def fresh_database(backend: str, args, workdir: Path, run: int) -> str:
    """An empty database URL: a new SQLite file, or the PostgreSQL bench database with its
    public schema dropped and recreated."""
    if backend == "sqlite":
        return f"sqlite:///{workdir / f'bench-{run}.sqlite3'}"
    ensure_pg_database(args.pg)
    empty_database(args.pg)
    return args.pg


def bpmn_for(args) -> tuple[bytes, str]:
    """The comparison BPMN; with --assign candidate, its user tasks are offered to the
    handlers of the case's unit (camunda:candidateGroups + candidateUnit = unit_id)."""
    xml = Path(args.bpmn).read_bytes()
    if args.assign != "candidate":
        return xml, Path(args.bpmn).name
    root = etree.fromstring(xml)
    for node in root.iter(f"{{{BPMN_NS}}}userTask"):
        node.set(f"{{{CAMUNDA_NS}}}candidateGroups", "handler")
        extensions = etree.Element(f"{{{BPMN_NS}}}extensionElements")
        properties = etree.SubElement(extensions, f"{{{CAMUNDA_NS}}}properties")
        etree.SubElement(properties, f"{{{CAMUNDA_NS}}}property", name="candidateUnit", value="unit_id")
        node.insert(0, extensions)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8"), "two_user_tasks.candidate.bpmn"


# --------------------------------------------------------------------------------------------
# One run
# --------------------------------------------------------------------------------------------

@dataclass
class RunResult:
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statements: int = 0
    commits: int = 0
    checkouts: int = 0
    execute_seconds: float = 0.0
    commit_seconds: float = 0.0
    wall_seconds: float = 0.0
    n: int = 0
    round_trips: dict[str, float] = field(default_factory=dict)  # PostgreSQL: mean per operation
    raw_seconds: list[float] = field(default_factory=list)  # RawSpiff, per instance, interleaved
    cpu_seconds: float = 0.0  # this process's CPU time in the timed operations (not the server's)
    raw_cpu_seconds: list[float] = field(default_factory=list)  # RawSpiff's CPU time, per instance
    load: str = ""  # the load average at the end of the timed instances

    @property
    def timed_seconds(self) -> float:
        return sum(sum(v) for v in self.seconds.values())

    @property
    def rate(self) -> float:
        return self.n / self.timed_seconds


@contextmanager
def _without_written_check():
    """The comparison BPMN's gateway reads `approved`, which the completion data sets without a
    form; Huiyin's deploy check (a condition reads only what a form, script or start data writes)
    would refuse it, so the benchmark deploys it without that one rule."""
    rules = validation.RULES
    validation.RULES = tuple(r for r in rules if r is not validation._conditions_read_written)
    try:
        yield
    finally:
        validation.RULES = rules


class RawSpiff:
    """The same instance in SpiffWorkflow alone, as a host without a database would run it: the
    BPMN parsed once, then per instance start, complete `handle` ({"approved": True}) and `rate`,
    and after each of the three steps the state serialized to JSON with SpiffWorkflow's own
    serializer (which writes the spec into the state too), as a host must to keep it."""

    def __init__(self, xml: bytes) -> None:
        parser = CamundaParser()
        parser.add_bpmn_str(xml)
        self.spec = parser.get_spec(PROCESS_ID)
        self.subprocess_specs = parser.get_subprocess_specs(PROCESS_ID)
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
        self.seconds: list[float] = []
        self.cpu_seconds: list[float] = []

    def instance(self) -> None:
        started, cpu_started = time.perf_counter(), time.process_time()
        workflow = BpmnWorkflow(self.spec, self.subprocess_specs)
        workflow.do_engine_steps()
        self.serializer.serialize_json(workflow)
        for element, data in (("handle", {"approved": True}), ("rate", {})):
            task = workflow.get_next_task(state=TaskState.READY, manual=True)
            assert task.task_spec.bpmn_id == element, task.task_spec.bpmn_id
            task.data.update(data)
            task.run()
            workflow.do_engine_steps()
            self.serializer.serialize_json(workflow)
        assert workflow.completed
        self.seconds.append(time.perf_counter() - started)
        self.cpu_seconds.append(time.process_time() - cpu_started)


class Bench:
    """Sets up a database, a unit, a handler and the deployed process; drives instances."""

    def __init__(self, app, args, http: bool) -> None:
        self.app, self.args, self.http = app, args, http
        self.counter = SqlCounter(db.engine)
        self.round_trips = RoundTrips(db.engine) if db.engine.dialect.name == "postgresql" else None
        self.result = RunResult()
        self.recording = False
        self.tracing = False
        self.profiler: cProfile.Profile | CpuBreakdown | None = None  # enabled in timed operations
        xml, filename = bpmn_for(args)
        with transaction(), _without_written_check():
            repository.deploy(xml, filename)
        unit = Unit(code="BENCH-UNIT", name="Benchmark unit", level="village")
        # registrar: POST /api/v1/cases needs case:create; handler: the tasks' role.
        user = User(username="bench", display_name="Bench", password_hash=hash_password("bench-pass"))
        user.memberships = [Membership(unit=unit, role="handler"), Membership(unit=unit, role="registrar")]
        db.session.add_all([unit, user])
        db.session.commit()
        self.unit_code, self.user_id, self.unit_id = unit.code, user.id, unit.id
        self.user = user
        self.headers = {}
        if http:
            token, _ = issue_token(user, 12)
            self.headers = {"Authorization": f"Bearer {token}"}
            self.client = app.test_client()
        self.completable_without_assignment = self._probe_visibility()
        self.assign = args.assign
        if self.assign == "auto":
            self.assign = "none" if self.completable_without_assignment else "direct"

    def _probe_visibility(self) -> bool:
        """Does the handler of the case's unit see an unassigned task of this process?"""
        case, _ = create_case(NewCase(title="probe", process_id=PROCESS_ID, unit_code=self.unit_code),
                              self.user)
        task = db.session.scalars(select(HumanTask).where(
            HumanTask.case_id == case.id, HumanTask.status == "open")).one()
        self.probe_task = (task.candidate_unit_id, task.candidate_role)
        db.session.commit()
        try:
            tasks.claim(self.user, task.id)
        except NotFound:
            return False
        return True

    # -- the three operations ----------------------------------------------------------------

    def _timed(self, operation: str, fn):
        if self.tracing:
            return self.round_trips.count(operation, fn)
        self.counter.active = self.recording
        if self.profiler is not None and self.recording:
            self.profiler.enable()
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            return fn()
        finally:
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            if self.profiler is not None:
                self.profiler.disable()
            self.counter.active = False
            if self.recording:
                self.result.seconds[operation].append(elapsed)
                self.result.cpu_seconds += cpu

    def _next_task(self, case_ref, element_id: str) -> str:
        """Untimed: the open task's id (and, with --assign direct, assign it to the user)."""
        if self.http:
            with self.app.app_context():
                return self._find_task(case_ref, element_id)
        return self._find_task(case_ref, element_id)

    def _find_task(self, case_ref, element_id: str) -> str:
        case_id = (select(Case.id).where(Case.number == case_ref).scalar_subquery()
                   if isinstance(case_ref, str) else case_ref)
        where = (HumanTask.case_id == case_id, HumanTask.element_id == element_id,
                 HumanTask.status == "open")
        if self.assign == "direct":
            task_id = db.session.execute(update(HumanTask.__table__).where(*where)
                                         .values(assignee_id=self.user_id)
                                         .returning(HumanTask.__table__.c.id)).scalar_one()
        else:
            task_id = db.session.scalars(select(HumanTask.id).where(*where)).one()
        db.session.commit()
        return task_id

    def instance(self, i: int) -> None:
        if self.http:
            self._instance_http(i)
        else:
            self._instance_service(i)

    def _instance_service(self, i: int) -> None:
        case, created = self._timed("create", lambda: create_case(
            NewCase(title=f"bench {i}", process_id=PROCESS_ID, unit_code=self.unit_code), self.user))
        assert created
        case_id = case.id
        handle = self._next_task(case_id, "handle")
        done = self._timed("handle", lambda: tasks.complete(self.user, handle, {"approved": True}))
        assert done["status"] == "completed", done["status"]
        rate = self._next_task(case_id, "rate")
        done = self._timed("rate", lambda: tasks.complete(self.user, rate, {}))
        assert done["status"] == "completed", done["status"]

    def _instance_http(self, i: int) -> None:
        response = self._timed("create", lambda: self.client.post(
            "/api/v1/cases", json={"title": f"bench {i}", "unit_code": self.unit_code},
            headers=self.headers))
        assert response.status_code == 201, response.json
        number = response.json["number"]
        for element, data in (("handle", {"approved": True}), ("rate", {})):
            task_id = self._next_task(number, element)
            response = self._timed(element, lambda t=task_id, d=data: self.client.post(
                f"/api/v1/tasks/{t}/complete", json={"data": d}, headers=self.headers))
            assert response.status_code == 200, response.json
            assert response.json["status"] == "completed", response.json

    def verify(self, expected: int) -> None:
        closed = db.session.scalar(select(func.count()).select_from(Case).where(Case.status == "closed"))
        completed = db.session.scalar(select(func.count()).select_from(ProcessInstance)
                                      .where(ProcessInstance.status == "completed"))
        db.session.commit()
        if closed != expected or completed != expected:
            raise SystemExit(f"expected {expected} closed cases and completed instances, "
                             f"found {closed} and {completed}")


def run_once(backend: str, args, workdir: Path, run: int, http: bool,
             profiler: cProfile.Profile | CpuBreakdown | None = None) -> tuple[RunResult, Bench]:
    url = fresh_database(backend, args, workdir, run)
    settings = {"SQLALCHEMY_DATABASE_URI": url, "CASE_PROCESS_ID": PROCESS_ID}
    if "pre-ping" in args.experiment and backend == "postgresql":
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    app = create_app(settings)
    context = app.app_context()
    context.push()
    try:
        if "sqlite-wal" in args.experiment and backend == "sqlite":
            event.listen(db.engine, "connect", _sqlite_wal)
        if "no-expire-on-commit" in args.experiment:
            db.session.remove()
            db.session.configure(expire_on_commit=False)
        upgrade()
        db.engine.dispose()
        repository.clear_cache()
        bench = Bench(app, args, http)
        if http:  # each request pushes its own app context (and session), as in a server
            context.pop()
            context = None
        for i in range(args.warmup):
            bench.instance(-1 - i)
        bench.recording = True
        bench.profiler = profiler
        raw = RawSpiff(bpmn_for(args)[0]) if args.raw_batch else None
        if raw is not None:
            for _ in range(args.warmup):
                raw.instance()
            raw.seconds.clear()
            raw.cpu_seconds.clear()
        wall = 0.0
        batch = args.raw_batch or args.n
        for first in range(0, args.n, batch):  # interleaved: a batch of raw, a batch of engine
            if raw is not None:
                for _ in range(first, min(first + batch, args.n)):
                    raw.instance()
            started = time.perf_counter()
            for i in range(first, min(first + batch, args.n)):
                bench.instance(i)
            wall += time.perf_counter() - started
        bench.result.wall_seconds = wall
        bench.result.raw_seconds = raw.seconds if raw is not None else []
        bench.result.raw_cpu_seconds = raw.cpu_seconds if raw is not None else []
        bench.result.load = load_average()
        bench.recording = False
        bench.profiler = None
        traced = args.trace if bench.round_trips is not None else 0
        bench.tracing = True
        for i in range(traced):
            bench.instance(args.n + i)
        bench.tracing = False
    finally:
        if context is not None:
            context.pop()
    with app.app_context():
        bench.verify(args.n + args.warmup + traced)
        result = bench.result
        result.n = args.n
        if traced:
            result.round_trips = {op: statistics.mean(counts)
                                  for op, counts in bench.round_trips.by_operation.items()}
        result.statements, result.commits = bench.counter.statements, bench.counter.commits
        result.checkouts = bench.counter.checkouts
        result.execute_seconds = bench.counter.execute_seconds
        result.commit_seconds = bench.counter.commit_seconds
        bench.counter.detach()
        db.session.remove()
        db.engine.dispose()
    return result, bench


def _sqlite_wal(dbapi_connection, record) -> None:
    """What-if (--experiment sqlite-wal): WAL journal, fsync at checkpoints rather than per commit."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


@dataclass
class Summary:
    backend: str
    mode: str
    rate: float
    wall_rate: float
    rates: list[float]
    ops: dict[str, tuple[float, float]]
    statements: float
    commits: float
    checkouts: float
    execute_ms: float
    commit_ms: float
    round_trips: dict[str, float]
    raw_ms: float | None  # RawSpiff's time per instance
    ratio: float | None  # the engine's time per instance / RawSpiff's, in the same run
    cpu_ms: float  # the client's CPU time per instance in the timed operations
    raw_cpu_ms: float | None
    cpu_ratio: float | None  # the same ratio in CPU time, which the machine's load disturbs less
    loads: list[str]


def summarise(backend: str, mode: str, results: list[RunResult]) -> Summary:
    def med(fn):
        return statistics.median(fn(r) for r in results)

    ops = {op: (med(lambda r, op=op: statistics.median(r.seconds[op]) * 1000),
                med(lambda r, op=op: percentile(r.seconds[op], 0.95) * 1000)) for op in OPERATIONS}
    return Summary(
        backend, mode, med(lambda r: r.rate), med(lambda r: r.n / r.wall_seconds),
        [r.rate for r in results], ops,
        med(lambda r: r.statements / r.n), med(lambda r: r.commits / r.n), med(lambda r: r.checkouts / r.n),
        med(lambda r: r.execute_seconds / r.n * 1000), med(lambda r: r.commit_seconds / r.n * 1000),
        {op: med(lambda r, op=op: r.round_trips[op]) for op in OPERATIONS} if results[0].round_trips else {},
        *((med(lambda r: statistics.mean(r.raw_seconds) * 1000),
           med(lambda r: r.timed_seconds / r.n / statistics.mean(r.raw_seconds)))
          if results[0].raw_seconds else (None, None)),
        med(lambda r: r.cpu_seconds / r.n * 1000),
        *((med(lambda r: statistics.mean(r.raw_cpu_seconds) * 1000),
           med(lambda r: r.cpu_seconds / r.n / statistics.mean(r.raw_cpu_seconds)))
          if results[0].raw_cpu_seconds else (None, None)),
        [r.load for r in results])


def report(summary: Summary, args, bench: Bench) -> None:
    peer_sqlite, peer_pg, peer_statements, peer_commits = PEER[summary.mode]
    peer = peer_sqlite if summary.backend == "sqlite" else peer_pg
    target = TARGET[summary.mode][0 if summary.backend == "sqlite" else 1]
    way = "HTTP (Flask test client, bearer token)" if summary.mode == "http" else "service layer, in process"
    verdict = "met" if summary.rate >= target else "NOT met"
    print(f"\n== {summary.backend}, {way}: N={args.n}, median of {args.runs} runs, "
          f"warm-up {args.warmup}, --assign {bench.assign}"
          + (f", experiments: {', '.join(args.experiment)}" if args.experiment else "") + " ==")
    print(f"  runs (inst/s)            {', '.join(f'{r:.1f}' for r in summary.rates)}")
    print(f"  instances/s              {summary.rate:7.1f}   peer {peer} -> {summary.rate / peer:.1f}x; "
          f"target >= {target:g}: {verdict}")
    print(f"  (incl. untimed look-ups  {summary.wall_rate:7.1f} inst/s wall clock)")
    for op in OPERATIONS:
        median, p95 = summary.ops[op]
        print(f"  {OPERATION_LABELS[op]:<24} median {median:6.2f} ms   p95 {p95:6.2f} ms")
    print(f"  SQL statements/instance  {summary.statements:7.1f}   peer {peer_statements}")
    print(f"  commits/instance         {summary.commits:7.1f}   peer {peer_commits}")
    print(f"  pool checkouts/instance  {summary.checkouts:7.1f}   (each + 1 round trip with pool_pre_ping)")
    print(f"  SQL time/instance        {summary.execute_ms + summary.commit_ms:7.2f} ms "
          f"(execute {summary.execute_ms:.2f} + commit {summary.commit_ms:.2f})")
    print(f"  client CPU/instance      {summary.cpu_ms:7.2f} ms (this process, not the database server)")
    if summary.raw_ms is not None:
        print(f"  raw SpiffWorkflow        {summary.raw_ms:7.2f} ms/instance "
              f"({1000 / summary.raw_ms:.1f} inst/s), interleaved in batches of {args.raw_batch}; "
              f"engine time / raw time = {summary.ratio:.2f}")
        print(f"  raw SpiffWorkflow CPU    {summary.raw_cpu_ms:7.2f} ms/instance; "
              f"engine client CPU / raw CPU = {summary.cpu_ratio:.2f}")
    if summary.round_trips:
        trips = summary.round_trips
        print(f"  round trips/instance     {sum(trips.values()):7.1f}   per completion "
              f"{(trips['handle'] + trips['rate']) / 2:.1f}; "
              + ", ".join(f"{op} {trips[op]:.1f}" for op in OPERATIONS)
              + f" (libpq trace of {args.trace} more instances per run)")
    print(f"  load average (1, 5, 15 min) at the end of each run: {'; '.join(summary.loads)}")
    print("  timed: the three operations only; untimed: the human_task look-up between them"
          + (" (+ assignment)" if bench.assign == "direct" else ""))


PACKAGES = (
    ("SpiffWorkflow", ("SpiffWorkflow",)),
    ("serialization/json", ("/json/", "_json")),
    ("SQLAlchemy", ("sqlalchemy",)),
    ("DB driver (sqlite3/psycopg)", ("sqlite3", "psycopg")),
    ("Flask/werkzeug/marshmallow", ("flask", "werkzeug", "marshmallow", "webargs", "apispec")),
    ("Huiyin app/", (f"{REPO}/app/",)),
)


def measure_floor(backend: str, args, workdir: Path, n: int = 1000) -> None:
    """What one operation costs at least (--floor): BEGIN, a SELECT of a 3 KB state by key, its
    revision-guarded UPDATE and COMMIT, through the driver alone on a scratch table: on
    PostgreSQL a durable commit (as the app's), and for comparison synchronous_commit=off; on
    SQLite the app's WAL with synchronous=NORMAL (no fsync per commit), and FULL (one)."""
    select_sql = "SELECT state, revision FROM floor_t WHERE id = {p}"
    update_sql = "UPDATE floor_t SET state = {p}, revision = revision + 1 WHERE id = {p} AND revision = {p}"

    def operations(execute, begin, commit) -> tuple[float, float, float]:
        wall, cpu = [], []
        for i in range(n):
            key = i % 1000 + 1
            started, cpu_started = time.perf_counter(), time.process_time()
            begin()
            state, revision = execute(select_sql, (key,)).fetchone()
            execute(update_sql, (state, key, revision))
            commit()
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        return statistics.median(wall) * 1000, statistics.mean(wall) * 1000, statistics.mean(cpu) * 1000

    results = []
    if backend == "postgresql":
        import psycopg

        ensure_pg_database(args.pg)
        url = make_url(args.pg).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(url, autocommit=True) as setup:
            setup.execute("DROP TABLE IF EXISTS floor_t")
            setup.execute("CREATE TABLE floor_t (id int PRIMARY KEY, state text, revision int)")
            setup.execute("INSERT INTO floor_t SELECT g, repeat('x', 3000), 0 "
                          "FROM generate_series(1, 1000) g")
        with psycopg.connect(url) as conn:
            def execute(sql, params):
                return conn.execute(sql.replace("{p}", "%s"), params)

            results.append(("durable commit (the app's)", operations(execute, lambda: None, conn.commit)))
            conn.execute("SET synchronous_commit = off")
            conn.commit()
            results.append(("synchronous_commit = off", operations(execute, lambda: None, conn.commit)))
        with psycopg.connect(url, autocommit=True) as setup:
            setup.execute("DROP TABLE floor_t")
    else:
        import sqlite3

        conn = sqlite3.connect(workdir / "floor.sqlite3", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE floor_t (id integer PRIMARY KEY, state text, revision int)")
        conn.executemany("INSERT INTO floor_t VALUES (?, ?, 0)", [(i, "x" * 3000) for i in range(1, 1001)])

        def execute(sql, params):
            return conn.execute(sql.replace("{p}", "?"), params)

        for mode, label in (("NORMAL", "WAL, synchronous=NORMAL (the app's)"),
                            ("FULL", "WAL, synchronous=FULL")):
            conn.execute(f"PRAGMA synchronous={mode}")
            results.append((label, operations(execute, lambda: conn.execute("BEGIN"),
                                              lambda: conn.execute("COMMIT"))))
        conn.close()
    print(f"\n== floor: {backend}, one operation = BEGIN, SELECT, UPDATE (3 KB), COMMIT by the driver "
          f"alone, {n} times; load average {load_average()} ==")
    for label, (median, mean, cpu) in results:
        print(f"  {label:<38} median {median:6.3f} ms, mean {mean:6.3f} ms, client CPU {cpu:5.3f} ms; "
              f"an instance (3 operations) at least {3 * median:6.2f} ms")


def print_profile(profiler: cProfile.Profile, label: str, n: int) -> None:
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    by_package: dict[str, float] = defaultdict(float)
    for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        where = f"{filename} {name}"
        package = next((p for p, keys in PACKAGES if any(k in where for k in keys)), "other (stdlib, ...)")
        by_package[package] += tottime
    print(f"\n== profile: {label}, {n} instances, timed operations only ==")
    print(f"  own time by package (total {total:.2f} s, {total / n * 1000:.2f} ms/instance "
          "under the profiler):")
    for package, seconds in sorted(by_package.items(), key=lambda kv: -kv[1]):
        print(f"    {package:<30} {seconds:6.2f} s  {seconds / total * 100:5.1f} %")
    print()
    stats.sort_stats("cumulative").print_stats(25)


# --------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--http", action="store_true", help="drive the REST API through the test client")
    parser.add_argument("--n", type=int, default=200, help="instances per run (default 200)")
    parser.add_argument("--runs", type=int, default=3, help="runs per backend; the median is reported")
    parser.add_argument("--warmup", type=int, default=5, help="untimed instances before each run")
    parser.add_argument("--bpmn", default=str(DEFAULT_BPMN), help=f"default {DEFAULT_BPMN}")
    parser.add_argument("--pg", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG),
                        help="PostgreSQL URL (env BENCH_DATABASE_URL); its public schema is dropped")
    parser.add_argument("--assign", choices=("auto", "none", "direct", "candidate"), default="auto",
                        help="none: the BPMN as given, the handler completes its unassigned tasks; "
                             "direct: the same, but each task is first assigned to the handler by an "
                             "untimed UPDATE; auto (default): none if tasks.may_see() lets the handler "
                             "see such a task, else direct; candidate: the BPMN's user tasks offered "
                             "to role handler of the case's unit (candidateGroups + candidateUnit)")
    parser.add_argument("--experiment", action="append", default=[],
                        choices=("sqlite-wal", "pre-ping", "no-expire-on-commit"),
                        help="what-if settings applied by the benchmark only (repeatable): SQLite in WAL "
                             "mode with synchronous=NORMAL; PostgreSQL pool with pre-ping (as before "
                             "issue 15); session without expire_on_commit")
    parser.add_argument("--raw-batch", type=int, default=20,
                        help="run raw SpiffWorkflow (no database) in batches of this many instances, "
                             "alternating with the engine's batches, and print the ratio (0: off)")
    parser.add_argument("--trace", type=int, default=10,
                        help="PostgreSQL: after each timed run, this many more instances with libpq's "
                             "protocol trace on, to count round trips (default 10; 0: none)")
    parser.add_argument("--profile", action="store_true",
                        help="after the timed runs, profile one more run per backend (cProfile)")
    parser.add_argument("--floor", action="store_true",
                        help="also measure what one operation costs at least: BEGIN, SELECT, UPDATE, "
                             "COMMIT through the driver alone")
    parser.add_argument("--breakdown", action="store_true",
                        help="after the timed runs, one more run per backend with the client's CPU "
                             "time by component (SQLAlchemy, driver, SpiffWorkflow, HTTP layers, ...)")
    args = parser.parse_args(argv)
    if args.n < 1 or args.runs < 1 or args.warmup < 0:
        parser.error("--n and --runs must be >= 1, --warmup >= 0")
    logging.disable(logging.INFO)  # create_app and alembic log every migration at INFO

    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    mode = "http" if args.http else "service"
    workdir = Path(tempfile.mkdtemp(prefix="huiyin-bench-"))
    summaries = []
    try:
        for backend in backends:
            results, bench = [], None
            for run in range(args.runs):
                result, bench = run_once(backend, args, workdir, run, args.http)
                results.append(result)
                print(f"[{backend}] run {run + 1}/{args.runs}: {result.rate:.1f} inst/s", flush=True)
            unit, role = bench.probe_task
            seen = "lets" if bench.completable_without_assignment else "does NOT let"
            print(f"  note: the tasks have candidate_unit_id={unit}, candidate_role={role}; "
                  f"tasks.may_see() {seen} a handler of the case's unit see (claim) them unassigned.")
            summary = summarise(backend, mode, results)
            summaries.append(summary)
            report(summary, args, bench)
            if args.profile:
                profiler = cProfile.Profile()
                run_once(backend, args, workdir, args.runs, args.http, profiler)
                print_profile(profiler, f"{backend}, {mode}", args.n)
            if args.floor:
                measure_floor(backend, args, workdir)
            if args.breakdown:
                breakdown = CpuBreakdown(args.http)
                try:
                    run_once(backend, args, workdir, args.runs + 1, args.http, breakdown)
                finally:
                    breakdown.detach()
                breakdown.print(f"{backend}, {mode}", args.n)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if len(summaries) > 1:
        print("\n  backend      inst/s  create/handle/rate median ms   stmts  commits")
        for s in summaries:
            ops = " / ".join(f"{s.ops[op][0]:.2f}" for op in OPERATIONS)
            print(f"  {s.backend:<11} {s.rate:7.1f}  {ops:<28} {s.statements:6.1f}  {s.commits:6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
