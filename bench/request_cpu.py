"""CPU per web request of the load run's mix, in process (bench/README.md, "CPU per request").

    .venv/bin/python bench/request_cpu.py                       # the whole mix, 600 flows
    .venv/bin/python bench/request_cpu.py --op "GET /tasks" --profile 25
    .venv/bin/python bench/request_cpu.py --flows 300 --warmup 50 --seed 7

The flows of bench/load_mix.py (the same code, the same proportions) run one after the other
against the load run's population (`bench_load`, built by `bench/load.py --populate-only`),
through the Flask test client instead of gunicorn: each login gets its own client (its cookies),
signs in the way the load run does, and every request of a flow goes through the whole app
(WSGI, before/after request hooks, views, templates). Per operation it prints the requests
measured, the app's CPU per request (time.process_time of this process during the request), the
PostgreSQL backends' CPU per request (/proc/<pid>/schedstat of the connections of this process),
SQL statements per request, and with `--profile N` the top N functions of a cProfile of that
operation's requests with the own time summed by package. The line "mix" is the CPU per request
of the whole mix (when no --op is given), the figure to compare with the load run's.

The requests change the population as the load run's do (cases registered, tasks completed); a
run of 600 flows completes about 150 of the 3,000 open cases' steps.
"""
import sys
from pathlib import Path

# Run as a script, sys.path[0] is bench/, where bench/statistics.py would hide the standard
# library's `statistics`; the repository goes there instead.
HERE, REPO = Path(__file__).resolve().parent, Path(__file__).resolve().parents[1]
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import requests  # noqa: E402
from sqlalchemy import event  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from bench import load, load_city, load_mix  # noqa: E402  (load sets the population's SECRET_KEY, PII_KEY)
from bench.common import load_average  # noqa: E402

#: The operations each flow of bench/load_mix.py can send (for --op: which flows to run).
FLOW_OPS = {
    "citizen_web_report": ("citizen GET /report", "citizen POST /report", "citizen GET /report/done"),
    "citizen_channel_report": ("channel POST /api/v1/cases",),
    "registrar_desk": ("registrar GET /desk", "registrar POST /desk", "registrar POST /desk (confirmed new)",
                       "staff GET /cases/<number>"),
    "registrar_triage": ("registrar GET /inbox", "registrar GET /tasks/<id>",
                         "registrar POST /tasks/<id>/complete"),
    "dispatcher_dispatch": ("dispatcher GET /inbox", "dispatcher GET /tasks/<id>",
                            "dispatcher POST /tasks/<id>/complete"),
    "handler_work": ("handler GET /inbox", "handler GET /tasks/<id>", "handler POST /tasks/<id>/claim",
                     "handler POST /tasks/<id>/complete", "handler-app GET /api/v1/tasks",
                     "handler-app POST /api/v1/tasks/<id>/claim",
                     "handler-app POST /api/v1/tasks/<id>/complete"),
    "reviewer_review": ("reviewer GET /inbox", "reviewer GET /tasks/<id>",
                        "reviewer POST /tasks/<id>/complete"),
    "supervisor_work": ("supervisor GET /inbox", "supervisor GET /tasks/<id>",
                        "supervisor POST /tasks/<id>/complete"),
    "citizen_track": ("citizen GET /track/<token>", "citizen POST /track/<token>/rate"),
    "leader_summary": ("leader GET /api/v1/statistics/summary",),
    "leader_case_list": ("leader GET /cases", "staff GET /cases/<number>"),
    "supervisor_case_page": ("staff GET /cases/<number>",),
}
SITE_PACKAGES = re.compile(r"site-packages/([^/]+)")


class MeasuredSession(requests.Session):
    """A `requests.Session` whose requests the meter measures (--http)."""

    def __init__(self, meter: "Meter") -> None:
        super().__init__()
        self.meter = meter

    def request(self, method, url, *args, **kwargs):
        with self.meter.measuring():
            return super().request(method, url, *args, **kwargs)


class Response:
    """What bench/load_mix.py reads of a `requests` response, from the test client's."""

    def __init__(self, response, method: str, path: str) -> None:
        self.status_code, self.headers, self.url = response.status_code, response.headers, path
        self.request = SimpleNamespace(method=method)
        self._response = response

    @property
    def text(self) -> str:
        return self._response.get_data(as_text=True)

    def json(self):
        return self._response.get_json()


class ClientSession:
    """A `requests.Session` for bench/load_mix.py: a test client (its own cookie jar) and headers;
    the meter measures the request when an operation is on."""

    def __init__(self, app, meter: "Meter") -> None:
        self.client, self.meter, self.headers = app.test_client(), meter, {}

    def request(self, method: str, url: str, timeout=None, allow_redirects=False, json=None, data=None,
                files=None, headers=None) -> Response:
        form = dict(data or {})
        for name, (filename, content) in (files or {}).items():
            form[name] = (io.BytesIO(content), filename)
        with self.meter.measuring():
            response = self.client.open(url, method=method, json=json, data=form if data or files else None,
                                        headers={**self.headers, **(headers or {})},
                                        follow_redirects=allow_redirects)
            response.get_data()  # a streamed body is produced here, within the measurement
        return Response(response, method, url)

    def get(self, url: str, **kwargs) -> Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs) -> Response:
        return self.request("POST", url, **kwargs)


