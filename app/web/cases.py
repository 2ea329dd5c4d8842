"""Cases: the list within one's jurisdiction (search, filters, paging, XLSX export), one case with
its timeline, and revealing the requester's personal data (audited, via="web").

Outside the user's jurisdiction a case answers the same 404 page as a number that does not exist
(app.cases.service.get_visible raises NotFound; app/web/errors.py renders it).
"""
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.assessment import appeals
from app.attachments import service as attachments
from app.attachments.download import attachment_response
from app.cases import export, merging, publication, search
from app.cases.service import get_visible, list_visible
from app.casework import context as case_context
from app.clock import utcnow
from app.engine import tasks
from app.engine.errors import Forbidden, InvalidData
from app.engine.history import timeline
from app.engine.transaction import transaction
from app.extensions import db
from app.organisation.models import CLASSES, Category, Territory, Unit
from app.privacy.service import masked, may_reveal, reveal
from app.statistics.filters import scope_of
from app.supervision import service as supervision
from app.supervision.models import DIRECTIVE_KINDS
from app.timelimits.lights import basis, light, remaining
from app.timelimits.models import REQUEST_TYPES
from app.web import labels, statistics
from app.web.security import current_user, login_required
from app.workspace.inbox import LIGHTS

bp = Blueprint("web_cases", __name__)

PAGE_SIZE = 50
MAX_PAGE = 100_000
#: The names of the codes the export writes (app/cases/export.py translates them).
EXPORT_LABELS = {"status": labels.STATUSES, "request_type": labels.REQUEST_TYPES, "klass": labels.CLASSES,
                 "light": labels.LIGHTS}


def page_number() -> int:
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        return 1
    return min(max(page, 1), MAX_PAGE)


@bp.get("/cases")
@login_required("case:read")
def case_list():
    """The cases within one's jurisdiction, searched and filtered (app/cases/search.py); with
    `figure` (and `part` and the statistics' filters), exactly the cases behind that number of the
    statistics (drill-down, app/web/statistics.py)."""
    page = page_number()
    if request.args.get("figure"):
        found, status = statistics.drill_down(page, PAGE_SIZE)
        return render_template("cases/list.html", page=page, **found), status
    given = search.from_links(request.args)
    return _list_page(given, search.in_links(given), page)


@bp.post("/cases")
@login_required("case:read")
def case_search():
    """The search form is posted, so that a phone number never shows in an address: a good search
    is answered with the list's address (the phone encrypted in it), a bad one with the problems
    beside the fields (422)."""
    given = {name: request.form[name] for name in search.PARAMETERS if request.form.get(name)}
    try:
        search.parse(given)
    except InvalidData:
        return _list_page(given, {}, 1)
    return redirect(url_for(".case_list", **search.in_links(given)), 303)


def _list_page(given: dict, links: dict, page: int):
    """One page of the cases matching `given` (the search as typed); `links`: the same search as
    the pager and the export link carry it."""
    user, at = current_user(), basis(utcnow())
    shown = {"page": page, "drill": None, "args": links, "given": given, "choices": _choices(user, given),
             "max_rows": export.MAX_ROWS}
    try:
        wanted = search.parse(given)
    except InvalidData as refused:
        return render_template("cases/list.html", cases=[], has_next=False, errors=refused.errors,
                               **shown), 422
    rows = list_visible(user, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE,
                        where=search.condition(wanted, at))
    cases = [(row, masked(row), None) for row in rows[:PAGE_SIZE]]
    lights = {row.id: light(row.open_since, row.due_at, at) for row, _p, _m in cases if row.status == "open"}
    return render_template("cases/list.html", cases=cases, lights=lights, has_next=len(rows) > PAGE_SIZE,
                           errors=None, searching=not wanted.is_empty(), **shown)


@bp.get("/cases/export.xlsx")
@login_required("case:read")
def case_export():
    """The filtered list as XLSX (masked, at most export.MAX_ROWS rows). Bad filters export
    nothing: back to the list, which names the problems."""
    given = search.from_links(request.args)
    try:
        wanted = search.parse(given)
    except InvalidData:
        return redirect(url_for(".case_list", **search.in_links(given)))
    content, filename, _cut = export.workbook(current_user(), wanted, basis(utcnow()), EXPORT_LABELS,
                                              limit=export.MAX_ROWS)
    return Response(content, mimetype=export.XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "private, no-store"})


