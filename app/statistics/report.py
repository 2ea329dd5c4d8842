"""The monthly report for leaders (R35, 月分析研判): the summary with the definition of every figure,
the breakdowns by territory, level, category and channel, the units' ranking (亮晒比) and the hot
spots — as an XLSX workbook and as the printable page (app/web/analysis.py), from the same data.

No personal data leaves in it: no requester's name, phone, ID number or e-mail is read into the
report; the only free text (a hot spot's keywords and an example title) goes through the one
masking function (app/privacy/redaction.py) with the names of the hot spot's requesters.
"""
import unicodedata
from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app.accounts.models import User
from app.engine.errors import InvalidData
from app.i18n import N_
from app.privacy.redaction import redact
from app.statistics import hotspots, service
from app.statistics.figures import LEVELS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BREAKDOWNS = ("territory", "level", "category", "channel")
#: figure -> (label, definition): the words of docs/statistics.md, shown beside every number
FIGURES = {
    "received": (N_("Received"), N_("Every registered request, by its registration date")),
    "accepted": (N_("Accepted"), N_("Received requests dispatched to a unit or answered at intake")),
    "not_accepted": (N_("Not accepted"), N_("Received requests refused at triage")),
    "answered_at_intake": (N_("Answered at intake"),
                           N_("Received requests the registrar answered at once")),
    "dispatched": (N_("Dispatched"), N_("Requests handed to a unit for the first time, by that date")),
    "closed": (N_("Closed"), N_("Requests whose handling ended in the period, by the closing date")),
    "open": (N_("In progress"), N_("Requests open now, whatever the period")),
    "overdue_now": (N_("Overdue now"), N_("Open requests with a step past its deadline now")),
    "extended": (N_("Extended"), N_("Received requests with an approved extension")),
    "returned": (N_("Returned"), N_("Returns by units (each return counts)")),
    "escalated": (N_("Escalated"), N_("Escalations to the next level (each counts)")),
    "second_handled": (N_("Second handling"), N_("Hand-backs for second handling")),
    "restarted": (N_("Restarted"), N_("Closed requests restarted after a spot check")),
    "referred": (N_("Referred for accountability"), N_("Accountability referrals")),
    "acceptance_rate": (N_("Acceptance rate"), N_("Accepted ÷ received")),
    "completion_rate": (N_("Completion rate"), N_("Closed ÷ received")),
    "satisfaction_rate": (N_("Satisfaction rate"),
                          N_("(Satisfied + weight × basically satisfied) ÷ ratings given in the period")),
    "resolution_rate": (N_("Resolution rate"),
                        N_("(Resolved + weight × basically resolved) ÷ ratings given in the period")),
    "timeliness_rate": (N_("Timeliness rate"),
                        N_("Closed with no handling or review limit passed ÷ closed")),
    "response_rate": (N_("Response rate"),
                      N_("Dispatched with the first call-back within its limit ÷ dispatched")),
    "return_rate": (N_("Return rate"), N_("Returns ÷ hand-overs to units")),
    "redo_rate": (N_("Second-handling rate"), N_("Second handlings ÷ closed")),
}
BREAKDOWN_TITLES = {"territory": N_("By territory"), "level": N_("By level"), "category": N_("By category"),
                    "channel": N_("By channel")}
BREAKDOWN_COLUMNS = ("received", "accepted", "closed", "open", "overdue_now", "completion_rate",
                     "satisfaction_rate", "resolution_rate", "timeliness_rate")
UNIT_COLUMNS = ("received", "closed", "completion_rate", "response_rate", "timeliness_rate",
                "satisfaction_rate", "resolution_rate", "returned", "score")


def data(user: User, args: dict) -> dict:
    """Everything the report shows, within the viewer's scope and filters."""
    summary = service.summary(user, args)
    found = {"summary": summary, "breakdowns": {by: service.breakdown(user, args, by) for by in BREAKDOWNS},
             "units": service.units(user, args, "score"), "hotspots": None}
    try:
        filters, scope = hotspots.asked(user, args)
    except InvalidData:  # a period longer than hot spots cover: the report says so
        return found
    spots = hotspots.find(filters, scope, hotspots.MIN_COUNT)
    rows = hotspots.rows(spots, filters)
    for row, spot in zip(rows, spots, strict=True):
        names = [request.name for request in spot.requests]
        masked = [unicodedata.normalize("NFKC", redact(request.text, names)).lower()
                  for request in spot.requests]
        # a keyword that was (part of) a phone, ID number, e-mail or name is masked in every text
        row["keywords"] = [word for word in row["keywords"] if any(word in text for text in masked)]
        row["example"] = redact(spot.requests[0].title, names)
    found["hotspots"] = rows
    return found


#: Baiyin's closures per level (R11, R34), the yardstick the report's chart shows beside the period's.
BAIYIN_SHARES = {"village": 51, "township": 32, "county": 13, "city": 4}
RANKED_IN_CHART = 10


