"""GET /: the signed-in user's start page (open tasks with their time-limit lights, links by role)."""
from flask import Blueprint, render_template

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