def _choices(user, given: dict) -> dict:
    """What the filters offer: the statistics' cascading territory and unit pickers (a city has
    thousands of villages) within the viewer's scope, and the coded values with their names."""
    try:
        scope = scope_of(user)
    except Forbidden:
        territories, units = [], []
    else:
        territories = statistics.territory_options(scope, given.get("territory"))
        units = statistics.unit_options(scope, given.get("territory"), given.get("unit"))
    return {"territories": territories, "units": units,
            "statuses": labels.choices(search.STATUSES, labels.STATUSES),
            "request_types": labels.choices(REQUEST_TYPES, labels.REQUEST_TYPES),
            "classes": labels.choices(CLASSES, labels.CLASSES),
            "lights": labels.choices(LIGHTS, labels.LIGHTS)}


def _get(model, row_id: int | None):
    return db.session.get(model, row_id) if row_id is not None else None


def _detail_context(case) -> dict:
    user = current_user()
    events = timeline(case.id)
    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    actors = {}
    if actor_ids:
        names = select(User.id, User.display_name).where(User.id.in_(actor_ids))
        actors = {user_id: name for user_id, name in db.session.execute(names)}
    at = basis(utcnow())
    return {"case": case, "events": events, "actors": actors,
            "unit": _get(Unit, case.unit_id), "territory": _get(Territory, case.territory_id),
            "category": _get(Category, case.category_id),
            "light": light(case.open_since, case.due_at, at) if case.status == "open" else None,
            "time_left": remaining(case.due_at, at) if case.status == "open" else None,
            "holders": tasks.open_for_case(case.id), "directives": supervision.for_case(case.id),
            "attachments": attachments.for_case(case.id), "ratings": appeals.ratings_of_case(user, case.id),
            "merges": merging.links(case),
            "context": case_context.gather(case), "may_reveal": may_reveal(user, case),
            "directive_kinds": [kind for kind, roles in DIRECTIVE_KINDS.items() if user.roles & roles]}


@bp.get("/cases/<string:number>")
@login_required("case:read")
def case_detail(number: str):
    case = get_visible(current_user(), number)
    return render_template("cases/detail.html", person=masked(case), revealed=False,
                           **_detail_context(case))


@bp.post("/cases/<string:number>/personal-data")
@login_required("personal_data:reveal")
def reveal_personal_data(number: str):
    """Show the full phone and ID number; privacy.reveal refuses (403) a handler who does not
    hold the case's task and writes the audit row, committed together with this answer."""
    user = current_user()
    with transaction():
        case = get_visible(user, number)
        person = reveal(user, case, via="web")
    if request.headers.get("HX-Request"):
        return render_template("cases/_personal_data.html", case=case, person=person, revealed=True)
    return render_template("cases/detail.html", person=person, revealed=True, **_detail_context(case))


@bp.post("/cases/<string:number>/unpublish")
@login_required("case:moderate")
def unpublish(number: str):
    """Moderation: take the case off the public Open311 reads (recorded on its timeline)."""
    publication.unpublish(current_user(), number)
    flash(_("The case is no longer public."), "success")
    return redirect(url_for(".case_detail", number=number))


@bp.post("/cases/<string:number>/attachments")
@login_required("case:attach")
def upload_attachment(number: str):
    upload = request.files.get("file")
    if upload is None:
        flash(_("Choose a file to attach."), "error")
    else:
        content = upload.read(attachments.MAX_BYTES + 1)
        attachments.add(current_user(), number, upload.filename or "file", content)
        flash(_("The file was attached."), "success")
    return redirect(url_for(".case_detail", number=number) + "#attachments")


@bp.get("/cases/<string:number>/attachments/<int:attachment_id>")
@login_required("case:read")
def attachment(number: str, attachment_id: int):
    return attachment_response(attachments.read(current_user(), number, attachment_id))
