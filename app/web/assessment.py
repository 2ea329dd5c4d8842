"""Unit assessment pages (亮晒比): frozen rankings of ended assessment periods (and an
administrator's "freeze now"), the assessment schemes with their versions (administrators edit
them), appeals of ratings (filed from the case page, reviewed in the supervisor's inbox), and the
lists of unit assessments (履职评估) and accountability referrals (移交问责).

Views parse the form, call app/assessment as the signed-in user (the API calls the same
functions) and render; a refused form is shown again with the service's messages by field.
"""
from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.assessment import appeals, records, schemes, snapshots
from app.assessment.models import APPEAL_STATUSES
from app.casework.models import ASSESSMENT_RESULTS
from app.engine.errors import Conflict, InvalidData
from app.engine.transaction import transaction
from app.i18n import N_
from app.statistics import scoring
from app.statistics.figures import UNIT_RATES
from app.web import labels
from app.web.admin import _number
from app.web.cases import page_number
from app.web.security import current_user, login_required

bp = Blueprint("web_assessment", __name__, url_prefix="/assessment")

PAGE_SIZE = 50
MAX_FIELD = 1000
#: The names of what a scheme weighs and deducts, and of the columns of a ranking.
FIGURES = {"completion_rate": N_("Completion rate"), "satisfaction_rate": N_("Satisfaction rate"),
           "resolution_rate": N_("Resolution rate"), "timeliness_rate": N_("Timeliness rate"),
           "response_rate": N_("Response rate"), "return_rate": N_("Return rate"),
           "late_replies": N_("Late replies"), "returns_overruled": N_("Returns ruled unjustified"),
           "returned": N_("Returns"), "referred": N_("Accountability referrals"), "received": N_("Received"),
           "closed": N_("Closed"), "rated": N_("Ratings"), "score": N_("Score")}
RANKING_COLUMNS = ("received", "closed", "response_rate", "completion_rate", "timeliness_rate",
                   "satisfaction_rate", "resolution_rate", "late_replies", "returns_overruled", "referred")


@bp.app_template_filter("figure_label")
def figure_label(name: str) -> str:
    return labels.label(name, FIGURES)


def _text(name: str) -> str:
    return request.form.get(name, "").strip()[:MAX_FIELD]


def _paging() -> dict:
    page = page_number()
    return {"page": page, "limit": PAGE_SIZE + 1, "offset": (page - 1) * PAGE_SIZE}


# --- frozen rankings -----------------------------------------------------------------------------

def _rankings_page(form: dict | None = None, errors: dict | None = None, status: int = 200):
    paging = _paging()
    rows = snapshots.list_snapshots(paging["limit"], paging["offset"])
    return render_template("assessment/rankings.html", rows=rows[:PAGE_SIZE], page=paging["page"],
                           has_next=len(rows) > PAGE_SIZE, form=form or {}, errors=errors or {}), status


@bp.get("/rankings")
@login_required("statistics:read")
def rankings():
    return _rankings_page()


@bp.post("/rankings")
@login_required("admin:manage")
def freeze_now():
    """An administrator freezes the ranking of an ended assessment period now."""
    typed = _text("day")
    try:
        day = date.fromisoformat(typed)
    except ValueError:
        return _rankings_page({"day": typed}, {"day": [_("Enter a date as YYYY-MM-DD.")]}, 422)
    try:
        with transaction():
            snapshot = snapshots.freeze_now(day, current_user())
    except (InvalidData, Conflict) as refused:
        return _rankings_page({"day": typed}, getattr(refused, "errors", None) or {"day": [refused.message]},
                              refused.status)
    flash(_("The ranking of %(first)s – %(last)s is frozen.", first=snapshot.period_first.isoformat(),
            last=snapshot.period_last.isoformat()), "success")
    return redirect(url_for(".ranking", snapshot_id=snapshot.id))


@bp.get("/rankings/<int:snapshot_id>")
@login_required("statistics:read")
def ranking(snapshot_id: int):
    found = snapshots.get(current_user(), snapshot_id)
    return render_template("assessment/ranking.html", snapshot=found["snapshot"],
                           frozen_by=found["frozen_by"], rows=found["rows"], columns=RANKING_COLUMNS)


# --- schemes -------------------------------------------------------------------------------------

def _tables_from_form() -> tuple[dict, dict]:
    """Weights and deductions typed into the form; an empty box is no weight / no deduction."""
    weights = {rate: _number(_text(f"weights.{rate}")) for rate in UNIT_RATES if _text(f"weights.{rate}")}
    deductions = {count: _number(_text(f"deductions.{count}")) for count in schemes.DEDUCTIONS
                  if _text(f"deductions.{count}")}
    return weights, deductions


