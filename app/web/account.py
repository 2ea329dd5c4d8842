"""/account: one's own password and sessions (every signed-in staff member).

Changing the password signs the user out everywhere (app/accounts/sessions.py) and then starts a
new session for this browser, so the user carries on while every other session, any copy of this
browser's old cookie and every API token end. "Sign out everywhere" ends this browser's session too.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts import sessions
from app.engine.errors import InvalidData
from app.engine.transaction import transaction
from app.i18n import N_
from app.organisation import admin as service
from app.web.security import current_user, is_current_session, login_required, login_user, logout_user

bp = Blueprint("web_account", __name__, url_prefix="/account")

PASSWORD_FIELDS = ("current_password", "new_password", "new_password_again")
MAX_FIELD = service.PASSWORD_MAX + 1  # longer input is cut here; the service then refuses it
#: How this page words the service's refusals (the rules themselves are in the service).
REFUSALS = {
    "current_password": N_("This is not your current password, or there were too many failed attempts "
                           "from this address; try again later."),
    "new_password": N_("Use %(min)d to %(max)d characters."),
    "new_password_again": N_("Does not match the new password."),
}


def _refusal(field: str) -> str:
    return _(REFUSALS[field], min=service.PASSWORD_MIN, max=service.PASSWORD_MAX)


def _page(errors: dict | None = None, status: int = 200):
    user = current_user()
    rows = sessions.active(user.id)
    current = {row.id for row in rows if is_current_session(row)}
    return render_template("account.html", sessions=rows, current=current, errors=errors or {},
                           password_min=service.PASSWORD_MIN), status


@bp.get("")
@login_required()
def account():
    return _page()


@bp.post("/password")
@login_required()
def change_password():
    user = current_user()
    form = {name: request.form.get(name, "")[:MAX_FIELD] for name in PASSWORD_FIELDS}
    try:
        with transaction():
            service.change_own_password(user, form["current_password"], form["new_password"],
                                        form["new_password_again"], request.remote_addr)
    except InvalidData as refused:
        return _page({field: _refusal(field) for field in refused.errors}, 422)
    login_user(user)  # every session of the user has ended: this browser carries on in a new one
    flash(_("Your password has been changed. Every other session and API token has been signed out."),
          "success")
    return redirect(url_for(".account"))


@bp.post("/sign-out")
@login_required()
def sign_out_everywhere():
    with transaction():
        sessions.revoke_all(current_user())
    logout_user()
    return redirect(url_for("web_auth.login"))