def charts(found: dict) -> list[dict]:
    """The printable page's charts as Chart.js configurations (drawn by static/js/report-charts.js)."""
    levels = found["summary"]["closed_by_level"]
    territories = found["breakdowns"]["territory"]
    ranked = [row for row in found["units"] if row["score"] is not None][:RANKED_IN_CHART]
    return [
        {"id": "levels", "title": _("Closed at each level (%)"), "type": "bar", "data": {
            "labels": [_(LEVEL_NAMES[level]) for level in LEVELS],
            "datasets": [{"label": _("This period"),
                          "data": [levels[level]["share"] or 0 for level in LEVELS]},
                         {"label": _("Baiyin"), "data": [BAIYIN_SHARES[level] for level in LEVELS]}]}},
        {"id": "territories", "title": _("Received and closed by territory"), "type": "bar", "data": {
            "labels": [str(row["label"] or "—") for row in territories],
            "datasets": [{"label": label("received"),
                          "data": [row.get("received", 0) for row in territories]},
                         {"label": label("closed"), "data": [row.get("closed", 0) for row in territories]}]}},
        {"id": "ranking", "title": _("Units' scores"), "type": "bar", "horizontal": True, "data": {
            "labels": [row["unit_name"] for row in ranked],
            "datasets": [{"label": _("Score"), "data": [row["score"] for row in ranked]}]}},
    ]


def label(figure: str) -> str:
    return _(FIGURES[figure][0])


def _rows(sheet, rows, bold: bool = False) -> None:
    for row in rows:
        sheet.append(list(row))
        if bold:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)


def _widths(sheet, widths) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def workbook(user: User, args: dict) -> tuple[bytes, str]:
    """The report as XLSX bytes, and its file name."""
    found = data(user, args)
    summary = found["summary"]
    period = summary["period"]
    book = Workbook()
    sheet = book.active
    sheet.title = _("Summary")
    _rows(sheet, [(_("Monthly analysis report"),)], bold=True)
    _rows(sheet, [(_("Period"), f"{period['from']} – {period['to']}"),
                  (_("Filters"), ", ".join(f"{k}={v}" for k, v in summary["filters"].items()
                                           if k not in ("from", "to")) or "—"), ()])
    _rows(sheet, [(_("Figure"), _("Key"), _("Value"), _("Definition"))], bold=True)
    for figure, (name, definition) in FIGURES.items():
        sheet.append([_(name), figure, summary[figure], _(definition)])
    sheet.append([])
    _rows(sheet, [(_("Closed at each level"), _("Key"), _("Count"), _("Share (%)"))], bold=True)
    for level in LEVELS:
        share = summary["closed_by_level"][level]
        sheet.append([_(LEVEL_NAMES[level]), level, share["count"], share["share"]])
    _widths(sheet, (28, 22, 12, 70))
    for by in BREAKDOWNS:
        part = book.create_sheet(_(BREAKDOWN_TITLES[by]))
        _rows(part, [(_("Key"), _("Name"), *[label(c) for c in BREAKDOWN_COLUMNS])], bold=True)
        for row in found["breakdowns"][by]:
            part.append([row["key"], row["label"], *[row.get(c) for c in BREAKDOWN_COLUMNS]])
        _widths(part, (18, 24, *[12] * len(BREAKDOWN_COLUMNS)))
    ranking = book.create_sheet(_("Ranking"))
    _rows(ranking, [(_("Rank"), _("Unit code"), _("Unit"), _("Level"),
                     *[_("Score") if c == "score" else label(c) for c in UNIT_COLUMNS])], bold=True)
    for row in found["units"]:
        ranking.append([row["rank"], row["unit_code"], row["unit_name"], row["level"],
                        *[row[c] for c in UNIT_COLUMNS]])
    _widths(ranking, (8, 18, 28, 10, *[12] * len(UNIT_COLUMNS)))
    spots = book.create_sheet(_("Hot spots"))
    if found["hotspots"] is None:
        spots.append([_("Hot spots cover at most %(days)s days; choose a shorter period.",
                        days=hotspots.MAX_DAYS)])
    else:
        _rows(spots, [(_("Territory code"), _("Territory"), _("Category"), _("Requests"), _("In progress"),
                       _("Requesters"), _("Group request"), _("Repeated requests"), _("Keywords"),
                       _("Example"), _("Cases"))], bold=True)
        for row in found["hotspots"]:
            spots.append([row["territory_code"], row["territory_name"], row["category_name"], row["count"],
                          row["open"], row["requesters"], _("Yes") if row["group"] else _("No"),
                          _("Yes") if row["repeated"] else _("No"), " ".join(row["keywords"]), row["example"],
                          " ".join(row["cases"])])
        _widths(spots, (16, 16, 16, 10, 8, 10, 10, 10, 30, 40, 60))
    output = BytesIO()
    book.save(output)
    return output.getvalue(), f"huiyin-report-{period['from']}-{period['to']}.xlsx"


LEVEL_NAMES = {"village": N_("Village (community)"), "township": N_("Township (subdistrict)"),
               "county": N_("County (district)"), "city": N_("City")}
