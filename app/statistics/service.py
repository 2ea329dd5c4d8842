"""What the statistics pages and the API ask: the summary of a period, a breakdown by one
dimension, the units' ranking (亮晒比) and the cases behind any number (drill-down). Each runs a
handful of grouped SQL aggregates over the figures of app/statistics/figures.py, within the
viewer's scope."""
from sqlalchemy import select

from app.accounts.models import User
from app.cases import service as cases_service
from app.engine.errors import InvalidData
from app.extensions import db
from app.organisation.models import Category, Territory, Unit
from app.statistics import figures, rollup, scoring, settings
from app.statistics.figures import COUNTS, LEVELS, PERIODS, RATES, UNIT_RATES, rate
from app.statistics.filters import Filters, Scope, narrowed, parse, scope_of

SUMMARY_COUNTS = ("received", "accepted", "not_accepted", "answered_at_intake", "dispatched", "closed",
                  "open", "overdue_now", "extended", "returned", "escalated", "second_handled", "restarted",
                  "referred")
#: What the rates need besides the counts shown.
RATE_COUNTS = ("closed_on_time", "responded_on_time", "assignments", "rated", "satisfied",
               "basically_satisfied", "resolved", "basically_resolved")
BREAKDOWNS = ("level", "territory", "category", "channel", "request_type", "klass", "month", "week", "day")
UNIT_COUNTS = ("assignments", "unit_responded_on_time", "returned", "returns_upheld", "returns_overruled",
               "escalated", "replied", "replied_on_time", "late_replies", "rated", "satisfied",
               "basically_satisfied", "resolved", "basically_resolved", "referred")
UNIT_ORDERS = ("score", "received", "closed", *UNIT_RATES)


def _asked(user: User, args: dict) -> tuple[Filters, Scope]:
    scope = scope_of(user)
    return narrowed(parse(args), scope), scope


def _counts(names, filters: Filters, scope: Scope, by: str | None = None, unit_figures=False,
            children=()) -> dict:
    """{group: {count: n}} over every source the counts come from, grouped by a breakdown `by`:
    from the rollup where it answers the question (app/statistics/rollup.py), else from the
    facts; counts as things stand now always from the facts."""
    merged: dict = {}

    def add(found: dict) -> None:
        for group, values in found.items():
            merged.setdefault(group, dict.fromkeys(names, 0)).update(values)

    rolled: dict[str, list[str]] = {}  # face -> the counts it answers, of one or more sources
    if rollup.usable():
        for source_names in figures.by_source(names).values():
            dated = [n for n in source_names if COUNTS[n].date is not None]
            face = rollup.face_for(dated, filters, by, unit_figures) if dated else None
            if face is not None:
                rolled.setdefault(face, []).extend(dated)
    for face, face_names in rolled.items():
        add(rollup.counts(face_names, face, filters, scope, by, children))
    answered = {n for face_names in rolled.values() for n in face_names}
    for source_name, source_names in figures.by_source([n for n in names if n not in answered]).items():
        source = figures.SOURCES[source_name]
        for part in _parts(source_names, by):
            key = figures.key(by, source, COUNTS[part[0]].date, children)
            add(figures.aggregate(part, filters, scope, key, unit_figures))
    return merged


def _parts(names: list[str], by: str | None) -> list[list[str]]:
    """One query per dating column when grouping by date; else the dated counts (on their
    indexed dates) apart from the counts as things stand now."""
    grouped: dict = {}
    for name in names:
        date = COUNTS[name].date
        part = date.name if by in PERIODS else date is None
        grouped.setdefault(part, []).append(name)
    return list(grouped.values())


def _rates(counts: dict, definitions: dict, weights: dict) -> dict:
    return {name: rate(counts, definition, weights) for name, definition in definitions.items()}


def _link(filters: Filters, figure: str, part: str | None = None) -> dict:
    return {"figure": figure, **({"part": part} if part else {}), **filters.args}


