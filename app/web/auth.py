"""GET/POST /login and POST /logout."""
from contextlib import suppress

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts import throttle
from app.i18n import N_
from app.web.security import current_user, login_user, logout_user, safe_next

bp = Blueprint("web_auth", __name__)

#: The one answer to a refused login: a wrong password, an unknown user, a deactivated account and
#: an address throttled after failed sign-ins (app/accounts/throttle.py) all read the same, so the
#: page tells an attacker nothing.
LOGIN_REFUSED = N_("Wrong username or password, or too many failed sign-ins from this address. "
                   "Please try again later.")
MAX_FIELD = 200


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(next_url or url_for("web_home.home"))
        return render_template("auth/login.html", next_url=next_url, username="", errors={})
    username = request.form.get("username", "").strip()[:MAX_FIELD]
    password = request.form.get("password", "")[:MAX_FIELD]
    errors = {}
    if not username:
        errors["username"] = _("Enter your username.")
    if not password:
        errors["password"] = _("Enter your password.")
    user = None
    if not errors:
        with suppress(throttle.Throttled):  # a throttled address reads like a wrong password
            user = throttle.authenticate(username, password, request.remote_addr)
    if user is None:
        if not errors:
            errors["form"] = _(LOGIN_REFUSED)
        return render_template("auth/login.html", next_url=next_url, username=username, errors=errors)
    login_user(user)
    return redirect(next_url or url_for("web_home.home"))


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("web_auth.login"))
