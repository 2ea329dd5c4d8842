"""统计分析 in the staff UI: the statistics page, the drill-down heading of the case list
(/cases?figure=...), and the optional public ranking page (亮晒比, /ranking).

Thin, like every blueprint here: the figures come from app.statistics.service, scoped by the
viewer's role exactly as the API scopes them (a city leader the city, a district leader the
district, a unit its own figures). This module turns the page's period presets into days, offers
the choices a viewer may cut by, and renders. The charts are drawn in the browser by the vendored
Chart.js (static/js/statistics.js) from data the server writes into data attributes: no inline
script, which the Content-Security-Policy forbids. docs/statistics.md, "The pages".
"""
from datetime import date, timedelta
from types import SimpleNamespace

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext, pgettext
from sqlalchemy import or_, select

from app import ratelimit
from app.channels.models import ChannelKey
from app.engine.errors import InvalidData
from app.engine.transaction import transaction
from app.extensions import db
from app.i18n import N_
from app.organisation.models import CLASSES, UNIT_LEVELS, Category, Territory, Unit
from app.privacy.service import masked
from app.statistics import scoring, service, settings
from app.statistics.figures import LEVELS, RATES
from app.statistics.filters import CUTS, Scope, assessment_month, scope_of, today
from app.timelimits.models import REQUEST_TYPES
from app.web import labels
from app.web.security import current_user, login_required, may

bp = Blueprint("web_statistics", __name__)

PERIODS = {"month": N_("This assessment month"), "last_month": N_("Last assessment month"),
           "week": N_("This week"), "custom": N_("Custom range")}
#: The public page offers the published months only.
PUBLIC_PERIODS = ("month", "last_month")
TRENDS = {"day": N_("By day"), "week": N_("By week"), "month": N_("By month")}
#: Shares of closures per level reported by Baiyin (R34), drawn next to the period's own.
BAIYIN_SHARES = {"village": 51, "township": 32, "county": 13, "city": 4}
#: Channels every installation has (app/cases/desk.py, app/citizen, the case API); the API keys
#: of app/channels name the others.
CHANNELS = labels.CHANNELS
#: The rates of the ranking's and the territories' tables (and of the public page).
RANKING_RATES = ("completion_rate", "response_rate", "timeliness_rate", "satisfaction_rate",
                 "resolution_rate")
RANKING_COLUMNS = ("received", "closed", *RANKING_RATES, "score")
COLOURS = {"received": "#0b5cad", "closed": "#2e7d32", "rate": "#b3261e", "reference": "#8a96a3"}


def figure_names() -> dict[str, str]:
    """Every count and rate by name, in the request's language. With a context: the same English
    word means something else on other pages ("Closed" is a case's status there)."""
    return {
        "received": pgettext("figure", "Received"), "accepted": pgettext("figure", "Accepted"),
        "not_accepted": pgettext("figure", "Not accepted"),
        "answered_at_intake": pgettext("figure", "Answered at intake"),
        "extended": pgettext("figure", "Extended"), "dispatched": pgettext("figure", "Dispatched"),
        "responded_on_time": pgettext("figure", "Called back in time"),
        "closed": pgettext("figure", "Closed"), "closed_on_time": pgettext("figure", "Closed in time"),
        "restarted": pgettext("figure", "Restarted"), "open": pgettext("figure", "Open now"),
        "overdue_now": pgettext("figure", "Overdue now"),
        "assignments": pgettext("figure", "Hand-overs"),
        "unit_responded_on_time": pgettext("figure", "Hand-overs called back in time"),
        "returned": pgettext("figure", "Returns"), "returns_upheld": pgettext("figure", "Returns upheld"),
        "returns_overruled": pgettext("figure", "Returns overruled"),
        "escalated": pgettext("figure", "Escalations"),
        "second_handled": pgettext("figure", "Second handlings"),
        "replied": pgettext("figure", "Replies released"),
        "replied_on_time": pgettext("figure", "Replies in time"),
        "late_replies": pgettext("figure", "Late replies"), "rated": pgettext("figure", "Ratings"),
        "satisfied": pgettext("figure", "Satisfied"),
        "basically_satisfied": pgettext("figure", "Basically satisfied"),
        "resolved": pgettext("figure", "Resolved"),
        "basically_resolved": pgettext("figure", "Basically resolved"),
        "referred": pgettext("figure", "Referred for accountability"),
        "acceptance_rate": pgettext("figure", "Acceptance rate"),
        "completion_rate": pgettext("figure", "Completion rate"),
        "satisfaction_rate": pgettext("figure", "Satisfaction rate"),
        "resolution_rate": pgettext("figure", "Resolution rate"),
        "timeliness_rate": pgettext("figure", "Timeliness rate"),
        "response_rate": pgettext("figure", "Response rate"),
        "return_rate": pgettext("figure", "Return rate"),
        "redo_rate": pgettext("figure", "Second-handling rate"), "score": pgettext("figure", "Score"),
    }


