"""The rollup: the dated counts of cases, assignments and ratings summed per local day, so that a
city's year is a few thousand rows instead of a million facts (bench/README.md, Statistics).

Each row of `statistics_rollup` holds every rolled-up count (one column each) for one local day,
one territory and one key of a *face*: no key ('') for the summary and the breakdowns by
territory and date, or a category, channel, request type, level, unit or resolved level for the
breakdowns and cuts by that. A question with at most one such cut or breakdown is answered from
the rollup; anything else (two cuts at once, a unit cut of case counts, referrals, counts as
things stand now) from the facts, with the same definitions.

On PostgreSQL, triggers keep the rollup in the transaction of every change of a case, an
assignment or a rating, whichever code makes it: each subtracts what the old row counted and adds
what the new one counts. Their SQL is generated here from the definitions in figures.py (what a
count counts, its dating column, the keys), so the rollup cannot count differently from the
facts. `install` (migration 0016, `flask statistics rollup`) writes them and refills the rollup
from the facts; a comment on the case trigger's function holds a signature of what it installed,
and a rollup whose signature differs from the code's (a changed definition, another TIMEZONE) is
not read. SQLite has no rollup: its installations are small, and the facts answer quickly enough.
"""
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Column, Date, Integer, cast, func, literal, select, text, true
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import ColumnElement, visitors

from app.extensions import db
from app.statistics import figures
from app.statistics.figures import COUNTS, SOURCES
from app.statistics.filters import Filters, Scope
from app.statistics.models import ROLLUP_COUNTS, rollup

ROLLED_UP = ("cases", "assignments", "ratings")
FACES = ("", "category", "channel", "request_type", "level", "unit", "resolved_level")
#: A breakdown or cut -> the face that answers it (klass: through its categories).
FACE_OF = {"category": "category", "klass": "category", "channel": "channel", "request_type": "request_type",
           "level": "level", "unit": "unit", "resolved_level": "resolved_level"}
INTEGER_FACES = ("category", "unit")
#: Who answered a case is known when it closes: the faces by the answering unit and its level keep
#: the counts of cases dated by the closing (the ranking's closed, the closures per level).
CLOSING_FACES = {("cases", "unit"): "closed_at", ("cases", "resolved_level"): "closed_at"}
CUTS = (("category_id", "category"), ("klass", "category"), ("channel", "channel"),
        ("request_type", "request_type"), ("level", "level"))
_cases = figures._cases
#: The signature of the installed rollup (None without one): what `signature` was when installed.
INSTALLED = "SELECT obj_description(to_regproc('statistics_rollup_case_record'), 'pg_proc')"


def counted() -> dict[str, list[str]]:
    """source -> its dated counts: what the rollup keeps."""
    return {source: [n for n, c in COUNTS.items() if c.source == source and c.date is not None]
            for source in ROLLED_UP}


# --- reading -------------------------------------------------------------------------------------

def usable() -> bool:
    """PostgreSQL, with the rollup of these definitions and this TIMEZONE installed (a catalog
    lookup, well under a millisecond)."""
    return db.engine.dialect.name == "postgresql" and db.session.scalar(
        text(INSTALLED)) == signature(_zone())


def _zone() -> str:
    return current_app.config["TIMEZONE"]


def face_for(names: list[str], filters: Filters, by: str | None, unit_figures: bool) -> str | None:
    """The face answering these counts of one source with these cuts and breakdown (None: the
    rollup cannot; usable() says whether the rollup may be read at all)."""
    source_name = COUNTS[names[0]].source
    if source_name not in ROLLED_UP or any(COUNTS[n].date is None for n in names):
        return None
    source = SOURCES[source_name]
    wanted = {FACE_OF[by]} if by in FACE_OF else set()
    wanted |= {face for cut, face in CUTS if getattr(filters, cut) is not None}
    if filters.unit_ids is not None:
        if source.unit is None:  # the cases a unit held: through its assignments, not a key
            return None
        wanted.add("unit")
    if len(wanted) > 1:
        return None
    face = wanted.pop() if wanted else ""
    # a unit's own figures leave out what the unit face leaves out (ratings excluded on appeal)
    if source.unit_only is not None and (unit_figures or filters.unit_ids is not None) != (face == "unit"):
        return None
    if face and figures.key(face, source) is None:
        return None
    dated_by = CLOSING_FACES.get((source_name, face))
    if dated_by and any(COUNTS[n].date.name != dated_by for n in names):
        return None
    return face


