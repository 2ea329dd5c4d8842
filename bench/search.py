"""Text search benchmark (issue 15): the case list's search by text at 3,000,000 cases, as ILIKE
did it (before) and by words with the GIN index (after, app/search/words.py).

Fills a PostgreSQL database with the demo city's organisation (app/demo.py, as bench/statistics.py
loads it) and N cases with what the search reads: hotline texts written the way a 12345 desk
writes them (bench/hotspot_text.py's wordings, prefixes and places; a lamp in 5 % of them, a
hornets' nest in 0.02 %), the place's territory and unit, newest last. The rows are COPYed without
their words; then migration 0024's backfill (app/cases/searchable.backfill) writes them, timed, and
the GIN index is built, timed.

Then measures, as the case list runs it for a district's leader and for the city's (the first page
of 50 newest first, and the count; app/cases/service.list_visible and count_visible), the
median and p95 of each query, by words and by the old ILIKE, and checks that the words find
every case ILIKE finds.

    .venv/bin/python bench/search.py [--database URL] [--cases 3000000] [--reps 20] [--ilike-reps 3]
                                     [--reload] [--fill-only] [--explain]

A filled database is kept: a re-run with the same size measures at once; one filled with other
options or an older generator is refused, not emptied, unless `--reload` says so.
See bench/README.md, section "Text search (3,000,000 cases)".
"""
import sys
from pathlib import Path

# Run as a script, sys.path[0] is bench/, whose statistics.py would hide the standard library's.
HERE, REPO = Path(__file__).resolve().parent, Path(__file__).resolve().parents[1]
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

import os  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from datetime import timedelta  # noqa: E402
from functools import partial  # noqa: E402

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, or_, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import User  # noqa: E402
from app.cases import conditions, search, searchable, service  # noqa: E402
from app.cases.models import Case  # noqa: E402
from app.clock import utcnow  # noqa: E402
from app.extensions import db  # noqa: E402
from app.search.words import matches, query_words  # noqa: E402
from app.timelimits.lights import basis  # noqa: E402
from bench import hotspot_text as texts  # noqa: E402
from bench.common import fill_parser, keep_fill, load_average, p95  # noqa: E402
from bench.statistics import Pick, database_url, holds_cases, load_city, wipe  # noqa: E402

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_search"
FILL_VERSION = 1
CHUNK = 100_000
#: Matters by weight: 路灯 is in every lamp text, so in 5 % of the cases.
CATEGORIES = {"lamp": 5, "garbage": 19, "water": 19, "heating": 19, "noise": 14, "road": 14, "wages": 10}
RARE = "马蜂窝"
RARE_TEXTS = ("{p}树上有个马蜂窝，孩子上学路过很危险", "{p}楼道窗外出现马蜂窝，请派人摘除")
RARE_SHARE = 0.0002
DETAILS = ("", "", "此前已反映过两次。", "来电人要求回复处理结果。", "附近居民都受到影响。",
           "请联系来电人了解详细情况。")
QUERIES = (("2 characters", "噪音"), ("4 characters", "路灯不亮"), ("two words", "停水 幸福小区"),
           ("rare word", RARE), ("common word (5 %)", "路灯"))
#: (scope, user, whether ILIKE is measured too: each of its queries reads the whole table)
SCOPES = (("district 210902", "leader", True), ("city", "city_leader", False))
DISTRICT = "210902"
TARGET_MS = 100.0
_cases = Case.__table__
INDEX = "ix_case_record_search_words"


def signature(args) -> str:
    return f"bench-search v{FILL_VERSION} cases={args.cases} seed={args.seed}"