# --- the period and the cuts ---------------------------------------------------------------------

def period_of(args) -> str:
    """The page's period preset: a custom range when days are given, else this assessment month."""
    return args.get("period") or ("custom" if args.get("from") or args.get("to") else "month")


def service_args(args, periods=tuple(PERIODS)) -> dict:
    """The service's filters (`from`, `to` and the cuts) from the page's query string, the period
    presets turned into days: this or last assessment month (the administrators' month_start_day),
    this week (Monday to Sunday), or the custom `from`/`to`."""
    period = period_of(args)
    if period not in periods:
        raise InvalidData("unknown period", {"period": ["one of: " + ", ".join(periods)]})
    cuts = {name: args.get(name) for name in CUTS if args.get(name)}
    if period == "custom":
        return {**cuts, "from": args.get("from"), "to": args.get("to")}
    day = today()
    first, last = assessment_month(day)
    if period == "last_month":
        first, last = assessment_month(first - timedelta(days=1))
    elif period == "week":
        first = day - timedelta(days=day.weekday())
        last = first + timedelta(days=6)
    return {**cuts, "from": first.isoformat(), "to": last.isoformat()}


def _trend_by(args, first: date, last: date) -> str:
    """By day up to a month, by week up to half a year, else by month (unless asked)."""
    asked = args.get("trend")
    if asked:
        if asked not in TRENDS:
            raise InvalidData("unknown trend", {"trend": ["one of: " + ", ".join(TRENDS)]})
        return asked
    days = (last - first).days + 1
    return "day" if days <= 31 else "week" if days <= 184 else "month"


def _trend_keys(by: str, first: date, last: date) -> list[str]:
    """Every day, week (its Monday) or month of the period up to today, as the breakdown names
    them: a day without cases is a zero on the chart, not a gap."""
    last = min(last, max(today(), first))
    if by == "month":
        keys, month = [], first.replace(day=1)
        while month <= last:
            keys.append(month.strftime("%Y-%m"))
            month = (month + timedelta(days=32)).replace(day=1)
        return keys
    step = 7 if by == "week" else 1
    day = first - timedelta(days=first.weekday()) if by == "week" else first
    keys = []
    while day <= last:
        keys.append(day.isoformat())
        day += timedelta(days=step)
    return keys


def _cut_names(given: dict) -> list[str]:
    """The cuts of a question by their names (阜新县, 路灯, ...), for headings."""
    named = []
    for name, model in (("territory", Territory), ("unit", Unit), ("category", Category)):
        if given.get(name):
            found = db.session.scalar(select(model.name).where(model.code == given[name]))
            named.append(found or given[name])
    for name, table in (("channel", CHANNELS), ("request_type", labels.REQUEST_TYPES),
                        ("klass", labels.CLASSES), ("level", labels.LEVELS)):
        if given.get(name):
            named.append(labels.label(given[name], table))
    return named


def period_text(given: dict) -> str:
    return _("%(first)s to %(last)s", first=given["from"], last=given["to"])


# --- what a viewer may pick ----------------------------------------------------------------------

def _path_of(code: str | None) -> str | None:
    return db.session.scalar(select(Territory.path).where(Territory.code == code)) if code else None


