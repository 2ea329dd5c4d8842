"""Load run of the production shape: PostgreSQL, gunicorn with 4 workers and one scheduler process
on 127.0.0.1, and an open-loop mix of citizens and staff at a fixed request rate (bench/README.md,
"Load run (production shape)").

    make bench-load
    .venv/bin/python bench/load.py [--rate 60] [--duration 180] [--warmup 30] [--open 4000]
                                   [--closed 16000] [--reload] [--populate-only]

Steps: the database `bench_load` (created if missing; no other database is accepted) gets the
population of bench/load_city.py once (kept for later runs); the script starts gunicorn and the
scheduler with the production commands (docs/operations.md), signs the staff in, runs the mix of
bench/load_mix.py for the warm-up and the measured time, stops both processes and prints per
operation count, p50/p95/p99 and errors by status, with the load average and the CPU time of
gunicorn, the scheduler, PostgreSQL and the load generator. Any 5xx is printed at once and makes
the run fail.
"""
import sys
from pathlib import Path

# Run as a script, sys.path[0] is bench/, where bench/statistics.py would hide the standard
# library's `statistics`; the repository goes there instead.
HERE, REPO = Path(__file__).resolve().parent, Path(__file__).resolve().parents[1]
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import base64  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

# Fixed keys shared by this process, the web workers and the scheduler (tracking links are signed
# with SECRET_KEY; the population's ID numbers are encrypted with PII_KEY).
os.environ["SECRET_KEY"] = "huiyin-bench-load-not-secret"
os.environ["PII_KEY"] = base64.urlsafe_b64encode(b"huiyin-bench-load-pii-not-secret").decode()

import requests  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import create_app  # noqa: E402
from app.cases.models import Case  # noqa: E402
from app.channels import keys  # noqa: E402
from app.citizen.links import tracking_token  # noqa: E402
from app.engine.transaction import transaction  # noqa: E402
from app.extensions import db  # noqa: E402
from bench import load_city, load_mix  # noqa: E402
from bench.common import create_database  # noqa: E402

DATABASE = "bench_load"
DEFAULT_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE}"
BIN = REPO / ".venv" / "bin"