def generated(rng: random.Random, city, count: int):
    """COPY lines of case_record (without words), ids 1..count, registered over three years."""
    place, category = Pick(rng, dict(enumerate(city.place_weights))), Pick(rng, CATEGORIES)
    end = utcnow().replace(microsecond=0)
    start = end - timedelta(days=3 * 365)
    step = (end - start) / count
    for case_id in range(1, count + 1):
        where = city.places[place()]
        spot = rng.choice(texts.PLACES).format(v="")
        if rng.random() < RARE_SHARE:
            wording = rng.choice(RARE_TEXTS)
        else:
            matter = texts.MATTERS[category()]
            wording = rng.choice(matter[rng.choice(list(matter))])
        said = wording.format(p="", t=rng.choice(texts.TIMES))
        title = said.split("，")[0][:30]
        told = wording.format(p=where.name + spot, t=rng.choice(texts.TIMES))
        description = "".join((rng.choice(texts.PREFIXES), told, "。", rng.choice(DETAILS),
                               rng.choice(texts.SUFFIXES)))
        created = start + step * case_id
        yield "\t".join((str(case_id), f"HY{created:%Y%m%d}-{case_id:07d}", title, description,
                         where.name + spot, "open" if rng.random() < 0.08 else "closed",
                         str(where.units["village"]), str(where.territory_id), "hotline", "f", str(created),
                         "f", "f", "0", "0", "0", "f"))


COLUMNS = ("id", "number", "title", "description", "address", "status", "unit_id", "territory_id", "channel",
           "public", "created_at", "intake_answered", "late_reply", "returns", "escalations", "extensions",
           "second_handled")


def fill(args) -> None:
    """Migrate; unless the database holds this fill already, load the city and its cases, then
    write their words as migration 0024 does. Resumes after the copy (a lost connection during
    the half-hour backfill costs the backfill only)."""
    upgrade()
    state = db.session.scalar(text("SELECT obj_description('case_record'::regclass, 'pg_class')"))
    db.session.remove()
    resumes = state == "copied " + signature(args) and not args.reload
    if not resumes and keep_fill(state, signature(args), args.reload, holds_cases(), wipe):
        return
    t0 = time.perf_counter()
    if not resumes:
        copy_cases(args)
    for attempt in (1, 2, 3):
        try:
            backfill_and_index(args)
            break
        except OperationalError as lost:
            print(f"  attempt {attempt} lost its connection ({lost.orig}); again")
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM (ANALYZE) case_record"))
        connection.execute(text(f"COMMENT ON TABLE case_record IS '{signature(args)}'"))
    print(f"  filled in {time.perf_counter() - t0:.0f} s")