def _roots(scope: Scope) -> list[str]:
    if scope.paths:
        return list(scope.paths)
    return list(db.session.scalars(select(Territory.path).where(Territory.parent_id.is_(None))
                                   .order_by(Territory.path)))


def _base(roots: list[str], picked: str | None) -> str | None:
    """The territory the pickers open: the one picked (inside the viewer's), else the viewer's own."""
    if picked and any(picked.startswith(root) for root in roots):
        return picked
    return roots[0] if len(roots) == 1 else None


def territory_options(scope: Scope, code: str | None) -> list[tuple[str, str]]:
    """A cascading picker: the viewer's territories, the way down to the one picked, and the
    places one level below it — each pick opens the next level (a city has thousands of villages,
    too many for one list)."""
    roots = _roots(scope)
    base = _base(roots, _path_of(code))
    parts = base.strip("/").split("/") if base else []
    ancestors = ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
    shown = [path for path in ancestors if any(path.startswith(root) for root in roots)]
    below = select(Territory.id).where(Territory.path == base).scalar_subquery()
    rows = db.session.execute(select(Territory.code, Territory.name, Territory.path)
                              .where(or_(Territory.path.in_(roots + shown), Territory.parent_id == below))
                              .order_by(Territory.path)).all()
    top = min((path.count("/") for path in roots), default=2)
    return [(row.code, "\u00a0\u00a0" * (row.path.count("/") - top) + row.name) for row in rows]


def unit_options(scope: Scope, territory: str | None, picked: str | None) -> list[tuple[str, list]]:
    """(level, [(code, name)]) of the units a viewer may pick: a unit's staff their own units;
    others the units of the territory the picker is open at and of the places one level below
    (the picked unit always)."""
    if scope.unit_ids is not None:
        wanted = Unit.id.in_(scope.unit_ids)
    else:
        roots = _roots(scope)
        path = _path_of(territory)
        bases = [base] if (base := _base(roots, path)) else roots
        parents = select(Territory.id).where(Territory.path.in_(bases))
        places = select(Territory.id).where(or_(Territory.path.in_(bases), Territory.parent_id.in_(parents)))
        wanted = or_(Unit.territory_id.in_(places), Unit.code == (picked or ""))
    rows = db.session.execute(select(Unit.code, Unit.name, Unit.level).where(wanted)
                              .order_by(Unit.code)).all()
    return [(level, [(row.code, row.name) for row in rows if row.level == level])
            for level in (*reversed(UNIT_LEVELS), *sorted({row.level for row in rows} - set(UNIT_LEVELS)))
            if any(row.level == level for row in rows)]


def channel_options() -> list[tuple[str, str]]:
    keys = db.session.scalars(select(ChannelKey.channel).distinct()).all()
    return [(code, labels.label(code, CHANNELS)) for code in dict.fromkeys([*CHANNELS, *sorted(keys)])]


def _choices(scope: Scope, args) -> dict:
    return {
        "periods": [(code, _(name)) for code, name in PERIODS.items()],
        "trends": [(code, _(name)) for code, name in TRENDS.items()],
        "territories": territory_options(scope, args.get("territory")),
        "units": unit_options(scope, args.get("territory"), args.get("unit")),
        "categories": db.session.execute(select(Category.code, Category.name)
                                         .order_by(Category.code)).all(),
        "channels": channel_options(),
        "request_types": labels.choices(REQUEST_TYPES, labels.REQUEST_TYPES),
        "classes": labels.choices(CLASSES, labels.CLASSES),
        "levels": labels.choices(UNIT_LEVELS, labels.LEVELS),
        "orders": service.UNIT_ORDERS,
    }


def scope_names(scope: Scope) -> list[str]:
    """Whose figures the page shows: the viewer's territories, or their own units."""
    if scope.unit_ids is not None:
        return list(db.session.scalars(select(Unit.name).where(Unit.id.in_(scope.unit_ids))
                                       .order_by(Unit.code)))
    return list(db.session.scalars(select(Territory.name).where(Territory.path.in_(_roots(scope)))
                                   .order_by(Territory.path)))


