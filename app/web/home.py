"""GET /: the signed-in user's start page (open tasks with their time-limit lights, links by role);
GET /favicon.ico for browsers that ask for it without reading the page's icon links."""
from pathlib import Path

from flask import Blueprint, current_app, render_template, send_from_directory

from app.clock import utcnow
from app.engine import tasks
from app.timelimits.lights import basis, light, remaining
from app.web.security import current_user, login_required

bp = Blueprint("web_home", __name__)

#: Open tasks listed on the home page; the task workspace lists them all.
HOME_TASKS = 20


@bp.get("/")
@login_required()
def home():
    user = current_user()
    found = tasks.inbox(user, limit=HOME_TASKS + 1)
    open_tasks = found[:HOME_TASKS]
    at = basis(utcnow())  # settings and calendar read once, not per task
    lights = {task.id: light(task.created_at, task.due_at, at) for task in open_tasks}
    time_left = {task.id: remaining(task.due_at, at) for task in open_tasks}
    return render_template("home.html", open_tasks=open_tasks, lights=lights, time_left=time_left,
                           more_tasks=len(found) > HOME_TASKS, roles=sorted(user.roles))


@bp.get("/favicon.ico")
def favicon():
    """The icon (app/static/icons/, rendered from favicon.svg); no sign-in needed, cached a day."""
    folder = Path(current_app.static_folder or "static") / "icons"
    return send_from_directory(folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400)