def counts(names: list[str], face: str, filters: Filters, scope: Scope, by: str | None, children=()) -> dict:
    """{group: {count: n}} from the rollup's `face` (see face_for), as figures.aggregate counts
    them from the facts: the counts of several sources in one query."""
    r = rollup.c
    typed = cast(func.nullif(r.key, ""), Integer) if face in INTEGER_FACES else func.nullif(r.key, "")
    where = [r.face == face, r.day >= filters.first, r.day <= filters.last]
    for paths in (scope.paths, [filters.territory_path] if filters.territory_path else None):
        if paths is not None:
            where.append(figures.within(paths, r.territory_id))
    for value in (filters.category_id, filters.channel, filters.request_type, filters.level):
        if value is not None:
            where.append(typed == value)
    if filters.klass is not None:
        categories = figures._categories
        where.append(typed.in_(select(categories.c.id).where(categories.c.klass == filters.klass)))
    if filters.unit_ids is not None:
        where.append(typed.in_(filters.unit_ids))
    if by is None:
        group = literal("all")
    elif by == "klass":
        group = figures.klass_key(typed)
    elif by == "territory":
        group = figures.territory_key(r.territory_id, children)
    elif by in figures.PERIODS:
        group = figures.period_key(r.day, by)
    else:
        group = typed
    group = group.label("group_key")
    sums = [func.sum(r[name]).label(name) for name in names]
    statement = (select(group, *sums).where(*where).group_by(group)
                 .having(func.sum(sum(r[name] for name in names)) != 0))
    return {row.group_key: {name: int(getattr(row, name)) for name in names}
            for row in db.session.execute(statement)}


# --- the triggers' SQL, from the definitions ------------------------------------------------------

