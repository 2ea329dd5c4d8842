"""重复件: the merge form of the triage and dispatch task pages and of the case page posts here; the
rules are app/cases/merging.py's, shared with the API."""
from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from app.cases import merging
from app.engine.errors import Conflict
from app.web.security import current_user, login_required, safe_next

bp = Blueprint("web_merging", __name__)


@bp.post("/cases/<string:number>/merge")
@login_required("case:merge")
def merge(number: str):
    """Merge the case into the case numbered in `into`; refused, every reason is shown on the page
    the form came from and nothing changes. Outside one's jurisdiction: the 404 page."""
    back = safe_next(request.form.get("next")) or url_for("web_cases.case_detail", number=number)
    try:
        done = merging.merge(current_user(), number, request.form.get("into"), request.form.get("note"))
    except merging.Refused as refused:
        for messages in refused.translated().values():
            for message in messages:
                flash(_("Not merged: %(reason)s", reason=message), "error")
        return redirect(back)
    except Conflict:
        flash(_("The case was changed by someone else at the same time; reload and try again."), "error")
        return redirect(back)
    flash(_("Case %(number)s was merged into %(main)s; its requester was told.", number=done.number,
            main=done.merged_into), "success")
    return redirect(url_for("web_cases.case_detail", number=done.merged_into))
