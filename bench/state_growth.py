"""State growth (issue 15): one step of the complaint process as a case's history grows.

The measured step is the handler's reply (completing `handle` with action "reply", through the
service layer, its own transaction), the step every send-back loop repeats. It is timed on
--cases cases at each checkpoint: the first reply, the reply after 1, 5, 10 and 20 send-back
loops, and the reply at the city after those 20 loops and escalation village -> township ->
county -> city. Figures are medians over the cases; the state size is the process_instance.state
saved by that reply. The CPU time is this process's (Python: load, SpiffWorkflow, save; SQLite's
work too, PostgreSQL's not), which a loaded machine disturbs less than the wall time. Everything
else (registration, send-backs, escalation) is driven untimed over the HTTP API with the test
helpers' `Desk`.

Half the cases are saved with pruning (app/engine/pruning.py), half whole (as before issue 15),
in one fresh database per backend; each step runs on a pruned case, then on a whole one, so both
see the same database and the same machine load, and the ratio of the two is printed.

    .venv/bin/python bench/state_growth.py [--backend sqlite|postgresql|both] [--cases 20]
"""
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Run as a script, sys.path[0] is bench/, whose statistics.py would hide the standard library's.
sys.path[:] = [str(REPO), *(p for p in sys.path if Path(p or ".").resolve() != REPO / "bench")]

import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from contextlib import nullcontext  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

os.environ.setdefault("SECRET_KEY", "huiyin-bench-not-secret")

from flask import current_app  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import User  # noqa: E402
from app.cases.models import Case  # noqa: E402
from app.engine import pruning, tasks  # noqa: E402
from app.engine.models import ProcessInstance  # noqa: E402
from app.extensions import db  # noqa: E402
from app.timelimits.limits import seed_defaults  # noqa: E402
from bench.common import empty_database  # noqa: E402
from bench.engine import ensure_pg_database  # noqa: E402
from tests.complaint_city import Desk, build_city  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_growth"
REPLY = {"action": "reply", "policy_basis": "《城市道路照明设施管理规定》", "result": "已更换灯泡，恢复照明",
         "responsible_person": "王主任", "contact_phone": "13900001111"}
LOOPS = (1, 5, 10, 20)
MODES = ("pruned", "whole")
CHECKPOINTS = ("start", *(f"{n} loops" for n in LOOPS), f"{LOOPS[-1]} loops + city")


@dataclass
class Figures:
    """Per checkpoint: the reply's wall time and this process's CPU time (ms), and the saved
    state's size (KB), one per case."""

    ms: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    kb: dict[str, list[float]] = field(default_factory=dict)

    def median(self, kind: str, checkpoint: str) -> float:
        return statistics.median(getattr(self, kind)[checkpoint])


def fresh_database(backend: str, pg_url: str, workdir: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'growth.sqlite3'}"
    ensure_pg_database(pg_url)
    empty_database(pg_url)
    return pg_url


class Scenario:
    """`cases` pruned and `cases` whole village cases driven together, step by step; `reply`
    times each one's reply at a checkpoint."""

    def __init__(self, cases: int) -> None:
        self.units = build_city()["units"]
        client = current_app.test_client()
        tokens: dict = {}
        self.desks = [(mode, Desk(client, tokens=tokens)) for _ in range(cases) for mode in MODES]
        self.figures = {mode: Figures() for mode in MODES}
        self.users = {u.username: u for u in db.session.scalars(select(User))}

    def each(self, step) -> None:
        for mode, desk in self.desks:
            with pruning.disabled() if mode == "whole" else nullcontext():
                step(desk)

    def reply(self, checkpoint: str, handler: str) -> None:
        def timed(desk: Desk) -> None:
            figures = self.figures["whole" if not pruning.enabled else "pruned"]
            task_id = desk.task(handler, "handle")
            started, started_cpu = time.perf_counter(), time.process_time()
            tasks.complete(self.users[handler], task_id, dict(REPLY))
            figures.cpu.setdefault(checkpoint, []).append((time.process_time() - started_cpu) * 1000)
            figures.ms.setdefault(checkpoint, []).append((time.perf_counter() - started) * 1000)
            state = db.session.scalar(select(ProcessInstance.state).join(Case)
                                      .where(Case.number == desk.number))
            figures.kb.setdefault(checkpoint, []).append(len(state) / 1024)
            db.session.rollback()

        self.each(timed)

    def run(self) -> None:
        self.each(lambda d: d.village_case(self.units))
        self.each(lambda d: d.sign_for("handler_village"))
        self.reply("start", "handler_village")
        done = 0
        for loops in LOOPS:
            for _ in range(loops - done):
                self.each(lambda d: d.do("reviewer_village", "unit_review", action="send_back",
                                         review_note="请补充政策依据"))
                if _ < loops - done - 1:
                    self.each(lambda d: d.reply("handler_village"))
            self.reply(f"{loops} loops", "handler_village")
            done = loops
        self.each(lambda d: d.do("reviewer_village", "unit_review", action="send_back", review_note="应上报"))
        for level in ("village", "township", "county"):
            if level != "village":
                self.each(lambda d, lv=level: d.sign_for(f"handler_{lv}"))
            self.each(lambda d, lv=level: d.do(f"handler_{lv}", "handle", action="escalate",
                                               escalate_reason=f"{lv} 无权限解决"))
        self.each(lambda d: d.sign_for("handler_city"))
        self.reply(CHECKPOINTS[-1], "handler_city")


def measure(backend: str, args, workdir: Path) -> dict[str, Figures]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database(backend, args.pg, workdir)})
    with app.app_context():
        upgrade()
        seed_defaults()
        db.session.commit()
        scenario = Scenario(args.cases)
        scenario.run()
        db.session.remove()
        db.engine.dispose()
    return scenario.figures


def report(backend: str, pruned: Figures, whole: Figures, cases: int) -> None:
    print(f"\n{backend}: the handler's reply, median of {cases} cases of each kind")
    print("| checkpoint | state KB pruned | whole | ms pruned | whole | whole / pruned "
          "| CPU ms pruned | whole | whole / pruned |")
    print("|---|---|---|---|---|---|---|---|---|")
    for checkpoint in CHECKPOINTS:
        row = [f"{pruned.median('kb', checkpoint):.1f}", f"{whole.median('kb', checkpoint):.1f}"]
        for kind in ("ms", "cpu"):
            mine, theirs = pruned.median(kind, checkpoint), whole.median(kind, checkpoint)
            row += [f"{mine:.1f}", f"{theirs:.1f}", f"{theirs / mine:.2f}"]
        print(f"| {checkpoint} | {' | '.join(row)} |")
    last = CHECKPOINTS[-1]
    for mode, figures in (("pruned", pruned), ("whole", whole)):
        ratios = {kind: figures.median(kind, last) / figures.median(kind, "start")
                  for kind in ("kb", "ms", "cpu")}
        print(f"{mode}, {last} / start: state {ratios['kb']:.2f}, time {ratios['ms']:.2f}, "
              f"CPU time {ratios['cpu']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--cases", type=int, default=20, help="cases of each kind (samples of each median)")
    parser.add_argument("--pg", default=os.environ.get("BENCH_GROWTH_DATABASE_URL", DEFAULT_PG))
    args = parser.parse_args()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as workdir:
        for backend in backends:
            figures = measure(backend, args, Path(workdir))
            report(backend, figures["pruned"], figures["whole"], args.cases)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
