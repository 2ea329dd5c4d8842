"""GET /: the signed-in user's start page (open tasks, links by role)."""
from flask import Blueprint, render_template

from app.engine import tasks
from app.web.security import current_user, login_required

bp = Blueprint("web_home", __name__)

#: Open tasks listed on the home page; the task workspace lists them all.
HOME_TASKS = 20


@bp.get("/")
@login_required()
def home():
    user = current_user()
    open_tasks = tasks.inbox(user, limit=HOME_TASKS + 1)
    return render_template("home.html", open_tasks=open_tasks[:HOME_TASKS],
                           more_tasks=len(open_tasks) > HOME_TASKS, roles=sorted(user.roles))