@dataclass
class Figures:
    requests: int = 0
    cpu: float = 0.0  # seconds, this process
    database_cpu: float = 0.0  # seconds, the PostgreSQL backends
    statements: int = 0
    profile: cProfile.Profile | None = None
    times: list[float] = field(default_factory=list)  # app CPU ms of each request


class Meter:
    """Per operation: CPU of this process and of its PostgreSQL backends, statements, a profile."""

    def __init__(self, engine, profile: bool, wanted: str | None, workers: list[int] | None = None) -> None:
        self.op: str | None = None
        #: --http: the gunicorn workers, whose CPU is the app's; else this process
        self.workers = workers
        self.on = False
        self.profile, self.wanted = profile, wanted
        self.figures: dict[str, Figures] = defaultdict(Figures)
        self.statements = 0
        self.own_backends: set[int] = set()  # this process's connections
        #: --http: the worker's (and the scheduler's) connections; else this process's
        self.backends = self.own_backends
        event.listen(engine, "before_cursor_execute", self._count)
        event.listen(engine, "connect", self._backend)
        engine.dispose()  # every connection from now on is a new one, whose backend is known

    def _count(self, *_args) -> None:
        self.statements += 1

    def _backend(self, dbapi_connection, _record) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.own_backends.add(cursor.fetchone()[0])
        dbapi_connection.commit()

    def app_cpu(self) -> float:
        return time.process_time() if self.workers is None else cpu_seconds(set(self.workers))

    def database_cpu(self) -> float:
        return cpu_seconds(self.backends)

    def measuring(self):
        meter = self

        class Measure:
            def __enter__(self):
                self.op = meter.op if meter.on and meter.op and (
                    not meter.wanted or meter.wanted in meter.op) else None
                if self.op is None:
                    return
                self.figures = meter.figures[self.op]
                if meter.profile and self.figures.profile is None:
                    self.figures.profile = cProfile.Profile(time.process_time)  # CPU, not waits
                self.statements, self.database = meter.statements, meter.database_cpu()
                if meter.profile:
                    self.figures.profile.enable()
                self.cpu = meter.app_cpu()

            def __exit__(self, *_exc):
                if self.op is None:
                    return
                cpu = meter.app_cpu() - self.cpu
                if meter.profile:
                    self.figures.profile.disable()
                figures = self.figures
                figures.requests += 1
                figures.cpu += cpu
                figures.times.append(cpu * 1000)
                figures.database_cpu += meter.database_cpu() - self.database
                figures.statements += meter.statements - self.statements

        return Measure()


class SequentialMix(load_mix.Mix):
    """The load run's flows one after the other; logins sign in on first use."""

    def __init__(self, world, rng, meter: Meter, base: str, new_session) -> None:
        super().__init__(base, world, rng, threads=1)
        self.meter, self.new_session = meter, new_session
        self.sessions = LazySessions(self._sign_in)
        self.produced: dict[str, set[str]] = defaultdict(set)
        self.current = ""  # the flow running

    def call(self, session, op, method, path, ok=(200,), **kwargs):
        self.meter.op = op
        self.produced[self.current].add(op)
        try:
            return super().call(session, op, method, path, ok=ok, **kwargs)
        finally:
            self.meter.op = None

    def play(self, flows: list[str], count: int, refresh) -> None:
        weights = [load_mix.FLOWS[name] for name in flows]
        for i in range(count):
            if i % 100 == 0:
                self.world.work = refresh()
            self.current = self.rng.choices(flows, weights)[0]
            self._flow(self.current, time.monotonic())


class LazySessions(dict):
    def __init__(self, sign_in) -> None:
        super().__init__()
        self.sign_in = sign_in

    def __missing__(self, username: str):
        self[username] = session = self.sign_in(username)
        return session


def cpu_seconds(pids: set[int]) -> float:
    """CPU seconds of these processes so far, to the nanosecond (/proc/<pid>/schedstat); a
    process that ended is dropped from the set."""
    total = 0
    for pid in list(pids):
        try:
            total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pids.discard(pid)
    return total / 1e9


def package_of(filename: str) -> str:
    """The library or app module a function belongs to, for the own time by package."""
    if f"{REPO}/app/" in filename:
        parts = filename.split(f"{REPO}/", 1)[1].split("/")
        return "/".join(parts[:2]) if parts[1] != "templates" else "app/templates (Jinja)"
    found = SITE_PACKAGES.search(filename)
    if found:
        return found.group(1).split(".")[0].removesuffix(".py")
    if filename.startswith("<template>") or filename.endswith(".html"):
        return "app/templates (Jinja)"
    return "Python (stdlib, builtins)"