def database_url(given: str) -> str:
    """The load run's database, created if missing; any other database is refused."""
    parsed = make_url(given)
    if parsed.get_backend_name() != "postgresql" or parsed.database != DATABASE:
        shown = parsed.render_as_string(hide_password=True)
        raise SystemExit(f"refusing {shown}: the load run uses only the PostgreSQL database "
                         f"'{DATABASE}' (it may empty it)")
    create_database(given)
    return parsed.render_as_string(hide_password=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def world(app, rng: random.Random) -> load_mix.World:
    """What the virtual users know before they start: logins, channel keys, places, some case
    numbers and the tracking links of some open cases (their requesters)."""
    with app.app_context():
        channel_keys = []
        with transaction():
            for channel in ("wechat", "app", "sms"):
                channel_keys.append(keys.issue(channel, f"bench-load {channel}")[1])
        places = [row[0] for row in db.session.execute(text(
            "SELECT code FROM territory WHERE level IN ('village', 'grid') ORDER BY code"))]
        numbers = [*db.session.scalars(select(Case.number).order_by(Case.id.desc()).limit(1500)),
                   *db.session.scalars(select(Case.number).where(Case.status == "closed")
                                       .order_by(func.random()).limit(1500))]
        open_numbers = list(db.session.scalars(select(Case.number).where(Case.status == "open")
                                               .order_by(Case.id.desc()).limit(3000)))
        sample = rng.sample(open_numbers, min(1000, len(open_numbers)))
        tracked = [tracking_token(number) for number in sample]
        return load_mix.World(staff=load_city.staff_logins(), channel_keys=channel_keys, places=places,
                              case_numbers=numbers, tracking=tracked)


def open_work(app) -> dict[tuple[str, str], int]:
    """Open tasks per (unit code, role): the virtual users go where the work is (one small
    aggregate every 15 s, outside the measured requests)."""
    with app.app_context():
        rows = db.session.execute(text(
            "SELECT u.code, t.candidate_role, count(*) FROM human_task t "
            "JOIN unit u ON u.id = t.candidate_unit_id "
            "WHERE t.status = 'open' GROUP BY u.code, t.candidate_role")).all()
        db.session.remove()
    return {(code, role): count for code, role, count in rows}


class Servers:
    """gunicorn (4 workers) and one scheduler, as docs/operations.md runs them in production."""

    def __init__(self, url: str, port: int, workers: int, log_dir: Path) -> None:
        env = {**os.environ, "DATABASE_URL": url, "PROXY_COUNT": "1"}
        self.base = f"http://127.0.0.1:{port}"
        self.logs = [open(log_dir / name, "w") for name in ("gunicorn.log", "scheduler.log")]  # noqa: SIM115
        self.web = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "app:create_app()"],
            cwd=REPO, env=env, stdout=self.logs[0], stderr=subprocess.STDOUT, start_new_session=True)
        self.scheduler = subprocess.Popen(
            [str(BIN / "flask"), "--app", "run.py", "scheduler"],
            cwd=REPO, env=env, stdout=self.logs[1], stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.web.poll() is not None:
                raise SystemExit(f"gunicorn stopped (exit {self.web.returncode}); see {self.logs[0].name}")
            try:
                if requests.get(f"{self.base}/healthz", timeout=2).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise SystemExit(f"gunicorn did not answer within {seconds:.0f} s")

    def web_pids(self) -> list[int]:
        """The gunicorn master and its workers."""
        children = Path(f"/proc/{self.web.pid}/task/{self.web.pid}/children").read_text().split()
        return [self.web.pid, *map(int, children)]

    def stop(self) -> None:
        for process in (self.web, self.scheduler):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (self.web, self.scheduler):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in self.logs:
            log.close()


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the processes (those still alive), in seconds."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def postgres_pids(app) -> list[int]:
    """The PostgreSQL backends serving the load run's database (the web workers' and the
    scheduler's connections)."""
    with app.app_context(), db.engine.connect() as conn:
        return list(conn.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = :name "
                                      "AND pid <> pg_backend_pid()"), {"name": DATABASE}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default=os.environ.get("BENCH_LOAD_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--rate", type=float, default=60.0, help="requests per second (default 60)")
    parser.add_argument("--duration", type=float, default=180.0, help="measured seconds (default 180)")
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds before measuring (default 30)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--threads", type=int, default=64, help="client threads (default 64)")
    parser.add_argument("--closed", type=int, default=17_000, help="closed cases in the population")
    parser.add_argument("--open", type=int, default=3_000, help="open cases in the population")
    parser.add_argument("--seed", type=int, default=20261215)
    parser.add_argument("--reload", action="store_true", help="empty the database and populate it again")
    parser.add_argument("--populate-only", action="store_true")
    parser.add_argument("--target-ms", type=float, default=150.0, help="p95 target per operation")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped (SIGTERM)"))  # the finally stops the servers

    url = database_url(args.database)
    print(f"=== {make_url(url).render_as_string(hide_password=True)}")
    os.environ["DATABASE_URL"] = url
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        load_city.populate(args)
    if args.populate_only:
        return
    rng = random.Random(args.seed + int(time.time()))
    known = world(app, rng)
    log_dir = Path(os.environ.get("TMPDIR", "/tmp")) / "huiyin-bench-load"
    log_dir.mkdir(exist_ok=True)
    servers = Servers(url, free_port(), args.workers, log_dir)
    try:
        servers.wait_ready()
        print(f"  gunicorn -w {args.workers} on {servers.base}, scheduler pid {servers.scheduler.pid}; "
              f"logs in {log_dir}")
        mix = load_mix.Mix(servers.base, known, rng, threads=args.threads, work=lambda: open_work(app))
        mix.sign_in_everyone()
        mix.run(args.rate, args.warmup, measuring=False)
        probes = {"gunicorn": servers.web_pids, "scheduler": lambda: [servers.scheduler.pid],
                  "postgres": lambda: postgres_pids(app), "load generator": lambda: [os.getpid()]}
        before = {name: (pids := probe(), cpu_seconds(pids)) for name, probe in probes.items()}
        load_before, started = os.getloadavg(), time.monotonic()
        mix.run(args.rate, args.duration, measuring=True)
        elapsed = time.monotonic() - started
        cpu = {name: cpu_seconds(sorted(set(pids) | set(probes[name]()))) - used
               for name, (pids, used) in before.items()}
        load_after = os.getloadavg()
    finally:
        servers.stop()
    scheduler_log = (log_dir / "scheduler.log").read_text(errors="replace")
    failures = re.findall(r"Traceback|ERROR", scheduler_log)
    report = mix.report(args.target_ms, elapsed)
    print(report)
    print(f"load average before {' '.join(f'{v:.2f}' for v in load_before)}, "
          f"after {' '.join(f'{v:.2f}' for v in load_after)} (2 cores, shared with other work)")
    print("CPU during the measured time (seconds of CPU per second, 2 cores = 2.0): "
          + ", ".join(f"{name} {used / elapsed:.2f}" for name, used in cpu.items()))
    if failures:
        print(f"the scheduler logged {len(failures)} errors: see {log_dir / 'scheduler.log'}")
    if mix.server_errors:
        raise SystemExit(f"FAILED: {mix.server_errors} responses with status 5xx (printed above)")


if __name__ == "__main__":
    main()
