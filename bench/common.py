"""What every benchmark script shares: its PostgreSQL database (created if missing, emptied
before a fill), the statistics of its timings, and the machine's load average for its report."""
import math
import os
import statistics

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