def copy_cases(args) -> None:
    """The demo city, and the cases COPYed without their words, into an empty database."""
    t0 = time.perf_counter()
    rng = random.Random(args.seed)
    city = load_city(rng)
    db.session.remove()  # no transaction left open: VACUUM is to clean up after the backfill
    with db.engine.begin() as connection:
        cursor = connection.connection.driver_connection.cursor()
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL session_replication_role = replica")  # no statistics rollup per row
        indexes = cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'case_record' AND indexname <> %s"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)", (INDEX,)).fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute(f'DROP INDEX "{INDEX}"')
        lines = []
        with cursor.copy(f"COPY case_record ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for line in generated(rng, city, args.cases):
                lines.append(line)
                if len(lines) == CHUNK:
                    copy.write("\n".join(lines) + "\n")
                    lines.clear()
                    print(f"\r  {int(line.split(chr(9))[0]):>9,} cases copied", end="", flush=True)
            copy.write("\n".join(lines) + "\n" if lines else "")
        print(f"\r  {args.cases:,} cases copied ({time.perf_counter() - t0:.0f} s)")
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("SELECT setval(pg_get_serial_sequence('case_record', 'id'), %s)", (args.cases,))
        cursor.execute(f"COMMENT ON TABLE case_record IS 'copied {signature(args)}'")


def backfill_and_index(args) -> None:
    """Migration 0024's work on the copied cases: the backfill, then the GIN index, each timed."""
    t0 = time.perf_counter()
    with db.engine.begin() as connection:
        connection.execute(text(f'DROP INDEX IF EXISTS "{INDEX}"'))
        searchable.backfill(connection)
    seconds = time.perf_counter() - t0
    print(f"  backfill (migration 0024): {seconds:.0f} s, {seconds * 1e6 / args.cases:.0f} s a million cases")
    t0 = time.perf_counter()
    with db.engine.begin() as connection:
        memory = connection.scalar(text("SHOW maintenance_work_mem"))
        connection.execute(text(f'CREATE INDEX "{INDEX}" ON case_record USING gin (search_words)'))
    print(f"  GIN index built in {time.perf_counter() - t0:.0f} s (maintenance_work_mem {memory})")


def ilike(query: str):
    """The search as it was before issue 15: the whole text as a part of the title or description."""
    return or_(_cases.c.title.icontains(query, autoescape=True),
               _cases.c.description.icontains(query, autoescape=True))


def by_words(query: str):
    return search.condition(search.parse({"q": query}), basis(utcnow()))


def first_page(user, condition, query: str) -> list:
    return service.list_visible(user, 50, 0, condition(query))


def counted(user, condition, query: str) -> int:
    return service.count_visible(user, condition(query))


def timed(call, reps: int, warmup: int) -> tuple[list[float], object]:
    found, times = None, []
    for rep in range(warmup + reps):
        started = time.perf_counter()
        found = call()
        if rep >= warmup:
            times.append((time.perf_counter() - started) * 1000)
    return times, found


def measure(args) -> list[tuple]:
    rows = []
    for scope, username, before in SCOPES:
        print(f"\n  {scope} (user {username})")
        methods = (("words", by_words, args.reps, 2), ("ILIKE", ilike, args.ilike_reps, 0))
        for label, query in QUERIES:
            for method, condition, reps, warmup in methods[:2 if before and args.ilike_reps else 1]:
                db.session.remove()
                user = db.session.scalar(select(User).where(User.username == username))
                page_ms, page = timed(partial(first_page, user, condition, query), reps, warmup)
                count_ms, count = timed(partial(counted, user, condition, query), reps, warmup)
                rows.append((scope, label, query, method, count, len(page), page_ms, count_ms))
                print(f"    {label:18} {query:8} {method:5} {count:>9,} found  page median "
                      f"{statistics.median(page_ms):7.1f} p95 {p95(page_ms):7.1f} ms   count median "
                      f"{statistics.median(count_ms):7.1f} p95 {p95(count_ms):7.1f} ms")
                if args.explain and method == "words":
                    explain(user, condition(query))
    db.session.remove()
    return rows


def explain(user, where) -> None:
    for statement in (select(_cases.c.id).where(where).order_by(_cases.c.id.desc()).limit(50),
                      select(func.count()).select_from(_cases).where(where)):
        compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = db.session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}")).scalars().all()
        print("        | " + "\n        | ".join(plan))


def recall() -> None:
    """Cases ILIKE finds that the words miss (should be none), and cases only the words find."""
    print(f"\n  recall against ILIKE (district {DISTRICT}; one-phrase queries):")
    district = conditions.in_territory(conditions.territory_path(DISTRICT))
    for label, query in QUERIES:
        if " " in query:
            continue
        words = matches(_cases.c.search_words, query_words(query))
        missed = db.session.scalar(select(func.count()).where(district, ilike(query), ~words))
        extra = db.session.scalar(select(func.count()).where(district, ~ilike(query), words))
        print(f"    {label:18} {query:8} missed by words {missed:,}, found by words only {extra:,}")


def sizes() -> None:
    heap, index, words = db.session.execute(text(
        "SELECT pg_table_size('case_record'), pg_relation_size('ix_case_record_search_words'),"
        " (SELECT avg(length(search_words)) FROM case_record)")).one()
    print(f"\n  case_record {heap / 2**20:,.0f} MB, GIN index {index / 2**20:,.0f} MB, "
          f"{float(words):.0f} words (lexemes) a case on average")


def main() -> None:
    parser = fill_parser(__doc__, os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE), reps=20)
    parser.add_argument("--cases", type=int, default=3_000_000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--ilike-reps", type=int, default=1,
                        help="each ILIKE query scans the table; 0: words only, no recall check")
    args = parser.parse_args()
    url = database_url(args)
    print(f"=== {make_url(url).render_as_string(hide_password=True)}")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        fill(args)
        if args.fill_only:
            return
        before = load_average()
        measure(args)
        if args.ilike_reps:
            recall()
        sizes()
        print(f"\n  load average before {before}, after {load_average()} (2 cores)")


if __name__ == "__main__":
    main()
