"""Public pages for citizens (no account): report a problem (also from a QR code that fixes the
territory), track a request, rate the answer. Mobile first; rate-limited per IP and per phone.

Sending a report is post/redirect/get: the POST answers 303 to a result page (a GET, so a reload
sends nothing), and the form's one-time submission token makes a repeated POST answer with the
first case (app/citizen/service.py)."""
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app import ratelimit
from app.attachments.download import attachment_response
from app.cases.service import LIMITS
from app.citizen import categories, links, places, service
from app.citizen.scope import OUT_OF_SCOPE
from app.engine.errors import Conflict, InvalidData
from app.extensions import db
from app.organisation.models import Territory
from app.timelimits.models import REQUEST_TYPES
from app.web import labels
from app.web.labels import choices

bp = Blueprint("web_public", __name__)


def _allowed(kind: str, phone: str | None) -> bool:
    """Count this attempt against the per-IP and (if given) per-phone limits of `kind`."""
    config = current_app.config
    ip_ok = ratelimit.allow(config[f"PUBLIC_{kind}_LIMIT_IP"], kind, request.remote_addr or "?")
    phone_ok = not phone or ratelimit.allow(config[f"PUBLIC_{kind}_LIMIT_PHONE"], kind, phone)
    return ip_ok and phone_ok


def _shown(message) -> str:
    """A service message in the page's language: a msgid, or (msgid, values) for one with values."""
    if isinstance(message, tuple):
        return _(message[0], **message[1])
    return _(message)


def _form_context(values: dict, errors: dict | None = None, status: int = 200, files_sent: bool = False):
    fixed = values.get("territory_code") if values.get("fixed") else None
    fixed_name = db.session.scalar(select(Territory.name).where(Territory.code == fixed)) if fixed else None
    types = choices(REQUEST_TYPES, labels.REQUEST_TYPES)
    picker = [] if fixed_name else places.picker(values.get("territory_code") or "")
    shown = {field: [_shown(message) for message in messages] for field, messages in (errors or {}).items()}
    return render_template("public/report.html", values=values, errors=shown, limits=LIMITS,
                           out_of_scope=OUT_OF_SCOPE, request_types=types, picker=picker,
                           categories=categories.choices(), fixed_name=fixed_name,
                           files_sent=files_sent), status


@bp.get("/report")
def report():
    """A fresh form with a fresh submission token (going back to a sent form keeps its token:
    app/static/js/report-form.js)."""
    code = request.args.get("territory", "")
    known = bool(code) and db.session.scalar(select(Territory.id).where(Territory.code == code)) is not None
    return _form_context({"territory_code": code if known else "", "fixed": known, "matter": "ordinary",
                          "request_type": "complaint", "submission": service.new_token()})


@bp.post("/report")
def submit():
    form = request.form
    values = {name: (form.get(name) or "").strip() for name in (
        "matter", "request_type", "title", "description", "territory_code", "phone", "address", "name",
        "id_number", "submission", "category", "latitude", "longitude")}
    for flag in ("anonymous", "public", "fixed"):
        values[flag] = form.get(flag) == "1"
    place = {level: (form.get(level) or "").strip() for level in places.LEVELS}
    if not _allowed("SUBMIT", values["phone"] or None):
        busy = _("Too many requests from here; please try again later.")
        return _form_context(values, {"form": [busy]}, 429)
    files = [(f.filename or "file", f.read(service.attachments.MAX_BYTES + 1))
             for f in request.files.getlist("files") if f and f.filename]
    fields = {k: v for k, v in values.items() if k not in ("fixed", "submission")}
    try:
        case = service.submit(service.Submission(**fields, place=place, token=values["submission"]), files)
    except service.OutOfScope as refused:
        return render_template("public/refused.html", where=_(refused.where), matter=refused.matter), 200
    except InvalidData as error:
        if "submission" in error.errors:  # missing, or sent already by someone else: a fresh form
            values["submission"] = service.new_token()
        if not values["fixed"]:  # the picker shows the deepest place chosen
            values["territory_code"] = values["territory_code"] or places.chosen(place)[0]
        return _form_context(values, error.errors, 422, files_sent=bool(files))
    return redirect(url_for(".report_done", token=service.tracking_token(case.number)), 303)


@bp.get("/report/places/<string:code>")
def place_children(code: str):
    """The places one level below `code` for the report form's picker (JSON: [{code, name}])."""
    found = places.children(code)
    if found is None:
        abort(404)
    response = jsonify([{"code": child, "name": name} for child, name in found])
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/report/done/<string:token>")
def report_done(token: str):
    """The result of a report: its number and tracking link (a GET: reloading it sends nothing)."""
    case = _case_for(token)
    return render_template("public/submitted.html", number=case.number, link=links.tracking_url(case.number))


@bp.route("/track", methods=["GET", "POST"])
def track():
    if request.method == "GET":
        return render_template("public/track_form.html", errors={})
    number, phone = (request.form.get("number") or "").strip(), (request.form.get("phone") or "").strip()
    if not _allowed("TRACK", phone or None):
        return render_template("public/track_form.html",
                               errors={"form": [_("Too many attempts; please try again later.")]}), 429
    case = service.find(number, phone)
    if case is None:
        return render_template("public/track_form.html", number=number, errors={
            "form": [_("No request matches this number and phone.")]}), 404
    return redirect(url_for(".track_link", token=service.tracking_token(case.number)))


def _case_for(token: str):
    number = service.number_from_token(token)
    case = service.by_number(number) if number else None
    if case is None:
        abort(404)
    return case


@bp.get("/track/<string:token>")
def track_link(token: str):
    case = _case_for(token)
    return render_template("public/track.html", view=service.public_view(case), token=token)


@bp.get("/track/<string:token>/photos/<int:attachment_id>")
def track_photo(token: str, attachment_id: int):
    """A photo the requester sent, for the holder of the tracking link only."""
    found = service.photo(_case_for(token), attachment_id)
    if found is None:
        abort(404)
    return attachment_response(found)


@bp.post("/track/<string:token>/rate")
def rate(token: str):
    case = _case_for(token)
    try:
        service.rate(case, request.form.get("satisfaction", ""), request.form.get("resolution", ""),
                     (request.form.get("comment") or "").strip())
    except InvalidData as error:
        return render_template("public/track.html", view=service.public_view(case), token=token,
                               errors=error.errors), 422
    except Conflict:
        flash(_("This request cannot be rated now (it is rated already or not answered yet)."), "error")
        return redirect(url_for(".track_link", token=token))
    flash(_("Thank you for your rating."), "success")
    return redirect(url_for(".track_link", token=token))
