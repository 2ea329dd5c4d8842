"""What every benchmark script shares: its PostgreSQL database (created if missing, kept between
runs, emptied before a fill only on request), its options, the statistics of its timings, and the
machine's load average for its report."""
import argparse
import math
import os
import statistics
from collections.abc import Callable

from sqlalchemy import create_engine, make_url, text


def create_database(url: str) -> None:
    """Create the URL's database when the server has none of that name (the caller has checked
    that the name is the benchmark's own)."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                               {"name": parsed.database}):
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        admin.dispose()


def empty_schema(engine) -> None:
    """Drop and recreate the `public` schema: every table, index, trigger and function goes."""
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


def empty_database(url: str) -> None:
    engine = create_engine(url)
    try:
        empty_schema(engine)
    finally:
        engine.dispose()


def fill_parser(doc: str, database: str, reps: int, warmup: int | None = None) -> argparse.ArgumentParser:
    """The command line of a script that fills its database once and then measures it (`doc`: the
    script's docstring): --database (the default given), --reload, --fill-only, --reps, --explain,
    and --warmup when the script warms up."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default=database, help=f"PostgreSQL URL (default {database})")
    parser.add_argument("--reload", action="store_true", help="empty the database and fill it again")
    parser.add_argument("--fill-only", action="store_true", help="fill when needed, measure nothing")
    parser.add_argument("--reps", type=int, default=reps, help=f"timed calls of each query (default {reps})")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) what is measured")
    if warmup is not None:
        parser.add_argument("--warmup", type=int, default=warmup, help=f"untimed calls (default {warmup})")
    return parser


def keep_fill(found: str | None, wanted: str, reload: bool, holds_cases: bool,
              empty: Callable[[], None]) -> bool:
    """Whether the database holds the wanted fill already (`found`: the signature of the fill it
    holds, None for none), so that the run measures it as it is. Otherwise the caller fills it: an
    empty database at once; one that holds anything only with --reload, and `empty` is called
    first. Another fill (other settings, or a generator version since changed) is refused, not
    emptied: a fill of millions of cases takes half an hour, and a measuring run must not throw it
    away because an option differs."""
    if found == wanted and not reload:
        print(f"  filled already ({found}); --reload fills again")
        return True
    if found is None and not holds_cases:
        return False
    if not reload:
        raise SystemExit(f"  the database holds {found or 'cases of another origin'}, not {wanted}: "
                         "--reload empties it and fills it again")
    print(f"  --reload: emptying the database ({found or 'cases of another origin'})")
    empty()
    return False


def p95(times: list[float]) -> float:
    """The 95th percentile by the nearest-rank rule (of 3 calls: the slowest)."""
    ordered = sorted(times)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


class Timings:
    """Median and p95 of a result's `times_ms` (a field of the dataclass that mixes this in)."""

    times_ms: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        return p95(self.times_ms)


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())