# --- charts: data for static/js/statistics.js ----------------------------------------------------

def _trend_chart(rows: list[dict], by: str, first: date, last: date) -> dict:
    found = {row["key"]: row for row in rows}
    keys = _trend_keys(by, first, last)
    names = figure_names()
    return {"type": "line", "labels": keys, "datasets": [
        {"label": names[name], "data": [found.get(key, {}).get(name, 0) for key in keys],
         "color": COLOURS[name]} for name in ("received", "closed")]}


def _rates_chart(summary: dict, rates) -> dict:
    names = figure_names()
    return {"type": "bar", "horizontal": True, "percent": True, "labels": [names[r] for r in rates],
            "datasets": [{"label": _("Rate"), "data": [summary[r] for r in rates],
                          "color": COLOURS["rate"]}]}


def _levels_chart(summary: dict) -> dict:
    shares = [summary["closed_by_level"][level]["share"] for level in LEVELS]
    return {"type": "bar", "percent": True,
            "labels": [labels.label(level, labels.LEVELS) for level in LEVELS], "datasets": [
                {"label": _("This period"), "data": shares, "color": COLOURS["closed"]},
                {"label": _("Baiyin's reference"), "data": [BAIYIN_SHARES[lv] for lv in LEVELS],
                 "color": COLOURS["reference"]}]}


def formula(scheme: scoring.Scheme) -> str:
    """The score's formula as a sentence: auditable on the page, not hidden in code."""
    names = figure_names()
    total = sum(scheme.weights.values()) or 1
    text = " + ".join(f"{names.get(rate, rate)} × {100 * weight / total:g}%"
                      for rate, weight in scheme.weights.items())
    for count, points in scheme.deductions.items():
        text += " − " + _("%(points)s per %(figure)s", points=f"{points:g}", figure=names.get(count, count))
    return text


# --- the statistics page -------------------------------------------------------------------------

def _page_args(args) -> dict:
    """The page's own query parameters, for links that keep the filters (the ranking's order, the
    trend, a territory picked from the table)."""
    return {name: args[name] for name in ("period", "from", "to", *CUTS, "order", "trend") if args.get(name)}


def _here(wanted: dict):
    """here(order="score", unit=None): this page with some arguments changed (None drops one)."""
    def here(**changes) -> str:
        kept = {k: v for k, v in {**wanted, **changes}.items() if v is not None}
        return url_for("web_statistics.statistics_page", **kept)

    return here


@bp.get("/statistics")
@login_required("statistics:read")
def statistics_page():
    user, args = current_user(), request.args
    scope = scope_of(user)
    wanted = _page_args(args)
    context = {"wanted": wanted, "here": _here(wanted), "period": period_of(args),
               "choices": _choices(scope, args), "scope_names": scope_names(scope), "names": figure_names(),
               "counts": service.SUMMARY_COUNTS, "rates": list(RATES), "ranking_rates": RANKING_RATES,
               "ranking_columns": RANKING_COLUMNS, "baiyin": BAIYIN_SHARES,
               "levels": LEVELS, "public_ranking": settings.current()["public_ranking"]}
    try:
        asked = service_args(args)
        summary = service.summary(user, asked)
        first, last = (date.fromisoformat(summary["period"][end]) for end in ("from", "to"))
        trend_by = _trend_by(args, first, last)
        order = args.get("order") or "score"
        context.update(
            summary=summary, order=order, trend_label=_(TRENDS[trend_by]),
            period_text=period_text(summary["filters"]), cut_names=_cut_names(summary["filters"]),
            units=service.units(user, asked, order), territories=service.breakdown(user, asked, "territory"),
            formula=formula(scoring.active_scheme()),
            charts={"trend": _trend_chart(service.breakdown(user, asked, trend_by), trend_by, first, last),
                    "rates": _rates_chart(summary, RATES), "levels": _levels_chart(summary)})
    except InvalidData as refused:
        return render_template("statistics/page.html", errors=refused.errors, **context), 422
    return render_template("statistics/page.html", errors=None, **context)