def summary(user: User, args: dict) -> dict:
    filters, scope = _asked(user, args)
    weights = settings.current()
    counts = _counts((*SUMMARY_COUNTS, *RATE_COUNTS), filters, scope).get("all") or dict.fromkeys(
        (*SUMMARY_COUNTS, *RATE_COUNTS), 0)
    by_level = _counts(["closed"], filters, scope, "resolved_level")
    closed_levels = {level: (by_level.get(level) or {}).get("closed", 0) for level in LEVELS}
    shares = _shares(closed_levels)
    return {
        "period": {"from": filters.first.isoformat(), "to": filters.last.isoformat()},
        "filters": filters.args,
        **{name: counts[name] for name in (*SUMMARY_COUNTS, *RATE_COUNTS)},
        **_rates(counts, RATES, weights),
        "closed_by_level": {level: {"count": n, "share": shares[level],
                                    "drill_down": {**_link(filters, "closed"), "level": level}}
                            for level, n in closed_levels.items()},
        "weights": {k: weights[k] for k in ("basically_satisfied_weight", "basically_resolved_weight")},
        "drill_down": {**{name: _link(filters, name) for name in (*SUMMARY_COUNTS, *RATE_COUNTS)},
                       **{name: {"numerator": _link(filters, name, "numerator"),
                                 "denominator": _link(filters, name, "denominator")} for name in RATES}},
    }


def _shares(counts: dict[str, int]) -> dict[str, float | None]:
    """Percent shares with two decimals that add up to exactly 100 (largest remainders get the
    last hundredths), as a published chart must; None when there is nothing to share."""
    total = sum(counts.values())
    if not total:
        return dict.fromkeys(counts)
    exact = {key: 10000 * n / total for key, n in counts.items()}
    floors = {key: int(value) for key, value in exact.items()}
    for key in sorted(exact, key=lambda k: exact[k] - floors[k], reverse=True)[:10000 - sum(floors.values())]:
        floors[key] += 1
    return {key: value / 100 for key, value in floors.items()}


# --- breakdowns ----------------------------------------------------------------------------------

def _children(filters: Filters, scope: Scope) -> list:
    """The territories one level below what the viewer looks at (the city, a district, ...)."""
    t = Territory.__table__
    parent = filters.territory_path or (scope.paths[0] if scope.paths and len(scope.paths) == 1 else None)
    if parent is None:
        roots = db.session.execute(select(t.c.path).where(t.c.parent_id.is_(None))).scalars().all()
        parent = roots[0] if len(roots) == 1 else None
    parent_id = db.session.scalar(select(t.c.id).where(t.c.path == parent)) if parent else None
    return db.session.execute(select(t.c.code, t.c.name, t.c.path).where(
        t.c.parent_id == parent_id if parent_id else t.c.parent_id.is_(None)).order_by(t.c.code)).all()


def breakdown(user: User, args: dict, by: str) -> list[dict]:
    if by not in BREAKDOWNS:
        raise InvalidData("unknown breakdown", {"by": ["one of: " + ", ".join(BREAKDOWNS)]})
    filters, scope = _asked(user, args)
    weights = settings.current()
    names = [n for n in (*SUMMARY_COUNTS, *RATE_COUNTS) if not (by in PERIODS and COUNTS[n].date is None)]
    labels: dict = {}
    children = _children(filters, scope) if by == "territory" else ()
    grouped = _counts(names, filters, scope, by, children=children)
    if by == "territory":
        labels = {child.code: child.name for child in children}
    elif by == "category":
        found = {row.id: row for row in db.session.execute(select(Category.id, Category.code, Category.name))}
        grouped = {found[k].code if k in found else None: v for k, v in grouped.items()}
        labels = {row.code: row.name for row in found.values()}
    rows = []
    for key_value in sorted(grouped, key=lambda k: (k is None, str(k))):
        counts = grouped[key_value]
        link_filters = _with_key(filters, by, key_value)
        rows.append({"key": key_value, "label": labels.get(key_value, key_value), by: key_value,
                     **{n: counts.get(n, 0) for n in SUMMARY_COUNTS if n in counts},
                     **_rates(counts, RATES, weights),
                     "drill_down": _link(link_filters, "received") if link_filters else None})
    return rows


