"""Analysis pages for leaders (R31, R35): the hot spots panel the statistics page includes with htmx,
a hot spot's supervision order, the weekly analysis list a county's leaders are sent to, and the
monthly report (printable page with charts, and its XLSX download). Views parse, call one service
and render; the filters are the statistics API's query parameters."""
import re

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.engine.errors import Forbidden, NotFound
from app.i18n import N_
from app.statistics import hotspot_orders, hotspots, report, weekly
from app.statistics.filters import scope_of
from app.statistics.links import site_url
from app.supervision.models import DIRECTIVE_KINDS
from app.web.security import current_user, login_required

bp = Blueprint("web_analysis", __name__)


def _args() -> dict:
    return {key: value for key, value in request.args.items() if value}


@bp.get("/statistics/hotspots/panel")
@login_required("statistics:read")
def hotspots_panel():
    """The hot spots of the statistics page's filters, as an HTML fragment."""
    args = _args()
    min_count = request.args.get("min_count", default=hotspots.MIN_COUNT, type=int)
    args.pop("min_count", None)
    user = current_user()
    rows = hotspots.hotspots(user, args, min_count)
    may_order = bool(user.roles & DIRECTIVE_KINDS[hotspot_orders.KIND])
    places = [row["territory_code"] for row in rows]
    choices = hotspot_orders.lead_units(user, places) if may_order and rows else {}
    return render_template("analysis/_hotspots.html", rows=rows, may_order=may_order, choices=choices,
                           min_count=min_count, max_working_days=hotspot_orders.MAX_WORKING_DAYS)


@bp.post("/statistics/hotspots/orders")
@login_required("case:direct")
def order_hotspot():
    form = request.form
    working_days = form.get("working_days", type=int)
    made = hotspot_orders.order(current_user(), form.get("hotspot", ""), form.get("lead_unit", ""),
                                working_days if working_days is not None else -1, form.get("text", ""))
    flash(_("The supervision order was sent to the lead unit."), "success")
    return redirect(url_for(".order_page", order_id=made.id))


@bp.get("/statistics/hotspots/orders/<int:order_id>")
@login_required("statistics:read")
def order_page(order_id: int):
    return render_template("analysis/order.html", order=hotspot_orders.get(current_user(), order_id))


@bp.get("/statistics/weekly/<int:analysis_id>")
@login_required("statistics:read")
def weekly_page(analysis_id: int):
    """周分析: the cases a county's weekly analysis listed, for viewers of that county's territory."""
    try:
        scope = scope_of(current_user())
    except Forbidden:
        scope = None
    found = weekly.cases(analysis_id, scope.paths) if scope is not None and scope.unit_ids is None else None
    if found is None:
        raise NotFound("no such weekly analysis")
    analysis, county, rows = found
    return render_template("analysis/weekly.html", analysis=analysis, county=county, rows=rows,
                           reasons=REASONS)


@bp.get("/statistics/report")
@login_required("statistics:read")
def report_page():
    """The monthly report, printable, with charts (Chart.js, app/static/js/report-charts.js)."""
    args = _args()
    found = report.data(current_user(), args)
    return render_template("analysis/report.html", summary=found["summary"], units=found["units"],
                           hotspots=found["hotspots"], found_breakdowns=found["breakdowns"], args=args,
                           figures=report.FIGURES, breakdowns=report.BREAKDOWN_TITLES,
                           columns=report.BREAKDOWN_COLUMNS, charts=report.charts(found),
                           max_days=hotspots.MAX_DAYS)


@bp.get("/statistics/report.xlsx")
@login_required("statistics:read")
def report_download():
    content, filename = report.workbook(current_user(), _args())
    return Response(content, mimetype=report.XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "private, no-store"})


REASONS = {"overdue": N_("Overdue"), "long_unsolved": N_("Long unsolved"), "group": N_("Group request"),
           "repeated": N_("Repeated request")}


@bp.app_template_filter("with_links")
def with_links(text: str | None) -> Markup:
    """A notification's text with this site's analysis lists (/statistics/...) as links."""
    base = re.escape(site_url("").rstrip("/"))
    own = re.compile(rf"(?:{base})?/statistics/[A-Za-z0-9/_.-]*[A-Za-z0-9]" if base else
                     r"/statistics/[A-Za-z0-9/_.-]*[A-Za-z0-9]")
    escaped = str(escape(text or ""))
    return Markup(own.sub(lambda match: f'<a href="{match.group(0)}">{match.group(0)}</a>', escaped))