@bp.post("/statistics/public-ranking")
@login_required("admin:manage")
def switch_public_ranking():
    """An administrator publishes or withdraws the public ranking page (audited as a setting)."""
    publish = request.form.get("publish") == "1"
    with transaction():
        settings.update({"public_ranking": publish}, current_user())
    flash(_("The public ranking page is now published.") if publish
          else _("The public ranking page is withdrawn."), "success")
    return redirect(url_for("web_statistics.statistics_page"))


# --- drill-down: /cases?figure=... ---------------------------------------------------------------

def drill_down(page: int, size: int) -> tuple[dict, int]:
    """The context of the case list when it lists the cases behind a number (service.cases, within
    the viewer's jurisdiction): a page of them, how often each is counted when the figure counts
    returns, ratings or referrals, and a heading naming the figure, the period and the cuts
    ("办结 5 件 · 2026-11-01 至 2026-11-30 · 阜新县")."""
    if not may("statistics:read"):
        abort(403)
    args = request.args
    figure, part = args.get("figure", ""), args.get("part") or None
    kept = {name: args[name] for name in ("figure", "part", "period", "from", "to", *CUTS) if args.get(name)}
    try:
        found = service.cases(current_user(), service_args(args), figure, part, limit=size,
                              offset=(page - 1) * size)
    except InvalidData as refused:
        return {"cases": [], "has_next": False, "drill": None, "args": kept, "errors": refused.errors}, 422
    names = figure_names()
    name = names.get(figure, figure)
    if part:
        name = _("%(rate)s, numerator", rate=name) if part == "numerator" else \
            _("%(rate)s, denominator", rate=name)
    total = found["total"]
    count = ngettext("%(figure)s %(num)d case", "%(figure)s: %(num)d cases", total, figure=name)
    heading = " · ".join([count, period_text(found["filters"]), *_cut_names(found["filters"])])
    rows = [(row["case"], masked(row["case"]), row["matches"]) for row in found["cases"]]
    back = {name: args[name] for name in ("period", "from", "to", *CUTS) if args.get(name)}
    return {"cases": rows, "has_next": (page - 1) * size + len(rows) < total, "args": kept, "errors": None,
            "drill": {"heading": heading, "counted": any(m is not None for _c, _p, m in rows),
                      "back": url_for("web_statistics.statistics_page", **back)}}, 200


# --- the public ranking (亮晒比) -------------------------------------------------------------------

def _public_viewer():
    """The public page shows the whole platform: it asks as a leader of the units on the root
    territories would, which app.statistics.filters.scope_of answers with the city-wide scope."""
    roots = db.session.scalars(select(Unit.id).join(Territory, Unit.territory_id == Territory.id)
                               .where(Territory.parent_id.is_(None))).all()
    if not roots:
        abort(404)
    return SimpleNamespace(memberships=[SimpleNamespace(unit_id=unit_id, role="leader") for unit_id in roots])


@bp.get("/ranking")
def public_ranking():
    """亮晒比 without login, when the administrators publish it: the city's rates, each district's
    and each unit's, and the ranking. No cases, no people, no drill-down."""
    if not settings.current()["public_ranking"]:
        abort(404)
    limit = current_app.config["PUBLIC_RANKING_LIMIT_IP"]
    if not ratelimit.allow(limit, "RANKING", request.remote_addr or "?"):
        return render_template("statistics/public.html", busy=True), 429
    viewer, args = _public_viewer(), request.args
    asked = service_args(args, PUBLIC_PERIODS)
    order = args.get("order") or "score"
    summary = service.summary(viewer, {"from": asked["from"], "to": asked["to"]})
    period = {"from": asked["from"], "to": asked["to"]}
    return render_template(
        "statistics/public.html", busy=False, summary=summary, names=figure_names(), rates=RANKING_RATES,
        period=period_of(args), periods=[(code, _(PERIODS[code])) for code in PUBLIC_PERIODS],
        period_text=period_text(summary["filters"]), order=order, orders=RANKING_COLUMNS,
        districts=service.breakdown(viewer, period, "territory"), units=service.units(viewer, period, order),
        formula=formula(scoring.active_scheme()))