def _with_key(filters: Filters, by: str, value) -> Filters | None:
    """The filters of one breakdown row, for its drill-down (None: no such filter exists)."""
    if value is None or by in PERIODS:
        return None
    name = {"klass": "klass", "request_type": "request_type", "channel": "channel", "level": "level",
            "category": "category", "territory": "territory"}[by]
    return Filters(**{**{f: getattr(filters, f) for f in Filters.__dataclass_fields__},
                      "args": {**filters.args, name: value}})


# --- units (亮晒比) ---------------------------------------------------------------------------------

def units(user: User, args: dict, order: str = "score") -> list[dict]:
    if order not in UNIT_ORDERS:
        raise InvalidData("unknown order", {"order": ["one of: " + ", ".join(UNIT_ORDERS)]})
    filters, scope = _asked(user, args)
    return ranking(filters, scope, order)


def ranking(filters: Filters, scope: Scope, order: str = "score",
            scheme: scoring.Scheme | None = None) -> list[dict]:
    """The units' rows, ranked by `order`, scored by `scheme` (default: the active one); also what
    an assessment period's frozen ranking keeps (app/assessment/snapshots.py)."""
    weights = settings.current()
    by_unit = _counts((*UNIT_COUNTS, "closed"), filters, scope, "unit", unit_figures=True)
    by_unit.pop(None, None)
    if filters.unit_ids is not None:
        by_unit = {u: v for u, v in by_unit.items() if u in filters.unit_ids}
    names = {row.id: row for row in db.session.execute(
        select(Unit.id, Unit.code, Unit.name, Unit.level).where(Unit.id.in_(list(by_unit) or [-1])))}
    scheme = scheme or scoring.active_scheme()
    rows = []
    for unit_id, counts in by_unit.items():
        counts["answerable"] = counts["assignments"] - counts["returns_upheld"]
        rates = _rates(counts, UNIT_RATES, weights)
        unit = names[unit_id]
        unit_filters = Filters(**{**{f: getattr(filters, f) for f in Filters.__dataclass_fields__},
                                  "args": {**filters.args, "unit": unit.code}})
        rows.append({"unit_code": unit.code, "unit_name": unit.name, "level": unit.level,
                     "received": counts["assignments"], "closed": counts["closed"],
                     **{k: counts[k] for k in UNIT_COUNTS if k != "assignments"}, **rates,
                     "score": scoring.score(scheme, rates, counts),
                     "drill_down": _link(unit_filters, "assignments")})
    rows.sort(key=lambda r: (r[order] is None, -(r[order] or 0), r["unit_code"]))
    for place, row in enumerate(rows, start=1):
        row["rank"] = place
    return rows


# --- drill-down ----------------------------------------------------------------------------------

def _figure_counts(figure: str, part: str | None) -> list[str]:
    if figure in COUNTS:
        return [figure]
    definition = RATES.get(figure)
    if definition is None or part not in ("numerator", "denominator"):
        raise InvalidData("unknown figure", {"figure": ["a count or a rate of the summary; a rate needs "
                                                        "part=numerator or part=denominator"]})
    return [n for n, _ in definition.numerator] if part == "numerator" else [definition.denominator]


def cases(user: User, args: dict, figure: str, part: str | None = None, limit: int = 50,
          offset: int = 0) -> dict:
    """The cases behind a number, newest first, within the viewer's jurisdiction; for counts of
    assignments, ratings or referrals, `matches` says how many of them each case has."""
    filters, scope = _asked(user, args)
    names = _figure_counts(figure, part)
    condition = figures.cases_counted(names, filters, scope)
    total = cases_service.count_visible(user, condition)
    rows = cases_service.list_visible(user, limit, offset, condition)
    matched: dict = {}
    for name in names:
        if COUNTS[name].source != "cases":
            ids = [row.id for row in rows]
            sub = figures.matches(name, filters, scope).where(
                figures.SOURCES[COUNTS[name].source].table.c.case_id.in_(ids or [-1]))
            for case_id, n in db.session.execute(sub):
                matched[case_id] = matched.get(case_id, 0) + n
    return {"figure": figure, "part": part, "total": total, "filters": filters.args,
            "cases": [{"case": row, "matches": matched.get(row.id)} for row in rows]}
