"""Repair pages for administrators (permission "incident:manage"): the open incidents with retry,
and a case's repair form (move it to a step, or close it, with a reason). The rules live in
app/engine/repair.py and incidents.py, shared with the API."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.engine import incidents, repair, timers
from app.engine.errors import Conflict, InvalidData, ProcessIncident
from app.engine.transaction import transaction
from app.web.security import current_user, login_required

bp = Blueprint("web_repair", __name__, url_prefix="/repair")


@bp.get("/incidents")
@login_required("incident:manage")
def incident_list():
    return render_template("repair/incidents.html", rows=incidents.open_incidents(current_user()))


@bp.post("/incidents/<int:incident_id>/retry")
@login_required("incident:manage")
def retry(incident_id: int):
    try:
        with transaction():
            timer_id = incidents.prepare_retry(incident_id, current_user()).timer_id
        timers.fire(timer_id)
        flash(_("Incident %(id)d retried.", id=incident_id), "success")
    except Conflict as refused:
        flash(refused.message, "error")
    except ProcessIncident as failed:
        flash(_("The retry failed again: %(message)s", message=failed.message), "error")
    return redirect(url_for(".incident_list"))


def _case_page(number: str, errors: dict | None = None, form: dict | None = None, status: int = 200):
    steps = [(step.element_id, step.name) for step in repair.steps(current_user(), number)]
    return render_template("repair/case.html", number=number, steps=steps, errors=errors or {},
                           form=form or {}), status


@bp.get("/cases/<number>")
@login_required("incident:manage")
def case_form(number: str):
    return _case_page(number)


@bp.post("/cases/<number>/move")
@login_required("incident:manage")
def move(number: str):
    form = {"element_id": request.form.get("element_id", ""), "reason": request.form.get("reason", "")}
    try:
        done = repair.move_to(current_user(), number, form["element_id"], form["reason"])
    except InvalidData as refused:
        return _case_page(number, refused.errors, form, 422)
    except Conflict as refused:
        return _case_page(number, {"element_id": [refused.message]}, form, 409)
    flash(_("Case %(number)s moved from %(source)s to %(target)s.", number=number, source=done["from"],
            target=done["to"]), "success")
    return redirect(url_for("web_cases.case_detail", number=number))


@bp.post("/cases/<number>/close")
@login_required("incident:manage")
def close(number: str):
    form = {"close_reason": request.form.get("close_reason", "")}
    try:
        repair.close(current_user(), number, form["close_reason"])
    except InvalidData as refused:
        return _case_page(number, {"close_reason": refused.errors["reason"]}, form, 422)
    except Conflict as refused:
        return _case_page(number, {"close_reason": [refused.message]}, form, 409)
    flash(_("Case %(number)s closed.", number=number), "success")
    return redirect(url_for("web_cases.case_detail", number=number))
