"""The case list as an XLSX workbook: the cases of one search within the user's jurisdiction,
newest first, at most MAX_ROWS of them, with the requester's phone masked as on every page.

Written with openpyxl (as the statistics report) in write-only mode, plain values appended (a
cell object per value costs half again as much time); text that starts like a formula, such as a
title "=HYPERLINK(...)", is written as a text cell and never becomes one.
"""
from collections.abc import Mapping
from datetime import UTC, datetime
from io import BytesIO
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from app.accounts.models import User
from app.cases import search
from app.cases.service import list_visible
from app.i18n import N_
from app.privacy.service import masked
from app.statistics.report import XLSX
from app.timelimits.lights import Basis, light

__all__ = ["MAX_ROWS", "XLSX", "workbook"]

#: The most rows one export holds; a longer list is cut there and says so (narrow the filters).
MAX_ROWS = 50_000
COLUMNS = (N_("Case number"), N_("Title"), N_("Status"), N_("Light"), N_("Due"), N_("Type"), N_("Class"),
           N_("Category"), N_("Unit"), N_("Territory"), N_("Requester"), N_("Phone (masked)"),
           N_("Registered"), N_("Closed"))
WIDTHS = (22, 40, 10, 10, 17, 12, 10, 14, 30, 16, 12, 14, 17, 17)


def workbook(user: User, wanted: search.CaseSearch, at: Basis, labels: Mapping[str, Mapping[str, str]],
             limit: int = MAX_ROWS) -> tuple[bytes, str, bool]:
    """(XLSX bytes, file name, whether the list was cut at `limit`). `labels` names the codes of
    "status", "request_type", "klass" and "light" (tables of untranslated texts)."""
    rows = list_visible(user, limit=limit + 1, offset=0, where=search.condition(wanted, at))
    cut = len(rows) > limit
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Cases"))
    for index, width in enumerate(WIDTHS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([_cell(sheet, _(name), bold=True) for name in COLUMNS])

    def name(kind: str, code: str | None) -> str:
        return _(labels[kind][code]) if code in labels[kind] else (code or "")

    for case in rows[:limit]:
        person = masked(case)
        colour = light(case.open_since, case.due_at, at) if case.status == "open" else None
        values = (case.number, case.title, name("status", case.status), name("light", colour),
                  _local(case.due_at if colour else None, zone), name("request_type", case.request_type),
                  name("klass", case.category_klass), case.category_name, case.unit_name, case.territory_name,
                  person["requester_name"], person["requester_phone"], _local(case.created_at, zone),
                  _local(case.closed_at, zone))
        sheet.append([_text(sheet, value) for value in values])
    about = book.create_sheet(_("About"))
    about.append([_cell(about, _("Exported"), bold=True), _local(at.now, zone)])
    about.append([_cell(about, _("Rows"), bold=True), min(len(rows), limit)])
    if cut:
        about.append([_cell(about, _("Only the newest %(count)s cases are exported; narrow the filters "
                                     "to export the others.", count=f"{limit:,}"))])
    about.append([_cell(about, _("Phone numbers are masked; the export holds no ID numbers."))])
    output = BytesIO()
    book.save(output)
    stamp = _local(at.now, zone).strftime("%Y%m%d-%H%M")
    return output.getvalue(), f"huiyin-cases-{stamp}.xlsx", cut


def _local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    """Stored naive UTC as the local wall time (what the pages show)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None, microsecond=0)


def _text(sheet, value):
    """The value as it is (fast: a plain value is no cell object), except text that would be
    taken for a formula, which becomes a text cell."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
        return _cell(sheet, value)
    return value


def _cell(sheet, value, bold: bool = False):
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula
    if bold:
        cell.font = Font(bold=True)
    return cell