def _sql(element) -> str:
    return str(element.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def _columns(*elements) -> set:
    return {found for element in elements for found in visitors.iterate(element)
            if isinstance(found, Column)}


@dataclass(frozen=True)
class _Face:
    name: str
    key: ColumnElement | None
    counted: ColumnElement  # which rows count in this face
    dated_by: str | None = None  # only the counts dated by this column (None: all)


@dataclass(frozen=True)
class _Source:
    name: str
    table: object
    faces: list[_Face]
    dates: dict[str, list[str]]  # dating column -> its counts

    @property
    def elements(self) -> list:
        counted_here = [COUNTS[n] for names in self.dates.values() for n in names]
        return ([f.key for f in self.faces if f.key is not None] + [f.counted for f in self.faces]
                + [c.where() for c in counted_here] + [c.date for c in counted_here]
                + [_cases.c.territory_id])


def _sources() -> list[_Source]:
    found = []
    for name, names in counted().items():
        source = SOURCES[name]
        faces = [_Face("", None, true())]
        for face in FACES[1:]:
            key = figures.key(face, source)
            if key is not None:
                own = source.unit_only() if face == "unit" and source.unit_only is not None else true()
                faces.append(_Face(face, key, own, CLOSING_FACES.get((name, face))))
        dates: dict[str, list[str]] = {}
        for count_name in names:
            dates.setdefault(COUNTS[count_name].date.name, []).append(count_name)
        found.append(_Source(name, source.table, faces, dates))
    return found


def _branches(source: _Source, zone: str, sign: str, from_: str, only_if: str = "",
              faces: tuple[str, ...] = FACES) -> list[str]:
    """SELECTs of the rows' contributions (`sign` each) to the rollup's `faces`, one per dating
    column."""
    branches = []
    for date_name, names in source.dates.items():
        values = ", ".join(
            f"('{f.name}', {_sql(cast(f.key, postgresql.TEXT)) if f.key is not None else 'NULL'}, "
            f"{_sql(f.counted)})"
            for f in source.faces if f.name in faces and f.dated_by in (None, date_name))
        if not values:
            continue
        date = source.table.c[date_name]
        day = _sql(cast(figures.local_time(date, zone, "postgresql"), Date))
        columns = ", ".join(f"CASE WHEN {_sql(COUNTS[n].where())} THEN {sign} ELSE 0 END AS {n}"
                            if n in names else f"0 AS {n}" for n in ROLLUP_COUNTS)
        branches.append(
            f"SELECT f.face, {day} AS day, coalesce({_sql(_cases.c.territory_id)}, 0) AS territory_id, "
            f"coalesce(f.key, '') AS key, {columns} FROM {from_} "
            f"CROSS JOIN LATERAL (VALUES {values}) AS f(face, key, counted) "
            f"WHERE {_sql(date)} IS NOT NULL AND f.counted{only_if}")
    return branches


def _child_from(source: _Source, case_row: str | None, row: str | None = None) -> str:
    """FROM a source's rows (or `row`, a trigger's OLD or NEW) with their case (or `case_row`)."""
    table = source.table.name
    own = f"(SELECT {row}.*) AS {table}" if row else table
    if source.table is _cases:
        return own
    case = f"(SELECT {case_row}.*) AS case_record" if case_row else "case_record"
    return f"{own} JOIN {case} ON case_record.id = {table}.case_id"


def _summed(branches: list[str]) -> str:
    """The branches' contributions summed per row of the rollup; rows that sum to nothing left out."""
    sums = ", ".join(f"sum({n}) AS {n}" for n in ROLLUP_COUNTS)
    changed = " OR ".join(f"sum({n}) <> 0" for n in ROLLUP_COUNTS)
    return (f"SELECT face, day, territory_id, key, {sums} FROM ({' UNION ALL '.join(branches)}) AS delta "
            f"GROUP BY face, day, territory_id, key HAVING {changed} ORDER BY face, day, territory_id, key")


COLUMNS = ", ".join(("face", "day", "territory_id", "key", *ROLLUP_COUNTS))


def _upsert(branches: list[str]) -> str:
    added = ", ".join(f"{n} = r.{n} + EXCLUDED.{n}" for n in ROLLUP_COUNTS)
    return (f"INSERT INTO statistics_rollup AS r ({COLUMNS}) {_summed(branches)} "
            f"ON CONFLICT (face, day, territory_id, key) DO UPDATE SET {added}")


@dataclass(frozen=True)
class _DDL:
    triggers: tuple[str, ...]  # the trigger functions and triggers
    faces: tuple[str, ...]  # per face, the SELECT of its rows from the facts


@lru_cache
def _ddl(zone: str) -> _DDL:
    sources = _sources()
    statements = []
    case_source = next(s for s in sources if s.table is _cases)
    children = [s for s in sources if s.table is not _cases]
    # a case change moves its assignments' and ratings' counts when it changes what they read of it
    shared = sorted({c.name for s in children for c in _columns(*s.elements) if c.table is _cases})
    for source in sources:
        table = source.table.name
        changes = (("-1", "OLD", " AND TG_OP <> 'INSERT'"), ("1", "NEW", " AND TG_OP <> 'DELETE'"))
        branches = [b for sign, row, only_if in changes
                    for b in _branches(source, zone, sign, _child_from(source, None, row), only_if)]
        body = _upsert(branches) + ";"
        read = {c.name for c in _columns(*source.elements) if c.table is source.table}
        if source is case_source:
            read |= set(shared)
            old = ", ".join(f"OLD.{c}" for c in shared)
            new = ", ".join(f"NEW.{c}" for c in shared)
            moved = [b for child in children for sign, row in (("-1", "OLD"), ("1", "NEW"))
                     for b in _branches(child, zone, sign, _child_from(child, row))]
            body += (f"\n  IF TG_OP = 'UPDATE' AND ({old}) IS DISTINCT FROM ({new}) THEN\n    "
                     + _upsert(moved) + ";\n  END IF;")
        else:
            read.add("case_id")
        statements.append(
            f"CREATE OR REPLACE FUNCTION statistics_rollup_{table}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n  {body}\n  RETURN NULL;\nEND $$")
        statements.append(f"DROP TRIGGER IF EXISTS statistics_rollup ON {table}")
        statements.append(f"CREATE TRIGGER statistics_rollup AFTER INSERT OR DELETE OR UPDATE OF "
                          f"{', '.join(sorted(read))} ON {table} FOR EACH ROW "
                          f"EXECUTE FUNCTION statistics_rollup_{table}()")
    # one face at a time: its rows are summed in memory, not sorted on disk with every face's
    faces = tuple(_summed([b for s in sources
                           for b in _branches(s, zone, "1", _child_from(s, None), faces=(face,))])
                  for face in FACES)
    return _DDL(tuple(statements), faces)


@lru_cache
def signature(zone: str) -> str:
    ddl = _ddl(zone)
    digest = hashlib.sha256("\n".join((zone, *ddl.triggers, *ddl.faces)).encode()).hexdigest()[:16]
    return f"figures {digest} {zone}"


def recomputed(connection, zone: str) -> list[tuple]:
    """The rollup computed afresh from the facts (what the triggers must have kept), sorted."""
    return sorted(tuple(row) for face in _ddl(zone).faces for row in connection.exec_driver_sql(face))


def install(connection, zone: str) -> int | None:
    """Write the triggers for these definitions and `zone`, and refill the rollup from the facts
    (in the caller's transaction); returns its rows. Nothing when a table lacks a column the
    definitions count or read (a migration on the way to the head; the one that adds it installs)."""
    ZoneInfo(zone)  # a zone name, never anything else, goes into the SQL
    read = {(c.table.name, c.name) for s in _sources() for c in _columns(*s.elements)}
    read |= {("statistics_rollup", name) for name in ROLLUP_COUNTS}
    tables = ", ".join(sorted({f"'{table}'" for table, _ in read}))
    present = {tuple(row) for row in connection.exec_driver_sql(
        f"SELECT table_name, column_name FROM information_schema.columns WHERE table_name IN ({tables})")}
    if not present >= read:
        return None
    ddl = _ddl(zone)
    connection.exec_driver_sql("LOCK TABLE case_record, case_assignment, case_rating IN SHARE MODE")
    for statement in ddl.triggers:
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql("SET LOCAL work_mem = '256MB'")
    connection.exec_driver_sql("TRUNCATE statistics_rollup")
    for face in ddl.faces:
        connection.exec_driver_sql(f"INSERT INTO statistics_rollup ({COLUMNS}) {face}")
    connection.exec_driver_sql(f"COMMENT ON FUNCTION statistics_rollup_case_record() IS '{signature(zone)}'")
    connection.exec_driver_sql("ANALYZE statistics_rollup")
    return connection.exec_driver_sql("SELECT count(*) FROM statistics_rollup").scalar_one()