def print_profile(label: str, profiles: list[cProfile.Profile], requests: int, top: int) -> None:
    stats = pstats.Stats(*profiles)
    total = stats.total_tt
    by_package: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, own, _cum, _callers) in stats.stats.items():
        by_package[package_of(filename)] += own
    print(f"\n== {label}: {requests} requests, {total / requests * 1000:.1f} ms CPU each under the "
          "profiler; own time by package:")
    for package, seconds in sorted(by_package.items(), key=lambda kv: -kv[1])[:15]:
        share = seconds / total * 100
        print(f"    {package:<36} {seconds / requests * 1000:7.2f} ms  {share:5.1f} %")
    stats.sort_stats("cumulative").print_stats(top)


def report(meter: Meter, whole_mix: bool) -> None:
    print("| operation | requests | app CPU ms (mean / median) | PostgreSQL CPU ms | statements |")
    print("|---|---|---|---|---|")
    for op, f in sorted(meter.figures.items()):
        median = sorted(f.times)[len(f.times) // 2]
        print(f"| {op} | {f.requests} | {f.cpu / f.requests * 1000:.1f} / {median:.1f} | "
              f"{f.database_cpu / f.requests * 1000:.1f} | {f.statements / f.requests:.1f} |")
    requests = sum(f.requests for f in meter.figures.values())
    if requests:
        cpu = sum(f.cpu for f in meter.figures.values()) / requests * 1000
        database = sum(f.database_cpu for f in meter.figures.values()) / requests * 1000
        statements = sum(f.statements for f in meter.figures.values()) / requests
        print(f"| **{'mix' if whole_mix else 'these operations'}** | {requests} | **{cpu:.1f}** | "
              f"**{database:.1f}** | {statements:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default=os.environ.get("BENCH_LOAD_DATABASE_URL", load.DEFAULT_URL))
    parser.add_argument("--op", help="only the operations whose name contains this (and the flows "
                                     "that send them)")
    parser.add_argument("--flows", type=int, default=600, help="measured flows (default 600)")
    parser.add_argument("--warmup", type=int, default=100, help="flows before measuring (default 100)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="cProfile each operation and print its top N functions (CPU figures then "
                             "include the profiler's overhead)")
    parser.add_argument("--http", action="store_true",
                        help="through gunicorn with one worker (started and stopped here) instead of the "
                             "test client: the app's CPU is the worker's")
    parser.add_argument("--seed", type=int, default=20261215)
    args = parser.parse_args()
    if args.http and args.profile:
        parser.error("--profile profiles this process: not with --http")

    url = load.database_url(args.database)
    os.environ["DATABASE_URL"] = url
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PROXY_COUNT": 1})
    logging.getLogger().setLevel(logging.WARNING)  # the services log every case registered
    with app.app_context():
        if load_city.present() is None:
            raise SystemExit("bench_load holds no population: run bench/load.py --populate-only first")
        engine = db.engine
    flows = [name for name, ops in FLOW_OPS.items() if not args.op or any(args.op in op for op in ops)]
    if not flows:
        raise SystemExit(f"no operation of the mix contains {args.op!r}")
    rng = random.Random(args.seed)
    meter = Meter(engine, args.profile > 0, args.op)
    world = load.world(app, rng)
    if args.http:
        log_dir = Path(os.environ.get("TMPDIR", "/tmp")) / "huiyin-bench-load"
        log_dir.mkdir(exist_ok=True)
        servers = load.Servers(url, load.free_port(), 1, log_dir)
        servers.wait_ready()
        meter.workers = set(servers.web_pids()[1:])
        mix = SequentialMix(world, rng, meter, servers.base, lambda: MeasuredSession(meter))

        def refresh():
            work = load.open_work(app)
            meter.backends = set(load.postgres_pids(app)) - meter.own_backends
            return work
    else:
        servers = None
        mix = SequentialMix(world, rng, meter, "", lambda: ClientSession(app, meter))
        refresh = lambda: load.open_work(app)  # noqa: E731
    where = "gunicorn -w 1 (HTTP)" if args.http else "in process"
    print(f"=== {where}, {len(flows)} flows of the mix; load average {load_average()}")
    try:
        mix.play(flows, args.warmup, refresh)
        meter.on = True
        started = time.perf_counter()
        mix.play(flows, args.flows, refresh)
    finally:
        if servers is not None:
            servers.stop()
    print(f"{args.flows} flows in {time.perf_counter() - started:.0f} s (sign-ins on first use not "
          f"measured); load average {load_average()}")
    report(meter, not args.op)
    unknown = {op for name, ops in mix.produced.items() for op in ops - set(FLOW_OPS[name])}
    if unknown:
        print(f"FLOW_OPS misses {sorted(unknown)}: update it from bench/load_mix.py")
    profiled = {op: f for op, f in sorted(meter.figures.items()) if f.profile is not None}
    for op, figures in profiled.items():
        print_profile(op, [figures.profile], figures.requests, args.profile)
    if len(profiled) > 1:
        print_profile("all these operations", [f.profile for f in profiled.values()],
                      sum(f.requests for f in profiled.values()), args.profile)


if __name__ == "__main__":
    main()