def _schemes_page(form: dict | None = None, errors: dict | None = None, editing: str | None = None,
                  status: int = 200):
    return render_template("assessment/schemes.html", versions=schemes.versions(),
                           active=scoring.active_scheme(), rates=list(UNIT_RATES),
                           deductions=schemes.DEDUCTIONS, form=form or {}, errors=errors or {},
                           editing=editing), status


def _form_of(scheme) -> dict:
    return {"code": scheme.code, "name": scheme.name,
            **{f"weights.{k}": f"{v:g}" for k, v in scheme.weights.items()},
            **{f"deductions.{k}": f"{v:g}" for k, v in scheme.deductions.items()}}


@bp.get("/schemes")
@login_required("admin:manage")
def scheme_list():
    editing = request.args.get("edit") or None
    form = _form_of(schemes.latest(editing)) if editing else {}
    return _schemes_page(form, editing=editing)


@bp.post("/schemes")
@login_required("admin:manage")
def create_scheme():
    weights, deductions = _tables_from_form()
    form = {**request.form.to_dict(), "code": _text("code"), "name": _text("name")}
    try:
        with transaction():
            row = schemes.create(form["code"], form["name"], weights, deductions, current_user(),
                                 activate=request.form.get("active") == "on")
    except InvalidData as refused:
        return _schemes_page(form, refused.errors, status=422)
    flash(_("Scheme %(code)s version %(version)s saved.", code=row.code, version=row.version), "success")
    return redirect(url_for(".scheme_list"))


@bp.post("/schemes/<string:code>")
@login_required("admin:manage")
def revise_scheme(code: str):
    weights, deductions = _tables_from_form()
    form = {**request.form.to_dict(), "code": code, "name": _text("name")}
    try:
        with transaction():
            row = schemes.revise(code, {"name": form["name"], "weights": weights, "deductions": deductions},
                                 current_user())
    except (InvalidData, Conflict) as refused:
        return _schemes_page(form, getattr(refused, "errors", None) or {"form": [refused.message]}, code,
                             status=refused.status)
    flash(_("Scheme %(code)s version %(version)s saved.", code=row.code, version=row.version), "success")
    return redirect(url_for(".scheme_list"))


@bp.post("/schemes/<string:code>/activate")
@login_required("admin:manage")
def activate_scheme(code: str):
    with transaction():
        row = schemes.activate(code, current_user())
    flash(_("The ranking is scored with %(name)s (version %(version)s) from now on.", name=row.name,
            version=row.version), "success")
    return redirect(url_for(".scheme_list"))


# --- appeals -------------------------------------------------------------------------------------

@bp.get("/appeals")
@login_required("statistics:read")
def appeal_list():
    status = request.args.get("status") if request.args.get("status") in APPEAL_STATUSES else None
    paging = _paging()
    rows = appeals.list_appeals(current_user(), status, None, paging["limit"], paging["offset"])
    return render_template("assessment/appeals.html", rows=rows[:PAGE_SIZE], page=paging["page"],
                           has_next=len(rows) > PAGE_SIZE, status=status,
                           statuses=labels.choices(APPEAL_STATUSES, labels.APPEAL_STATUSES))


@bp.post("/appeals")
@login_required("rating:appeal")
def file_appeal():
    """From the ratings on a case page: appeal one rating of one's unit's answer."""
    number = _text("number")
    try:
        rating_id = int(request.form.get("rating_id", ""))
    except ValueError:
        rating_id = 0
    try:
        appeals.file(current_user(), rating_id, _text("reason"), current_app.config["APPEAL_PROCESS_ID"])
    except (InvalidData, Conflict) as refused:
        problems = [m for messages in (getattr(refused, "errors", None) or {}).values() for m in messages]
        flash(_("The appeal was not filed: %(problems)s", problems="; ".join(problems or [refused.message])),
              "error")
    else:
        flash(_("The appeal was filed; the platform will review it."), "success")
    return redirect(url_for("web_cases.case_detail", number=number) + "#ratings")


# --- unit assessments and referrals --------------------------------------------------------------

@bp.get("/records")
@login_required("statistics:read")
def record_list():
    """履职评估 and 移交问责 of a period within the viewer's scope; bad filters are shown, not errors."""
    wanted = {name: (request.args.get(name) or "").strip()[:64] or None
              for name in ("from", "to", "territory", "unit", "result")}
    result = wanted.pop("result")
    errors: dict = {}
    try:
        found = records.assessments(current_user(), wanted, result if result in ASSESSMENT_RESULTS else None,
                                    limit=200)
        referred = records.referrals(current_user(), wanted, limit=200)
    except InvalidData as refused:
        errors = refused.errors
        found, referred = {"rows": [], "filters": {}}, {"rows": []}
    return render_template("assessment/records.html", assessments=found["rows"], referrals=referred["rows"],
                           shown=found["filters"], wanted={**wanted, "result": result}, errors=errors,
                           results=labels.choices(ASSESSMENT_RESULTS, labels.ASSESSMENT_RESULTS),
                           territories=labels.territory_choices())
