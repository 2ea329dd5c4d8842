"""The registrar's hotline desk: one fast form per call (app/cases/desk.py does the work)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.cases import desk
from app.cases.duplicates import earlier_cases
from app.cases.service import LIMITS
from app.engine.errors import InvalidData
from app.extensions import db
from app.organisation.models import Category
from app.timelimits.models import REQUEST_TYPES
from app.web import labels
from app.web.labels import choices, territory_choices
from app.web.security import current_user, login_required

bp = Blueprint("web_desk", __name__)
FIELDS = ("phone", "name", "request_type", "category_code", "territory_code", "title", "description",
          "address", "decision", "answer", "duplicate_of")


def _render(values: dict, errors: dict | None = None, duplicates=None, status: int = 200):
    categories = [(c.code, c.name) for c in db.session.scalars(select(Category).order_by(Category.code))]
    territories = territory_choices()
    return render_template("desk.html", values=values, errors=errors or {}, duplicates=duplicates,
                           request_types=choices(REQUEST_TYPES, labels.REQUEST_TYPES), categories=categories,
                           territories=territories, limits=LIMITS, max_answer=desk.MAX_ANSWER), status


@bp.get("/desk")
@login_required("case:create")
def form():
    return _render({"request_type": "complaint", "decision": "accept"})


@bp.get("/desk/caller")
@login_required("case:create")
def caller():
    """The caller's earlier requests, recognised by phone (htmx, as the number is typed)."""
    phone = (request.args.get("phone") or "").strip()
    found = earlier_cases(current_user(), phone) if len(phone) >= 7 else []
    return render_template("_caller.html", cases=found, phone=phone)


@bp.post("/desk")
@login_required("case:create")
def save():
    values = {name: (request.form.get(name) or "").strip() for name in FIELDS}
    call = desk.Call(**values, confirmed_new=request.form.get("confirmed_new") == "1")
    try:
        outcome = desk.register_call(current_user(), call)
    except InvalidData as error:
        return _render(values, error.errors, status=422)
    if outcome.kind == "duplicates":
        return _render(values, duplicates=outcome.duplicates)
    if outcome.kind == "linked":
        flash(_("The call was added to %(number)s.", number=outcome.number), "success")
    else:
        flash(_("Registered as %(number)s.", number=outcome.number), "success")
    return redirect(url_for("web_cases.case_detail", number=outcome.number))
